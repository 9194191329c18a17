import ts from '../../ts.js';
import { adapters, type DbAdapter } from '../../adapters/index.js';
import type { Handle, ParamBinding } from '../handles.js';
import { functionName, type OriginResolver, shortText } from '../../code/origins.js';
import { assignedValues, isFunctionLike, isStableVariable, lookup } from '../../code/scope.js';
import { skipOuter } from '../../syntax/wrappers.js';
import { TrackedMemo } from '../../code/fixpoint.js';
import { constantKey, type NestContainer } from '../providers/nest-di.js';
import { type ResetValue, resetValues } from './reset-values.js';
import { ownReturns } from '../providers/factories.js';
import { type EarlyReturn, earlyReturnAccessor } from './early-return.js';
import {
  HONO_CONTEXT,
  HONO_CONTEXT_NAME,
  honoVariable,
  honoVariableName,
  isHonoContext,
  isHonoStore,
} from '../context/hono-vars.js';
import {
  EXPRESS_CONTEXT_NAME,
  expressAccess,
  expressAssignment,
  expressVariableName,
  isExpressStore,
} from '../context/express-vars.js';
import {
  FASTIFY_CONTEXT_NAME,
  fastifyAccess,
  fastifyAssignment,
  fastifyVariableName,
  isFastifyStore,
} from '../context/fastify-vars.js';

// Ambient providers: an AsyncLocalStorage holds the org-scoped connection (or a tenant id)
// for whatever runs inside `store.run(value, fn)`, and an accessor reads it back. Which
// connection an accessor gives depends on the path that reached it, so a write through one
// is judged per root over the call graph (see reach.ts), never here. This module only
// recognises stores and accessors, by provenance: the store is `new AsyncLocalStorage()`
// from node:async_hooks, never a variable called `store`.

const ALS_MODULES = new Set(['node:async_hooks', 'async_hooks']);
/**
 * cls-hooked namespaces: `createNamespace(name)`, entered by `ns.set(key, v)` inside `ns.run(fn)`, read by
 * `ns.get(key)`.
 */
const CLS_MODULES = new Set(['cls-hooked', 'continuation-local-storage']);

/** A store: `new AsyncLocalStorage()`, or a cls-hooked `createNamespace(…)`. */
export type Store = ts.NewExpression | ts.CallExpression;

/** A connection that depends on the store a path entered. */
export interface AmbientHandle {
  kind: 'ambient';
  /** The `new AsyncLocalStorage()` expression. */
  store: Store;
  storeName: string;
  /** Members read from the stored value: `getStore()?.tx` → ['tx']. */
  path: string[];
  /** A tenant store: the connection the accessor picks when the store holds a value. */
  entered?: Handle;
  /** What the accessor gives when no path entered the store. */
  fallback: Handle;
  key: ts.Node;
  label: string;
  /**
   * A query function the store holds, called here with the caller's SQL text (`req.tenantQuery(text, values)`, the
   * function a middleware assigned to the request): judged per path as what that function does with its arguments.
   */
  called?: { call: ts.CallExpression; text: ts.Expression };
  /**
   * The parameter of a callback handed to a function the store holds (`req.tenantTransaction(async (client) => …)`):
   * judged per path as what the function entered there does with the callback (a transaction helper it forwards it
   * to). `typed`: the parameter's declared library, which says what its methods run.
   */
  calledBack?: {
    call: ts.CallExpression;
    argIndex: number;
    binding: ParamBinding;
    typed: { adapter: DbAdapter } | null;
  };
}

/** A read of a store's value: `store.getStore()`, `store.getStore()?.tx`, or a const holding one. */
export interface StoreRead {
  store: Store;
  path: string[];
}

/** How many calls deep a function of the codebase may enter a store for a call of it to count as entering it. */
const WRAP_LEVELS = 3;

export class AmbientProviders {
  // Tracked memos (fixpoint.ts): their answers follow imports into other files.
  private readonly stores: TrackedMemo<ts.Node, Store | null>;
  private readonly factories: TrackedMemo<ts.FunctionLikeDeclaration, AmbientHandle | null>;

  /** NestJS's providers: a nestjs-cls `ClsService` is the store `ClsModule.forRoot(…)` sets up. */
  nest: NestContainer | undefined;

  constructor(
    private readonly origins: OriginResolver,
    private readonly root: string,
    private readonly where: (n: ts.Node, root: string) => string,
  ) {
    this.stores = new TrackedMemo(origins.facts);
    this.factories = new TrackedMemo(origins.facts);
    this.wrapping = new TrackedMemo(origins.facts);
    this.bodies = new TrackedMemo(origins.facts);
  }

  /** The AsyncLocalStorage an expression is, if it is one. */
  storeOf(expression: ts.Expression): Store | undefined {
    const e = skipOuter(expression);
    return this.stores.get(e, () => this.findStore(e)) ?? undefined;
  }

  private findStore(e: ts.Expression): Store | null {
    let found: Store | null = null;
    // Hono's request context: one store for the program, its variables members (context/hono-vars.ts).
    if (isHonoContext(e, this.origins)) return HONO_CONTEXT();
    const origin = this.origins.expr(e);
    if (origin.kind === 'expr' && ts.isNewExpression(origin.expr)) {
      const ctor = this.origins.expr(origin.expr.expression);
      if (
        ctor.kind === 'external' &&
        ALS_MODULES.has(ctor.module) &&
        ctor.path.length === 1 &&
        ctor.path[0] === 'AsyncLocalStorage'
      )
        found = origin.expr;
    }
    if (origin.kind === 'expr' && ts.isCallExpression(origin.expr)) {
      const maker = this.origins.expr(origin.expr.expression);
      if (
        maker.kind === 'external' &&
        CLS_MODULES.has(maker.module) &&
        maker.path.length === 1 &&
        maker.path[0] === 'createNamespace'
      )
        found = origin.expr;
    }
    // An injected nestjs-cls ClsService: `cls.set(KEY, v)` enters KEY for the rest of the request, like cls-hooked.
    const param = origin.kind === 'param' && origin.path.length === 0 ? origin.binding.decl : undefined;
    if (param && ts.isParameter(param) && this.nest?.isClsService(param))
      found = this.nest.clsStore() ?? null;
    return found;
  }

