import path from 'node:path';
import { expect, it } from 'vitest';
import { codeStamp } from '../../src/files/code-stamp.js';
import { replayCacheKey } from '../../src/schema/run-worker.js';

// The replay's cached catalog is read by later runs: a catalog one build of rls-guard read must not be reused by
// another, whose catalog reading may differ (the version alone stays the same in development: a stale catalog without
// trigger functions' arguments once dropped the tables a trigger writes from signacare's report on one machine only).
it('keys the replay cache by the code of rls-guard, not only its version and the migrations', () => {
  const files = [{ path: 'db/001.sql', text: 'CREATE TABLE t (id int);' }];
  const key = replayCacheKey(files);
  expect(replayCacheKey(files)).toBe(key);
  expect(replayCacheKey([{ ...files[0]!, text: 'CREATE TABLE u (id int);' }])).not.toBe(key);
  // Another build: the stamp codeStamp() keeps per source folder (code-stamp.ts), as a rebuilt tree would compute it.
  const stamps = (globalThis as Record<symbol, Map<string, string>>)[Symbol.for('rls-guard.code-stamps')]!;
  const src = path.resolve(import.meta.dirname, '../../src');
  const real = codeStamp();
  expect(stamps.get(src)).toBe(real);
  try {
    stamps.set(src, 'another build');
    expect(replayCacheKey(files)).not.toBe(key);
  } finally {
    stamps.set(src, real);
  }
});
