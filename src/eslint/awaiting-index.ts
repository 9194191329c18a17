import type { CoreFinding, CoreResult } from '../analysis/index.js';

// While the project index is still being built (its time budget ran out), or if it failed,
// the sites other files could change cannot be decided. Failing closed, each is reported
// unresolved with a message that says why (rules/no-unresolved-write.ts); the file's other
// findings stand. Suppressions apply to these as to every finding (src/eslint/report-findings.ts).

/** Why the index cannot decide: still building (`read`, `total`) or failed (`error`). */
export type IndexWait =
  | { messageId: 'indexBuilding'; data: { read: string; total: string } }
  | { messageId: 'indexFailed'; data: { error: string } };

export function awaitingIndex(local: CoreResult, why: IndexWait): CoreFinding[] {
  const findings = [...local.findings];
  for (const site of local.sites) {
    // An unscoped or unresolved verdict found in this file stands (and is already reported).
    if (!site.crossFile || site.coverage === 'unscoped' || (!site.deferred && site.coverage === 'unresolved')) continue;
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
