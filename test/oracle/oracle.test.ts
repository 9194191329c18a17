import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditSync } from '../../src/walker/audit.js';
import type { AuditReport } from '../../src/report/audit-report.js';
import { Oracle } from '../support/oracle.js';
import { runOracle } from '../support/oracle-verdicts.js';

// The project's proof that its verdicts match Postgres: every write site of the example app
// is executed in embedded Postgres the way the app would run it, as a NOBYPASSRLS role under
// FORCE RLS, and compared with the same statement run with RLS bypassed (what each verdict
// must then see: test/support/oracle-verdicts.ts).

const ROOT = path.resolve(import.meta.dirname, '../../fixtures/example-app');

let report: AuditReport;
let oracle: Oracle;

beforeAll(async () => {
  report = auditSync({ paths: [ROOT], types: false });
  oracle = await Oracle.forApp(ROOT, report);
}, 120_000);

afterAll(async () => {
  await oracle?.close();
});

describe('the runtime oracle on the example app', () => {
  it('finds every verdict confirmed by Postgres itself', async () => {
    const verdicts = await runOracle(oracle, report);
    const problems = verdicts.filter((v) => v.outcome === 'disagrees' || v.outcome === 'inconclusive');
    expect(problems.map((p) => `${p.site} ${p.outcome}: ${p.detail}`)).toEqual([]);
    // Every resolved site was run, bar the one that needs a client-side stream.
    const executed = verdicts.filter((v) => v.outcome === 'agrees');
    expect(verdicts.filter((v) => v.outcome === 'not executable').map((v) => v.site)).toEqual([expect.stringContaining('src/jobs/import.ts')]);
    expect(executed.length).toBeGreaterThanOrEqual(report.writeSites.filter((s) => s.coverage !== 'unresolved').length - 1);
    for (const coverage of ['org-scope', 'security-definer', 'admin-pool', 'unscoped', 'not-gated']) {
      expect(executed.some((v) => v.coverage === coverage), coverage).toBe(true);
    }
    console.log(`oracle: ${executed.length} write-site SQL texts confirmed by Postgres (${verdicts.length - executed.length} not executable)`);
  }, 300_000);

  it('catches a wrong model: read statically, the DO-block-gated tables look ungated and Postgres disagrees', async () => {
    const staticReport = auditSync({ paths: [ROOT], types: false, schemaSource: 'static' });
    const verdicts = await runOracle(oracle, staticReport);
    const wrong = verdicts.filter((v) => v.outcome === 'disagrees').map((v) => v.site);
    expect(wrong).toEqual(['src/services/comments.ts:9 (not-gated)', 'src/services/comments.ts:15 (not-gated)']);
  }, 300_000);
});
