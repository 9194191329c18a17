import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BUDGET } from '../../src/analysis/budget.js';
import { auditSync } from '../../src/walker/audit.js';

// The work budget: code that would take more work than its size warrants ends as
// unresolved sites naming the function (or the file), never as a hang, and the writes found
// before the budget ran out stay in the report.

const saved = { ...BUDGET };
afterEach(() => Object.assign(BUDGET, saved));

function project(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-budget-'));
  const all: Record<string, string> = {
    'package.json': '{"name":"budget","private":true}',
    'db/migrations/001.sql': `CREATE TABLE audit_logs (id bigserial PRIMARY KEY, org_id uuid NOT NULL, action text);
ALTER TABLE audit_logs ENABLE ROW LEVEL SECURITY;
CREATE POLICY a ON audit_logs USING (org_id = current_setting('app.current_org_id', true)::uuid);`,
    'src/db.ts': `import { Pool } from 'pg';\nexport const pool = new Pool();\n`,
    ...files,
  };
  for (const [f, text] of Object.entries(all)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), text);
  }
  return dir;
}

const JOBS = `import { pool } from './db';
export async function first(orgId: string) {
  await pool.query('INSERT INTO audit_logs (org_id, action) VALUES ($1, $2)', [orgId, 'a']);
}
export async function second(orgId: string) {
  await pool.query('INSERT INTO audit_logs (org_id, action) VALUES ($1, $2)', [orgId, 'b']);
}
`;

describe('work budget', () => {
  it('with room to spare, the writes are judged as usual', () => {
    const report = auditSync({ paths: [project({ 'src/jobs.ts': JOBS })], types: false, schemaSource: 'static' });
    expect(report.writeSites.map((s) => [s.line, s.coverage])).toEqual([[3, 'unscoped'], [6, 'unscoped']]);
  });

  it('a function that runs out becomes an unresolved site naming it, with the reason', () => {
    Object.assign(BUDGET, { functionStepsFloor: 0, functionStepsPerChar: 0 });
    const report = auditSync({ paths: [project({ 'src/jobs.ts': JOBS })], types: false, schemaSource: 'static' });
    const jobs = report.writeSites.filter((s) => s.file === 'src/jobs.ts');
    expect(jobs.map((s) => [s.line, s.coverage])).toEqual([[1, 'unresolved'], [2, 'unresolved'], [5, 'unresolved']]);
    expect(jobs[1]!.evidence).toMatch(/^analysis budget exceeded in function first: its writes cannot all be found or judged/);
    expect(report.findings.filter((f) => f.ruleId === 'no-unresolved-write' && f.file === 'src/jobs.ts')).toHaveLength(3);
  });

  it('a file that runs out stops once, at the function where it did, and says the rest is not analysed', () => {
    // No steps at all for the file: it stops at its top level, and nothing after is interpreted.
    Object.assign(BUDGET, { fileStepsFloor: 0, fileStepsPerChar: 0 });
    const report = auditSync({ paths: [project({ 'src/jobs.ts': JOBS })], types: false, schemaSource: 'static' });
    const jobs = report.writeSites.filter((s) => s.file === 'src/jobs.ts');
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.coverage).toBe('unresolved');
    expect(jobs[0]!.evidence).toMatch(/^analysis budget exceeded in file jobs\.ts at the module top level; the rest of the file is not analysed/);
  });
});
