import ts from '../../ts.js';
import { containerMethod } from '../../code/injected.js';
import type { CallEdge, FileFacts } from '../facts.js';
import type { Facts, FactKind } from '../../code/fixpoint.js';
import { isExported } from '../../code/modules.js';
import { functionName, type OriginResolver, shortText } from '../../code/origins.js';
import { isFunctionLike, lookup } from '../../code/scope.js';
import { skipOuter } from '../../syntax/wrappers.js';
import { fromPackage, runCallsIn, type Middleware, type Root, type RootEntry } from '../roots/entry-points.js';
import type { AmbientProviders, Store } from './providers.js';
import { StoreGuards } from './guards.js';
import type { KeptCallerIndex } from '../caller-index.js';

// Which stores are entered, with what, on the paths from roots to each function: one fact
// per function (the Facts engine memoises it and settles recursion by fixed point). A
// function's contexts are pulled from whatever runs it: the roots that register it, its
// callers' contexts (through `S.run(v, cb)` the store S then holds v), or, for an inline
// callback, the function it is passed to. Contexts are keyed by what they entered, not by
// root, so the work per function is bounded by the distinct entries, and the roots behind
// each are kept for the evidence.

export type Entry =
  /**
   * `member`: a cls-hooked `ns.set(member, value)` enters only that member; on an AsyncLocalStorage, a member set on
   * the value a path entered (`state.manager = m`, providers.ts `memberSet`). `prior`: for a value that reads the
   * member's own earlier value (`c.set('db', pick(c.get('db')))`, reset-values.ts), the entry the path held before
   * it, null when it held none; undefined until the entry is laid over a path's entries (`overlay`).
   */
  | { kind: 'run'; call: ts.Expression; value: ts.Expression; member?: string; prior?: Entry | null }
  /**
   * A continuation only taken where the store's `member` is unset (`if (!TenantContext.getTenantId()) return
   * next.handle()`): laid over a path's entries it is impossible where the path entered a value whose member is known
   * set, nothing where it entered none, and no constraint otherwise (`overlay`, `impossible`). Never left in a
   * path's entries once its chain is laid.
   */
  | { kind: 'unset'; member: string; at: ts.Node }
  /** A middleware configured in ambientScopes: it enters every store with a scoped value. */
  | { kind: 'declared'; name: string; at: ts.Node }
  /** Something on the path could not be followed (fail closed). */
  | { kind: 'unknown'; reason: string };

/** A middleware that enters a store at `enters` around one `next()`, and calls `next()` outside it at `at`. */
export interface Skip {
  fn: ts.FunctionLikeDeclaration;
  enters: ts.Node;
  at: ts.Node[];
}

/** `'*'`: a configured middleware; `'?'`: an unfollowable step. */
export type StoreKey = Store | '*' | '?';

export interface Ctx {
  entered: ReadonlyMap<StoreKey, Entry>;
  /** One root that reaches the function this way, and the call path from it. */
  root: Root;
  path: string[];
  /** Every root that reaches it this way (capped for evidence). */
  roots: Root[];
  key: string;
}

export const MAX_ROOTS = 64;
/** How many functions deep a `next` handed from middleware to middleware is followed. */
const MAX_NEXT_DEPTH = 200;

export interface ReachDeps {
  files: readonly FileFacts[];
  origins: OriginResolver;
  providers: AmbientProviders;
  facts: Facts;
  entries: readonly RootEntry[];
  registered: ReadonlySet<ts.FunctionLikeDeclaration>;
  /** Configured middleware that enter a scoped context the code cannot show. */
  declared: (m: Middleware) => string | undefined;
  where: (n: ts.Node) => string;
  /**
   * The program's call graph (caller-index.ts), brought to `files`: each function's direct callers, the functions
   * files pass around as values (their tests' uses of app functions left out) and where each is so passed. Kept per
   * file between an editor session's analyses, so nothing here is gathered from every file again at each one.
   */
  graph: Pick<KeptCallerIndex, 'direct' | 'directFrom' | 'escaped' | 'escapesOf'>;
  /** Whether a node is in a test file (report/set-aside.ts). */
  inTest: (n: ts.Node) => boolean;
}

type Container = ts.FunctionLikeDeclaration | ts.SourceFile;


/** Middleware (or a guard, hook, wrapper) that routes run behind: what it enters, where, how many routes. */
export interface AmbientProvider {
  name: string;
  /** `file:line` of its definition (or of its use, for a package's). */
  at: string;
  /** The module it is imported from, as the routes import it. */
  module?: string;
  /** Its code is in a package the audit cannot see into. */
  external: boolean;
  /** A package's middleware the codebase makes and names: the package's call, and `file:line` where it is made. */
  madeBy?: { name: string; module: string; at: string };
  /** The AsyncLocalStorage (or cls) stores it enters. */
  enters: string[];
  routes: number;
}

export class Reach {
  /** Each function's callers as the reach follows them (`callersOf`), found at its first question. */
  private readonly callers = new Map<ts.Node, readonly CallEdge[]>();
  private readonly rootsOf = new Map<ts.Node, RootEntry[]>();
  /** `S.run(v, f)` with `f` a named function: f runs with S entered. */
  private readonly runTargets = new Map<ts.Node, ts.CallExpression[]>();
  private readonly ids = new Map<ts.Node, number>();
  private readonly kind: FactKind<Container, Ctx[]>;
  private readonly nextMemo = new Map<ts.FunctionLikeDeclaration, Map<StoreKey, Entry>[]>();
  /** The same, for a helper's callback parameter (any call of it runs the callback). */
  private readonly callbackMemo = new Map<ts.FunctionLikeDeclaration, Map<StoreKey, Entry>[]>();
  private nextDepth = 0;
  /**
   * Per function walked for its `next`: the calls that continue to what runs next, with what is entered around each,
   * and the functions it hands `next` on to. Kept for evidence only (`skipped`): a path's key stays what it entered.
   */
  private readonly continuations = new Map<
    ts.FunctionLikeDeclaration,
    { at: ts.Node; states: Map<StoreKey, Entry>[] }[]
  >();
  private readonly handsOn = new Map<ts.FunctionLikeDeclaration, Set<ts.FunctionLikeDeclaration>>();
  private chainsOf: Map<Root, Middleware[][]> | undefined;

  /** Functions that throw when a store holds nothing (guards.ts): paths without it stop there. */
  readonly guards: StoreGuards;

