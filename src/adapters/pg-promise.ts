import type { DbAdapter } from './types.js';

// pg-promise: `const pgp = pgPromise(options); const db = pgp(cn)`; queries go through
// none/one/many/any/result/… with its own placeholders ($1, $1:csv, ${name}, $<name>);
// db.tx(async (t) => …) runs a transaction on one connection, db.task(async (t) => …) one
// connection without a transaction.

const RUNNERS = [
  'none',
  'one',
  'oneOrNone',
  'many',
  'manyOrNone',
  'any',
  'result',
  'query',
  'multi',
  'multiResult',
  'each',
  'map',
];

export const pgPromiseAdapter: DbAdapter = {
  api: 'pg-promise',
  modules: ['pg-promise'],
  exports: { '*': 'namespace', default: 'namespace' },
  factoryFactories: ['*', 'default'],
  factories: { $factory: 'pool' },
  executorTypes: { IDatabase: 'pool', ITask: 'client' },
  queryMethods: Object.fromEntries(RUNNERS.map((m) => [m, { sqlArg: 0 }])),
  placeholders: 'pg-promise',
  transactionMethods: { tx: {}, txIf: {} },
  connectionCallbacks: ['task', 'taskIf'],
  connectMethods: ['connect'],
};
