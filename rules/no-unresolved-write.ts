import { reportFindings } from '../src/eslint/report-findings.js';
import { createRule, SETUP_MESSAGE } from './rule.js';

const AWAITING = '{{write}} cannot be verified yet: its verdict depends on other files ({{evidence}}), and';

export type MessageIds = 'cannotVerify' | 'indexBuilding' | 'indexFailed' | 'indexUnseen' | 'setup';

export default createRule<[], MessageIds>({
  name: 'no-unresolved-write',
  meta: {
    type: 'problem',
    docs: {
      description: 'Writes whose SQL, table or connection cannot be determined statically may bypass the org context',
      severity: 'warning',
      strict: 'error',
    },
    messages: {
      /** The core could not resolve the SQL, the table or the connection: it fails closed. */
      cannotVerify:
        '{{write}} cannot be verified: {{evidence}}. ' +
        'rls-guard fails closed: make the SQL a constant (bind values as $1, $2…) ' +
        'and run it on a traceable connection, or suppress with a reason if it is safe.',
      /** The plugin's project index, which decides cross-file verdicts, is not built yet. */
      indexBuilding:
        `${AWAITING} the rls-guard project index is still being built ({{read}} of {{total}} files read{{builder}}). ` +
        'A later lint decides it; `rls-guard audit` decides it now.',
      /** The plugin's project index failed. */
      indexFailed: `${AWAITING} the rls-guard project index failed ({{error}}); \`rls-guard audit\` decides it.`,
      /** The index analysed the file but cannot read some project file, whose calls could make a pass fail. */
      indexUnseen: `${AWAITING} the rls-guard project index cannot check every caller: {{unseen}}.`,
      setup: SETUP_MESSAGE,
    },
    schema: [],
  },
  defaultOptions: [],
  create: (context) => reportFindings(context),
});
