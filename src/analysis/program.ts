import path from 'node:path';
import ts from '../ts.js';
import { inTestSupport } from '../report/set-aside.js';
import type { WriteKind, WritePolicies } from './config.js';
import type { RoleKey } from './login-verdict.js';
import { scopedElsewhere } from './other-connection.js';
import type {
  CallbackUse,
  CallEdge,
  ConnState,
  ContextEvidence,
  FileFacts,
  LocalVerdict,
  Pending,
  RawSite,
  UnresolvedProblem,
  Verdict,
} from './facts.js';
import { isInlineCallback } from './flow.js';
import { libraryFit, shapeOnlyVerdict } from './param-writes.js';
import { kindKey, rank } from './write-sites.js';
import { coveredCallsEvidence } from './covered-calls.js';
import { connectionKey, freshState, handedOn } from './connection-state.js';
import { fieldText } from '../code/carried.js';
import { narrowingAt, passesNothing, reaches } from './providers/guards.js';
import type { AmbientHandle } from './ambient/providers.js';
import type { Handle, OpenedTransaction, ParamBinding } from './handles.js';
import { isEmptyStub, where } from './handles.js';
import { isExported } from '../code/modules.js';
import { functionName, type OriginResolver, shortText } from '../code/origins.js';
import { skipOuter } from '../syntax/wrappers.js';
import { lookup } from '../code/scope.js';
import { judge, ROLE_NOTE, roleNote, withAwaitedSet } from './verdict.js';
import { Facts, type FactKind, Interner, TrackedMemo } from '../code/fixpoint.js';
import { selectedBy } from './providers/conditional.js';
import { declaredClassMethod } from './declared-methods.js';
import type { Carried, CarriedValue } from './context/trpc.js';
import { carriedVerdict } from './context/verdict.js';
import {
  type Denoted,
  denotedHelpers,
  type HelperValueDeps,
  isTestFile,
  type Made,
} from './providers/helper-values.js';
import { type CallerIndex, callerIndexFor, type KeptCallerIndex } from './caller-index.js';
import { type HandedTo, namedCallbackUses } from './named-callbacks.js';
import type { EffectRead } from './providers/effect-layers.js';

// Verdicts that need other functions. A write through a function's parameter is judged at
// every call of that function (across files in the walker), taking the worst; a write in a
// callback is judged by what the function it is passed to hands it (so scope helpers defined
// in the codebase are recognised, and checked, without configuration); a connection a
// closure captures is judged by its state where the closure is called.

export type SiteVerdict = Verdict & {
  /** The call path that leaves the write uncovered, e.g. ["src/jobs/a.ts:12 recordAudit(pool, …)"]. */
  callPath: string[];
  /** True when the verdict could not be decided from the files analysed (the plugin on one file). */
  deferred: boolean;
  /** True when the site's own file alone cannot decide it: only the walker, following callers, can. */
  crossFile?: boolean;
  /**
   * A plain parameter's write whose shape names no library (param-writes.ts), every call of which passes a value that
   * is no connection of that library: no write at all, so no site.
   */
  noWrite?: true;
  /** The helpers (`file:line`) an unscoped write's callback is handed to, innermost first (role-switch-note.ts). */
  passedTo?: string[];
  /**
   * The write runs only under the tests: every path to it passes through this function of test support, which only
   * tests call (`truncateAll` (…/testing/harness.ts:74)). The report sets it aside with the tests' writes.
   */
  testsOnly?: string;
};

export interface ProgramOptions {
  root: string;
  /** True when every caller is among the files (the walker); false for the single-file plugin. */
  wholeProgram: boolean;
  /** What the policies of a gated table ask of a write of some kinds (config.ts `writePolicies`). */
  policies: (table: string, kinds: readonly WriteKind[]) => WritePolicies;
  /** Roles that bypass RLS (superusers, BYPASSRLS), as far as the model knows. */
  bypassRoles?: ReadonlySet<string>;
  /** Tables whose policies key on the login role (current_user), with that policy. */
  roleKeyedTables?: ReadonlyMap<string, RoleKey>;
  /** The executor a container injects into a constructor parameter typed as a library's pool, if it is one. */
  injected?: (binding: ParamBinding, path: readonly (string | number)[], at: ts.Node) => Handle | undefined;
  /** Whether a function is a DI provider's factory, whose parameters the container fills (`injected`). */
  isFactory?: (fn: ts.Node) => boolean;
  /** What a `yield* Tag` of Effect's services is (providers/effect-layers.ts). */
  effectTag?: (read: ts.YieldExpression) => EffectRead | undefined;
  /** The fact engine to memoise settled verdicts in (the analysis shares one, to count its work). */
  facts?: Facts;
  /** Settles a write on an AsyncLocalStorage accessor over the roots that reach it (ambient/settle.ts). */
  /**
   * `pending` settles what the store holds when that is itself a parameter (a scope helper's callback's `tx`), at its
   * callers.
   */
  ambient?: (
    handle: AmbientHandle,
    at: ts.Node,
    table: string,
    pending: (v: LocalVerdict, at: ts.Node) => SiteVerdict,
    /** A transaction the write's function opens on what the store holds: a new one where that is a pool. */
    reframe?: Reframe,
    /** How the write writes the table: the policies of those commands judge it. */
    kinds?: readonly WriteKind[],
    /** A callback handed to a function the store holds: what that function does with it (`helperUses`). */
    helper?: HelperJudge,
  ) => SiteVerdict;
  /** The connection a field of an argument holds (`{ pgPool }` passed where the callee reads `opts.pgPool`). */
  memberOf?: (expr: ts.Expression, path: readonly (string | number)[]) => Handle;
  /**
   * The transactions a helper opens for its callback parameter through a library (`return db.transaction(fn)`), on the
   * path a call selects.
   */
  /**
   * The values a framework's request context carries into a callback's parameter (a tRPC
   * resolver's `ctx.db`: context/trpc.ts), undefined when the call is not such a framework's.
   */
  carried?: (call: ts.CallExpression, argIndex: number, paramIndex: number, path: readonly (string | number)[]) =>
    Carried | undefined;
  forwarded?: (
    helper: ts.FunctionLikeDeclaration,
    paramIndex: number,
    call: ts.CallExpression | undefined,
    binding: ParamBinding,
  ) => Handle[];
  /** Only these files' sites are settled (the others serve as callers and helpers); every file's when absent. */
  report?: ReadonlySet<ts.SourceFile>;
  /** The call graph to bring to the files (caller-index.ts `callerIndexFor`); one for `facts` when absent. */
  graph?: KeptCallerIndex;
}

interface Index extends CallerIndex {
  files: Set<ts.SourceFile>;
  origins: OriginResolver;
}

/**
 * What each value call denotes. In an editor session (the engine tracks dependencies) the answer
 * is remembered between analyses: it rests on facts, which the engine evicts when a file they
 * read changes, and on the callers of the functions whose parameters it followed, which are
 * gathered afresh from every file's call edges at each analysis: the answer is reused only while
 * each of those lists holds the same edges (a re-analysed file's edges are new objects).
 */
interface DenotedEntry {
  helpers: Denoted['helpers'];
  asked: [ts.FunctionLikeDeclaration, readonly CallEdge[]][];
}
const denotedMemos = new WeakMap<Facts, TrackedMemo<ts.CallExpression, DenotedEntry>>();

function valueCallsMemo(
  facts: Facts | undefined,
  deps: HelperValueDeps,
): (call: ts.CallExpression) => { helpers: Denoted['helpers']; asked: Iterable<ts.FunctionLikeDeclaration> } {
  if (!facts?.tracks) return (call) => ({ helpers: denotedHelpers(deps, call.expression).helpers, asked: [] });
  let memo = denotedMemos.get(facts);
  if (!memo) denotedMemos.set(facts, (memo = new TrackedMemo(facts)));
  const m = memo;
  const same = (a: readonly CallEdge[], b: readonly CallEdge[]): boolean =>
    a.length === b.length && a.every((e, i) => e === b[i]);
  const askedOf = (entry: DenotedEntry): ts.FunctionLikeDeclaration[] => entry.asked.map(([fn]) => fn);
  return (call) => {
    const hit = m.lookup(call);
    if (hit && hit.value.asked.every(([fn, edges]) => same(deps.callers(fn), edges)))
      return { helpers: hit.value.helpers, asked: askedOf(hit.value) };
    const asked: DenotedEntry['asked'] = [];
    const traced: HelperValueDeps = {
      ...deps,
      callers: (fn) => {
        const edges = deps.callers(fn);
        asked.push([fn, [...edges]]);
        return edges;
      },
    };
    const entry = m.compute(call, () => ({ helpers: denotedHelpers(traced, call.expression).helpers, asked }));
    return { helpers: entry.helpers, asked: askedOf(entry) };
  };
}

