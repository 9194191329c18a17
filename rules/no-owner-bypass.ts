import { reportFindings } from '../src/eslint/report-findings.js';
import { createRule, SETUP_MESSAGE } from './rule.js';

// Reported on the migration line that enables RLS, or a Drizzle schema's table declaration
// (src/analysis/schema-findings.ts). The ESLint rule reports it where that line is in a linted
// TypeScript file (src/eslint/schema-on-file.ts); on a .sql migration only the walker shows it.

const UNFORCED = '{{table}} has row level security enabled but not forced, and its owner ({{owner}}) is';
const BYPASS =
  'a table\'s owner bypasses its policies, so every query the app runs on it sees and writes every org\'s rows. ' +
  'Fix: `ALTER TABLE {{quoted}} FORCE ROW LEVEL SECURITY;`, or let a separate role own the table';

export type MessageIds = 'ownerIsAppRole' | 'ownerIsAssumedAppRole' | 'setup';

export default createRule<[], MessageIds>({
  name: 'no-owner-bypass',
  meta: {
    type: 'problem',
    docs: {
      description:
        'A gated table owned by the role the app connects as must FORCE row level security, ' +
        'or its owner bypasses every policy',
      severity: 'warning',
    },
    messages: {
      /** The configured `appRole` owns the table. */
      ownerIsAppRole: `${UNFORCED} the app's role ({{appRole}}): ${BYPASS}.`,
      /** No `appRole` is configured: the owner is assumed to be the role the app connects as. */
      ownerIsAssumedAppRole:
        `${UNFORCED} the role the app is assumed to connect as: ${BYPASS} ` +
        '(and set "appRole" in the rls-guard config if the app connects as another role).',
      setup: SETUP_MESSAGE,
    },
    schema: [],
  },
  defaultOptions: [],
  create: (context) => reportFindings(context),
});
