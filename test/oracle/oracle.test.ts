import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { readMigrations } from '../../src/schema/load.js';
import { auditSync, type AuditReport } from '../../src/walker/audit.js';
import { parseSql } from '../../src/sql/parser.js';
import { Oracle, renumberHoles, type Run, type Shape, type Site, stringConstants } from '../support/oracle.js';

// The project's proof that its verdicts match Postgres: every write site of the example app
// is executed in embedded Postgres the way the app would run it, as a NOBYPASSRLS role under
// FORCE RLS, and compared with the same statement run with RLS bypassed.
//  - covered (org-scope, security-definer, admin-pool): succeeds, and changes exactly what
//    it changes with RLS bypassed (RLS filtered nothing away);
//  - unscoped: fails with a row-level security violation, or changes nothing where the
//    bypassed run changes something (the silent zero-row DELETE/UPDATE);
//  - not-gated: succeeds without any org context.

const ROOT = path.resolve(import.meta.dirname, '../../fixtures/example-app');
const SHAPES: Record<string, Shape> = { 'org-scope': 'org-scope', 'admin-pool': 'bypass', 'security-definer': 'none', unscoped: 'none', 'not-gated': 'none' };

let report: AuditReport;
let oracle: Oracle;

beforeAll(async () => {
  report = auditSync({ paths: [ROOT], types: false });
  const loaded = loadConfig({ start: ROOT });
  oracle = await Oracle.create(readMigrations(ROOT, loaded.config).files, report.schema.gatedTables);
}, 120_000);

afterAll(async () => {
  await oracle?.close();
});

interface Verdict {
  site: string;
  coverage: string;
  outcome: 'agrees' | 'disagrees' | 'inconclusive' | 'not executable';
  detail: string;
}

async function judge(site: Site, r: AuditReport): Promise<Verdict[]> {
  const name = `${site.file}:${site.line} (${site.coverage})`;
  const out: Verdict[] = [];
  for (const sql of site.sql) {
    const constants = stringConstants(sql);
    const options = { skipSeed: site.operation === 'insert' ? site.tables : [], watch: r.schema.gatedTables, constants };
    if (copiesFromClient(sql)) {
      out.push({ site: name, coverage: site.coverage, outcome: 'not executable', detail: 'COPY … FROM STDIN needs a client-side stream' });
      continue;
    }
    const app = await oracle.run(sql, SHAPES[site.coverage]!, options);
    const bypass = await oracle.run(sql, 'bypass', options);
    out.push({ site: name, coverage: site.coverage, ...compare(site, app, bypass) });
  }
  return out;
}

function copiesFromClient(sql: string): boolean {
  const parsed = parseSql(renumberHoles(sql));
  return parsed.ok && parsed.statements.some((s) => {
    const copy = (s.stmt as { CopyStmt?: { is_from?: boolean; filename?: string } }).CopyStmt;
    return copy?.is_from === true && !copy.filename;
  });
}

function compare(site: Site, app: Run, bypass: Run): { outcome: Verdict['outcome']; detail: string } {
  // A policy that casts current_setting(…)::uuid fails on a connection where the setting was
  // set in an earlier transaction (it reverts to '', not NULL): the same missing context.
  const rlsError = app.error !== null && (/row-level security/.test(app.error) || app.error === 'invalid input syntax for type uuid: ""');
  const seen = `as the app: ${app.error ?? `changed [${app.changed.join(', ')}]`}; with RLS bypassed: ${bypass.error ?? `changed [${bypass.changed.join(', ')}]`}`;
  if (bypass.error) return { outcome: 'inconclusive', detail: `the statement fails even with RLS bypassed; ${seen}` };
  switch (site.coverage) {
    case 'org-scope':
    case 'admin-pool':
    case 'security-definer': {
      const same = app.error === null && app.changed.join() === bypass.changed.join();
      return { outcome: same ? 'agrees' : 'disagrees', detail: seen };
    }
    case 'unscoped': {
      if (rlsError) return { outcome: 'agrees', detail: seen };
      if (app.error) return { outcome: 'inconclusive', detail: `fails for another reason; ${seen}` };
      const lost = bypass.changed.filter((t) => !app.changed.includes(t));
      if (lost.length > 0) return { outcome: 'agrees', detail: `silently changed nothing in ${lost.join(', ')}; ${seen}` };
      return { outcome: bypass.changed.length ? 'disagrees' : 'inconclusive', detail: seen };
    }
    case 'not-gated':
      return { outcome: app.error === null ? 'agrees' : 'disagrees', detail: seen };
    default:
      return { outcome: 'inconclusive', detail: `coverage ${site.coverage} is not judged at run time` };
  }
}

async function runOracle(r: AuditReport): Promise<Verdict[]> {
  const verdicts: Verdict[] = [];
  for (const site of r.writeSites) {
    if (site.coverage === 'unresolved') continue;
    verdicts.push(...(await judge(site, r)));
  }
  return verdicts;
}

describe('the runtime oracle on the example app', () => {
  it('finds every verdict confirmed by Postgres itself', async () => {
    const verdicts = await runOracle(report);
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
    const verdicts = await runOracle(staticReport);
    const wrong = verdicts.filter((v) => v.outcome === 'disagrees').map((v) => v.site);
    expect(wrong).toEqual(['src/services/comments.ts:9 (not-gated)', 'src/services/comments.ts:15 (not-gated)']);
  }, 300_000);
});