/** What each value call denotes (whole program), over these direct callers of each function. */
function denotedOver(
  origins: OriginResolver,
  options: Pick<ProgramOptions, 'root' | 'facts' | 'effectTag'>,
  callers: (fn: ts.FunctionLikeDeclaration) => CallEdge[],
): ReturnType<typeof valueCallsMemo> {
  const effectTag = options.effectTag;
  return valueCallsMemo(options.facts,
    { origins, root: options.root, callers, wholeProgram: true, ...(effectTag ? { effectTag } : {}) });
}

/**
 * The program's call graph (caller-index.ts) brought to these files: `options.graph`, or the session's kept one, or
 * (the command line) one built from scratch: one implementation, one update from empty.
 */
function callerIndex(
  files: readonly FileFacts[],
  origins: OriginResolver,
  options: Pick<ProgramOptions, 'root' | 'wholeProgram' | 'facts' | 'graph' | 'effectTag'>,
): KeptCallerIndex {
  const index =
    options.graph ?? callerIndexFor(options.facts ?? new Facts(), origins, options.root, options.wholeProgram);
  // What a value call denotes (`deps.detectConflicts(db, …)`, what a factory returned) is found over the direct edges
  // only, so the order files come in does not matter.
  const denoted = denotedOver(origins, options, (fn) => index.direct.get(fn) ?? []);
  index.update(files, (call) => {
    const d = denoted(call);
    return { fns: d.helpers.map((h) => h.fn), asked: d.asked };
  });
  return index;
}

/** The call graph of these files built from scratch, as the command line builds it (tests compare a kept one). */
export function freshCallerIndex(
  files: readonly FileFacts[],
  origins: OriginResolver,
  options: Pick<ProgramOptions, 'root' | 'wholeProgram'>,
): KeptCallerIndex {
  return callerIndex(files, origins, { root: options.root, wholeProgram: options.wholeProgram });
}

export function resolveVerdicts(
  files: FileFacts[],
  origins: OriginResolver,
  options: ProgramOptions,
): Map<RawSite, SiteVerdict> {
  const index: Index = { ...callerIndex(files, origins, options), files: new Set(files.map((f) => f.sf)), origins };
  const out = new Map<RawSite, SiteVerdict>();
  const memo = new SettleMemo(options.facts ?? new Facts());
  try {
    settleFiles(files, index, memo, options, out);
  } finally {
    memo.facts.dropKind(memo.kind as FactKind<unknown, unknown>);
  }
  return out;
}

function settleFiles(
  files: FileFacts[],
  index: Index,
  memo: SettleMemo,
  options: ProgramOptions,
  out: Map<RawSite, SiteVerdict>,
): void {
  for (const f of files) {
    if (options.report && !options.report.has(f.sf)) continue;
    let alone: Index | undefined;
    for (const site of f.sites) {
      const table = site.gatedTables[0] ?? '';
      const kinds = site.written?.[table] ?? [];
      const settler = new Settler(index, options, table, memo, f.sf, kinds);
      const reads = memo.facts.programReads;
      const local = site.shapeOnly ? shapeOnlyVerdict(site, site.shapeOnly) : site.verdict;
      // A copy: settled verdicts are shared between sites, and this one gets its own crossFile.
      const verdict = { ...settler.settle(local, new Set(), site.call) };
      if (verdict.noWrite) continue;
      // Settled through callers, an org-scope reading names the helper, not the sets: where every policy of a
      // command the write needs is role-specific, say so as judge() does.
      if ('pending' in site.verdict && verdict.coverage === 'org-scope' && !verdict.evidence.includes(ROLE_NOTE))
        verdict.evidence += roleNote(options.policies(table, kinds), undefined);
      // The plugin's question: could other files change this verdict? Then its project index decides.
      // So could they where it read a search over the program's files (a tRPC context factory, a NestJS provider:
      // Facts.readProgram), whatever that search found in this one; a write of no gated table excepted, whose verdict
      // is its tables' (its function's walk may have read one for another write).
      const notGated = !('pending' in site.verdict) && site.verdict.coverage === 'not-gated';
      if (!options.wholeProgram)
        verdict.crossFile =
          settler.foreign || (!!site.readsProgram && !notGated) || memo.facts.programReads !== reads;
      // Read from a member of an exported container: a module the plugin does not read may replace it.
      if (openRead(site.handle)) verdict.crossFile = true;
      if (options.wholeProgram && 'pending' in site.verdict) {
        // What the ESLint plugin, seeing only this file, would conclude: the parity contract.
        alone ??= {
          ...index,
          files: new Set([f.sf]),
          callers: groupBy(f.edges, (e) => e.callee),
          uses: groupBy(f.callbackUses, (u) => u.fn),
        };
        verdict.crossFile = new Settler(alone, { ...options, wholeProgram: false }, table, memo, f.sf, kinds).settle(
          local,
          new Set(),
          site.call,
        ).deferred;
      }
      out.set(site, verdict);
    }
  }
}

