import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { phase, phaseReport } from '../../src/files/phase-timer.js';
import { auditSync } from '../../src/walker/audit.js';

// RLS_GUARD_PHASES=1: the audit prints its CPU per phase to stderr (docs/performance.md measures with it); without the
// variable it prints nothing.

const ROOT = path.resolve(import.meta.dirname, '../../fixtures/example-app');

/** The audit's phases, in their order (and the two a replay that is not cached adds after the model's: BESIDE). */
const PHASES = [
  'config',
  'listing and reading sources',
  'RLS model',
  'parse',
  'index (foreign members)',
  'flows',
  'linking (member and contract calls)',
  'settlement (call graph, entry points, verdicts)',
  'findings per file',
  'site checks, suppressions, source packs',
  'after the analysis: schema findings, code migrations, deployment files, report',
];
const BESIDE = ['parse, while the schema worker runs', 'RLS model, after the schema worker'];

afterEach(() => {
  delete process.env['RLS_GUARD_PHASES'];
  vi.restoreAllMocks();
});

function stderrOf(run: () => void): string {
  let out = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  run();
  vi.restoreAllMocks();
  return out;
}

describe('the phase timer', () => {
  it('prints nothing unless RLS_GUARD_PHASES=1', () => {
    expect(stderrOf(() => auditSync({ paths: [ROOT], types: false }))).toBe('');
    const written: string[] = [];
    phase('a');
    phaseReport((t) => written.push(t));
    expect(written).toEqual([]);
  });

  it("times the audit's phases in their order, and the total", () => {
    process.env['RLS_GUARD_PHASES'] = '1';
    const out = stderrOf(() => auditSync({ paths: [ROOT], types: false }));
    const names = out
      .split('\n')
      .slice(1)
      .filter(Boolean)
      .map((line) => /^\s*\d+\.\d\d s {2}(.*)$/.exec(line)?.[1]);
    expect(out.split('\n')[0]).toBe('rls-guard phases (CPU, user + system)');
    expect(names.filter((n) => !BESIDE.includes(n!))).toEqual([...PHASES, 'total']);
  });

  it('with RLS_GUARD_PHASES=mem, adds per phase the collections and the heap at its end', () => {
    process.env['RLS_GUARD_PHASES'] = 'mem';
    const out = stderrOf(() => auditSync({ paths: [ROOT], types: false }));
    const lines = out.split('\n');
    const at = lines.indexOf('rls-guard phases (memory and collector)');
    const timed = lines.slice(1, at).filter((l) => /^\s*\d+\.\d\d s {2}/.test(l));
    expect(at).toBeGreaterThan(PHASES.length + 1);
    const rows = lines.slice(at + 2).filter((l) => /^\s*\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+ {2}/.test(l));
    expect(timed).toHaveLength(rows.length + 1);
    const names = rows.map((l) => l.trim().split(/\s+/).slice(8).join(' '));
    expect(names.filter((n) => !BESIDE.includes(n))).toEqual(PHASES);
    // The heap used at each phase's end, in MB: a real figure, not zero.
    for (const row of rows) expect(Number(row.trim().split(/\s+/)[4])).toBeGreaterThan(0);
    expect(lines.some((l) => /^peak rss \d+ MB$/.test(l))).toBe(true);
  });
});