  /** `S.run(value, fn)` on a store: the store, the value and the callback. */
  runCall(call: ts.CallExpression): { store: Store; value: ts.Expression; callback: ts.Expression } | undefined {
    const callee = skipOuter(call.expression);
    if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== 'run' || call.arguments.length < 2)
      return undefined;
    const store = this.storeOf(callee.expression);
    return store && ts.isNewExpression(store)
      ? { store, value: call.arguments[0]!, callback: call.arguments[1]! }
      : undefined;
  }

  /**
   * `S.enterWith(value)` as a statement: the store stays entered for the rest of the function
   * and what it calls after. A cls-hooked `ns.set('tx', value)` likewise, for that member.
   */
  enterWith(
    st: ts.Statement,
    depth = 0,
  ): { store: Store; value: ts.Expression; call: ts.Expression; member?: string } | undefined {
    const member = this.memberSet(st);
    if (member) return member;
    if (!ts.isExpressionStatement(st)) return undefined;
    // Express: `req.db = tx;` / `res.locals.db = client;` (context/express-vars.ts).
    const assigned = expressAssignment(st, this.origins);
    if (assigned) return { store: assigned.store, value: assigned.value, call: assigned.at, member: assigned.member };
    // Fastify: `request.db = await connect();` in a hook (context/fastify-vars.ts).
    const decorated = fastifyAssignment(st, this.origins);
    if (decorated)
      return { store: decorated.store, value: decorated.value, call: decorated.at, member: decorated.member };
    return this.enterWithExpr(st.expression, depth);
  }

  /**
   * `if (state) state.manager = manager;` with `const state = S.getStore()` (or the read inline): the value entered
   * gets the member for the rest of the request. Only where a value was entered: a path that entered none sets
   * nothing (reach.ts `overlay` drops it there). A bare assignment (`S.getStore()!.manager = m`) likewise.
   */
  private memberSet(
    st: ts.Statement,
  ): { store: Store; value: ts.Expression; call: ts.Expression; member: string } | undefined {
    let body: ts.Statement = st;
    let tested: StoreRead | undefined;
    if (ts.isIfStatement(st) && !st.elseStatement) {
      tested = this.read(st.expression);
      body = ts.isBlock(st.thenStatement) && st.thenStatement.statements.length === 1
        ? st.thenStatement.statements[0]!
        : st.thenStatement;
      if (!tested || tested.path.length) return undefined;
    }
    if (!ts.isExpressionStatement(body)) return undefined;
    const e = skipOuter(body.expression);
    if (!ts.isBinaryExpression(e) || e.operatorToken.kind !== ts.SyntaxKind.EqualsToken) return undefined;
    const left = skipOuter(e.left);
    if (!ts.isPropertyAccessExpression(left)) return undefined;
    const target = this.read(left.expression);
    if (!target || target.path.length || !ts.isNewExpression(target.store)) return undefined;
    if (tested && tested.store !== target.store) return undefined;
    return { store: target.store, value: e.right, call: e, member: left.name.text };
  }

  /** `enterWith` of the expression of an expression statement. */
  private enterWithExpr(
    expr: ts.Expression,
    depth = 0,
  ): { store: Store; value: ts.Expression; call: ts.Expression; member?: string } | undefined {
    let call = skipOuter(expr);
    while (ts.isAwaitExpression(call)) call = skipOuter(call.expression);
    if (!ts.isCallExpression(call)) return undefined;
    const callee = skipOuter(call.expression);
    if (!ts.isPropertyAccessExpression(callee)) return undefined;
    if (callee.name.text === 'enterWith' && call.arguments.length === 1) {
      const store = this.storeOf(callee.expression);
      return store && ts.isNewExpression(store) ? { store, value: call.arguments[0]!, call } : undefined;
    }
    const key = call.arguments[0] && constantKey(call.arguments[0], this.origins);
    if (callee.name.text === 'set' && call.arguments.length === 2 && key !== undefined) {
      const store = this.storeOf(callee.expression);
      if (store === HONO_CONTEXT()) return { store: honoVariable(key), value: call.arguments[1]!, call, member: key };
      return store && ts.isCallExpression(store) ? { store, value: call.arguments[1]!, call, member: key } : undefined;
    }
    return this.setterCall(call, depth);
  }

  /**
   * `this.tenancy.setTenantId(id)`: a method of the codebase whose body sets a store member at its top level enters it
   * for its caller (nestjs-cls and cls-hooked values live as long as the request, not the call).
   */
  /**
   * The top-level statements a call runs: its callee's body when it is a function of the
   * codebase; for an emit on @nestjs/event-emitter's EventEmitter2, those of every `@OnEvent`
   * listener it runs during the call (a passport strategy's validate() announcing the login).
   */
  private calleeStatements(call: ts.CallExpression): ts.Statement[] {
    const target = this.origins.expr(call.expression);
    const body = target.kind === 'function' ? target.decl.body : undefined;
    const bodies = body ? [body] : (this.nest?.listenersOf(call) ?? []).flatMap((m) => (m.body ? [m.body] : []));
    return bodies.flatMap((b) => (ts.isBlock(b) ? [...b.statements] : []));
  }

  private setterCall(
    call: ts.CallExpression,
    depth: number,
  ): { store: Store; value: ts.Expression; call: ts.Expression; member?: string } | undefined {
    if (depth > 3) return undefined;
    // A listener that sets the member at its top level sets it for the emitter's caller too.
    const target = this.origins.expr(call.expression);
    for (const st of this.calleeStatements(call)) {
      const inner = this.enterWith(st, depth + 1);
      // Set from the setter's parameter (`useManager(manager)`): the argument of this call is what is entered.
      const value =
        inner && target.kind === 'function' ? substituteParam(inner.value, target.decl, call) : inner?.value;
      if (inner?.member !== undefined && value) return { ...inner, value, call };
    }
    return undefined;
  }

  /**
   * Whether a call is of a function of the codebase that enters a store with what it is given (`runWithTenant(context,
   * work)` whose body runs `storage.run(context, work)`), directly or through a function it calls, a few levels: the
   * flow records the connections' states at such a call too (call-edges.ts), for the value the store is entered with
   * there (reach.ts `bound`).
   */
  entersThrough(call: ts.CallExpression): boolean {
    const target = this.origins.expr(call.expression);
    return target.kind === 'function' && this.wrapsRun(target.decl);
  }

  /**
   * Whether a run call is within WRAP_LEVELS calls of the function's body: a breadth-first look over each function's
   * own facts (bodyCalls), so the answer is the function's alone. (A depth-limited walk that remembered each function's
   * answer at the depth it was first asked gave a function first met three levels down "no" for every later asker:
   * verdicts depended on which call was traced first.)
   */
  private wrapsRun(fn: ts.FunctionLikeDeclaration): boolean {
    return this.wrapping.get(fn, () => {
      const seen = new Set([fn]);
      let level = [fn];
      for (let depth = 0; depth <= WRAP_LEVELS && level.length; depth++) {
        const next: ts.FunctionLikeDeclaration[] = [];
        for (const f of level) {
          const body = this.bodyCalls(f);
          if (body.runs) return true;
          if (depth === WRAP_LEVELS) continue;
          for (const callee of body.callees) {
            if (seen.has(callee)) continue;
            seen.add(callee);
            next.push(callee);
          }
        }
        level = next;
      }
      return false;
    });
  }

  /** Whether the function's body enters a store itself, and the functions of the codebase it calls. */
  private bodyCalls(fn: ts.FunctionLikeDeclaration): { runs: boolean; callees: ts.FunctionLikeDeclaration[] } {
    return this.bodies.get(fn, () => {
      const callees = new Set<ts.FunctionLikeDeclaration>();
      let runs = false;
      const visit = (n: ts.Node): void => {
        if (runs) return;
        if (ts.isCallExpression(n)) {
          if (this.runCall(n)) {
            runs = true;
            return;
          }
          const target = this.origins.expr(n.expression);
          if (target.kind === 'function' && target.decl !== fn) callees.add(target.decl);
        }
        ts.forEachChild(n, visit);
      };
      if (fn.body) visit(fn.body);
      return { runs, callees: runs ? [] : [...callees] };
    });
  }

  private readonly wrapping: TrackedMemo<ts.FunctionLikeDeclaration, boolean>;
  private readonly bodies: TrackedMemo<
    ts.FunctionLikeDeclaration,
    { runs: boolean; callees: ts.FunctionLikeDeclaration[] }
  >;

  /**
   * Whether a call enters a store (`S.run(v, fn)` or `S.enterWith(v)`), or sets a member of the value entered through
   * a setter of the codebase (`TenantContext.setEntityManager(manager)`): the flow records the connections' states
   * there, for the value the member is set to.
   */
  enters(call: ts.CallExpression): boolean {
    const callee = skipOuter(call.expression);
    if (!ts.isPropertyAccessExpression(callee)) return false;
    if (['run', 'enterWith', 'set'].includes(callee.name.text)) return this.storeOf(callee.expression) !== undefined;
    const target = this.origins.expr(callee);
    if (target.kind !== 'function' || !target.decl.body || !ts.isBlock(target.decl.body)) return false;
    const known = this.setters.get(target.decl);
    if (known !== undefined) return known;
    const sets = target.decl.body.statements.some((st) => this.memberSet(st));
    this.setters.set(target.decl, sets);
    return sets;
  }

  /** Per method: whether its body sets a member of a store's value at its top level (asked at each call). */
  private readonly setters = new WeakMap<ts.FunctionLikeDeclaration, boolean>();

  /**
   * The values a store (or its `member`) is entered with by `value`: several when the middleware picks one at run
   * time, the member's own earlier value among them when it sets it again from itself (reset-values.ts). Once per
   * value and store.
   */
  entryValues(value: ts.Expression, store: Store, member: string | undefined): ResetValue[] {
    const key = `${member ?? ''}`;
    let byStore = this.resets.get(value);
    if (!byStore) this.resets.set(value, (byStore = new Map()));
    let byMember = byStore.get(store);
    if (!byMember) byStore.set(store, (byMember = new TrackedMemo(this.origins.facts)));
    const readsItself = (e: ts.Expression): boolean => {
      const r = this.read(e);
      if (!r || r.store !== store) return false;
      return member === undefined ? r.path.length === 0 : r.path.length === 1 && r.path[0] === member;
    };
    return byMember.get(key, () => resetValues(value, readsItself));
  }

  /** Whether entering `value` reads the member's own earlier value (so what the path held before matters). */
  readsEarlier(value: ts.Expression, store: Store, member: string | undefined): boolean {
    return this.entryValues(value, store, member).some((v) => v.kind !== 'value');
  }

  /** Weakly, by the entering value: a replaced parse's values go with it (an editor's session outlives its parses). */
  private readonly resets = new WeakMap<ts.Expression, Map<Store, TrackedMemo<string, ResetValue[]>>>();

  /** A read of a store's value, following consts and member accesses back to `getStore()`. */
  read(expression: ts.Expression, depth = 0): StoreRead | undefined {
    if (depth > 8) return undefined;
    // Express: `req.db`, `res.locals.db` read the property's store (context/express-vars.ts).
    const express = expressAccess(expression, this.origins);
    if (express) return { store: express.store, path: [express.member, ...express.rest] };
    const fastify = fastifyAccess(expression, this.origins);
    if (fastify) return { store: fastify.store, path: [fastify.member, ...fastify.rest] };
    let e = skipOuter(expression);
    const path: string[] = [];
    while (ts.isPropertyAccessExpression(e) || ts.isNonNullExpression(e)) {
      if (ts.isPropertyAccessExpression(e)) path.unshift(e.name.text);
      e = skipOuter(e.expression);
    }
    if (ts.isCallExpression(e)) {
      const callee = skipOuter(e.expression);
      // A getter of the codebase (`getDbFromContext()`, whose one return is `storage.getStore()?.db`), called
      // with no arguments: its return read here.
      if (ts.isIdentifier(callee) && e.arguments.length === 0) {
        const origin = this.origins.expr(callee);
        const returns =
          origin.kind === 'function' && origin.decl.parameters.length === 0 ? ownReturns(origin.decl) : [];
        const inner = returns.length === 1 ? this.read(returns[0]!, depth + 1) : undefined;
        return inner ? { store: inner.store, path: [...inner.path, ...path] } : undefined;
      }
      if (!ts.isPropertyAccessExpression(callee)) return undefined;
      // The same getter as a method of the codebase (`TenantContext.getEntityManager()`, a static method whose one
      // return is `this.storage.getStore()?.entityManager`).
      const method = e.arguments.length === 0 ? this.origins.expr(callee) : undefined;
      if (method?.kind === 'function' && method.decl.parameters.length === 0) {
        const returns = ownReturns(method.decl);
        const inner = returns.length === 1 ? this.read(returns[0]!, depth + 1) : undefined;
        if (inner) return { store: inner.store, path: [...inner.path, ...path] };
      }
      // cls-hooked: `ns.get('tx')` reads the member `tx`.
      const key = e.arguments[0] && skipOuter(e.arguments[0]);
      if (callee.name.text === 'get' && e.arguments.length === 1 && key && ts.isStringLiteral(key)) {
        const store = this.storeOf(callee.expression);
        if (store === HONO_CONTEXT()) return { store: honoVariable(key.text), path: [key.text, ...path] };
        return store && ts.isCallExpression(store) ? { store, path: [key.text, ...path] } : undefined;
      }
      if (callee.name.text !== 'getStore' || e.arguments.length) return undefined;
      const store = this.storeOf(callee.expression);
      return store ? { store, path } : undefined;
    }
    if (ts.isIdentifier(e)) {
      // Hono: `c.var.db` reads the variable `db`.
      if (path[0] === 'var' && path.length > 1 && this.storeOf(e) === HONO_CONTEXT())
        return { store: honoVariable(path[1]!), path: path.slice(1) };
      const b = lookup(e);
      if (b?.kind !== 'variable' || !b.decl.initializer) return undefined;
      // `const { db } = c.get('auth')`, `const { tx } = storage.getStore()!`: the member the pattern takes.
      const taken = b.path.length ? destructuredKeys(b.decl.name, b.path) : [];
      if (!taken) return undefined;
      const inner = this.read(b.decl.initializer, depth + 1);
      return inner ? { store: inner.store, path: [...inner.path, ...taken, ...path] } : undefined;
    }
    return undefined;
  }

  /**
   * An accessor expression: `S.getStore()?.tx ?? pool`, `ctx ? ctx.tx : pool`, or a bare read
   * (no fallback: with no store entered it yields undefined, which is not a connection).
   */
  accessor(expression: ts.Expression, trace: (e: ts.Expression) => Handle): AmbientHandle | undefined {
    const e = skipOuter(expression);
    if (
      ts.isBinaryExpression(e) &&
      (e.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken ||
        e.operatorToken.kind === ts.SyntaxKind.BarBarToken)
    ) {
      const r = this.read(e.left);
      if (r) return this.make(r, e, trace(e.right));
    }
    if (ts.isConditionalExpression(e)) {
      const test = this.read(e.condition);
      const then = this.read(e.whenTrue);
      if (test && then && then.store === test.store) return this.make(then, e, trace(e.whenFalse));
    }
    const r = this.read(e);
    if (r)
      return this.make(r, e, {
        kind: 'unknown',
        reason: `\`${shortText(e, 40)}\` is undefined where no path entered the store`,
      });
    return undefined;
  }

  /**
   * `new Proxy(pool, { get(target, prop) { … S.getStore() … } })`: the store's value, else the
   * target. The handler may be a const declared apart (`const handler: ProxyHandler<…> = {…}`),
   * and its `get` and `apply` traps (db.raw(…), db('t')) must read one store the same way.
   */
  proxy(created: ts.NewExpression, trace: (e: ts.Expression) => Handle): AmbientHandle | undefined {
    const traps = proxyTraps(created, this.origins);
    if (!traps) return undefined;
    const swaps = traps.map((fn) => this.swap(fn));
    if (swaps.some(Boolean)) {
      // Traps that swap the target for a store's manager: all the same swap, or the Proxy is not read (handles.ts
      // says why: `swapUnread`).
      const first = swaps[0] && 'read' in swaps[0] ? swaps[0].read : undefined;
      const same = (x: (typeof swaps)[number]): boolean =>
        !!x && 'read' in x && x.read.store === first?.store && x.read.path.join('.') === first.path.join('.');
      if (!first || !swaps.every(same)) return undefined;
      const made = this.make(first, created, trace(created.arguments![0]!));
      // Named by its trap: what decides is the swap, not the line the Proxy is made on.
      const member = first.path.length ? ` (its \`${first.path.join('.')}\`)` : '';
      return {
        ...made,
        label: `the connection ${this.describeStore(first.store)} holds${member}, swapped in by the trap at ` +
          `${this.where(traps[0]!, this.root)} of the Proxy made at ${this.where(created, this.root)}`,
      };
    }
    const reads: StoreRead[] = [];
    for (const fn of traps) this.trapReads(fn, reads);
    if (reads.length === 0) return undefined;
    const first = reads[0]!;
    if (!reads.every((r) => r.store === first.store && r.path.join('.') === first.path.join('.'))) {
      return {
        ...this.make(first, created, trace(created.arguments![0]!)),
        fallback: { kind: 'unknown', reason: 'the Proxy trap reads its store in more than one way' },
      };
    }
    return this.make(first, created, trace(created.arguments![0]!));
  }

  /** Why a Proxy whose trap swaps its target for a store's manager is not read (a condition, another value). */
  swapUnread(created: ts.NewExpression): string | undefined {
    const swaps = (proxyTraps(created, this.origins) ?? []).map((fn) => this.swap(fn));
    const odd = swaps.find((x) => x && 'why' in x);
    if (odd && 'why' in odd) return odd.why;
    return swaps.some(Boolean) ? 'its traps do not all swap the target for the same stored manager' : undefined;
  }

  /**
   * A trap that swaps its target for the stored manager's repository: `let repo = target; if (manager && manager !==
   * target.manager) repo = manager.getRepository(target.target); … repo[prop] …` with `manager` a read of a store
   * (`const manager = TenantContext.getEntityManager()`). With the store's manager set, every member comes from its
   * repository of the same entity (or from the target, when the target already runs on that very manager); else
   * from the target. A swap under any other condition (`manager && flag`) may hand out the target with the store
   * entered: `why` says so (the Proxy's fallback is then unknown, fail closed). Undefined when the trap is no swap.
   */
  private swap(fn: ts.FunctionLikeDeclaration): { read: StoreRead } | { why: string } | undefined {
    const target = fn.parameters[0]?.name;
    if (!fn.body || !ts.isBlock(fn.body) || !target || !ts.isIdentifier(target)) return undefined;
    const isTarget = (e: ts.Expression): boolean => {
      const x = skipOuter(e);
      return ts.isIdentifier(x) && x.text === target.text && lookup(x)?.kind === 'parameter';
    };
    const swapped = fn.body.statements.flatMap((st) =>
      ts.isVariableStatement(st)
        ? st.declarationList.declarations.filter((d) => d.initializer && isTarget(d.initializer))
        : []);
    const local = swapped.length === 1 && ts.isIdentifier(swapped[0]!.name) ? swapped[0]!.name : undefined;
    if (!local) return undefined;
    const assigns: ts.BinaryExpression[] = [];
    const visit = (n: ts.Node): void => {
      if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
        ts.isIdentifier(skipOuter(n.left)) && (skipOuter(n.left) as ts.Identifier).text === local.text)
        assigns.push(n);
      ts.forEachChild(n, visit);
    };
    visit(fn.body);
    const only = assigns.length === 1 ? assigns[0]! : undefined;
    const at = (n: ts.Node): string => this.where(n, this.root);
    if (!only)
      return assigns.length ? { why: `the trap at ${at(fn)} assigns \`${local.text}\` more than once` } : undefined;
    // `manager.getRepository(target.target)` (the same entity on the stored manager), or the stored value itself.
    let value = skipOuter(only.right);
    if (ts.isCallExpression(value) && ts.isPropertyAccessExpression(skipOuter(value.expression))) {
      const callee = skipOuter(value.expression) as ts.PropertyAccessExpression;
      const arg = value.arguments[0] && skipOuter(value.arguments[0]);
      const sameEntity = value.arguments.length === 1 && arg && ts.isPropertyAccessExpression(arg) &&
        arg.name.text === 'target' && isTarget(arg.expression);
      if (!REPOSITORY_GETTERS_OF_MANAGER.has(callee.name.text) || !sameEntity)
        return { why: `the trap at ${at(fn)} swaps its target for \`${shortText(only.right, 50)}\`` };
      value = callee.expression;
    }
    const read = this.read(value);
    if (!read) return undefined;
    const guard = only.parent;
    const cond = ts.isExpressionStatement(guard) ? ifAround(guard) : undefined;
    const reads = (e: ts.Expression): boolean => {
      const r = this.read(e);
      return !!r && r.store === read.store && r.path.join('.') === read.path.join('.');
    };
    // `manager !== target.manager`: false only where the target already runs on the stored manager.
    const sameManager = (e: ts.Expression): boolean => {
      const b = skipOuter(e);
      const differs = ts.isBinaryExpression(b) && b.operatorToken.kind === ts.SyntaxKind.ExclamationEqualsEqualsToken;
      if (!differs) return false;
      const onTarget = (x: ts.Expression): boolean => {
        const y = skipOuter(x);
        if (ts.isIdentifier(y)) {
          const bound = lookup(y);
          return bound?.kind === 'variable' && !bound.path.length && !!bound.decl.initializer &&
            onTarget(bound.decl.initializer);
        }
        return ts.isPropertyAccessExpression(y) && y.name.text === 'manager' && isTarget(y.expression);
      };
      return (reads(b.left) && onTarget(b.right)) || (reads(b.right) && onTarget(b.left));
    };
    const parts = cond ? conjuncts(cond.expression) : [];
    const fine = cond && parts.some(reads) && parts.every((c) => reads(c) || sameManager(c));
    if (!fine)
      return {
        why: `the trap at ${at(fn)} swaps its target for the stored manager's only when \`` +
          `${shortText(cond?.expression ?? only, 50)}\`, so it may hand out the target with the store entered`,
      };
    return { read };
  }

  /**
   * The store reads in a trap: `S.getStore()?.tx` inline, through a local (`const trx = S.getStore(); trx ??
   * target`), or through a getter of the codebase whose one return is such a read (`getDbFromContext() || target`).
   */
  private trapReads(fn: ts.FunctionLikeDeclaration, reads: StoreRead[]): void {
    const top = (e: ts.Expression): ts.Expression => {
      while (
        ts.isPropertyAccessExpression(e.parent) ||
        ts.isNonNullExpression(e.parent) ||
        ts.isParenthesizedExpression(e.parent)
      )
        e = e.parent as ts.Expression;
      return e;
    };
    const visit = (n: ts.Node): void => {
      if (ts.isCallExpression(n)) {
        const callee = skipOuter(n.expression);
        // `const ctx = S.getStore()` is read through its uses (`ctx?.tx`, `ctx ?? target`), below.
        const held =
          ts.isVariableDeclaration(top(n).parent) && (top(n).parent as ts.VariableDeclaration).initializer === top(n);
        // A getter of the codebase that returns the store's value (`getDbFromContext()`) reads as the store does.
        const getter = ts.isIdentifier(callee) && n.arguments.length === 0;
        if (((ts.isPropertyAccessExpression(callee) && callee.name.text === 'getStore') || getter) && !held) {
          const r = this.read(top(n));
          if (r) reads.push(r);
        }
      }
      const declared = ts.isVariableDeclaration(n.parent) && n.parent.name === n;
      if (
        ts.isIdentifier(n) &&
        !declared &&
        !(ts.isPropertyAccessExpression(n.parent) && n.parent.name === n) &&
        !isTest(top(n)) &&
        lookup(n)?.kind === 'variable'
      ) {
        const r = this.read(sameEntityRepository(top(n), fn) ?? top(n));
        if (r) reads.push(r);
      }
      ts.forEachChild(n, visit);
    };
    if (fn.body) visit(fn.body);
  }

  /**
   * A Proxy that reads no store but forwards every member to one object it fetches in its
   * trap (`get(_t, prop) { const instance = getDb(); return Reflect.get(instance, prop) }`): a
   * lazily made connection, which is whatever that expression is.
   */
  lazyProxy(created: ts.NewExpression): ts.Expression | undefined {
    const traps = proxyTraps(created, this.origins);
    if (!traps) return undefined;
    const sources = new Set<ts.Expression>();
    for (const fn of traps) {
      const visit = (n: ts.Node): void => {
        if (ts.isCallExpression(n) && isReflectGet(n) && n.arguments[0])
          sources.add(initialValue(n.arguments[0]) ?? n.arguments[0]);
        // `return getDb().drizzle[prop as keyof Db]`: the same forwarding, written as an index by the trap's key.
        if (ts.isElementAccessExpression(n) && isTrapKey(n.argumentExpression, fn))
          sources.add(initialValue(n.expression) ?? n.expression);
        ts.forEachChild(n, visit);
      };
      if (fn.body) visit(fn.body);
    }
    const [only] = sources;
    if (sources.size !== 1 || !only) return undefined;
    // Forwarding to the Proxy's own target is no connection of its own, nor is a `let` that starts as the target and
    // may be swapped for another value (`let repo = target; if (m) repo = m.getRepository(…)`: swap(), below).
    const target = skipOuter(only);
    if (ts.isIdentifier(target) && lookup(target)?.kind === 'parameter') return undefined;
    const held = ts.isIdentifier(target) ? lookup(target) : undefined;
    const values = held?.kind === 'variable' && !held.path.length ? assignedValues(held) : undefined;
    const isParameter = (v: ts.Expression): boolean => {
      const x = skipOuter(v);
      return ts.isIdentifier(x) && lookup(x)?.kind === 'parameter';
    };
    if (values?.some(isParameter)) return undefined;
    return only;
  }

  /**
   * A factory that picks a connection from a tenant store: `const t = S.getStore(); if (!t)
   * return pool; return tenantPool(t);` or `return t ? tenantPool(t) : pool`. Once per function.
   */
  factory(fn: ts.FunctionLikeDeclaration, trace: (e: ts.Expression) => Handle): AmbientHandle | undefined {
    return this.factories.get(fn, () => this.findFactory(fn, trace) ?? null, { value: null }) ?? undefined;
  }

  private findFactory(fn: ts.FunctionLikeDeclaration, trace: (e: ts.Expression) => Handle): AmbientHandle | undefined {
    if (!fn.body || !ts.isBlock(fn.body)) return undefined;
    const early = earlyReturnAccessor(fn, (e) => this.read(e) !== undefined);
    if (early) return this.earlyReturn(fn, early, trace);
    const stmts = fn.body.statements;
    const decl = stmts
      .find(ts.isVariableStatement)
      ?.declarationList.declarations.find((d) => d.initializer && this.read(d.initializer));
    if (!decl || !ts.isIdentifier(decl.name)) return undefined;
    const local = decl.name.text;
    const r = this.read(decl.initializer!)!;
    const isLocal = (x: ts.Expression): boolean =>
      ts.isIdentifier(skipOuter(x)) &&
      (skipOuter(x) as ts.Identifier).text === local &&
      lookup(skipOuter(x) as ts.Identifier)?.kind === 'variable';
    let fallback: ts.Expression | undefined;
    let entered: ts.Expression | undefined;
    for (const st of stmts) {
      if (ts.isIfStatement(st) && !st.elseStatement) {
        const cond = skipOuter(st.expression);
        const then =
          ts.isBlock(st.thenStatement) && st.thenStatement.statements.length === 1
            ? st.thenStatement.statements[0]!
            : st.thenStatement;
        if (
          ts.isPrefixUnaryExpression(cond) &&
          cond.operator === ts.SyntaxKind.ExclamationToken &&
          isLocal(cond.operand) &&
          ts.isReturnStatement(then) &&
          then.expression
        ) {
          fallback = then.expression;
          continue;
        }
      }
      if (ts.isReturnStatement(st) && st.expression) {
        const e = skipOuter(st.expression);
        if (ts.isConditionalExpression(e) && isLocal(e.condition)) {
          entered = e.whenTrue;
          fallback = e.whenFalse;
        } else if (fallback) entered = e;
        break;
      }
    }
    if (!fallback || !entered) return undefined;
    return {
      ...this.make(r, fn, trace(fallback)),
      entered: trace(entered),
      label: `the connection \`${functionName(fn)}\` (${this.where(fn, this.root)}) picks from ` +
        `${this.describeStore(r.store)}`,
    };
  }

  /**
   * `const ctx = S.getStore(); if (ctx) return ctx.tx; … return pool;` (early-return.ts): the stored connection where a
   * path entered the store, as `S.getStore()?.tx ?? pool` is; where the branch returns a pool bound to the stored
   * tenant (`if (t) return tenantPool(t)`), a tenant store's factory, as `t ? tenantPool(t) : pool` is.
   */
  private earlyReturn(
    fn: ts.FunctionLikeDeclaration,
    early: EarlyReturn,
    trace: (e: ts.Expression) => Handle,
  ): AmbientHandle | undefined {
    const tested = this.read(early.read);
    if (!tested) return undefined;
    const stored = this.read(early.entered);
    if (stored && stored.store === tested.store) return this.make(stored, fn, trace(early.fallback));
    // Only a pool bound to the tenant the store holds: anything else made from the stored value (a repository of a
    // stored manager, `manager.getRepository(entity)`) is no tenant factory, and the function's returns stay named.
    const entered = trace(early.entered);
    if (entered.kind !== 'executor' || !entered.tenant) return undefined;
    return {
      ...this.make(tested, fn, trace(early.fallback)),
      entered,
      label: `the connection \`${functionName(fn)}\` (${this.where(fn, this.root)}) picks from ` +
        `${this.describeStore(tested.store)}`,
    };
  }

  describeStore(store: Store): string {
    if (isHonoStore(store)) return `\`${honoVariableName(store)}\` of ${HONO_CONTEXT_NAME}`;
    if (isExpressStore(store)) return `\`${expressVariableName(store)}\` of ${EXPRESS_CONTEXT_NAME}`;
    if (isFastifyStore(store)) return `\`${fastifyVariableName(store)}\` of ${FASTIFY_CONTEXT_NAME}`;
    const what = ts.isNewExpression(store) ? 'AsyncLocalStorage' : 'cls-hooked namespace';
    const name = storeVariable(store);
    return name
      ? `the ${what} \`${name}\` (${this.where(store, this.root)})`
      : `an ${what} (${this.where(store, this.root)})`;
  }

  /**
   * A Proxy that applies the store's value to a transaction of its own per operation (operation-proxies.ts): `entered`
   * where a path entered the store, `fallback` where none did.
   */
  perOperation(r: StoreRead, at: ts.Node, entered: Handle, fallback: Handle, label: string): AmbientHandle {
    return { ...this.make(r, at, fallback), entered, label };
  }

  private make(r: StoreRead, at: ts.Node, fallback: Handle): AmbientHandle {
    const storeName =
      isHonoStore(r.store)
        ? `c.var.${honoVariableName(r.store)}`
        : isExpressStore(r.store)
          ? expressVariableName(r.store)
          : isFastifyStore(r.store)
          ? fastifyVariableName(r.store)
          : storeVariable(r.store) ?? 'AsyncLocalStorage';
    const member = r.path.length ? ` (its \`${r.path.join('.')}\`)` : '';
    return {
      kind: 'ambient',
      store: r.store,
      storeName,
      path: r.path,
      fallback,
      key: at,
      label: `the connection ${this.describeStore(r.store)} holds${member}, read at ${this.where(at, this.root)}`,
    };
  }
}

