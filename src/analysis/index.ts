import ts from '../ts.js';
import { fingerprint, FingerprintCounter, normalizeCode } from '../report/fingerprint.js';
import type { RuleFinding } from '../report/rule-finding.js';
import type { Location, Operation, WriteSite } from '../report/types.js';
import type { RlsModel } from '../schema/types.js';
import { leftOutFolder } from '../schema/discover.js';
import { type AnalysisConfig, fixSetting, type WriteKind, writePolicies } from './config.js';
import { openWithoutContext, raisingWithoutContext } from './open-policies.js';
import { attemptedSwitchNote, offSwitchData } from './role-switch-note.js';
import { ownerBypassNote } from './owner-bypass.js';
import { injectedMigrator } from './client-factories.js';
import type { FileFacts, RawSite, UnresolvedProblem, UnscopedProblem } from './facts.js';
import { AmbientSettler } from './ambient/settle.js';
import { TrpcContexts } from './context/trpc.js';
import { analyzeFlow, bodyStateAt } from './flow.js';
import { HandleResolver, where } from './handles.js';
import { functionName, OriginResolver } from '../code/origins.js';
import { resolveVerdicts, type SiteVerdict } from './program.js';
import { adminRequestPath, appRequestRoot } from './request-path.js';
import { routeDecidesSetAside, setAsideKind } from '../report/set-aside.js';
import { isFunctionLike } from '../code/scope.js';
import type { SourceHost } from '../code/source-host.js';
import { SqlTextFolder } from '../code/sql-text.js';
import { Facts } from '../code/fixpoint.js';
import { NestContainer } from './providers/nest-di.js';
import { EffectLayers } from './providers/effect-layers.js';
import { isTestFile } from './providers/helper-values.js';
import { settleTemplates } from './table-builders.js';
import { markOuterPoolWrites } from './outer-pool.js';
import type { TypeEvidence } from './type-evidence.js';
import { toPosixRelative as relative } from '../files/paths.js';
import { phase } from '../files/phase-timer.js';
import { linkContractCalls } from './interface-calls.js';
import { linkMemberCalls } from './function-types.js';
import { callerIndexFor } from './caller-index.js';
import { calleeLinks } from './value-links.js';
import { registrationCalls } from './roots/entry-points.js';

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
  /** `rls-guard init`: also list the ambient providers the entry points run behind. */
  ambientProviders?: boolean;
  /**
   * The files whose flow is walked (all when absent). The others are read only as the walked files' imports are (their
   * helpers, constants, pools, NestJS providers): the audit cache passes the files it re-analyses here when none of
   * them has a write waiting on callers, whose verdicts need no other file's walk (src/cache/incremental.ts).
   */
  walk?: ReadonlySet<ts.SourceFile>;
}

import type { AmbientProvider } from './ambient/reach.js';

export type { AmbientProvider };

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
  /**
   * An admin write no route of the files analysed reaches, which a route in another file could, or a seed's or
   * migration's write no route of them reaches, which would make it app code (the plugin's analysis of one file only;
   * the project index decides it). Never set by a whole-program analysis.
   */
  routesElsewhere?: true;
  /**
   * A write in a file set aside by its path (a `seed-*.ts`, a `migrations/` folder) that a route of the app reaches:
   * the route's label. It is app code whatever its name says, so the report keeps it with the app's writes
   * (set-aside.ts).
   */
  reachedFrom?: string;
  /**
   * A write that runs only under the tests (program.ts `testsOnly`): the function of test support every path passes
   * through. Set aside with the tests' writes whatever its own file's path (set-aside.ts).
   */
  testsOnly?: string;
}

/** The core's findings are facts: rule, message id and data; the rules hold the words (rules/<id>.ts). */
export type CoreFinding = RuleFinding;

