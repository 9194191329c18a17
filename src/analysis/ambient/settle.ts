import path from 'node:path';
import ts from '../../ts.js';
import type { AnalysisConfig } from '../config.js';
import { matchesSpec, type WriteKind, writePolicies } from '../config.js';
import type { ConnState, FileFacts, LocalVerdict, Verdict } from '../facts.js';
import { rank } from '../write-sites.js';
import { connectionKey, freshState } from '../connection-state.js';
import { type Handle, type HandleResolver, where } from '../handles.js';
import type { OriginResolver } from '../../code/origins.js';
import { functionName, shortText } from '../../code/origins.js';
import type { HelperJudge, Reframe, SiteVerdict } from '../program.js';
import { EntryPoints, type Root } from '../roots/entry-points.js';
import { isFunctionLike, lookup } from '../../code/scope.js';
import { skipOuter } from '../../syntax/wrappers.js';
import { judge } from '../verdict.js';
import type { AmbientHandle } from './providers.js';
import { type Ctx, type Entry, lacks, MAX_ROOTS, Reach } from './reach.js';
import { isPrimaryVariant } from '../context/replicas.js';
import { ownConnectionState } from '../adapter-calls.js';
import { bindingsOf, builderCallOf, templateKind, throughBindings } from '../table-builders.js';
import { isTestFile } from '../providers/helper-values.js';
import type { KeptCallerIndex } from '../caller-index.js';
import { returnedExpressions } from '../../code/own-returns.js';

// A write through an ambient accessor is judged once per distinct context that reaches it
// (which stores the path entered, and with what), and takes the worst; the evidence names
// the root and call path of the worst, and counts the roots behind the others.

export interface AmbientDeps {
  files: readonly FileFacts[];
  origins: OriginResolver;
  handles: HandleResolver;
  config: AnalysisConfig;
  root: string;
  /** The program's call graph (caller-index.ts), which resolveVerdicts brings to `files` before settling a write. */
  graph: Pick<KeptCallerIndex, 'files' | 'direct' | 'directFrom' | 'escaped' | 'escapesOf'>;
  /** A function's flow read on its own, for the state at one node (flow.ts `bodyStateAt`). */
  stateAt?: (fn: ts.FunctionLikeDeclaration, node: ts.Node) => Map<ts.Node, ConnState> | undefined;
}

export class AmbientSettler {
  private reach: Reach | undefined;
  /** Connection states where each store was entered (recorded by the flow walk). */
  private readonly entered = new Map<ts.Expression, Map<ts.Node, ConnState>>();

  constructor(private readonly deps: AmbientDeps) {}

  /**
   * Settles what the store holds when it is a parameter (`tx` of a scope helper's callback), at that function's
   * callers.
   */
  private pending: ((v: LocalVerdict, at: ts.Node) => SiteVerdict) | undefined;
  /** A transaction the write's function opens on what the store holds (program.ts `openedOn`). */
  private reframe: Reframe | undefined;
  /** How the write being settled writes its table. */
  private kinds: readonly WriteKind[] = [];
  /** What a function of the codebase does with a callback handed to it (program.ts `helperUses`). */
  private helper: HelperJudge | undefined;

  settle(
    h: AmbientHandle,
    at: ts.Node,
    table: string,
    pending?: (v: LocalVerdict, at: ts.Node) => SiteVerdict,
    reframe?: Reframe,
    /** How the write writes `table` (its operations): the policies of those commands judge it. */
    kinds: readonly WriteKind[] = [],
    /** A callback handed to a function the store holds: what that function does with it. */
    helper?: HelperJudge,
  ): SiteVerdict {
    // Settling a pending value may settle another ambient write: each keeps its own.
    const outer = { pending: this.pending, reframe: this.reframe, kinds: this.kinds, helper: this.helper };
    try {
      this.kinds = kinds;
      this.helper = helper;
      return this.settleIn(h, at, table, pending, reframe);
    } finally {
      this.pending = outer.pending;
      this.reframe = outer.reframe;
      this.kinds = outer.kinds;
      this.helper = outer.helper;
    }
  }

