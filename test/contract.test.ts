import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { json } from '../src/formatters/json.js';
import { auditSync } from '../src/walker/audit.js';
import { reportSchemaErrors, VENDORED_SCHEMA } from './support/report-schema.js';
import { SCHEMA, writeProject } from './support/project.js';

// The JSON report is a public contract kept in ../shared/contracts. The package carries its
// own copy (docs/audit-report.schema.json, and docs/report.md, which documents the contract
// plus the fields rls-guard adds), so these checks run in any checkout; where the shared
// folder exists, the copy must still be the contract.

const shared = path.resolve(import.meta.dirname, '../../shared/contracts');
const docs = path.resolve(import.meta.dirname, '../docs');

/** The rule ids a contract document's tables list (`no-…` in backquotes at a row's start). */
function ruleIds(markdown: string): string[] {
  const ids = [...markdown.matchAll(/^\|[^|\n]*\|/gm)].flatMap((row) => [...row[0].matchAll(/`(no-[a-z-]+)`/g)].map((m) => m[1]!));
  return [...new Set(ids)].sort();
}

describe.runIf(fs.existsSync(shared))('the vendored contract, where ../shared/contracts exists', () => {
  it('has the same report schema', () => {
    const contract = JSON.parse(fs.readFileSync(path.join(shared, 'audit-report.schema.json'), 'utf8'));
    expect(JSON.parse(fs.readFileSync(VENDORED_SCHEMA, 'utf8'))).toEqual(contract);
  });

  it('documents every rule id of the contract in docs/report.md', () => {
    const contract = ruleIds(fs.readFileSync(path.join(shared, 'audit-report.md'), 'utf8'));
    expect(contract.length).toBeGreaterThan(5);
    const vendored = ruleIds(fs.readFileSync(path.join(docs, 'report.md'), 'utf8'));
    expect(contract.filter((id) => !vendored.includes(id))).toEqual([]);
  });
});

describe('reports against the vendored schema', () => {
  const root = writeProject({
    'db/migrations/001.sql': SCHEMA,
    'src/app.ts': `import { Pool } from 'pg';
const pool = new Pool();
export async function log(orgId: string) {
  await pool.query('INSERT INTO audit_logs (org_id, action) VALUES ($1, $2)', [orgId, 'x']);
}
`,
  });
  const written = JSON.parse(json(auditSync({ paths: [root], types: false }), { color: false, readSource: () => undefined, cwd: root }));

  it('accepts what the json format writes, findings and write sites included', () => {
    expect(written.writeSites.length).toBeGreaterThan(0);
    expect(written.findings.map((f: { ruleId: string }) => f.ruleId)).toContain('no-unscoped-write');
    expect(reportSchemaErrors(written)).toEqual([]);
  });

  it('rejects a report that breaks the contract (the check can fail)', () => {
    const { summary: _summary, ...noSummary } = written;
    expect(reportSchemaErrors(noSummary).length).toBeGreaterThan(0);
    const badSeverity = { ...written, findings: written.findings.map((f: object) => ({ ...f, severity: 'fatal' })) };
    expect(reportSchemaErrors(badSeverity).length).toBeGreaterThan(0);
  });
});
