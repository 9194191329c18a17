import path from 'node:path';
import { docsUrl } from '../../rules/rule.js';
import { coverageBy, type CoverageCounts, coverageRows, emptyCounts } from '../report/coverage.js';
import { evidenceFor, type EvidenceLocation } from '../report/evidence.js';
import type { Finding } from '../report/types.js';
import type { AuditReport } from '../report/audit-report.js';
import { HTML_SCRIPT, HTML_STYLE } from './html-assets.js';
import type { Formatter, FormatterOptions } from './types.js';

// Nothing but the inlined style and script, and images as data URLs: the page loads nothing from anywhere.
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

// One self-contained page that reads like a test-coverage report: totals, then coverage per
// table, folder and file, drilling down to the source with every write site marked covered
// (and by what) or not, and the findings with their evidence. No network, no external
// assets: the data is embedded as JSON and rendered by an inline script.

export interface HtmlData {
  title: string;
  tool: AuditReport['tool'];
  summary: AuditReport['summary'];
  suppressed: number;
  baseline: { file: string; hidden: number; stale: number } | null;
  tables: ReturnType<typeof coverageRows>;
  folders: { path: string; counts: CoverageCounts }[];
  files: { path: string; counts: CoverageCounts; errors: number; warnings: number }[];
  sites: (Pick<
    AuditReport['writeSites'][number],
    'file' | 'line' | 'column' | 'endLine' | 'operation' | 'tables' | 'coverage' | 'via' | 'evidence' | 'callPath'
  > & { suppressed: string | null })[];
  findings: (Finding & { docs: string; evidence: EvidenceLocation[]; suppressedBy: string | null })[];
  sources: Record<string, string | null>;
  diagnostics: AuditReport['diagnostics'];
  incomplete: AuditReport['incomplete'];
}

export const html: Formatter = (report, options) => {
  const data = htmlData(report, options);
  // `</script` inside the JSON would end the script element early; `<\/` is the same JSON.
  const json = JSON.stringify(data)
    .replace(/<\/(script)/gi, '<\\/$1')
    .replace(/<!--/g, '<\\!--');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<title>${escapeHtml(data.title)}</title>
<style>${HTML_STYLE}</style>
</head>
<body>
<header><h1>rls-guard <span class="muted">write-path coverage</span></h1><nav id="crumbs"></nav></header>
<main id="app"><noscript>This report needs JavaScript to render; the raw data is in the page source.</noscript></main>
<script type="application/json" id="report-data">${json}</script>
<script>${HTML_SCRIPT}</script>
</body>
</html>
`;
};

export function htmlData(report: AuditReport, options: FormatterOptions): HtmlData {
  const folders = coverageBy(report.writeSites, (s) => ancestors(s.file));
  const files = coverageBy(report.writeSites, (s) => [s.file]);
  const all = [
    ...report.findings.map((f) => ({ f, suppressedBy: null as string | null })),
    ...report.suppressedFindings.map((f) => ({ f, suppressedBy: `suppressed: ${f.suppressed.reason}` })),
    ...(report.baseline?.hidden ?? []).map((f) => ({
      f,
      suppressedBy: `recorded in the baseline ${report.baseline!.file}`,
    })),
  ];
  const findings = all.map(({ f, suppressedBy }) => ({
    ...f,
    docs: docsUrl(f.ruleId),
    evidence: evidenceFor(f, report.writeSites),
    suppressedBy,
  }));
  // A file with findings but no write site (a misplaced set_config, a bad suppression) is listed too.
  for (const f of findings) if (!files.has(f.file) && !f.file.endsWith('.sql')) files.set(f.file, emptyCounts());
  const wanted = new Set<string>([
    ...files.keys(),
    ...findings.flatMap((f) => [f.file, ...f.evidence.map((e) => e.file)]),
  ]);
  const sources: Record<string, string | null> = {};
  for (const file of [...wanted].sort()) sources[file] = options.readSource(file) ?? null;
  const count = (file: string, severity: string): number =>
    report.findings.filter((f) => f.file === file && f.severity === severity).length;
  const coverage = report.summary.coverage;
  const covered = coverage === null ? 'no gated writes' : `${(coverage * 100).toFixed(1)}% of gated writes covered`;
  return {
    title: `rls-guard: ${path.basename(report.root)}, ${covered}${report.incomplete.length ? ' (INCOMPLETE)' : ''}`,
    incomplete: report.incomplete,
    tool: report.tool,
    summary: report.summary,
    suppressed: report.suppressedFindings.length,
    baseline: report.baseline
      ? { file: report.baseline.file, hidden: report.baseline.hidden.length, stale: report.baseline.stale.length }
      : null,
    tables: coverageRows(report),
    folders: [...folders].map(([p, counts]) => ({ path: p, counts })).sort((a, b) => a.path.localeCompare(b.path)),
    files: [...files]
      .map(([p, counts]) => ({ path: p, counts, errors: count(p, 'error'), warnings: count(p, 'warning') }))
      .sort((a, b) => a.path.localeCompare(b.path)),
    sites: report.writeSites.map((s) => ({
      file: s.file,
      line: s.line,
      column: s.column,
      endLine: s.endLine,
      operation: s.operation,
      tables: s.tables,
      coverage: s.coverage,
      via: s.via,
      evidence: s.evidence,
      callPath: s.callPath,
      suppressed: s.suppressed?.reason ?? null,
    })),
    findings,
    sources,
    diagnostics: report.diagnostics,
  };
}

/** Every folder above a file, outermost first ("src", "src/services"); "." for files at the root. */
function ancestors(file: string): string[] {
  const parts = file.split('/').slice(0, -1);
  if (parts.length === 0) return ['.'];
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
