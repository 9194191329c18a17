import { createRequire } from 'node:module';

// Packages a run may not need, loaded at their first use instead of at start-up. A warm audit
// or lint answers deployment files, packs and the config from the cache: it needs neither the
// YAML or Dockerfile parser nor ajv, whose loading (and Node's scan of each CommonJS file for
// its exports, when imported from ESM) was a tenth of a warm run's process time. A synchronous
// `require`, because the callers are synchronous (ESLint rules among them).

const require = createRequire(import.meta.url);

/** A getter for `id`'s exports, loading the package at the first call. */
export function lazyRequire<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(id) as T);
}