  private settleIn(
    h: AmbientHandle,
    at: ts.Node,
    table: string,
    pending: ((v: LocalVerdict, at: ts.Node) => SiteVerdict) | undefined,
    reframe: Reframe | undefined,
  ): SiteVerdict {
    this.pending = pending;
    this.reframe = reframe;
    const reach = (this.reach ??= this.build());
    const reaching = reach.of(reach.container(at));
    // A guard before the write (guards.ts): the paths with nothing in its store throw there and write nothing. When
    // every path would, none is set aside (the write is judged as it is reached).
    const needs = reach.guards.before(at, true);
    // `S.enterWith(v)` earlier in the write's own function applies on every path into it.
    const here = reach.enteredBefore(at);
    const withHere = (ctx: Ctx) => (here.size ? reach.overlay(ctx.entered, here, true) : ctx.entered);
    const kept = needs.size ? reaching.filter((ctx) => !lacks(withHere(ctx), needs)) : reaching;
    const ctxs = kept.length ? kept : reaching;
    const stopped = reaching.length - ctxs.length;
    const guard = [...needs.values()][0];
    const dropped = reaching.find((ctx) => !ctxs.includes(ctx));
    const guardNote = stopped && guard && dropped
      ? `; where nothing entered the store (e.g. from ${dropped.root.label}) the guard \`${functionName(guard)}\` ` +
        `(${where(guard, this.deps.root)}) throws before the write`
      : '';
    if (ctxs.length === 0) {
      return {
        coverage: 'unresolved',
        via: null,
        evidence: `runs on ${h.label}, and no entry point (route, job, script or exported function) reaches it`,
        problem: 'callersUnknown',
        callPath: [],
        deferred: false,
        crossFile: true,
      };
    }
    const judged = ctxs.map((ctx) => ({
      ctx,
      verdict: this.judgeIn(
        h,
        here.size ? { ...ctx, entered: reach.overlay(ctx.entered, here, true) } : ctx,
        table,
        at,
      ),
    }));
    judged.sort((a, b) => rank(a.verdict) - rank(b.verdict));
    const worst = judged[0]!;
    const trail = (ctx: Ctx): string[] => [ctx.root.label, ...ctx.path];
    const how = (ctx: Ctx): string | undefined => this.how(h, ctx);
    const others = groups(
      judged.filter((j) => j.verdict.coverage !== worst.verdict.coverage),
      how,
    );
    const rest = others.length ? `; ${others.join('; ')}` : '';
    const v = worst.verdict;
    if (v.coverage === 'unscoped' || v.coverage === 'unresolved') {
      const evidence =
        `${v.coverage} when reached from ${trail(worst.ctx).join(' → ')}: ${v.evidence}${rest}${guardNote}`;
      // The worst context's coverage and problem (its message id), with the trail that leads to it.
      return { ...v, via: null, evidence, callPath: trail(worst.ctx), deferred: false, crossFile: true };
    }
    const vias = [...new Set(judged.map((j) => j.verdict.via).filter((v): v is string => !!v))];
    // The example the trail below gives is not named twice.
    const all = groups(judged, how, worst.ctx.root);
    return {
      ...v,
      via: vias.join(', ') || null,
      evidence: `runs on ${h.label}; ${all.join('; ')}; e.g. from ${trail(worst.ctx).join(' → ')}: ` +
        `${worst.verdict.evidence}${guardNote}`,
      callPath: [],
      deferred: false,
      crossFile: true,
    };
  }

  /**
   * A request entry point (an HTTP route, or middleware of one) among the roots whose paths reach the function `at`
   * runs in, with the call path from it when it is the context's first root; the first in the contexts' stable order.
   */
  requestRoot(at: ts.Node): { root: Root; path: string[] } | undefined {
    const reach = (this.reach ??= this.build());
    const request = (r: Root): boolean => r.kind === 'route' || r.kind === 'middleware';
    const ctxs = reach.of(reach.container(at));
    const first = ctxs.find((c) => request(c.root));
    if (first) return { root: first.root, path: first.path };
    for (const c of ctxs) {
      const root = c.roots.find(request);
      if (root) return { root, path: [] };
    }
    return undefined;
  }

  /**
   * Inferred ambient providers (middleware that enter a store, package middleware), with file:line: for `rls-guard
   * init`.
   */
  inferredProviders(): ReturnType<Reach['providers']> {
    return (this.reach ??= this.build()).providers();
  }

  /** Lets go of what the analysis settled with it (the reach's facts in the engine, which no later analysis reads). */
  release(): void {
    this.reach?.release();
    this.reach = undefined;
  }

