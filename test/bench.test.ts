import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { baseLabel, benchArgs } from '../bench/args.js';
import { appendEslintDirRow, appendEslintRow, type EslintBench, type EslintDirBench } from '../bench/eslint.js';
import {
  chooseSample,
  distribution,
  insideFirstFunction,
  percentile,
  type SampleCandidate,
  seeded,
} from '../bench/sample.js';

// The bench's command line (bench/args.ts) and the files `--relint-sample` re-lints (bench/sample.ts): a measurement
// on a real repository means something only when the same command re-lints the same files, and the options say what
// they are told.

describe('bench arguments', () => {
  it('reads --relint-sample N with --dir, the seed 1 unless told', () => {
    expect(benchArgs(['--dir', 'x', '--relint-sample', '12']).relintSample).toEqual({ n: 12, seed: 1 });
    expect(benchArgs(['--dir', 'x', '--relint-sample', '5', '--seed', '42']).relintSample).toEqual({ n: 5, seed: 42 });
    expect(benchArgs(['--dir', 'x']).relintSample).toBeUndefined();
  });

  it('refuses a sample it cannot take', () => {
    expect(() => benchArgs(['--relint-sample', '12'])).toThrow(/needs --dir/);
    expect(() => benchArgs(['--dir', 'x', '--relint-sample', '0'])).toThrow(/positive whole number/);
    expect(() => benchArgs(['--dir', 'x', '--relint-sample', 'many'])).toThrow(/positive whole number/);
    expect(() => benchArgs(['--dir', 'x', '--relint-sample', '--seed', '3'])).toThrow(/needs a value/);
    expect(() => benchArgs(['--dir', 'x', '--relint-sample', '3', '--seed', '1.5'])).toThrow(/whole number/);
    expect(() => benchArgs(['--dir', 'x', '--seed', '3'])).toThrow(/goes with --relint-sample/);
    expect(() => benchArgs(['--dir', 'x', '--relint', 'a.ts', '--relint-sample', '3'])).toThrow(/one or the other/);
  });

  it('takes one baseline for every ESLint row: recommended unless --warm-base parser', () => {
    expect(benchArgs([]).base).toBe('typescript-eslint');
    expect(benchArgs(['--dir', 'x', '--warm-overhead', '4']).base).toBe('typescript-eslint');
    expect(benchArgs(['--dir', 'x', '--warm-base', 'parser']).base).toBe('parser');
    expect(benchArgs(['--warm-base', 'parser']).base).toBe('parser');
    expect(() => benchArgs(['--warm-base', 'eslint'])).toThrow(/parser or typescript-eslint/);
    expect(baseLabel('parser')).toBe('the parser, no rule');
    expect(baseLabel('typescript-eslint')).toBe("typescript-eslint's recommended (no types)");
  });

  it('says in an appended row which baseline its ESLint-alone figure is', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-bench-rows-'));
    const docs = path.join(dir, 'performance.md');
    fs.writeFileSync(docs, '<!-- eslint bench rows -->\n<!-- eslint dir bench rows -->\n');
    const figures = {
      auditMs: 10,
      eslintBaselineMs: 20,
      eslintColdMs: 30,
      coldVsAudit: 3,
      pluginColdVsAudit: 1,
      eslintWarmIndexMs: 21,
      overheadWarmPct: 5,
      relintChangedFileMs: 7,
      indexKb: 1,
    };
    const synthetic: EslintBench = {
      ...figures,
      eslintBase: baseLabel('typescript-eslint'),
      crossFileJobs: 2,
      relintCrossFileMs: 3,
      pluginAlone: { eslintParserMs: 12, coldMs: 25, coldVsAudit: 2.5, pluginColdVsAudit: 1.3 },
    };
    const real: EslintDirBench = {
      ...figures,
      eslintBase: baseLabel('parser'),
      files: 4,
      relintFile: 'a.ts',
      firstEditMs: 8,
      lintsToDecide: 1,
      idleMs: [0, 0],
    };
    appendEslintRow(docs, '2026-12-03', 4, 1, synthetic);
    appendEslintDirRow(docs, '2026-12-03', 'repo', 1, real);
    const text = fs.readFileSync(docs, 'utf8');
    fs.rmSync(dir, { recursive: true, force: true });
    expect(text).toContain('| 10 | 20 (recommended) | 30 |');
    expect(text).toContain('| repo | 4 | 1 | 10 | 20 (parser) | 30 |');
    // The cold lint with rls-guard's recommended alone (the parser, no other rule), and none when that is the row.
    expect(text).toContain('| 3 | 1 | 12 / 25: 2.5× (plugin 1.3×) |');
    expect(text).toContain('(a.ts) | 1 | — |');
  });

  it('reads the other options as before', () => {
    const a = benchArgs(['--dir', 'x', '--warm-overhead', '4', '--no-shapes', '--write']);
    expect(a).toMatchObject({ dir: 'x', warmOverhead: 4, write: true, files: 1000, sizes: [1, 2, 4], timeoutMs: 600_000 });
    expect(a.flags.has('--no-shapes')).toBe(true);
    expect(() => benchArgs(['--dir', 'x', '--warm-overhead'])).toThrow(/needs a value/);
    expect(benchArgs(['--files', '50', '--sizes', '1,8']).files).toBe(50);
    expect(() => benchArgs(['--warm-overhead', '3'])).toThrow(/needs --dir/);
    expect(() => benchArgs(['--relint', 'a.ts'])).toThrow(/needs --dir/);
  });
});

