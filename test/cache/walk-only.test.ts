import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { auditSync, type AuditOptions } from '../../src/walker/audit.js';
import { auditRun } from '../support/audit-run.js';
import { fixtureApps, untimed } from '../support/fixture-apps.js';
import { initialState, writeApp } from './small-app.js';

// A re-audit walks the flow of the changed files only when none of them has a write waiting on callers: the files
// they import are parsed and read as imports, not walked (src/cache/incremental.ts). That must never change a verdict.
// On every fixture app, each source file in turn gets a comment appended, and the warm report (the file re-analysed,
// its imports not walked when it allows) must be the cold one's; then the file is put back.

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const temp = (prefix: string): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};

const run = auditRun;

const SOURCE = /\.(?:[cm]?[jt]sx?)$/;

function sources(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => SOURCE.test(f) && !f.split(path.sep).includes('node_modules') && !/\.d\.[cm]?ts$/.test(f))
    .filter((f) => !/rls-guard\.config\./.test(path.basename(f)))
    .sort();
}

describe('walking only the changed files never changes a verdict', () => {
  let walkedAlone = 0;
  let walkedAll = 0;
  afterAll(() => {
    // Both kinds of run happened, or the test proves nothing.
    expect(walkedAlone).toBeGreaterThan(5);
    expect(walkedAll).toBeGreaterThan(5);
  });

  it.each(fixtureApps())('$name: each file edited in turn', ({ name, options }) => {
    // A copy: the edits must not touch the fixture, and the copy's files keep their dates.
    const root = path.resolve(import.meta.dirname, '../../fixtures', name);
    const copy = path.join(temp('rls-guard-walk-only-'), 'app');
    fs.cpSync(root, copy, { recursive: true, preserveTimestamps: true });
    const mapped: AuditOptions & { paths: string[] } = {
      ...options,
      paths: options.paths.map((p) => path.join(copy, path.relative(root, p))),
      ...(options.configFile ? { configFile: path.join(copy, path.relative(root, options.configFile)) } : {}),
    };
    const cache = temp('rls-guard-walk-only-cache-');
    const cold = run(mapped).report;
    expect(run(mapped, cache).report).toBe(cold);
    for (const rel of sources(mapped.paths[0]!)) {
      const file = path.join(mapped.paths[0]!, rel);
      const text = fs.readFileSync(file, 'utf8');
      fs.writeFileSync(file, `${text}\n// edited\n`);
      const warm = run(mapped, cache);
      expect(warm.report, rel).toBe(cold);
      const stats = warm.stats!;
      if (stats.context > 0 && stats.walked === stats.analysed) walkedAlone++;
      if (stats.context > 0 && stats.walked === stats.analysed + stats.context) walkedAll++;
      fs.writeFileSync(file, text);
    }
  });
});

describe("a context file's change reaches the file that imports it", () => {
  it('a route decided on its own is walked alone; then the SQL constant it imports changes, and its verdict follows', () => {
    const state = initialState();
    const dir = temp('rls-guard-walk-only-app-');
    const cache = temp('rls-guard-walk-only-cache-');
    writeApp(dir, state);
    const options: AuditOptions = { paths: [dir], types: false, schemaSource: 'static' };
    run(options, cache);
    // The route is edited: it alone is walked, what it imports is read.
    fs.appendFileSync(path.join(dir, 'src/routes/direct.ts'), '// edited\n');
    const edited = run(options, cache);
    expect(edited.stats).toMatchObject({ analysed: 1, walked: 1 });
    expect(edited.stats!.context).toBeGreaterThan(0);
    expect(edited.report).toBe(run(options).report);
    expect(JSON.parse(edited.report).writeSites.find((s: { file: string }) => s.file === 'src/routes/direct.ts')?.coverage).toBe('unscoped');
    // Then the file it imports changes (the route does not): the route is analysed again, with the new constant.
    state.auditTable = 'notes';
    writeApp(dir, state);
    const after = run(options, cache);
    expect(after.report).toBe(run(options).report);
    expect(JSON.parse(after.report).writeSites.find((s: { file: string }) => s.file === 'src/routes/direct.ts')?.coverage).toBe('not-gated');
  });
});