  private build(): Reach {
    const graph = this.deps.graph;
    // The call graph is brought to the files by resolveVerdicts, which settles the first ambient write.
    if (graph.files !== this.deps.files) throw new Error('the call graph was not brought to the files settled');
    for (const f of this.deps.files) for (const [call, states] of f.storeEntries ?? []) this.entered.set(call, states);
    const w = (n: ts.Node): string => where(n, this.deps.root);
    const callsTo = (fn: ts.FunctionLikeDeclaration): (ts.CallExpression | ts.NewExpression)[] =>
      (graph.direct.get(fn) ?? []).map((e) => e.call);
    // Each file's calls that may register something, as its flow took them: the scan reads those, not the trees.
    const taken = new Map(this.deps.files.map((f) => [f.sf, f.registrationCalls]));
    const entries = new EntryPoints(this.deps.origins, w, callsTo).scan(
      this.deps.files.map((f) => f.sf),
      (sf) => taken.get(sf),
    );
    return new Reach({
      files: this.deps.files,
      origins: this.deps.origins,
      providers: this.deps.handles.ambient,
      facts: this.deps.handles.facts,
      entries: entries.entries,
      registered: entries.registered,
      declared: (m) => matchesSpec(this.deps.config.ambientScopes, m.name, m.module)?.name,
      where: w,
      graph,
      inTest: (n) => isTestFile(n, this.deps.root),
    });
  }

  /** The verdict the write gets in one context. */
  private judgeIn(h: AmbientHandle, ctx: Ctx, table: string, at: ts.Node): Verdict {
    const unknown = ctx.entered.get('?');
    // A middleware, or a next() chain, on the way from the entry point that cannot be followed.
    if (unknown && unknown.kind === 'unknown')
      return { coverage: 'unresolved', via: null, evidence: unknown.reason, problem: 'callersUnknown' };
    const entry = entryOf(ctx, h);
    // A function the store holds, called with text or with a callback: undefined where nothing entered it.
    const called = h.called
      ? { what: 'the query function called at', call: h.called.call }
      : h.calledBack && { what: 'the function called with the callback at', call: h.calledBack.call };
    if (!entry && called)
      return {
        coverage: 'unresolved',
        via: null,
        problem: 'connectionUnknown',
        evidence: `\`${h.storeName}\` is assigned by no middleware registered before this route (nothing on this ` +
          `path entered it${this.branches(h, ctx)}), so ${called.what} ${where(called.call, this.deps.root)} is ` +
          `undefined there`,
      };
    if (!entry)
      return this.judgeHandle(
        h.fallback,
        table,
        `nothing on this path entered \`${h.storeName}\`${this.branches(h, ctx)}, so the accessor at ` +
        `${where(h.key, this.deps.root)} falls back to its default: `,
        undefined,
        // Judged where the write is: a default the container injects (a provider factory's value, itself read from
        // a store) is settled by the roots that reach the write, not by the constructor nobody calls.
        at,
      );
    if (entry.kind === 'declared')
      return {
        coverage: 'org-scope',
        via: entry.name,
        evidence: `the middleware \`${entry.name}\` (ambientScopes in the configuration) enters an org-scoped ` +
          `context for it`,
      };
    if (entry.kind === 'unknown')
      return { coverage: 'unresolved', via: null, evidence: entry.reason, problem: 'callersUnknown' };
    return this.judgeEntry(h, entry, table, undefined, 0, ctx);
  }