/** The library an ambient connection belongs to: its fallback's, else the entered one's. */
/** The property key a `get(target, prop)` trap is given, read as `prop` (or `prop as keyof T`). */
function isTrapKey(arg: ts.Expression, trap: ts.FunctionLikeDeclaration): boolean {
  const key = trap.parameters[1]?.name;
  const e = skipOuter(arg);
  return !!key && ts.isIdentifier(key) && ts.isIdentifier(e) && e.text === key.text && lookup(e)?.kind === 'parameter';
}

/**
 * `new Proxy(target, handler)` of the global Proxy: its target, and where the handler traps reads (`get` or `apply`),
 * whatever the trap does; `traps` is undefined for a handler with neither (every member is the target's own).
 */
export function proxiedTarget(
  created: ts.NewExpression,
  origins: OriginResolver,
): { target: ts.Expression; traps: ts.FunctionLikeDeclaration | undefined } | undefined {
  const ctor = skipOuter(created.expression);
  if (!ts.isIdentifier(ctor) || ctor.text !== 'Proxy' || lookup(ctor) || created.arguments?.length !== 2)
    return undefined;
  return { target: created.arguments[0]!, traps: proxyTraps(created, origins)?.[0] };
}

/** The `get`/`apply` traps of `new Proxy(target, handler)`, the handler inline or a const. */
export function proxyTraps(
  created: ts.NewExpression,
  origins: OriginResolver,
): ts.FunctionLikeDeclaration[] | undefined {
  const ctor = skipOuter(created.expression);
  if (!ts.isIdentifier(ctor) || ctor.text !== 'Proxy' || lookup(ctor) || created.arguments?.length !== 2)
    return undefined;
  let handler = skipOuter(created.arguments[1]!);
  if (!ts.isObjectLiteralExpression(handler)) {
    const o = origins.expr(handler);
    handler = o.kind === 'expr' ? skipOuter(o.expr) : handler;
  }
  if (!ts.isObjectLiteralExpression(handler)) return undefined;
  const traps: ts.FunctionLikeDeclaration[] = [];
  for (const p of handler.properties) {
    if (!p.name || !ts.isIdentifier(p.name) || (p.name.text !== 'get' && p.name.text !== 'apply')) continue;
    const fn = ts.isMethodDeclaration(p) ? p : ts.isPropertyAssignment(p) ? skipOuter(p.initializer) : undefined;
    if (fn && isFunctionLike(fn) && fn.body) traps.push(fn);
  }
  return traps.length ? traps : undefined;
}

