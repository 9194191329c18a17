import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditSync } from '../../src/walker/audit.js';
import type { AuditReport } from '../../src/report/audit-report.js';
import { openEmbeddedPostgres, replayMigrations } from '../../src/schema/replay.js';
import { readMigrations } from '../../src/schema/load.js';
import { loadConfig } from '../../src/config/load.js';
import { shellSqlTexts } from '../../src/schema/shell-sql.js';
import { ORG } from '../support/oracle.js';

// fixtures/precision/deploy-roles: the roles its shell init script makes, made in Postgres from the SQL that script
// hands psql (read as rls-guard reads it), and each write run as the role its DSN variable logs in as, with nothing
// set. A write is admin-pool exactly where that role changes rows the policies would hide; where the deployment
// files disagree on the role, the two candidates do differ in Postgres, which is why neither is taken.

const ROOT = path.resolve(import.meta.dirname, '../../fixtures/precision/deploy-roles');

type Db = Omit<Awaited<ReturnType<typeof openEmbeddedPostgres>>, 'query'> & {
  query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[]; affectedRows?: number }>;
};

describe('roles an init script makes, in Postgres', () => {
  let db: Db;
  let report: AuditReport;
  beforeAll(async () => {
    report = auditSync({ paths: [ROOT], types: false, schemaSource: 'static' });
    db = (await openEmbeddedPostgres()) as Db;
    const replay = await replayMigrations(readMigrations(ROOT, loadConfig({ start: ROOT }).config).files, db);
    expect(replay.failures).toEqual([]);
    for (const { sql } of shellSqlTexts(fs.readFileSync(path.join(ROOT, 'db/init/01-roles.sh'), 'utf8')))
      await db.exec(sql);
    await db.exec('GRANT ALL ON ALL TABLES IN SCHEMA public TO PUBLIC');
  }, 120_000);
  afterAll(async () => {
    await db?.close();
  });

  /** Rows the site's statement changes when run as `role` with no org context set. */
  async function changedAs(file: string, line: number, role: string): Promise<number> {
    const site = report.writeSites.find((s) => s.file === file && s.line === line)!;
    await db.exec('BEGIN');
    const id = (await db.query<{ id: number }>('INSERT INTO projects (org_id) VALUES ($1) RETURNING id', [ORG]))
      .rows[0]!.id;
    await db.exec(`SET LOCAL ROLE "${role}"`);
    const params = [id, 'renamed'].slice(0, (site.sql[0]!.match(/\$\d/g) ?? []).length);
    let changed = 0;
    try {
      changed = (await db.query(site.sql[0]!, params)).affectedRows ?? 0;
    } finally {
      await db.exec('ROLLBACK');
    }
    return changed;
  }

  it('is admin-pool where the role the deployment names changes hidden rows, unscoped where it does not', async () => {
    const judged = [
      { file: 'src/jobs.ts', line: 5, role: 'ops_admin' },
      { file: 'src/jobs.ts', line: 10, role: 'app_user' },
    ];
    for (const { file, line, role } of judged) {
      const coverage = report.writeSites.find((s) => s.file === file && s.line === line)!.coverage;
      const changed = await changedAs(file, line, role);
      expect({ role, coverage }).toEqual({ role, coverage: changed > 0 ? 'admin-pool' : 'unscoped' });
    }
  });

  it('leaves unscoped a write whose files disagree on the role, one of which would bypass', async () => {
    expect(await changedAs('src/jobs.ts', 15, 'reporter_admin')).toBeGreaterThan(0);
    expect(await changedAs('src/jobs.ts', 15, 'reporter')).toBe(0);
    const site = report.writeSites.find((s) => s.file === 'src/jobs.ts' && s.line === 15)!;
    expect(site.coverage).toBe('unscoped');
    expect(site.evidence).toContain('disagree on the role REPORTS_URL logs in as: reporter_admin (.env.example:6) ' +
      'and reporter (docker-compose.yml:13)');
  });
});