function groupBy<K, V>(values: readonly V[], key: (v: V) => K): Map<K, V[]> {
  const map = new Map<K, V[]>();
  for (const v of values) push(map, key(v), v);
  return map;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

const MAX_DEPTH = 12;

/** What `helperUses` checks: the callback a helper receives, and the executor the callback is handed. */
interface HelperUse {
  /** The helper's parameter that receives the callback. */
  paramIndex: number;
  /** The callback's parameter that receives the executor. */
  execIndex: number;
  /** What the evidence calls that executor. */
  subject: string;
  /** Helpers being checked already: a named helper's body is not verified again inside itself. */
  seen: Set<ts.Node>;
  /** How many helpers the callback has been forwarded through (bounded by MAX_DEPTH). */
  depth: number;
  /** A transaction-local set the callback's function made on the executor, pending its transaction. */
  awaits?: ContextEvidence;
  /** The callback's parameter: a callback handed on to a library's transaction method runs in it. */
  binding?: ParamBinding;
  /** The call of the helper, when known: only the uses on the path it selects count. */
  at?: ts.CallExpression;
  /** The field of the executor the write runs on (`opts.db`), when not the executor itself. */
  field?: readonly (string | number)[];
  /** The write runs in a transaction the callback opens on the executor (a new one where the helper passes a pool). */
  opened?: OpenedTransaction;
  /** A set after the write in that transaction (for the evidence where it is a new one). */
  setLater?: ContextEvidence;
  /** The call of the factory that made the helper, when it is a function a factory returned (helper-values.ts). */
  made?: Made;
  /** What the evidence calls the helper when it has no name (the request property an arrow was assigned to). */
  name?: string;
}

/**
 * What a write through a function's parameter (or captured connection) comes to, once per
 * function, parameter, table and view of the program: a chain of helpers each called from
 * several places is followed once per helper, not once per path through the chain.
 * Recursion is cut by the engine's in-progress marker (unresolved, as before).
 */
/** A pending write judged at its function's callers (an ambient one is judged at its roots instead). */
type CallerPending = Exclude<Pending, { kind: 'ambient' }>;

class SettleMemo {
  readonly keys = new Interner();
  readonly pending = new Map<object, { settler: Settler; p: CallerPending }>();
  /** Keys whose verdict depended on other files: a settler that reuses one inherits that. */
  readonly foreign = new Set<object>();
  /**
   * Transient (fixpoint.ts): its keys hold this analysis's index, so no later one reads them; in an editor's session
   * each lint's settled verdicts, and the dependency nodes of what they read, stayed in the engine (and held the
   * parses of files edited since).
   */
  readonly kind: FactKind<object, SiteVerdict> = {
    name: 'settle',
    transient: true,
    compute: (key) => {
      const { settler, p } = this.pending.get(key)!;
      const before = settler.foreign;
      settler.foreign = false;
      const verdict = settler.settlePending(p);
      if (settler.foreign) this.foreign.add(key);
      settler.foreign ||= before;
      return verdict;
    },
    conservative: (key, why) => {
      const { p } = this.pending.get(key)!;
      const anchor = p.kind === 'param' ? p.binding.fn : p.fn;
      return why === 'depth'
        ? {
            coverage: 'unresolved',
            via: null,
            evidence: `the connection passes through too many calls to reach \`${functionName(anchor)}\``,
            problem: 'budgetExceeded',
            callPath: [],
            deferred: false,
          }
        : {
            coverage: 'unresolved',
            via: null,
            evidence: `the connection reaches \`${functionName(anchor)}\` recursively`,
            problem: 'callersUnknown',
            callPath: [],
            deferred: false,
          };
    },
    same: (a, b) =>
      a.coverage === b.coverage &&
      a.via === b.via &&
      a.evidence === b.evidence &&
      a.deferred === b.deferred &&
      a.callPath.join('\n') === b.callPath.join('\n'),
  };

  constructor(readonly facts: Facts) {}
}

class Settler {
  /** The verdict of a write on this table over a connection in a state: judge() with the table's policies. */
  private judged(handle: Handle, state: ConnState): LocalVerdict {
    return judge(
      handle,
      state,
      this.options.root,
      this.table,
      this.options.policies(this.table, this.kinds),
      this.options.bypassRoles,
      this.options.roleKeyedTables?.get(this.table),
    );
  }

  /**
   * The verdict of a write in a transaction the function opens on what a caller passes (`openedOn`); an ambient
   * accessor's value is reframed per root, where the store's value is known.
   */
  private judgedOpened(
    passed: { handle: Handle; state: ConnState },
    opened: OpenedTransaction | undefined,
    setLater?: ContextEvidence,
  ): LocalVerdict {
    const given = openedOn(passed, opened, this.options.root, setLater);
    const v = this.judged(given.handle, given.state);
    if (opened && 'pending' in v && v.pending.kind === 'ambient') return { ...v, pending: { ...v.pending, opened } };
    return v;
  }

  /**
   * Set when the verdict depended on something other files could change (callers elsewhere, a helper defined
   * elsewhere).
   */
  foreign = false;

  constructor(
    private readonly index: Index,
    private readonly options: ProgramOptions,
    private readonly table: string,
    private readonly memo: SettleMemo,
    private readonly siteFile?: ts.SourceFile,
    /** How the write writes `table` (its operations): the policies of those commands judge it. */
    private readonly kinds: readonly WriteKind[] = [],
  ) {}

  /** The memoised part of `settle`: a pending verdict, whatever the path that reached it. */
  settlePending(p: CallerPending): SiteVerdict {
    const anchor = p.kind === 'param' ? p.binding.fn : p.fn;
    const next = new Set<ts.Node>([anchor]);
    // An inline plugin a framework registers (`app.register(async (app, opts) => …, { pgPool })`) has its call edge.
    if (
      p.kind === 'param' &&
      isInlineCallback(p.binding.fn) &&
      !this.index.callers.has(p.binding.fn as ts.FunctionLikeDeclaration)
    )
      return this.callback(p, next);
    // `const body = async (tx) => …; await withTenant(id, body)`: a callback of each helper it is handed to.
    const named = p.kind === 'param' && !this.index.callers.has(p.binding.fn as ts.FunctionLikeDeclaration)
      ? namedCallbackUses(p.binding.fn)
      : undefined;
    if (named && p.kind === 'param') return worstOf(named.map((use) => this.callback(p, next, use)))!;
    return this.callers(p, next);
  }

  /** `at`: where the connection is used (the write, or the call that passes it on). */
  settle(verdict: LocalVerdict, seen: Set<ts.Node>, at: ts.Node): SiteVerdict {
    if (!('pending' in verdict)) {
      const { verify, ...plain } = verdict;
      if (verify && !seen.has(verify.helper)) {
        // Trust a helper's name only as far as its body bears it out: a visible definition
        // that hands the callback a connection without org context is a bug in every caller.
        const checked = this.helperUses(verify.helper, {
          paramIndex: verify.paramIndex,
          execIndex: verify.execIndex,
          subject: `the executor ${verify.name} hands its callback`,
          seen: new Set([...seen, verify.helper]),
          depth: 0,
        });
        if (checked.coverage === 'unscoped')
          return { ...checked, crossFile: verify.helper.getSourceFile() !== this.siteFile };
      }
      return { ...plain, callPath: [], deferred: false };
    }
    let p = verdict.pending;
    if (p.kind === 'ambient') {
      // Which roots reach the write decides it: only the walker sees them all.
      if (!this.options.wholeProgram || !this.options.ambient) {
        this.foreign = true;
        return {
          coverage: 'unresolved',
          via: null,
          evidence: `runs on ${p.handle.label}, which is decided by the roots that reach it (only the whole-program ` +
            `audit follows them)`,
          problem: 'callersUnknown',
          callPath: [],
          deferred: true,
        };
      }
      const opened = p.opened;
      const reframe: Reframe | undefined = opened
        ? (handle, state) => openedOn({ handle, state }, opened, this.options.root)
        : undefined;
      // `req.tenantTransaction(async (client) => …)`: the function a path's middleware entered is a helper the
      // callback is handed to, judged as one called directly is.
      const helper: HelperJudge = (fn, back, name) =>
        this.helperUses(fn, {
          name,
          paramIndex: back.argIndex,
          execIndex: back.binding.index,
          subject: `\`${back.binding.name}\`, a parameter of a callback`,
          seen,
          depth: 0,
          binding: back.binding,
        });
      return this.options.ambient(
        p.handle,
        at,
        this.table,
        (v, node) => this.settle(v, seen, node),
        reframe,
        this.kinds,
        helper,
      );
    }
    // A transaction opened on a parameter declared with a library type, in a function nothing in the tree calls: the
    // new transaction of that type, as the declaration says (callers, when there are, decide instead). Not where the
    // container is seen to pass something else than that library's connection (mentingo's `@Inject(DB) db:
    // DatabasePg`, provided as `new PgDatabase(dialect, ownSession)`): what it passes decides, as for the parameter's
    // other writes, never the declaration.
    if (p.kind === 'param' && p.opened?.declared && this.uncalled(p.binding.fn as ts.FunctionLikeDeclaration) &&
      !overridesDeclared(this.injectedAt(p, at)))
      return this.settle(this.judged(this.withInjectedLogin(p, p.opened.declared, at), verdict.state), seen, at);
    // A container-made object whose injected client depends on the request's context (nestjs-cls): judged where the
    // write is, per root, not once per constructor.
    const injected = this.injectedAt(p, at);
    if (injected) {
      const opened = p.kind === 'param' ? p.opened : undefined;
      const v = this.judgedOpened({ handle: injected, state: freshState(injected) }, opened);
      return { ...this.settle(v, seen, at), callPath: [] };
    }
    const made = this.factoryMadeAt(p, at, seen);
    if (made) return made;
    // A write inside a runtime guard on the parameter (`typeof db.release === 'function'`) is reached only by callers
    // whose connection passes it.
    const narrowed =
      p.kind === 'param' && !p.path && contains(p.binding.fn, at)
        ? narrowingAt(at, p.binding, this.index.origins)
        : undefined;
    if (narrowed && p.kind === 'param') p = { ...p, narrowed };
    const subject = p.kind === 'param' ? p.binding.decl : p.key;
    const anchor = p.kind === 'param' ? p.binding.fn : p.fn;
    // A transaction-local set the function made on the caller's connection changes the verdict: part of the key.
    const key = this.memo.keys.key(
      this.index,
      this.options.wholeProgram,
      this.table,
      this.kinds.map(kindKey).join(','),
      this.siteFile,
      p.kind,
      anchor,
      subject,
      p.kind === 'param' ? p.binding.index : -1,
      p.awaitsTransaction?.at ?? null,
      p.kind === 'param' && p.path ? p.path.join('\u0000') : null,
      narrowed ?? null,
      p.kind === 'param' && p.fallback ? fallbackKey(p.fallback) : null,
      p.kind === 'param' && p.opened ? p.opened.at : null,
      p.kind === 'param' && p.setLater ? p.setLater.at : null,
      p.kind === 'param' && p.shapeOnly ? `${p.shapeOnly.library}\u0000${p.shapeOnly.table?.evidence ?? ''}` : null,
    );
    if (!this.memo.pending.has(key)) this.memo.pending.set(key, { settler: this, p });
    const settled = this.memo.facts.get(this.memo.kind, key);
    if (this.memo.foreign.has(key)) this.foreign = true;
    return settled;
  }

  /**
   * No call of `fn` in the tree (tests' calls left out for code that is not a test's), and none can be elsewhere: the
   * whole program is seen, or `fn` is not exported. An inline callback's caller is the function it is handed to.
   */
  private uncalled(fn: ts.FunctionLikeDeclaration): boolean {
    if (isInlineCallback(fn) || this.index.escaped.has(fn)) return false;
    if (!this.options.wholeProgram && isExportedFunction(fn)) return false;
    const inTest = isTestFile(fn, this.options.root);
    return !(this.index.callers.get(fn) ?? []).some((e) => inTest || !isTestFile(e.call, this.options.root));
  }

  /**
   * A transaction declared on an injected parameter runs on the client the container passes: the role that client
   * logs in as (read from the deployment files, deploy-login.ts) is the transaction's too.
   */
  private withInjectedLogin(p: Exclude<Pending, { kind: 'ambient' }>, declared: Handle, at: ts.Node): Handle {
    if (declared.kind !== 'executor' || declared.login) return declared;
    const injected = this.injectedAt(p, at);
    return injected?.kind === 'executor' && injected.login ? { ...declared, login: injected.login } : declared;
  }

  /**
   * Dependency injection: a constructor nobody calls, whose parameter the container fills (a library's pool by its
   * type, a token's provider: providers/nest-di.ts). Judged per site: a provider's client may depend on the request's
   * context (nestjs-cls) or on the kind of query (an extension hooking model operations only).
   */
  private injectedAt(p: Exclude<Pending, { kind: 'ambient' }>, at: ts.Node): Handle | undefined {
    if (p.kind !== 'param' || !this.options.injected) return undefined;
    const fn = p.binding.fn as ts.FunctionLikeDeclaration;
    // A provider's `useFactory` is called by the container with its `inject` tokens' values (providers/nest-di.ts).
    const factory = !ts.isConstructorDeclaration(fn) && !!this.options.isFactory?.(fn);
    if (!ts.isConstructorDeclaration(fn) && !factory) return undefined;
    // A test that builds the class by hand (`new InvoicingService(stripe, db, …)` in a spec) says nothing of who makes
    // it in production: the container, when no production code calls it (as callers() leaves tests' calls out).
    const inTest = isTestFile(fn, this.options.root);
    const calls = (this.index.callers.get(fn) ?? []).filter((e) => inTest || !isTestFile(e.call, this.options.root));
    if (calls.length || (!factory && this.index.escaped.has(fn))) return undefined;
    // Seeing one file, an exported class may be constructed elsewhere: its callers decide (callers() defers).
    if (!this.options.wholeProgram && isExportedFunction(fn)) return undefined;
    return this.options.injected(p.binding, p.path ?? [], at);
  }

  /**
   * A class built only inside DI provider factories (`useFactory: (db) => new Repo(db), inject: ['DB']`), handed the
   * factory's own parameter: the container makes it once, and the value of the injected token is used wherever its
   * methods run. Judged per site, as a constructor injected by token is (a request-context value, such as a proxy
   * over an AsyncLocalStorage, is settled by the routes that reach the write, not by the factory nobody calls);
   * the worst over the factories that build it.
   */
  private factoryMadeAt(
    p: Exclude<Pending, { kind: 'ambient' }>,
    at: ts.Node,
    seen: Set<ts.Node>,
  ): SiteVerdict | undefined {
    const isFactory = this.options.isFactory;
    if (p.kind !== 'param' || p.path?.length || p.fallback || !isFactory || !this.options.injected) return undefined;
    const fn = p.binding.fn as ts.FunctionLikeDeclaration;
    if (!ts.isConstructorDeclaration(fn) || this.index.escaped.has(fn)) return undefined;
    const given = this.factoryGiven(fn, p.binding.index, isFactory, 0);
    if (!given?.length) return undefined;
    const results: SiteVerdict[] = [];
    for (const { edge, binding } of given) {
      const h = this.options.injected(binding, [], at);
      if (!h) return undefined;
      const v = this.settle(this.judgedOpened({ handle: h, state: freshState(h) }, p.opened), seen, at);
      results.push({ ...v, callPath: [`${where(edge.call, this.options.root)} ${shortText(edge.call, 50)}`] });
    }
    const worst = worstOf(results)!;
    const name = functionName(fn);
    const ctor = `parameter \`${p.binding.name}\` of \`${name}\`, built by a provider factory at ${worst.callPath[0]}`;
    return { ...worst, evidence: `runs on ${ctor}: ${worst.evidence}`, callPath: [] };
  }

  /**
   * The provider factories' parameters that every production call of `fn` passes as its parameter `index`, directly
   * (`useFactory: (db) => new Repo(db)`) or through plain functions that hand their own parameter on
   * (`useFactory: (db) => createRepo(db)`, `createRepo(db)` returning `new Repo(db)`), with the call in the factory;
   * undefined when some call passes anything else, or a function on the way escapes (is called from unseen places).
   */
  private factoryGiven(
    fn: ts.FunctionLikeDeclaration,
    index: number,
    isFactory: (fn: ts.FunctionLikeDeclaration) => boolean,
    depth: number,
  ): { edge: CallEdge; binding: ParamBinding }[] | undefined {
    const edges = (this.index.callers.get(fn) ?? []).filter((e) => !isTestFile(e.call, this.options.root));
    if (!edges.length || depth > 3) return undefined;
    const given: { edge: CallEdge; binding: ParamBinding }[] = [];
    for (const edge of edges) {
      const passed = edge.args[index]?.handle;
      if (passed?.kind !== 'param' || passed.path?.length || passed.fallback) return undefined;
      const outer = passed.binding.fn as ts.FunctionLikeDeclaration;
      if (isFactory(outer)) {
        given.push({ edge, binding: passed.binding });
        continue;
      }
      if (ts.isConstructorDeclaration(outer) || this.index.escaped.has(outer)) return undefined;
      const further = this.factoryGiven(outer, passed.binding.index, isFactory, depth + 1);
      if (!further) return undefined;
      given.push(...further);
    }
    return given;
  }

  /** A write on a parameter or captured connection: judged at every call of the function. */
  private callers(p: Exclude<Pending, { kind: 'ambient' }>, seen: Set<ts.Node>): SiteVerdict {
    const fn = (p.kind === 'param' ? p.binding.fn : p.fn) as ts.FunctionLikeDeclaration;
    const name = functionName(fn);
    const field = p.kind === 'param' && p.path ? fieldText(p.path) : '';
    const paramName = p.kind === 'param' && ts.isIdentifier(p.binding.decl.name) ? p.binding.decl.name.text : undefined;
    const subject =
      p.kind === 'param'
        ? field
          ? `${paramName ? `\`${paramName}${field}\`, a field of` : `\`${p.binding.name}\`, destructured from`} ` +
            `parameter ${p.binding.index + 1} of \`${name}\``
          : `parameter \`${p.binding.name}\` of \`${name}\``
        : `a connection that \`${name}\` captures from its enclosing function`;
    const results: SiteVerdict[] = [];
    const calledAt: string[] = []; // `file:line` of the call each result judged, for the evidence's example
    // A test's call hands production code a test's connection: it says nothing of what production runs on (the
    // tests' own writes are set aside the same way, report/set-aside.ts).
    const all = this.index.callers.get(fn) ?? [];
    const inTest = isTestFile(fn, this.options.root);
    // Test support (a harness in `testing/` that empties every table) that only tests call: it runs only under the
    // tests, so their calls judge it, and its write is set aside with theirs.
    const support = !inTest && this.inTestSupport(fn);
    const onlyTests = support && all.length > 0 && all.every((e) => isTestFile(e.call, this.options.root));
    const edges = inTest || onlyTests ? all : all.filter((e) => !isTestFile(e.call, this.options.root));
    // Calls that pass an empty object as the connection (`{} as Db`, a warm-up's stub): a write through it throws
    // before any query is sent, so they add no case; counted, so a function given only stubs stays unresolved.
    let stubs = 0;
    // A write whose shape names no library (param-writes.ts): the calls passing no connection of it run no write.
    const only = p.kind === 'param' ? p.shapeOnly : undefined;
    const noConnection: string[] = [];
    for (const edge of edges) {
      const at = `${where(edge.call, this.options.root)} ${shortText(edge.call, 50)}`;
      let passed =
        p.kind === 'param'
          ? p.path
            ? p.fallback && leavesOutField(edge, p.binding.index, p.path)
              ? { handle: p.fallback, state: fallbackState(edge, p.fallback) }
              : this.fieldPassed(edge, p.binding.index, p.path)
            : p.fallback && leavesOut(edge.call, p.binding.index)
              ? { handle: p.fallback, state: fallbackState(edge, p.fallback) }
              : edge.args[p.binding.index]
          : { handle: p.handle, state: capturedState(edge, p.key) };
      // A recursive call handing the function its own parameter, untouched (`return retry(db, params)`): it runs on
      // what the outer callers passed, so it adds no case of its own.
      if (p.kind === 'param' && !p.path && passed && unchangedParam(passed, p.binding)) continue;
      if (p.kind === 'param' && p.fallback && passed) passed = handedOptional(passed, p.fallback);
      if (!passed && only && p.kind === 'param' && this.passesNoConnection(edge, p.binding.index, only.library)) {
        noConnection.push(at);
        continue;
      }
      // Under a test of the parameter's presence (`trx ? run(trx) : this.db.transaction(run)`): a call that leaves it
      // out never takes the branch, so it adds no case (a value not traced is still a case, below).
      if (!passed && p.kind === 'param' && p.narrowed === 'present' && !p.path) {
        const given = narrowedCall(edge, p.binding);
        if (given && passesNothing(given.call, given.index, given.param)) continue;
      }
      if (!passed) {
        results.push({
          coverage: 'unresolved',
          via: null,
          evidence: `${at} passes a value that is not a traceable connection`,
          problem: 'connectionUnknown',
          callPath: [at],
          deferred: false,
        });
        calledAt.push(where(edge.call, this.options.root));
        continue;
      }
      if (p.kind === 'param' && isEmptyStub(passed.handle)) {
        stubs++;
        continue;
      }
      if (p.kind === 'param' && !reaches(p.narrowed, passed.handle, narrowedCall(edge, p.binding))) continue;
      if (only && libraryFit(passed.handle, only.library) === 'no') {
        noConnection.push(at);
        continue;
      }
      if (openRead(passed.handle)) this.foreign = true;
      const opened = this.judgedOpened(
        { handle: passed.handle, state: withAwaitedSet(passed.state, p.awaitsTransaction) },
        p.kind === 'param' ? p.opened : undefined,
        p.kind === 'param' ? p.setLater : undefined,
      );
      // Handed on to another plain parameter: its own calls decide in turn whether it is a connection of the library.
      const carried =
        only && 'pending' in opened && opened.pending.kind === 'param'
          ? { ...opened, pending: { ...opened.pending, shapeOnly: { library: only.library } } }
          : opened;
      const settled = this.settle(carried, seen, edge.call);
      if (settled.noWrite) {
        noConnection.push(at);
        continue;
      }
      // A connection runs it, but its table is unknown: the write's own verdict, with the call that runs it.
      const inner: SiteVerdict = only?.table
        ? {
            ...only.table,
            evidence: `passes it a connection (${settled.coverage}), but ${only.table.evidence}`,
            callPath: settled.callPath,
            deferred: settled.deferred,
          }
        : settled;
      const elsewhere = inner.coverage === 'unscoped' ? scopedElsewhere(edge, passed.handle, this.options.root) : '';
      results.push({ ...inner, evidence: inner.evidence + elsewhere, callPath: [at, ...inner.callPath] });
      calledAt.push(where(edge.call, this.options.root));
    }
    const exported = isExportedFunction(fn);
    const escaped =
      this.index.escaped.has(fn) && !(this.options.wholeProgram && this.index.dispatched?.has(fn));
    const callersMayBeElsewhere = escaped || (!this.options.wholeProgram && (exported || p.kind === 'captured'));
    if (callersMayBeElsewhere) this.foreign = true;
    const worst = worstOf(results);
    // Set aside only when every path runs under the tests, through test support alone: a production caller (or a
    // production function between) keeps the write in the app's report, as a production function only tests call.
    const testsOnly =
      !support || escaped || callersMayBeElsewhere
        ? undefined
        : onlyTests
          ? `\`${name}\` (${where(fn, this.options.root)})`
          : results.length > 0 && results.every((r) => r.testsOnly)
            ? results[0]!.testsOnly
            : undefined;
    if (worst && (worst.coverage === 'unscoped' || !callersMayBeElsewhere)) {
      if (worst.coverage === 'unscoped' || worst.coverage === 'unresolved') {
        const { testsOnly: _worstOnly, ...rest } = worst;
        const evidence = `runs on ${subject}, and the call at ${worst.callPath[0]} ${worst.evidence}`;
        return { ...rest, evidence, ...(testsOnly ? { testsOnly } : {}) };
      }
      // A declared admin passed on through another helper's parameter stays declared in that helper's summary.
      const declaredIn = results.find((r) => r.coverage === 'admin-pool' && r.declaredIn)?.declaredIn;
      return {
        coverage: worst.coverage,
        via: joinVias(results, worst),
        ...(declaredIn ? { declaredIn } : {}),
        evidence: coveredCallsEvidence(
          subject,
          results.map((r, i) => ({
            at: calledAt[i]!,
            coverage: r.coverage,
            via: r.via,
            ...(r.declaredIn ? { declaredIn: r.declaredIn } : {}),
          })),
          stubs,
        ),
        callPath: [],
        deferred: false,
        ...(testsOnly ? { testsOnly } : {}),
      };
    }
    if (!this.options.wholeProgram && callersMayBeElsewhere) {
      return {
        coverage: 'unresolved',
        via: null,
        evidence: `runs on ${subject}, whose callers are in other files`,
        problem: 'callersUnknown',
        callPath: [],
        deferred: true,
      };
    }
    if (only && noConnection.length > 0 && results.length === 0 && stubs === 0 && !escaped)
      return {
        coverage: 'unresolved',
        via: null,
        evidence: `every call of \`${name}\` passes ${subject} a value that is no connection of ${only.library}: ` +
          noConnection[0],
        problem: 'connectionUnknown',
        callPath: [],
        deferred: false,
        noWrite: true,
      };
    const why = escaped
      ? `\`${name}\` is passed around as a value, so its callers cannot be followed`
      : stubs > 0 && stubs === edges.length
        ? `every call of \`${name}\` passes an empty object (a stub) for it`
      : edges.length < all.length
        ? `\`${name}\` is called only from tests`
        : `no call of \`${name}\` was found in the audited files (audit the package that calls it together with ` +
          `this one, or declare the connection it is given: see docs/config.md; code nothing calls can be removed)`;
    return {
      coverage: 'unresolved',
      via: null,
      evidence: `runs on ${subject}, and ${why}${only?.table ? `; ${only.table.evidence}` : ''}`,
      problem: 'callersUnknown',
      callPath: [],
      deferred: false,
    };
  }

  /** Whether a function's file is in a folder of test support (set-aside.ts: `testing/`, `test-utils/` …). */
  private inTestSupport(fn: ts.FunctionLikeDeclaration): boolean {
    return inTestSupport(path.relative(this.options.root, fn.getSourceFile().fileName).split(path.sep).join('/'));
  }

  /** Whether a call's argument, which the call graph holds no connection for, is a value of no connection. */
  private passesNoConnection(edge: CallEdge, index: number, library: string): boolean {
    const arg = (edge.argExprs ?? edge.call.arguments ?? [])[index];
    const handle = arg && this.options.memberOf?.(arg, []);
    return !!handle && libraryFit(handle, library) === 'no';
  }

  /** The member a call's argument holds at a parameter's field path, with its state at the call. */
  private fieldPassed(
    edge: CallEdge,
    index: number,
    path: readonly (string | number)[],
  ): { handle: Handle; state: ConnState } | null {
    const arg = (edge.argExprs ?? edge.call.arguments ?? [])[index];
    if (!arg || !this.options.memberOf) return null;
    const handle = this.options.memberOf(arg, path);
    if (handle.kind === 'library') return null;
    if (isEmptyStub(handle)) return { handle, state: freshState(handle) };
    if (handle.kind === 'not-db')
      return {
        handle: { kind: 'unknown', reason: `\`${shortText(arg, 40)}${fieldText(path)}\` is ${handle.reason}` },
        state: freshState(handle),
      };
    const key = connectionKey(handle);
    return { handle, state: (key && edge.states.get(key)) || freshState(handle) };
  }

  /**
   * A write on a callback's parameter: judged by what the function receiving the callback
   * passes it. This recognises scope helpers defined in the codebase, and checks them.
   */
  private callback(p: Extract<Pending, { kind: 'param' }>, seen: Set<ts.Node>, use?: HandedTo): SiteVerdict {
    const fn = p.binding.fn as ts.FunctionLikeDeclaration;
    let call: ts.Node = use?.call ?? fn.parent;
    while (ts.isParenthesizedExpression(call) || ts.isAsExpression(call)) call = call.parent;
    const subject = `\`${p.binding.name}\`, a parameter of a callback`;
    if (!ts.isCallExpression(call)) return unresolved(`${subject} that is constructed, not called`, 'helperUnknown');
    const argIndex = use ? call.arguments.indexOf(use.arg) : call.arguments.findIndex((a) => skipOuter(a) === fn);
    const fromCallback: HelperUse = {
      paramIndex: argIndex,
      execIndex: p.binding.index,
      subject,
      seen,
      depth: 0,
      awaits: p.awaitsTransaction,
      binding: p.binding,
      field: p.path,
      ...(p.opened ? { opened: p.opened } : {}),
      ...(p.setLater ? { setLater: p.setLater } : {}),
    };
    const receiver = this.index.origins.expr(call.expression);
    const callee = shortText(call.expression, 40);
    const chosen = receiver.kind === 'expr' ? skipOuter(receiver.expr) : undefined;
    if (chosen && ts.isConditionalExpression(chosen)) {
      // `const run = userId ? (fn) => withRls(userId, fn) : (fn) => db.transaction(fn)`: either
      // helper may run the callback, so the worse one decides.
      const branches = [chosen.whenTrue, chosen.whenFalse].map((b) => {
        const o = this.index.origins.expr(b);
        return o.kind === 'function'
          ? this.helperUses(o.decl, { ...fromCallback, at: undefined })
          : unresolved(
              `${subject} passed to \`${callee}\`, one branch of which rls-guard cannot see into`,
              'helperUnknown',
            );
      });
      return worstOf(branches)!;
    }
    // `this.db.withTenant(…)` with `db: TenantDb` a parameter: the method of its declared class.
    const target = receiver.kind === 'function' ? receiver : declaredClassMethod(this.index.origins, receiver);
    const carried =
      receiver.kind !== 'function' &&
      this.options.carried?.(call, argIndex, p.binding.index, p.path ?? p.binding.path);
    if (carried)
      return carriedVerdict(carried, (v) =>
        this.settle(this.judgedOpened(carriedConnection(v, this.options.root), p.opened), seen, call),
      );
    if (!target) {
      // A helper a factory made, a parameter or a field of one: the functions it can be.
      const valued = this.valueHelpers(call, argIndex, p, subject, seen, 0);
      if (valued) return valued;
      return unresolved(
        `${subject} passed to \`${callee}\`, which rls-guard cannot see into; if it runs its callback in an ` +
        `org-scoped transaction, add it to "scopeHelpers" in the config`,
        'helperUnknown',
      );
    }
    return this.helperUses(target.decl, { ...fromCallback, at: call });
  }

  /**
   * A callback passed to a callee that is a value (a helper a factory made, a parameter or a field holding one): judged
   * in every function the callee can be, the worst first; undefined when it can be none rls-guard follows.
   */
  private valueHelpers(
    call: ts.CallExpression,
    argIndex: number,
    p: {
      binding?: ParamBinding;
      awaitsTransaction?: ContextEvidence;
      path?: readonly (string | number)[];
      opened?: OpenedTransaction;
    },
    subject: string,
    seen: Set<ts.Node>,
    depth: number,
    made?: Made,
    execIndex = p.binding?.index ?? 0,
  ): SiteVerdict | undefined {
    const denoted = denotedHelpers(
      {
        origins: this.index.origins,
        root: this.options.root,
        callers: (fn) => this.index.callers.get(fn) ?? [],
        wholeProgram: this.options.wholeProgram,
        ...(this.options.effectTag ? { effectTag: this.options.effectTag } : {}),
      },
      call.expression,
      made,
    );
    if (denoted.helpers.length === 0) {
      if (denoted.foreign) {
        this.foreign = true;
        return { ...unresolved(`${subject} passed to \`${shortText(call.expression, 40)}\`, whose value comes from ` +
          'callers in other files', 'callersUnknown'), deferred: true };
      }
      // Nothing found and no reason why: the caller's generic message.
      if (denoted.gaps.length === 0) return undefined;
    }
    if (denoted.foreign) this.foreign = true;
    const callee = shortText(call.expression, 40);
    const results = denoted.helpers.map((h) => {
      const verdict = this.helperUses(h.fn, {
        paramIndex: argIndex,
        execIndex,
        subject,
        seen,
        depth: depth + 1,
        awaits: p.awaitsTransaction,
        binding: p.binding,
        at: call,
        field: p.path,
        made: h.made,
        ...(p.opened ? { opened: p.opened } : {}),
      });
      if (h.chain.length === 0 || verdict.coverage === 'unresolved' || verdict.coverage === 'unscoped') return verdict;
      // A helper a factory returns has no name of its own: the callee names it.
      const named = functionName(h.fn);
      const maker = h.made ? `${functionName(h.made.fn)}() returns` : 'it holds';
      const what = named === '<anonymous>' ? `the function ${maker}` : `\`${named}\``;
      return {
        ...verdict,
        via: verdict.via === '<anonymous>' ? (h.made ? `${functionName(h.made.fn)}()` : callee) : verdict.via,
        evidence: `${verdict.evidence} (\`${callee}\` is ${what}, reached through ${h.chain.join(' ← ')})`,
      };
    });
    for (const gap of denoted.gaps)
      results.push(unresolved(`${subject} passed to \`${callee}\`, which may be a value rls-guard cannot follow ` +
        `(${gap}); if it runs its callback in an org-scoped transaction, add it to "scopeHelpers" in the config`,
        'helperUnknown'));
    return worstOf(results);
  }

  /** What a helper does with the callback it is handed (see HelperUse): the worst of its calls of it. */
  private helperUses(helper: ts.FunctionLikeDeclaration, ask: HelperUse): SiteVerdict {
    const { paramIndex, execIndex, subject, seen, depth, awaits, binding, at, field, made, opened, setLater } = ask;
    const name = ask.name ?? functionName(helper);
    if (!this.index.files.has(helper.getSourceFile())) {
      this.foreign = true;
      if (!this.options.wholeProgram)
        return {
          ...unresolved(`${subject} passed to \`${name}\`, defined in another file`, 'helperUnknown'),
          deferred: true,
        };
      return unresolved(`${subject} passed to \`${name}\`, which is outside the audited files`, 'helperUnknown');
    }
    if (depth > MAX_DEPTH) return unresolved(`${subject} is forwarded through too many helpers`, 'budgetExceeded');
    // Only the uses on the path this call selects (a guard on a missing argument), when known.
    const uses = (this.index.uses.get(helper) ?? []).filter(
      (u) => u.paramIndex === paramIndex && selectedBy(helper, u.call, at),
    );
    const results: SiteVerdict[] = [];
    // A callback handed on to a library's transaction method runs in that transaction.
    for (const handle of binding && execIndex === 0 && !field
      ? (this.options.forwarded?.(helper, paramIndex, at, binding) ?? [])
      : []) {
      const inner = this.settle(
        this.judged(handle, withAwaitedSet(freshState(handle), awaits)),
        seen,
        at ?? helper,
      );
      results.push({
        ...inner,
        callPath: [`${where(helper, this.options.root)} ${functionName(helper)}`, ...inner.callPath],
      });
    }
    for (const use of uses) {
      const at = `${where(use.call, this.options.root)} ${shortText(use.call, 50)}`;
      if (use.kind === 'forward-helper') {
        results.push({
          coverage: 'org-scope',
          via: use.helper,
          evidence: `\`${name}\` hands the callback to ${use.helper}`,
          callPath: [],
          deferred: false,
        });
      } else if (use.kind === 'forward') {
        results.push(
          this.helperUses(use.to, {
            ...ask,
            paramIndex: use.argIndex,
            depth: depth + 1,
            at: undefined,
            name: undefined,
          }),
        );
      } else if (use.kind === 'forward-value') {
        const p = { binding, awaitsTransaction: awaits, path: field, opened };
        results.push(
          this.valueHelpers(use.call, use.argIndex, p, subject, seen, depth + 1, made, execIndex) ??
            unresolved(`\`${name}\` hands the callback to \`${shortText(use.call.expression, 40)}\`, which rls-guard ` +
              'cannot follow', 'helperUnknown'),
        );
      } else {
        const passed = field
          ? this.fieldPassed(
              { call: use.call, callee: helper, args: use.args, states: use.states ?? new Map(), root: undefined },
              execIndex,
              field,
            )
          : use.args[execIndex];
        if (!passed) {
          results.push({
            coverage: 'unresolved',
            via: null,
            evidence: `${at} passes the callback a value that is not a traceable connection`,
            problem: 'connectionUnknown',
            callPath: [at],
            deferred: false,
          });
          continue;
        }
        // The callback may run on the helper's own parameter (`cb(conn)`): its callers decide that
        // (a pending verdict, memoised by the engine, which cuts recursion); `seen` only keeps a
        // named helper's body from being verified again inside itself.
        const passedIn = { handle: passed.handle, state: withAwaitedSet(passed.state, awaits) };
        const within = new Set([...seen, helper, use.call]);
        const inner = this.settle(this.judgedOpened(passedIn, opened, setLater), within, use.call);
        results.push({ ...inner, callPath: [at, ...inner.callPath] });
      }
    }
    const worst = worstOf(results);
    if (!worst) {
      const evidence = `${subject} passed to \`${name}\`, which never calls it where rls-guard can see`;
      return unresolved(evidence, 'helperUnknown');
    }
    if (worst.coverage === 'unscoped' || worst.coverage === 'unresolved') {
      // The inner verdict either says what the connection runs on (`runs on pooled client …`) or why it cannot say.
      const there = /^(runs|sets) /.test(worst.evidence)
        ? `on a connection that ${worst.evidence}`
        : `where ${worst.evidence}`;
      const hint = worst.problem === 'connectionUnknown' ? declarationHint(helper, name, paramIndex, execIndex) : '';
      return {
        ...worst,
        evidence: `runs on ${subject} passed to \`${name}\` (${where(helper, this.options.root)}), which calls it at ` +
          `${worst.callPath[0] ?? 'a call'} ${there}${hint}`,
        passedTo: [...(worst.passedTo ?? []), where(helper, this.options.root)],
      };
    }
    if (worst.deferred) return worst;
    // An inferred scope helper: named by the function that provides the transaction.
    const via = results.every((r) => r.via && !r.via.startsWith('transaction ')) ? joinVias(results, worst) : name;
    // Covered, but not by an org context (an admin connection, a bypass switch): the inner verdict says by what.
    const how =
      worst.coverage === 'org-scope'
        ? 'which runs it in a transaction with the org context set'
        : `which calls it at ${worst.callPath[0] ?? 'a call'} where ${worst.evidence}`;
    return {
      coverage: worst.coverage,
      via,
      evidence: `runs on ${subject} passed to \`${name}\` (${where(helper, this.options.root)}), ${how}`,
      callPath: [],
      deferred: false,
    };
  }
}

