import { reportFindings } from '../src/eslint/report-findings.js';
import { createRule, SETUP_MESSAGE } from './rule.js';

// One finding per input the audit skipped or read in part (src/report/incomplete.ts): a file
// over `maxFileBytes`, a syntax error, an analysis that gave up, a migration or config it
// could not read. `accept` is the walker's hint about --allow-incomplete, empty in ESLint.

const NO_ALL_CLEAR = 'so this run is no all-clear. Fix:';
const MODEL_MISSES = 'Tables it would gate may be missing from the RLS model, so writes to them go unchecked';

export type MessageIds = 'sourceGap' | 'migrationGap' | 'configGap' | 'databaseGap' | 'modelGap' | 'setup';

export default createRule<[], MessageIds>({
  name: 'no-incomplete-audit',
  meta: {
    type: 'problem',
    docs: {
      description:
        'Every input must be read in full: a file or migration the audit skipped or read only in part ' +
        'may hide unscoped writes, so the run is no all-clear',
      severity: 'error',
    },
    messages: {
      sourceGap:
        'The audit did not read all of this source file: {{reason}}. ' +
        `Writes in the part not read are not checked, ${NO_ALL_CLEAR} ` +
        'fix the file, raise `maxFileBytes` in the config, or leave it out with `ignore`{{accept}}.',
      migrationGap:
        `The audit did not read all of this migration: {{reason}}. ${MODEL_MISSES}, ${NO_ALL_CLEAR} ` +
        'fix the migration, or point `migrations` in the config at the right files{{accept}}.',
      configGap:
        'The audit did not read all of this configuration: {{reason}}. ' +
        `The scope helpers, admin connections and gated tables it declares are unknown, ${NO_ALL_CLEAR} ` +
        'use a JSON configuration (rls-guard.config.json){{accept}}.',
      databaseGap:
        `The audit did not read all of this database: {{reason}}. ${MODEL_MISSES}, ${NO_ALL_CLEAR} ` +
        'check the database the RLS model is read from{{accept}}.',
      /** The whole model is missing (no migrations, no gated tables): the reason names its cause and fix. */
      modelGap: 'The audit is incomplete: {{reason}}{{accept}}.',
      setup: SETUP_MESSAGE,
    },
    schema: [],
  },
  defaultOptions: [],
  create: (context) => reportFindings(context),
});
