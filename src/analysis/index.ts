import path from 'node:path';
import ts from 'typescript';
import { RULES, type RuleId } from '../../rules/catalog.js';
import { fingerprint, FingerprintCounter, normalizeCode } from '../report/fingerprint.js';
import { findSuppressions, suppressionFor, type Suppression } from '../report/suppressions.js';
import type { Location, Severity, WriteSite } from '../report/types.js';
import type { RlsModel } from '../schema/types.js';
import type { AnalysisConfig } from './config.js';
import type { FileFacts, RawFinding, RawSite } from './facts.js';
import { AmbientSettler } from './ambient/settle.js';
import { analyzeFlow } from './flow.js';
import { HandleResolver } from './handles.js';
import { functionName, OriginResolver } from './origins.js';
import { resolveVerdicts, type SiteVerdict } from './program.js';
import { isFunctionLike } from './scope.js';
import type { SourceHost } from './source-host.js';
import { SqlTextFolder } from './sql-text.js';
import { Facts } from './fixpoint.js';
import type { TypeEvidence } from './type-evidence.js';

// The one analysis core. The walker passes every file (wholeProgram); the ESLint plugin
// passes the file being linted. Both get the same sites, verdicts and findings for
// everything decidable within that file.

export interface CoreInput {
  root: string;
  files: ts.SourceFile[];
  host: SourceHost;
  model: RlsModel;
  config: AnalysisConfig;
  wholeProgram: boolean;
  /** The type checker's evidence, when the audited project's types are available. */
  types?: TypeEvidence;
}

/** A write site as the report has it, plus what the front ends need to know about its verdict. */
export interface CoreSite extends WriteSite {
  evidence: string;
  /** Undecidable from the files given (the plugin defers it to the walker). */
  deferred: boolean;
  /** Decided by following callers in other files: the ESLint plugin defers these to the walker. */
  crossFile: boolean;
  /** Calls through which an uncovered connection reaches the write, outermost last. */
  callPath: string[];
  /** The SQL the call runs, one text per variant; empty when unresolved. */
  sql: string[];
}

export interface CoreFinding extends Location {
  ruleId: RuleId;
  severity: Severity;
  message: string;
  fingerprint: string;
  suppressed: { reason: string } | null;
}

export interface CoreResult {
  sites: CoreSite[];
  findings: CoreFinding[];
  /** Settings some analysed statement sets (for policies that read a setting nobody sets). */
  settingsSet: Set<string>;
  /** How much work the analysis did, counted deterministically (tests bound it; not wall time). */
  work: { facts: number; bodies: number; steps: number };
  /** Files the analysis read only in part (a syntax error, an analysis that gave up): writes there may be missing. */
  incomplete: SourceGap[];
  /** Per analysed file: the settings it sets, and whether any of its writes waited for callers or roots (the audit cache's dependency class). */
  perFile?: Map<string, { settings: string[]; pending: boolean }>;
}

export interface SourceGap {
  file: string;
  line?: number;
  reason: string;
}

export function analyze(input: CoreInput): CoreResult {
  // One fact engine for the whole analysis: every per-node and per-function fact is computed once.
  const engine = new Facts();
  const origins = new OriginResolver(input.host, engine);
  const handles = new HandleResolver(origins, input.config, input.root, input.types);
  const folder = new SqlTextFolder(origins);
  const incomplete: SourceGap[] = input.files.flatMap((sf) => syntaxGap(sf, input.root));
  const work = () => ({ facts: engine.computations, bodies: engine.bodies, steps: engine.steps });
  // A file the analysis cannot finish (a stack overflow on pathologically deep code) is
  // reported as read in part; the other files are still analysed.
  const facts: FileFacts[] = input.files.flatMap((sf) => {
    try {
      return [analyzeFlow(sf, { root: input.root, config: input.config, origins, handles, folder })];
    } catch (error) {
      incomplete.push({ file: relative(input.root, sf.fileName), reason: `the analysis gave up on this file (${gaveUp(error)}); none of its writes were checked` });
      return [];
    }
  });
  // A function the analysis gave up on stands as an unresolved site, and the file is read in part.
  for (const f of facts) {
    for (const g of f.gaveUp) {
      const { line } = f.sf.getLineAndCharacterOfPosition(g.node === f.sf ? 0 : g.node.getStart(f.sf));
      incomplete.push({ file: relative(input.root, f.sf.fileName), line: line + 1, reason: `${g.reason}; writes there may be missing` });
    }
  }
  const ambient = new AmbientSettler({ files: facts, origins, handles, config: input.config, root: input.root });
  let verdicts: Map<RawSite, SiteVerdict>;
  try {
    verdicts = resolveVerdicts(facts, origins, { root: input.root, wholeProgram: input.wholeProgram, tableSettings: input.config.tableSettings, bypassRoles: input.config.bypassRoles, injected: (b) => handles.injected(b), facts: engine, ambient: (h, at, table) => ambient.settle(h, at, table), forwarded: (fn, i, call, b) => handles.forwardedConnections(fn, i, call, b) });
  } catch (error) {
    incomplete.push(...facts.map((f) => ({ file: relative(input.root, f.sf.fileName), reason: `the callers of its writes could not be followed (${gaveUp(error)}); none of its writes were checked` })));
    return { sites: [], findings: [], settingsSet: new Set(), work: work(), incomplete };
  }
  const result: CoreResult = { sites: [], findings: [], settingsSet: new Set(facts.flatMap((f) => [...f.settingsSet])), work: work(), incomplete };
  result.perFile = new Map(facts.map((f) => [relative(input.root, f.sf.fileName), { settings: [...f.settingsSet], pending: f.sites.some((s) => 'pending' in s.verdict) }]));
  for (const f of facts) {
    try {
      report(f, verdicts, input, result);
    } catch (error) {
      incomplete.push({ file: relative(input.root, f.sf.fileName), reason: `its findings could not be reported (${gaveUp(error)})` });
    }
  }
  return result;
}