export interface CoreResult {
  sites: CoreSite[];
  findings: CoreFinding[];
  /** Settings some analysed statement sets (for policies that read a setting nobody sets). */
  settingsSet: Set<string>;
  /** How much work the analysis did, counted deterministically (tests bound it; not wall time). */
  work: { facts: number; bodies: number; steps: number };
  /** Files the analysis read only in part (a syntax error, an analysis that gave up): writes there may be missing. */
  incomplete: SourceGap[];
  /**
   * Per analysed file: the settings it sets, and whether any of its writes waited for callers or roots (the audit
   * cache's dependency class).
   */
  perFile?: Map<string, { settings: string[]; pending: boolean }>;
  /** The NestJS container was asked something (any file's results may rest on the providers it read). */
  readContainer?: boolean;
  /** What it asked found nothing in the files analysed (which may be a subset: src/cache/incremental.ts). */
  containerEmpty?: boolean;
  /** With `ambientProviders`: the middleware routes run behind (ambient/reach.ts). */
  ambientProviders?: AmbientProvider[];
}

export interface SourceGap {
  file: string;
  line?: number;
  reason: string;
}

export function analyze(input: CoreInput): CoreResult {
  // One fact engine for the whole analysis: every per-node and per-function fact is computed once.
  phase('index (foreign members)');
  const context = coreContext(input);
  // One file's analysis (the plugin's): a verdict that read a search over the program's files needs the project.
  if (!input.wholeProgram) context.engine.traceProgramReads();
  phase('flows');
  const walked = input.walk ? input.files.filter((sf) => input.walk!.has(sf)) : input.files;
  const analysed = walked.map((sf) => analyseFile(sf, input, context));
  const result = conclude(input, context, analysed);
  // Effect's Layers are read from every file as the NestJS container is: the same dependency for the audit cache.
  const { nest, effect } = context;
  if (nest?.wasRead || effect?.wasRead) {
    result.readContainer = true;
    if ((!nest?.wasRead || nest.holdsNothing()) && (!effect?.wasRead || effect.holdsNothing()))
      result.containerEmpty = true;
  }
  return result;
}

/** What one analysis shares between its files: the fact engine and the resolvers that memoise in it. */
export interface CoreContext {
  engine: Facts;
  origins: OriginResolver;
  handles: HandleResolver;
  folder: SqlTextFolder;
  /** The files of the program being analysed (useFiles). */
  files: readonly ts.SourceFile[];
  nest?: NestContainer;
  /** Effect's services: what the program's Layers provide for each Tag (providers/effect-layers.ts). */
  effect?: EffectLayers;
}

export function coreContext(
  input: Pick<CoreInput, 'host' | 'config' | 'root' | 'types'> & { files?: readonly ts.SourceFile[] },
): CoreContext {
  const engine = new Facts();
  const origins = new OriginResolver(input.host, engine);
  const handles = new HandleResolver(origins, input.config, input.root, input.types);
  const folder = new SqlTextFolder(origins, { runTimeNames: true });
  const context: CoreContext = { engine, origins, handles, folder, files: [] };
  // NestJS providers (tokens, factories, nestjs-cls): read from the program's files when first asked.
  const nest = new NestContainer({
    origins,
    files: () => context.files,
    where: (n) => where(n, input.root),
    of: (e) => handles.of(e),
    settings: (e) => handles.localSettings(e),
    classHandle: (cls) => handles.classClient(cls),
    inTest: (n) => isTestFile(n, input.root),
    adminToken: (token, definition) => handles.adminToken(token, definition),
  });
  handles.ambient.nest = nest;
  handles.programFiles = () => context.files;
  context.nest = nest;
  context.effect = new EffectLayers({
    origins,
    files: () => context.files,
    where: (n) => where(n, input.root),
    inTest: (n) => isTestFile(n, input.root),
  });
  if (input.files) useFiles(context, input.files);
  return context;
}

/**
 * The program's files, before any of them is analysed: the NestJS container reads its
 * providers from them, and assignments that replace an imported object's member are noted.
 * `added`: the files new to the context (an editor session's changed ones); all when absent.
 */
