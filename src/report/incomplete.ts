import type { RuleFinding } from './rule-finding.js';
import type { IncompleteItem } from './types.js';
import { fingerprint } from './fingerprint.js';

// An audit that skipped or only partly read an input cannot vouch for what it did not see:
// each gap becomes a `no-incomplete-audit` finding, an error unless the user explicitly
// accepts gaps (`--allow-incomplete`, which the walker applies), so an incomplete run is
// never an all-clear.

/** The message of each kind of gap (rules/no-incomplete-audit.ts): what it can hide and how to fix it. */
const MESSAGE: Record<IncompleteItem['kind'], string> = {
  source: 'sourceGap',
  migration: 'migrationGap',
  config: 'configGap',
  database: 'databaseGap',
};

/**
 * The findings that make an incomplete audit fail: one per gap, in report order. `acceptHint`:
 * the message mentions --allow-incomplete (the walker's, when gaps are not yet accepted).
 */
export function incompleteFindings(items: readonly IncompleteItem[], options: { acceptHint: boolean }): RuleFinding[] {
  const accept = options.acceptHint ? ' (or accept the gap with --allow-incomplete)' : '';
  return items.map((item) => ({
    ruleId: 'no-incomplete-audit',
    // A gap of the whole model (no migrations, no gated tables) names its own cause and fix.
    messageId: item.file === '.' || item.reason.startsWith('no ') ? 'modelGap' : MESSAGE[item.kind],
    data: { reason: item.reason, accept },
    file: item.file,
    line: item.line ?? 1,
    column: 1,
    endLine: item.line ?? 1,
    endColumn: 1,
    // Reasons carry sizes and line numbers; the kind and file say what the gap is about.
    fingerprint: fingerprint(['no-incomplete-audit', item.kind, item.file, item.reason.replace(/\d+/g, '#')]),
  }));
}

/** Items deduplicated (one gap per file, line and reason) and in a stable order. */
export function sortIncomplete(items: readonly IncompleteItem[]): IncompleteItem[] {
  const seen = new Set<string>();
  const out: IncompleteItem[] = [];
  for (const i of items) {
    const key = `${i.kind}\0${i.file}\0${i.line ?? 0}\0${i.reason}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(i);
  }
  return out.sort(
    (a, b) => a.file.localeCompare(b.file) || (a.line ?? 0) - (b.line ?? 0) || a.reason.localeCompare(b.reason),
  );
}
