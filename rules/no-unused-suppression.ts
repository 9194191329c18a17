import { reportFindings } from '../src/eslint/report-findings.js';
import { createRule, SETUP_MESSAGE } from './rule.js';

// A suppression is used when it silences a finding of any pass (src/report/suppressions.ts).

export type MessageIds = 'unused' | 'setup';

export default createRule<[], MessageIds>({
  name: 'no-unused-suppression',
  meta: {
    type: 'suggestion',
    docs: {
      description: 'An rls-guard-ignore-next-line comment that suppresses nothing should be removed',
      severity: 'warning',
      strict: 'error',
    },
    messages: {
      unused: 'This rls-guard-ignore-next-line comment ({{rules}}) suppresses nothing on the next line; remove it.',
      setup: SETUP_MESSAGE,
    },
    schema: [],
  },
  defaultOptions: [],
  create: (context) => reportFindings(context),
});