export function useFiles(
  context: CoreContext,
  files: readonly ts.SourceFile[],
  added: readonly ts.SourceFile[] = files,
): void {
  context.files = files;
  context.origins.registerForeignReplacements(added);
}

/**
 * One file's flow facts (undefined when the analysis gave up on it) and the parts of it not
 * read: a syntax error, the walk giving up on the file, on some of its functions.
 */
export interface AnalysedFile {
  sf: ts.SourceFile;
  facts: FileFacts | undefined;
  syntax: SourceGap[];
  thrown: SourceGap[];
  gaveUp: SourceGap[];
}

/**
 * The flow walk of one file: what it learns without other files' verdicts. A file the analysis
 * cannot finish (a stack overflow on pathologically deep code) is reported as read in part;
 * a function it gave up on stands as an unresolved site, and the file is read in part.
 */
export function analyseFile(
  sf: ts.SourceFile,
  input: Pick<CoreInput, 'root' | 'config'> & { wholeProgram?: boolean },
  ctx: CoreContext,
): AnalysedFile {
  const file = relative(input.root, sf.fileName);
  const syntax = syntaxGap(sf, input.root);
  let facts: FileFacts;
  try {
    facts = analyzeFlow(sf, { root: input.root, config: input.config, ...ctx });
  } catch (error) {
    const reason = `the analysis gave up on this file (${gaveUp(error)}); none of its writes were checked`;
    return { sf, facts: undefined, syntax, thrown: [{ file, reason }], gaveUp: [] };
  }
  // What the call graph links the file's value calls by, and the calls the entry points' scan may act on, taken while
  // its tree is read, so that those whole-program passes read this data, not the tree (value-links.ts).
  if (input.wholeProgram) {
    const links = calleeLinks(facts, ctx.origins, input.root);
    if (links) facts.calleeLinks = links;
  }
  try {
    facts.registrationCalls = registrationCalls(sf, ctx.origins);
  } catch {
    // (a stack overflow on deep code) the scan reads the file's calls itself, and meets it there as before
  }
  const gaps = facts.gaveUp.map((g) => {
    const { line } = facts.sf.getLineAndCharacterOfPosition(g.node === facts.sf ? 0 : g.node.getStart(facts.sf));
    return { file, line: line + 1, reason: `${g.reason}; writes there may be missing` };
  });
  return { sf, facts, syntax, thrown: [], gaveUp: gaps };
}

/**
 * Verdicts that need other functions, and the findings. `report`: only these files' sites are
 * settled and reported (an editor's re-lint needs the linted file's; the others' facts still
 * serve as its callers and helpers); every file's when absent.
 */
