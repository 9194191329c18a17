import ts from '../ts.js';
import { type Facts, TrackedMemo } from '../code/fixpoint.js';
import type { OriginResolver } from '../code/origins.js';
import { skipOuter } from '../syntax/wrappers.js';
import { lookup } from '../code/scope.js';

// A connection class of the codebase: `class TenantConnection { query(statement, values) {
// return this.pool.query(statement, values) } }`. An instance of it runs each statement its
// `query` is given on the executor that method forwards to, so a write through the instance
// (`new TenantConnection(pool)`, `TenantConnection.create(opts)` returning `new this(…)`) is
// judged on that executor, read inside the class, with the constructor's parameters standing
// for the arguments of that construction. Syntactic and per class (once, in a WeakMap).

/** A construction of a codebase class: the class and the arguments its constructor got. */
export interface Construction {
  cls: ts.ClassLikeDeclaration;
  args: readonly ts.Expression[];
  at: ts.NewExpression;
}

/**
 * `new C(args)`, `new this(args)` in a static method of C, or `C.make(args)` whose static
 * method's only return is one of those (its parameters are not followed into the arguments: the
 * arguments of the inner `new` are read in the static method).
 */
export function constructionOf(e: ts.Expression, origins: OriginResolver): Construction | undefined {
  let x = skipOuter(e);
  while (ts.isAwaitExpression(x)) x = skipOuter(x.expression);
  if (ts.isNewExpression(x)) {
    const cls = newedClass(x, origins);
    return cls ? { cls, args: x.arguments ?? [], at: x } : undefined;
  }
  if (!ts.isCallExpression(x)) return undefined;
  const callee = skipOuter(x.expression);
  if (!ts.isPropertyAccessExpression(callee)) return undefined;
  const owner = origins.expr(callee.expression);
  if (owner.kind !== 'class') return undefined;
  const method = owner.decl.members.find(
    (m): m is ts.MethodDeclaration =>
      ts.isMethodDeclaration(m) && isStatic(m) && m.name.getText() === callee.name.text && !!m.body,
  );
  const returned = method?.body && onlyReturn(method.body);
  const made = returned && skipOuter(returned);
  if (!made || !ts.isNewExpression(made)) return undefined;
  const cls = newedClass(made, origins);
  return cls ? { cls, args: made.arguments ?? [], at: made } : undefined;
}

function newedClass(made: ts.NewExpression, origins: OriginResolver): ts.ClassLikeDeclaration | undefined {
  const ctor = skipOuter(made.expression);
  if (ctor.kind === ts.SyntaxKind.ThisKeyword) {
    // `new this(…)` in a static method: the class it is declared in (a subclass calling it inherits the reading).
    let n: ts.Node | undefined = ctor.parent;
    while (n && !ts.isClassLike(n)) {
      if (ts.isMethodDeclaration(n) && !isStatic(n)) return undefined;
      n = n.parent;
    }
    return n;
  }
  const o = origins.expr(ctor);
  return o.kind === 'class' ? o.decl : undefined;
}

/** The instance method `query` of a class and the receiver it hands its first parameter to, once per class. */
export interface ForwardingQuery {
  method: ts.MethodDeclaration;
  /** `this.pool` in `return this.pool.query(statement, values)`. */
  receiver: ts.Expression;
}

const forwarding = new WeakMap<ts.ClassLikeDeclaration, ForwardingQuery | null>();

/** With origins, per fact engine and tracked (fixpoint.ts): the helper it finds may be in another file. */
const tracked = new WeakMap<Facts, TrackedMemo<ts.ClassLikeDeclaration, ForwardingQuery | null>>();

export function forwardingQuery(cls: ts.ClassLikeDeclaration, origins?: OriginResolver): ForwardingQuery | undefined {
  if (origins) {
    let memo = tracked.get(origins.facts);
    if (!memo) tracked.set(origins.facts, (memo = new TrackedMemo(origins.facts)));
    return memo.get(cls, () => findForwarding(cls, origins) ?? null) ?? undefined;
  }
  const hit = forwarding.get(cls);
  if (hit !== undefined) return hit ?? undefined;
  const found = findForwarding(cls, origins);
  forwarding.set(cls, found ?? null);
  return found;
}

