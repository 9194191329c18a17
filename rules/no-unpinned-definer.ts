import { reportFindings } from '../src/eslint/report-findings.js';
import { createRule, SETUP_MESSAGE } from './rule.js';

export type MessageIds = 'unpinned' | 'setup';

export default createRule<[], MessageIds>({
  name: 'no-unpinned-definer',
  meta: {
    type: 'problem',
    docs: { description: 'A SECURITY DEFINER function the code calls must pin its search_path', severity: 'warning' },
    messages: {
      unpinned:
        '{{fn}}() is SECURITY DEFINER (declared at {{at}}) but does not pin search_path: ' +
        "it runs with its owner's rights and resolves unqualified names through the caller's search_path, " +
        'so a caller who can create objects in a schema on that path can hijack it ' +
        "(for example by shadowing a table or operator) with the owner's privileges. " +
        'Fix: add `SET search_path = pg_catalog, public` (or an empty search_path with qualified names) ' +
        "to the function's definition.",
      setup: SETUP_MESSAGE,
    },
    schema: [],
  },
  defaultOptions: [],
  create: (context) => reportFindings(context),
});
