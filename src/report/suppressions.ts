import ts from '../ts.js';
import { FingerprintCounter } from './fingerprint.js';
import type { RuleFinding, SuppressedFinding } from './rule-finding.js';

// `// rls-guard-ignore-next-line <rule-id>[, <rule-id>…] -- <reason>`: the reason is mandatory.
// Suppressions are applied here once, to the findings of every pass over a file (the core,
// the pack rules, the rules' checks), by both front ends; so are the findings about the
// comments themselves (no reason, nothing suppressed).

export const DIRECTIVE = 'rls-guard-ignore-next-line';

export interface Suppression {
  /** 1-based line of the comment. */
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  ruleIds: string[];
  reason: string | null;
}

export function findSuppressions(sf: ts.SourceFile): Suppression[] {
  const out: Suppression[] = [];
  const text = sf.text;
  if (!text.includes(DIRECTIVE)) return out;
  // Comments are trivia: gather them from every node's leading and trailing ranges (a
  // scanner without the parser would misread `//` inside template literals).
  const ranges = new Map<number, ts.CommentRange>();
  const add = (list: ts.CommentRange[] | undefined): void => {
    for (const r of list ?? []) ranges.set(r.pos, r);
  };
  const visit = (node: ts.Node): void => {
    add(ts.getLeadingCommentRanges(text, node.getFullStart()));
    add(ts.getTrailingCommentRanges(text, node.getEnd()));
    ts.forEachChild(node, visit);
  };
  visit(sf);
  add(ts.getLeadingCommentRanges(text, sf.endOfFileToken.getFullStart()));
  for (const r of [...ranges.values()].sort((a, b) => a.pos - b.pos)) {
    const raw = text.slice(r.pos, r.end);
    const body = (r.kind === ts.SyntaxKind.SingleLineCommentTrivia ? raw.slice(2) : raw.slice(2, -2)).trim();
    const directive = parseDirective(body);
    if (!directive) continue;
    const start = sf.getLineAndCharacterOfPosition(r.pos);
    const end = sf.getLineAndCharacterOfPosition(r.end);
    const place = { line: start.line + 1, column: start.character + 1, endLine: end.line + 1 };
    out.push({ ...place, endColumn: end.character + 1, ...directive });
  }
  return out;
}

/** The rule ids and reason of a comment's text (without the comment markers), if it is a directive. */
export function parseDirective(body: string): { ruleIds: string[]; reason: string | null } | undefined {
  if (!body.startsWith(DIRECTIVE)) return undefined;
  const rest = body.slice(DIRECTIVE.length);
  const sep = rest.indexOf('--');
  const idsPart = sep >= 0 ? rest.slice(0, sep) : rest;
  const reason = sep >= 0 ? rest.slice(sep + 2).trim() : '';
  return { ruleIds: idsPart.split(/[\s,]+/).filter(Boolean), reason: reason || null };
}

/** `# rls-guard-ignore-next-line <rule> -- <reason>` in .env, YAML and Dockerfiles. */
export function hashSuppressions(text: string): Suppression[] {
  const out: Suppression[] = [];
  text.split('\n').forEach((line, i) => {
    const hash = line.indexOf('#');
    if (hash === -1 || line.slice(0, hash).trim() !== '') return;
    const directive = parseDirective(line.slice(hash + 1).trim());
    if (directive) {
      out.push({ line: i + 1, column: hash + 1, endLine: i + 1, endColumn: line.trimEnd().length + 1, ...directive });
    }
  });
  return out;
}

/** The suppression that applies to a finding of `ruleId` starting on `line`, if any. */
export function suppressionFor(
  suppressions: readonly Suppression[],
  ruleId: string,
  line: number,
): Suppression | undefined {
  const names = (s: Suppression): boolean => s.ruleIds.length === 0 || s.ruleIds.includes(ruleId);
  return suppressions.find((s) => s.endLine === line - 1 && s.reason && names(s));
}

export interface SuppressionOutcome {
  /** The findings no suppression covers, then one per suppression without a reason or that suppressed nothing. */
  findings: RuleFinding[];
  /** The findings a suppression silenced, each with the suppression's reason. */
  suppressed: SuppressedFinding[];
}

/**
 * Applies a file's suppressions to all of the file's findings, whichever pass made them.
 * `marker` is how a comment starts in the file (`//` in code, `#` in deployment files), for
 * the example in the message.
 */
export function applySuppressions(
  file: string,
  findings: readonly RuleFinding[],
  suppressions: readonly Suppression[],
  marker: '//' | '#',
): SuppressionOutcome {
  const out: SuppressionOutcome = { findings: [], suppressed: [] };
  const used = new Set<Suppression>();
  for (const f of findings) {
    const s = suppressionFor(suppressions, f.ruleId, f.line);
    if (!s) out.findings.push(f);
    else {
      used.add(s);
      out.suppressed.push({ ...f, suppressed: { reason: s.reason! } });
    }
  }
  const ids = new FingerprintCounter();
  for (const s of suppressions) {
    const place = { file, line: s.line, column: s.column, endLine: s.endLine, endColumn: s.endColumn };
    const rules = s.ruleIds.join(',');
    if (!s.reason) {
      const data = { marker, rule: s.ruleIds[0] ?? 'no-unscoped-write' };
      const ruleId = 'no-unjustified-suppression';
      const fingerprint = ids.next([ruleId, file, `reason:${rules}`]);
      out.findings.push({ ruleId, messageId: 'noReason', data, ...place, fingerprint });
    } else if (!used.has(s)) {
      const ruleId = 'no-unused-suppression';
      const fingerprint = ids.next([ruleId, file, `unused:${rules}:${s.reason}`]);
      out.findings.push({ ruleId, messageId: 'unused', data: { rules: rules || 'all rules' }, ...place, fingerprint });
    }
  }
  return out;
}