/**
 * How to declare a named helper whose callback gets a connection rls-guard cannot trace (supabase/storage's
 * `runQuery(name, fn)`, whose `tnx` comes from an executor interface): the config entry that makes it a scope helper,
 * for a function or class method matched by its name. A function reached only as a value (a Layer's or a factory's
 * object-literal method) gets none: a name such as `query` would match every library's `query` too.
 */
function declarationHint(helper: ts.FunctionLikeDeclaration, name: string, callbackArg: number, executorParam: number) {
  const named = ts.isFunctionDeclaration(helper) || (ts.isMethodDeclaration(helper) && ts.isClassLike(helper.parent));
  // An object's method (latitude's `SqlClientLive` Layer value): no entry can name it, so say what accepts the write.
  const ofObject =
    ts.isObjectLiteralExpression(helper.parent) ||
    (ts.isPropertyAssignment(helper.parent) && ts.isObjectLiteralExpression(helper.parent.parent));
  if (!named && ofObject && /^[A-Za-z_$][\w$]*$/.test(name))
    return `; \`${name}\` is a method of an object, which no "scopeHelpers" entry can name (it would match every ` +
      `library's \`${name}\` too): where its callback does run org-scoped, accept the write with ` +
      `\`// rls-guard-ignore-next-line no-unresolved-write -- <why>\``;
  if (!named || !/^[A-Za-z_$][\w$]*$/.test(name)) return '';
  const param = executorParam === 0 ? '' : `, "executorParam": ${executorParam}`;
  return `; if \`${name}\` runs its callback in an org-scoped transaction, declare it: "scopeHelpers": ` +
    `[{ "name": "${name}", "callbackArg": ${callbackArg}${param} }]`;
}