  /**
   * The branches by which a path that entered nothing got through: a middleware of its root that enters the store
   * around one `next()` and calls another outside it (": `rlsMiddleware` enters it at …:129 but calls next() without
   * it at …:65, 73"). Empty when no middleware of the root enters the store at all.
   */
  private branches(h: AmbientHandle, ctx: Ctx): string {
    const skips = this.reach!.skipped(ctx.root, h.store);
    if (!skips.length) return '';
    const w = (n: ts.Node): string => where(n, this.deps.root);
    return `: ${skips
      .map((s) => {
        // Entered in a wrapper it calls (`withTenantRlsContext(…, () => next.handle())`): say through which.
        const self = `\`${qualifiedName(s.fn)}\``;
        const by = enteringFunction(s.enters);
        const through = by === self ? '' : `through ${by} `;
        return `${self} enters it ${through}at ${w(s.enters)} but calls next() without it at ${lines(s.at, w)}`;
      })
      .join('; ')}`;
  }

  /**
   * What entered the store on a context's paths, for a group of roots: the middleware (or function) whose `S.run`
   * enters it, a configured middleware, or the branches that let the request through without it. Not every
   * middleware on the way: the one that decides.
   */
  private how(h: AmbientHandle, ctx: Ctx): string | undefined {
    const entry = entryOf(ctx, h);
    const w = (n: ts.Node): string => where(n, this.deps.root);
    if (!entry) {
      const skips = this.reach!.skipped(ctx.root, h.store);
      return skips.length
        ? `where ${skips
            .map((s) => `\`${qualifiedName(s.fn)}\` calls next() without \`${h.storeName}\` (${lines(s.at, w)})`)
            .join(', ')}`
        : undefined;
    }
    if (entry.kind === 'declared') return `behind \`${entry.name}\` (ambientScopes in the configuration)`;
    if (entry.kind === 'unknown') return undefined;
    return `where ${enteringFunction(entry.call)} enters \`${h.storeName}\` (${w(entry.call)})`;
  }

  /**
   * The verdict for what a store entry holds. A middleware that picks one of several values at run time
   * (`c.set('db', cond ? primaryDb : db)`, a `let` it reassigns) enters each: each is judged, and they join as paths
   * do (one coverage for all: that one; a bare pool or an untraced value among them: the worst; another mix:
   * unresolved, naming each). A value that is the member's own earlier value is the entry the path held before
   * (`prior`); `earlier.usePrimaryOnly()` is that entry when the read-replica wrapper that made it keeps its
   * primary there (`variant`), and untraced otherwise.
   */
  private judgeEntry(
    h: AmbientHandle,
    entry: Entry,
    table: string,
    variant: { member: string; at: ts.Expression } | undefined,
    depth: number,
    ctx?: Ctx,
  ): Verdict {
    if (entry.kind === 'unknown')
      return { coverage: 'unresolved', via: null, evidence: entry.reason, problem: 'callersUnknown' };
    if (entry.kind === 'unset')
      return this.judgeHandle(h.fallback, table, `nothing on this path set \`${entry.member}\` of ` +
        `\`${h.storeName}\` (${where(entry.at, this.deps.root)}), so the accessor falls back to its default: `);
    if (entry.kind === 'declared') {
      if (!variant)
        return {
          coverage: 'org-scope',
          via: entry.name,
          evidence: `the middleware \`${entry.name}\` (ambientScopes in the configuration) enters an org-scoped ` +
            `context for it`,
        };
      return this.notVariant(variant, `what the middleware \`${entry.name}\` (ambientScopes) entered`);
    }
    const w = (n: ts.Node): string => where(n, this.deps.root);
    const values = this.deps.handles.ambient.entryValues(entry.value, h.store, entry.member);
    const verdicts = values.map((v): Verdict => {
      if (v.kind === 'value' && h.called && !variant) return this.calledValue(h, h.called, entry, v.expr, table);
      if (v.kind === 'value' && h.calledBack && !variant) return this.calledBackValue(h, h.calledBack, entry, v.expr);
      if (v.kind === 'value') {
        if (variant && !isPrimaryVariant(v.expr, variant.member, this.deps.origins))
          return this.notVariant(variant, `\`${shortText(v.expr, 40)}\` (${w(entry.call)})`);
        const one = values.length === 1 && !variant;
        const entered =
          `\`${h.storeName}\` was entered at ${w(entry.call)}${one ? '' : ` with \`${shortText(v.expr, 40)}\``}` +
          `${variant ? `, whose \`${variant.member}\` (${w(variant.at)}) keeps its primary` : ''}: `;
        const held = this.held(h, one ? entry : { ...entry, value: v.expr });
        // Hono's `c.set('db', dbClients[pool])` with a client that reads another store per operation (a Proxy that
        // applies an AsyncLocalStorage's value to each operation's transaction): judged in this path's context too.
        if (held.kind === 'ambient' && held.store !== h.store && ctx && depth < 4) {
          const inner = this.judgeIn(held, ctx, table, entry.call);
          return { ...inner, evidence: `${entered}${held.label}: ${inner.evidence}` } as Verdict;
        }
        // The connection keeps what was set on it before it went into the store (SET LOCAL in the middleware's
        // transaction).
        const key = connectionKey(held);
        const state = key ? (this.entered.get(entry.call)?.get(key) ?? this.madeElsewhere(key, entry.call)) : undefined;
        return this.judgeHandle(held, table, entered, state, entry.call);
      }
      const next = v.kind === 'variant' ? { member: v.member, at: v.at } : variant;
      const again = `\`${h.storeName}\` is set again at ${w(entry.call)} from its own earlier value ` +
        `(\`${shortText(v.at, 40)}\`${v.kind === 'variant' ? `, its \`${v.member}\`` : ''})`;
      if (entry.prior === undefined || depth > 8)
        return {
          coverage: 'unresolved',
          via: null,
          problem: 'callersUnknown',
          evidence: `${again}, which this analysis cannot follow on this path`,
        };
      if (entry.prior === null)
        return this.judgeHandle(h.fallback, table, `${again}, and nothing on this path entered it before: `);
      const before = this.judgeEntry(h, entry.prior, table, next, depth + 1, ctx);
      return { ...before, evidence: `${again}, which is: ${before.evidence}` } as Verdict;
    });
    const head = `\`${h.storeName}\` is entered at ${w(entry.call)} with one of ${values.length} values`;
    return joinValues(verdicts, head);
  }

  /**
   * A connection a helper made and handed back (`const { runner, manager } = await this.begin(tenantId)`, whose body
   * opened the transaction and ran `set_config` before `return { runner, manager: runner.manager }`): the state its
   * one return leaves it in, read from that body's flow. Undefined for a connection of the entering function's own
   * flow (its state there is the one recorded), or a helper with several returns (left fresh: fail closed).
   */
  private madeElsewhere(key: ts.Node, call: ts.Node): ConnState | undefined {
    if (!this.deps.stateAt || ts.isParameter(key)) return undefined;
    let fn: ts.Node | undefined = key.parent;
    while (fn && !isFunctionLike(fn)) fn = fn.parent;
    if (!fn || !isFunctionLike(fn) || !fn.body || (call.pos >= fn.pos && call.end <= fn.end)) return undefined;
    const returns = returnedExpressions(fn);
    const ret = returns.length === 1 ? returns[0]!.parent : undefined;
    return ret && ts.isReturnStatement(ret) ? this.deps.stateAt(fn, ret)?.get(key) : undefined;
  }

  /**
   * A query function the store holds, called with SQL text (`req.tenantQuery(text, values)`): what the function entered
   * on this path does with the call's arguments. Each query its body (or a table-generic builder it calls) runs with
   * that text is judged on its connection, in the state the builder's own body leaves a connection it makes
   * (`tenantQuery` checking out a client and setting the tenant), or the state the middleware's connection was in
   * where it was entered; the queries join as a builder's branches do (the worst decides, named). A value that is no
   * function this analysis reads, or that runs no query with the text, is unresolved.
   */
  private calledValue(
    h: AmbientHandle,
    called: NonNullable<AmbientHandle['called']>,
    entry: Extract<Entry, { kind: 'run' }>,
    value: ts.Expression,
    table: string,
  ): Verdict {
    const { origins, handles, root } = this.deps;
    const w = (n: ts.Node): string => where(n, root);
    const entered = `\`${h.storeName}\` was entered at ${w(entry.call)}`;
    const fn = functionValue(value, origins);
    if (!fn)
      return {
        coverage: 'unresolved',
        via: null,
        problem: 'connectionUnknown',
        evidence: `${entered} with \`${shortText(value, 40)}\`, which is not a function this analysis reads, so what ` +
          `the call at ${w(called.call)} runs cannot be known`,
      };
    const chain = builderCallOf(called.call, fn);
    const text = skipOuter(called.text);
    const runs = origins.facts
      .get(templateKind(origins), fn)
      .filter((t) => skipOuter(throughBindings(t.sqlArg, bindingsOf(chain, t), origins)) === text);
    if (runs.length === 0)
      return {
        coverage: 'unresolved',
        via: null,
        problem: 'connectionUnknown',
        evidence: `${entered} with the function at ${w(fn)}, which runs no query with the text the call at ` +
          `${w(called.call)} passes that this analysis can follow`,
      };
    const verdicts = runs.map((t): Verdict => {
      const handle = handles.of(throughBindings(t.receiver, bindingsOf(chain, t), origins));
      const own = this.deps.stateAt ? ownConnectionState(t.query, handle, this.deps.stateAt) : undefined;
      const key = connectionKey(handle);
      const state = own ?? (key ? this.entered.get(entry.call)?.get(key) : undefined);
      const through = t.via.length
        ? ` through the table-generic builder ${t.via.map((v) => `\`${functionName(v.head)}\``).join(' → ')}`
        : '';
      const how = `${entered} with the query function at ${w(fn)}, which runs this call's text${through} ` +
        `(${w(t.query)}): `;
      return this.judgeHandle(handle, table, how, state, entry.call);
    });
    return joinValues(verdicts, `${entered} with the query function at ${w(fn)}, whose ${runs.length} queries run ` +
      `this call's text`);
  }

  /**
   * A callback handed to a function the store holds (`req.tenantTransaction(async (client) => …)`): what the function
   * entered on this path does with it, as for a helper of the codebase the callback is passed to directly (it hands it
   * on to `withTenantTransaction(req, cb)`, which calls it with a client in a transaction that set the org context).
   * A value that is no function this analysis reads, or that takes no parameter at the callback's position, is
   * unresolved.
   */
  private calledBackValue(
    h: AmbientHandle,
    back: NonNullable<AmbientHandle['calledBack']>,
    entry: Extract<Entry, { kind: 'run' }>,
    value: ts.Expression,
  ): Verdict {
    const w = (n: ts.Node): string => where(n, this.deps.root);
    const entered = `\`${h.storeName}\` was entered at ${w(entry.call)}`;
    const fn = functionValue(value, this.deps.origins);
    const untraced = (why: string): Verdict => ({
      coverage: 'unresolved',
      via: null,
      problem: 'connectionUnknown',
      evidence: `${entered} with ${why}, so what runs the callback passed at ${w(back.call)} cannot be known`,
    });
    if (!fn) return untraced(`\`${shortText(value, 40)}\`, which is not a function this analysis reads`);
    if (!fn.parameters[back.argIndex] || fn.parameters.slice(0, back.argIndex + 1).some((p) => p.dotDotDotToken))
      return untraced(`the function at ${w(fn)}, which takes no parameter for the callback`);
    if (!this.helper) return untraced(`the function at ${w(fn)}, which only the whole-program audit follows`);
    // The function has no name of its own: the evidence calls it by the property it was entered in.
    const named = functionName(fn) === '<anonymous>' ? h.storeName : functionName(fn);
    const { callPath: _path, deferred: _deferred, crossFile: _crossFile, ...v } = this.helper(fn, back, named);
    // Covered: the inner evidence names the scoping, not the helpers the function hands the callback to.
    const to = v.coverage === 'org-scope' ? handedTo(fn, back.argIndex) : [];
    const helpers = to.length ? ` (it hands the callback to ${to.map((t) => `\`${t}\``).join(' or ')})` : '';
    const head = v.evidence.includes(`(${w(fn)})`) ? entered : `${entered} with the function at ${w(fn)}`;
    return { ...v, evidence: `${head}: ${v.evidence}${helpers}` } as Verdict;
  }

  /** `earlier.usePrimaryOnly()` on a value not known to be a read-replica set that keeps its primary there. */
  private notVariant(variant: { member: string; at: ts.Expression }, what: string): Verdict {
    return {
      coverage: 'unresolved',
      via: null,
      problem: 'connectionUnknown',
      evidence: `\`${shortText(variant.at, 40)}\` (${where(variant.at, this.deps.root)}) calls \`${variant.member}\` ` +
        `of ${what}, which is not known to be a read-replica set whose \`${variant.member}\` keeps its primary`,
    };
  }

  /** The connection the accessor gives inside `S.run(value, …)`. */
  private held(h: AmbientHandle, entry: Extract<Entry, { kind: 'run' }>): Handle {
    let e = skipOuter(entry.value);
    // No value (null, the global undefined, ''): the accessor falls back.
    if (
      e.kind === ts.SyntaxKind.NullKeyword ||
      (ts.isIdentifier(e) && e.text === 'undefined' && !lookup(e)) ||
      (ts.isStringLiteral(e) && e.text === '')
    )
      return h.fallback;
    // A tenant store: the factory's branch for a present value.
    if (h.entered) return h.entered;
    let path = h.path;
    if (entry.member !== undefined) {
      // An AsyncLocalStorage's value with one member set on it (`store.userId = id`): its other members are the
      // value's entered before.
      if (path[0] !== entry.member && entry.prior?.kind === 'run' && ts.isNewExpression(h.store))
        return this.held(h, entry.prior);
      // cls-hooked: the value set is the member itself; another member was not set on this path.
      if (path[0] !== entry.member) return h.fallback;
      path = path.slice(1);
    }
    for (const key of path) {
      const o = this.deps.origins.expr(e);
      const obj = o.kind === 'expr' ? skipOuter(o.expr) : undefined;
      const prop =
        obj && ts.isObjectLiteralExpression(obj)
          ? [...obj.properties].reverse().find((p) => p.name && ts.isIdentifier(p.name) && p.name.text === key)
          : undefined;
      // `{ tenantId }` entered, `manager` read: an object with no such member (and no spread that could add it) gives
      // undefined, so the accessor falls back (a member set later on the path is an entry of its own).
      if (!prop && obj && ts.isObjectLiteralExpression(obj) && !obj.properties.some(ts.isSpreadAssignment))
        return h.fallback;
      if (!prop || (!ts.isPropertyAssignment(prop) && !ts.isShorthandPropertyAssignment(prop))) {
        return {
          kind: 'unknown',
          reason: `the store is entered with \`${shortText(entry.value, 40)}\`, whose \`${key}\` cannot be traced`,
        };
      }
      e = skipOuter(ts.isPropertyAssignment(prop) ? prop.initializer : prop.name);
    }
    return this.deps.handles.of(e);
  }

  private judgeHandle(handle: Handle, table: string, how: string, state?: ConnState, at?: ts.Node): Verdict {
    const { root, config } = this.deps;
    const given = (this.reframe ?? ((h: Handle, s: ConnState) => ({ handle: h, state: s })))(
      handle,
      state ?? freshState(handle),
    );
    const v = judge(
      given.handle,
      given.state,
      root,
      table,
      writePolicies(config, table, this.kinds),
      config.bypassRoles,
      config.roleKeyedTables.get(table),
    );
    if ('pending' in v) {
      // `S.run({ tx }, …)` inside a helper's callback: `tx` is what that helper hands it, at its callers.
      const node = at ?? connectionKey(handle);
      const settled = this.pending && node && v.pending.kind !== 'ambient' ? this.pending(v, node) : undefined;
      if (settled && settled.coverage !== 'unresolved') {
        const { callPath: _path, deferred: _deferred, crossFile: _crossFile, ...verdict } = settled;
        return { ...verdict, evidence: `${how}${settled.evidence}` };
      }
      return {
        coverage: 'unresolved',
        problem: settled?.problem ?? 'connectionUnknown',
        via: null,
        evidence: `the store holds ${handle.kind === 'param' ? handle.label : 'a connection'} that cannot be traced ` +
          `further (${how.replace(/: $/, '')})${settled ? `: ${settled.evidence}` : ''}`,
      };
    }
    const { verify: _verify, ...plain } = v;
    return { ...plain, evidence: `${how}${plain.evidence}` };
  }
}

