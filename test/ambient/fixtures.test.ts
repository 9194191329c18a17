import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tsParser from '@typescript-eslint/parser';
import { ESLint } from 'eslint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import plugin from '../../src/eslint-plugin.js';
import { resetProjectIndexes } from '../../src/eslint/project-index.js';
import { loadConfig } from '../../src/config/load.js';
import { readMigrations } from '../../src/schema/load.js';
import { auditSync } from '../../src/walker/audit.js';
import { readExpectations, sourceFiles } from '../support/annotations.js';
import { itMatchesAnnotations } from '../support/annotated-cases.js';
import { Oracle, type Run, type Shape, stringConstants } from '../support/oracle.js';

// Apps whose writes reach the org-scoped transaction only through an AsyncLocalStorage:
// each write is judged per root that reaches it (routes behind or outside middleware, jobs,
// startup code) and takes the worst. Annotated site by site, with a committed report, and
// the raw-SQL sites executed in Postgres under the coverage each verdict claims.

const AMBIENT = path.resolve(import.meta.dirname, '../../fixtures/ambient');
const apps = fs.readdirSync(AMBIENT, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
const audit = (name: string) => auditSync({ paths: [path.join(AMBIENT, name)], types: false, schemaSource: 'static' });

describe.each(apps)('the ambient fixture app %s', (name) => {
  const root = path.join(AMBIENT, name);
  const report = audit(name);
  const expectations = readExpectations(root, sourceFiles(root));

  it('has org-scoped, unscoped and admin writes', () => {
    const coverages = new Set(expectations.filter((e) => e.kind === 'site').map((e) => e.coverage));
    for (const c of ['org-scope', 'unscoped', 'admin-pool']) expect(coverages, c).toContain(c);
  });

  itMatchesAnnotations(report, expectations);

  it('matches the expected report committed beside the app', () => {
    const file = path.join(root, 'expected-report.json');
    const comparable = (r: { writeSites: unknown; findings: unknown }) => ({ writeSites: r.writeSites, findings: r.findings });
    if (process.env.UPDATE_EXPECTED) fs.writeFileSync(file, `${JSON.stringify(comparable(report), null, 2)}\n`);
    expect(comparable(report)).toEqual(comparable(JSON.parse(fs.readFileSync(file, 'utf8'))));
  });

  it('leaves every ambient write to the walker: the ESLint plugin, seeing one file, cannot see the roots, so its project index decides them as the walker does', async () => {
    const ambient = report.writeSites.filter((s) => /AsyncLocalStorage|cls-hooked namespace|reached from/.test(s.evidence));
    expect(ambient.length).toBeGreaterThanOrEqual(3);
    for (const s of ambient) expect(s.crossFile, `${s.file}:${s.line}`).toBe(true);
    const eslint = new ESLint({
      cwd: root,
      overrideConfigFile: true,
      overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: tsParser }, plugins: plugin.configs.strict.plugins, rules: plugin.configs.strict.rules }] as ESLint.Options['overrideConfig'],
    });
    const linted = (await eslint.lintFiles(['src/**/*.ts'])).flatMap((r) => r.messages.map((m) => `${path.relative(root, r.filePath)}:${m.line} ${m.ruleId}`));
    const lines = new Set(ambient.map((s) => `${s.file}:${s.line}`));
    const onAmbient = (ms: string[]) => ms.filter((m) => lines.has(m.split(' ')[0]!));
    const walker = onAmbient(report.findings.map((f) => `${f.file}:${f.line} rls-guard/${f.ruleId}`));
    // Never a verdict of its own: what the plugin reports on an ambient write is the walker's
    // finding (through the project index), or unresolved while the index is being built.
    const plugin_ = onAmbient(linted);
    for (const m of plugin_.filter((x) => !x.endsWith('no-unresolved-write'))) expect(walker, m).toContain(m);
    for (const m of walker) expect(plugin_.includes(m) || plugin_.includes(`${m.split(' ')[0]} rls-guard/no-unresolved-write`), m).toBe(true);
  }, 60_000);

  it('decides each ambient write as the walker does in an editor, which analyses only the files the linted one needs', async () => {
    // Within a time budget (an editor's), the project index analyses the linted file with what reaches it (importers,
    // files that register it by a glob) and what those import, not the whole project: every ambient verdict must
    // still be the walker's. The budget here is ample, so none may be left unresolved as still building.
    const ambient = report.writeSites.filter((s) => /AsyncLocalStorage|cls-hooked namespace|reached from/.test(s.evidence));
    const walker = (file: string) => {
      const lines = new Set(ambient.filter((s) => s.file === file).map((s) => s.line));
      return report.findings.filter((f) => f.file === file && lines.has(f.line)).map((f) => `${f.line} rls-guard/${f.ruleId}`).sort();
    };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-editor-index-'));
    const before = process.env.RLS_GUARD_INDEX_DIR;
    process.env.RLS_GUARD_INDEX_DIR = dir;
    try {
      for (const file of [...new Set(ambient.map((s) => s.file))]) {
        resetProjectIndexes();
        const lines = new Set(ambient.filter((s) => s.file === file).map((s) => s.line));
        const eslint = new ESLint({
          cwd: root,
          overrideConfigFile: true,
          overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: tsParser }, settings: { 'rls-guard': { indexBudgetMs: 600_000 } }, plugins: plugin.configs.strict.plugins, rules: plugin.configs.strict.rules }] as ESLint.Options['overrideConfig'],
        });
        const [result] = await eslint.lintFiles([file]);
        const linted = result!.messages.filter((m) => lines.has(m.line)).map((m) => `${m.line} ${m.ruleId}`).sort();
        expect(linted, file).toEqual(walker(file));
      }
    } finally {
      if (before === undefined) delete process.env.RLS_GUARD_INDEX_DIR;
      else process.env.RLS_GUARD_INDEX_DIR = before;
      resetProjectIndexes();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('evidence for a write reached from several roots', () => {
  it('names the job, its call path and the routes that scope it', () => {
    const site = audit('express-proxy').writeSites.find((s) => s.file === 'src/projects.ts' && s.coverage === 'unscoped')!;
    expect(site.evidence).toMatch(/^unscoped when reached from the job 'sweep' \(src\/jobs\/sweep\.ts:9\) → sweepExpired\(\) \(src\/jobs\/sweep\.ts:10\) → archiveProject\(\) \(src\/jobs\/sweep\.ts:5\): nothing on this path entered `requestContext`/);
    // What entered the store, not every middleware of the chain.
    expect(site.evidence).toMatch(/; org-scope from 1 route \(the route [^)]*\)\) where `\w+` enters `requestContext` \(src\/[\w./]+:\d+\)$/);
  });

  it('names the branches of a middleware that let the request through without entering the store', () => {
    const sites = audit('skip-branch').writeSites;
    const at = (line: number) => sites.find((s) => s.file === 'src/notes.ts' && s.line === line)!;
    // tenantMiddleware calls next() bare when there is no org header and for event streams: both lines named.
    expect(at(6).coverage).toBe('unscoped');
    expect(at(6).evidence).toContain(
      'nothing on this path entered `tenantStore`: `tenantMiddleware` enters it at src/middleware/tenant.ts:27 but calls next() without it at src/middleware/tenant.ts:16, 20, so the accessor',
    );
    expect(at(6).evidence).toMatch(/org-scope from 1 route \(the route POST \/api\/notes \(src\/app\.ts:\d+\)\) where `tenantMiddleware` enters `tenantStore` \(src\/middleware\/tenant\.ts:27\)$/);
    // The decoys: a middleware that refuses instead of skipping; a route no middleware of which enters the store.
    expect(at(12).coverage).toBe('org-scope');
    expect(at(12).evidence).toContain('where `strictTenant` enters `tenantStore` (src/middleware/tenant.ts:43)');
    expect(at(12).evidence).not.toContain('requestLog');
    expect(at(18).coverage).toBe('unscoped');
    expect(at(18).evidence).toContain('nothing on this path entered `tenantStore`, so the accessor');
    expect(at(18).evidence).not.toContain('without it');
  });

  it('says a declared admin provider is admin because the config declares it, not that the database shows BYPASSRLS', () => {
    const site = audit('skip-branch').writeSites.find((s) => s.file === 'src/notes.ts' && s.line === 24)!;
    expect(site.coverage).toBe('admin-pool');
    expect(site.evidence).toBe('runs on admin connection `ownerPool` (declared admin: `adminProviders` in rls-guard.config.json)');
  });

  it('names the startup hook that calls a tenant factory outside runWithTenant', () => {
    const site = audit('knex-tenant').writeSites.find((s) => s.file === 'src/visits.ts' && s.coverage === 'unscoped')!;
    expect(site.evidence).toContain('the module code of src/server.ts (run at startup) → warmUp()');
    // The route that scopes it, and the wrapper that enters the store there.
    expect(site.evidence).toMatch(
      /org-scope from 1 route \(the route POST \/orgs\/:org\/visits\/:page \(src\/server\.ts:8\)\) where `runWithTenant` enters `tenantStore` \(src\/tenant\.ts:12\)$/,
    );
  });
});

