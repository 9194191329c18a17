import type { BaselineOutcome } from './baseline.js';
import type { SetAsideKind } from './set-aside.js';
import type { Finding, Report, WriteSite } from './types.js';

// The walker's report (the public contract of ../shared/contracts/audit-report.md): the core's
// Report plus what only a whole-tree run knows. Here, below the walker, so the formatters and
// the CLI read it without importing the walker.

export interface Diagnostic {
  file: string;
  message: string;
}

export type AuditSite = WriteSite & { evidence: string; callPath: string[]; crossFile: boolean; sql: string[] };

export interface AuditReport extends Report {
  /** Inputs that could not be read or parsed; the audit went on without them. */
  diagnostics: Diagnostic[];
  writeSites: AuditSite[];
  /**
   * Writes in tests, seeds and code migrations, left out of `writeSites` and the summary's counts (see
   * `includeWritesFrom`).
   */
  setAsideWriteSites?: (AuditSite & { setAside: SetAsideKind })[];
  /** Findings an inline suppression silenced, each with its reason; never counted in the summary. */
  suppressedFindings: (Finding & { suppressed: { reason: string } })[];
  /** Set when a baseline was applied: what it hid and which of its entries no longer occur. */
  baseline?: BaselineOutcome;
  /**
   * A shard's report (`--shard i/n`): what `rls-guard merge` needs to rebuild the whole report.
   * `parts` are the walker's report parts (src/walker/assemble.ts), plain data.
   */
  partial?: { shard: { index: number; count: number }; key: string; parts: unknown };
  /** With --changed-since: the ref and the files the report covers. */
  changedSince?: { ref: string; files: string[] };
}
