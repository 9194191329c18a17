import ts from '../ts.js';
import { outerCalls, verbCall, writeKind } from './chain.js';
import type { BuilderContext, BuilderWrite, DbAdapter } from './types.js';

// Drizzle: `drizzle(pool | url | { client })` from any driver entry point
// (drizzle-orm/node-postgres, /postgres-js, /pglite, …); writes are db.insert(table),
// db.update(table), db.delete(table) on the instance or a transaction, where `table` is a
// pgTable('name', …) or pgSchema('s').table('name', …) object, possibly from another file;
// raw SQL is db.execute(sql`…`); db.transaction(async (tx) => …) opens a transaction.

const VERBS: Record<string, BuilderWrite['operation']> = { insert: 'insert', update: 'update', delete: 'delete' };

export const drizzleAdapter: DbAdapter = {
  api: 'drizzle',
  modules: ['drizzle-orm'],
  modulePrefixes: ['drizzle-orm/'],
  exports: { sql: 'sql-tag', '*': 'namespace' },
  factories: { drizzle: 'pool' },
  // drizzle(reserved) / drizzle({ client: tx }) runs on that one connection.
  wrappingFactories: ['drizzle'],
  executorTypes: { NodePgDatabase: 'pool', PostgresJsDatabase: 'pool', PgDatabase: 'pool', PgTransaction: 'client' },
  queryMethods: { execute: { sqlArg: 0 } },
  transactionMethods: { transaction: {} },
  connectMethods: [],
  passthroughMethods: ['$with'],
  builderTable(call) {
    // A table is a pgTable value: a row object or list (knex's `insert(row)`) is not one.
    const arg = verbCall(call, VERBS) && call.arguments.length === 1 ? call.arguments[0] : undefined;
    return arg && !ts.isObjectLiteralExpression(arg) && !ts.isArrayLiteralExpression(arg) ? arg : undefined;
  },
  builderWrite(call, ctx) {
    const found = verbCall(call, VERBS);
    if (!found || call.arguments.length !== 1) return null;
    const { operation, chain } = found;
    // The verb starts the chain (`db.insert(t)`), or is called on what a call returned (Hono's
    // `c.get('db').insert(t)`, `ctx.db().delete(t)`, a lazy getter's `getDb().insert(t)`): that result is the
    // executor, for the core to trace (the chain's base is then the function called, not a connection).
    const receiver = receiverOf(call);
    const fromCall = receiver && ts.isCallExpression(receiver) ? receiver : null;
    const executor = chain.links.length === 1 && !chain.rootCall ? chain.base : fromCall;
    if (!executor) return null;
    const table = tableName(call.arguments[0]!, ctx);
    // Only a pgTable object makes db.delete(x) a Drizzle write on its own; the core still
    // requires db to be a Drizzle executor.
    // Why not, where provenance says (an import of a name its module does not export: a commented-out re-export).
    const why = table ? undefined : ctx.untraced?.(call.arguments[0]!);
    if (!table)
      return {
        executor,
        operation,
        table: {
          unresolved:
            `\`${call.arguments[0]!.getText().slice(0, 40)}\` cannot be traced to a pgTable(…) declaration` +
            (why ? ` (${why})` : ''),
        },
      };
    // .values(…).onConflictDoUpdate(…): ON CONFLICT DO UPDATE; .returning(…): RETURNING.
    const kind = writeKind(outerCalls(call), (l) => l.name === 'onConflictDoUpdate');
    return { executor, operation, ...kind, table: { name: table }, distinctive: true };
  },
};

/** `x` of `x.insert(t)`. */
function receiverOf(call: ts.CallExpression): ts.Expression | undefined {
  let callee: ts.Expression = call.expression;
  while (ts.isParenthesizedExpression(callee) || ts.isNonNullExpression(callee)) callee = callee.expression;
  if (!ts.isPropertyAccessExpression(callee)) return undefined;
  let receiver: ts.Expression = callee.expression;
  while (ts.isParenthesizedExpression(receiver) || ts.isNonNullExpression(receiver) || ts.isAsExpression(receiver))
    receiver = receiver.expression;
  return receiver;
}

/** pgTable('name', …) → public.name; pgSchema('s').table('name', …) or s.table('name', …) → s.name. */
function tableName(expr: ts.Expression, ctx: BuilderContext): string | undefined {
  let def = ctx.definition(expr) ?? expr;
  // pgTable(…).enableRLS() is the same table.
  if (
    ts.isCallExpression(def) &&
    ts.isPropertyAccessExpression(def.expression) &&
    def.expression.name.text === 'enableRLS'
  )
    def = def.expression.expression;
  if (!ts.isCallExpression(def) || def.arguments.length === 0) return undefined;
  const name = ctx.constant(def.arguments[0]!);
  if (name === undefined) return undefined;
  const callee = def.expression;
  if (ts.isIdentifier(callee) && /^(pg|postgres)Table(WithSchema)?$/.test(callee.text))
    return ctx.qualify(`"${name.replace(/"/g, '""')}"`);
  if (
    ts.isPropertyAccessExpression(callee) &&
    callee.name.text === 'withRLS' &&
    ts.isIdentifier(callee.expression) &&
    callee.expression.text === 'pgTable'
  )
    return ctx.qualify(`"${name.replace(/"/g, '""')}"`);
  if (ts.isPropertyAccessExpression(callee) && callee.name.text === 'table') {
    const schemaCall = ctx.definition(callee.expression) ?? callee.expression;
    if (
      ts.isCallExpression(schemaCall) &&
      ts.isIdentifier(schemaCall.expression) &&
      schemaCall.expression.text === 'pgSchema' &&
      schemaCall.arguments[0]
    ) {
      const schema = ctx.constant(schemaCall.arguments[0]);
      if (schema !== undefined) return `${schema}.${name}`;
    }
  }
  return undefined;
}
