import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import ts from '../../src/ts.js';
import { FileSystemSourceHost } from '../../src/code/source-host.js';
import { ownCopy } from '../../src/eslint/project-index.js';
import { pooledParse } from '../../src/eslint/parse-pool.js';

// What a long-lived lint process keeps (issue 13, relint25): a module specifier is a slice of its file's text, and V8
// slices strings of 13 characters or more by reference, so a resolution cache keyed by the specifier held the whole
// text of every file the project index scanned for imports (17 MB on signacare's workspace, for the process's life).
// And the project index's session and the files decided alone parse the same modules: one tree for both.

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-retained-text-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function heapAfterCollection(): number {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
  return process.memoryUsage().heapUsed;
}

describe("the project index's scan for imports", () => {
  it('keeps no importing text alive through the specifiers it asks the resolution cache about', () => {
    fs.writeFileSync(path.join(dir, 'a-long-module-name.ts'), 'export const a = 1;\n');
    const from = path.join(dir, 'importer.ts');
    const host = new FileSystemSourceHost();
    const before = heapAfterCollection();
    const MB = 2 ** 20;
    (() => {
      // 40 MB of text whose one import's specifier is all the cache is asked about (as the index's scan asks).
      const text = `import { a } from './a-long-module-name';\n${'// padding of the importing file\n'.repeat((40 * MB) / 33)}`;
      const specifier = ts.preProcessFile(text, true, true).importedFiles[0]!.fileName;
      expect(specifier.length).toBeGreaterThanOrEqual(13);
      expect(host.resolveModule(from, ownCopy(specifier))).toBe(path.join(dir, 'a-long-module-name.ts'));
    })();
    const held = heapAfterCollection() - before;
    expect(held).toBeLessThan(10 * MB);
    // The cache still answers (the same specifier, from another string).
    expect(host.resolveModule(from, ['.', '/a-long-module-name'].join(''))).toBe(path.join(dir, 'a-long-module-name.ts'));
  });
});

describe('the lint process parse pool', () => {
  it('hands out the parse another holder has of the same text, and a new one for a new text', () => {
    const file = path.join(dir, 'pooled.ts');
    const first = pooledParse(file, 'export const x = 1;\n');
    expect(pooledParse(file, 'export const x = 1;\n')).toBe(first);
    const second = pooledParse(file, 'export const x = 2;\n');
    expect(second).not.toBe(first);
    expect(second.text).toBe('export const x = 2;\n');
    expect(pooledParse(file, 'export const x = 2;\n')).toBe(second);
  });
});
