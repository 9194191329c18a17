import path from 'node:path';
import type { AuditReport } from '../report/audit-report.js';
import type { FormatterOptions } from './types.js';

/**
 * A report path as CI tools want it: relative to the checkout they run in, with `/`.
 * The report's own paths are relative to the audit root, which may be a subfolder.
 */
export function ciPath(report: AuditReport, file: string, options: FormatterOptions): string {
  const abs = path.resolve(report.root, file);
  const rel = path.relative(path.resolve(options.cwd ?? process.cwd()), abs);
  // Outside the checkout a relative path would climb out of it; the absolute one is honest.
  return (rel.startsWith('..') || path.isAbsolute(rel) ? abs : rel).split(path.sep).join('/');
}
