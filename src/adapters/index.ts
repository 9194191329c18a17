import { drizzleAdapter } from './drizzle.js';
import { knexAdapter } from './knex.js';
import { kyselyAdapter } from './kysely.js';
import { pgAdapter } from './pg.js';
import { pgPromiseAdapter } from './pg-promise.js';
import { postgresAdapter } from './postgres.js';
import { prismaAdapter } from './prisma.js';
import { neonAdapter, vercelPostgresAdapter } from './serverless.js';
import { slonikAdapter } from './slonik.js';
import { typeormAdapter } from './typeorm.js';
import type { DbAdapter } from './types.js';

export type { BuilderContext, BuilderWrite, DbAdapter, ExecutorKind, ExportKind } from './types.js';

/** Every supported database library. Adding one is one module and one line here. */
export const adapters: readonly DbAdapter[] = [
  pgAdapter,
  postgresAdapter,
  knexAdapter,
  kyselyAdapter,
  drizzleAdapter,
  prismaAdapter,
  typeormAdapter,
  slonikAdapter,
  neonAdapter,
  vercelPostgresAdapter,
  pgPromiseAdapter,
];

// Every table is read by a name taken from the code (`queryMethods[method]`, `transactionMethods[name]`): made
// prototype-less once here, so that `pool.toString()` or `db.constructor` finds none of Object's own members.
const NAMED_TABLES = [
  'exports',
  'instances',
  'factories',
  'executorTypes',
  'queryMethods',
  'transactionMethods',
  'transactionControl',
  'sqlWrappers',
] as const;
for (const a of adapters) {
  for (const t of NAMED_TABLES) {
    const table = a[t];
    if (table && Object.getPrototypeOf(table) !== null) Object.setPrototypeOf(table, null);
  }
}

export function adapterForModule(specifier: string): DbAdapter | undefined {
  return adapters.find((a) => a.modules.includes(specifier) || a.modulePrefixes?.some((p) => specifier.startsWith(p)));
}