export function conclude(
  input: CoreInput,
  ctx: CoreContext,
  analysed: readonly AnalysedFile[],
  report?: ReadonlySet<ts.SourceFile>,
): CoreResult {
  const { engine, origins, handles } = ctx;
  const reported = report ? analysed.filter((a) => report.has(a.sf)) : analysed;
  const incomplete: SourceGap[] = [
    ...reported.flatMap((a) => a.syntax),
    ...reported.flatMap((a) => a.thrown),
    ...reported.flatMap((a) => a.gaveUp),
  ];
  // settleTemplates narrows each file's sites: a copy, so facts kept between analyses stay whole.
  // The program's call graph (kept between an editor session's analyses), whose functions by declared type the
  // member calls are linked over first.
  phase('linking (member and contract calls)');
  const graph = callerIndexFor(engine, origins, input.root, input.wholeProgram);
  const facts: FileFacts[] = linkMemberCalls(
    linkContractCalls(
      analysed.flatMap((a) => (a.facts ? [{ ...a.facts }] : [])),
      origins,
    ),
    origins,
    input.root,
    graph.typed,
  );
  const work = () => ({ facts: engine.computations, bodies: engine.bodies, steps: engine.steps });
  const nextCalls = new Map(facts.flatMap((f) => [...(f.nextCalls ?? [])]));
  const trpc = new TrpcContexts(input.files, origins, (e) => handles.of(e), input.root, (c) => nextCalls.get(c));
  const ambient = new AmbientSettler({
    files: facts,
    origins,
    handles,
    config: input.config,
    root: input.root,
    graph,
    stateAt: (fn, node) => bodyStateAt({ root: input.root, config: input.config, ...ctx }, fn, node),
  });
  // Its reach is facts of a kind made for this analysis (transient): dropped from the engine when it is done.
  try {
    let verdicts: Map<RawSite, SiteVerdict>;
    phase('settlement (call graph, entry points, verdicts)');
    try {
      verdicts = resolveVerdicts(facts, origins, {
        root: input.root,
        wholeProgram: input.wholeProgram,
        policies: (table, kinds) => writePolicies(input.config, table, kinds),
        bypassRoles: input.config.bypassRoles,
        roleKeyedTables: input.config.roleKeyedTables,
        injected: (b, path, at) =>
          handles.ambient.nest?.injected(b, path, at) ??
          (ts.isConstructorDeclaration(b.fn)
            ? injectedMigrator(handles.injected(b), () => handles.ambient.nest?.typeormMigrationsRun())
            : undefined),
        isFactory: (fn) => !!handles.ambient.nest?.isFactory(fn),
        ...(ctx.effect ? { effectTag: (read: ts.YieldExpression) => ctx.effect!.read(read) } : {}),
        memberOf: (e, path) => handles.memberOf(e, path),
        facts: engine,
        graph,
        ambient: (h, at, table, pending, reframe, kinds, helper) =>
          ambient.settle(h, at, table, pending, reframe, kinds, helper),
        forwarded: (fn, i, call, b) => handles.forwardedConnections(fn, i, call, b),
        ...(report ? { report } : {}),
        carried: (call, arg, param, path) => trpc.resolverMember(call, arg, param, path),
      });
    } catch (error) {
      incomplete.push(
        ...facts.map((f) => ({
          file: relative(input.root, f.sf.fileName),
          reason: `the callers of its writes could not be followed (${gaveUp(error)}); none of its writes were checked`,
        })),
      );
      return { sites: [], findings: [], settingsSet: new Set(), work: work(), incomplete };
    }
    settleTemplates(facts, verdicts, input.wholeProgram, input.root, origins);
    markOuterPoolWrites(facts, verdicts, input.config, input.root, (fn, i) => handles.callbackHandle(fn, i));
    const result: CoreResult = {
      sites: [],
      findings: [],
      settingsSet: new Set(facts.flatMap((f) => [...f.settingsSet])),
      work: work(),
      incomplete,
    };
    if (input.ambientProviders) result.ambientProviders = ambient.inferredProviders();
    result.perFile = new Map(
      facts.map((f) => [
        relative(input.root, f.sf.fileName),
        {
          settings: [...f.settingsSet],
          // An admin write waits for the routes that reach it (no-admin-on-request-path): in the files importing it. So
          // does a seed or migration file's write (a route that reaches it makes it app code), and a table-generic
          // builder's query (its calls, in the files importing it, make the writes and drop its template site).
          pending:
            f.sites.some(
              (s) =>
                'pending' in s.verdict ||
                s.shapeOnly !== undefined ||
                s.template !== undefined ||
                (s.gatedTables.length > 0 && verdicts.get(s)?.coverage === 'admin-pool'),
            ) || (f.sites.length > 0 && routeDecidesSetAside(relative(input.root, f.sf.fileName))),
        },
      ]),
    );
    phase('findings per file');
    for (const f of facts) {
      if (report && !report.has(f.sf)) continue;
      try {
        reportFile(f, verdicts, input, result, ambient);
      } catch (error) {
        incomplete.push({
          file: relative(input.root, f.sf.fileName),
          reason: `its findings could not be reported (${gaveUp(error)})`,
        });
      }
    }
    return result;
  } finally {
    ambient.release();
  }
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
  return [
    {
      file: relative(root, sf.fileName),
      line,
      reason: `syntax error at line ${line}: ${text}; the code after it may have been misread or not read at all`,
    },
  ];
}

