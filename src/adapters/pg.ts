import type { DbAdapter } from './types.js';

// node-postgres: `new Pool()` / `new Client()`, `pool.connect()` hands out a PoolClient,
// and `query(text | { text, values }, values?)` runs SQL on any of them.
export const pgAdapter: DbAdapter = {
  api: 'pg',
  modules: ['pg', 'pg-pool'],
  exports: {
    default: 'namespace',
    '*': 'namespace',
    Pool: 'pool',
    Client: 'client',
  },
  executorTypes: {
    Pool: 'pool',
    PoolClient: 'pool-client',
    Client: 'client',
    ClientBase: 'client',
  },
  queryMethods: {
    query: { sqlArg: 0 },
  },
  connectMethods: ['connect'],
};