function unclosedComment(sf: ts.SourceFile): number | undefined {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, false, sf.languageVariant, sf.text);
  for (let token = scanner.scan(); token !== ts.SyntaxKind.EndOfFileToken; token = scanner.scan()) {
    if (token === ts.SyntaxKind.MultiLineCommentTrivia && scanner.isUnterminated()) return scanner.getTokenStart();
  }
  return undefined;
}

function gaveUp(error: unknown): string {
  if (error instanceof RangeError && /call stack/i.test(error.message)) return 'the code is nested too deeply';
  return error instanceof Error ? error.message : String(error);
}

/**
 * A syntax error means TypeScript recovered by guessing: an unterminated comment or string
 * swallows the rest of the file, so writes after the error may be invisible.
 */
export function syntaxGap(sf: ts.SourceFile, root: string): SourceGap[] {
  const syntax = (sf as unknown as { parseDiagnostics?: ts.DiagnosticWithLocation[] }).parseDiagnostics ?? [];
  const first = syntax[0];
  if (!first) return [];
  // TypeScript reports an unclosed comment at the end of the file; point at where it opens.
  const opened = first.code === 1010 ? unclosedComment(sf) : undefined;
  const line = sf.getLineAndCharacterOfPosition(opened ?? first.start).line + 1;
  const message = ts.flattenDiagnosticMessageText(first.messageText, ' ');
  const text = opened === undefined ? message : `a /* comment is never closed (${message})`;
  return [{ file: relative(root, sf.fileName), line, reason: `syntax error at line ${line}: ${text}; the code after it may have been misread or not read at all` }];
}

function report(facts: FileFacts, verdicts: Map<RawSite, SiteVerdict>, input: CoreInput, out: CoreResult): void {
  const sf = facts.sf;
  const file = relative(input.root, sf.fileName);
  const suppressions = findSuppressions(sf);
  const siteIds = new FingerprintCounter();
  const findingIds = new FingerprintCounter();
  const severity = (id: RuleId): Severity => (id === 'no-unresolved-write' && input.config.strict ? 'error' : RULES[id].severity);

  const addFinding = (ruleId: RuleId, loc: Location, message: string, key: string): { reason: string } | null => {
    const s = suppressionFor(suppressions, ruleId, loc.line);
    if (s) s.used = true;
    const suppressed = s?.reason ? { reason: s.reason } : null;
    out.findings.push({ ruleId, severity: severity(ruleId), ...loc, message, fingerprint: findingIds.next([ruleId, file, key]), suppressed });
    return suppressed;
  };

  for (const raw of facts.sites) {
    const verdict = verdicts.get(raw)!;
    const loc = location(sf, raw.call, file);
    const scope = enclosingName(raw.call);
    const code = normalizeCode(raw.call.getText(sf));
    const site: CoreSite = {
      ...loc,
      operation: raw.operation,
      tables: raw.tables,
      gated: raw.gatedTables.length > 0,
      api: raw.api,
      coverage: verdict.coverage,
      via: verdict.via,
      evidence: verdict.evidence,
      suppressed: null,
      fingerprint: siteIds.next(['site', file, scope, code]),
      deferred: verdict.deferred,
      crossFile: verdict.crossFile ?? false,
      callPath: verdict.callPath,
      sql: raw.sqlVariants,
    };
    out.sites.push(site);
    if (verdict.deferred) continue;
    // RLS never applies to TRUNCATE: an org context does not narrow it, so only an admin
    // connection (deliberate cross-org maintenance) makes it intended. It replaces the
    // unscoped/unresolved finding when every gated write of the call is a truncate.
    const truncating = raw.truncated.length > 0 && verdict.coverage !== 'admin-pool';
    if (truncating) site.suppressed = addFinding('no-truncate-gated', loc, truncateMessage(raw, verdict, input), `truncate\u0001${scope}\u0001${code}`);
    if (truncating && raw.gatedTables.every((t) => raw.truncated.includes(t))) continue;
    if (verdict.coverage === 'unscoped') {
      site.suppressed = addFinding('no-unscoped-write', loc, unscopedMessage(raw, verdict, input), `${scope}\u0001${code}`);
    } else if (verdict.coverage === 'unresolved') {
      site.suppressed = addFinding('no-unresolved-write', loc, unresolvedMessage(raw, verdict, input), `${scope}\u0001${code}`);
    }
  }
  for (const f of facts.findings) {
    addFinding(f.ruleId as RuleId, location(sf, f.node, file), f.message, `${enclosingName(f.node)}\u0001${f.key}\u0001${normalizeCode(f.node.getText(sf))}`);
  }
  for (const s of suppressions) checkSuppression(s, file, addFinding);
}

