import ts from '../ts.js';
import { returnedExpressions, returnStatements } from '../code/own-returns.js';
import { adapters, type DbAdapter } from '../adapters/index.js';
import type { classifyStatement } from '../sql/classify.js';
import type { FactKind } from '../code/fixpoint.js';
import type { Handle } from './handles.js';
import { functionName, isNothing } from '../code/origins.js';
import { isFunctionLike, lookup } from '../code/scope.js';
import { skipOuter } from '../syntax/wrappers.js';
import { walkDescendants } from '../code/walk.js';
import { argumentPresence, type Presence } from './argument-presence.js';
import { forwardsOwnMembers } from './proxy-traps.js';
import type { LoginRole } from './providers/login-roles.js';

// What a function returns, as a per-function fact: its return statements are found and
// traced once, however many calls of it are traced. Only the choice a call's arguments
// make (a factory's `if (!orgId) return pool;`) is left to each call, and it is a lookup.

export interface ReturnsFact {
  /**
   * `if (!p) return x;` (taken when the call leaves `p` out) and `if (p) return x;` (taken when it passes `p`) at the
   * top level, in order.
   */
  guards: { param: number; when: GuardWhen; handle: Handle }[];
  /** What the function returns when no guard is taken (guards' returns excluded). */
  unguarded: Handle;
  /** What it returns on any path (no call known, or no guards). */
  any: Handle;
  /**
   * A builder made on one of its own parameters on every path (`return conn('visits').where(…)`, `conn: Knex = db`):
   * that parameter's handle (its default as `fallback`), for each call to read as the argument it passes.
   */
  onParam?: Extract<Handle, { kind: 'param' }>;
}

export function returnsFact(trace: (e: ts.Expression) => Handle): FactKind<ts.FunctionLikeDeclaration, ReturnsFact> {
  return {
    name: 'returns',
    compute: (fn) => {
      const body = fn.body;
      if (!body) {
        const none: Handle = { kind: 'unknown', reason: `\`${functionName(fn)}\` has no body` };
        return { guards: [], unguarded: none, any: none };
      }
      if (!ts.isBlock(body)) {
        const traced = trace(body);
        const h = combine(fn, [traced]);
        const onParam = ownParam(fn, [traced]);
        return { guards: [], unguarded: h, any: h, ...(onParam ? { onParam } : {}) };
      }
      const guards: ReturnsFact['guards'] = [];
      const all: Handle[] = [];
      const unguarded: Handle[] = [];
      // The body's returns in source order (own-returns.ts), taken statement by statement: a return lies within
      // exactly one of the body's statements, and those follow each other, so the next return belongs to the
      // statement it starts before the end of.
      const returns = returnStatements(fn);
      let next = 0;
      for (const st of body.statements) {
        const guard = missingArgumentGuard(st, fn);
        const into: Handle[] = [];
        for (; next < returns.length && returns[next]!.pos < st.end; next++) {
          const e = returns[next]!.expression;
          // `return null;` (`getDb()` when no database is configured) gives a caller nothing to run a statement on:
          // what it writes on runs on the other returns (a write on `null` throws before any SQL is sent).
          if (e && !isNothing(e)) into.push(trace(e));
        }
        all.push(...into);
        if (guard) guards.push({ param: guard.param, when: guard.when, handle: combine(fn, [trace(guard.returns)]) });
        else unguarded.push(...into);
      }
      const onParam = guards.length ? undefined : ownParam(fn, all);
      return { guards, unguarded: combine(fn, unguarded), any: combine(fn, all), ...(onParam ? { onParam } : {}) };
    },
    conservative: (fn) => {
      const h: Handle = {
        kind: 'unknown',
        reason: `\`${functionName(fn)}\` returns a connection defined in terms of itself`,
      };
      return { guards: [], unguarded: h, any: h };
    },
    same: (a, b) =>
      sameHandle(a.any, b.any) &&
      sameHandle(a.unguarded, b.unguarded) &&
      (a.onParam === b.onParam || (!!a.onParam && !!b.onParam && sameHandle(a.onParam, b.onParam))) &&
      a.guards.length === b.guards.length &&
      a.guards.every(
        (g, i) =>
          g.param === b.guards[i]!.param && g.when === b.guards[i]!.when && sameHandle(g.handle, b.guards[i]!.handle),
      ),
  };
}

