import { codeFrameColumns } from '@babel/code-frame';
import pc from 'picocolors';
import type { Finding } from '../report/types.js';
import type { AuditReport } from '../report/audit-report.js';
import { coverageRows, percent } from '../report/coverage.js';
import { plural } from './markdown.js';
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
        const frame = codeFrameColumns(
          source,
          {
            start: { line: f.line, column: f.column },
            end: { line: f.endLine ?? f.line, column: f.endColumn ?? f.column },
          },
          { highlightCode: options.color, linesAbove: 1, linesBelow: 1 },
        );
        out.push(
          frame
            .split('\n')
            .map((l) => `    ${l}`)
            .join('\n'),
        );
      }
      out.push('');
    }
  }
  // Gaps first: every other figure below is only as good as what was read.
  if (report.incomplete.length > 0) {
    out.push(c.red(c.bold(`Incomplete audit: ${plural(report.incomplete.length, 'input')} skipped or read in part`)));
    for (const i of report.incomplete) out.push(`  ${i.file}${i.line ? `:${i.line}` : ''} (${i.kind}): ${i.reason}`);
    out.push('');
  }
  const gapKeys = new Set(report.incomplete.map((i) => `${i.file}\0${i.reason}`));
  const notes = report.diagnostics.filter(
    (d) =>
      !gapKeys.has(`${d.file}\0${d.message}`) &&
      !report.incomplete.some((i) => i.file === d.file && d.message.endsWith(i.reason)),
  );
  if (notes.length > 0) {
    out.push(c.bold('Notes on the inputs'));
    for (const d of notes) out.push(`  ${d.file}: ${d.message}`);
    out.push('');
  }
  out.push(coverageTable(report, c));
  const { errors, warnings } = report.summary;
  const suppressed = report.writeSites.filter((s) => s.suppressed).length;
  const baselined = report.summary.baselined;
  const gaps = report.summary.incomplete
    ? `, INCOMPLETE (${plural(report.summary.incomplete, 'input')} skipped or read in part)`
    : '';
  const hidden =
    (suppressed ? `, ${suppressed} suppressed` : '') + (baselined ? `, ${baselined} hidden by the baseline` : '');
  const where = `in ${plural(report.summary.files, 'file')} (${report.summary.durationMs} ms)`;
  const tail = `${plural(errors, 'error')}, ${plural(warnings, 'warning')}${hidden}${gaps} ${where}`;
  const stale = report.baseline?.stale.length ?? 0;
  if (stale) {
    const entries = `${stale} baseline entr${stale === 1 ? 'y no longer occurs' : 'ies no longer occur'}`;
    const prune = `--baseline ${report.baseline!.file} --prune-baseline`;
    out.push(c.yellow(`${entries} (fixed): drop ${stale === 1 ? 'it' : 'them'} with ${prune}`));
  }
  // Never a check mark over an incomplete audit, even when its gaps were allowed.
  out.push(
    errors > 0
      ? c.red(c.bold(`✖ ${tail}`))
      : warnings > 0 || report.summary.incomplete > 0
        ? c.yellow(c.bold(`⚠ ${tail}`))
        : c.green(c.bold(`✔ ${tail}`)),
  );
  return `${out.join('\n')}\n`;
};

function coverageTable(report: AuditReport, c: ReturnType<typeof pc.createColors>): string {
  const rows = coverageRows(report);
  const head = ['table', 'writes', 'org-scope', 'definer', 'admin', 'unscoped', 'unresolved', 'coverage'];
  const body = rows.map((r) =>
    [r.table, r.sites, r.orgScope, r.definer, r.admin, r.unscoped, r.unresolved, percent(r.covered, r.sites)].map(
      String,
    ),
  );
  const s = report.summary;
  const notGated = report.writeSites.filter((w) => w.coverage === 'not-gated').length;
  const total = [
    'All gated write paths',
    s.gatedWriteSites,
    ...siteCounts(report),
    percent(s.covered, s.gatedWriteSites),
  ].map(String);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length), total[i]!.length));
  const fmt = (cells: string[]): string =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  return [
    c.bold('Write-path coverage'),
    c.bold(fmt(head)),
    rule,
    ...body.map(fmt),
    rule,
    c.bold(fmt(total)),
    c.dim(`${plural(s.writeSites, 'write site')} in all; ${notGated} on tables without RLS.`),
    '',
  ].join('\n');
}

function siteCounts(report: AuditReport): number[] {
  const count = (coverage: string): number => report.writeSites.filter((w) => w.coverage === coverage).length;
  return ['org-scope', 'security-definer', 'admin-pool', 'unscoped', 'unresolved'].map(count);
}