/** The entry a path holds for the accessor's store (a configured middleware's for every store); an `unset` is none. */
function entryOf(ctx: Ctx, h: AmbientHandle): Exclude<Entry, { kind: 'unset' }> | undefined {
  const entry = ctx.entered.get(h.store) ?? ctx.entered.get('*');
  return entry?.kind === 'unset' ? undefined : entry;
}

/**
 * The verdicts of the values one entry may hold, joined as paths are: all one coverage, that one (its vias joined);
 * a bare pool or an untraced value among them, the worst; another mix (admin and org-scoped), unresolved. The
 * evidence names each value.
 */
function joinValues(verdicts: Verdict[], head: string): Verdict {
  const [first] = verdicts;
  if (verdicts.length === 1 && first) return first;
  const sorted = [...verdicts].sort((a, b) => rank(a) - rank(b));
  const worst = sorted[0]!;
  const listing = verdicts.map((v, i) => `(${i + 1}) ${v.coverage}: ${v.evidence}`).join('; ');
  if (verdicts.every((v) => v.coverage === worst.coverage)) {
    const vias = [...new Set(verdicts.map((v) => v.via).filter((v): v is string => !!v))];
    const evidence = `${head}, each ${worst.coverage}: ${listing}`;
    return { ...worst, via: vias.join(', ') || null, evidence } as Verdict;
  }
  if (worst.coverage === 'unscoped' || worst.coverage === 'unresolved')
    return { ...worst, evidence: `${head}; the worst decides: ${listing}` } as Verdict;
  return {
    coverage: 'unresolved',
    via: null,
    problem: 'connectionUnknown',
    evidence: `${head}, which differ (${[...new Set(verdicts.map((v) => v.coverage))].join(', ')}): ${listing}`,
  };
}

