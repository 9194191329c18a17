import { pgAdapter } from './pg.js';
import type { DbAdapter } from './types.js';

export type { DbAdapter, ExecutorKind, QueryMethod } from './types.js';

/** Every supported database library. Adding one is one module and one line here. */
export const adapters: readonly DbAdapter[] = [pgAdapter];

export function adapterForModule(specifier: string): DbAdapter | undefined {
  return adapters.find((a) => a.modules.includes(specifier));
}
