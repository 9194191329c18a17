import { reportFindings } from '../src/eslint/report-findings.js';
import { createRule, SETUP_MESSAGE } from './rule.js';

const ON_POOL = 'The org context is set on a pool ({{pool}}): {{set}} runs on whichever connection the pool picks';
const CHECK_OUT =
  'so later queries are not covered. Check out a client (pool.connect()), BEGIN, ' +
  'set the context with set_config(…, true) and write on that client, or use withOrgScope.';
const OUTSIDE = 'The org context is set transaction-locally outside any transaction ({{set}} on {{connection}}):';
const OPEN_FIRST =
  'so the writes after it are not covered. Open a transaction first (BEGIN, or the library\'s transaction), ' +
  'set the context inside it, and write on the same connection before COMMIT.';

export type MessageIds =
  | 'onPool'
  | 'onPoolOneStatement'
  | 'sessionWide'
  | 'autocommitSetting'
  | 'setLocalOutsideTransaction'
  | 'setWithBindParameter'
  | 'setup';

export default createRule<[], MessageIds>({
  name: 'no-pool-scoped-context',
  meta: {
    type: 'problem',
    docs: {
      description:
        'The org context must be set transaction-locally on the connection that writes, ' +
        'never on a pool or session-wide',
      severity: 'error',
    },
    messages: {
      onPool: `${ON_POOL} and stays on that connection for the next borrower, ${CHECK_OUT}`,
      onPoolOneStatement: `${ON_POOL} and ends with that one statement, ${CHECK_OUT}`,
      sessionWide:
        'The org context is set session-wide ({{set}}) on {{connection}}: it outlives the transaction ' +
        'and leaks to the next request that borrows this pooled connection. ' +
        'Set it transaction-locally: set_config(…, true) or SET LOCAL inside BEGIN … COMMIT.',
      autocommitSetting: `${OUTSIDE} the setting lasts only for this one statement, ${OPEN_FIRST}`,
      setLocalOutsideTransaction:
        `${OUTSIDE} Postgres warns "SET LOCAL can only be used in transaction blocks" ` +
        `and the setting has no effect, ${OPEN_FIRST}`,
      setWithBindParameter:
        'The org context is set with a bind parameter ({{set}}): Postgres rejects parameters in SET ' +
        '("syntax error at or near $1"), so the context is never set and the statement fails. ' +
        'Use SELECT {{fix}}, which takes the value as a parameter.',
      setup: SETUP_MESSAGE,
    },
    schema: [],
  },
  defaultOptions: [],
  create: (context) => reportFindings(context),
});
