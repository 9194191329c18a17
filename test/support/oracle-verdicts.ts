import type { AuditReport } from '../../src/report/audit-report.js';
import { parseSql } from '../../src/sql/parser.js';
import { Oracle, renumberHoles, type Run, type Shape, type Site, stringConstants } from './oracle.js';

// How a write site's verdict is checked in Postgres (shared by every oracle suite):
//  - covered (org-scope, security-definer, admin-pool): succeeds, and changes exactly what
//    it changes with RLS bypassed (RLS filtered nothing away);
//  - unscoped: fails with a row-level security violation, or changes nothing where the
//    bypassed run changes something (the silent zero-row DELETE/UPDATE);
//  - not-gated: succeeds without any org context.

export const SHAPES: Record<string, Shape> = { 'org-scope': 'org-scope', 'admin-pool': 'bypass', 'security-definer': 'none', unscoped: 'none', 'not-gated': 'none' };

export interface Verdict {
  site: string;
  coverage: string;
  outcome: 'agrees' | 'disagrees' | 'inconclusive' | 'not executable';
  detail: string;
}

export async function judge(oracle: Oracle, site: Site, r: AuditReport): Promise<Verdict[]> {
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

/** Every resolved write site of a report, run in Postgres the way its verdict says the app runs it. */
export async function runOracle(oracle: Oracle, r: AuditReport): Promise<Verdict[]> {
  const verdicts: Verdict[] = [];
  for (const site of r.writeSites) {
    if (site.coverage === 'unresolved') continue;
    verdicts.push(...(await judge(oracle, site, r)));
  }
  return verdicts;
}