function reportFile(
  facts: FileFacts,
  verdicts: Map<RawSite, SiteVerdict>,
  input: CoreInput,
  out: CoreResult,
  ambient: AmbientSettler,
): void {
  const sf = facts.sf;
  const file = relative(input.root, sf.fileName);
  // Seeds and migrations by path: asked whether a route reaches their writes (tests are never on a route's path).
  const asideByPath = routeDecidesSetAside(file) ? setAsideKind(file) : null;
  const siteIds = new FingerprintCounter();
  const findingIds = new FingerprintCounter();
  const addFinding = (f: Omit<RuleFinding, 'fingerprint' | keyof Location>, loc: Location, key: string): void => {
    out.findings.push({ ...f, ...loc, fingerprint: findingIds.next([f.ruleId, file, key]) });
  };

  for (const raw of facts.sites) {
    const settled = verdicts.get(raw);
    // No verdict: a plain parameter's write every call of which passes no connection (param-writes.ts), no write. Any
    // other site always has one: its absence is a defect to surface, never a write to drop in silence.
    if (!settled && raw.shapeOnly) continue;
    if (!settled) throw new Error(`rls-guard: no verdict for the write at ${file}:${raw.call.pos}`);
    let verdict = settled;
    const reachedFrom = asideByPath && !verdict.deferred ? appRequestRoot(ambient, raw.call, input.root) : undefined;
    if (reachedFrom)
      verdict = {
        ...verdict,
        evidence:
          `${verdict.evidence}; judged as app code though its path names ${asideByPath}: ${reachedFrom} reaches it`,
      };
    const dropped = droppedNote(raw.tables, input.config.droppedTables);
    if (dropped) verdict = { ...verdict, evidence: `${verdict.evidence}; ${dropped}` };
    const leftOut = leftOutNote(raw.tables, input.config.leftOutGated);
    if (leftOut) verdict = { ...verdict, evidence: `${verdict.evidence}; ${leftOut}` };
    const unapplied = unappliedNote(raw.tables, input.config.unappliedGates);
    if (unapplied) verdict = { ...verdict, evidence: `${verdict.evidence}; ${unapplied}` };
    // Only the tests reach it: named, so the set-aside site says why it left the app's writes.
    const testsOnly = !verdict.deferred && !asideByPath ? verdict.testsOnly : undefined;
    if (testsOnly)
      verdict = {
        ...verdict,
        evidence: `${verdict.evidence}; set aside with the tests: every path to it passes through ${testsOnly}, test ` +
          `support that only tests call`,
      };
    const attempted = verdict.coverage === 'unscoped' ? attemptedSwitchNote(verdict.passedTo, input.config) : undefined;
    if (attempted) verdict = { ...verdict, evidence: `${verdict.evidence}; ${attempted}` };
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
      // The front ends set it when they apply the file's suppressions (src/report/suppressions.ts).
      suppressed: null,
      fingerprint: siteIds.next(['site', file, scope, code]),
      deferred: verdict.deferred,
      crossFile: verdict.crossFile ?? false,
      callPath: verdict.callPath,
      sql: raw.sqlVariants,
      ...(reachedFrom ? { reachedFrom } : {}),
      ...(testsOnly ? { testsOnly } : {}),
    };
    out.sites.push(site);
    if (asideByPath && !reachedFrom && !verdict.deferred && !input.wholeProgram) site.routesElsewhere = true;
    if (verdict.deferred) continue;

    const about = { site: site.fingerprint };
    // RLS never applies to TRUNCATE: an org context does not narrow it, so only an admin
    // connection (deliberate cross-org maintenance) makes it intended. It replaces the
    // unscoped/unresolved finding when every gated write of the call is a truncate.
    const truncating = raw.truncated.length > 0 && verdict.coverage !== 'admin-pool';
    const key = `${scope}\u0001${code}`;
    if (truncating) {
      const truncate = { ruleId: 'no-truncate-gated', ...truncateFinding(raw, verdict, input), ...about };
      addFinding(truncate, loc, `truncate\u0001${key}`);
    }
    if (truncating && raw.gatedTables.every((t) => raw.truncated.includes(t))) continue;
    if (verdict.coverage === 'unscoped') {
      const fact = unscopedFinding(raw, verdict.problem, verdict.evidence, input, file);
      addFinding({ ruleId: 'no-unscoped-write', ...fact, ...about }, loc, key);
    } else if (verdict.coverage === 'unresolved') {
      // The message id is the piece the core could not resolve (UnresolvedProblem in facts.ts).
      const write = raw.gatedTables.length ? describeWrite(raw, input) : 'A database write';
      const data = { write, evidence: verdict.evidence, ...notConstantData(raw, verdict.problem) };
      addFinding({ ruleId: 'no-unresolved-write', messageId: verdict.problem, data, ...about }, loc, key);
    } else if (verdict.coverage === 'admin-pool' && raw.gatedTables.length) {
      const onRequest = adminRequestPath(ambient, raw.call, describeWrite(raw, input), verdict.via, input.wholeProgram);
      if (onRequest.kind === 'reached') addFinding({ ...onRequest.fact, ...about }, loc, `request\u0001${key}`);
      // The plugin asks its project index, which sees the routes in the files that import this one.
      if (onRequest.kind === 'elsewhere') site.routesElsewhere = true;
    }
  }
  for (const f of facts.findings) {
    const key = `${enclosingName(f.node)}\u0001${f.key}\u0001${normalizeCode(f.node.getText(sf))}`;
    addFinding({ ruleId: f.ruleId, messageId: f.messageId, data: f.data }, location(sf, f.node, file), key);
  }
}

