import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { shellSqlTexts } from '../../src/schema/shell-sql.js';
import { ORG, replayedFixture } from '../support/oracle.js';

// fixtures/precision/deploy-roles: the roles its shell init script makes, made in Postgres from the SQL that script
// hands psql (read as rls-guard reads it), and each write run as the role its DSN variable logs in as, with nothing
// set. A write is admin-pool exactly where that role changes rows the policies would hide; where the deployment
// files disagree on the role, the two candidates do differ in Postgres, which is why neither is taken.

const ROOT = path.resolve(import.meta.dirname, '../../fixtures/precision/deploy-roles');

describe('roles an init script makes, in Postgres', () => {
  const fx = replayedFixture(ROOT, async (db) => {
    for (const { sql } of shellSqlTexts(fs.readFileSync(path.join(ROOT, 'db/init/01-roles.sh'), 'utf8')))
      await db.exec(sql);
    await db.exec('GRANT ALL ON ALL TABLES IN SCHEMA public TO PUBLIC');
  });

  /** Rows the site's statement changes when run as `role` with no org context set. */
  async function changedAs(file: string, line: number, role: string): Promise<number> {
    const site = fx.report.writeSites.find((s) => s.file === file && s.line === line)!;
    await fx.db.exec('BEGIN');
    const id = (await fx.db.query<{ id: number }>('INSERT INTO projects (org_id) VALUES ($1) RETURNING id', [ORG]))
      .rows[0]!.id;
    await fx.db.exec(`SET LOCAL ROLE "${role}"`);
    const params = [id, 'renamed'].slice(0, (site.sql[0]!.match(/\$\d/g) ?? []).length);
    let changed = 0;
    try {
      changed = (await fx.db.query(site.sql[0]!, params)).affectedRows ?? 0;
    } finally {
      await fx.db.exec('ROLLBACK');
    }
    return changed;
  }

  it('is admin-pool where the role the deployment names changes hidden rows, unscoped where it does not', async () => {
    const judged = [
      { file: 'src/jobs.ts', line: 5, role: 'ops_admin' },
      { file: 'src/jobs.ts', line: 10, role: 'app_user' },
    ];
    for (const { file, line, role } of judged) {
      const coverage = fx.report.writeSites.find((s) => s.file === file && s.line === line)!.coverage;
      const changed = await changedAs(file, line, role);
      expect({ role, coverage }).toEqual({ role, coverage: changed > 0 ? 'admin-pool' : 'unscoped' });
    }
  });

  it('leaves unscoped a write whose files disagree on the role, one of which would bypass', async () => {
    expect(await changedAs('src/jobs.ts', 15, 'reporter_admin')).toBeGreaterThan(0);
    expect(await changedAs('src/jobs.ts', 15, 'reporter')).toBe(0);
    const site = fx.report.writeSites.find((s) => s.file === 'src/jobs.ts' && s.line === 15)!;
    expect(site.coverage).toBe('unscoped');
    expect(site.evidence).toContain('disagree on the role REPORTS_URL logs in as: reporter_admin (.env.example:6) ' +
      'and reporter (docker-compose.yml:13)');
  });
});