/**
 * What a transaction opened on a parameter runs on, given what a call passes for it: a savepoint of the caller's
 * transaction (its context carries in), the caller's own parameter opening it in turn (its callers decide), or a new
 * transaction of the caller's pool or plain connection, which no context carries into (the callback's own sets, made
 * before the write, were counted where it is).
 */
function openedOn(
  passed: { handle: Handle; state: ConnState },
  opened: OpenedTransaction | undefined,
  root: string,
  setLater?: ContextEvidence,
): { handle: Handle; state: ConnState } {
  const { handle, state } = passed;
  if (!opened) return passed;
  if (handle.kind === 'param') return { handle: { ...handle, opened: handle.opened ?? opened }, state };
  if (handle.kind !== 'executor' || state.tx !== false) return passed;
  return {
    handle: {
      ...handle,
      exec: handle.exec === 'pool' ? 'client' : handle.exec,
      ...(handle.exec === 'pool' ? { pooled: true as const } : {}),
      transaction: opened.transaction,
      label: `the transaction ${opened.transaction} opens at ${where(opened.at, root)} on ${handle.label}`,
    },
    state: { ...state, tx: true, ctx: null, ...(setLater ? { setLater } : {}) },
  };
}

/**
 * The connection a request context carries into a resolver, in the state the middleware handed it on in: a transaction
 * the middleware opened on the value carried into it is that value's (openedOn), and what the middleware's flow did in
 * it before `next(…)` (its set_config) applies on top.
 */