/**
 * `sqlNotConstant`: which piece of the SQL is not a constant, and what is known all the same: the tables its constant
 * text writes (`UPDATE funds SET ${updates.join(', ')}`), or none.
 */
function notConstantData(raw: RawSite, problem: UnresolvedProblem): Record<string, string> {
  if (problem !== 'sqlNotConstant') return {};
  const part = raw.notConstant ?? 'its text';
  const unknown = raw.tables.length
    ? `its constant text writes ${raw.tables.join(', ')}, but what ${part} adds (another table, a function that ` +
      'writes) cannot be known'
    : 'the tables it writes cannot be known';
  return { part, unknown };
}

/** What Postgres does with a write its policies reject, by operation. */
const CONSEQUENCE: Record<Operation, string> = {
  call: 'reject its writes or let them match zero rows',
  delete: 'match zero rows and report success',
  update: 'match zero rows and report success',
  insert: 'reject it with "new row violates row-level security policy"',
  merge: 'reject it with "new row violates row-level security policy"',
  copy: 'reject it with "new row violates row-level security policy"',
  truncate: 'reject it with "new row violates row-level security policy"',
};

/** A SET given its value as a bind parameter fails (verdict.ts `rejectedSet`): the write never runs after it. */
const REJECTED_SET = 'reject that SET with "syntax error at or near $1", which fails the transaction before this ' +
  'write runs';

type Fact = Pick<RuleFinding, 'messageId' | 'data'>;

/**
 * What Postgres does where the write's policies read their setting without `missing_ok` (open-policies.ts): it raises
 * rather than filter. An UPDATE or DELETE checks the policy only against rows it reaches: none reached, none matched.
 */
