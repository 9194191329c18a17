import type ts from 'typescript';
import type { CoreFinding, CoreResult } from '../analysis/index.js';
import { findSuppressions, suppressionFor } from '../report/suppressions.js';

const WRITE_RULES = new Set(['no-unscoped-write', 'no-unresolved-write']);

// While the project index is still being built (its time budget ran out), or if it failed,
// the sites other files could change cannot be decided. Failing closed, each is reported
// unresolved with a message that says why; the file's other findings stand. The same when the
// index decided them but could not read every project file (a passing verdict is not proven).

/**
 * `why` completes "…depends on other files (…), and <why>." `decided`: the findings of the
 * project index when it did analyse the file but cannot vouch for a pass (a project file it
 * cannot read); a cross-file site it reported stands, one it passed becomes unresolved.
 */
export function awaitingIndex(local: CoreResult, sf: ts.SourceFile, strict: boolean, why: string, decided?: CoreFinding[]): CoreFinding[] {
  const suppressions = findSuppressions(sf);
  const findings = [...(decided ?? local.findings)];
  const reported = new Set((decided ?? []).filter((f) => WRITE_RULES.has(f.ruleId)).map((f) => `${f.line}:${f.column}`));
  const usedLines = new Set<number>();
  for (const site of local.sites) {
    if (!site.crossFile) continue;
    // A verdict that fails stands (and is already reported): unscoped or unresolved in this file, or in the index's analysis.
    if (decided ? reported.has(`${site.line}:${site.column}`) : site.coverage === 'unscoped' || (!site.deferred && site.coverage === 'unresolved')) continue;
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
