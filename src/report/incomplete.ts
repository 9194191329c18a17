import type { Finding, IncompleteItem } from './types.js';
import { fingerprint } from './fingerprint.js';

// An audit that skipped or only partly read an input cannot vouch for what it did not see:
// each gap becomes a `no-incomplete-audit` finding, an error unless the user explicitly
// accepts gaps (`--allow-incomplete`), so an incomplete run is never an all-clear.

/** What a gap of each kind can hide. */
const HIDES: Record<IncompleteItem['kind'], string> = {
  source: 'Writes in the part not read are not checked',
  migration: 'Tables it would gate may be missing from the RLS model, so writes to them go unchecked',
  config: 'The scope helpers, admin connections and gated tables it declares are unknown',
  database: 'Tables it would gate may be missing from the RLS model, so writes to them go unchecked',
};

const FIX: Record<IncompleteItem['kind'], string> = {
  source: 'fix the file, raise `maxFileBytes` in the config, or leave it out with `ignore`',
  migration: 'fix the migration, or point `migrations` in the config at the right files',
  config: 'use a JSON configuration (rls-guard.config.json)',
  database: 'check the database the RLS model is read from',
};

/** The findings that make an incomplete audit fail: one per gap, in report order. */
export function incompleteFindings(items: readonly IncompleteItem[], options: { allow: boolean }): Finding[] {
  return items.map((item) => ({
    ruleId: 'no-incomplete-audit',
    severity: options.allow ? 'warning' : 'error',
    file: item.file,
    line: item.line ?? 1,
    column: 1,
    endLine: item.line ?? 1,
    endColumn: 1,
    message: message(item, options.allow),
    // Reasons carry sizes and line numbers; the kind and file say what the gap is about.
    fingerprint: fingerprint(['no-incomplete-audit', item.kind, item.file, item.reason.replace(/\d+/g, '#')]),
  }));
}

function message(item: IncompleteItem, allow: boolean): string {
  const accept = allow ? '' : ' (or accept the gap with --allow-incomplete)';
  // A gap of the whole model (no migrations, no gated tables) names its own cause and fix.
  if (item.file === '.' || item.reason.startsWith('no ')) return `The audit is incomplete: ${item.reason}${accept}.`;
  const noun = item.kind === 'source' ? 'source file' : item.kind === 'config' ? 'configuration' : item.kind;
  return `The audit did not read all of this ${noun}: ${item.reason}. ${HIDES[item.kind]}, so this run is no all-clear. Fix: ${FIX[item.kind]}${accept}.`;
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
  return out.sort((a, b) => a.file.localeCompare(b.file) || (a.line ?? 0) - (b.line ?? 0) || a.reason.localeCompare(b.reason));
}
