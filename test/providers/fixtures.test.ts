import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { readMigrations } from '../../src/schema/load.js';
import { auditSync } from '../../src/walker/audit.js';
import type { AuditReport } from '../../src/report/audit-report.js';
import { readExpectations, sourceFiles } from '../support/annotations.js';
import { itMatchesAnnotations } from '../support/annotated-cases.js';
import { ORG, Oracle, renumberHoles, stringConstants } from '../support/oracle.js';
import { runOracle } from '../support/oracle-verdicts.js';

// One miniature app per family of scope and admin providers (fixtures/providers/<family>),
// annotated site by site (`// expect: …`), with decoys: the walker must give every annotated
// verdict and no other site, match the committed report, and Postgres (the PGlite oracle)
// must agree with the verdict of every raw-SQL site.

const ROOT = path.resolve(import.meta.dirname, '../../fixtures/providers');
const apps = fs.readdirSync(ROOT, { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.startsWith('_')).map((d) => d.name).sort();
// Apps whose policies key on the login role: Postgres judges them by the role a connection
// logs in as, which the oracle of test/providers/login-roles.test.ts does (with their schema).
const LOGIN_ROLE_APPS = new Set(['login-roles']);
const comparable = (r: { writeSites: unknown; findings: unknown }) => ({ writeSites: r.writeSites, findings: r.findings });

describe.each(apps)('the %s provider fixture', (name) => {
  const root = path.join(ROOT, name);
  const report = auditSync({ paths: [root], types: false, schemaSource: 'static' });
  const expectations = readExpectations(root, sourceFiles(root));

  it('has covered and unscoped (decoy) cases', () => {
    const coverages = new Set(expectations.filter((e) => e.kind === 'site').map((e) => e.coverage));
    expect(coverages).toContain('unscoped');
    expect(coverages.has('org-scope') || coverages.has('admin-pool')).toBe(true);
  });

  itMatchesAnnotations(report, expectations);

  it('matches the expected report committed beside the app', () => {
    const file = path.join(root, 'expected-report.json');
    if (process.env.UPDATE_EXPECTED) fs.writeFileSync(file, `${JSON.stringify(comparable(report), null, 2)}\n`);
    expect(comparable(report)).toEqual(comparable(JSON.parse(fs.readFileSync(file, 'utf8'))));
  });
});

describe('the runtime oracle on the provider fixtures', () => {
  let oracle: Oracle;
  const reports = new Map<string, AuditReport>();

  beforeAll(async () => {
    for (const name of apps.filter((a) => !LOGIN_ROLE_APPS.has(a))) reports.set(name, auditSync({ paths: [path.join(ROOT, name)], types: false, schemaSource: 'static' }));
    const loaded = loadConfig({ start: path.join(ROOT, apps[0]!) });
    oracle = await Oracle.create(readMigrations(path.join(ROOT, apps[0]!), loaded.config).files, reports.get(apps[0]!)!.schema.gatedTables);
  }, 120_000);

  afterAll(async () => {
    await oracle?.close();
  });

  it('finds every raw-SQL verdict confirmed by Postgres', async () => {
    let executed = 0;
    for (const [name, report] of reports) {
      const verdicts = await runOracle(oracle, report);
      const problems = verdicts.filter((v) => v.outcome !== 'agrees');
      expect(problems.map((p) => `${name}/${p.site} ${p.outcome}: ${p.detail}`)).toEqual([]);
      executed += verdicts.length;
    }
    // Every app shares one migration; the suite must actually have run something.
    expect(executed).toBeGreaterThan(10);
  }, 300_000);

  it('agrees on session state: a session-level set lasts through later reads and the catch block, until RESET', async () => {
    // The statements sessionThroughCatch and afterReset (fixtures/providers/session-state) run
    // on their one client, in order, up to the write the report judged.
    const report = reports.get('session-state')!;
    const lines = fs.readFileSync(path.join(ROOT, 'session-state/src/session.ts'), 'utf8').split('\n');
    const site = (marker: string) => report.writeSites.find((s) => s.file === 'src/session.ts' && s.line === lines.findIndex((l) => l.includes(`'${marker}'`)) + 1)!;
    const set = `SELECT set_config('app.current_org_id', '${ORG}', false)`;
    const watch = report.schema.gatedTables;
    const cases = [
      ['session-try', (write: string) => [set, 'SELECT 1', write]],
      // The catch block after a failed statement in the try: still the same session.
      ['session-catch', (write: string) => [set, 'SELECT 1', write]],
      ['after-reset', (write: string) => [set, 'RESET app.current_org_id', write]],
    ] as const;
    for (const [marker, statements] of cases) {
      const s = site(marker);
      const write = renumberHoles(s.sql[0]!);
      const constants = stringConstants(s.sql[0]!);
      const app = await oracle.runOnConnection(statements(write), 'app', { watch, constants });
      const bypass = await oracle.runOnConnection(statements(write), 'bypass', { watch, constants });
      expect(bypass.error, marker).toBeNull();
      const covered = app.error === null && app.changed.join() === bypass.changed.join();
      expect({ marker, covered }).toEqual({ marker, covered: s.coverage === 'org-scope' });
    }
    expect(cases.map(([m]) => site(m).coverage)).toEqual(['org-scope', 'org-scope', 'unscoped']);
  }, 120_000);

  it('agrees on the autocommit case: a transaction-local set with no BEGIN covers nothing', async () => {
    // The statements clientAutocommit and clientWithBegin (fixtures/providers/setters) run on
    // their one client, in order: applyLocal's set_config, then the write the report judged.
    const report = reports.get('setters')!;
    const site = (fn: string) => {
      const line = fs.readFileSync(path.join(ROOT, 'setters/src/app.ts'), 'utf8').split('\n').findIndex((l) => l.includes(`'${fn}'`)) + 1;
      return report.writeSites.find((s) => s.file === 'src/app.ts' && s.line === line)!;
    };
    const set = `SELECT set_config('app.current_org_id', '${ORG}', true)`;
    const watch = report.schema.gatedTables;
    for (const [name, statements] of [
      ['autocommit', (write: string) => [set, write]],
      ['begun', (write: string) => ['BEGIN', set, write, 'COMMIT']],
    ] as const) {
      const s = site(name);
      const write = renumberHoles(s.sql[0]!);
      const constants = stringConstants(s.sql[0]!);
      const app = await oracle.runOnConnection(statements(write), 'app', { watch, constants });
      const bypass = await oracle.runOnConnection(statements(write), 'bypass', { watch, constants });
      expect(bypass, name).toEqual({ error: null, changed: ['public.projects'] });
      // Postgres: the write changed what it changes with RLS bypassed exactly when the verdict is org-scope.
      const covered = app.error === null && app.changed.join() === bypass.changed.join();
      expect({ name, covered }).toEqual({ name, covered: s.coverage === 'org-scope' });
    }
    expect([site('autocommit').coverage, site('begun').coverage]).toEqual(['unscoped', 'org-scope']);
    expect(site('autocommit').evidence).toContain('ran outside a transaction');
  }, 120_000);
});