/** What a call of the function returns: the guard its missing arguments select, if any. */
export function returnedAt(
  fact: ReturnsFact,
  fn: ts.FunctionLikeDeclaration,
  call: ts.CallExpression | undefined,
): Handle {
  if (!call || fact.guards.length === 0) return fact.any;
  const presence = argumentPresence(fn, call);
  // A guard an argument may or may not satisfy adds its return to what the call may get; the first one it surely
  // satisfies ends the list (nothing after it runs).
  const may: Handle[] = [];
  for (const g of fact.guards) {
    const taken = guardTaken(g, presence);
    if (taken === 'no') continue;
    may.push(g.handle);
    if (taken === 'yes') return may.length === 1 ? g.handle : combine(fn, may);
  }
  if (!may.length) return fact.unguarded;
  return combine(fn, [...may, fact.unguarded]);
}

/**
 * Every return on one parameter of the function itself, the parameter whole (not a field of it) and never reassigned:
 * what a call gets is decided by the argument it passes there (handles.ts `returned`).
 */
function ownParam(fn: ts.FunctionLikeDeclaration, results: Handle[]): Extract<Handle, { kind: 'param' }> | undefined {
  const first = results[0];
  if (first?.kind !== 'param' || first.binding.fn !== fn || first.binding.path.length || first.path?.length ||
    first.opened)
    return undefined;
  const same = results.every(
    (r) => r.kind === 'param' && r.binding.fn === fn && r.binding.index === first.binding.index && !r.path?.length,
  );
  return same && !reassignedParam(fn, first.binding.index) ? first : undefined;
}

/**
 * The parameter a function returns unchanged on every path, only retyped (`(db) => db as unknown as Kysely<X>`): a
 * call of it is its argument. Undefined when some return is anything else or the parameter is reassigned.
 */
export function returnedParam(fn: ts.FunctionLikeDeclaration): number | undefined {
  // Once per function, however many of its calls are traced.
  if (!returnedParams.has(fn)) returnedParams.set(fn, computeReturnedParam(fn));
  return returnedParams.get(fn);
}

const returnedParams = new WeakMap<ts.FunctionLikeDeclaration, number | undefined>();

function computeReturnedParam(fn: ts.FunctionLikeDeclaration): number | undefined {
  const body = fn.body;
  if (!body) return undefined;
  const exprs = returnedExpressions(fn);
  let index: number | undefined;
  for (const e of exprs) {
    const x = untrappedProxyTarget(skipOuter(e));
    const b = ts.isIdentifier(x) ? aliasedParam(lookup(x)) : undefined;
    if (b?.kind !== 'parameter' || b.fn !== fn || b.path.length || (index !== undefined && index !== b.index))
      return undefined;
    index = b.index;
  }
  if (index === undefined || !ts.isBlock(body)) return index;
  return reassignedParam(fn, index) ? undefined : index;
}

/** Whether the body assigns the parameter (`conn = conn ?? other`): then it is not what the call passed. */
function reassignedParam(fn: ts.FunctionLikeDeclaration, index: number): boolean {
  const name = fn.parameters[index]?.name;
  if (!fn.body || !ts.isBlock(fn.body) || !name || !ts.isIdentifier(name)) return false;
  let reassigned = false;
  walkDescendants(fn.body, (n) => {
    if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isIdentifier(n.left) &&
      n.left.text === name.text)
      reassigned = true;
    return !reassigned;
  });
  return reassigned;
}

/**
 * `new Proxy(db, {})` (a handler literal trapping neither `get` nor `apply`), or one whose traps only forward `db`'s
 * members (a logging or validation Proxy, proxy-traps.ts): every member is `db`'s own.
 */
function untrappedProxyTarget(e: ts.Expression): ts.Expression {
  if (!ts.isNewExpression(e) || !ts.isIdentifier(e.expression) || e.expression.text !== 'Proxy') return e;
  const [target, handler] = e.arguments ?? [];
  if (e.arguments?.length !== 2 || lookup(e.expression) || !ts.isObjectLiteralExpression(skipOuter(handler!))) return e;
  const props = (skipOuter(handler!) as ts.ObjectLiteralExpression).properties;
  const traps = props.some(
    (p) => !p.name || !ts.isIdentifier(p.name) || p.name.text === 'get' || p.name.text === 'apply',
  );
  if (!traps) return skipOuter(target!);
  const fns: ts.FunctionLikeDeclaration[] = [];
  for (const p of props) {
    const fn = ts.isMethodDeclaration(p) ? p : ts.isPropertyAssignment(p) ? skipOuter(p.initializer) : undefined;
    if (!fn || !isFunctionLike(fn) || !fn.body) return e;
    fns.push(fn);
  }
  return forwardsOwnMembers(fns) ? skipOuter(target!) : e;
}

/**
 * `const withMeta = reserved as Sql & Meta`: a const that only retypes a parameter is that parameter (a
 * helper that decorates the connection it is handed and returns it).
 */
