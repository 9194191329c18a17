import ts from '../ts.js';
import { skipOuter } from '../syntax/wrappers.js';

// A Drizzle table object interpolated in a sql`…` template (`sql`UPDATE ${webhookDeliveries} SET …``, steward) is no
// bound value: Drizzle renders it as the table's quoted name, with its schema when it has one. What it renders is
// read off the table's declaration: `pgTable('name', …)` (also `pgTable.withRLS(…)`, `….enableRLS()`) or
// `s.table('name', …)` with `s = pgSchema('schema')`, the names constant. Anything else stays a value.

/** What to follow: the expression a name is bound to, and the constant text of an expression. */
export interface TableTextDeps {
  definition(e: ts.Expression): ts.Expression | undefined;
  constant(e: ts.Expression): string | undefined;
}

/** The SQL a Drizzle table object renders as (`"name"`, `"schema"."name"`), or undefined when `e` is none. */
export function drizzleTableText(e: ts.Expression, deps: TableTextDeps): string | undefined {
  let def = skipOuter(deps.definition(e) ?? e);
  // pgTable(…).enableRLS() is the same table.
  if (ts.isCallExpression(def) && ts.isPropertyAccessExpression(def.expression) &&
    def.expression.name.text === 'enableRLS' && def.arguments.length === 0)
    def = skipOuter(def.expression.expression);
  if (!ts.isCallExpression(def) || !def.arguments[0]) return undefined;
  const name = deps.constant(def.arguments[0]);
  if (name === undefined) return undefined;
  const callee = skipOuter(def.expression);
  const tableCall =
    (ts.isIdentifier(callee) && callee.text === 'pgTable') ||
    (ts.isPropertyAccessExpression(callee) && callee.name.text === 'withRLS' && ts.isIdentifier(callee.expression) &&
      callee.expression.text === 'pgTable');
  if (tableCall) return quoted(name);
  if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== 'table') return undefined;
  const schemaCall = skipOuter(deps.definition(callee.expression) ?? callee.expression);
  if (!ts.isCallExpression(schemaCall) || !ts.isIdentifier(schemaCall.expression) ||
    schemaCall.expression.text !== 'pgSchema' || !schemaCall.arguments[0])
    return undefined;
  const schema = deps.constant(schemaCall.arguments[0]);
  return schema === undefined ? undefined : `${quoted(schema)}.${quoted(name)}`;
}

function quoted(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