  constructor(private readonly deps: ReachDeps) {
    this.guards = new StoreGuards(deps.providers, deps.origins);
    for (const f of deps.files) {
      // The file's `S.run(v, cb)`-shaped calls as listed once per parse (entry-points.ts), not a walk of every node.
      for (const n of runCallsIn(f.sf)) {
        const run = deps.providers.runCall(n);
        if (run && !isFunctionLike(skipOuter(run.callback))) {
          const target = deps.origins.expr(run.callback);
          if (target.kind === 'function') push(this.runTargets, target.decl, n);
        }
      }
    }
    for (const e of deps.entries) push(this.rootsOf, e.fn, e);
    // Transient (fixpoint.ts): made for this analysis, whose settler releases it when done. Kept in an editor's
    // engine, each lint's reach (its maps of callers, roots and middleware chains) stayed held.
    this.kind = {
      name: 'ambient-reach',
      transient: true,
      compute: (c) => this.compute(c),
      conservative: (c, why) =>
        why === 'cycle'
          ? []
          : [
              this.unknownCtx(
                c,
                why === 'depth' ? 'the call path is too deep to follow' : 'the contexts reaching it do not settle',
              ),
            ],
      same: (a, b) =>
        a.length === b.length && a.every((x, i) => x.key === b[i]!.key && x.roots.length === b[i]!.roots.length),
    };
  }

  /** Drops its facts from the engine (`AmbientSettler.release`). */
  release(): void {
    this.deps.facts.dropKind(this.kind as FactKind<unknown, unknown>);
  }

  /**
   * The middleware (and guards, interceptors, hooks, wrappers) the roots run behind that enter
   * a store, with where each is defined and what it enters: what `rls-guard init` can show
   * or propose. Package middleware enters nothing the code shows; they are listed with their
   * module so init can propose them for `ambientScopes`.
   */
  providers(): AmbientProvider[] {
    const out = new Map<string, AmbientProvider>();
    for (const entry of this.deps.entries) {
      for (const m of entry.chain) {
        const effects = m.external ? [] : this.middlewareEffects(m);
        const enters = [
          ...new Set(
            effects.flatMap((e) =>
              [...e]
                .filter(([, v]) => v.kind === 'run')
                .map(([k]) =>
                  typeof k === 'string'
                    ? k
                    : k.parent && ts.isVariableDeclaration(k.parent)
                      ? k.parent.name.getText()
                      : 'store',
                ),
            ),
          ),
        ];
        if (!enters.length && !m.external) continue;
        const node = m.wrapper?.fn ?? m.fn ?? m.expr;
        const at = this.deps.where(node);
        const key = `${m.name}@${at}`;
        const have = out.get(key);
        const module = m.module ? { module: m.module } : {};
        const made = m.madeBy
          ? { madeBy: { name: m.madeBy.name, module: m.madeBy.module, at: this.deps.where(m.madeBy.call) } }
          : {};
        if (have) have.routes++;
        else out.set(key, { name: m.name, at, ...module, ...made, external: !!m.external, enters, routes: 1 });
      }
    }
    return [...out.values()];
  }

  /** The contexts a function (or a module's top level) runs in. */
  of(c: Container): Ctx[] {
    return this.deps.facts.get(this.kind, c);
  }

  /** The function or module a node runs in. */
  container(node: ts.Node): Container {
    for (let n: ts.Node | undefined = node.parent; n; n = n.parent) if (isFunctionLike(n)) return n;
    return node.getSourceFile();
  }