/**
 * A value only tested (`ctx ? … : …`, `!ctx`, `if (ctx)`, `ctx && …`, `ctx === x`), not used as the connection.
 */
function isTest(e: ts.Expression): boolean {
  let x: ts.Node = e;
  while (ts.isParenthesizedExpression(x.parent)) x = x.parent;
  const p = x.parent;
  if (ts.isConditionalExpression(p)) return p.condition === x;
  if (ts.isIfStatement(p)) return p.expression === x;
  if (ts.isPrefixUnaryExpression(p) || ts.isTypeOfExpression(p)) return true;
  if (ts.isBinaryExpression(p)) {
    const k = p.operatorToken.kind;
    return (
      (k === ts.SyntaxKind.AmpersandAmpersandToken && p.left === x) ||
      k === ts.SyntaxKind.EqualsEqualsEqualsToken ||
      k === ts.SyntaxKind.ExclamationEqualsEqualsToken ||
      k === ts.SyntaxKind.EqualsEqualsToken ||
      k === ts.SyntaxKind.ExclamationEqualsToken
    );
  }
  return false;
}

/** `Reflect.get(x, prop, …)` on the global Reflect. */
function isReflectGet(call: ts.CallExpression): boolean {
  const callee = skipOuter(call.expression);
  return (
    ts.isPropertyAccessExpression(callee) &&
    callee.name.text === 'get' &&
    ts.isIdentifier(callee.expression) &&
    callee.expression.text === 'Reflect' &&
    !lookup(callee.expression)
  );
}

