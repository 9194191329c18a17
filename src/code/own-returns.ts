import ts from '../ts.js';
import { isFunctionLike } from './scope.js';
import { walkDescendants } from './walk.js';

// The `return` statements of a function's own body (not of the functions nested in it), found by one walk of the
// body per function and shared by every reader: what a call's result is (returns.ts), the connection a wrapper hands
// back (wrapped-connections.ts), a factory's product (providers/factories.ts, nest-di.ts, context/trpc.ts,
// context/replicas.ts) and a builder's sole return (construction.ts). Each of those used to walk the body itself, with
// the same rule: the walk does not enter a nested function (scope.ts's `isFunctionLike`), and a return in a type
// cannot occur, so stopping at signatures too (TypeScript's `isFunctionLike`) changes nothing.

const returnsCache = new WeakMap<ts.FunctionLikeDeclaration, readonly ts.ReturnStatement[]>();

/**
 * The return statements of `fn`'s block body in source order (`return;` included); none for an expression body or no
 * body. Once per function.
 */
export function returnStatements(fn: ts.FunctionLikeDeclaration): readonly ts.ReturnStatement[] {
  let out = returnsCache.get(fn);
  if (out) return out;
  const found: ts.ReturnStatement[] = [];
  const body = fn.body;
  if (body && ts.isBlock(body)) {
    walkDescendants(body, (n) => {
      if (isFunctionLike(n)) return false;
      if (n.kind === ts.SyntaxKind.ReturnStatement) found.push(n as ts.ReturnStatement);
      return true;
    });
  }
  returnsCache.set(fn, (out = found));
  return out;
}

const valuesCache = new WeakMap<ts.FunctionLikeDeclaration, readonly ts.Expression[]>();

/**
 * The expressions `fn` returns from its own body, in source order: an expression body is its one return; a bare
 * `return;` returns no expression. Once per function.
 */
export function returnedExpressions(fn: ts.FunctionLikeDeclaration): readonly ts.Expression[] {
  let out = valuesCache.get(fn);
  if (out) return out;
  const body = fn.body;
  if (!body) out = [];
  else if (!ts.isBlock(body)) out = [body as ts.Expression];
  else {
    const values: ts.Expression[] = [];
    for (const r of returnStatements(fn)) if (r.expression) values.push(r.expression);
    out = values;
  }
  valuesCache.set(fn, out);
  return out;
}
