import type { DbAdapter } from './types.js';

// Slonik: `const pool = await createPool(dsn)`; every query is a tagged template from its
// `sql` export (sql.type(schema)`…`, sql.unsafe`…`) passed to pool.query/one/many/any…;
// pool.transaction(async (tx) => …) runs on one connection in a transaction, and
// pool.connect(async (connection) => …) on one connection without one.

const RUNNERS = [
  'query',
  'one',
  'oneFirst',
  'maybeOne',
  'maybeOneFirst',
  'many',
  'manyFirst',
  'any',
  'anyFirst',
  'exists',
  'stream',
];

export const slonikAdapter: DbAdapter = {
  api: 'slonik',
  modules: ['slonik'],
  modulePrefixes: ['@slonik/'],
  exports: { sql: 'sql-tag', '*': 'namespace' },
  factories: { createPool: 'pool' },
  executorTypes: {
    DatabasePool: 'pool',
    DatabaseTransactionConnection: 'client',
    DatabasePoolConnection: 'pool-client',
    CommonQueryMethods: 'pool',
  },
  queryMethods: Object.fromEntries(RUNNERS.map((m) => [m, { sqlArg: 0 }])),
  transactionMethods: { transaction: {} },
  connectionCallbacks: ['connect'],
  connectMethods: [],
};
