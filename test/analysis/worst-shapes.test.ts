import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ShapeSizes, worstShapes, writeCorpus } from '../../bench/worst-shapes.js';
import type { CoreResult } from '../../src/analysis/index.js';
import { auditSync } from '../../src/walker/audit.js';
import type { AuditReport } from '../../src/report/audit-report.js';

// The shapes that made the analysis exponential (chains of functions returning calls of
// others), cyclic (mutual recursion), crash (nesting deeper than a recursive walk) or
// quadratic (one helper called from everywhere), at two sizes. Work is counted, not timed:
// facts computed, function bodies interpreted and steps must grow in proportion to the size,
// and every planted write must still be a site of the report.

const SIZES: ShapeSizes = { chainFiles: 4, chainLength: 16, recursivePairs: 6, concatTerms: 3_000, blockDepth: 1_000, unparsableDepth: 5_000, helperCalls: 400 };

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function run(scale: number): { report: AuditReport; work: CoreResult['work']; planted: { file: string; line: number }[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-worst-'));
  dirs.push(dir);
  const corpus = worstShapes(scale, SIZES);
  writeCorpus(dir, corpus);
  let work: CoreResult['work'] | undefined;
  const report = auditSync({ paths: [dir], types: false, schemaSource: 'static', onProgress: (e) => {
    if (e.phase === 'done') work = e.work;
  } });
  return { report, work: work!, planted: corpus.planted };
}

describe('worst shapes', () => {
  const one = run(1);
  const two = run(2);

  it('lists every planted write as a site, at both sizes', () => {
    for (const { report, planted } of [one, two]) {
      const sites = new Set(report.writeSites.map((s) => `${s.file}:${s.line}`));
      expect(planted.filter((p) => !sites.has(`${p.file}:${p.line}`))).toEqual([]);
      expect(planted.length).toBeGreaterThan(10);
    }
  });

  it('grows its work linearly: twice the code, at most 2.2 times the facts, bodies and steps', () => {
    expect(two.work.facts).toBeLessThanOrEqual(2.2 * one.work.facts);
    expect(two.work.bodies).toBeLessThanOrEqual(2.2 * one.work.bodies);
    expect(two.work.steps).toBeLessThanOrEqual(2.2 * one.work.steps);
    // And it is real work, not a short cut: every function body is interpreted.
    expect(one.work.bodies).toBeGreaterThan(SIZES.chainFiles * SIZES.chainLength);
    // Linear, not merely capped: none of these shapes needs the work budget.
    for (const { report } of [one, two]) expect(report.writeSites.filter((s) => /budget exceeded/.test(s.evidence)).map((s) => `${s.file}:${s.line}`)).toEqual([]);
  });

  it('judges the helper called from everywhere once, across all its callers', () => {
    const helper = two.report.writeSites.find((s) => s.file === 'src/audit/record.ts')!;
    expect(helper.coverage).toBe('org-scope');
    expect(helper.evidence).toContain(`its ${2 * SIZES.helperCalls} calls all pass a connection in org context`);
  });

  it('fails closed where nesting defeats the walk: an unresolved site or a diagnostic, never a crash', () => {
    const { report } = one;
    expect(report.diagnostics.find((d) => d.file === 'src/deep/unparsable.ts')?.message).toMatch(/nests deeper than the TypeScript parser/);
    const deepWrite = report.writeSites.find((s) => s.file === 'src/deep/concat.ts' && s.line === 4)!;
    expect(deepWrite.coverage).toBe('unresolved');
    const nested = report.writeSites.find((s) => s.file === 'src/deep/blocks.ts' && s.line === 4)!;
    expect(nested.coverage).toBe('unscoped');
  });
});
