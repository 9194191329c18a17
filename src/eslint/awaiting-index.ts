import type ts from 'typescript';
import type { CoreFinding, CoreResult } from '../analysis/index.js';
import { findSuppressions, suppressionFor } from '../report/suppressions.js';

// While the project index is still being built (its time budget ran out), or if it failed,
// the sites other files could change cannot be decided. Failing closed, each is reported
// unresolved with a message that says why; the file's other findings stand.

/** `why` completes "…depends on other files (…), and <why>." */
export function awaitingIndex(local: CoreResult, sf: ts.SourceFile, strict: boolean, why: string): CoreFinding[] {
  const suppressions = findSuppressions(sf);
  const findings = [...local.findings];
  const usedLines = new Set<number>();
  for (const site of local.sites) {
    // An unscoped or unresolved verdict found in this file stands (and is already reported).
    if (!site.crossFile || site.coverage === 'unscoped' || (!site.deferred && site.coverage === 'unresolved')) continue;
    const s = suppressionFor(suppressions, 'no-unresolved-write', site.line);
    if (s) {
      usedLines.add(s.line);
      continue;
    }
    const what = site.tables.length ? `${site.operation.toUpperCase()} on ${site.tables.join(', ')}` : 'A database write';
    findings.push({
      ruleId: 'no-unresolved-write',
      severity: strict ? 'error' : 'warning',
      file: site.file,
      line: site.line,
      column: site.column,
      endLine: site.endLine,
      endColumn: site.endColumn,
      message: `${what} cannot be verified yet: its verdict depends on other files (${site.evidence}), and ${why}.`,
      fingerprint: site.fingerprint,
      suppressed: null,
    });
  }
  // A suppression that covers a pending site is not unused.
  return findings.filter((f) => !(f.ruleId === 'no-unused-suppression' && usedLines.has(f.line)));
}