/** The name a store is kept under: its variable, or `Class.field` for a class's (static) property. */
function storeVariable(store: Store): string | undefined {
  const d = store.parent;
  if (d && ts.isVariableDeclaration(d) && ts.isIdentifier(d.name)) return d.name.text;
  if (d && ts.isPropertyDeclaration(d) && ts.isIdentifier(d.name) && d.initializer === store) {
    const owner = ts.isClassLike(d.parent) ? d.parent.name?.text : undefined;
    return owner ? `${owner}.${d.name.text}` : d.name.text;
  }
  return undefined;
}

/** How a TypeORM EntityManager hands out an entity's repository. */
const REPOSITORY_GETTERS_OF_MANAGER = new Set(['getRepository', 'getTreeRepository']);

/** The `if` (no `else`) whose then-branch is this statement, alone or in a block. */
function ifAround(st: ts.Statement): ts.IfStatement | undefined {
  const p = ts.isBlock(st.parent) && st.parent.statements.length === 1 ? st.parent.parent : st.parent;
  return p && ts.isIfStatement(p) && !p.elseStatement ? p : undefined;
}

/**
 * `manager.getRepository(target.target)` in a trap over a repository: the same entity's repository on `manager`, which
 * runs on it; `manager` is what the trap reads (undefined for any other use).
 */
