import { describe, expect, it } from 'vitest';
import { auditProject, codeFindings, verdicts } from '../support/project.js';

// The walker renders each problem the core names with its own words (rules/no-unscoped-write.ts,
// rules/no-unresolved-write.ts): what went wrong and the fix for that problem, after the core's
// evidence. RuleTester cases assert the message ids; these assert the evidence and text the
// CLI prints, and that naming the problem leaves the verdict as it was.

const POOL = `import { Pool } from 'pg';\nexport const pool = new Pool();\n`;

describe('outerPoolInScope', () => {
  const report = auditProject({
    'src/db.ts': POOL,
    'src/app.ts': `import { pool } from './db';
import { withOrgScope } from './tenancy';
export const run = (ctx, orgId) =>
  withOrgScope(ctx, pool, orgId, async (tx) => {
    await tx.query('INSERT INTO projects (id, org_id) VALUES ($1, $2)', ['p', orgId]);
    await pool.query('INSERT INTO audit_logs (org_id, action) VALUES ($1, $2)', [orgId, 'x']);
  });
export const many = (orgIds) =>
  orgIds.map((orgId) => pool.query('INSERT INTO audit_logs (org_id, action) VALUES ($1, $2)', [orgId, 'y']));
`,
  });
  const [inScope, outside] = codeFindings(report);

  it('stays unscoped: only the problem it names changes', () => {
    expect(verdicts(report)).toEqual(['src/app.ts:5 org-scope via withOrgScope', 'src/app.ts:6 unscoped', 'src/app.ts:9 unscoped']);
  });

  it('names the helper, where it runs the callback, and the executor to use instead', () => {
    expect(inScope!.line).toBe(6);
    expect(inScope!.message).toContain('inside the callback withOrgScope runs at src/app.ts:4, whose `tx` is the connection');
    expect(inScope!.message).toContain("Fix: run it on the callback's own executor");
    expect(inScope!.message).not.toContain('A context set by another pool query');
  });

  it('a pool write in a callback that is not a scope helper’s keeps the pool’s words', () => {
    expect(outside!.line).toBe(9);
    expect(outside!.message).toContain('A context set by another pool query would be on another connection');
    expect(outside!.message).not.toContain('inside the callback');
  });
});

describe('unresolved problems', () => {
  const report = auditProject({
    'src/db.ts': POOL,
    'src/app.ts': `import { pool } from './db';
import { build } from './sql';
export const a = (fields) => pool.query(build(fields));
export const b = (orgId) => pool.query('INSERT INTO audit_logs (org_id VALUES ($1)', [orgId]);
export const c = (orgId) => globalThis.db.query('INSERT INTO audit_logs (org_id) VALUES ($1)', [orgId]);
`,
  });
  const byLine = new Map(codeFindings(report).map((f) => [f.line, f.message]));

  it('each unresolved write says which piece is missing, after the evidence', () => {
    expect(verdicts(report)).toEqual(['src/app.ts:3 unresolved', 'src/app.ts:4 unresolved', 'src/app.ts:5 unresolved']);
    expect(byLine.get(3)).toMatch(/cannot be verified: .*build\(fields\).*\. rls-guard fails closed: its SQL is built at run time/);
    expect(byLine.get(4)).toMatch(/the SQL does not parse: .*\. rls-guard fails closed: its SQL does not parse as PostgreSQL/);
    expect(byLine.get(5)).toContain('the connection that runs this write cannot be traced: cannot read `db` statically.');
    expect(byLine.get(5)).toContain('rls-guard fails closed: the connection that runs it cannot be traced to a pool');
  });
});

describe('outerPoolInTransaction', () => {
  const report = auditProject({
    'src/app.ts': `import postgres from 'postgres';
const sql = postgres();
export const run = (orgId) =>
  sql.begin(async (tx) => {
    await tx\`SELECT set_config('app.current_org_id', \${orgId}, true)\`;
    await sql\`INSERT INTO audit_logs (org_id, action) VALUES (\${orgId}, 'x')\`;
  });
`,
  });
  const [finding] = codeFindings(report);

  it('names the transaction, where its callback runs, and the handle to use', () => {
    expect(verdicts(report)).toEqual(['src/app.ts:6 unscoped']);
    expect(finding!.message).toContain('inside the callback of sql.begin() at src/app.ts:4, whose `tx` is the connection');
    expect(finding!.message).toContain("Fix: run it on the callback's own handle");
  });
});
