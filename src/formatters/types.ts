import type { AuditReport } from '../walker/audit.js';

/** A formatter turns a report into the text written to stdout or a file. */
export type Formatter = (report: AuditReport, options: FormatterOptions) => string;

export interface FormatterOptions {
  color: boolean;
  /** Reads a source file for code frames; undefined when unavailable. */
  readSource: (file: string) => string | undefined;
}
