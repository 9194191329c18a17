import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appOracle, ORG, renumberHoles } from '../support/oracle.js';
import { annotatedVerdicts, readExpectations, sourceFiles } from '../support/annotations.js';

// Policies open while their setting is unset (fixtures/precision/open-when-unset, emergent.strategy's
// `COALESCE(current_setting(…, true), '') = '' OR …`): a write that sets nothing is still `unscoped`, but its message
// must say what Postgres does. Each write runs alone with nothing set, as a NOBYPASSRLS role under FORCE RLS: where the
// message says Postgres lets it through, it changes what the bypassing run changes; elsewhere it fails or changes less.

const ROOT = path.resolve(import.meta.dirname, '../../fixtures/precision/open-when-unset');

describe('a policy open while its setting is unset, in Postgres', () => {
  const fx = appOracle(ROOT);

  it('keeps every write unscoped', () => {
    const { actual, wanted } = annotatedVerdicts(fx.report, readExpectations(ROOT, sourceFiles(ROOT)));
    expect(wanted.length).toBe(7);
    expect(actual).toEqual(wanted);
  });

  it('says "let it through" exactly where Postgres lets the write through with nothing set', async () => {
    const watch = fx.report.schema.gatedTables;
    const said: boolean[] = [];
    for (const site of fx.report.writeSites) {
      const write = renumberHoles(site.sql[0]!).replace(/\$\d+/g, `'${ORG}'`);
      const statements = ['BEGIN', write, 'COMMIT'];
      const app = await fx.oracle.runOnConnection(statements, 'app', { watch, constants: [] });
      const bypass = await fx.oracle.runOnConnection(statements, 'bypass', { watch, constants: [] });
      expect(bypass.changed.length, write).toBeGreaterThan(0);
      const open = app.error === null && app.changed.join() === bypass.changed.join();
      const message = fx.report.findings.find((f) => f.line === site.line && f.ruleId === 'no-unscoped-write')!.message;
      expect({ write, open }).toEqual({ write, open: message.includes('Postgres will let it through') });
      said.push(open);
    }
    expect(said.filter(Boolean).length).toBe(3);
  }, 120_000);

  it('names the policy and the setting', () => {
    const message = fx.report.findings.find((f) => f.line === 7 && f.ruleId === 'no-unscoped-write')!.message;
    expect(message).toContain(
      'Postgres will let it through: policy documents_insert on public.documents (db/migrations/001_schema.sql:8) ' +
        "lets every row through while app.current_project_id is unset, so no org filters this write and it can add " +
        "rows to any org's data",
    );
    expect(message).toContain("set_config('app.current_project_id', $1, true)");
  });
});
