import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { CacheReport } from '../../src/cache/audit-cache.js';
import { cachePlace } from '../../src/cache/location.js';
import { auditSync } from '../../src/walker/audit.js';
import { untimed } from '../support/fixture-apps.js';
import { type AppState, initialState, writeApp } from './small-app.js';

// The cache must never change a verdict: audit with the cache, edit the app, audit again
// with the cache, and compare with an audit of the edited app that has no cache. The edits
// are the ones whose effect crosses files: a caller that now passes the pool (the helper's
// file is unchanged, its verdict is not), a helper's body, a new caller, a deleted caller, a
// migration. Each warm audit must also have reused something, or the test proves nothing.

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function tempApp(state: AppState): { dir: string; cache: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-cache-app-'));
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-cache-dir-'));
  dirs.push(dir, cache);
  writeApp(dir, state);
  return { dir, cache };
}

function audit(dir: string, cache?: string): { report: ReturnType<typeof auditSync>; stats: CacheReport | undefined } {
  let stats: CacheReport | undefined;
  const report = auditSync({ paths: [dir], types: false, schemaSource: 'static', ...(cache ? { cache: { enabled: true, location: cache }, onCache: (s: CacheReport) => (stats = s) } : {}) });
  return { report, stats };
}

/** Warm (cached) and cold audits of the app as it is now agree; returns the warm one's cache use. */
function expectSameAsCold(dir: string, cache: string): CacheReport {
  const warm = audit(dir, cache);
  const cold = audit(dir);
  expect(untimed(warm.report)).toBe(untimed(cold.report));
  return warm.stats!;
}

const verdictOf = (report: ReturnType<typeof auditSync>, file: string): string | undefined => report.writeSites.find((s) => s.file === file)?.coverage;

describe('the audit cache never changes a verdict', () => {
  const edits: [string, (s: AppState) => void, (before: ReturnType<typeof auditSync>, after: ReturnType<typeof auditSync>) => void][] = [
    ['a caller now passes the pool (the helper file is unchanged)', (s) => (s.routes[0]!.on = 'pool'), (b, a) => {
      expect(verdictOf(b, 'src/helpers/save0.ts')).toBe('org-scope');
      expect(verdictOf(a, 'src/helpers/save0.ts')).toBe('unscoped');
    }],
    ["a helper's body writes another table", (s) => (s.helpers[1]!.table = 'notes'), (b, a) => {
      expect(verdictOf(b, 'src/helpers/save1.ts')).toBe('org-scope');
      expect(verdictOf(a, 'src/helpers/save1.ts')).toBe('not-gated');
    }],
    ['a new file calls a helper on the pool, through the barrel', (s) => s.routes.push({ helper: 1, on: 'pool', viaBarrel: true }), (b, a) => {
      expect(verdictOf(b, 'src/helpers/save1.ts')).toBe('org-scope');
      expect(verdictOf(a, 'src/helpers/save1.ts')).toBe('unscoped');
    }],
    ["a helper's only caller is deleted", (s) => s.routes.splice(1, 1), (b, a) => {
      expect(verdictOf(b, 'src/helpers/save1.ts')).toBe('org-scope');
      expect(verdictOf(a, 'src/helpers/save1.ts')).toBe('unresolved');
    }],
    ['an imported SQL constant now writes another table (the importing file is unchanged)', (s) => (s.auditTable = 'notes'), (b, a) => {
      expect(verdictOf(b, 'src/routes/direct.ts')).toBe('unscoped');
      expect(verdictOf(a, 'src/routes/direct.ts')).toBe('not-gated');
    }],
    ['a migration enables RLS on a table', (s) => (s.notesGated = true), (b, a) => {
      expect(verdictOf(b, 'src/helpers/save2.ts')).toBe('not-gated');
      expect(verdictOf(a, 'src/helpers/save2.ts')).toBe('unscoped');
    }],
  ];

  it.each(edits)('%s', (_name, edit, verdicts) => {
    const state = initialState();
    const { dir, cache } = tempApp(state);
    const before = audit(dir, cache);
    expect(before.stats?.reused).toBe(0);
    edit(state);
    writeApp(dir, state);
    const stats = expectSameAsCold(dir, cache);
    verdicts(before.report, audit(dir).report);
    // The model did not change except for the migration edit: other files came from the cache.
    if (!state.notesGated) expect(stats.reused).toBeGreaterThan(0);
  });

  it('reuses every file when nothing changed, and only re-analyses what an edit reaches', () => {
    const state = initialState();
    const { dir, cache } = tempApp(state);
    const cold = audit(dir, cache).stats!;
    expect(cold).toMatchObject({ reused: 0, location: cache });
    const files = cold.analysed;
    expect(audit(dir, cache).stats).toMatchObject({ reused: files, analysed: 0 });
    // Progress totals count the cached files' writes too, and say how many came from the cache.
    const done: unknown[] = [];
    auditSync({ paths: [dir], types: false, schemaSource: 'static', cache: { enabled: true, location: cache }, onProgress: (e) => e.phase === 'done' && done.push(e) });
    expect(done).toEqual([expect.objectContaining({ files, cached: files, writeSites: audit(dir).report.summary.writeSites })]);
    // A route nobody imports, decided on its own: only it is analysed again (with what it imports).
    fs.appendFileSync(path.join(dir, 'src/routes/route3.ts'), '// edited\n');
    const stats = expectSameAsCold(dir, cache);
    expect(stats.reused).toBeGreaterThan(0);
    expect(stats.reused + stats.analysed).toBe(files);
  });

  it('holds over random sequences of edits', () => {
    const edit = fc.oneof(
      fc.record({ kind: fc.constant('on' as const), i: fc.nat(9) }),
      fc.record({ kind: fc.constant('table' as const), i: fc.nat(9), table: fc.constantFrom('items' as const, 'notes' as const, 'logs' as const) }),
      fc.record({ kind: fc.constant('add' as const), helper: fc.nat(2), pool: fc.boolean(), barrel: fc.boolean() }),
      fc.record({ kind: fc.constant('delete' as const), i: fc.nat(9) }),
      fc.record({ kind: fc.constant('barrel' as const), i: fc.nat(9) }),
      fc.record({ kind: fc.constant('migration' as const) }),
      fc.record({ kind: fc.constant('sql' as const) }),
    );
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 3 }), (steps) => {
        const state = initialState();
        const { dir, cache } = tempApp(state);
        audit(dir, cache);
        for (const step of steps) {
          const route = state.routes.length ? state.routes[('i' in step ? step.i : 0) % state.routes.length] : undefined;
          if (step.kind === 'on' && route) route.on = route.on === 'tx' ? 'pool' : 'tx';
          if (step.kind === 'barrel' && route) route.viaBarrel = !route.viaBarrel;
          if (step.kind === 'table') state.helpers[step.i % state.helpers.length]!.table = step.table;
          if (step.kind === 'add') state.routes.push({ helper: step.helper, on: step.pool ? 'pool' : 'tx', viaBarrel: step.barrel });
          if (step.kind === 'delete' && route) state.routes.splice(state.routes.indexOf(route), 1);
          if (step.kind === 'migration') state.notesGated = !state.notesGated;
          if (step.kind === 'sql') state.auditTable = state.auditTable === 'logs' ? 'notes' : 'logs';
          writeApp(dir, state);
          expectSameAsCold(dir, cache);
        }
      }),
      { numRuns: 6, seed: 15 },
    );
  });
});

