import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { isFile } from '../../src/files/walk.js';

// isFile is asked for six config names in every folder the ESLint plugin lints (lint-analysis.ts configFor), and the
// answer is nearly always "no such file": that answer must not cost an exception (an Error with its stack per name).

describe('isFile', () => {
  it('answers a missing path without an exception, and a folder or a file as before', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-isfile-'));
    onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
    fs.writeFileSync(path.join(dir, 'a.json'), '{}');
    const stat = vi.spyOn(fs, 'statSync');
    onTestFinished(() => stat.mockRestore());
    expect(isFile(path.join(dir, 'missing.json'))).toBe(false);
    expect(isFile(path.join(dir, 'missing', 'deeper.json'))).toBe(false);
    expect(isFile(dir)).toBe(false);
    expect(isFile(path.join(dir, 'a.json'))).toBe(true);
    expect(stat.mock.results.map((r) => r.type)).toEqual(['return', 'return', 'return', 'return']);
  });
});
