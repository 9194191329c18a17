import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import ts from '../../src/ts.js';
import { flatExports } from '../../src/code-cache.js';
import { bundleCli } from '../../scripts/bundle.js';
import { loadBundledCli } from '../../src/cli-bundle.js';

// TypeScript's CommonJS file exports every name through a getter; the CLI's bundle reads its functions and enums as
// plain properties instead (flatExports, src/code-cache.ts), the rest (what TypeScript may replace) through its own
// getters, as live as before.

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('TypeScript with its functions and enums as plain properties', () => {
  it('gives every export TypeScript gives, the same value', () => {
    const flat = flatExports(ts) as unknown as Record<string, unknown>;
    const real = ts as unknown as Record<string, unknown>;
    expect(Object.keys(flat)).toEqual(Object.keys(real));
    for (const key of Object.keys(real)) expect(flat[key], key).toBe(real[key]);
  });

  it('reads functions and enums once; a table of numbers and a replaceable object stay getters', () => {
    const flat = flatExports(ts);
    const own = (key: string): PropertyDescriptor => Object.getOwnPropertyDescriptor(flat, key)!;
    for (const key of ['SyntaxKind', 'NodeFlags', 'ScriptTarget', 'Extension', 'isIdentifier', 'forEachChild'])
      expect(own(key), key).toHaveProperty('value');
    // TypeScript's getters themselves, for contrast.
    expect(Object.getOwnPropertyDescriptor(ts, 'SyntaxKind')).toHaveProperty('get');
    // `setSys` and `setCustomPollingValues` replace these: read through, never copied.
    for (const key of ['sys', 'unchangedPollThresholds']) expect(own(key).get, key).toBeTypeOf('function');
  });

  it('follows an export replaced after it was flattened, unless it is a function or an enum', () => {
    let table: Record<string, number> = { 250: 32 };
    let kind: Record<string, number | string> = { A: 0, 0: 'A' };
    const real = {};
    Object.defineProperty(real, 'table', { get: () => table, enumerable: true });
    Object.defineProperty(real, 'Kind', { get: () => kind, enumerable: true });
    Object.defineProperty(real, 'version', { get: () => '1', enumerable: true });
    const flat = flatExports(real) as { table: unknown; Kind: unknown; version: string };
    table = { 250: 64 };
    kind = { A: 1, 1: 'A' };
    expect(flat.table).toBe(table);
    expect(flat.Kind).toEqual({ A: 0, 0: 'A' });
    expect(flat.version).toBe('1');
  });
});

describe('the CLI bundle', () => {
  it('reads TypeScript through flatExports: SyntaxKind is a plain property of its `ts`', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-flat-'));
    dirs.push(root);
    const dist = path.join(root, 'dist');
    const repoDist = path.resolve(import.meta.dirname, '..', '..', 'dist', 'src');
    fs.mkdirSync(path.join(dist, 'src'), { recursive: true });
    // src/ts.js is replaced by the bundle's stand-in, which imports code-cache.js beside it.
    fs.writeFileSync(path.join(dist, 'src', 'ts.js'), "import ts from 'typescript';\nexport default ts;\n");
    fs.copyFileSync(path.join(repoDist, 'code-cache.js'), path.join(dist, 'src', 'code-cache.js'));
    fs.writeFileSync(
      path.join(dist, 'src', 'cli.js'),
      "import ts from './ts.js';\nexport function main() {\n" +
        "  const d = Object.getOwnPropertyDescriptor(ts, 'SyntaxKind');\n" +
        "  const ident = ts.isIdentifier(ts.factory.createIdentifier('x'));\n" +
        "  return { plain: 'value' in d, block: ts.SyntaxKind.Block, ident };\n}\n",
    );
    // Beside the repository's node_modules, where the bundle finds TypeScript.
    const nm = path.join(root, 'node_modules');
    fs.symlinkSync(path.resolve(import.meta.dirname, '..', '..', 'node_modules'), nm);
    const out = path.join(dist, 'bundle', 'cli.cjs');
    await bundleCli(dist, path.join(dist, 'src', 'cli.js'), out, 'stamp-1');
    const cli = await loadBundledCli(out, [], 'stamp-1');
    expect((cli!.main as unknown as () => unknown)()).toEqual({ plain: true, block: ts.SyntaxKind.Block, ident: true });
  }, 60_000);
});
