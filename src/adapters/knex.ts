import type ts from 'typescript';
import { type Chain, outerCalls, verbCall } from './chain.js';
import type { BuilderContext, BuilderWrite, DbAdapter } from './types.js';

// knex: `const db = knex(config)`; writes are chains on the instance or a transaction:
// db('projects').where(…).update(…), db.insert(row).into('projects'),
// db('t').insert(r).onConflict('id').merge(), db.withSchema('billing').table('t').del();
// db.raw(sql, bindings) runs raw SQL with ? placeholders; db.transaction(async (trx) => …)
// or `const trx = await db.transaction()` opens a transaction on one connection;
// .transacting(trx) moves a chain onto it.

const VERBS: Record<string, BuilderWrite['operation']> = {
  insert: 'insert',
  upsert: 'insert',
  update: 'update',
  increment: 'update',
  decrement: 'update',
  del: 'delete',
  delete: 'delete',
  truncate: 'truncate',
};
const TABLE_METHODS = new Set(['table', 'into', 'from']);

export const knexAdapter: DbAdapter = {
  api: 'knex',
  modules: ['knex'],
  exports: { default: 'namespace', '*': 'namespace' },
  factories: { '*': 'pool', default: 'pool', knex: 'pool', Knex: 'pool' },
  executorTypes: { Knex: 'pool', 'Knex.Transaction': 'client', Transaction: 'client' },
  queryMethods: { raw: { sqlArg: 0 } },
  fragmentMethods: ['raw'],
  placeholders: 'question',
  transactionMethods: { transaction: {} },
  connectMethods: [],
  passthroughMethods: ['withSchema'],
  builderWrite(call, ctx) {
    const found = verbCall(call, VERBS);
    if (!found) return null;
    const { operation, chain } = found;
    const before = chain.links.slice(0, -1);
    // A write verb inside the chain is only one write: insert(…).onConflict().merge() is the insert.
    if (before.some((l) => VERBS[l.name])) return null;
    const after = outerCalls(call);
    const transacting = [...before, ...after].find((l) => l.name === 'transacting');
    const executor = transacting?.call.arguments[0] ?? chain.base;
    return {
      executor,
      operation,
      table: tableOf(chain, before, after, ctx),
      distinctive: chain.rootCall !== undefined || before.some((l) => TABLE_METHODS.has(l.name)),
    };
  },
};

function tableOf(
  chain: Chain,
  before: Chain['links'],
  after: Chain['links'],
  ctx: BuilderContext,
): BuilderWrite['table'] {
  const schemaArg = before.find((l) => l.name === 'withSchema')?.call.arguments[0];
  const schema = schemaArg ? ctx.constant(schemaArg) : undefined;
  if (schemaArg && schema === undefined) return { unresolved: 'the schema passed to withSchema() is not a constant' };
  const named: ts.Expression | undefined =
    chain.rootCall?.arguments[0] ?? [...before, ...after].find((l) => TABLE_METHODS.has(l.name))?.call.arguments[0];
  if (!named) return { unresolved: 'the query names no table (knex(…), .table(), .into() or .from())' };
  const text = ctx.constant(named);
  if (text === undefined) return { unresolved: `the table \`${named.getText().slice(0, 40)}\` is not a constant` };
  // knex identifiers: "schema.table" and "table as alias".
  const bare = text.split(/\s+as\s+/i)[0]!.trim();
  return { name: ctx.qualify(bare, schema) };
}
