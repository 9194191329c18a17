import type { CoreFinding, CoreResult } from '../analysis/index.js';

const WRITE_RULES = new Set(['no-unscoped-write', 'no-unresolved-write']);

// While the project index is still being built (its time budget ran out), or if it failed,
// the sites other files could change cannot be decided. Failing closed, each is reported
// unresolved with a message that says why (rules/no-unresolved-write.ts); the file's other
// findings stand. The same when the index decided them but could not read every project file
// (a passing verdict is not proven). Suppressions apply to these as to every finding
// (src/eslint/report-findings.ts).

/**
 * Why the index cannot decide: still building (`read`, `total`), failed (`error`), or blind to some callers (`unseen`).
 */
export type IndexWait =
  | { messageId: 'indexBuilding'; data: { read: string; total: string; builder: string } }
  | { messageId: 'indexFailed'; data: { error: string } }
  | { messageId: 'indexUnseen'; data: { unseen: string } };

/**
 * `decided`: the findings of the project index when it did analyse the file but cannot vouch
 * for a pass (a project file it cannot read); a cross-file site it reported stands, one it
 * passed becomes unresolved.
 */
export function awaitingIndex(local: CoreResult, why: IndexWait, decided?: CoreFinding[]): CoreFinding[] {
  const findings = [...(decided ?? local.findings)];
  const reported = new Set(
    (decided ?? []).filter((f) => WRITE_RULES.has(f.ruleId)).map((f) => `${f.line}:${f.column}`),
  );
  for (const site of local.sites) {
    if (!site.crossFile) continue;
    // A verdict that fails stands (and is already reported): unscoped or unresolved in this file, or in the index's
    // analysis.
    const stands = decided
      ? reported.has(`${site.line}:${site.column}`)
      : site.coverage === 'unscoped' || (!site.deferred && site.coverage === 'unresolved');
    if (stands) continue;
    const operation = site.operation.toUpperCase();
    const write = site.tables.length ? `${operation} on ${site.tables.join(', ')}` : 'A database write';
    const { file, line, column, endLine, endColumn, fingerprint } = site;
    findings.push({
      ruleId: 'no-unresolved-write',
      messageId: why.messageId,
      data: { write, evidence: site.evidence, ...why.data },
      ...{ file, line, column, endLine, endColumn, fingerprint },
      site: fingerprint,
    });
  }
  return findings;
}
