import type { CacheReport } from '../../src/cache/audit-cache.js';
import { auditSync, type AuditOptions } from '../../src/walker/audit.js';
import { untimed } from './fixture-apps.js';

/** One audit, with the cache at `cache` when given: the report without its timing, and what the cache reused. */
export function auditRun(options: AuditOptions, cache?: string): { report: string; stats: CacheReport | undefined } {
  let stats: CacheReport | undefined;
  const report = auditSync({
    ...options,
    ...(cache ? { cache: { enabled: true, location: cache }, onCache: (s: CacheReport) => (stats = s) } : {}),
  });
  return { report: untimed(report), stats };
}
