import fs from 'node:fs';
import type { Finding } from '../report/types.js';
import type { AuditReport } from '../report/audit-report.js';
import { percent } from '../report/coverage.js';
import { markdownSummary, plural } from './markdown.js';
import { ciPath } from './paths.js';
import type { Formatter, FormatterOptions } from './types.js';

// GitHub Actions workflow commands: one ::error/::warning per finding becomes an annotation
// on the pull request's diff. GitHub shows only 10 of each per step, so the job summary
// (writeStepSummary) carries the full picture.

export const github: Formatter = (report, options) => {
  const lines = report.findings.map((f) => command(f, report, options));
  const s = report.summary;
  const gaps = s.incomplete ? `; INCOMPLETE: ${plural(s.incomplete, 'input')} skipped or read in part` : '';
  const counts = `${plural(s.errors, 'error')}, ${plural(s.warnings, 'warning')}`;
  const coverage = `write-path coverage ${percent(s.covered, s.gatedWriteSites)} (${s.covered}/${s.gatedWriteSites})`;
  const hidden = s.baselined ? `; ${plural(s.baselined, 'finding')} hidden by the baseline` : '';
  lines.push(`::notice title=rls-guard::${escapeData(`${counts}; ${coverage}${gaps}${hidden}`)}`);
  return `${lines.join('\n')}\n`;
};

function command(f: Finding, report: AuditReport, options: FormatterOptions): string {
  const props = [
    `file=${ciPath(report, f.file, options)}`,
    `line=${f.line}`,
    `col=${f.column}`,
    ...(f.endLine === f.line ? [`endColumn=${f.endColumn}`] : []),
    `endLine=${f.endLine}`,
    `title=rls-guard ${f.ruleId}`,
  ];
  return `::${f.severity} ${props.map(escapeProperty).join(',')}::${escapeData(f.message)}`;
}

/** Appends the markdown summary to $GITHUB_STEP_SUMMARY when the job has one; returns whether it did. */
export function writeStepSummary(
  report: AuditReport,
  options: FormatterOptions,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  const file = env.GITHUB_STEP_SUMMARY;
  if (!file) return false;
  fs.appendFileSync(file, `${markdownSummary(report, options)}\n`);
  return true;
}

// The escapes of @actions/core's command.ts: data may not hold newlines; property values
// may not hold the `,` and `:` that delimit them.
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(kv: string): string {
  const eq = kv.indexOf('=');
  return `${kv.slice(0, eq)}=${escapeData(kv.slice(eq + 1))
    .replace(/:/g, '%3A')
    .replace(/,/g, '%2C')}`;
}