/** The function a value is: written inline (`(text, values) => …`), or a function of the codebase it names. */
/** The callees a function hands its parameter `index` to (`withTenantTransaction(req, cb)`), for the evidence. */
function handedTo(fn: ts.FunctionLikeDeclaration, index: number): string[] {
  const param = fn.parameters[index];
  if (!param || !ts.isIdentifier(param.name) || !fn.body) return [];
  const name = param.name.text;
  const out = new Set<string>();
  const visit = (n: ts.Node): void => {
    const passes = (a: ts.Expression): boolean => ts.isIdentifier(skipOuter(a)) && skipOuter(a).getText() === name;
    if (ts.isCallExpression(n) && n.arguments.some(passes)) out.add(shortText(n.expression, 40));
    ts.forEachChild(n, visit);
  };
  visit(fn.body);
  return [...out];
}

function functionValue(value: ts.Expression, origins: OriginResolver): ts.FunctionLikeDeclaration | undefined {
  const e = skipOuter(value);
  if (ts.isArrowFunction(e) || ts.isFunctionExpression(e)) return e;
  const o = origins.expr(e);
  return o.kind === 'function' ? o.decl : undefined;
}

/** `file:line` of the first node, then the lines of the others (their file when it differs). */
function lines(nodes: readonly ts.Node[], w: (n: ts.Node) => string): string {
  const first = w(nodes[0]!);
  const file = first.replace(/:\d+$/, '');
  const rest = nodes.slice(1).map((n) => {
    const at = w(n);
    return at.startsWith(`${file}:`) ? at.slice(file.length + 1) : at;
  });
  return [first, ...rest].join(', ');
}

