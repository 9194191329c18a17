import type { AuditReport } from '../report/audit-report.js';

/** A formatter turns a report into the text written to stdout or a file. */
export type Formatter = (report: AuditReport, options: FormatterOptions) => string;

export interface FormatterOptions {
  color: boolean;
  /** Reads a source file (a path relative to the report's root) for code frames; undefined when unavailable. */
  readSource: (file: string) => string | undefined;
  /**
   * The folder CI tools resolve paths against (the repository checkout); SARIF, GitHub and
   * GitLab outputs name files relative to it. Default: the process's working directory.
   */
  cwd?: string;
}
