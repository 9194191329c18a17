import { reportFindings } from '../src/eslint/report-findings.js';
import { createRule, SETUP_MESSAGE } from './rule.js';

// Suppressions are applied once, to every pass's findings (src/report/suppressions.ts).

export type MessageIds = 'noReason' | 'setup';

export default createRule<[], MessageIds>({
  name: 'no-unjustified-suppression',
  meta: {
    type: 'problem',
    docs: { description: 'An rls-guard-ignore-next-line comment must give its reason after `--`', severity: 'error' },
    messages: {
      noReason:
        'This rls-guard-ignore-next-line comment has no reason, so it suppresses nothing. ' +
        'Say why the write is safe after `--`, ' +
        'e.g. `{{marker}} rls-guard-ignore-next-line {{rule}} -- runs once under the migration role`.',
      setup: SETUP_MESSAGE,
    },
    schema: [],
  },
  defaultOptions: [],
  create: (context) => reportFindings(context),
});