function checkSuppression(s: Suppression, file: string, add: (id: RuleId, loc: Location, message: string, key: string) => unknown): void {
  const loc: Location = { file, line: s.line, column: s.column, endLine: s.endLine, endColumn: s.endColumn };
  const ids = s.ruleIds.join(',');
  if (!s.reason) {
    add('no-unjustified-suppression', loc, `This rls-guard-ignore-next-line comment has no reason, so it suppresses nothing. Say why the write is safe after \`--\`, e.g. \`// rls-guard-ignore-next-line ${s.ruleIds[0] ?? 'no-unscoped-write'} -- runs once under the migration role\`.`, `reason:${ids}`);
  } else if (!s.used) {
    add('no-unused-suppression', loc, `This rls-guard-ignore-next-line comment (${ids || 'all rules'}) suppresses nothing on the next line; remove it.`, `unused:${ids}:${s.reason}`);
  }
}

function unscopedMessage(raw: RawSite, verdict: SiteVerdict, input: CoreInput): string {
  return `${describeWrite(raw, input)} ${verdict.evidence}. Postgres will ${raw.operation === 'call' ? 'reject its writes or let them match zero rows' : raw.operation === 'delete' || raw.operation === 'update' ? 'match zero rows and report success' : 'reject it with "new row violates row-level security policy"'}. Fix: run it on the executor a scope helper hands its callback (withOrgScope(ctx, db, orgId, async (tx) => tx.query(…))), or on a client inside BEGIN … set_config('${[...input.config.contextSettings][0]}', $1, true) … COMMIT; use an admin connection only for deliberate cross-org work.`;
}

function truncateMessage(raw: RawSite, verdict: SiteVerdict, input: CoreInput): string {
  const tables = raw.truncated.map((t) => {
    const at = input.model.tables.get(t)?.enabledAt;
    const through = raw.through[t];
    return `${t} (${at ? `RLS enabled at ${at.file}:${at.line}` : 'RLS-gated by configuration'}${through ? `; truncated by ${through}` : ''})`;
  });
  return `TRUNCATE on ${tables.join(', ')}: row-level security never applies to TRUNCATE, so it removes every tenant's rows whatever org context ${verdict.coverage === 'org-scope' ? `the connection carries (${verdict.via})` : 'is set'}. Fix: delete one org's rows with DELETE … WHERE (RLS then keeps it to the org in context); run deliberate cross-org maintenance on an admin connection, or suppress with a reason.`;
}

function unresolvedMessage(raw: RawSite, verdict: SiteVerdict, input: CoreInput): string {
  const what = raw.gatedTables.length ? describeWrite(raw, input) : 'A database write';
  return `${what} cannot be verified: ${verdict.evidence}. rls-guard fails closed: make the SQL a constant (bind values as $1, $2…) and run it on a traceable connection, or suppress with a reason if it is safe.`;
}

function describeWrite(raw: RawSite, input: CoreInput): string {
  if (raw.operation === 'call') return `A call that writes ${gatedEvidence(raw, input)}`;
  const direct = raw.tables.filter((t) => !raw.through[t]);
  // A write whose gated tables are all written by triggers: name the statement's own table first.
  if (raw.gatedTables.every((t) => raw.through[t]) && direct.length) return `${raw.operation.toUpperCase()} on ${direct.join(', ')} writes ${gatedEvidence(raw, input)}`;
  return `${raw.operation.toUpperCase()} on ${gatedEvidence(raw, input)}`;
}

function gatedEvidence(raw: RawSite, input: CoreInput): string {
  return raw.gatedTables
    .map((t) => {
      const at = input.model.tables.get(t)?.enabledAt;
      const gate = at ? `RLS enabled at ${at.file}:${at.line}` : 'RLS-gated by configuration';
      const through = raw.through[t];
      return `${t} (${gate}${through ? `; written by ${through}, which runs with the caller's rights (SECURITY INVOKER)` : ''})`;
    })
    .join(', ');
}

function location(sf: ts.SourceFile, node: ts.Node, file: string): Location {
  const start = sf.getLineAndCharacterOfPosition(node.getStart(sf));
  const end = sf.getLineAndCharacterOfPosition(node.getEnd());
  return { file, line: start.line + 1, column: start.character + 1, endLine: end.line + 1, endColumn: end.character + 1 };
}

function enclosingName(node: ts.Node): string {
  const names: string[] = [];
  for (let n: ts.Node | undefined = node.parent; n; n = n.parent) {
    if (isFunctionLike(n)) names.unshift(functionName(n));
    else if (ts.isClassLike(n) && n.name) names.unshift(n.name.text);
  }
  return names.join('>') || '<module>';
}

export function relative(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}

export { fingerprint };