function sameEntityRepository(e: ts.Expression, trap: ts.FunctionLikeDeclaration): ts.Expression | undefined {
  const call = e.parent;
  if (!ts.isPropertyAccessExpression(e) || !REPOSITORY_GETTERS_OF_MANAGER.has(e.name.text)) return undefined;
  if (!ts.isCallExpression(call) || call.expression !== e || call.arguments.length !== 1) return undefined;
  const arg = skipOuter(call.arguments[0]!);
  const target = trap.parameters[0]?.name;
  const ofTarget = ts.isPropertyAccessExpression(arg) && arg.name.text === 'target' && !!target &&
    ts.isIdentifier(target) && ts.isIdentifier(skipOuter(arg.expression)) &&
    (skipOuter(arg.expression) as ts.Identifier).text === target.text;
  return ofTarget ? e.expression : undefined;
}

/** `a && b && c`: [a, b, c]. */
function conjuncts(e: ts.Expression): ts.Expression[] {
  const x = skipOuter(e);
  return ts.isBinaryExpression(x) && x.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken
    ? [...conjuncts(x.left), ...conjuncts(x.right)]
    : [x];
}

/** A parameter of `fn` read as is: the argument `call` passes for it (undefined when it passes none). */
function substituteParam(
  value: ts.Expression,
  fn: ts.FunctionLikeDeclaration,
  call: ts.CallExpression,
): ts.Expression | undefined {
  const v = skipOuter(value);
  const b = ts.isIdentifier(v) ? lookup(v) : undefined;
  if (b?.kind !== 'parameter' || b.fn !== fn || b.path.length) return value;
  return call.arguments[b.index];
}

