import ts from '../ts.js';
import { methodChain } from '../adapters/chain.js';

// knex.raw('count(*)') is both a query method and a fragment builder: awaited on its own it
// runs SQL; passed into a builder call (.select(knex.raw(…)), .insert({ at: knex.raw('now()') }),
// .where(knex.raw(…))) it is a piece of that builder's statement, whose own write (if any)
// the builder's verb reports. This says which builder call a raw call is embedded in.

/** The method call whose arguments (through object literals, arrays and parentheses) hold this node, if any. */
export function embeddingCall(node: ts.Expression): ts.CallExpression | undefined {
  let n: ts.Node = node;
  for (let p = n.parent; p; n = p, p = p.parent) {
    if (
      ts.isParenthesizedExpression(p) ||
      ts.isAsExpression(p) ||
      ts.isNonNullExpression(p) ||
      ts.isSatisfiesExpression(p)
    )
      continue;
    if (ts.isConditionalExpression(p) && p.condition !== n) continue;
    if (ts.isArrayLiteralExpression(p) || ts.isObjectLiteralExpression(p)) continue;
    if (ts.isPropertyAssignment(p) && p.initializer === n) continue;
    if (ts.isCallExpression(p) && p.arguments.includes(n as ts.Expression))
      return ts.isPropertyAccessExpression(p.expression) || ts.isCallExpression(p.expression) ? p : undefined;
    return undefined;
  }
  return undefined;
}

/** The root expression of the builder chain a call belongs to (knex('t').where(…) → knex). */
export function chainRoot(call: ts.CallExpression): ts.Expression {
  return methodChain(call).base;
}
