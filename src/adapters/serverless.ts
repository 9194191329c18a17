import type { DbAdapter } from './types.js';

// Serverless Postgres drivers. Neon: `neon(url)` is an HTTP tag whose every query is its own
// request (a pool, as far as org context goes), `sql.transaction([…])` runs a batch in one
// transaction, and its Pool/Client are pg-compatible. Vercel Postgres: the `sql` and `db`
// exports are ready-made pools; createPool()/createClient() make more.

export const neonAdapter: DbAdapter = {
  api: 'neon',
  modules: ['@neondatabase/serverless'],
  exports: { Pool: 'pool', Client: 'client', '*': 'namespace' },
  factories: { neon: 'pool' },
  executorTypes: { Pool: 'pool', Client: 'client', PoolClient: 'pool-client', NeonQueryFunction: 'pool' },
  queryMethods: { query: { sqlArg: 0 } },
  executorIsTag: true,
  sequenceMethods: ['transaction'],
  connectMethods: ['connect'],
};

export const vercelPostgresAdapter: DbAdapter = {
  api: 'vercel-postgres',
  modules: ['@vercel/postgres'],
  exports: { '*': 'namespace' },
  instances: { sql: 'pool', db: 'pool' },
  factories: { createPool: 'pool', createClient: 'client' },
  executorTypes: { VercelPool: 'pool', VercelClient: 'client', VercelPoolClient: 'pool-client' },
  tagMethods: ['sql'],
  queryMethods: { query: { sqlArg: 0 } },
  executorIsTag: true,
  connectMethods: ['connect'],
};