function carriedConnection(v: CarriedValue, root: string): { handle: Handle; state: ConnState } {
  const base = v.over
    ? openedOn(carriedConnection(v.over.incoming, root), v.over.opened, root)
    : { handle: v.handle, state: freshState(v.handle) };
  return { handle: base.handle, state: handedOn(base.state, v.state) };
}

/** What a function of the codebase does with a callback handed to it at `back.argIndex` (`helperUses`). */
export type HelperJudge = (
  fn: ts.FunctionLikeDeclaration,
  back: NonNullable<AmbientHandle['calledBack']>,
  name: string,
) => SiteVerdict;

/** What a connection comes to inside a transaction opened on it (openedOn), for the ambient settler. */
export type Reframe = (handle: Handle, state: ConnState) => { handle: Handle; state: ConnState };

/** The parameter itself, in the state it arrived in (no transaction opened or ended, nothing set, no role). */
function unchangedParam(passed: { handle: Handle; state: ConnState }, binding: ParamBinding): boolean {
  const st = passed.state;
  return (
    passed.handle.kind === 'param' &&
    passed.handle.binding.decl === binding.decl &&
    !passed.handle.path &&
    st.tx === 'inherited' &&
    st.ctx === 'inherited' &&
    !st.session &&
    !st.ineffective &&
    !st.role &&
    !st.released
  );
}

