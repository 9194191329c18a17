import ts from '../../ts.js';
import type { Handle } from '../handles.js';
import { where } from '../handles.js';
import { functionName, type Origin, type OriginResolver } from '../../code/origins.js';
import { isStableVariable, lookup } from '../../code/scope.js';
import { skipOuter } from '../../syntax/wrappers.js';
import type { FactKind } from '../../code/fixpoint.js';
import { returnedExpressions } from '../../code/own-returns.js';
import { selectedBy } from './conditional.js';

// Factories that return objects, tuples or class instances holding a connection:
// `const { knex, tenant } = await tenantDb()`, `const db = await tenantDb(); db.knex…`,
// `const [client] = await pair(org)`. The connection is the member of what the factory
// returns, on every return the call's arguments select (a missing-argument guard, as for
// factories returning a connection); returns that disagree leave it unresolved.

/** `x` bound by `const { x } = await f()`, or `r.x` with `const r = await f()`: the call and the member path. */
export function memberOfCall(expr: ts.Expression): { call: ts.CallExpression; path: (string | number)[] } | undefined {
  const e = skipOuter(expr);
  if (ts.isIdentifier(e)) {
    const b = lookup(e);
    if (!b || b.kind !== 'variable' || !isStableVariable(b) || !b.decl.initializer) return undefined;
    const call = callOf(b.decl.initializer);
    return call && b.path.length > 0 ? { call, path: [...b.path] } : undefined;
  }
  if (
    ts.isPropertyAccessExpression(e) ||
    (ts.isElementAccessExpression(e) && ts.isNumericLiteral(e.argumentExpression))
  ) {
    const key = ts.isPropertyAccessExpression(e)
      ? e.name.text
      : Number((e.argumentExpression as ts.NumericLiteral).text);
    const inner = skipOuter(e.expression);
    const base = memberOfCall(inner);
    if (base) return { call: base.call, path: [...base.path, key] };
    if (ts.isIdentifier(inner)) {
      const b = lookup(inner);
      if (b && b.kind === 'variable' && isStableVariable(b) && b.path.length === 0 && b.decl.initializer) {
        const call = callOf(b.decl.initializer);
        if (call) return { call, path: [key] };
      }
    }
  }
  return undefined;
}

function callOf(init: ts.Expression): ts.CallExpression | undefined {
  let e = skipOuter(init);
  while (ts.isAwaitExpression(e)) e = skipOuter(e.expression);
  return ts.isCallExpression(e) ? e : undefined;
}

/**
 * The return expressions of a function's own body (not of nested functions), as a
 * per-function fact: found once however many calls read a member of what it returns.
 */
export function returnExpressionsFact(): FactKind<ts.FunctionLikeDeclaration, readonly ts.Expression[]> {
  return {
    name: 'return-expressions',
    compute: ownReturns,
    // Nothing found: the member stays untraced (unknown), never a connection.
    conservative: () => [],
    same: (a, b) => a.length === b.length && a.every((x, i) => x === b[i]),
  };
}

/**
 * The connection at `path` of what the called function returns. `returnsOf` is the
 * per-function fact above; `handleOf` turns an origin into a handle (the resolver's own,
 * memoised), so each return is traced once per node; only the guard a call selects is per call.
 */
export function returnedMember(
  origins: OriginResolver,
  found: { call: ts.CallExpression; path: (string | number)[] },
  returnsOf: (fn: ts.FunctionLikeDeclaration) => readonly ts.Expression[],
  handleOf: (o: Origin, at: ts.Expression) => Handle,
  root: string,
  traceExpr?: (e: ts.Expression) => Handle,
): Handle | undefined {
  const target = origins.expr(found.call.expression);
  if (target.kind !== 'function' || !target.decl.body) return undefined;
  const fn = target.decl;
  // A block body's returns on the path the call's arguments select (selectedBy walks up to the statement).
  const returns = returnsOf(fn).filter((r) => selectedBy(fn, r, found.call));
  const name = functionName(fn);
  const member = found.path.join('.');
  const handles = returns.map((r) => {
    // `return { runner, manager: runner.manager }`: the member's own expression, traced as written (a QueryRunner's
    // `manager` is its connection under another API, which the origin of the member alone does not say).
    const literal = skipOuter(r);
    const props = ts.isObjectLiteralExpression(literal) ? [...literal.properties] : [];
    const own = traceExpr && found.path.length === 1 && !props.some(ts.isSpreadAssignment)
      ? props.reverse().find((p) => p.name && ts.isIdentifier(p.name) && p.name.text === found.path[0])
      : undefined;
    if (own && ts.isPropertyAssignment(own)) return traceExpr!(own.initializer);
    let o: Origin = origins.expr(r);
    if (o.kind === 'expr' && ts.isAwaitExpression(skipOuter(o.expr)))
      o = origins.expr((skipOuter(o.expr) as ts.AwaitExpression).expression);
    for (const key of found.path) o = origins.member(o, key);
    return handleOf(o, r);
  });
  const first = handles[0];
  if (!first) return undefined;
  const same = handles.every(
    (h) => h.kind === first.kind && ('key' in h ? h.key === (first as { key: ts.Node }).key : h.kind !== 'unknown'),
  );
  if (!same) {
    // The libraries the returns come from: a write on it is still that library's write (unresolved, never dropped).
    const libraries = [
      ...new Set(
        handles.flatMap((h) =>
          (h.kind === 'executor' || h.kind === 'admin') && h.adapter
            ? [h.adapter]
            : h.kind === 'unknown'
              ? (h.libraries ?? [])
              : [],
        ),
      ),
    ];
    return {
      kind: 'unknown',
      reason: `\`${name}\` returns different connections as \`${member}\``,
      ...(libraries.length ? { libraries } : {}),
    };
  }
  if (!('label' in first)) return first;
  // The chain, for the evidence: which member of which call, then where that connection comes from.
  return { ...first, label: `\`${member}\` from ${name}() at ${where(found.call, root)}, ${first.label}` } as Handle;
}

/**
 * The expressions a function returns from its own body (an expression body is its one return). Once per function
 * (own-returns.ts): a helper's returns are read at every call of it that is followed as a value.
 */
export function ownReturns(fn: ts.FunctionLikeDeclaration): readonly ts.Expression[] {
  return returnedExpressions(fn);
}
