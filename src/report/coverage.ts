import type { Report, WriteSite } from './types.js';

// Write-path coverage, counted like test coverage: per table, and per any grouping of the
// write sites (folder, file) for the HTML report. Sites on tables without RLS do not count.

export interface CoverageCounts {
  sites: number;
  covered: number;
  orgScope: number;
  definer: number;
  admin: number;
  unscoped: number;
  unresolved: number;
}

export interface CoverageRow extends CoverageCounts {
  table: string;
}

export function emptyCounts(): CoverageCounts {
  return { sites: 0, covered: 0, orgScope: 0, definer: 0, admin: 0, unscoped: 0, unresolved: 0 };
}

/** Adds one gated write site to the counts. */
export function count(into: CoverageCounts, site: Pick<WriteSite, 'coverage'>): void {
  if (site.coverage === 'not-gated') return;
  into.sites++;
  if (site.coverage === 'org-scope') into.orgScope++;
  else if (site.coverage === 'security-definer') into.definer++;
  else if (site.coverage === 'admin-pool') into.admin++;
  else if (site.coverage === 'unscoped') into.unscoped++;
  else into.unresolved++;
  into.covered = into.orgScope + into.definer + into.admin;
}

/** Write-path coverage per gated table; unresolved writes with unknown tables are listed as "(unknown table)". */
export function coverageRows(report: Pick<Report, 'schema' | 'writeSites'>): CoverageRow[] {
  const rows = new Map<string, CoverageRow>();
  const gated = new Set(report.schema.gatedTables);
  for (const s of report.writeSites) {
    if (s.coverage === 'not-gated') continue;
    const tables =
      s.coverage === 'security-definer' ? [`${s.via ?? 'definer'}()`] : s.tables.filter((t) => gated.has(t));
    for (const table of tables.length ? tables : ['(unknown table)']) {
      let r = rows.get(table);
      if (!r) rows.set(table, (r = { table, ...emptyCounts() }));
      count(r, s);
    }
  }
  return [...rows.values()].sort((a, b) => a.table.localeCompare(b.table));
}

/** Coverage of the sites grouped by a key (a file, a folder); groups without gated writes are kept. */
export function coverageBy<S extends Pick<WriteSite, 'coverage'>>(
  sites: readonly S[],
  keys: (site: S) => string[],
): Map<string, CoverageCounts> {
  const groups = new Map<string, CoverageCounts>();
  for (const s of sites) {
    for (const k of keys(s)) {
      let g = groups.get(k);
      if (!g) groups.set(k, (g = emptyCounts()));
      count(g, s);
    }
  }
  return groups;
}

/** Coverage as a percentage; "n/a" over no gated writes, where 100 % would claim a check that never happened. */
export function percent(covered: number, sites: number): string {
  return sites === 0 ? 'n/a' : `${((covered / sites) * 100).toFixed(1)}%`;
}