describe('a damaged cache', () => {
  it.each([
    ['not JSON', () => '{"format": 1, '],
    ['entries of the wrong shape', (text: string) => text.replace(/"sites":\[/g, '"sites":7,"x":[')],
    ['dependency groups of the wrong shape', (text: string) => text.replace(/"groups":\[/, '"groups":[{"a":1},')],
    ['import edges of the wrong shape', (text: string) => text.replace(/"to":\[/g, '"to":{"a":[')],
  ])('is ignored when it is %s, never a crash or a different report', (_name, damage) => {
    const { dir, cache } = tempApp(initialState());
    audit(dir, cache);
    for (const name of fs.readdirSync(cache)) fs.writeFileSync(path.join(cache, name), damage(fs.readFileSync(path.join(cache, name), 'utf8')));
    expectSameAsCold(dir, cache);
  });
});

describe('the cache under --untrusted', () => {
  it('is not read from inside the audited tree (its author could have written it)', () => {
    const state = initialState();
    state.routes[0]!.on = 'pool';
    const { dir } = tempApp(state);
    const inside = path.join(dir, '.rls-guard', 'cache');
    const honest = audit(dir).report;
    expect(verdictOf(honest, 'src/helpers/save0.ts')).toBe('unscoped');
    audit(dir, inside);
    // Forge the cache: every unscoped write passes.
    for (const name of fs.readdirSync(inside)) {
      const file = path.join(inside, name);
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replaceAll('"coverage":"unscoped"', '"coverage":"org-scope"'));
    }
    // Trusted, the forged cache is read (this is what --untrusted guards against)…
    expect(verdictOf(audit(dir, inside).report, 'src/helpers/save0.ts')).toBe('org-scope');
    // …untrusted, it is not.
    let stats: CacheReport | undefined;
    const untrusted = auditSync({ paths: [dir], types: false, schemaSource: 'static', untrusted: true, cache: { enabled: true, location: inside }, onCache: (s) => (stats = s) });
    expect(stats).toMatchObject({ location: null, reused: 0 });
    expect(stats?.why).toContain('--untrusted');
    expect(untimed(untrusted)).toBe(untimed(auditSync({ paths: [dir], types: false, schemaSource: 'static', untrusted: true })));
  });

  it('is used from outside the tree, and defaults to node_modules/.cache or .rls-guard/cache', () => {
    const { dir, cache } = tempApp(initialState());
    expect(cachePlace(dir, { enabled: true, untrusted: true, location: cache })).toEqual({ dir: cache });
    expect(cachePlace(dir, { enabled: true })).toEqual({ dir: path.join(dir, '.rls-guard', 'cache') });
    expect(cachePlace(dir, { enabled: false })).toMatchObject({ dir: null });
    fs.mkdirSync(path.join(dir, 'node_modules'));
    expect(cachePlace(dir, { enabled: true })).toEqual({ dir: path.join(dir, 'node_modules', '.cache', 'rls-guard') });
    expect(cachePlace(dir, { enabled: true, untrusted: true })).toMatchObject({ dir: null });
  });
});
