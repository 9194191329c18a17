import path from 'node:path';
import { schemaFindings } from '../analysis/schema-findings.js';
import type { LoadedConfig } from '../config/load.js';
import { toPosixRelative } from '../files/paths.js';
import { incompleteFindings, sortIncomplete } from '../report/incomplete.js';
import type { RuleFinding } from '../report/rule-finding.js';
import { modelGaps, wholeModelGap } from '../schema/model-gaps.js';
import type { RlsModel } from '../schema/types.js';
import { configFor, modelFor } from './lint-analysis.js';

// The findings about the schema that sit on a TypeScript file ESLint lints: a Drizzle schema's table declaration, or
// the line of a code migration that enables RLS or did not replay. `rls-guard audit` reports them there
// (analysis/schema-findings.ts, schema/model-gaps.ts), and the editor must too (issue 13; on signacare's knex
// migrations 229 `no-owner-bypass` and 66 `no-incomplete-audit` findings, on midday's Drizzle schema 36
// `no-owner-bypass`, were the CLI's alone: docs/real-world.md, parity30). Both rest on the RLS model and the config
// only, which the plugin reads as the audit does. `no-unset-policy-setting` also rests on whether any code of the
// program sets the setting, which one file cannot tell: it stays the walker's.

/** The schema's rules the plugin reports besides the model's gaps (the others need the whole program). */
const ON_FILE_RULES = new Set(['no-owner-bypass']);

/** Per config: the model they were computed from, and the findings by project-relative file. */
const computed = new WeakMap<LoadedConfig, { model: RlsModel; byFile: Map<string, RuleFinding[]> }>();

/** The schema findings the audit reports on `filename`, as `file` (the name the linted file's findings carry). */
export function schemaFindingsOn(filename: string, file: string): RuleFinding[] {
  const loaded = configFor(path.dirname(filename));
  const model = modelFor(loaded);
  let hit = computed.get(loaded);
  if (!hit || hit.model !== model) {
    // Once per model and config, not once per linted file: most files have none.
    const byFile = new Map<string, RuleFinding[]>();
    // No setting is known to be set: the same call as the audit's (walker/audit.ts), whose candidates for
    // `no-unset-policy-setting` are then filtered by the program's settings; that rule is not reported here.
    const found = schemaFindings(model, loaded.config, new Set()).filter((f) => ON_FILE_RULES.has(f.ruleId));
    // The migrations the model read in part, as the audit lists them (sorted, each gap once). The whole model's gap is
    // reported apart, at the top of each file that writes (report-findings.ts), as the audit's one on the migrations
    // folder is not on a linted file.
    const whole = wholeModelGap(model);
    const gaps = modelGaps(model).filter((g) => !whole || g.file !== whole.file || g.reason !== whole.reason);
    // ESLint has no --allow-incomplete: the message does not offer it.
    found.push(...incompleteFindings(sortIncomplete(gaps), { acceptHint: false }));
    for (const f of found) byFile.set(f.file, [...(byFile.get(f.file) ?? []), f]);
    computed.set(loaded, (hit = { model, byFile }));
  }
  const mine = hit.byFile.get(toPosixRelative(loaded.dir, filename));
  return mine ? mine.map((f) => ({ ...f, file })) : [];
}
