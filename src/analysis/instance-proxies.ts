import ts from '../ts.js';
import { returnedExpressions } from '../code/own-returns.js';
import { assignedValues, lookup } from '../code/scope.js';
import { constructorAssignment } from '../code/carried.js';
import type { OriginResolver } from '../code/origins.js';
import { type Facts, TrackedMemo } from '../code/fixpoint.js';
import { skipOuter } from '../syntax/wrappers.js';
import { proxyTraps } from './ambient/providers.js';
import { constructionOf, type Construction } from './executor-classes.js';
import { forwardsOwnMembers } from './proxy-traps.js';

// A class that wraps the client it is constructed with and hands out a Proxy over it whose traps only forward the
// client's members (a validation or logging Proxy, proxy-traps.ts `forwardsOwnMembers`): `new Guarded(tx).guard()`
// is `tx`, `new Guarded(pool).guard()` is `pool`. The field differs per instance, so it is read per call, through the
// instance the call's receiver is: the class's field read alone is every construction's argument at once.

export interface FieldProxy {
  /** The constructor parameter the field holds. */
  param: number;
  /** The field's name (`client` of `this.client`). */
  field: string;
  proxy: ts.NewExpression;
}

const MAX_DEPTH = 4;
/**
 * Per analysis engine, a tracked memo (fixpoint.ts): the traps may be declared in another file, so an editor's session
 * must forget the answer when that file changes (a module-level map kept it for the method's tree's life).
 */
const memos = new WeakMap<Facts, TrackedMemo<ts.FunctionLikeDeclaration, FieldProxy | null>>();

/**
 * The Proxy over a constructor-given field that an instance method returns, directly or through another method of its
 * class called on `this` with no arguments; undefined for any other method.
 */
export function fieldProxy(method: ts.FunctionLikeDeclaration, origins: OriginResolver): FieldProxy | undefined {
  let memo = memos.get(origins.facts);
  if (!memo) memos.set(origins.facts, (memo = new TrackedMemo(origins.facts)));
  return memo.get(method, () => computeFieldProxy(method, origins, 0) ?? null) ?? undefined;
}

function computeFieldProxy(
  method: ts.FunctionLikeDeclaration,
  origins: OriginResolver,
  depth: number,
): FieldProxy | undefined {
  const cls = method.parent;
  if (depth > MAX_DEPTH || !ts.isMethodDeclaration(method) || !ts.isClassLike(cls) || isStatic(method))
    return undefined;
  const returns = returnedExpressions(method);
  if (returns.length !== 1) return undefined;
  let e = skipOuter(returns[0]!);
  while (ts.isAwaitExpression(e)) e = skipOuter(e.expression);
  if (ts.isCallExpression(e) && !e.arguments.length) {
    const callee = skipOuter(e.expression);
    if (!ts.isPropertyAccessExpression(callee) || skipOuter(callee.expression).kind !== ts.SyntaxKind.ThisKeyword)
      return undefined;
    const own = origins.expr(callee);
    return own.kind === 'function' && own.decl.parent === cls
      ? computeFieldProxy(own.decl, origins, depth + 1)
      : undefined;
  }
  if (!ts.isNewExpression(e)) return undefined;
  const traps = proxyTraps(e, origins);
  if (!traps || !forwardsOwnMembers(traps)) return undefined;
  const target = skipOuter(e.arguments![0]!);
  if (!ts.isPropertyAccessExpression(target) || skipOuter(target.expression).kind !== ts.SyntaxKind.ThisKeyword)
    return undefined;
  const param = constructorParam(cls, target.name.text);
  return param === undefined ? undefined : { param, field: target.name.text, proxy: e };
}

/** The index of the constructor parameter the field is given once, at the constructor body's top level. */
function constructorParam(cls: ts.ClassLikeDeclaration, field: string): number | undefined {
  const ctor = cls.members.find((m): m is ts.ConstructorDeclaration => ts.isConstructorDeclaration(m) && !!m.body);
  if (!ctor) return undefined;
  const assigned = constructorAssignment(cls, field);
  if (!assigned || !('value' in assigned)) return undefined;
  const value = skipOuter(assigned.value);
  const b = ts.isIdentifier(value) ? lookup(value) : undefined;
  if (b?.kind !== 'parameter' || b.path.length || b.decl.parent !== ctor || b.decl.dotDotDotToken) return undefined;
  return ctor.parameters.indexOf(b.decl);
}

/**
 * The one construction a receiver stands for: `new C(…)`, a const holding one, a `let` every value of which is that
 * one construction (or `undefined`, a lazy singleton's reset), or a function's call whose every return is.
 */
export function instanceOf(e: ts.Expression, origins: OriginResolver, depth = 0): Construction | undefined {
  if (depth > MAX_DEPTH) return undefined;
  let x = skipOuter(e);
  while (ts.isAwaitExpression(x)) x = skipOuter(x.expression);
  const made = constructionOf(x, origins);
  if (made) return made;
  if (ts.isIdentifier(x)) {
    const b = lookup(x);
    if (b?.kind !== 'variable' || b.path.length) return undefined;
    if (b.flags === 'const') return b.decl.initializer ? instanceOf(b.decl.initializer, origins, depth + 1) : undefined;
    const values = assignedValues(b)?.filter((v) => !isUndefined(v));
    return values ? one(values.map((v) => instanceOf(v, origins, depth + 1))) : undefined;
  }
  if (ts.isCallExpression(x)) {
    const o = origins.expr(skipOuter(x.expression));
    if (o.kind !== 'function' || !o.decl.body) return undefined;
    return one(returnedExpressions(o.decl).map((r) => instanceOf(r, origins, depth + 1)));
  }
  return undefined;
}

function one(made: (Construction | undefined)[]): Construction | undefined {
  const first = made[0];
  return first && made.every((m) => m?.at === first.at) ? first : undefined;
}

function isUndefined(e: ts.Expression): boolean {
  const x = skipOuter(e);
  return x.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(x) && x.text === 'undefined' && !lookup(x));
}

function isStatic(m: ts.MethodDeclaration): boolean {
  return !!ts.getModifiers(m)?.some((k) => k.kind === ts.SyntaxKind.StaticKeyword);
}
