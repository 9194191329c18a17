import { codeFrameColumns } from '@babel/code-frame';
import pc from 'picocolors';
import type { Finding } from '../report/types.js';
import type { AuditReport } from '../walker/audit.js';
import type { Formatter } from './types.js';

// Findings grouped by file with a code frame, then write-path coverage per table and in total.

export const text: Formatter = (report, options) => {
  const c = pc.createColors(options.color);
  const out: string[] = [];
  const byFile = new Map<string, Finding[]>();
  for (const f of report.findings) byFile.set(f.file, [...(byFile.get(f.file) ?? []), f]);
  for (const [file, findings] of byFile) {
    out.push(c.underline(file));
    const source = options.readSource(file);
    for (const f of findings) {
      const sev = f.severity === 'error' ? c.red('error') : c.yellow('warning');
      out.push(`  ${c.dim(`${f.line}:${f.column}`)}  ${sev}  ${f.message}  ${c.dim(f.ruleId)}`);
      if (source !== undefined) {
        const frame = codeFrameColumns(source, { start: { line: f.line, column: f.column }, end: { line: f.endLine ?? f.line, column: f.endColumn ?? f.column } }, { highlightCode: options.color, linesAbove: 1, linesBelow: 1 });
        out.push(frame.split('\n').map((l) => `    ${l}`).join('\n'));
      }
      out.push('');
    }
  }
  if (report.diagnostics.length > 0) {
    out.push(c.bold('Inputs skipped or partly read'));
    for (const d of report.diagnostics) out.push(`  ${d.file}: ${d.message}`);
    out.push('');
  }
  out.push(coverageTable(report, c));
  const { errors, warnings } = report.summary;
  const suppressed = report.writeSites.filter((s) => s.suppressed).length;
  const tail = `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}${suppressed ? `, ${suppressed} suppressed` : ''} in ${report.summary.files} files (${report.summary.durationMs} ms)`;
  out.push(errors > 0 ? c.red(c.bold(`✖ ${tail}`)) : warnings > 0 ? c.yellow(c.bold(`⚠ ${tail}`)) : c.green(c.bold(`✔ ${tail}`)));
  return `${out.join('\n')}\n`;
};

export interface CoverageRow {
  table: string;
  sites: number;
  covered: number;
  orgScope: number;
  definer: number;
  admin: number;
  unscoped: number;
  unresolved: number;
}

/** Write-path coverage per gated table; unresolved writes with unknown tables are listed as "(unknown table)". */
export function coverageRows(report: AuditReport): CoverageRow[] {
  const rows = new Map<string, CoverageRow>();
  const row = (table: string): CoverageRow => {
    let r = rows.get(table);
    if (!r) rows.set(table, (r = { table, sites: 0, covered: 0, orgScope: 0, definer: 0, admin: 0, unscoped: 0, unresolved: 0 }));
    return r;
  };
  const gated = new Set(report.schema.gatedTables);
  for (const s of report.writeSites) {
    if (s.coverage === 'not-gated') continue;
    const tables = s.coverage === 'security-definer' ? [`${s.via ?? 'definer'}()`] : s.tables.filter((t) => gated.has(t));
    for (const t of tables.length ? tables : ['(unknown table)']) {
      const r = row(t);
      r.sites++;
      if (s.coverage === 'org-scope') r.orgScope++;
      else if (s.coverage === 'security-definer') r.definer++;
      else if (s.coverage === 'admin-pool') r.admin++;
      else if (s.coverage === 'unscoped') r.unscoped++;
      else r.unresolved++;
    }
  }
  for (const r of rows.values()) r.covered = r.orgScope + r.definer + r.admin;
  return [...rows.values()].sort((a, b) => a.table.localeCompare(b.table));
}

function coverageTable(report: AuditReport, c: ReturnType<typeof pc.createColors>): string {
  const rows = coverageRows(report);
  const head = ['table', 'writes', 'org-scope', 'definer', 'admin', 'unscoped', 'unresolved', 'coverage'];
  const pct = (n: number, d: number): string => (d === 0 ? '100.0%' : `${((n / d) * 100).toFixed(1)}%`);
  const body = rows.map((r) => [r.table, r.sites, r.orgScope, r.definer, r.admin, r.unscoped, r.unresolved, pct(r.covered, r.sites)].map(String));
  const s = report.summary;
  const notGated = report.writeSites.filter((w) => w.coverage === 'not-gated').length;
  const total = ['All gated write paths', s.gatedWriteSites, ...siteCounts(report), pct(s.covered, s.gatedWriteSites)].map(String);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length), total[i]!.length));
  const fmt = (cells: string[]): string => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  return [c.bold('Write-path coverage'), c.bold(fmt(head)), rule, ...body.map(fmt), rule, c.bold(fmt(total)), c.dim(`${s.writeSites} write sites in all; ${notGated} on tables without RLS.`), ''].join('\n');
}

function siteCounts(report: AuditReport): number[] {
  const count = (coverage: string): number => report.writeSites.filter((w) => w.coverage === coverage).length;
  return ['org-scope', 'security-definer', 'admin-pool', 'unscoped', 'unresolved'].map(count);
}
