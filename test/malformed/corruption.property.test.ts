import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { auditSync } from '../../src/walker/audit.js';
import type { AuditReport } from '../../src/report/audit-report.js';

// Corrupting an input at a random point must never make writes disappear silently: the
// corrupted run reports at least the clean run's write findings, or says it is incomplete.
// The corruptions open something that never closes (a quote, a comment, a dollar-quote, a
// bracket) or make the file binary: edits that hide code without a trace (a `//` before a
// line) are ordinary code changes, not corruption.

const APP = path.resolve(import.meta.dirname, '../../fixtures/example-app');
const OPENERS = ["'", '"', '`', '/*', '$$', '(', '{', '[', '\0', "E'"];

function copyApp(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-corrupt-'));
  fs.cpSync(APP, dir, { recursive: true, filter: (src) => !src.includes('node_modules') && !src.endsWith('expected-report.json') });
  return dir;
}

const writeFindings = (r: AuditReport): number => r.findings.filter((f) => f.ruleId === 'no-unscoped-write' || f.ruleId === 'no-unresolved-write').length;
const run = (dir: string): AuditReport => auditSync({ paths: [dir], types: false, schemaSource: 'static' });

describe('corrupted inputs', () => {
  it('property: a corrupted migration or source never hides a write without reporting the audit incomplete', () => {
    const dir = copyApp();
    const clean = run(dir);
    expect(clean.incomplete).toEqual([]);
    const baseline = writeFindings(clean);
    expect(baseline).toBeGreaterThan(10);
    const migrations = fs.readdirSync(path.join(dir, 'db/migrations')).map((f) => `db/migrations/${f}`);
    const files = [...migrations, ...new Set(clean.writeSites.map((s) => s.file))].sort();
    fc.assert(
      fc.property(fc.constantFrom(...files), fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(...OPENERS), (file, where, opener) => {
        const abs = path.join(dir, file);
        const original = fs.readFileSync(abs, 'utf8');
        const at = Math.floor(where * original.length);
        const text = original.slice(0, at) + opener + original.slice(at);
        // An opener that a later token closes (a `/*` ended by a doc comment's `*/`) can leave
        // a source that parses cleanly: that hides code the way a `//` does, an ordinary code
        // change, not corruption. Only sources the parser rejects are corrupted inputs here.
        fc.pre(!file.endsWith('.ts') || parsesWithErrors(abs, text));
        fs.writeFileSync(abs, text);
        try {
          const corrupted = run(dir);
          if (corrupted.incomplete.length === 0) expect(writeFindings(corrupted), `${opener} at ${file}:${at}`).toBeGreaterThanOrEqual(baseline);
        } finally {
          fs.writeFileSync(abs, original);
        }
      }),
      // Modest by default so the suite stays fast; RLS_GUARD_CORRUPT_RUNS=500 for a long hunt.
      { numRuns: Number(process.env.RLS_GUARD_CORRUPT_RUNS ?? 15) },
    );
  }, 180_000);
});

function parsesWithErrors(file: string, text: string): boolean {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  return ((sf as unknown as { parseDiagnostics?: unknown[] }).parseDiagnostics ?? []).length > 0;
}
