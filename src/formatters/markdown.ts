import { docsUrl } from '../../rules/rule.js';
import { coverageRows, percent } from '../report/coverage.js';
import type { Finding } from '../report/types.js';
import type { AuditReport } from '../report/audit-report.js';
import { ciPath } from './paths.js';
import type { Formatter, FormatterOptions } from './types.js';

// A summary for a pull request comment or a CI job summary: the new findings, coverage per
// table, and what the baseline hides, so a reviewer sees the debt as well as the change.

const MAX_LISTED = 50;

export const markdown: Formatter = (report, options) => `${markdownSummary(report, options)}\n`;

export function markdownSummary(report: AuditReport, options: FormatterOptions): string {
  const s = report.summary;
  const out: string[] = [];
  const status = s.errors > 0 ? '❌' : s.warnings > 0 || s.incomplete > 0 ? '⚠️' : '✅';
  const counts = `${plural(s.errors, 'error')}, ${plural(s.warnings, 'warning')}`;
  out.push(`### ${status} rls-guard: ${counts}${s.incomplete ? `, incomplete audit` : ''}`);
  out.push('');
  if (report.incomplete.length) {
    const inputs = plural(report.incomplete.length, 'input');
    out.push(`**Incomplete audit**: ${inputs} skipped or read in part, so writes there were not checked:`, '');
    for (const i of report.incomplete.slice(0, MAX_LISTED))
      out.push(
        `- \`${ciPath(report, i.file, options)}${i.line ? `:${i.line}` : ''}\` (${i.kind}): ${inline(i.reason)}`,
      );
    if (report.incomplete.length > MAX_LISTED)
      out.push(`- … and ${report.incomplete.length - MAX_LISTED} more (see the full report)`);
    out.push('');
  }
  const hides = s.baselined ? `; the baseline hides ${plural(s.baselined, 'known finding')}` : '';
  const scope = `${plural(s.writeSites, 'write')} in ${plural(s.files, 'file')}${hides}`;
  out.push(
    `**Write-path coverage ${percent(s.covered, s.gatedWriteSites)}**: ` +
      `${s.covered} of ${s.gatedWriteSites} writes to RLS-gated tables run in org context (${scope}).`,
  );
  out.push('');
  out.push(`#### ${report.baseline ? 'New findings' : 'Findings'} (${report.findings.length})`);
  out.push('');
  if (report.findings.length === 0) out.push(report.baseline ? 'None: nothing beyond the baseline.' : 'None.');
  for (const f of report.findings.slice(0, MAX_LISTED)) out.push(findingLine(f, report, options));
  if (report.findings.length > MAX_LISTED)
    out.push(`- … and ${report.findings.length - MAX_LISTED} more (see the full report)`);
  out.push('');
  out.push('#### Coverage per table');
  out.push('');
  out.push('| Table | Writes | Org scope | Definer | Admin | Unscoped | Unresolved | Coverage |');
  out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of coverageRows(report)) {
    const counts = [r.sites, r.orgScope, r.definer, r.admin, r.unscoped, r.unresolved, percent(r.covered, r.sites)];
    out.push(`| \`${cell(r.table)}\` | ${counts.join(' | ')} |`);
  }
  const all = percent(s.covered, s.gatedWriteSites);
  out.push(`| **All gated write paths** | **${s.gatedWriteSites}** | | | | | | **${all}** |`);
  if (report.baseline) out.push('', ...baselineSection(report, options));
  const suppressed = report.suppressedFindings.length;
  if (suppressed) out.push('', `${plural(suppressed, 'finding')} suppressed inline with a reason.`);
  return out.join('\n');
}

function findingLine(f: Finding, report: AuditReport, options: FormatterOptions): string {
  const icon = f.severity === 'error' ? '❌' : '⚠️';
  const at = `${ciPath(report, f.file, options)}:${f.line}`;
  return `- ${icon} \`${at}\` [${f.ruleId}](${docsUrl(f.ruleId)}): ${inline(f.message)}`;
}

function baselineSection(report: AuditReport, options: FormatterOptions): string[] {
  const b = report.baseline!;
  const out = ['#### Hidden by the baseline', ''];
  if (b.hidden.length === 0) out.push(`The baseline \`${b.file}\` hides nothing.`);
  else {
    const errors = b.hidden.filter((f) => f.severity === 'error').length;
    const split = `${plural(errors, 'error')}, ${plural(b.hidden.length - errors, 'warning')}`;
    out.push(`The baseline \`${b.file}\` hides ${plural(b.hidden.length, 'known finding')} (${split}):`, '');
    out.push('| File | Rule | Hidden |', '| --- | --- | ---: |');
    const counts = new Map<string, number>();
    for (const f of b.hidden) {
      const k = `\`${ciPath(report, f.file, options)}\` | ${f.ruleId}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    for (const [k, n] of [...counts].sort(([a], [c]) => a.localeCompare(c))) out.push(`| ${k} | ${n} |`);
  }
  if (b.stale.length) {
    const one = b.stale.length === 1;
    const entries = `${plural(b.stale.length, 'baseline entry', 'baseline entries')} no longer occur${one ? 's' : ''}`;
    const prune = `\`rls-guard audit --baseline ${b.file} --prune-baseline\``;
    out.push('', `${entries} (fixed): drop ${one ? 'it' : 'them'} with ${prune}.`);
  }
  return out;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * Text safe inside a markdown list item or table cell. Backslash escapes are literal inside
 * code spans, so `ALTER TABLE public.api_keys …` keeps its underscores; only a pipe, which
 * would end a table cell even there, is escaped in a span.
 */
function inline(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 === 1 ? part.replace(/\|/g, '\\|') : part.replace(/([<>|*_[\]])/g, '\\$1')))
    .join('');
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}
