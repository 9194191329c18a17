import ts from '../ts.js';
import { returnedExpressions } from '../code/own-returns.js';
import { isFunctionLike, lookup } from '../code/scope.js';
import type { OriginResolver } from '../code/origins.js';
import { skipOuter } from '../syntax/wrappers.js';

// Two readings of a Proxy's `get`/`apply` traps, for the Proxies the ambient providers' readings (a store's value, one
// connection fetched in the trap: providers.ts `proxy`, `lazyProxy`) leave. A lazily made client is often a Proxy
// over a placeholder object (`{} as Db`, a marker record) whose trap hands each member to what a function makes: the
// placeholder is no database, but what the Proxy hands out is not the placeholder's (atlaris's service-role client).

/**
 * Whether every trap is closed: it names nothing outside itself but globals (`Reflect`, `typeof`, `Symbol`), so each
 * member it returns is its target's or made in the trap, never a connection kept elsewhere. Only then is a Proxy over a
 * value that is no database itself no database; a trap that calls a function of the code, reads a module variable or
 * `this`, may hand out anything.
 */
export function closedTraps(traps: readonly ts.FunctionLikeDeclaration[]): boolean {
  return traps.every((trap) => !trap.body || !namesOutside(trap.body, trap));
}

function namesOutside(node: ts.Node, trap: ts.FunctionLikeDeclaration): boolean {
  if (ts.isTypeNode(node)) return false;
  if (node.kind === ts.SyntaxKind.ThisKeyword) return true;
  if (ts.isIdentifier(node) && isReference(node)) {
    // `globalThis.db`, `global.prisma`: a global that holds whatever the code put there.
    if (['globalThis', 'global', 'window'].includes(node.text)) return true;
    const b = lookup(node);
    if (b && !within(b.decl, trap)) return true;
  }
  return ts.forEachChild(node, (c) => namesOutside(c, trap)) === true;
}

/** An identifier that names a binding: not a member's name, a property key or a label. */
function isReference(id: ts.Identifier): boolean {
  const p = id.parent;
  if (ts.isPropertyAccessExpression(p) && p.name === id) return false;
  if (ts.isQualifiedName(p) && p.right === id) return false;
  if ((ts.isPropertyAssignment(p) || ts.isMethodDeclaration(p) || ts.isPropertyDeclaration(p)) && p.name === id)
    return false;
  if (ts.isBindingElement(p) && p.propertyName === id) return false;
  if (ts.isLabeledStatement(p) || ts.isBreakOrContinueStatement(p)) return false;
  return true;
}

function within(n: ts.Node, ancestor: ts.Node): boolean {
  for (let x: ts.Node | undefined = n; x; x = x.parent) if (x === ancestor) return true;
  return false;
}

/**
 * `get(t, key) { if (key === MARK) return Reflect.get(t, key); return member(init, key) }` with
 * `function member(make, key) { return Reflect.get(make(), key) }`: the trap hands every member (but its target's own,
 * and constants) to a helper of the code that forwards it to what one of its function parameters makes. Returns the
 * argument the trap's call gives that parameter (`init`, whose return is the client) and that call; undefined for any
 * other trap.
 */
export function forwardingHelperMaker(
  traps: readonly ts.FunctionLikeDeclaration[],
  origins: OriginResolver,
): { maker: ts.Expression; call: ts.CallExpression } | undefined {
  const forwarded: ts.Expression[] = [];
  for (const trap of traps)
    for (const r of returnedExpressions(trap)) if (!readsOwnTarget(r, trap) && !isConstant(r)) forwarded.push(r);
  const only = forwarded.length === 1 ? skipOuter(forwarded[0]!) : undefined;
  if (!only || !ts.isCallExpression(only)) return undefined;
  const callee = origins.expr(skipOuter(only.expression));
  if (callee.kind !== 'function' || !isFunctionLike(callee.decl)) return undefined;
  const helper = callee.decl;
  const returns = returnedExpressions(helper);
  if (returns.length !== 1) return undefined;
  const made = forwardedObject(skipOuter(returns[0]!));
  const maker = made && calledParameter(made, helper);
  const index = maker ? helper.parameters.indexOf(maker) : -1;
  const arg = index >= 0 && !maker!.dotDotDotToken ? only.arguments[index] : undefined;
  return arg && !ts.isSpreadElement(arg) ? { maker: arg, call: only } : undefined;
}