function raisingConsequence(
  raw: RawSite,
  model: RlsModel,
  problem: UnscopedProblem,
  kinds: (t: string) => readonly WriteKind[],
): string | undefined {
  const raising = raisingWithoutContext(model, problem, raw.gatedTables, kinds);
  if (!raising) return undefined;
  const { policy, setting, table } = raising;
  const when = raw.operation === 'update' || raw.operation === 'delete'
    ? ` as soon as it reaches a row of ${table} (reaching none, it matches zero rows)`
    : '';
  return `raise unrecognized configuration parameter "${setting}"${when}: policy ${policy.name} on ${table} ` +
    `(${policy.at.file}:${policy.at.line}) reads current_setting('${setting}') without missing_ok, which raises ` +
    `while nothing on the connection has set it (where an earlier transaction on the same connection set it, it ` +
    `reads '' instead)`;
}

/**
 * The message id is the problem the verdict found (verdict.ts), but `offRoleSwitch` where a scope helper of the
 * write's package switches away from the login role and the write sets no context (role-switch-note.ts).
 */
function unscopedFinding(
  raw: RawSite,
  problem: UnscopedProblem,
  evidence: string,
  input: CoreInput,
  file: string,
): Fact {
  // Named from the write's own policies: the repository's main setting may be another table's, or a bypass switch.
  const kinds = (t: string) => raw.written?.[t] ?? (raw.operation === 'call' ? [] : [{ operation: raw.operation }]);
  const setting = fixSetting(input.config, raw.gatedTables, kinds);
  const write = describeWrite(raw, input);
  const open = openWithoutContext(input.model, problem, raw.gatedTables, kinds);
  const consequence = problem === 'rejectedSet'
    ? REJECTED_SET
    : open
    ? `let it through: policy ${open.policy.name} on ${open.table} (${open.policy.at.file}:${open.policy.at.line}) ` +
      `lets every row through while ${open.setting} is unset, so no org filters this write and it can ` +
      (raw.operation === 'insert' ? "add rows to any org's data" : "change any org's rows")
    : raisingConsequence(raw, input.model, problem, kinds) ?? CONSEQUENCE[raw.operation];
  const off = offSwitchData(file, problem, input.config);
  const id: UnscopedProblem = off ? 'offRoleSwitch' : problem;
  // Who passes the policies whatever is set (the owner without FORCE, a bypassing role), and how to say it is meant.
  const owner = ownerBypassNote(input.model, id, raw.gatedTables, input.config.bypassRoles);
  return { messageId: id, data: { write, evidence, consequence, setting, owner, ...off } };
}

function truncateFinding(raw: RawSite, verdict: SiteVerdict, input: CoreInput): Fact {
  const tables = raw.truncated.map((t) => {
    const through = raw.through[t];
    return `${t} (${gate(t, input)}${through ? `; truncated by ${through}` : ''})`;
  });
  const data = { tables: tables.join(', '), via: verdict.via ?? '' };
  return { messageId: verdict.coverage === 'org-scope' ? 'truncateDespiteScope' : 'truncate', data };
}

function describeWrite(raw: RawSite, input: CoreInput): string {
  if (raw.operation === 'call') return `A call that writes ${gatedEvidence(raw, input)}`;
  const direct = raw.tables.filter((t) => !raw.through[t]);
  // A write whose gated tables are all written by triggers: name the statement's own table first.
  if (raw.gatedTables.every((t) => raw.through[t]) && direct.length) {
    return `${raw.operation.toUpperCase()} on ${direct.join(', ')} writes ${gatedEvidence(raw, input)}`;
  }
  return `${raw.operation.toUpperCase()} on ${gatedEvidence(raw, input)}`;
}

function gatedEvidence(raw: RawSite, input: CoreInput): string {
  return raw.gatedTables
    .map((t) => {
      const through = raw.through[t];
      const by = through ? `; written by ${through}, which runs with the caller's rights (SECURITY INVOKER)` : '';
      return `${t} (${gate(t, input)}${by})`;
    })
    .join(', ');
}

/** Where a table is gated: the migration line that enables RLS, or the configuration. */
function gate(table: string, input: CoreInput): string {
  const at = input.model.tables.get(table)?.enabledAt;
  return at ? `RLS enabled at ${at.file}:${at.line}` : 'RLS-gated by configuration';
}

