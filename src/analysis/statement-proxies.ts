import ts from '../ts.js';
import { returnedExpressions } from '../code/own-returns.js';
import { isFunctionLike, lookup } from '../code/scope.js';
import { skipOuter } from '../syntax/wrappers.js';
import { type AmbientProviders, proxyTraps, type Store } from './ambient/providers.js';
import { isTestFile } from './providers/helper-values.js';
import { memberKnownSet } from './ambient/reach.js';
import { queryOf } from './providers/setters.js';
import { entriesInto, localSets, type ScopingDeps, type Stated } from './scoping-sessions.js';

// A Proxy over a client whose query methods run each statement in a transaction of their own after setting the org
// context from an AsyncLocalStorage (session35: memex-ai's `rlsClient`, one micro-transaction per statement):
//
//   get(target, prop) {
//     if (prop === 'unsafe') return function (query, params) {
//       const ctx = store.getStore();
//       if (!ctx?.orgId) return target.unsafe(query, params);        // nothing held: the bare client
//       return perStatement(target, ctx.orgId, query, params);       // target.begin(async (tx) => { set_config(…,
//     };                                                             //   true) on tx; tx.unsafe(query, params) })
//     if (prop === 'begin') return function (cb) {
//       const ctx = store.getStore();
//       return target.begin(async (tx) => { if (ctx?.orgId) await tx.unsafe(set_config…); return cb(tx) });
//     };
//     return Reflect.get(target, prop, target);
//   }
//
// Read for a library instance made over the Proxy (`drizzle(rlsClient)`), whose driver runs every statement through
// known methods of the client (DRIVER_METHODS): each must be trapped, a statement method running the statement only
// on the transaction it opened on the target after a transaction-local set on it, a transaction method setting the
// context on the transaction it opens before handing it to the caller's callback. Both read the store the same way
// (`ctx?.orgId`): where it holds that member, every statement is org-scoped; where it does not, the statement runs
// on the target bare (unscoped as its client). "The store holds it" is what a path that entered the store gives only
// when every entry into the store sets the member to a value known not to be empty (`run({ orgId }, …)` after
// `if (!orgId) return …`); else the Proxy is not read this way (its old reading stands: fail closed).

/**
 * The client methods a Drizzle instance runs statements and transactions through, per the library it wraps:
 * drizzle-orm/postgres-js's prepared query calls `client.unsafe(query, params)` (`.values()` for arrays), its session's
 * `transaction` calls `client.begin(…)`; a nested transaction is a savepoint on the transaction's own client, no
 * method of the Proxy.
 */
export const DRIVER_METHODS: Readonly<Record<string, { statements: string[]; transactions: string[] }>> = {
  postgres: { statements: ['unsafe'], transactions: ['begin'] },
};

export type ProxyDeps = ScopingDeps;

export interface StatementProxy {
  store: Store;
  /** The transaction-local sets every statement and transaction is given where the store holds the member. */
  settings: ReadonlySet<string>;
  setAt: ts.CallExpression;
  /** The tests that skip them where it does not (for the evidence). */
  guard: ts.Expression;
  label: string;
  /**
   * An entry into the store whose member may be empty (`run(rlsStore, …)` with `rlsStore.orgId` filled later): where a
   * path entered the store, the statement may still run on the bare client, so it is not read as scoped there.
   */
  unsure?: ts.Node;
}

class Unread extends Error {}

/**
 * `new Proxy(target, { get … })` whose traps scope each statement of the driver's methods, as above; undefined when
 * the Proxy has another shape (the caller keeps its reading).
 */
export function statementProxy(
  created: ts.NewExpression,
  methods: { statements: string[]; transactions: string[] },
  deps: ProxyDeps,
): StatementProxy | undefined {
  try {
    return read(created, methods, deps);
  } catch (e) {
    if (e instanceof Unread) return undefined;
    throw e;
  }
}

function unread(): never {
  throw new Unread();
}

