import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditSync } from '../../src/walker/audit.js';
import type { AuditReport } from '../../src/report/audit-report.js';
import { ORG, Oracle, renumberHoles, type Site, stringConstants } from '../support/oracle.js';

// Policies keyed on the login role (fixtures/providers/login-roles): the oracle logs in as
// the role each write's connection logs in as (SET ROLE: the fixture's policies read
// current_user) and Postgres must agree with every raw-SQL verdict:
// covered (org-scope, admin-pool) = the write changes what it changes with RLS bypassed;
// unscoped = it fails on a policy, or silently changes less.

const ROOT = path.resolve(import.meta.dirname, '../../fixtures/providers/login-roles');
const TENANT = 'tenant_acme';
// The role a connection that logs in from its environment gets: one shared, policed role.
const ENVIRONMENT_ROLE = 'app_shared';

/** The role the report says the site's connection runs as: what the oracle logs in as. */
function roleOf(site: Site): string {
  const perTenant = /a per-tenant role \((\S+) at /.exec(site.evidence);
  if (perTenant) return perTenant[1]!.replaceAll('${…}', TENANT.slice('tenant_'.length));
  if (site.evidence.includes('the role its environment names')) return ENVIRONMENT_ROLE;
  const fixed = /(?:as (?:SET ROLE |the role )|logs in as |after SET ROLE )(\w+) /.exec(site.evidence);
  if (fixed) return fixed[1]!;
  throw new Error(`no role in the evidence of ${site.file}:${site.line}: ${site.evidence}`);
}

describe('the login-roles fixture in Postgres', () => {
  let oracle: Oracle;
  let report: AuditReport;

  beforeAll(async () => {
    report = auditSync({ paths: [ROOT], types: false, schemaSource: 'static' });
    oracle = await Oracle.forApp(ROOT, report);
    // The tenant's own role; the fixture's migrations create app_shared and ops_admin.
    await oracle.prepare(`CREATE ROLE ${TENANT};
      GRANT ALL ON ALL TABLES IN SCHEMA public TO ${TENANT}, app_shared, ops_admin;
      GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO ${TENANT}, app_shared, ops_admin;`);
  }, 120_000);

  afterAll(async () => {
    await oracle?.close();
  });

  it('reads the policies that key on the login role from the migrations', () => {
    const sites = report.writeSites.filter((s) => s.tables.some((t) => t === 'public.tenant_documents' || t === 'public.invoices'));
    expect(new Set(sites.map((s) => s.coverage))).toEqual(new Set(['org-scope', 'unscoped', 'admin-pool', 'unresolved']));
    for (const s of sites.filter((x) => x.coverage === 'org-scope')) expect(s.evidence).toMatch(/keys on the login role \(current_user\)/);
  });

  it('reads the same policies from a replay of the migrations (the catalog path) as from the static reading', () => {
    const replayed = auditSync({ paths: [ROOT], types: false, schemaSource: 'replay' });
    const verdicts = (r: AuditReport) => r.writeSites.map((s) => `${s.file}:${s.line} ${s.coverage}`);
    expect(replayed.schema.sources?.map((x) => x.method) ?? []).toContain('replay');
    expect(verdicts(replayed)).toEqual(verdicts(report));
  }, 120_000);

  it('agrees with every raw-SQL verdict when run as the role the connection logs in as', async () => {
    const watch = report.schema.gatedTables;
    const seen: string[] = [];
    for (const site of report.writeSites) {
      if (site.coverage === 'unresolved' || site.sql.length === 0) continue;
      const role = roleOf(site);
      const write = renumberHoles(site.sql[0]!);
      const constants = stringConstants(site.sql[0]!);
      // The tenant owns every seeded row, and its role maps to the seeded org.
      const setup = [`UPDATE tenant_documents SET owner_role = '${TENANT}'`, `INSERT INTO tenant_roles VALUES ('${TENANT}', '${ORG}') ON CONFLICT DO NOTHING`];
      const statements = [site.sql[0]!.includes('$') ? write.replace(/\$\d+/g, "'x'") : write];
      const app = await oracle.runOnConnection(statements, 'app', { watch, constants, login: role, setup });
      const bypass = await oracle.runOnConnection(statements, 'bypass', { watch, constants, setup });
      const where = `${site.file}:${site.line} as ${role}`;
      expect(bypass.error, where).toBeNull();
      expect(bypass.changed.length, `${where}: the write changes something with RLS bypassed`).toBeGreaterThan(0);
      const covered = app.error === null && app.changed.join() === bypass.changed.join();
      expect({ where, covered }).toEqual({ where, covered: site.coverage === 'org-scope' || site.coverage === 'admin-pool' });
      seen.push(`${site.coverage} as ${role}`);
    }
    // Each kind of verdict, each kind of role, was run.
    expect(new Set(seen)).toEqual(new Set(['org-scope as tenant_acme', 'unscoped as app_shared', 'admin-pool as ops_admin']));
  }, 120_000);

  it('agrees on a role switched to at run time: SET LOCAL ROLE in a transaction scopes the write, outside one it does nothing', async () => {
    // The statements each function of src/set-role.ts runs on its one client, logged in as app_shared, up to the write.
    const watch = report.schema.gatedTables;
    const sequences: Record<string, (write: string) => string[]> = {
      'in-tx': (w) => ['BEGIN', `SET LOCAL ROLE ${TENANT}`, w, 'COMMIT'],
      'set-config': (w) => ['BEGIN', `SELECT set_config('role', '${TENANT}', true)`, w, 'COMMIT'],
      'no-tx': (w) => [`SET LOCAL ROLE ${TENANT}`, w],
    };
    const setup = [`UPDATE tenant_documents SET owner_role = '${TENANT}'`];
    const judged: string[] = [];
    for (const [marker, sequence] of Object.entries(sequences)) {
      const site = report.writeSites.find((x) => x.file === 'src/set-role.ts' && x.sql[0]?.includes(`'${marker}'`))!;
      const write = renumberHoles(site.sql[0]!).replace(/\$\d+/g, "'x'");
      const constants = stringConstants(site.sql[0]!);
      const app = await oracle.runOnConnection(sequence(write), 'app', { watch, constants, login: ENVIRONMENT_ROLE, setup });
      const bypass = await oracle.runOnConnection([write], 'bypass', { watch, constants, setup });
      expect(bypass.changed.length, marker).toBeGreaterThan(0);
      const covered = app.error === null && app.changed.join() === bypass.changed.join();
      expect({ marker, covered }).toEqual({ marker, covered: site.coverage === 'org-scope' });
      judged.push(`${marker} ${site.coverage}`);
    }
    expect(judged).toEqual(['in-tx org-scope', 'set-config org-scope', 'no-tx unscoped']);
  }, 120_000);
});
