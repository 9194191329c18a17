import { reportFindings } from '../src/eslint/report-findings.js';
import { createRule, SETUP_MESSAGE } from './rule.js';

const TRUNCATE =
  'TRUNCATE on {{tables}}: row-level security never applies to TRUNCATE, ' +
  "so it removes every tenant's rows whatever org context";
const FIX =
  'Fix: delete one org\'s rows with DELETE … WHERE (RLS then keeps it to the org in context); ' +
  'run deliberate cross-org maintenance on an admin connection, or suppress with a reason.';

export type MessageIds = 'truncate' | 'truncateDespiteScope' | 'setup';

export default createRule<[], MessageIds>({
  name: 'no-truncate-gated',
  meta: {
    type: 'problem',
    docs: {
      description:
        'TRUNCATE ignores row-level security: app code must not truncate an RLS-gated table, or it wipes every tenant',
      severity: 'error',
    },
    messages: {
      truncate: `${TRUNCATE} is set. ${FIX}`,
      /** The connection carries the org context, which TRUNCATE ignores. */
      truncateDespiteScope: `${TRUNCATE} the connection carries ({{via}}). ${FIX}`,
      setup: SETUP_MESSAGE,
    },
    schema: [],
  },
  defaultOptions: [],
  create: (context) => reportFindings(context),
});