  private compute(c: Container): Ctx[] {
    const out = new Map<string, Ctx>();
    const add = (ctx: Ctx): void => merge(out, ctx);
    if (ts.isSourceFile(c)) {
      const root: Root = {
        kind: 'module',
        label: `the module code of ${this.deps.where(c).replace(/:\d+$/, '')} (run at startup)`,
        node: c,
        behind: [],
      };
      add(this.ctx(new Map(), root, []));
      return [...out.values()];
    }
    const fn = c;
    let explained = false;
    /** Contexts a guard before a call kept from reaching `fn`: its contexts only if nothing else reaches it. */
    const stopped: Ctx[] = [];
    for (const entry of this.rootsOf.get(fn) ?? []) {
      explained = true;
      for (const entered of this.chain(entry.chain)) add(this.ctx(entered, entry.root, []));
    }
    for (const edge of this.callersOf(fn)) {
      explained = true;
      const step = `${functionName(fn)}() (${this.deps.where(edge.call)})`;
      const entered = this.enteredBefore(edge.call);
      // A guard before the call (`const where = this.scopedWhere({ id })`): a path with nothing in its store throws
      // there and never makes the call.
      const needs = this.guards.before(edge.call, false);
      for (const ctx of this.of(this.container(edge.call))) {
        const now = entered.size ? this.overlay(ctx.entered, entered, true) : ctx.entered;
        if (!lacks(now, needs)) add(this.extend(ctx, now, step));
        else stopped.push(this.extend(ctx, now, step));
      }
    }
    for (const run of this.runTargets.get(fn) ?? []) {
      explained = true;
      const r = this.deps.providers.runCall(run)!;
      const step = `${functionName(fn)}() (${this.deps.where(run)})`;
      for (const ctx of this.of(this.container(run)))
        add(this.extend(ctx, withEntry(ctx.entered, r.store, { kind: 'run', call: run, value: r.value }), step));
    }
    const passedTo = inlineCall(fn);
    if (passedTo && !this.deps.registered.has(fn)) {
      explained = true;
      for (const ctx of this.callbackContexts(
        fn,
        passedTo,
        passedTo.arguments?.findIndex((a) => skipOuter(a) === fn) ?? -1,
      ))
        add(ctx);
    }
    // A callback in the options a package's call is given (`createUIMessageStream({ execute:
    // async () => … })`): it runs during or after that call, in its caller's contexts.
    const option = passedTo ? undefined : optionOfPackageCall(fn, this.deps.origins);
    if (option && !this.deps.registered.has(fn)) {
      explained = true;
      const step = `${functionName(fn)}() (${this.deps.where(option)})`;
      for (const ctx of this.of(this.container(option))) add(this.extend(ctx, ctx.entered, step));
    }
    // An option given to a function of the codebase (`runScheduledTick({ tick: async () => … })`, which calls
    // `options.tick` or its destructured `tick`): run during that call, as an inline callback is.
    const own = passedTo || option ? undefined : optionOfCodebaseCall(fn, this.deps.origins);
    if (own && !this.deps.registered.has(fn)) {
      explained = true;
      const step = `the option \`${own.key}\` of ${calledName(own.call)} (${this.deps.where(own.call)})`;
      for (const ctx of this.callbackContexts(fn, own.call, own.index, own.key))
        add(this.extend(ctx, ctx.entered, step));
    }
    // Passed by name to functions of the codebase (`runChunked('x', backfillChunk)`): it runs
    // during those calls, as an inline callback would; only if every use as a value is such a pass.
    const byName = this.deps.registered.has(fn) || this.runTargets.has(fn) ? undefined : this.passedByName(fn);
    if (byName) {
      explained = true;
      for (const { call, index } of byName) for (const ctx of this.callbackContexts(fn, call, index)) add(ctx);
    }
    const service = explained ? undefined : containerMethod(fn);
    if (!explained) {
      if (service) {
        const label = `the public method ${service.name?.text ?? 'of a class'}.${functionName(fn)} ` +
          `(${this.deps.where(fn)}) of a container-made class, which nothing in the audited code calls`;
        add(this.ctx(new Map(), { kind: 'exported', label, node: fn, behind: [] }, []));
      } else if (isExportedFunction(fn)) {
        add(
          this.ctx(
            new Map(),
            {
              kind: 'exported',
              label: `the exported function ${functionName(fn)} (${this.deps.where(fn)}), which nothing in the ` +
                `audited code calls`,
              node: fn,
              behind: [],
            },
            [],
          ),
        );
      } else {
        add(
          this.unknownCtx(
            fn,
            `no caller of \`${functionName(fn)}\` was found in the audited files, nor a route, job or script that ` +
              `reaches it (audit the package that calls it together with this one, or declare the helper that ` +
              `calls it in \`ambientScopes\` / \`scopeHelpers\`: see docs/config.md; code nothing calls can be ` +
              'removed)',
            `no caller of \`${functionName(fn)}\``,
          ),
        );
      }
    } else if (
      this.deps.graph.escaped.has(fn) &&
      !this.deps.registered.has(fn) &&
      !this.runTargets.has(fn) &&
      !byName
    ) {
      add(
        this.unknownCtx(
          fn,
          `\`${functionName(fn)}\` is also passed around as a value, so not all its callers can be followed`,
        ),
      );
    }
    // Every way here stops at a guard first: none is set aside (as for a write, settle.ts).
    if (out.size === 0) for (const ctx of stopped) add(ctx);
    return [...out.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /**
   * The calls of a function the reach follows. A test's call is not a way production reaches app code (as for
   * parameters, program.ts callers()): a test file's own functions keep their test callers.
   */
  private callersOf(fn: ts.FunctionLikeDeclaration): readonly CallEdge[] {
    let edges: readonly CallEdge[] | undefined = this.callers.get(fn);
    if (!edges) {
      const graph = this.deps.graph;
      edges = this.deps.inTest(fn)
        ? (graph.direct.get(fn) ?? [])
        : graph.directFrom(fn, (sf: ts.SourceFile) => !this.deps.inTest(sf));
      this.callers.set(fn, edges);
    }
    return edges;
  }

  /**
   * The calls a function is passed to by name, when every use of it as a value is one (to a function of the codebase).
   */
  private passedByName(fn: ts.FunctionLikeDeclaration): { call: ts.CallExpression; index: number }[] | undefined {
    const ids = this.deps.graph.escapesOf.get(fn);
    if (!ids?.length) return undefined;
    const out: { call: ts.CallExpression; index: number }[] = [];
    for (const id of ids) {
      const call = id.parent;
      if (!ts.isCallExpression(call) || call.expression === id) return undefined;
      if (this.deps.origins.expr(call.expression).kind !== 'function') return undefined;
      out.push({ call, index: call.arguments.indexOf(id) });
    }
    return out;
  }

  /** An inline callback runs during the call it is passed to; `S.run(v, cb)` enters S for it. */
  private callbackContexts(
    fn: ts.FunctionLikeDeclaration,
    call: ts.CallExpression | ts.NewExpression,
    index: number,
    key?: string,
  ): Ctx[] {
    const outer = this.of(this.container(call));
    const step = (what: string): string => `${what} (${this.deps.where(call)})`;
    if (ts.isCallExpression(call)) {
      const run = this.deps.providers.runCall(call);
      if (run && key === undefined && call.arguments.indexOf(run.callback) === index) {
        const parent = run.store.parent;
        const storeName = parent && ts.isVariableDeclaration(parent) ? parent.name.getText() : 'store';
        return outer.map((ctx) =>
          this.extend(
            ctx,
            withEntry(ctx.entered, run.store, { kind: 'run', call, value: run.value }),
            step(`${storeName}.run()`),
          ),
        );
      }
      // A wrapper in the codebase that hands its callback parameter to S.run(v, param).
      const target = this.deps.origins.expr(call.expression);
      if (target.kind === 'function') {
        const wrapped = this.wrapperRun(target.decl, index, 0, key);
        if (wrapped) {
          const value = substitute(wrapped.value, target.decl, call);
          const entered = outer.map((ctx) =>
            this.extend(
              ctx,
              withEntry(ctx.entered, wrapped.store, { kind: 'run', call: wrapped.call, value }),
              step(`${functionName(target.decl)}()`),
            ),
          );
          // `if (!orgId) return fn(); return store.run({ orgId }, fn)`: the callback also runs bare, where the
          // argument is empty, which only the caller's values decide: that path is not followed (fail closed).
          const reads = (e: ts.Expression): boolean => !!this.deps.providers.read(e);
          const bare = key === undefined ? this.bareOf(target.decl, index, reads) : undefined;
          const name = functionName(target.decl);
          const holder = wrapped.store.parent;
          const storeName = holder && ts.isVariableDeclaration(holder) ? holder.name.getText() : 'the store';
          const reason = `\`${name}\` runs its callback bare at ${bare && this.deps.where(bare.call)}, under ` +
            `\`${bare && shortText(bare.guard, 30)}\`, without entering \`${storeName}\`; whether a call's ` +
            'arguments can take that branch is not read';
          return bare
            ? [...entered, ...outer.map((ctx) => this.extend(ctx,
              withEntry(ctx.entered, '?', { kind: 'unknown', reason }), step(`${name}() calling it bare`)))]
            : entered;
        }
      }
    }
    return outer;
  }

  /**
   * Whether `wrapper` passes its parameter `index` to `S.run(v, param)` (directly, or in a callback that calls it), or
   * hands it on, untouched, to a function of the codebase that does (`withOrg(id, fn)` → `this.inner(id, fn)` →
   * `runInStore(conn, fn)`, an injected service's method included): memoised per wrapper and position, a few levels.
   */
  private wrapperRun(
    wrapper: ts.FunctionLikeDeclaration,
    index: number,
    depth = 0,
    key?: string,
  ): { store: Store; value: ts.Expression; call: ts.CallExpression } | undefined {
    let memo = this.wrapperMemo.get(wrapper);
    if (!memo) this.wrapperMemo.set(wrapper, (memo = new Map()));
    const at = key === undefined ? String(index) : `${index}.${key}`;
    if (memo.has(at)) return memo.get(at) ?? undefined;
    memo.set(at, null); // a cycle of forwarding wrappers enters nothing
    const found = this.wrapperRunOnce(wrapper, index, depth, key);
    memo.set(at, found ?? null);
    return found;
  }

  /** Each wrapper's bare call of its callback parameter (`bareCall`), found once per wrapper and parameter. */
  private readonly bareMemo = new Map<ts.FunctionLikeDeclaration, Map<number, ReturnType<typeof bareCall>>>();

  private bareOf(wrapper: ts.FunctionLikeDeclaration, index: number, reads: (e: ts.Expression) => boolean) {
    let byIndex = this.bareMemo.get(wrapper);
    if (!byIndex) this.bareMemo.set(wrapper, (byIndex = new Map()));
    if (!byIndex.has(index)) byIndex.set(index, bareCall(wrapper, index, reads));
    return byIndex.get(index);
  }

  /** Per wrapper, per parameter position (and member of it, `1.tick`, for an option): what it enters. */
  private readonly wrapperMemo = new Map<
    ts.FunctionLikeDeclaration,
    Map<string, { store: Store; value: ts.Expression; call: ts.CallExpression } | null>
  >();

  private wrapperRunOnce(
    wrapper: ts.FunctionLikeDeclaration,
    index: number,
    depth: number,
    key?: string,
  ): { store: Store; value: ts.Expression; call: ts.CallExpression } | undefined {
    const param = wrapper.parameters[index];
    if (!param || (key === undefined && !ts.isIdentifier(param.name)) || !wrapper.body) return undefined;
    let found: { store: Store; value: ts.Expression; call: ts.CallExpression } | undefined;
    // The parameter itself, or for an option its member (`options.tick`, a destructured `tick`).
    const isParam = (e: ts.Expression): boolean => {
      const o = this.deps.origins.expr(e);
      return (
        o.kind === 'param' &&
        o.binding.fn === wrapper &&
        o.binding.index === index &&
        (key === undefined ? o.path.length === 0 : o.path.length === 1 && o.path[0] === key)
      );
    };
    const visit = (n: ts.Node): void => {
      if (found) return;
      if (ts.isCallExpression(n)) {
        const run = this.deps.providers.runCall(n);
        const cb = run && skipOuter(run.callback);
        if (run && cb && (isParam(cb) || (isFunctionLike(cb) && calls(cb, isParam))))
          found = { store: run.store, value: run.value, call: n };
        // Handed on to another wrapper of the codebase, which enters the store around it.
        // Also in a callback that calls it (`runWithOrg(ctx, () => work())`): the wrapper of a wrapper.
        const at =
          run || depth >= MAX_FORWARDS
            ? -1
            : n.arguments.findIndex((a) => isParam(a) || (isFunctionLike(skipOuter(a)) && calls(skipOuter(a) as
                ts.FunctionLikeDeclaration, isParam)));
        const next = at >= 0 ? this.deps.origins.expr(n.expression) : undefined;
        if (!found && next?.kind === 'function' && next.decl !== wrapper) {
          const inner = this.wrapperRun(next.decl, at, depth + 1);
          // Entered with this call's argument: the connection's state is read where it is given (settle.ts).
          const value = inner && substitute(inner.value, next.decl, n);
          if (inner && value) found = { ...inner, value, ...(value !== inner.value ? { call: n } : {}) };
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(wrapper.body);
    return found;
  }

  /** The store entries a middleware chain leaves in force for what runs after it. */
  private chain(chain: readonly Middleware[]): Map<StoreKey, Entry>[] {
    let states: Map<StoreKey, Entry>[] = [new Map()];
    for (const m of chain) {
      const effects = this.middlewareEffects(m);
      const next = new Map<string, Map<StoreKey, Entry>>();
      for (const s of states) {
        for (const e of effects) {
          if (impossible(s, e)) continue;
          const merged = this.overlay(s, e, true);
          next.set(this.signature(merged), merged);
        }
      }
      states = [...next.values()];
    }
    return states;
  }

  /** What a middleware enters around each call of `next()`; none: it never continues. */
  private middlewareEffects(m: Middleware): Map<StoreKey, Entry>[] {
    const declared = this.deps.declared(m);
    if (declared) return [new Map([['*', { kind: 'declared', name: declared, at: m.expr }]])];
    if (m.wrapper) {
      // The handler runs inside the S.run(v, …) its wrapper enters, if it enters one.
      const w = this.wrapperRun(m.wrapper.fn, m.wrapper.index);
      return [
        w
          ? new Map([
              [w.store, { kind: 'run', call: w.call, value: substitute(w.value, m.wrapper.fn, m.wrapper.call) }],
            ])
          : new Map(),
      ];
    }
    if (m.external) return [new Map()];
    if (!m.fn)
      return [new Map([['?', { kind: 'unknown', reason: `the middleware \`${m.name}\` cannot be followed` }]])];
    return this.nextEntries(m.fn, m.nextIndex);
  }

  /**
   * What is entered around each call of a middleware's `next` (parameter `nextIndex`), once per
   * function. `next(err)` hands the request to the error handler and runs no route. `next`
   * handed to a function of the codebase (`rlsMiddleware(req, res, next)`, a `done` callback)
   * continues wherever that function calls it, so its entries compose with what is entered
   * here; handed anywhere else, it cannot be followed (fail closed).
   */
  private nextEntries(fn: ts.FunctionLikeDeclaration, nextIndex: number, runsCallback = false): Map<StoreKey, Entry>[] {
    const memo = runsCallback ? this.callbackMemo : this.nextMemo;
    const hit = memo.get(fn);
    if (hit) return hit;
    // A chain deeper than the walk follows (never a stack overflow): unknown, and not memoised.
    if (this.nextDepth > MAX_NEXT_DEPTH)
      return [
        new Map([
          ['?', { kind: 'unknown', reason: `\`${functionName(fn)}\` hands next() down a chain too deep to follow` }],
        ]),
      ];
    this.nextDepth++;
    try {
      return this.computeNextEntries(fn, nextIndex, runsCallback);
    } finally {
      this.nextDepth--;
    }
  }

  private computeNextEntries(
    fn: ts.FunctionLikeDeclaration,
    nextIndex: number,
    runsCallback: boolean,
  ): Map<StoreKey, Entry>[] {
    const memo = runsCallback ? this.callbackMemo : this.nextMemo;
    // A chain that hands `next` back into itself: what the cycle adds cannot be known.
    memo.set(fn, [
      new Map([['?', { kind: 'unknown', reason: `\`${functionName(fn)}\` hands next() on in a cycle` }]]),
    ]);
    const out = new Map<string, Map<StoreKey, Entry>>();
    const add = (list: Map<StoreKey, Entry>[]): void => {
      for (const m of list) out.set(this.signature(m), m);
    };
    const param = fn.parameters[nextIndex];
    const isNext = (e: ts.Expression): boolean => {
      const o = this.deps.origins.expr(e);
      return o.kind === 'param' && o.binding.fn === fn && o.binding.index === nextIndex && o.path.length === 0;
    };
    if (!param || !fn.body) {
      // No next parameter (an async Fastify hook, a NestJS guard): what runs next runs after
      // it returns, with whatever its body entered with `S.enterWith(v)` at its top level.
      const entered = new Map<StoreKey, Entry>();
      if (fn.body && ts.isBlock(fn.body)) {
        for (const st of fn.body.statements) {
          const e = this.deps.providers.enterWith(st);
          if (e)
            entered.set(e.store, {
              kind: 'run',
              call: e.call,
              value: e.value,
              ...(e.member ? { member: e.member } : {}),
            });
        }
      }
      out.set(this.signature(entered), entered);
    } else {
      const visit = (n: ts.Node): void => {
        // `subscriber.next(…)` names a property, not the parameter.
        const property = ts.isPropertyAccessExpression(n.parent) && n.parent.name === n;
        if (ts.isIdentifier(n) && n !== param.name && !property && isNext(n)) {
          const use = n.parent;
          const around = this.around(n, fn);
          // next() handed on where the analysis cannot follow it: the routes behind run in an unknown context.
          const unfollowed = (): typeof around =>
            around.map((m) =>
              withEntry(m, '?', {
                kind: 'unknown',
                reason: `\`${functionName(fn)}\` passes next() on where it cannot be followed (${this.deps.where(n)})`,
              }),
            );
          // A NestJS interceptor continues with `next.handle()`.
          const handled =
            ts.isPropertyAccessExpression(use) &&
            use.expression === n &&
            use.name.text === 'handle' &&
            ts.isCallExpression(use.parent) &&
            use.parent.expression === use;
          if (ts.isCallExpression(use) && use.expression === n) {
            // A callback handed to a helper (`withOrgScope(org, async (tx) => { …; await next(); })`) runs with
            // what it is given; called with an error being made (`done(new Error(…))`) it takes the error path.
            if (continues(use) || (runsCallback && !makesError(use))) add(this.continuing(fn, use, around));
          } else if (handled) {
            add(this.continuing(fn, use, this.unlessSet(n, fn, around)));
          } else if (ts.isCallExpression(use)) {
            const run = this.deps.providers.runCall(use);
            const target = this.deps.origins.expr(use.expression);
            if (run && skipOuter(run.callback) === n)
              add(
                this.continuing(
                  fn,
                  use,
                  around.map((m) => withEntry(m, run.store, { kind: 'run', call: use, value: run.value })),
                ),
              );
            // next() handed to a package's middleware (`return tenantSession(req, res, next)`, express-session): it
            // continues there with what was entered here, as a package middleware registered on its own does.
            else if (target.kind !== 'function' && fromPackage(this.deps.origins, use.expression))
              add(this.continuing(fn, use, around));
            else if (target.kind === 'function') {
              const on = this.handsOn.get(fn) ?? new Set();
              this.handsOn.set(fn, on.add(target.decl));
              add(
                product(
                  around,
                  bound(
                    this.nextEntries(
                      target.decl,
                      use.arguments.findIndex((a) => skipOuter(a) === n),
                    ),
                    target.decl,
                    use,
                  ),
                  (m) => this.signature(m),
                  (o, i) => this.overlay(o, i, false),
                ),
              );
            } else add(unfollowed());
          } else {
            add(unfollowed());
          }
        }
        ts.forEachChild(n, visit);
      };
      visit(fn.body);
    }
    const list = [...out.values()];
    memo.set(fn, list);
    return list;
  }

  /**
   * `const tenantId = TenantContext.getTenantId(); if (!tenantId) return next.handle();`: the continuation at `at` is
   * in the then-branch of an `if` that tests a member of an AsyncLocalStorage's value unset, so it is taken only where
   * that member is unset; its states say so for that store (an `unset` entry, where nothing in `fn` entered it).
   */
  private unlessSet(
    at: ts.Node,
    fn: ts.FunctionLikeDeclaration,
    states: Map<StoreKey, Entry>[],
  ): Map<StoreKey, Entry>[] {
    let n: ts.Node = at;
    while (n.parent && n.parent !== fn && !ts.isIfStatement(n.parent) && !isFunctionLike(n.parent)) n = n.parent;
    const test = n.parent && ts.isIfStatement(n.parent) && n.parent.thenStatement === n ? n.parent : undefined;
    const cond = test && skipOuter(test.expression);
    if (!cond || !ts.isPrefixUnaryExpression(cond) || cond.operator !== ts.SyntaxKind.ExclamationToken) return states;
    const read = this.deps.providers.read(cond.operand);
    if (!read || read.path.length !== 1 || !ts.isNewExpression(read.store)) return states;
    const unset: Entry = { kind: 'unset', member: read.path[0]!, at: test };
    return states.map((m) => (m.has(read.store) ? m : new Map(m).set(read.store, unset)));
  }

  /** A call of `fn`'s `next` that continues to what runs next, with the states around it: recorded for `skipped`. */
  private continuing(
    fn: ts.FunctionLikeDeclaration,
    at: ts.Node,
    states: Map<StoreKey, Entry>[],
  ): Map<StoreKey, Entry>[] {
    const list = this.continuations.get(fn) ?? [];
    if (!list.some((c) => c.at === at)) list.push({ at, states });
    this.continuations.set(fn, list);
    return states;
  }

  /**
   * Where a root's middleware lets the request through without entering `store`: the `next()` calls, in the chain's
   * middleware and the functions they hand `next` on to, of a function that continues inside `store` elsewhere
   * (`rlsMiddleware` runs `next()` in `rlsStore.run(trx, …)`, and bare when `!req.clinicId`). Each is a branch that
   * reaches the root's handler with no entry of `store`: the evidence of a path that entered nothing. Empty when no
   * middleware of the chain enters it at all.
   */
  skipped(root: Root, store: Store): Skip[] {
    // Once per root and store: every write a root reaches asks the same.
    const memo = this.skipMemo.get(root)?.get(store);
    if (memo) return memo;
    const found = this.findSkipped(root, store);
    const byStore = this.skipMemo.get(root) ?? new Map<Store, Skip[]>();
    this.skipMemo.set(root, byStore.set(store, found));
    return found;
  }

  private readonly skipMemo = new Map<Root, Map<Store, Skip[]>>();

  private findSkipped(root: Root, store: Store): Skip[] {
    if (!this.chainsOf) {
      this.chainsOf = new Map();
      for (const e of this.deps.entries) push(this.chainsOf, e.root, e.chain);
    }
    const out: Skip[] = [];
    const seen = new Set<ts.FunctionLikeDeclaration>();
    const visit = (fn: ts.FunctionLikeDeclaration): void => {
      if (seen.has(fn)) return;
      seen.add(fn);
      const sites = this.continuations.get(fn) ?? [];
      const inside = sites.flatMap((c) => c.states.map((m) => m.get(store))).find((e) => e?.kind === 'run');
      const bare = sites
        .filter((c) => c.states.some((m) => !m.has(store) || m.get(store)?.kind === 'unset'))
        .map((c) => c.at);
      if (inside?.kind === 'run' && bare.length) out.push({ fn, enters: inside.call, at: bare });
      for (const to of this.handsOn.get(fn) ?? []) visit(to);
    };
    for (const chain of this.chainsOf.get(root) ?? []) for (const m of chain) if (m.fn) visit(m.fn);
    return out;
  }

  /**
   * What is entered at a node of a middleware, from `fn` inwards: `enterWith` before it in each
   * block, `S.run(v, () => …)` callbacks around it, and callbacks handed to a function of the
   * codebase (`sessionCheck(req, res, () => …)`), which run where that function continues.
   */
  private around(node: ts.Node, fn: ts.FunctionLikeDeclaration): Map<StoreKey, Entry>[] {
    const layers: Map<StoreKey, Entry>[][] = [];
    let at: ts.Node = node;
    for (;;) {
      layers.push([this.enteredBefore(at)]);
      let inner: ts.Node | undefined = at.parent;
      while (inner && !isFunctionLike(inner)) inner = inner.parent;
      if (!inner || inner === fn || !isFunctionLike(inner)) break;
      const call = inlineCall(inner);
      const run = call && ts.isCallExpression(call) ? this.deps.providers.runCall(call) : undefined;
      if (run && skipOuter(run.callback) === inner)
        layers.push([new Map([[run.store, { kind: 'run', call: call as ts.CallExpression, value: run.value }]])]);
      else if (call && ts.isCallExpression(call)) {
        const target = this.deps.origins.expr(call.expression);
        // What the helper enters with one of its parameters (`runWithTenant(context, work)` runs
        // `storage.run(context, work)`) is entered with this call's argument.
        if (target.kind === 'function')
          layers.push(
            bound(
              this.nextEntries(
                target.decl,
                call.arguments.findIndex((a) => skipOuter(a) === inner),
                true,
              ),
              target.decl,
              call,
            ),
          );
      }
      at = inner;
    }
    // Outermost first, so the innermost entry of a store wins.
    let states: Map<StoreKey, Entry>[] = [new Map()];
    for (const layer of layers.reverse())
      states = product(states, layer, (m) => this.signature(m), (o, i) => this.overlay(o, i, false));
    return states;
  }

  /**
   * `S.enterWith(v)` statements that run before a node in its function: earlier statements of
   * each enclosing block, up to the function (innermost last, so it wins). Not through
   * branches: an enterWith inside an `if` before the node is not known to have run.
   */
  enteredBefore(node: ts.Node): Map<StoreKey, Entry> {
    const found: [StoreKey, Entry][] = [];
    let child: ts.Node = node;
    for (
      let n: ts.Node | undefined = node.parent;
      n && !isFunctionLike(n) && !ts.isSourceFile(n);
      child = n, n = n.parent
    ) {
      if (!ts.isBlock(n)) continue;
      const before: [StoreKey, Entry][] = [];
      for (const st of n.statements) {
        if (st === child) break;
        const e = this.deps.providers.enterWith(st);
        if (e)
          before.push([
            e.store,
            { kind: 'run', call: e.call, value: e.value, ...(e.member ? { member: e.member } : {}) },
          ]);
      }
      found.unshift(...before);
    }
    // A function's own top-level statements: its body block is reached last above. Laid one over another, so that a
    // member set after another on one store keeps the earlier as its prior.
    let out = new Map<StoreKey, Entry>();
    for (const [k, e] of found) out = this.overlay(out, new Map([[k, e]]), false);
    return out;
  }

  /**
   * `layer`'s entries laid over `prior`'s: an entry whose value reads the member's own earlier value keeps the entry
   * it replaces as its `prior` (null when `complete`, the entries of a whole path so far, has none; left open inside
   * one middleware, whose outer layers are not the whole path).
   */
  overlay(
    prior: ReadonlyMap<StoreKey, Entry>,
    layer: ReadonlyMap<StoreKey, Entry>,
    complete: boolean,
  ): Map<StoreKey, Entry> {
    const m = new Map(prior);
    for (const [k, e] of layer) {
      if (e.kind === 'unset') {
        // Taken where the member is unset: with nothing entered, nothing; over a value, what that value holds.
        if (complete && !prior.has(k)) m.delete(k);
        else if (!complete) m.set(k, e);
        continue;
      }
      // A member set on an AsyncLocalStorage's value (`if (state) state.manager = m`) sets nothing where the whole
      // path entered no value.
      if (e.kind === 'run' && e.member !== undefined && typeof k !== 'string' && ts.isNewExpression(k)) {
        const before = prior.get(k);
        if (!before && complete) continue;
        // The value's other members are what was entered before (settle.ts `held` reads them there), under the members
        // this layer set already.
        m.set(k, before ? underneath(e, before) : e);
        continue;
      }
      if (e.kind === 'run' && e.prior === undefined && typeof k !== 'string') {
        const before = prior.get(k);
        if ((before || complete) && this.deps.providers.readsEarlier(e.value, k, e.member)) {
          m.set(k, { ...e, prior: before ?? null });
          continue;
        }
      }
      m.set(k, e);
    }
    return m;
  }

  private ctx(entered: ReadonlyMap<StoreKey, Entry>, root: Root, path: string[]): Ctx {
    return { entered, root, path, roots: [root], key: this.signature(entered) };
  }

  private extend(ctx: Ctx, entered: ReadonlyMap<StoreKey, Entry>, step: string): Ctx {
    return { entered, root: ctx.root, path: [...ctx.path, step], roots: ctx.roots, key: this.signature(entered) };
  }

  /** `label`: how the trail names this root, when the reason is longer than a trail's step should be. */
  private unknownCtx(c: Container, reason: string, label = reason): Ctx {
    const root: Root = { kind: 'unknown', label, node: c, behind: [] };
    return this.ctx(new Map([['?', { kind: 'unknown', reason }]]), root, []);
  }

  private signature(entered: ReadonlyMap<StoreKey, Entry>): string {
    return [...entered]
      .map(([k, e]) => `${typeof k === 'string' ? k : this.id(k)}=${this.entrySignature(e)}`)
      .sort()
      .join(',');
  }

  private entrySignature(e: Entry): string {
    if (e.kind === 'declared') return `d:${e.name}`;
    if (e.kind === 'unset') return `!${e.member}@${this.id(e.at)}`;
    if (e.kind === 'unknown') return `?${e.reason}`;
    const prior = e.prior === undefined ? '' : e.prior === null ? '<0' : `<(${this.entrySignature(e.prior)})`;
    return `${this.id(e.call)}${prior}`;
  }

  private id(n: ts.Node): number {
    let v = this.ids.get(n);
    if (v === undefined) this.ids.set(n, (v = this.ids.size));
    return v;
  }
}

function merge(out: Map<string, Ctx>, ctx: Ctx): void {
  const have = out.get(ctx.key);
  if (!have) {
    out.set(ctx.key, ctx);
    return;
  }
  const roots = [...have.roots];
  for (const r of ctx.roots) if (roots.length < MAX_ROOTS && !roots.includes(r)) roots.push(r);
  if (roots.length !== have.roots.length) out.set(ctx.key, { ...have, roots });
}

/** Every outer state with every inner one laid over it, deduplicated. */
function product(
  outer: Map<StoreKey, Entry>[],
  inner: Map<StoreKey, Entry>[],
  key: (m: Map<StoreKey, Entry>) => string,
  lay: (o: Map<StoreKey, Entry>, i: Map<StoreKey, Entry>) => Map<StoreKey, Entry>,
): Map<StoreKey, Entry>[] {
  const out = new Map<string, Map<StoreKey, Entry>>();
  for (const o of outer) for (const i of inner) {
    const m = lay(o, i);
    out.set(key(m), m);
  }
  return [...out.values()];
}

/**
 * `next()` continues to the next handler; `next(err)` goes to the error handler instead ('route'/'router' skip ahead,
 * still handlers).
 */
/** `cb(new Error(…))`: the err-first convention's error path. */
function makesError(call: ts.CallExpression): boolean {
  const arg = call.arguments[0];
  return !!arg && ts.isNewExpression(skipOuter(arg));
}

function continues(call: ts.CallExpression): boolean {
  const arg = call.arguments[0];
  if (!arg) return true;
  const e = skipOuter(arg);
  return ts.isStringLiteral(e) && (e.text === 'route' || e.text === 'router');
}

function withEntry(entered: ReadonlyMap<StoreKey, Entry>, store: StoreKey, entry: Entry): Map<StoreKey, Entry> {
  const m = new Map(entered);
  m.set(store, entry);
  return m;
}

/**
 * A call of the wrapper's callback parameter `index` in its own body, outside any callback, under a test that reads
 * no store (`if (!orgId) return fn();`), and that test: on that path the callback runs with nothing the wrapper enters
 * (session35: memex-ai's `runWithMemexId`). A call under a test of a store (`if (getDbFromContext()) return fn()`)
 * runs in what the store already holds, not bare. Undefined when there is none.
 */
function bareCall(
  wrapper: ts.FunctionLikeDeclaration,
  index: number,
  readsStore: (e: ts.Expression) => boolean,
): { call: ts.CallExpression; guard: ts.Expression } | undefined {
  const param = wrapper.parameters[index];
  if (!param || !ts.isIdentifier(param.name) || !wrapper.body) return undefined;
  let found: { call: ts.CallExpression; guard: ts.Expression } | undefined;
  const testsStore = (test: ts.Expression): boolean => {
    let hit = false;
    const look = (n: ts.Node): void => {
      if (hit) return;
      if (ts.isExpression(n) && readsStore(n)) hit = true;
      else ts.forEachChild(n, look);
    };
    look(test);
    return hit;
  };
  const visit = (n: ts.Node): void => {
    if (found || isFunctionLike(n)) return;
    if (ts.isCallExpression(n) && ts.isIdentifier(skipOuter(n.expression)) &&
      lookup(skipOuter(n.expression) as ts.Identifier)?.decl === param) {
      let guard: ts.Expression | undefined;
      for (let x: ts.Node = n; x !== wrapper.body; x = x.parent) {
        const p = x.parent;
        const test = ts.isIfStatement(p) && p.expression !== x ? p.expression
          : ts.isConditionalExpression(p) && p.condition !== x ? p.condition : undefined;
        if (test && testsStore(test)) return;
        guard ??= test;
      }
      if (guard) found = { call: n, guard };
      return;
    }
    ts.forEachChild(n, visit);
  };
  ts.forEachChild(wrapper.body, visit);
  return found;
}

/** The call an inline callback is an argument of. */
function inlineCall(fn: ts.Node): ts.CallExpression | ts.NewExpression | undefined {
  if (!(ts.isArrowFunction(fn) || ts.isFunctionExpression(fn))) return undefined;
  let p = fn.parent;
  while (p && (ts.isParenthesizedExpression(p) || ts.isAsExpression(p))) p = p.parent;
  return p && (ts.isCallExpression(p) || ts.isNewExpression(p)) && (p.arguments ?? []).some((a) => skipOuter(a) === fn)
    ? p
    : undefined;
}

/**
 * The call whose inline options object holds this function as a member (`{ execute: async () => … }`,
 * `{ execute() { … } }`), the argument's position, and the member's name.
 */
function optionOfCall(
  fn: ts.Node,
): { call: ts.CallExpression | ts.NewExpression; index: number; key: string } | undefined {
  const member = ts.isMethodDeclaration(fn) ? fn : ts.isPropertyAssignment(fn.parent) ? fn.parent : undefined;
  const inline = ts.isArrowFunction(fn) || ts.isFunctionExpression(fn);
  if (!member || (!ts.isMethodDeclaration(fn) && !inline)) return undefined;
  const key = ts.isIdentifier(member.name) || ts.isStringLiteral(member.name) ? member.name.text : undefined;
  let obj: ts.Node = member.parent;
  if (!key || !ts.isObjectLiteralExpression(obj)) return undefined;
  while (ts.isParenthesizedExpression(obj.parent) || ts.isAsExpression(obj.parent)) obj = obj.parent;
  const call = obj.parent;
  if (!call || !(ts.isCallExpression(call) || ts.isNewExpression(call))) return undefined;
  const index = (call.arguments ?? []).findIndex((a) => a === obj);
  return index < 0 ? undefined : { call, index, key };
}

/** A package's call given the option: it runs the option during or after that call, in its caller's contexts. */
function optionOfPackageCall(fn: ts.Node, origins: OriginResolver): ts.CallExpression | ts.NewExpression | undefined {
  const option = optionOfCall(fn);
  return option && origins.expr(option.call.expression).kind === 'external' ? option.call : undefined;
}

/**
 * A function of the codebase given the option (`runScheduledTick({ tick: async () => … })`, which calls `tick`, or
 * `options.tick`, in its body): as an inline callback is, it is run in the contexts of that call, entered with what the
 * function enters around its own call of the member (a wrapper's `S.run(v, () => options.tick())`).
 */
function optionOfCodebaseCall(
  fn: ts.Node,
  origins: OriginResolver,
): { call: ts.CallExpression | ts.NewExpression; index: number; key: string } | undefined {
  const option = optionOfCall(fn);
  return option && origins.expr(option.call.expression).kind === 'function' ? option : undefined;
}

/** `runTick()`, `new Scheduler()`: the callee as the call names it, for a path's step. */
function calledName(call: ts.CallExpression | ts.NewExpression): string {
  const callee = skipOuter(call.expression);
  const name = ts.isPropertyAccessExpression(callee)
    ? callee.name.text
    : ts.isIdentifier(callee)
      ? callee.text
      : 'a call';
  return `${ts.isNewExpression(call) ? 'new ' : ''}${name}()`;
}

/** Whether a function body calls something `test` accepts. */
function calls(fn: ts.FunctionLikeDeclaration, test: (e: ts.Expression) => boolean): boolean {
  let hit = false;
  const visit = (n: ts.Node): void => {
    if (hit) return;
    if (ts.isCallExpression(n) && test(n.expression)) hit = true;
    ts.forEachChild(n, visit);
  };
  if (fn.body) visit(fn.body);
  return hit;
}

/** A wrapper's run value that is one of its parameters stands for the argument at the call. */
/** How many wrappers a callback may be handed through before one enters the store (`wrapperRun`). */
const MAX_FORWARDS = 4;

function substitute(value: ts.Expression, wrapper: ts.FunctionLikeDeclaration, call: ts.CallExpression): ts.Expression {
  const v = skipOuter(value);
  const b = ts.isIdentifier(v) ? lookup(v) : undefined;
  if (b?.kind !== 'parameter' || b.fn !== wrapper || b.path.length) return value;
  return call.arguments[b.index] ?? value;
}

/**
 * Whether a path's entries leave out a store a guard requires (a configured middleware enters every store; an
 * unfollowable step may have entered it: neither lacks it).
 */
export function lacks(entered: ReadonlyMap<StoreKey, Entry>, needs: ReadonlyMap<Store, unknown>): boolean {
  if (needs.size === 0 || entered.has('*') || entered.has('?')) return false;
  for (const store of needs.keys()) if (!entered.has(store)) return true;
  return false;
}

/** A chain of member sets on an AsyncLocalStorage's value, laid over what the path entered before them. */
function underneath(e: Extract<Entry, { kind: 'run' }>, before: Entry): Entry {
  if (e.prior?.kind === 'run' && e.prior.member !== undefined) return { ...e, prior: underneath(e.prior, before) };
  return e.prior ? e : { ...e, prior: before };
}

/**
 * Whether laying `layer` over `prior` makes a path that cannot run: a continuation taken only where a member is unset,
 * over a value entered with that member known set (`{ tenantId }` after `if (!tenantId) throw …`).
 */
function impossible(prior: ReadonlyMap<StoreKey, Entry>, layer: ReadonlyMap<StoreKey, Entry>): boolean {
  for (const [k, e] of layer) {
    if (e.kind !== 'unset') continue;
    const before = prior.get(k);
    if (before?.kind === 'run' && before.member === undefined && memberKnownSet(before.value, e.member)) return true;
  }
  return false;
}

/**
 * `{ tenantId }` (or `{ tenantId: id }`) with the variable refused when empty by an earlier statement of a block
 * around the object (`if (!tenantId) throw new BadRequestException(…)`), or a non-empty string: the member is set.
 */
export function memberKnownSet(
  value: ts.Expression,
  member: string,
  /** Also a parameter, and a refusal by `return` (statement-proxies.ts: the entry is reached only past it). */
  wider = false,
): boolean {
  const obj = skipOuter(value);
  if (!ts.isObjectLiteralExpression(obj)) return false;
  const prop = [...obj.properties].reverse().find((p) => p.name && ts.isIdentifier(p.name) && p.name.text === member);
  const v = prop && ts.isShorthandPropertyAssignment(prop)
    ? prop.name
    : prop && ts.isPropertyAssignment(prop) ? skipOuter(prop.initializer) : undefined;
  if (!v) return false;
  if (ts.isStringLiteral(v) || ts.isNoSubstitutionTemplateLiteral(v)) return v.text !== '';
  const bound = ts.isIdentifier(v) ? lookup(v) : undefined;
  if (!bound || (bound.kind !== 'variable' && !(wider && bound.kind === 'parameter' && !bound.path.length)))
    return false;
  const refuses = (st: ts.Statement): boolean => {
    if (!ts.isIfStatement(st) || st.elseStatement) return false;
    const c = skipOuter(st.expression);
    const then = ts.isBlock(st.thenStatement) && st.thenStatement.statements.length === 1
      ? st.thenStatement.statements[0]!
      : st.thenStatement;
    return ts.isPrefixUnaryExpression(c) && c.operator === ts.SyntaxKind.ExclamationToken &&
      ts.isIdentifier(skipOuter(c.operand)) && lookup(skipOuter(c.operand) as ts.Identifier)?.decl === bound.decl &&
      (ts.isThrowStatement(then) || (wider && ts.isReturnStatement(then)));
  };
  // Earlier statements of each block from the object out to the variable's function (not through a callback).
  let child: ts.Node = obj;
  for (let n = obj.parent; n && !ts.isSourceFile(n); child = n, n = n.parent) {
    if (ts.isBlock(n)) {
      for (const st of n.statements) {
        if (st === child) break;
        if (refuses(st)) return true;
      }
    }
    if (isFunctionLike(n) && n.pos <= bound.decl.pos && bound.decl.end <= n.end) break;
  }
  return false;
}

/** Entries a function makes with its own parameters as values, made with the arguments of `call` instead. */
function bound(
  list: Map<StoreKey, Entry>[],
  fn: ts.FunctionLikeDeclaration,
  call: ts.CallExpression,
): Map<StoreKey, Entry>[] {
  return list.map((m) => {
    let out: Map<StoreKey, Entry> | undefined;
    for (const [k, e] of m) {
      if (e.kind !== 'run') continue;
      // Entered with the argument here: what the connection was in at this call is what the store holds (settle.ts).
      const value = substitute(e.value, fn, call);
      if (value !== e.value) (out ??= new Map(m)).set(k, { ...e, value, call });
    }
    return out ?? m;
  });
}

function isExportedFunction(fn: ts.FunctionLikeDeclaration): boolean {
  const name = functionName(fn);
  if (name === '<anonymous>') return false;
  const sf = fn.getSourceFile();
  return (
    isExported(sf, name) ||
    (ts.isFunctionDeclaration(fn) && !!ts.getModifiers(fn)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword))
  );
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
