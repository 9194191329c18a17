import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { generateAmbientApp } from '../../bench/ambient.js';
import { Reach } from '../../src/analysis/ambient/reach.js';
import { auditSync } from '../../src/walker/audit.js';

// Reachability is one fact per function: four times the routes is about four times the
// work, not sixteen (a root-by-root walk of the shared helper chain would be quadratic).

function contextsComputed(routes: number): { computed: number; sites: number; evidence: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-ambient-scale-'));
  generateAmbientApp(dir, routes);
  const spy = vi.spyOn(Reach.prototype as unknown as { compute: () => unknown }, 'compute');
  try {
    const report = auditSync({ paths: [dir], types: false, schemaSource: 'static' });
    return { computed: spy.mock.calls.length, sites: report.writeSites.length, evidence: report.writeSites[0]!.evidence };
  } finally {
    spy.mockRestore();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('ambient reachability cost', () => {
  it('grows linearly with the number of routes sharing a helper chain', () => {
    const small = contextsComputed(100);
    const large = contextsComputed(400);
    console.log(`ambient contexts computed: ${small.computed} for 100 routes, ${large.computed} for 400`);
    expect(large.sites).toBe(small.sites);
    expect(small.computed).toBeGreaterThanOrEqual(100);
    expect(large.computed / small.computed).toBeLessThan(4.5);
    // Past the evidence cap, the count says so.
    expect(large.evidence).toMatch(/org-scope from at least 64 routes behind mw$/);
  }, 120_000);
});
