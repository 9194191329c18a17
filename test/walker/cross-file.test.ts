import { describe, expect, it } from 'vitest';
import { auditProject, codeFindings, verdicts } from '../support/project.js';

const pool = `import pg from 'pg';\nexport const pool = new pg.Pool();\n`;

describe('the walker follows connections and SQL across files', () => {
  it('covers a helper write when every caller, in any file, passes a scoped executor', () => {
    const report = auditProject({
      'src/db.ts': pool,
      'src/repo.ts': `import type { PoolClient } from 'pg';
export async function record(client: PoolClient, orgId: string) {
  await client.query('INSERT INTO audit_logs (org_id, action) VALUES ($1, $2)', [orgId, 'x']);
}
`,
      'src/a.ts': `import { pool } from './db';
import { record } from './repo';
import { withOrgScope } from './scope';
export const a = (ctx: unknown, orgId: string) => withOrgScope(ctx, pool, orgId, (tx) => record(tx, orgId));
`,
      'src/b.ts': `import { pool } from './db.js';
import { record } from './repo.js';
import { withRequestOrgScope } from './scope.js';
export const b = (req: { orgId: string }) => withRequestOrgScope(req, pool, async (client) => { await record(client, req.orgId); });
`,
    });
    expect(verdicts(report)).toEqual(['src/repo.ts:3 org-scope via withOrgScope, withRequestOrgScope']);
    expect(codeFindings(report)).toEqual([]);
  });

  it('flags the helper write, naming the uncovered call path, when one caller passes the pool', () => {
    const report = auditProject({
      'src/db.ts': pool,
      'src/repo.ts': `export async function record(client, orgId) {
  await client.query('INSERT INTO audit_logs (org_id, action) VALUES ($1, $2)', [orgId, 'x']);
}
`,
      'src/a.ts': `import { pool } from './db';
import { record } from './repo';
import { withOrgScope } from './scope';
export const a = (ctx, orgId) => withOrgScope(ctx, pool, orgId, (tx) => record(tx, orgId));
`,
      'src/jobs/nightly.ts': `import { pool } from '../db';
import * as repo from '../repo';
export async function nightly(orgId) {
  await repo.record(pool, orgId);
}
`,
    });
    expect(verdicts(report)).toEqual(['src/repo.ts:2 unscoped']);
    expect(codeFindings(report)).toHaveLength(1);
    expect(codeFindings(report)[0]!.message).toContain('src/jobs/nightly.ts:4');
    expect(report.writeSites[0]!.callPath[0]).toMatch(/^src\/jobs\/nightly\.ts:4 repo\.record\(pool, orgId\)/);
  });

  it('resolves SQL held in constants exported through re-exports and namespaces', () => {
    const report = auditProject({
      'src/db.ts': pool,
      'src/sql/audit.ts': `export const INSERT_AUDIT = 'INSERT INTO audit_logs (org_id, action) ' + "VALUES ($1, $2)";\nexport const Q = { purge: \`DELETE FROM projects WHERE org_id = $1\` } as const;\n`,
      'src/sql/index.ts': `export * from './audit';\nexport { INSERT_AUDIT as AUDIT } from './audit';\n`,
      'src/run.ts': `import { pool } from './db';
import { AUDIT, Q } from './sql';
import * as sql from './sql/index';
export async function run(orgId: string) {
  await pool.query(AUDIT, [orgId, 'x']);
  await pool.query(Q.purge, [orgId]);
  await pool.query(sql.INSERT_AUDIT, [orgId, 'y']);
}
`,
    });
    expect(report.writeSites.map((s) => `${s.line} ${s.operation} ${s.tables.join()} ${s.coverage}`)).toEqual([
      '5 insert public.audit_logs unscoped',
      '6 delete public.projects unscoped',
      '7 insert public.audit_logs unscoped',
    ]);
  });

  it('reports a helper nobody calls as unresolved rather than passing it', () => {
    const report = auditProject({
      'src/repo.ts': `import type { PoolClient } from 'pg';
export async function orphan(client: PoolClient) {
  await client.query('DELETE FROM projects');
}
`,
    });
    expect(verdicts(report)).toEqual(['src/repo.ts:3 unresolved']);
    expect(codeFindings(report)[0]!.ruleId).toBe('no-unresolved-write');
    expect(codeFindings(report)[0]!.severity).toBe('warning');
    const strict = auditProject({ 'src/repo.ts': `import type { PoolClient } from 'pg';\nexport async function orphan(client: PoolClient) {\n  await client.query('DELETE FROM projects');\n}\n` }, { strict: true });
    expect(codeFindings(strict)[0]!.severity).toBe('error');
  });

  it('treats a helper passed as a scope helper callback by name as called with the scoped executor', () => {
    const report = auditProject({
      'src/db.ts': pool,
      'src/run.ts': `import { pool } from './db';
import { withOrgScope } from './scope';
async function purge(tx) {
  await tx.query('DELETE FROM audit_logs');
}
export const run = (ctx, orgId) => withOrgScope(ctx, pool, orgId, purge);
`,
    });
    expect(verdicts(report)).toEqual(['src/run.ts:4 org-scope via withOrgScope']);
  });
});