function read(
  created: ts.NewExpression,
  methods: { statements: string[]; transactions: string[] },
  deps: ProxyDeps,
): StatementProxy {
  const traps = proxyTraps(created, deps.origins) ?? unread();
  // Only a `get` trap: an `apply` trap (the client called as a tag) would be a path of its own.
  const get = traps.length === 1 && trapName(traps[0]!) === 'get' ? traps[0]! : unread();
  const [targetParam, propParam] = get.parameters;
  if (!targetParam || !propParam || !ts.isIdentifier(targetParam.name) || !ts.isIdentifier(propParam.name)) unread();
  const handed = handedMethods(get, propParam!);
  const all: { name: string; sets: Stated[]; guard: ts.Expression; store: Store; member: string }[] = [];
  for (const name of methods.statements) {
    const fn = handed.get(name) ?? unread();
    all.push({ name, ...statementMethod(fn, name, targetParam!, methods.transactions, deps) });
  }
  for (const name of methods.transactions) {
    const fn = handed.get(name) ?? unread();
    all.push({ name, ...transactionMethod(fn, name, targetParam!, deps) });
  }
  const [first] = all;
  if (!first || !all.every((m) => m.store === first.store && m.member === first.member)) unread();
  const entries = enteredWithMember(first!.store, first!.member, deps, isTestFile(created, deps.root));
  if (entries === 0) unread();
  const settings = new Set(
    [...new Set(first!.sets.map((s) => s.setting))].filter((x) =>
      all.every((m) => m.sets.some((s) => s.setting === x))),
  );
  if (settings.size === 0) unread();
  const set = first!.sets.find((s) => settings.has(s.setting))!;
  const setAt = callAround(set.at);
  return {
    store: first!.store,
    ...(typeof entries === 'object' ? { unsure: entries } : {}),
    settings,
    setAt,
    guard: first!.guard,
    label:
      `the Proxy made at ${deps.where(created)} runs each statement (${all.map((m) => `\`${m.name}\``).join(', ')}) ` +
      `in a transaction on its target after ${set.via} of ${[...settings].sort().join(', ')} ` +
      `(${deps.where(set.at)}) from what ${deps.ambient.describeStore(first!.store)} holds as \`${first!.member}\``,
  };
}

function trapName(fn: ts.FunctionLikeDeclaration): string | undefined {
  const p = ts.isMethodDeclaration(fn) ? fn : fn.parent;
  return (ts.isMethodDeclaration(p) || ts.isPropertyAssignment(p)) && ts.isIdentifier(p.name) ? p.name.text : undefined;
}

function callAround(n: ts.Node): ts.CallExpression {
  let x: ts.Node = n;
  while (x.parent && !ts.isCallExpression(x)) x = x.parent;
  return x as ts.CallExpression;
}

/** `if (prop === 'unsafe') return function (…) { … }`: each method name the trap hands a function of its own for. */
function handedMethods(
  get: ts.FunctionLikeDeclaration,
  prop: ts.ParameterDeclaration,
): Map<string, ts.FunctionLikeDeclaration> {
  const out = new Map<string, ts.FunctionLikeDeclaration>();
  if (!get.body || !ts.isBlock(get.body)) return out;
  for (const st of get.body.statements) {
    if (!ts.isIfStatement(st) || st.elseStatement) continue;
    const c = skipOuter(st.expression);
    if (!ts.isBinaryExpression(c) || c.operatorToken.kind !== ts.SyntaxKind.EqualsEqualsEqualsToken) continue;
    const [l, r] = [skipOuter(c.left), skipOuter(c.right)];
    const key = ts.isStringLiteral(r) && isParam(l, prop) ? r.text : ts.isStringLiteral(l) && isParam(r, prop) ? l.text
      : undefined;
    const body = ts.isBlock(st.thenStatement) && st.thenStatement.statements.length === 1
      ? st.thenStatement.statements[0]!
      : st.thenStatement;
    const fn = ts.isReturnStatement(body) && body.expression ? skipOuter(body.expression) : undefined;
    if (key && fn && (ts.isFunctionExpression(fn) || ts.isArrowFunction(fn))) out.set(key, fn);
  }
  return out;
}

function isParam(e: ts.Expression, p: ts.ParameterDeclaration): boolean {
  return ts.isIdentifier(e) && lookup(e)?.decl === p;
}