function capturedState(edge: CallEdge, key: ts.Node): ConnState {
  const known = edge.states.get(key);
  if (known) return { ...known };
  if (
    edge.root &&
    !(key.pos >= edge.root.pos && key.end <= edge.root.end && key.getSourceFile() === edge.root.getSourceFile())
  ) {
    return { tx: 'inherited', ctx: 'inherited', session: null, ineffective: null, capturedBy: edge.root };
  }
  return { tx: false, ctx: null, session: null, ineffective: null };
}

/** An unresolved verdict; most of this module's are callbacks handed to a function it cannot see into. */
function unresolved(evidence: string, problem: UnresolvedProblem): SiteVerdict {
  return { coverage: 'unresolved', via: null, evidence, problem, callPath: [], deferred: false };
}

function worstOf(results: SiteVerdict[]): SiteVerdict | undefined {
  const worst = results.reduce<SiteVerdict | undefined>((w, v) => (!w || rank(v) < rank(w) ? v : w), undefined);
  // Only the tests reach the write when every path does (`testsOnly`): one path of the app's keeps it in the report.
  if (!worst?.testsOnly || results.every((r) => r.testsOnly)) return worst;
  const { testsOnly: _some, ...kept } = worst;
  return kept;
}

function joinVias(results: SiteVerdict[], worst: SiteVerdict): string | null {
  const vias = [...new Set(results.map((r) => r.via).filter((v): v is string => !!v))];
  return vias.join(', ') || worst.via;
}

