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

/**
 * A tagged template a const holds and that is only ever interpolated into other tagged templates
 * (`const limit = n ? sql`LIMIT ${n}` : sql``; … await sql`SELECT … ${limit}``): postgres.js nests it into those
 * queries as a fragment, so it is never run alone. Any other use of the const (awaited, passed, returned, spread into
 * an object) keeps it a query.
 */
export function heldFragment(node: ts.TaggedTemplateExpression): boolean {
  let n: ts.Node = node;
  let p: ts.Node | undefined = n.parent;
  while (
    p &&
    (ts.isParenthesizedExpression(p) ||
      ts.isAsExpression(p) ||
      (ts.isConditionalExpression(p) && p.condition !== n))
  ) {
    n = p;
    p = p.parent;
  }
  if (!p || !ts.isVariableDeclaration(p) || p.initializer !== n || !ts.isIdentifier(p.name)) return false;
  const list = p.parent;
  if (!ts.isVariableDeclarationList(list) || !(list.flags & ts.NodeFlags.Const)) return false;
  const scope = list.parent.parent;
  if (!scope) return false;
  const decl = p.name;
  let uses = 0;
  let other = false;
  const visit = (x: ts.Node): void => {
    if (other) return;
    if (ts.isIdentifier(x) && x !== decl && x.text === decl.text && !isName(x)) {
      let at: ts.Node = x;
      while (ts.isParenthesizedExpression(at.parent)) at = at.parent;
      const span = at.parent;
      const nested = ts.isTemplateSpan(span) && span.expression === at;
      if (nested && ts.isTaggedTemplateExpression(span.parent.parent)) uses++;
      else other = true;
      return;
    }
    ts.forEachChild(x, visit);
  };
  visit(scope);
  return uses > 0 && !other;
}

/** An identifier that names a property, not a value: `a.limit`, `{ limit: 1 }`. */
function isName(x: ts.Identifier): boolean {
  const p = x.parent;
  return (
    (ts.isPropertyAccessExpression(p) && p.name === x) ||
    (ts.isPropertyAssignment(p) && p.name === x) ||
    ((ts.isMethodDeclaration(p) || ts.isPropertyDeclaration(p)) && p.name === x)
  );
}
