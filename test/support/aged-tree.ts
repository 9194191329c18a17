import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import type { CacheReport } from '../../src/cache/audit-cache.js';
import { auditSync } from '../../src/walker/audit.js';

// Trees for the cache's tests, dated in the past as after a checkout: the stat pre-checks
// decide only for files and folders not modified in the last seconds (a racy one is always
// read again), so a test that wants them to decide ages its tree first.

/** A temporary-folder maker whose folders are removed after the calling test file. */
export function temporaryFolders(): (prefix: string) => string {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });
  return (prefix) => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
}

/** Every file and folder of the tree dated `seconds` ago (a folder's time is its entries'). */
export function age(dir: string, seconds = 3600): void {
  const when = new Date(Date.now() - seconds * 1000);
  for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    if (e.isFile() || e.isDirectory()) fs.utimesSync(path.join(e.parentPath, e.name), when, when);
  fs.utimesSync(dir, when, when);
}

/** A static-schema audit of `dir`, with the cache at `cache` when given, and what the cache reported. */
export function auditWithCache(
  dir: string,
  cache?: string,
): { report: ReturnType<typeof auditSync>; stats: CacheReport | undefined } {
  let stats: CacheReport | undefined;
  const report = auditSync({
    paths: [dir],
    types: false,
    schemaSource: 'static',
    ...(cache ? { cache: { enabled: true, location: cache }, onCache: (s: CacheReport) => (stats = s) } : {}),
  });
  return { report, stats };
}