// The coverage each verdict claims, as the oracle runs it.
const SHAPES: Record<string, Shape> = { 'org-scope': 'org-scope', 'admin-pool': 'bypass', unscoped: 'none' };

describe('the runtime oracle on the ambient apps', () => {
  let oracle: Oracle;
  const reports = apps.map((name) => ({ name, report: audit(name) }));
  beforeAll(async () => {
    const loaded = loadConfig({ start: path.join(AMBIENT, apps[0]!) });
    oracle = await Oracle.create(readMigrations(path.join(AMBIENT, apps[0]!), loaded.config).files, reports[0]!.report.schema.gatedTables);
  }, 120_000);
  afterAll(async () => {
    await oracle?.close();
  });

  it('confirms every raw-SQL verdict in Postgres', async () => {
    const outcomes: string[] = [];
    let executed = 0;
    for (const { name, report } of reports) {
      for (const site of report.writeSites) {
        const shape = SHAPES[site.coverage];
        if (!shape) continue;
        for (const sql of site.sql) {
          const options = { skipSeed: site.operation === 'insert' ? site.tables : [], watch: report.schema.gatedTables, constants: stringConstants(sql) };
          const app = await oracle.run(sql, shape, options);
          const bypass = await oracle.run(sql, 'bypass', options);
          executed++;
          const verdict = agreement(site.coverage, app, bypass);
          if (verdict !== 'agrees') outcomes.push(`${name}/${site.file}:${site.line} ${site.coverage} ${verdict}: ${app.error ?? app.changed.join()} / ${bypass.error ?? bypass.changed.join()}`);
        }
      }
    }
    expect(outcomes).toEqual([]);
    expect(executed).toBeGreaterThanOrEqual(8);
    // Each claimed coverage was put to Postgres at least once.
    const claimed = new Set(reports.flatMap(({ report }) => report.writeSites.filter((s) => s.sql.length && SHAPES[s.coverage]).map((s) => s.coverage)));
    expect([...claimed].sort()).toEqual(['admin-pool', 'org-scope', 'unscoped']);
  }, 300_000);
});

/** Covered: the same change as with RLS bypassed. Unscoped: a policy error, or rows silently not changed. */
function agreement(coverage: string, app: Run, bypass: Run): string {
  if (bypass.error) return 'inconclusive';
  if (coverage !== 'unscoped') return app.error === null && app.changed.join() === bypass.changed.join() ? 'agrees' : 'disagrees';
  if (app.error) return /row-level security/.test(app.error) ? 'agrees' : 'inconclusive';
  return bypass.changed.some((t) => !app.changed.includes(t)) ? 'agrees' : 'disagrees';
}
