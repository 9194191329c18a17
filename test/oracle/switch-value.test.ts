import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditSync } from '../../src/walker/audit.js';
import type { AuditReport } from '../../src/report/audit-report.js';
import { ORG, Oracle, renumberHoles, setsBefore, stringConstants } from '../support/oracle.js';

// Switches on one value (fixtures/precision/switch-value): each write of src/app.ts runs in Postgres in its own
// transaction after its function's set, as a NOBYPASSRLS role under FORCE RLS. A set bound to `[SERVICE]` sends the
// sentinel, any other bind parameter the org. A covered verdict (org-scope, or admin-pool through the switch) must
// change what the same statements change with RLS bypassed; an unscoped one must fail on a policy or change less.

const ROOT = path.resolve(import.meta.dirname, '../../fixtures/precision/switch-value');
const SOURCE = 'src/app.ts';

describe('the switch-value fixture in Postgres', () => {
  let oracle: Oracle;
  let report: AuditReport;

  beforeAll(async () => {
    report = auditSync({ paths: [ROOT], types: false, schemaSource: 'static' });
    oracle = await Oracle.forApp(ROOT, report);
  }, 120_000);

  afterAll(async () => {
    await oracle?.close();
  });

  it('agrees with every verdict: the sentinel lets every row through, a tenant\'s id only its own', async () => {
    const lines = fs.readFileSync(path.join(ROOT, SOURCE), 'utf8').split('\n');
    const watch = report.schema.gatedTables;
    const seen: string[] = [];
    for (const site of report.writeSites.filter((s) => s.file === SOURCE)) {
      const write = renumberHoles(site.sql[0]!).replace(/\$\d+/g, `'${ORG}'`);
      const constants = stringConstants(site.sql[0]!);
      const statements = ['BEGIN', ...setsBefore(lines, site.line, (l) => (l.includes('[SERVICE]') ? "'__SERVICE__'" : `'${ORG}'`)), write, 'COMMIT'];
      const app = await oracle.runOnConnection(statements, 'app', { watch, constants });
      const bypass = await oracle.runOnConnection(statements, 'bypass', { watch, constants });
      const where = `${SOURCE}:${site.line} ${statements.slice(1, -1).join('; ')}`;
      expect(bypass.error, where).toBeNull();
      expect(bypass.changed.length, `${where}: the write changes something with RLS bypassed`).toBeGreaterThan(0);
      const covered = app.error === null && app.changed.join() === bypass.changed.join();
      expect({ where, covered }).toEqual({ where, covered: site.coverage !== 'unscoped' });
      seen.push(site.coverage);
    }
    for (const coverage of ['admin-pool', 'org-scope', 'unscoped']) expect(seen).toContain(coverage);
  }, 120_000);
});