/**
 * The member names an object pattern takes along `path` (`{ auth: { db } }`: auth, db), or undefined when a step is
 * not a plain name (an index, a computed key) or has a default (`{ db = pool }`: another value where the store has
 * none, not read here).
 */
function destructuredKeys(pattern: ts.BindingName, path: readonly (string | number)[]): string[] | undefined {
  const keys: string[] = [];
  let at: ts.BindingName = pattern;
  for (const key of path) {
    if (typeof key !== 'string' || !ts.isObjectBindingPattern(at)) return undefined;
    const el = at.elements.find((x) => !x.dotDotDotToken && (x.propertyName ?? x.name).getText() === key);
    if (!el || el.initializer || (el.propertyName && !ts.isIdentifier(el.propertyName))) return undefined;
    keys.push(key);
    at = el.name;
  }
  return keys;
}

/** The initializer of the local const an identifier names, if it is one. */
function initialValue(e: ts.Expression): ts.Expression | undefined {
  const x = skipOuter(e);
  if (!ts.isIdentifier(x)) return undefined;
  const b = lookup(x);
  // A `let` the code assigns again (`let cached = null` filled in the trap: `if (!cached) cached = getDb()`) holds
  // more than its initializer: the variable itself is traced then (its values, origins.ts), not `null`.
  if (!b || !isStableVariable(b)) return undefined;
  return !b.path.length && b.decl.initializer ? b.decl.initializer : undefined;
}

export function ambientAdapter(h: AmbientHandle): DbAdapter | undefined {
  for (const x of [h.fallback, h.entered])
    if (x && (x.kind === 'executor' || x.kind === 'admin') && x.adapter) return x.adapter;
  return h.calledBack?.typed?.adapter;
}

/**
 * `db.transaction(async (trx) => …)` on an ambient `db`: a savepoint of the stored transaction
 * where a path entered the store (its context carries in), a new transaction on the fallback
 * otherwise: the same ambient connection, judged per path. A context set on `trx` inside the
 * callback is not credited (fail closed).
 */
export function transactionOnAmbient(receiver: AmbientHandle, method: string, what: string): AmbientHandle | undefined {
  const adapter = ambientAdapter(receiver);
  // A request's variable (`c.var.db`) names no library of its own: what a path stored there is judged there, as
  // that client's transaction (a value with no such method is no connection, or untraced, there too).
  const requestVariable =
    !adapter && (isHonoStore(receiver.store) || isExpressStore(receiver.store) || isFastifyStore(receiver.store));
  if (requestVariable ? !adapters.some((a) => a.transactionMethods?.[method]) : !adapter?.transactionMethods?.[method])
    return undefined;
  return { ...receiver, label: `${what} on ${receiver.label}` };
}