function aliasedParam(b: ReturnType<typeof lookup>): ReturnType<typeof lookup> {
  if (b?.kind !== 'variable' || b.flags !== 'const' || b.path.length || !b.decl.initializer) return b;
  const init = skipOuter(b.decl.initializer);
  return ts.isIdentifier(init) ? lookup(init) : b;
}

/** One connection when every return agrees on it; otherwise no single answer. */
function combine(fn: ts.FunctionLikeDeclaration, results: Handle[]): Handle {
  const first = results[0];
  if (!first) return { kind: 'not-db', reason: `\`${functionName(fn)}\` returns nothing` };
  if (
    results.every(
      (r) =>
        r.kind === first.kind && r.kind !== 'param' && ('key' in r ? r.key === (first as { key: ts.Node }).key : true),
    )
  )
    return first;
  const pools = interchangeablePools(fn, results);
  if (pools) return pools;
  // The libraries some returns come from: a write on it is still that library's write (unresolved, never dropped).
  // A parameter declared as the library's executor counts (`return manager ? manager.getRepository(e) : baseRepo`
  // with `baseRepo: Repository<T>`): its `save(…)` is no less that library's write.
  const libraries = [...new Set(results.flatMap(returnedLibrary))];
  return {
    kind: 'unknown',
    reason: `\`${functionName(fn)}\` returns different connections`,
    ...(libraries.length ? { libraries } : {}),
  };
}

/** The library a return's connection is of, when it says. */
function returnedLibrary(r: Handle): DbAdapter[] {
  if ((r.kind === 'executor' || r.kind === 'admin') && r.adapter) return [r.adapter];
  return r.kind === 'param' && r.typed ? [r.typed.adapter] : [];
}

/**
 * `return url ? new PrismaClient({ adapter }) : new PrismaClient({ placeholder })` (ctr-hr-hub's build-time fallback):
 * fresh pools of one library that differ only in how they connect are one connection for a verdict, since each query of
 * a pool takes whichever connection is free, with no context. Not where any is bound to a tenant, logs in as another
 * role than the rest (a named one, or one read from its own text), is a transaction, another database's, or a
 * container: those decide verdicts, so the function's returns stay untraced.
 */
function interchangeablePools(fn: ts.FunctionLikeDeclaration, results: Handle[]): Handle | undefined {
  const [first] = results;
  if (first?.kind !== 'executor') return undefined;
  const plain = (r: Handle): boolean =>
    r.kind === 'executor' &&
    r.exec === 'pool' &&
    r.adapter === first.adapter &&
    !r.tenant &&
    sameLogin(r.login, first.login) &&
    !r.transaction &&
    !r.otherDatabase &&
    !r.open;
  if (!results.every(plain)) return undefined;
  const others = new Set(results.map((r) => (r as { key: ts.Node }).key)).size - 1;
  return {
    ...first,
    label:
      `${first.label} (\`${functionName(fn)}\` makes ${others} other ${first.adapter.api} ` +
      `pool${others === 1 ? '' : 's'} like it, differing only in how ${others === 1 ? 'it connects' : 'they connect'})`,
  };
}

/** The same login: none read for either, the environment's for both, or one role named alike. */
function sameLogin(a: LoginRole | undefined, b: LoginRole | undefined): boolean {
  if (!a || !b) return a === b;
  if (a.kind === 'environment' && b.kind === 'environment') return true;
  return a.kind === 'fixed' && b.kind === 'fixed' && a.name === b.name;
}

export function sameHandle(a: Handle, b: Handle): boolean {
  if (a === b) return true;
  if (a.kind !== b.kind) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(x);
  return keys.length === Object.keys(y).length && keys.every((k) => x[k] === y[k]);
}

type Effects = ReturnType<typeof classifyStatement>[];

/**
 * The connections a function, statement by statement, begins a transaction on and sets the
 * org context in transaction-locally, with no COMMIT before its first top-level return: a
 * connection it returns from among these is org-scoped. Once per function.
 */
