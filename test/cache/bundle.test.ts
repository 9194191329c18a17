import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleCli } from '../../scripts/bundle.js';
import { codeStamp } from '../../src/files/code-stamp.js';
import { BUNDLE_HEADER, bundleMatches, distContentStamp, loadBundledCli } from '../../src/cli-bundle.js';

// The CLI runs from one bundled CommonJS file (scripts/bundle.ts, src/cli-bundle.ts). A
// bundle must behave as the modules it was built from: module-relative paths are those of
// the modules in dist/ (packs, workers and the code stamp are found from them), and a bundle
// built from other code than dist/ now holds is never run.

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-bundle-'));
  dirs.push(dir);
  return dir;
}

/** A small dist/ as tsc writes it: an entry with a `#!` line, and a module asking where it is. */
function fakeDist(root: string, extra = ''): string {
  const dist = path.join(root, 'dist');
  fs.mkdirSync(path.join(dist, 'src', 'deep'), { recursive: true });
  fs.writeFileSync(
    path.join(dist, 'src', 'cli.js'),
    "#!/usr/bin/env node\nimport { where } from './deep/place.js';\nexport function main() { return where(); }\n",
  );
  fs.writeFileSync(
    path.join(dist, 'src', 'deep', 'place.js'),
    'export function where() {\n' +
      '  return { dir: import.meta.dirname, file: import.meta.filename, url: import.meta.url, strict: this === undefined };\n' +
      `}\n${extra}`,
  );
  return dist;
}

describe('the CLI bundle', () => {
  it('keeps each module\'s import.meta paths those of its file in dist/, wherever the package is moved', async () => {
    const root = tempDir();
    const dist = fakeDist(root);
    const out = path.join(dist, 'bundle', 'cli.cjs');
    await bundleCli(dist, path.join(dist, 'src', 'cli.js'), out, 'stamp-1');
    expect(fs.readFileSync(out, 'utf8').startsWith(`${BUNDLE_HEADER}stamp-1 ${distContentStamp(dist)}\n`)).toBe(true);
    // Moved after its build, as a package installed elsewhere is.
    const moved = path.join(tempDir(), 'pkg');
    fs.renameSync(root, moved);
    const file = path.join(moved, 'dist', 'bundle', 'cli.cjs');
    const cli = await loadBundledCli(file, ['--version'], 'stamp-1');
    expect(cli).toBeDefined();
    const place = path.join(moved, 'dist', 'src', 'deep', 'place.js');
    expect((cli!.main as unknown as () => unknown)()).toEqual({
      dir: path.dirname(place),
      file: place,
      url: pathToFileURL(place).href,
      strict: true, // the banner must not void the bundle's "use strict"
    });
  });

  it('is not run when built from other code than dist/ holds, when absent, or when RLS_GUARD_BUNDLE=0', async () => {
    const dist = fakeDist(tempDir());
    const out = path.join(dist, 'bundle', 'cli.cjs');
    await bundleCli(dist, path.join(dist, 'src', 'cli.js'), out, 'stamp-1');
    const content = (): string => distContentStamp(dist);
    expect(bundleMatches(out, 'stamp-1', content)).toBe(true);
    expect(bundleMatches(path.join(dist, 'bundle', 'absent.cjs'), 'stamp-1', content)).toBe(false);
    // Another code stamp (the files' dates changed, as npm's install dates them) with the same contents: still the code.
    expect(bundleMatches(out, 'stamp-2', content)).toBe(true);
    // A module rebuilt with other content (a plain tsc after an edit): not run, whatever the stamp.
    fs.appendFileSync(path.join(dist, 'src', 'deep', 'place.js'), '// edited\n');
    expect(bundleMatches(out, 'stamp-2', content)).toBe(false);
    expect(bundleMatches(out, 'stamp-', content)).toBe(false);
    expect(await loadBundledCli(out, [], 'stamp-2')).toBeUndefined();
    process.env['RLS_GUARD_BUNDLE'] = '0';
    try {
      expect(await loadBundledCli(out, [], 'stamp-1')).toBeUndefined();
    } finally {
      delete process.env['RLS_GUARD_BUNDLE'];
    }
  });

  it('refuses to build when a module uses an import.meta it cannot place', async () => {
    const dist = fakeDist(tempDir(), 'export const other = import.meta.resolve;\n');
    const out = path.join(dist, 'bundle', 'cli.cjs');
    await expect(bundleCli(dist, path.join(dist, 'src', 'cli.js'), out, 's')).rejects.toThrow(/import\.meta left/);
    expect(fs.existsSync(out)).toBe(false);
  });

  // The real bundle, when `npm run build` wrote it (npm ci does): the same report as the modules give.
  const repo = path.resolve(import.meta.dirname, '..', '..');
  const bin = path.join(repo, 'dist', 'src', 'bin.js');
  const built = path.join(repo, 'dist', 'bundle', 'cli.cjs');
  const stampModule = path.join(repo, 'dist', 'src', 'files', 'code-stamp.js');
  it.runIf(fs.existsSync(built) && fs.existsSync(stampModule))(
    'gives the report the unbundled CLI gives, on the example app',
    async () => {
      const { codeStamp: distStamp } = (await import(pathToFileURL(stampModule).href)) as { codeStamp: () => string };
      // Else this run would compare the modules with themselves.
      expect(bundleMatches(built, distStamp(), () => 'not-read')).toBe(true);
      const run = (env: Record<string, string>): { status: number | null; report: unknown } => {
        const dir = tempDir();
        const r = spawnSync(
          process.execPath,
          [bin, 'audit', path.join(repo, 'fixtures', 'example-app'), '-q', '-f', `json=${dir}/r.json`,
            '--cache-location', dir],
          { encoding: 'utf8', env: { ...process.env, ...env } },
        );
        expect(r.stderr).toBe('');
        const report = JSON.parse(fs.readFileSync(`${dir}/r.json`, 'utf8')) as { summary: { durationMs?: number } };
        delete report.summary.durationMs;
        return { status: r.status, report };
      };
      expect(run({})).toEqual(run({ RLS_GUARD_BUNDLE: '0' }));
    },
    60_000,
  );

  it('is checked against the stamp of the code it runs (the source tree here)', () => {
    expect(codeStamp()).toMatch(/^[0-9a-f]{32}$/);
  });
});
