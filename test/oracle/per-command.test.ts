import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditSync } from '../../src/walker/audit.js';
import type { AuditReport } from '../../src/report/audit-report.js';
import { ORG, Oracle, renumberHoles, setsBefore, stringConstants } from '../support/oracle.js';

// Policies per command (fixtures/precision/per-command-policies): each write runs in Postgres in its own
// transaction, after the sets its function makes, as a NOBYPASSRLS role under FORCE RLS. A covered verdict (org-scope, or admin-pool through a switch) must
// change what the same statements change with RLS bypassed; an unscoped one must fail on a policy or change less.
// The sets are the function's own (`SELECT set_config(…)` before the write), so a setting enough for one command
// and not another is decided by Postgres, not by the settings the oracle's other suites set all at once.

const ROOT = path.resolve(import.meta.dirname, '../../fixtures/precision/per-command-policies');
const SOURCE = 'src/app.ts';

describe('the per-command policies fixture in Postgres', () => {
  let oracle: Oracle;
  let report: AuditReport;

  beforeAll(async () => {
    report = auditSync({ paths: [ROOT], types: false, schemaSource: 'static' });
    oracle = await Oracle.forApp(ROOT, report);
  }, 120_000);

  afterAll(async () => {
    await oracle?.close();
  });

  it('agrees with every verdict when each write runs after its own transaction\'s sets', async () => {
    const lines = fs.readFileSync(path.join(ROOT, SOURCE), 'utf8').split('\n');
    const watch = report.schema.gatedTables;
    const seen: string[] = [];
    for (const site of report.writeSites) {
      expect(site.sql.length, `${site.line}`).toBeGreaterThan(0);
      const write = renumberHoles(site.sql[0]!).replace(/\$\d+/g, `'${ORG}'`);
      const constants = stringConstants(site.sql[0]!);
      const statements = ['BEGIN', ...setsBefore(lines, site.line), write, 'COMMIT'];
      const app = await oracle.runOnConnection(statements, 'app', { watch, constants });
      const bypass = await oracle.runOnConnection(statements, 'bypass', { watch, constants });
      const where = `${SOURCE}:${site.line} ${statements.slice(1, -1).join('; ')}`;
      expect(bypass.error, where).toBeNull();
      expect(bypass.changed.length, `${where}: the write changes something with RLS bypassed`).toBeGreaterThan(0);
      const covered = app.error === null && app.changed.join() === bypass.changed.join();
      expect({ where, covered }).toEqual({ where, covered: site.coverage !== 'unscoped' });
      seen.push(`${site.operation} ${site.coverage}`);
    }
    // Both verdicts for each command, so neither side is vacuous.
    for (const op of ['insert', 'update'])
      for (const coverage of ['org-scope', 'unscoped']) expect(seen).toContain(`${op} ${coverage}`);
    expect(seen).toContain('delete org-scope');
  }, 120_000);
});