export function scopedOnReturn(
  fn: ts.FunctionLikeDeclaration,
  handleOf: (e: ts.Expression) => Handle,
  effects: (sql: ts.Expression | undefined) => Effects,
  settings: ReadonlySet<string>,
): ReadonlySet<ts.Node> {
  const out = new Set<ts.Node>();
  if (!fn.body || !ts.isBlock(fn.body)) return out;
  const state = new Map<ts.Node, { tx: boolean; ctx: boolean }>();
  const visit = (n: ts.Node): void => {
    if (isFunctionLike(n)) return;
    ts.forEachChild(n, visit);
    if (!ts.isCallExpression(n) || !ts.isPropertyAccessExpression(skipOuter(n.expression))) return;
    const callee = skipOuter(n.expression) as ts.PropertyAccessExpression;
    const method = callee.name.text;
    const adapter = adapters.find((a) => a.queryMethods[method] || a.transactionControl?.[method]);
    if (!adapter) return;
    const h = handleOf(callee.expression);
    if (h.kind !== 'executor') return;
    const s = state.get(h.key) ?? { tx: false, ctx: false };
    const control = adapter.transactionControl?.[method];
    if (control === 'rollback-to-savepoint') s.ctx = false;
    const list: Effects = control
      ? [
          {
            transaction: control === 'rollback-to-savepoint' ? null : control,
            contextSets: [],
          } as unknown as Effects[number],
        ]
      : effects(n.arguments[adapter.queryMethods[method]?.sqlArg ?? 0]);
    for (const effect of list) {
      if (effect.transaction === 'begin') s.tx = true;
      if (effect.transaction === 'commit' || effect.transaction === 'rollback') s.tx = s.ctx = false;
      if (s.tx && effect.contextSets.some((c) => c.local === true && settings.has(c.setting))) s.ctx = true;
    }
    state.set(h.key, s);
  };
  for (const st of fn.body.statements) {
    if (ts.isReturnStatement(st)) {
      for (const [key, s] of state) if (s.tx && s.ctx) out.add(key);
      return out;
    }
    visit(st);
  }
  return out;
}

export type GuardWhen = 'absent' | 'present';

/**
 * Whether a call takes the guard's return: surely, surely not, or perhaps (its argument may be missing at run time,
 * argument-presence.ts).
 */
export function guardTaken(
  guard: { param: number; when: GuardWhen },
  presence: ReadonlyMap<number, Presence>,
): 'yes' | 'no' | 'maybe' {
  const p = presence.get(guard.param);
  if (p === 'maybe') return 'maybe';
  const absent = p === 'absent';
  return (guard.when === 'absent' ? absent : !absent) ? 'yes' : 'no';
}

/**
 * A guard on an argument at the top of a function, and what it returns: `if (!p) return x;`
 * (or `p == null`, `p === undefined`) is taken when the call leaves `p` out; written
 * positively, `if (p) return x;` (or `p != null`, `p?.toString()`), when the call passes it.
 */
export function missingArgumentGuard(
  st: ts.Statement,
  fn: ts.FunctionLikeDeclaration,
): { param: number; when: GuardWhen; returns: ts.Expression } | undefined {
  if (!ts.isIfStatement(st) || st.elseStatement) return undefined;
  const then =
    ts.isBlock(st.thenStatement) && st.thenStatement.statements.length === 1
      ? st.thenStatement.statements[0]!
      : st.thenStatement;
  if (!ts.isReturnStatement(then) || !then.expression) return undefined;
  const tested = testedParam(st.expression, 'present');
  if (!tested) return undefined;
  const param = fn.parameters.findIndex((p) => ts.isIdentifier(p.name) && p.name.text === tested.name.text);
  return param < 0 ? undefined : { param, when: tested.when, returns: then.expression };
}

/** The parameter a condition tests for presence, and whether the condition holds when it is present or absent. */
function testedParam(expr: ts.Expression, when: GuardWhen): { name: ts.Identifier; when: GuardWhen } | undefined {
  const cond = skipOuter(expr);
  const flip: GuardWhen = when === 'present' ? 'absent' : 'present';
  if (ts.isPrefixUnaryExpression(cond) && cond.operator === ts.SyntaxKind.ExclamationToken)
    return testedParam(cond.operand, flip);
  if (ts.isIdentifier(cond)) return { name: cond, when };
  // id?.toString(), id?.trim(): truthy only when the argument is there.
  if (
    ts.isCallExpression(cond) &&
    cond.arguments.length === 0 &&
    ts.isPropertyAccessExpression(cond.expression) &&
    cond.questionDotToken === undefined &&
    cond.expression.questionDotToken &&
    ['toString', 'trim'].includes(cond.expression.name.text)
  ) {
    const target = skipOuter(cond.expression.expression);
    return ts.isIdentifier(target) ? { name: target, when } : undefined;
  }
  if (ts.isBinaryExpression(cond)) {
    const k = cond.operatorToken.kind;
    const equal = k === ts.SyntaxKind.EqualsEqualsToken || k === ts.SyntaxKind.EqualsEqualsEqualsToken;
    const unequal = k === ts.SyntaxKind.ExclamationEqualsToken || k === ts.SyntaxKind.ExclamationEqualsEqualsToken;
    const other = skipOuter(cond.right);
    const left = skipOuter(cond.left);
    if (
      (equal || unequal) &&
      ts.isIdentifier(left) &&
      (other.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(other) && other.text === 'undefined'))
    ) {
      return { name: left, when: equal ? flip : when };
    }
  }
  return undefined;
}
