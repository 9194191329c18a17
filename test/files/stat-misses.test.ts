import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { isFile } from '../../src/files/walk.js';
import { isDir } from '../../src/resolve/workspaces.js';

// Module resolution probes many paths that do not exist (midday: 8,010 of 18,776 stats), and the ESLint plugin asks six
// config names in every linted folder. A miss is answered without an
// exception (a thrown ENOENT costs its error and stack, four times the stat itself).

describe('isFile and isDir', () => {
  it('answer a missing path without an exception, and still tell files from folders', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stat-misses-'));
    const file = path.join(dir, 'a.ts');
    fs.writeFileSync(file, 'export {};\n');
    const spy = vi.spyOn(fs, 'statSync');
    let results: string[];
    let answers: boolean[];
    try {
      const missing = path.join(dir, 'missing.ts');
      const under = path.join(file, 'x.ts'); // a file in the path: ENOTDIR, not ENOENT
      answers = [isFile(file), isDir(file), isFile(dir), isDir(dir), isFile(missing), isDir(missing), isFile(under), isDir(under)];
      results = spy.mock.results.map((r) => r.type);
    } finally {
      spy.mockRestore();
      fs.rmSync(dir, { recursive: true });
    }
    expect(answers).toEqual([true, false, false, true, false, false, false, false]);
    expect(results.slice(0, 6)).toEqual(Array(6).fill('return'));
  });
});
