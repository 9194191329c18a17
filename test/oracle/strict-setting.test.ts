import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appOracle, ORG, renumberHoles } from '../support/oracle.js';
import { annotatedVerdicts, readExpectations, sourceFiles } from '../support/annotations.js';

// Policies that read their setting without missing_ok (fixtures/precision/strict-setting, arda-vibe's
// `current_setting('app.tenant_id')::uuid`): a write that sets nothing is `unscoped`, and Postgres raises
// "unrecognized configuration parameter" rather than reject the row or match zero rows. Each write runs alone with
// nothing set, as a NOBYPASSRLS role under FORCE RLS, over a seeded row per table: the message says Postgres raises
// exactly where it does.

const ROOT = path.resolve(import.meta.dirname, '../../fixtures/precision/strict-setting');

describe('a policy that reads its setting without missing_ok, in Postgres', () => {
  const fx = appOracle(ROOT);

  it('keeps every write unscoped', () => {
    const { actual, wanted } = annotatedVerdicts(fx.report, readExpectations(ROOT, sourceFiles(ROOT)));
    expect(wanted.length).toBe(8);
    expect(actual).toEqual(wanted);
  });

  it('says "raise unrecognized configuration parameter" exactly where Postgres raises it', async () => {
    const watch = fx.report.schema.gatedTables;
    const said: string[] = [];
    for (const site of fx.report.writeSites) {
      const write = renumberHoles(site.sql[0]!).replace(/\$\d+/g, `'${ORG}'`);
      const app = await fx.oracle.runOnConnection(['BEGIN', write, 'COMMIT'], 'app', { watch, constants: [] });
      const raised = app.error?.includes('unrecognized configuration parameter "app.org_id"') ?? false;
      const message = fx.report.findings.find((f) => f.line === site.line && f.ruleId === 'no-unscoped-write')!.message;
      expect({ write, raised }).toEqual({ write, raised: message.includes('raise unrecognized configuration parameter') });
      if (raised) said.push(`${site.line}`);
      // Elsewhere the old words stay, and they are true: rejected, or zero rows changed.
      else expect(app.changed, write).toEqual([]);
    }
    expect(said).toEqual(['7', '12', '17', '22', '42']);
  }, 120_000);

  it('names the policy, the setting, and what an earlier transaction on the connection leaves', async () => {
    const message = fx.report.findings.find((f) => f.line === 12 && f.ruleId === 'no-unscoped-write')!.message;
    expect(message).toContain(
      'Postgres will raise unrecognized configuration parameter "app.org_id" as soon as it reaches a row of ' +
        'public.accounts (reaching none, it matches zero rows): policy accounts_org on public.accounts ' +
        "(db/migrations/001_schema.sql:6) reads current_setting('app.org_id') without missing_ok",
    );
    // Set by a transaction that has ended, the setting reads '' on that connection, as the message says.
    await fx.oracle.runOnConnection(
      ["BEGIN", `SELECT set_config('app.org_id', '${ORG}', true)`, 'COMMIT'], 'app', { watch: [], constants: [] },
    );
    const after = await fx.oracle.runOnConnection(
      ['BEGIN', "INSERT INTO entries (org_id, amount) SELECT id, 1 FROM (SELECT gen_random_uuid() AS id) g " +
        "WHERE current_setting('app.org_id') = ''", 'COMMIT'],
      'app', { watch: ['public.entries'], constants: [] },
    );
    expect(after.error).toMatch(/row-level security/);
  });
});
