import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ORG, replayedFixture } from '../support/oracle.js';

// The owner of a table with RLS but without FORCE ROW LEVEL SECURITY is not subject to its policies
// (fixtures/precision/owner-force). Each unscoped write runs in Postgres as its table's owner, a role without
// BYPASSRLS, with nothing set: the message says the owner bypasses the policies exactly where that run changes rows.

const ROOT = path.resolve(import.meta.dirname, '../../fixtures/precision/owner-force');
const OWNER = 'rls_oracle_owner';

describe("a table's owner and FORCE ROW LEVEL SECURITY, in Postgres", () => {
  // The migrator here is a superuser, which bypasses RLS anyway: its tables go to an ordinary role, as in a
  // deployment whose app logs in as the role that ran the migrations.
  const fx = replayedFixture(ROOT, async (db) => {
    await db.exec(`CREATE ROLE ${OWNER} NOLOGIN NOBYPASSRLS NOSUPERUSER`);
    for (const t of ['accounts', 'events', 'archive', 'late']) await db.exec(`ALTER TABLE ${t} OWNER TO ${OWNER}`);
  });

  it('says the owner bypasses the policies exactly where the owner, with nothing set, changes rows', async () => {
    const sites = fx.report.writeSites.filter((s) => s.coverage === 'unscoped');
    expect(sites.length).toBe(5);
    const passed: string[] = [];
    for (const site of sites) {
      const table = site.tables[0]!.replace(/^public\./, '');
      const owner = (await fx.db.query<{ o: string }>('SELECT tableowner AS o FROM pg_tables WHERE tablename = $1', [table]))
        .rows[0]!.o;
      await fx.db.exec('BEGIN');
      await fx.db.query(`INSERT INTO ${table} (org_id) VALUES ($1)`, [ORG]); // as the superuser: a row to change
      await fx.db.exec(`SET LOCAL ROLE "${owner}"`);
      let changed = 0;
      try {
        changed = (await fx.db.query(site.sql[0]!, [ORG])).affectedRows ?? 0;
      } catch {
        changed = 0; // new row violates row-level security policy
      }
      await fx.db.exec('ROLLBACK');
      const message = fx.report.findings.find((f) => f.ruleId === 'no-unscoped-write' && f.line === site.line)!.message;
      expect({ table, bypass: message.includes('bypasses its policies') }).toEqual({ table, bypass: changed > 0 });
      if (changed > 0) passed.push(table);
    }
    // ledger (owned by app_owner), events, late: no FORCE in Postgres; accounts, archive: FORCE.
    expect(passed.sort()).toEqual(['events', 'late', 'ledger']);
  }, 120_000);
});