function isExportedFunction(fn: ts.FunctionLikeDeclaration): boolean {
  const name = functionName(fn);
  if (name === '<anonymous>') return true;
  if (ts.isMethodDeclaration(fn) || ts.isConstructorDeclaration(fn)) return true;
  const sf = fn.getSourceFile();
  return (
    isExported(sf, name) ||
    (ts.isFunctionDeclaration(fn) && !!ts.getModifiers(fn)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) ||
    exportedWrapped(sf, name)
  );
}

/**
 * `export default fp(routes)`: the function leaves the module inside a wrapper's result, so its callers may be in other
 * files.
 */
function exportedWrapped(sf: ts.SourceFile, name: string): boolean {
  const wraps = (e: ts.Expression | undefined): boolean => {
    const x = e && skipOuter(e);
    return (
      !!x &&
      ts.isCallExpression(x) &&
      x.arguments.some((a) => ts.isIdentifier(skipOuter(a)) && (skipOuter(a) as ts.Identifier).text === name)
    );
  };
  return sf.statements.some(
    (st) =>
      (ts.isExportAssignment(st) && wraps(st.expression)) ||
      (ts.isVariableStatement(st) &&
        !!ts.getModifiers(st)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) &&
        st.declarationList.declarations.some((d) => wraps(d.initializer))),
  );
}

export type { Handle };

function contains(outer: ts.Node, inner: ts.Node): boolean {
  return outer.getSourceFile() === inner.getSourceFile() && inner.pos >= outer.pos && inner.end <= outer.end;
}

/** A connection read from a member of an exported container object (providers/replaced-members.ts). */
function openRead(h: Handle): boolean {
  return (h.kind === 'executor' || h.kind === 'scoped' || h.kind === 'admin') && h.open !== undefined;
}

/** A call that leaves a parameter out: fewer arguments (and no spread), or `undefined` in its place. */
function leavesOut(call: ts.CallExpression | ts.NewExpression, index: number): boolean {
  const args = call.arguments ?? [];
  if (args.some((a) => ts.isSpreadElement(a))) return false;
  const arg = args[index];
  if (!arg) return true;
  const a = skipOuter(arg);
  return (ts.isIdentifier(a) && a.text === 'undefined' && !lookup(a)) || ts.isVoidExpression(a);
}

/**
 * Whether a call's object literal leaves out the field `input.tx ?? db` reads (no such property, or `tx: undefined`).
 * Anything else (a spread, a variable holding the object) is not known to leave it out: the field as passed decides.
 */
function leavesOutField(edge: CallEdge, index: number, path: readonly (string | number)[]): boolean {
  const arg = (edge.argExprs ?? edge.call.arguments ?? [])[index];
  if (!arg || path.length !== 1) return false;
  const o = skipOuter(arg);
  if (!ts.isObjectLiteralExpression(o) || o.properties.some((p) => ts.isSpreadAssignment(p))) return false;
  const prop = o.properties.find(
    (p) => p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) && p.name.text === path[0],
  );
  // A computed key may be the field: not known to leave it out.
  if (!prop && o.properties.some((p) => p.name && ts.isComputedPropertyName(p.name))) return false;
  if (!prop) return true;
  if (!ts.isPropertyAssignment(prop)) return false;
  const value = skipOuter(prop.initializer);
  return (ts.isIdentifier(value) && value.text === 'undefined' && !lookup(value)) || ts.isVoidExpression(value);
}

/**
 * A value the container passes that is no connection of a library rls-guard knows (an object of it, a value, or a
 * library's executor class the code makes over its own session).
 */
/** The call and parameter a narrowing by presence reads (guards.ts `reaches`). */
function narrowedCall(edge: CallEdge, binding: ParamBinding) {
  return ts.isCallExpression(edge.call) && ts.isParameter(binding.decl)
    ? { call: edge.call, index: binding.index, param: binding.decl }
    : undefined;
}

function noConnection(h: Handle | undefined): boolean {
  return h?.kind === 'not-db' || h?.kind === 'library' || (h?.kind === 'unknown' && !!h.madeByCode);
}

/**
 * What the container passes decides a transaction opened on the injected parameter, not its declared type: no known
 * connection (above), or a connection that scopes every statement itself (a database over a session class of the code
 * that states the org, scoping-sessions.ts), whose `transaction` is its own, not the declared library's.
 */
function overridesDeclared(h: Handle | undefined): boolean {
  return noConnection(h) || h?.kind === 'scoped';
}

/**
 * The caller's own optional parameter handed to one with a default (`f(trx?: Db) { return repo.save(x, trx) }`,
 * `save(x, conn: Db = this.db)`): where the caller's callers leave it out, `undefined` reaches the callee and its
 * default runs the write, so the caller's parameter carries that default as its fallback (mentingo).
 */
function handedOptional(passed: { handle: Handle; state: ConnState }, fallback: Handle) {
  const h = passed.handle;
  if (h.kind !== 'param' || h.fallback || h.path?.length || h.binding.path.length) return passed;
  const decl = h.binding.decl;
  const undefinedDefault = decl.initializer && skipOuter(decl.initializer).getText() === 'undefined';
  if (!decl.questionToken && !undefinedDefault) return passed;
  const other = 'label' in fallback ? fallback.label : 'the default of the parameter it is handed to';
  return { ...passed, handle: { ...h, fallback, label: `${h.label}, or ${other} where a call does not pass it` } };
}

/** The state of `trx ?? db`'s `db` where a call leaves `trx` out: the caller's, as it stood at the call. */
function fallbackState(edge: CallEdge, fallback: Handle): ConnState {
  const key = connectionKey(fallback);
  return (key && edge.states.get(key)) || freshState(fallback);
}

/** What tells two `trx ?? db` fallbacks apart in the memo's key: the connection's node. */
function fallbackKey(fallback: Handle): ts.Node | null {
  return connectionKey(fallback) ?? ('key' in fallback ? fallback.key : null);
}
