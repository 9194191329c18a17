import ts from '../ts.js';
import { skipOuter } from '../syntax/wrappers.js';
import { type ChainLink, outerCalls, verbCall, writeKind } from './chain.js';
import { namingOf, readings, renamed } from './kysely-naming.js';
import type { BuilderContext, BuilderWrite, DbAdapter } from './types.js';

// Kysely: `new Kysely<DB>({ dialect })`; writes start on the instance or a transaction:
// db.insertInto('t'), db.updateTable('t'), db.deleteFrom('t'), db.mergeInto('t'),
// db.withSchema('s').deleteFrom('t'); raw SQL is sql`…`.execute(db | trx), sql.raw(text).execute(db | trx) or
// db.executeQuery(CompiledQuery.raw(text, params)); a transaction is db.transaction().execute(async (trx) => …),
// or a controlled one, `const trx = await db.startTransaction().execute()` … `trx.commit().execute()`, whose
// `trx.savepoint('a').execute()` returns the same transaction; db.with('gone', (qb) =>
// qb.deleteFrom('t')) is a writable CTE whose qb builds on db.

const VERBS: Record<string, BuilderWrite['operation']> = {
  insertInto: 'insert',
  replaceInto: 'insert',
  updateTable: 'update',
  deleteFrom: 'delete',
  mergeInto: 'merge',
};

const PASSTHROUGH = ['withSchema', 'withPlugin', 'withoutPlugins'];

export const kyselyAdapter: DbAdapter = {
  api: 'kysely',
  modules: ['kysely'],
  exports: { Kysely: 'pool', sql: 'sql-tag', '*': 'namespace' },
  executorTypes: { Kysely: 'pool', Transaction: 'client' },
  queryMethods: {},
  transactionMethods: { transaction: { then: 'execute' }, startTransaction: {} },
  // A controlled transaction's savepoint calls return the same connection; rolling back to a
  // savepoint undoes the settings made after it, so it drops the context (fail closed).
  transactionControl: { commit: 'commit', rollback: 'rollback', rollbackToSavepoint: 'rollback-to-savepoint' },
  connectMethods: [],
  passthroughMethods: [...PASSTHROUGH, 'execute', 'savepoint', 'releaseSavepoint', 'rollbackToSavepoint'],
  builderCallbacks: ['with', 'withRecursive'],
  // db.connection().execute(async (conn) => …): one checked-out connection, no transaction.
  connectionCallbacks: ['connection().execute'],
  sqlExecute(call) {
    const callee = call.expression;
    if (!ts.isPropertyAccessExpression(callee)) return null;
    // tx.executeQuery(CompiledQuery.raw(text, params)): a compiled query sent as it is, its text all SQL. Another
    // argument (a builder's .compile()) is that builder's own write, found at its insertInto.
    if (callee.name.text === 'executeQuery' && call.arguments.length === 1) {
      const query = call.arguments[0]!;
      return rawCall(query) ? { executor: callee.expression, sql: query } : null;
    }
    if (callee.name.text !== 'execute' || call.arguments.length !== 1) return null;
    // sql`…`.execute(trx), and sql.raw(text).execute(trx) (a raw fragment sent whole: its text).
    const template = callee.expression;
    return ts.isTaggedTemplateExpression(template) || rawCall(template)
      ? { executor: call.arguments[0]!, sql: template }
      : null;
  },
  builderTable(call) {
    return verbCall(call, VERBS) ? call.arguments[0] : undefined;
  },
  builderWrite(call, ctx) {
    const found = verbCall(call, VERBS);
    if (!found) return null;
    const { verb, operation, chain } = found;
    if (chain.links.slice(0, -1).some((l) => !PASSTHROUGH.includes(l.name))) return null;
    const schemaArg = chain.links.find((l) => l.name === 'withSchema')?.call.arguments[0];
    const schema = schemaArg ? ctx.constant(schemaArg) : undefined;
    const arg = call.arguments[0];
    const text = arg ? ctx.constant(arg) : undefined;
    const executor = chain.rootCall ?? chain.base;
    // .onConflict((oc) => oc.column('id').doUpdateSet(…)): ON CONFLICT DO UPDATE; .returning(…) / .returningAll().
    const kind = writeKind(outerCalls(call), updatesOnConflict, (l) => /^returning(All)?$/.test(l.name));
    if (text === undefined)
      return {
        executor,
        operation,
        ...kind,
        table: { unresolved: `the table passed to ${verb}() is not a constant` },
        distinctive: true,
      };
    // Kysely table references: "schema.table" and "table as alias"; CamelCasePlugin renames both parts.
    const naming = namingOf(chain, executor, ctx);
    const reference = text.split(/\s+as\s+/i)[0]!.trim();
    const table =
      naming.kind === 'unknown' && schema === undefined
        ? (existingReading(reference, ctx) ?? renamed(reference, naming))
        : renamed(reference, naming);
    const schemaName = schema === undefined ? undefined : renamed(schema, naming);
    if ('unresolved' in table) return { executor, operation, ...kind, table, distinctive: true };
    if (schemaName && 'unresolved' in schemaName)
      return { executor, operation, ...kind, table: schemaName, distinctive: true };
    return {
      executor,
      operation,
      ...kind,
      table: { name: ctx.qualify(table.name, schemaName?.name) },
      distinctive: true,
    };
  },
};

/** `.onConflict((oc) => oc.column('id').doUpdateSet(…))`: a conflict callback that calls doUpdateSet. */
function updatesOnConflict(link: ChainLink): boolean {
  if (link.name !== 'onConflict') return false;
  const found = (n: ts.Node): boolean =>
    (ts.isCallExpression(n) &&
      ts.isPropertyAccessExpression(n.expression) &&
      n.expression.name.text === 'doUpdateSet') ||
    ts.forEachChild(n, found) === true;
  return link.call.arguments.some(found);
}

/**
 * When the instance's naming cannot be traced, the reading (as written, or renamed by
 * CamelCasePlugin) that names the one table the schema has: the other would fail at run time.
 */
function existingReading(reference: string, ctx: BuilderContext): { name: string } | undefined {
  if (!ctx.tableExists) return undefined;
  const found = [...new Set(readings(reference))].filter((r) => ctx.tableExists!(ctx.qualify(r)));
  return found.length === 1 ? { name: found[0]! } : undefined;
}

/** `X.raw(…)` (kysely's sql.raw, CompiledQuery.raw): whether X is the library's is the SQL folder's question. */
function rawCall(expr: ts.Expression): boolean {
  const e = skipOuter(expr);
  return (
    ts.isCallExpression(e) &&
    ts.isPropertyAccessExpression(e.expression) &&
    e.expression.name.text === 'raw' &&
    e.arguments.length >= 1
  );
}