/** `x` of `Reflect.get(x, …)` or `x[key]`. */
function forwardedObject(e: ts.Expression): ts.Expression | undefined {
  if (ts.isElementAccessExpression(e)) return skipOuter(e.expression);
  if (!ts.isCallExpression(e) || !e.arguments[0]) return undefined;
  const callee = skipOuter(e.expression);
  const reflect =
    ts.isPropertyAccessExpression(callee) &&
    callee.name.text === 'get' &&
    ts.isIdentifier(callee.expression) &&
    callee.expression.text === 'Reflect' &&
    !lookup(callee.expression);
  return reflect ? skipOuter(e.arguments[0]) : undefined;
}

/** The parameter of `fn` that `e` calls with no arguments (`make()`), directly or through a local `x = make()`. */
function calledParameter(e: ts.Expression, fn: ts.FunctionLikeDeclaration): ts.ParameterDeclaration | undefined {
  let x = skipOuter(e);
  if (ts.isIdentifier(x)) {
    const b = lookup(x);
    if (b?.kind !== 'variable' || b.path.length || !b.decl.initializer || !within(b.decl, fn)) return undefined;
    x = skipOuter(b.decl.initializer);
  }
  if (!ts.isCallExpression(x) || x.arguments.length) return undefined;
  const callee = skipOuter(x.expression);
  const b = ts.isIdentifier(callee) ? lookup(callee) : undefined;
  return b?.kind === 'parameter' && b.decl.parent === fn && !b.path.length ? b.decl : undefined;
}

/** `Reflect.get(t, …)`, `t[key]` or `t.x` where `t` is the trap's own target (its first parameter). */
function readsOwnTarget(r: ts.Expression, trap: ts.FunctionLikeDeclaration): boolean {
  const e = skipOuter(r);
  const object = ts.isPropertyAccessExpression(e) ? skipOuter(e.expression) : forwardedObject(e);
  const target = trap.parameters[0];
  if (!object || !target || !ts.isIdentifier(object)) return false;
  const b = lookup(object);
  return b?.kind === 'parameter' && b.decl === target;
}

function isConstant(r: ts.Expression): boolean {
  const e = skipOuter(r);
  return (
    ts.isLiteralExpression(e) ||
    e.kind === ts.SyntaxKind.NullKeyword ||
    e.kind === ts.SyntaxKind.TrueKeyword ||
    e.kind === ts.SyntaxKind.FalseKeyword ||
    (ts.isIdentifier(e) && e.text === 'undefined' && !lookup(e))
  );
}

/**
 * Whether every trap only hands out its target's own members, as they are or wrapped so that each call still runs on
 * the member's own object: a validation, logging or metrics Proxy (`get(t, key) { const m = t[key]; if (typeof m !==
 * 'object') return Reflect.get(t, key); return new Proxy(m, { get(model, op) { const f = model[op]; return (...a) => {
 * check(); return f.apply(model, a) } } }) }`). Such a Proxy runs each query on its target, so it is its target. A
 * trap that calls anything else outside a `throw` (a `set_config`, a helper of the code) may change what the query
 * runs on or under, and is not read so.
 */
export function forwardsOwnMembers(traps: readonly ts.FunctionLikeDeclaration[]): boolean {
  return traps.length > 0 && traps.every((trap) => isForwardingTrap(trap, 0));
}

function isForwardingTrap(trap: ts.FunctionLikeDeclaration, depth: number): boolean {
  const target = trap.parameters[0];
  if (depth > 2 || !target || !ts.isIdentifier(target.name) || trapName(trap) !== 'get') return false;
  const forwards = new Set<ts.Node>();
  for (const r of returnedExpressions(trap)) {
    const e = skipOuter(r);
    if (isConstant(e) || memberOf(e, target)) continue;
    if (ts.isNewExpression(e) && isProxyCall(e)) {
      const inner = e.arguments![0]!;
      const traps = nestedTraps(e.arguments![1]!);
      if (!memberOf(skipOuter(inner), target) || !traps || !traps.every((t) => isForwardingTrap(t, depth + 1)))
        return false;
      forwards.add(e);
      continue;
    }
    if (!(ts.isArrowFunction(e) || ts.isFunctionExpression(e)) || !forwardsCall(e, target)) return false;
    forwards.add(e);
  }
  return !sideEffects(trap.body!, trap, forwards);
}

