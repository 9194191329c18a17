import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { clusterBoots, clusterFile } from '../../src/schema/cluster-cache.js';
import { openEmbeddedPostgres, type ReplayResult, replayMigrations } from '../../src/schema/replay.js';

// The fresh PGlite cluster is dumped once per machine and later boots load it: the replay must
// read the same model from it as from initdb, and a damaged dump must fall back, never fail.

const APP = path.join(import.meta.dirname, '../../fixtures/example-app/db/migrations');
const FILES = fs
  .readdirSync(APP)
  .sort()
  .map((name) => ({ path: `db/migrations/${name}`, text: fs.readFileSync(path.join(APP, name), 'utf8') }));

const replay = async (): Promise<Omit<ReplayResult, 'durationMs'>> => {
  const { durationMs: _, ...rest } = await replayMigrations(FILES, await openEmbeddedPostgres());
  return rest;
};
const boots = (): typeof clusterBoots => ({ ...clusterBoots });
const since = (before: typeof clusterBoots): Record<string, number> =>
  Object.fromEntries(Object.entries(clusterBoots).map(([k, v]) => [k, v - before[k as keyof typeof clusterBoots]]));

describe('the cached fresh cluster', () => {
  let tmp: string;
  let file: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-cluster-'));
    vi.stubEnv('TMPDIR', tmp);
  });
  afterAll(() => {
    vi.unstubAllEnvs();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  let fromInitdb: Awaited<ReturnType<typeof replay>>;
  it('is dumped by the first boot (before any migration runs) and loaded by the next: the same model', async () => {
    const dir = path.join(tmp, `rls-guard-cache-${os.userInfo().uid}`);
    let before = boots();
    fromInitdb = await replay();
    expect(since(before)).toEqual({ initdb: 1, loaded: 0, dumped: 1, rejected: 0 });
    // One file, no temporary left, named by PGlite's version and the extensions.
    const [name, ...more] = fs.readdirSync(dir);
    expect(more).toEqual([]);
    file = path.join(dir, name!);
    expect(name).toMatch(/^pglite-cluster-[0-9a-f]{24}\.tar\.gz$/);
    expect(clusterFile(['a'])).not.toBe(clusterFile(['a', 'b']));
    expect(path.dirname(clusterFile(['a'])!)).toBe(dir);
    before = boots();
    const fromDump = await replay();
    expect(since(before)).toEqual({ initdb: 0, loaded: 1, dumped: 0, rejected: 0 });
    expect(fromDump).toEqual(fromInitdb);
    expect(Object.keys(fromDump.catalog.tables).length).toBeGreaterThan(3);
  }, 120_000);

  it('falls back to initdb on a truncated dump and replaces it', async () => {
    const whole = fs.readFileSync(file);
    fs.writeFileSync(file, whole.subarray(0, whole.length >> 1));
    const before = boots();
    expect(await replay()).toEqual(fromInitdb);
    expect(since(before)).toEqual({ initdb: 1, loaded: 0, dumped: 1, rejected: 1 });
    expect(zlib.gunzipSync(fs.readFileSync(file)).length).toBe(zlib.gunzipSync(whole).length);
  }, 120_000);

  it('falls back when PGlite cannot load the dump (a sound gzip of a damaged cluster) or it is not a tar', async () => {
    const tar = zlib.gunzipSync(fs.readFileSync(file));
    for (const bad of [tar.subarray(0, 3_000_000), Buffer.from('not a cluster')]) {
      fs.writeFileSync(file, zlib.gzipSync(bad));
      const before = boots();
      const db = await openEmbeddedPostgres();
      expect((await db.query<{ n: number }>('SELECT 1 AS n')).rows).toEqual([{ n: 1 }]);
      await db.close();
      expect(since(before)).toEqual({ initdb: 1, loaded: 0, dumped: 1, rejected: 1 });
    }
    expect(zlib.gunzipSync(fs.readFileSync(file)).length).toBe(tar.length);
  }, 180_000);

  it('lets two boots run at once with no dump: both work, one dump is left, the next boot loads it', async () => {
    fs.rmSync(file);
    const before = boots();
    const [a, b] = await Promise.all([replay(), replay()]);
    expect(a).toEqual(fromInitdb);
    expect(b).toEqual(fromInitdb);
    expect(since(before)).toMatchObject({ initdb: 2, loaded: 0, rejected: 0 });
    expect(fs.readdirSync(path.dirname(file))).toEqual([path.basename(file)]);
    const next = boots();
    expect(await replay()).toEqual(fromInitdb);
    expect(since(next)).toEqual({ initdb: 0, loaded: 1, dumped: 0, rejected: 0 });
  }, 180_000);

  it('boots with the replay\'s memory settings, from initdb and from the dump (docs/schema.md)', async () => {
    fs.rmSync(path.join(tmp, `rls-guard-cache-${os.userInfo().uid}`), { recursive: true, force: true });
    for (const boot of [{ initdb: 1, loaded: 0 }, { initdb: 0, loaded: 1 }]) {
      const before = boots();
      const db = await openEmbeddedPostgres();
      const shown: Record<string, string> = {};
      for (const name of ['shared_buffers', 'full_page_writes', 'wal_level', 'maintenance_work_mem', 'wal_segment_size'])
        shown[name] = (await db.query<Record<string, string>>(`SHOW ${name}`)).rows[0]![name]!;
      // PGlite's own start parameters are kept: single-user, fsync off.
      shown.fsync = (await db.query<{ fsync: string }>('SHOW fsync')).rows[0]!.fsync;
      await db.close();
      expect(since(before)).toMatchObject(boot);
      expect(shown).toEqual({
        shared_buffers: '16MB',
        full_page_writes: 'off',
        wal_level: 'minimal',
        maintenance_work_mem: '8MB',
        wal_segment_size: '1MB',
        fsync: 'off',
      });
    }
  }, 120_000);
});