/** 60 files decided alone and 20 cross-file ones, of sizes spread from 10 to about 2,400 lines. */
function candidates(): SampleCandidate[] {
  return Array.from({ length: 80 }, (_, i) => ({
    file: `src/f${String(i).padStart(2, '0')}.ts`,
    lines: 10 + ((i * 37) % 80) * 30,
    crossFile: i % 4 === 0,
  }));
}

describe('the re-lint sample', () => {
  it('chooses the same files for the same seed, whatever order the candidates come in', () => {
    const all = candidates();
    const a = chooseSample(all, 12, 7);
    expect(chooseSample([...all].reverse(), 12, 7)).toEqual(a);
    expect(chooseSample(all, 12, 7)).toEqual(a);
    expect(new Set(a.map((c) => c.file)).size).toBe(12);
    // Another seed, other files (in the same size runs).
    expect(chooseSample(all, 12, 8).map((c) => c.file)).not.toEqual(a.map((c) => c.file));
  });

  it('pins the choice of seed 1 (a change to the generator or the runs changes what was measured)', () => {
    expect(chooseSample(candidates(), 6, 1).map((c) => `${c.file}:${c.lines}:${c.crossFile ? 'x' : '-'}`)).toEqual([
      'src/f76.ts:370:x',
      'src/f72.ts:730:x',
      'src/f18.ts:790:-',
      'src/f49.ts:1600:-',
      'src/f73.ts:1840:-',
      'src/f32.ts:1930:x',
    ]);
  });

  it('takes at least half cross-file files, spread over their sizes', () => {
    const all = candidates();
    const chosen = chooseSample(all, 10, 3);
    const cross = chosen.filter((c) => c.crossFile);
    expect(cross.length).toBe(5);
    // One from each fifth of the cross-file files by size: from the smallest fifth to the largest.
    const sizes = all.filter((c) => c.crossFile).map((c) => c.lines).sort((x, y) => x - y);
    expect(cross[0]!.lines).toBeLessThanOrEqual(sizes[3]!);
    expect(cross.at(-1)!.lines).toBeGreaterThanOrEqual(sizes[16]!);
    const alone = chosen.filter((c) => !c.crossFile).map((c) => c.lines);
    expect(Math.max(...alone) - Math.min(...alone)).toBeGreaterThan(1500);
    // Sorted by size.
    expect(chosen.map((c) => c.lines)).toEqual([...chosen.map((c) => c.lines)].sort((x, y) => x - y));
  });

  it('fills from the other group when one runs short, and takes every file when asked for more', () => {
    const all = candidates();
    expect(chooseSample(all, 50, 1).filter((c) => c.crossFile).length).toBe(20);
    expect(chooseSample(all, 50, 1).length).toBe(50);
    const fewAlone = all.filter((c) => c.crossFile).concat(all.filter((c) => !c.crossFile).slice(0, 2));
    expect(chooseSample(fewAlone, 10, 1).filter((c) => c.crossFile).length).toBe(8);
    expect(chooseSample(all, 200, 1).length).toBe(80);
    expect(chooseSample([], 5, 1)).toEqual([]);
  });

  it('sums up edits as p50, p90, max and the share under the target', () => {
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
    expect(distribution([100, 200, 299, 300, 900], 300)).toEqual({ n: 5, p50: 299, p90: 900, max: 900, under: 0.6 });
    expect(distribution([], 300)).toEqual({ n: 0, p50: 0, p90: 0, max: 0, under: 0 });
    const r = seeded(1);
    const s = seeded(1);
    expect([r(), r(), r()]).toEqual([s(), s(), s()]);
  });
});

describe('the edit inside a function', () => {
  const parses = (text: string): boolean =>
    (ts.createSourceFile('x.ts', text, ts.ScriptTarget.Latest) as unknown as { parseDiagnostics: unknown[] })
      .parseDiagnostics.length === 0;

  it('goes into the first function body, not into a return type written with braces', () => {
    const text = [
      'type Row = { id: string };',
      'export async function load(id: string): Promise<{',
      '  row: Row;',
      '}> {',
      '  return { row: { id } };',
      '}',
      '',
    ].join('\n');
    const edited = insideFirstFunction(text, 'x.ts');
    expect(parses(edited)).toBe(true);
    expect(edited.split('\n')[4]).toBe('  const editedHere = 1;');
  });

  it('skips a body written on one line, and falls back to a line at the top without any body', () => {
    const text = 'const f = () => { return 1; };\nexport function g() {\n  return 2;\n}\n';
    expect(insideFirstFunction(text, 'x.ts')).toBe(
      'const f = () => { return 1; };\nexport function g() {\n  const editedHere = 1;\n  return 2;\n}\n',
    );
    expect(insideFirstFunction('export const a = 1;\n', 'x.ts')).toBe('// edited\nexport const a = 1;\n');
  });
});