/** The named function an `S.run(…)` is in (through the inline callbacks around it), as evidence names it. */
function enteringFunction(call: ts.Node): string {
  for (let n: ts.Node | undefined = call.parent; n; n = n.parent) {
    if (!isFunctionLike(n)) continue;
    const name = qualifiedName(n);
    if (name !== '<anonymous>') return `\`${name}\``;
  }
  return 'the module code';
}

/** A function's name; a method's with its class (`TenantInterceptor.intercept`: a bare `intercept` names nothing). */
function qualifiedName(fn: ts.Node): string {
  const name = functionName(fn);
  const owner = ts.isMethodDeclaration(fn) && ts.isClassLike(fn.parent) ? fn.parent.name?.text : undefined;
  return owner && name !== '<anonymous>' ? `${owner}.${name}` : name;
}

/**
 * "org-scope from 3 routes (e.g. the route POST /x (…)) where `rlsMiddleware` enters `rlsStore` (…:129)", one per
 * coverage: what entered the store (or let the request through without it), not every middleware on the way.
 */
function groups(
  judged: { ctx: Ctx; verdict: Verdict }[],
  how: (ctx: Ctx) => string | undefined,
  trailed?: Root,
): string[] {
  const by = new Map<string, Set<Root>>();
  const hows = new Map<string, Set<string>>();
  // Roots are kept up to MAX_ROOTS per context, for evidence: past that, say "at least".
  const capped = new Set<string>(judged.filter((j) => j.ctx.roots.length >= MAX_ROOTS).map((j) => j.verdict.coverage));
  for (const j of judged) {
    const set = by.get(j.verdict.coverage) ?? new Set<Root>();
    for (const r of j.ctx.roots) set.add(r);
    by.set(j.verdict.coverage, set);
    const text = how(j.ctx);
    const said = hows.get(j.verdict.coverage) ?? new Set<string>();
    if (text) hows.set(j.verdict.coverage, said.add(text));
  }
  return [...by].map(([coverage, roots]) => {
    const kinds = new Map<string, number>();
    for (const r of roots) kinds.set(r.kind, (kinds.get(r.kind) ?? 0) + 1);
    const what = [...kinds].map(([k, n]) => `${n} ${noun(k, n)}`).join(', ');
    const [first] = roots;
    const example = first && !(roots.size === 1 && first === trailed)
      ? ` (${roots.size > 1 ? 'e.g. ' : ''}${first.label})`
      : '';
    const said = [...(hows.get(coverage) ?? [])];
    const shown =
      said.slice(0, MAX_HOWS).join('; or ') + (said.length > MAX_HOWS ? `; or ${said.length - MAX_HOWS} more` : '');
    return `${coverage} from ${capped.has(coverage) ? 'at least ' : ''}${what}${example}${shown ? ` ${shown}` : ''}`;
  });
}

/** How many ways of entering (or skipping) a store one group names. */
const MAX_HOWS = 3;

function noun(kind: string, n: number): string {
  const word =
    {
      route: 'route',
      middleware: 'middleware',
      job: 'job',
      timer: 'timer',
      module: 'module',
      exported: 'exported function',
      unknown: 'unfollowable path',
    }[kind] ?? kind;
  return n === 1 || kind === 'middleware' ? word : `${word}s`;
}
