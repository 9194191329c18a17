import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadWithCodeCache } from '../../src/code-cache.js';

// TypeScript is compiled from V8's code cache (src/code-cache.ts). V8 accepts a code cache
// for any source of the same length: the cache must be keyed so that an edited file is never
// run from the code of its former text.

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function module(text: string): { file: string; cacheDir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-code-cache-'));
  dirs.push(dir);
  const file = path.join(dir, 'lib.js');
  fs.writeFileSync(file, text);
  return { file, cacheDir: path.join(dir, '.cache') };
}

const source = (n: number): string =>
  `exports.n = ${n};\nexports.twice = function twice(x) { return x * 2; };\nexports.path = require('node:path').sep;\n`;

describe('loading a CommonJS file through a V8 code cache', () => {
  it('compiles it once, then runs it from the cache, exports and require as a plain require gives them', () => {
    const { file, cacheDir } = module(source(1));
    const first = loadWithCodeCache(file, cacheDir, false);
    expect(first.status).toBe('compiled');
    expect(first.exports).toEqual({ n: 1, twice: expect.any(Function), path: path.sep });
    expect((first.exports as { twice: (x: number) => number }).twice(21)).toBe(42);
    expect(first.flush()).toBe(true);
    expect(fs.existsSync(first.cacheFile!)).toBe(true);
    const second = loadWithCodeCache(file, cacheDir, false);
    expect(second.status).toBe('cached');
    expect((second.exports as { n: number }).n).toBe(1);
    // Nothing to write: it came from the cache.
    expect(second.flush()).toBe(false);
  });

  it('an edit of the same length is compiled from its new text, never run from the old code', () => {
    const { file, cacheDir } = module(source(1));
    loadWithCodeCache(file, cacheDir, false).flush();
    fs.writeFileSync(file, source(2));
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(file, later, later);
    const edited = loadWithCodeCache(file, cacheDir, false);
    expect(edited.status).toBe('compiled');
    expect((edited.exports as { n: number }).n).toBe(2);
    // The stale cache is replaced, not kept beside the new one.
    edited.flush();
    expect(fs.readdirSync(cacheDir)).toHaveLength(1);
  });

  it('a cache folder that cannot be written only costs the compile', () => {
    const { file } = module(source(3));
    const blocked = path.join(path.dirname(file), 'not-a-folder');
    fs.writeFileSync(blocked, '');
    const load = loadWithCodeCache(file, blocked, false);
    expect((load.exports as { n: number }).n).toBe(3);
    expect(load.flush()).toBe(false);
  });
});