/** `ctx?.orgId` (or `ctx && ctx.orgId`) read off a store: the store and the member. */
function memberTest(e: ts.Expression, ambient: AmbientProviders): { store: Store; member: string } | undefined {
  const x = skipOuter(e);
  if (ts.isBinaryExpression(x) && x.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken) {
    const l = ambient.read(x.left);
    const r = ambient.read(x.right);
    if (l && r && l.store === r.store && l.path.length === 0 && r.path.length === 1)
      return { store: r.store, member: r.path[0]! };
    return undefined;
  }
  const read = ambient.read(x);
  return read && read.path.length === 1 && ts.isNewExpression(read.store)
    ? { store: read.store, member: read.path[0]! }
    : undefined;
}

/**
 * A statement method: `if (!<held>) return target.m(…)` (the bare client where the store lacks the member), then a
 * call handing the target to a transaction it opens (`return helper(target, ctx.orgId, query, params)`, or inline).
 */
function statementMethod(
  fn: ts.FunctionLikeDeclaration,
  name: string,
  target: ts.ParameterDeclaration,
  openers: string[],
  deps: ProxyDeps,
): { sets: Stated[]; guard: ts.Expression; store: Store; member: string } {
  if (!fn.body || !ts.isBlock(fn.body)) unread();
  const statements = (fn.body as ts.Block).statements;
  const guardAt = statements.findIndex((st) => ts.isIfStatement(st));
  const guard = statements[guardAt];
  if (!guard || !ts.isIfStatement(guard) || guard.elseStatement) unread();
  const test = skipOuter((guard as ts.IfStatement).expression);
  if (!ts.isPrefixUnaryExpression(test) || test.operator !== ts.SyntaxKind.ExclamationToken) unread();
  const held = memberTest((test as ts.PrefixUnaryExpression).operand, deps.ambient) ?? unread();
  // The bare path: the same method of the target, with nothing else done.
  const then = (guard as ts.IfStatement).thenStatement;
  const bare = ts.isBlock(then) && then.statements.length === 1 ? then.statements[0]! : then;
  const bareCall = ts.isReturnStatement(bare) && bare.expression ? skipOuter(bare.expression) : undefined;
  if (!bareCall || !ts.isCallExpression(bareCall) || !onTarget(bareCall, target, name)) unread();
  // Before the guard, only consts (the store's read); after it, one return.
  if (!statements.slice(0, guardAt).every(ts.isVariableStatement)) unread();
  const rest = statements.slice(guardAt + 1);
  const last = rest.length === 1 && ts.isReturnStatement(rest[0]!) ? rest[0].expression : undefined;
  const call = last && skipOuter(last);
  if (!call || !ts.isCallExpression(call)) unread();
  const sets = scopedRun(call as ts.CallExpression, target, name, openers, deps);
  return { sets, guard: test, ...held };
}

function onTarget(call: ts.CallExpression, target: ts.ParameterDeclaration, method: string): boolean {
  const callee = skipOuter(call.expression);
  return ts.isPropertyAccessExpression(callee) && callee.name.text === method && isParam(skipOuter(callee.expression),
    target);
}

/**
 * `helper(target, …)` (a function of the code given the target) or `target.begin(cb)` in place: every statement it
 * runs with the method `name` runs on a transaction opened on the target, after a transaction-local set on it; the
 * target is used for nothing else.
 */
function scopedRun(
  call: ts.CallExpression,
  target: ts.ParameterDeclaration,
  name: string,
  openers: string[],
  deps: ProxyDeps,
): Stated[] {
  let body: ts.Node = call;
  let on: ts.Node = target;
  if (!openers.some((m) => onTarget(call, target, m))) {
    const helper = deps.origins.expr(call.expression);
    const index = call.arguments.findIndex((a) => isParam(skipOuter(a), target));
    if (helper.kind !== 'function' || index < 0 || !helper.decl.body) unread();
    const fn = (helper as { decl: ts.FunctionLikeDeclaration }).decl;
    on = fn.parameters[index] ?? unread();
    body = fn.body!;
  }
  const sets: Stated[] = [];
  let opened = 0;
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n) && lookup(n)?.decl === on && n !== (on as ts.ParameterDeclaration).name) {
      // The target: only a transaction opened on it, whose callback runs the statement after the set.
      const access = n.parent;
      const open = access.parent;
      if (!ts.isPropertyAccessExpression(access) || !openers.includes(access.name.text) || !ts.isCallExpression(open))
        unread();
      const cb = skipOuter((open as ts.CallExpression).arguments[0] ?? unread());
      if (!isFunctionLike(cb)) unread();
      sets.push(...statementsIn(cb as ts.FunctionLikeDeclaration, name, deps));
      opened++;
    }
    ts.forEachChild(n, visit);
  };
  visit(body);
  if (opened === 0) unread();
  return sets;
}