/** `t.x`, `t[key]`, `Reflect.get(t, …)`, or a local const holding one of them, for the trap's target `t`. */
function memberOf(e: ts.Expression, target: ts.ParameterDeclaration): boolean {
  let x = e;
  if (ts.isIdentifier(x)) {
    const b = lookup(x);
    if (b?.kind !== 'variable' || b.path.length || !b.decl.initializer) return false;
    if (!(ts.getCombinedNodeFlags(b.decl) & ts.NodeFlags.Const)) return false;
    x = skipOuter(b.decl.initializer);
  }
  const object = ts.isPropertyAccessExpression(x) ? skipOuter(x.expression) : forwardedObject(x);
  if (!object || !ts.isIdentifier(object)) return false;
  const b = lookup(object);
  return b?.kind === 'parameter' && b.decl === target;
}

/** A function whose every return calls a member of `target` on `target` (`f.apply(t, a)`, `f.call(t, …)`). */
function forwardsCall(fn: ts.ArrowFunction | ts.FunctionExpression, target: ts.ParameterDeclaration): boolean {
  const returns = returnedExpressions(fn);
  if (!returns.length) return false;
  const calls = new Set<ts.Node>();
  for (const r of returns) {
    const e = skipOuter(r);
    if (!ts.isCallExpression(e)) return false;
    const callee = skipOuter(e.expression);
    if (!ts.isPropertyAccessExpression(callee) || !['apply', 'call'].includes(callee.name.text)) return false;
    const self = e.arguments[0] && skipOuter(e.arguments[0]);
    const onTarget = self && ts.isIdentifier(self) && lookup(self)?.decl === target;
    if (!onTarget || !memberOf(skipOuter(callee.expression), target)) return false;
    calls.add(e);
  }
  return !sideEffects(fn.body, fn, calls);
}

/**
 * A call or `new` in `node` that is not one of `allowed`, a `Reflect.get`, a global's (`String(key)`,
 * `console.warn(…)`), or inside a `throw`; nested functions other than `allowed` count as one.
 */
function sideEffects(node: ts.Node, root: ts.Node, allowed: ReadonlySet<ts.Node>): boolean {
  if (allowed.has(node) || ts.isThrowStatement(node) || ts.isTypeNode(node)) return false;
  if (node !== root && isFunctionLike(node)) return true;
  if (ts.isCallExpression(node) || ts.isNewExpression(node)) {
    if (ts.isCallExpression(node) && forwardedObject(node)) return false;
    if (!globalCallee(node.expression)) return true;
  }
  return ts.forEachChild(node, (c) => sideEffects(c, root, allowed)) === true;
}

function globalCallee(e: ts.Expression): boolean {
  let x = skipOuter(e);
  while (ts.isPropertyAccessExpression(x)) x = skipOuter(x.expression);
  return ts.isIdentifier(x) && !lookup(x) && !['globalThis', 'global', 'window', 'Proxy'].includes(x.text);
}

function isProxyCall(e: ts.NewExpression): boolean {
  const ctor = skipOuter(e.expression);
  return ts.isIdentifier(ctor) && ctor.text === 'Proxy' && !lookup(ctor) && e.arguments?.length === 2;
}

/** The inline handler's traps (`get`/`apply`); undefined when it is not an inline object of trap functions. */
function nestedTraps(handler: ts.Expression): ts.FunctionLikeDeclaration[] | undefined {
  const h = skipOuter(handler);
  if (!ts.isObjectLiteralExpression(h)) return undefined;
  const traps: ts.FunctionLikeDeclaration[] = [];
  for (const p of h.properties) {
    const fn = ts.isMethodDeclaration(p) ? p : ts.isPropertyAssignment(p) ? skipOuter(p.initializer) : undefined;
    if (!fn || !isFunctionLike(fn) || !fn.body) return undefined;
    traps.push(fn);
  }
  return traps;
}

function trapName(trap: ts.FunctionLikeDeclaration): string | undefined {
  const p = ts.isMethodDeclaration(trap) ? trap : trap.parent;
  return (ts.isMethodDeclaration(p) || ts.isPropertyAssignment(p)) && ts.isIdentifier(p.name) ? p.name.text : undefined;
}
