import type { SetAsideSummary } from './set-aside.js';
// The audit report: a public contract (see ../shared/contracts/audit-report.md).
// Add fields freely; never rename or remove one without a major version.

export type Operation = 'insert' | 'update' | 'delete' | 'merge' | 'truncate' | 'copy' | 'call';
export type Coverage = 'org-scope' | 'security-definer' | 'admin-pool' | 'unscoped' | 'unresolved' | 'not-gated';
export type Severity = 'error' | 'warning';
export type SourceKind = 'migrations' | 'database' | 'config' | 'pack';

export interface Location {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export interface WriteSite extends Location {
  operation: Operation;
  tables: string[];
  gated: boolean;
  api: string;
  coverage: Coverage;
  via: string | null;
  suppressed: { reason: string } | null;
  fingerprint: string;
  /** Why the verdict is what it is, in one sentence (not part of the contract's required fields). */
  evidence?: string;
}

export interface Finding extends Location {
  ruleId: string;
  severity: Severity;
  message: string;
  fingerprint: string;
  suppressed?: { reason: string } | null;
}

export interface ReportSchema {
  gatedTables: string[];
  forcedTables: string[];
  securityDefinerFunctions: string[];
  /**
   * Which source each fact came from: `method` says how it was read; `facts` lists the objects a fallback source
   * supplied.
   */
  sources: {
    kind: SourceKind;
    ref: string;
    method?: 'replay' | 'static' | 'database' | 'snapshot';
    facts?: string[];
  }[];
}

export interface Summary {
  files: number;
  writeSites: number;
  gatedWriteSites: number;
  covered: number;
  /** covered / gatedWriteSites; null when there are no gated write sites (nothing to cover is not 100 %). */
  coverage: number | null;
  /** Length of `incomplete`: inputs skipped or read only in part. */
  incomplete: number;
  errors: number;
  warnings: number;
  /** Findings left out of `findings` because the baseline (`--baseline FILE`) records them. */
  baselined: number;
  durationMs: number;
  /** Tests, seeds and code migrations whose writes were left out of the counts above (see `includeWritesFrom`). */
  setAside?: SetAsideSummary;
}

export type IncompleteKind = 'migration' | 'source' | 'config' | 'database';

/** An input the audit skipped or read only in part: its all-clear cannot be trusted. */
export interface IncompleteItem {
  file: string;
  line?: number;
  kind: IncompleteKind;
  reason: string;
}

export interface Report {
  tool: { name: 'rls-guard'; version: string };
  root: string;
  schema: ReportSchema;
  writeSites: WriteSite[];
  findings: Finding[];
  /** Every input skipped or read only in part; [] when none. */
  incomplete: IncompleteItem[];
  summary: Summary;
}
