import { describe, expect, it } from 'vitest';
import { auditSync } from '../../src/walker/audit.js';
import { mergeReports } from '../../src/walker/merge.js';
import { shardOf } from '../../src/walker/scope.js';
import { fixtureApps, untimed } from '../support/fixture-apps.js';

// `audit --shard i/n` then `merge` must give the report of the unsharded audit, on every
// fixture app, for several n: each shard analyses its files plus what their verdicts need,
// and keeps only what its files own.

const apps = fixtureApps();

describe.each(apps)('sharding $name', ({ options }) => {
  it('merges shards (n = 1, 2, 3, 5) into the unsharded report', () => {
    const whole = auditSync(options);
    expect(whole.writeSites.length + whole.findings.length + whole.incomplete.length).toBeGreaterThan(0);
    for (const count of [1, 2, 3, 5]) {
      const shards = Array.from({ length: count }, (_, i) => auditSync({ ...options, shard: { index: i + 1, count } }));
      // Each shard reports only its own files' sites.
      shards.forEach((s, i) => {
        for (const site of s.writeSites) expect(shardOf(site.file, count)).toBe(i + 1);
        expect(s.partial?.shard).toEqual({ index: i + 1, count });
      });
      expect(shards.reduce((n, s) => n + s.summary.files, 0)).toBe(whole.summary.files);
      // Through JSON, as the CLI writes and reads them; in any order.
      const merged = mergeReports(shards.reverse().map((s, i) => ({ file: `shard-${i}.json`, report: JSON.parse(JSON.stringify(s)) })));
      expect(untimed(merged), `n = ${count}`).toBe(untimed(whole));
    }
  });
});

describe('shardOf', () => {
  it('is stable and balanced', () => {
    const files = Array.from({ length: 4000 }, (_, i) => `src/services/s${i % 40}/service${i}.ts`);
    expect(files.map((f) => shardOf(f, 8))).toEqual(files.map((f) => shardOf(f, 8)));
    const sizes = Array.from({ length: 8 }, (_, i) => files.filter((f) => shardOf(f, 8) === i + 1).length);
    for (const n of sizes) expect(Math.abs(n - 500)).toBeLessThan(100);
    expect(shardOf('src/a.ts', 1)).toBe(1);
  });
});