function location(sf: ts.SourceFile, node: ts.Node, file: string): Location {
  const start = sf.getLineAndCharacterOfPosition(node.getStart(sf));
  const end = sf.getLineAndCharacterOfPosition(node.getEnd());
  return {
    file,
    line: start.line + 1,
    column: start.character + 1,
    endLine: end.line + 1,
    endColumn: end.character + 1,
  };
}

function enclosingName(node: ts.Node): string {
  const names: string[] = [];
  for (let n: ts.Node | undefined = node.parent; n; n = n.parent) {
    if (isFunctionLike(n)) names.unshift(functionName(n));
    else if (ts.isClassLike(n) && n.name) names.unshift(n.name.text);
  }
  return names.join('>') || '<module>';
}

/**
 * Why a written table counts as gated though the migrations end without it (schema/dropped.ts): the file that dropped
 * it, and how to leave that file out if it is a teardown script rather than a migration. Carried by each site, so a
 * shard says it for its own sites.
 */
function droppedNote(tables: readonly string[], dropped: AnalysisConfig['droppedTables']): string | undefined {
  const notes = tables.flatMap((t) => {
    const d = dropped?.get(t);
    if (!d) return [];
    const enabled = d.before.enabledAt ? ` (RLS enabled at ${d.before.enabledAt.file}:${d.before.enabledAt.line})` : '';
    return [`${t}${enabled} is judged as it stood before ${d.droppedAt.file}:${d.droppedAt.line} dropped it` +
      `${d.by === 'schema' ? ' with its schema' : ''}, since no later migration creates it again`];
  });
  return notes.length
    ? `${notes.join('; ')}; if that file is not a migration (a teardown script), add it to "ignore" in the config`
    : undefined;
}

/**
 * Why a written table counts as not gated though a SQL file of the repository gates it: nothing in the repository runs
 * that file (schema/loose-sql.ts), and the audit cannot know whether someone applies it by hand. Said on each write so
 * that the verdict is never read as "this table has no policies" when it may well have them in the database.
 */
function unappliedNote(tables: readonly string[], gates: AnalysisConfig['unappliedGates']): string | undefined {
  const notes = tables.flatMap((t) => {
    const at = gates?.get(t);
    return at ? [`${at.file}:${at.line} enables row level security on ${t}`] : [];
  });
  const one = notes.length === 1;
  return notes.length
    ? `${notes.join('; ')}, but nothing in the repository runs ${one ? 'that file' : 'those files'} (not taken as ` +
      `${one ? 'a migration' : 'migrations'}), so the write is judged as not gated; if ${one ? 'it is' : 'they are'} ` +
      `applied to the database, list ${one ? 'it' : 'them'} under "migrations" in the config (with the Prisma ` +
      'migrations folder) and the write is judged against its policies'
    : undefined;
}

/**
 * Why a written table counts as gated though no applied migration gates it (schema/left-out.ts): the left-out file
 * that enables its RLS, and how to decide. Carried by each site, so a shard says it for its own sites.
 */
function leftOutNote(tables: readonly string[], leftOut: AnalysisConfig['leftOutGated']): string | undefined {
  const notes = tables.flatMap((t) => {
    const at = leftOut?.get(t);
    return at ? [`${t} is gated only by ${at.file}:${at.line}`] : [];
  });
  // An archived folder's file, or a setup script nothing runs (schema/loose-sql.ts), said as what it is.
  const archived = tables.every((t) => !leftOut?.get(t) || leftOutFolder(leftOut.get(t)!.file) !== null);
  return notes.length
    ? `${notes.join('; ')}, ${archived ? 'in a folder left out of the migrations as archived or documentation' :
      'a file nothing in the repository runs, left out of the migrations'}, so judged as gated; ` +
        `list that ${archived ? 'folder' : 'file'} under "migrations" in the config if it is applied, or the table ` +
        `under "gatedTables.remove" if it is not gated`
    : undefined;
}
