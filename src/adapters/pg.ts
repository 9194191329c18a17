import type { DbAdapter } from './types.js';

// node-postgres: `new Pool()` / `new Client()`, `pool.connect()` hands out a PoolClient,
// and `query(text | { text, values }, values?)` runs SQL on any of them, also wrapped in a
// stream (client.query(copyFrom('COPY t FROM STDIN')), new QueryStream(text)) or built by sql-template-strings.
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
  // COPY … FROM STDIN / TO STDOUT streams and cursors over a statement.
  sqlWrappers: { 'pg-copy-streams': ['from', 'to'], 'pg-query-stream': ['default'], 'pg-cursor': ['default'] },
  // SQL`…` of sql-template-strings: a statement object (its interpolations bound values), grown by `.append()`.
  statementTags: { 'sql-template-strings': ['default', 'SQL'] },
};
