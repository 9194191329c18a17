import type { DbAdapter } from './types.js';

// postgres.js: `const sql = postgres(url)` is a pool that is also the query tag:
// sql`INSERT …` runs, sql.unsafe(text) runs raw text, sql.begin(async (sql) => …) runs a
// transaction on one reserved connection (sql.savepoint(async (sql) => …) a savepoint in it),
// sql.reserve() checks one out.
export const postgresAdapter: DbAdapter = {
  api: 'postgres',
  modules: ['postgres'],
  exports: { default: 'namespace', '*': 'namespace' },
  factories: { default: 'pool', '*': 'pool', postgres: 'pool' },
  executorTypes: { Sql: 'pool', TransactionSql: 'client', ReservedSql: 'pool-client' },
  queryMethods: { unsafe: { sqlArg: 0 } },
  executorIsTag: true,
  transactionMethods: { begin: {} },
  savepointMethods: ['savepoint'],
  connectMethods: ['reserve'],
};