function findForwarding(
  cls: ts.ClassLikeDeclaration,
  origins: OriginResolver | undefined,
): ForwardingQuery | undefined {
  const method = cls.members.find(
    (m): m is ts.MethodDeclaration =>
      ts.isMethodDeclaration(m) && !isStatic(m) && m.name.getText() === 'query' && !!m.body,
  );
  const param = method?.parameters[0];
  if (!method?.body || !param || !ts.isIdentifier(param.name)) return undefined;
  const name = param.name.text;
  // Every `X.query(…)` call of the body that is handed the statement: exactly one, returned or awaited.
  const calls: ts.CallExpression[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isFunctionLike(n) && n !== method) return;
    if (ts.isCallExpression(n)) {
      const callee = skipOuter(n.expression);
      const first = n.arguments[0] && skipOuter(n.arguments[0]);
      if (
        ts.isPropertyAccessExpression(callee) &&
        callee.name.text === 'query' &&
        first &&
        ts.isIdentifier(first) &&
        first.text === name
      )
        calls.push(n);
    }
    ts.forEachChild(n, visit);
  };
  visit(method.body);
  // `runPgQuery(client, statement, options)`: a helper of the codebase that sends the statement on one of its
  // parameters (`client.query(text, values)` of what it made of the statement): the argument given for it.
  const helped = calls.length === 0 && origins ? helperForwarding(method.body, param, origins) : undefined;
  if (helped) return { method, receiver: helped };
  const [only] = calls;
  if (calls.length !== 1 || !only) return undefined;
  let up: ts.Node = only.parent;
  while (ts.isParenthesizedExpression(up) || ts.isAwaitExpression(up) || ts.isAsExpression(up)) up = up.parent;
  if (!ts.isReturnStatement(up) && !ts.isExpressionStatement(up) && !ts.isVariableDeclaration(up)) return undefined;
  return { method, receiver: (skipOuter(only.expression) as ts.PropertyAccessExpression).expression };
}

/**
 * In a `query` method's body, the one call of a codebase function handed the statement whose body sends what it makes
 * of that parameter with `P.query(…)` on one of its own parameters, P, and nothing else: the argument given for P.
 */
function helperForwarding(
  body: ts.Block,
  statement: ts.ParameterDeclaration,
  origins: OriginResolver,
): ts.Expression | undefined {
  const handed: ts.CallExpression[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isFunctionLike(n)) return;
    if (ts.isCallExpression(n) && n.arguments.some((a) => reads(a, statement))) handed.push(n);
    ts.forEachChild(n, visit);
  };
  ts.forEachChild(body, visit);
  const [call] = handed;
  if (handed.length !== 1 || !call) return undefined;
  const target = origins.expr(call.expression);
  if (target.kind !== 'function' || !target.decl.body) return undefined;
  const index = call.arguments.findIndex((a) => reads(a, statement));
  const inner = target.decl.parameters[index];
  if (!inner) return undefined;
  // Every `X.query(…)` of the helper sending what it made of its statement parameter: all on one parameter of it.
  const receivers = new Set<ts.ParameterDeclaration>();
  let other = false;
  const inHelper = (n: ts.Node): void => {
    if (ts.isFunctionLike(n) && n !== target.decl) return;
    if (ts.isCallExpression(n) && n.arguments.some((a) => reads(a, inner))) {
      const callee = skipOuter(n.expression);
      const sends = ts.isPropertyAccessExpression(callee) && callee.name.text === 'query';
      const recv = sends ? skipOuter(callee.expression) : undefined;
      const b = recv && ts.isIdentifier(recv) ? lookup(recv) : undefined;
      if (b?.kind === 'parameter' && b.fn === target.decl && b.path.length === 0) receivers.add(b.decl);
      else if (!isStatementNormaliser(n, inner)) other = true;
    }
    ts.forEachChild(n, inHelper);
  };
  ts.forEachChild(target.decl.body, inHelper);
  const [recv] = receivers;
  if (other || receivers.size !== 1 || !recv) return undefined;
  const arg = call.arguments[target.decl.parameters.indexOf(recv)];
  return arg && !ts.isSpreadElement(arg) ? arg : undefined;
}

/** `const query = normalizeStatement(statement, …)`: a call whose result is held in a const (read by `reads`). */
function isStatementNormaliser(call: ts.CallExpression, _param: ts.ParameterDeclaration): boolean {
  let up: ts.Node = call.parent;
  while (ts.isParenthesizedExpression(up) || ts.isAwaitExpression(up) || ts.isAsExpression(up)) up = up.parent;
  return ts.isVariableDeclaration(up);
}

/** Whether an expression reads a parameter, directly or through the consts of its function. */
function reads(expr: ts.Expression, param: ts.ParameterDeclaration, depth = 0): boolean {
  if (depth > 8) return false;
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found || ts.isFunctionLike(n)) return;
    if (ts.isIdentifier(n) && !(ts.isPropertyAccessExpression(n.parent) && n.parent.name === n)) {
      const b = lookup(n);
      if (b?.kind === 'parameter' && b.decl === param) found = true;
      else if (b?.kind === 'variable' && b.flags === 'const' && b.decl.initializer)
        found = reads(b.decl.initializer, param, depth + 1);
    }
    ts.forEachChild(n, visit);
  };
  visit(expr);
  return found;
}

function isStatic(m: ts.ClassElement): boolean {
  return !!ts.getModifiers(m as ts.MethodDeclaration)?.some((x) => x.kind === ts.SyntaxKind.StaticKeyword);
}

function onlyReturn(body: ts.Block): ts.Expression | undefined {
  const returns: ts.ReturnStatement[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isFunctionLike(n)) return;
    if (ts.isReturnStatement(n)) returns.push(n);
    ts.forEachChild(n, visit);
  };
  body.statements.forEach(visit);
  return returns.length === 1 ? returns[0]!.expression : undefined;
}
