import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HEAP_GROWING_PERCENT, heapGrowingFlag } from '../../src/heap-growing.js';

// The CLI's process sets V8's heap growing factor at its start (docs/performance.md, "mem25"): unless the user chose
// one on node's command line or in NODE_OPTIONS, or RLS_GUARD_HEAP_GROWING asks for another (0: V8's own).

describe("the CLI's heap growing factor", () => {
  it('is 20 % unless chosen otherwise', () => {
    expect(HEAP_GROWING_PERCENT).toBe(20);
    expect(heapGrowingFlag({}, [])).toBe('--heap-growing-percent=20');
    expect(heapGrowingFlag({ RLS_GUARD_HEAP_GROWING: '35' }, [])).toBe('--heap-growing-percent=35');
    expect(heapGrowingFlag({ RLS_GUARD_HEAP_GROWING: 'x' }, [])).toBe('--heap-growing-percent=20');
    expect(heapGrowingFlag({ RLS_GUARD_HEAP_GROWING: '0' }, [])).toBeUndefined();
    expect(heapGrowingFlag({}, ['--heap-growing-percent=50'])).toBeUndefined();
    expect(heapGrowingFlag({}, ['--heap_growing_percent=50'])).toBeUndefined();
    expect(heapGrowingFlag({ NODE_OPTIONS: '--max-old-space-size=4000 --heap-growing-percent=5' }, [])).toBeUndefined();
    expect(heapGrowingFlag({}, ['--max-old-space-size=6000'])).toBe('--heap-growing-percent=20');
  });

  it('is set by the command line entry for its own process, before the CLI runs', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-heap-'));
    const hook = path.join(dir, 'hook.mjs');
    // Records what the process sets, in the order it happens.
    fs.writeFileSync(
      hook,
      "import v8 from 'node:v8';\n" +
        'const set = v8.setFlagsFromString;\n' +
        "v8.setFlagsFromString = (f) => { process.stderr.write('flag ' + f + '\\n'); set(f); };\n",
    );
    const bin = path.resolve(import.meta.dirname, '../../src/bin.ts');
    const run = (env: Record<string, string>) =>
      spawnSync(process.execPath, ['--import', 'tsx', '--import', hook, bin, '--version'], {
        encoding: 'utf8',
        env: { ...process.env, ...env },
      });
    const r = run({});
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('flag --heap-growing-percent=20\n');
    expect(run({ RLS_GUARD_HEAP_GROWING: '0' }).stderr).not.toContain('flag --heap-growing');
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);
});
