import ts from 'typescript';

// `// rls-guard-ignore-next-line <rule-id>[, <rule-id>…] -- <reason>`: the reason is mandatory.

export const DIRECTIVE = 'rls-guard-ignore-next-line';

export interface Suppression {
  /** 1-based line of the comment. */
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  ruleIds: string[];
  reason: string | null;
  used: boolean;
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
    out.push({ line: start.line + 1, column: start.character + 1, endLine: end.line + 1, endColumn: end.character + 1, ...directive, used: false });
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

/** The suppression that applies to a finding of `ruleId` starting on `line`, if any. */
export function suppressionFor(suppressions: Suppression[], ruleId: string, line: number): Suppression | undefined {
  return suppressions.find((s) => s.endLine === line - 1 && s.reason && (s.ruleIds.length === 0 || s.ruleIds.includes(ruleId)));
}