/** The statements `tx.name(…)` a transaction callback runs: each after a transaction-local set on `tx`. */
function statementsIn(cb: ts.FunctionLikeDeclaration, name: string, deps: ProxyDeps): Stated[] {
  const tx = cb.parameters[0] ?? unread();
  const runs: ts.CallExpression[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n)) {
      const callee = skipOuter(n.expression);
      const onTx = ts.isPropertyAccessExpression(callee) && isParam(skipOuter(callee.expression), tx);
      if (onTx && (callee as ts.PropertyAccessExpression).name.text === name)
        runs.push(n);
    }
    ts.forEachChild(n, visit);
  };
  if (cb.body) visit(cb.body);
  const sets: Stated[] = [];
  let statements = 0;
  for (const run of runs) {
    // The set itself is a statement of that method (it writes nothing); the one it runs after the set is the caller's.
    const q = queryOf(run);
    const effects = q ? deps.effects(q.sql, q.placeholders) : [];
    if (effects.length && effects.every((e) => e.contextSets.length > 0 && e.writes.length === 0)) continue;
    const before = localSets(cb, run, deps);
    if (before.length === 0) unread();
    sets.push(...before);
    statements++;
  }
  if (statements === 0) unread();
  return sets;
}

/**
 * A transaction method: `return target.m(async (tx) => { if (<held>) <set on tx>; return cb(tx) })` with `cb` the
 * method's own parameter (a read of the store before it, in a const).
 */
function transactionMethod(
  fn: ts.FunctionLikeDeclaration,
  name: string,
  target: ts.ParameterDeclaration,
  deps: ProxyDeps,
): { sets: Stated[]; guard: ts.Expression; store: Store; member: string } {
  const cb = fn.parameters[0] ?? unread();
  const returns = returnedExpressions(fn);
  const call = returns.length === 1 ? skipOuter(returns[0]!) : undefined;
  if (!call || !ts.isCallExpression(call) || !onTarget(call, target, name)) unread();
  const inner = skipOuter((call as ts.CallExpression).arguments[0] ?? unread());
  if (!isFunctionLike(inner) || !inner.body || !ts.isBlock(inner.body)) unread();
  const innerFn = inner as ts.FunctionLikeDeclaration;
  const final = (innerFn.body as ts.Block).statements.at(-1);
  const handed = final && ts.isReturnStatement(final) && final.expression ? skipOuter(final.expression) : undefined;
  const tx = innerFn.parameters[0] ?? unread();
  const passesTx = handed && ts.isCallExpression(handed) && isParam(skipOuter(handed.expression), cb) &&
    handed.arguments.length === 1 && isParam(skipOuter(handed.arguments[0]!), tx);
  if (!passesTx) unread();
  let held: { store: Store; member: string; guard: ts.Expression } | undefined;
  const sets = localSets(innerFn, handed!, deps, (test) => {
    const h = memberTest(test, deps.ambient);
    if (h) held = { ...h, guard: test };
    return !!h;
  });
  if (!held || sets.length === 0) unread();
  return { sets, ...held! };
}

/**
 * How many entries into the store, in the program's files (a test's only when the Proxy is one's), give the member a
 * value known not to be empty (the first that does not, when one does not): a non-empty string, or a variable or
 * parameter an earlier statement of an enclosing block returns or throws on when it is empty (`if (!orgId) return
 * fn();`).
 */
function enteredWithMember(store: Store, member: string, deps: ProxyDeps, testsToo: boolean): number | ts.Node {
  deps.readProgram();
  let entries = 0;
  for (const sf of deps.files()) {
    if (!testsToo && isTestFile(sf, deps.root)) continue;
    if (!sf.text.includes('.run(') && !sf.text.includes('.enterWith(')) continue;
    for (const { call, value } of entriesInto(sf, store, deps.ambient)) {
      if (!memberKnownSet(value, member, true)) return call;
      entries++;
    }
  }
  return entries;
}
