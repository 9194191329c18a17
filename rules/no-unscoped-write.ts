import type { UnscopedProblem } from '../src/analysis/facts.js';
import { reportFindings } from '../src/eslint/report-findings.js';
import { createRule, SETUP_MESSAGE } from './rule.js';

// The core's verdict says which problem leaves a write uncovered (src/analysis/verdict.ts);
// each has its message. `write` names the statement and the migration line gating each
// table, `evidence` the connection and where its state comes from.

const POSTGRES = 'Postgres will {{consequence}}.';
const FIX =
  'Fix: run it on the executor a scope helper hands its callback ' +
  '(withOrgScope(ctx, db, orgId, async (tx) => tx.query(…))), ' +
  "or on a client inside BEGIN … set_config('{{setting}}', $1, true) … COMMIT; " +
  'use an admin connection only for deliberate cross-org work.';
const ON = `{{write}} {{evidence}}. ${POSTGRES} ${FIX}`;

// The core names the problem (src/analysis/facts.ts); this rule holds the words for each.
export type MessageIds = UnscopedProblem | 'setup';

export default createRule<[], MessageIds>({
  name: 'no-unscoped-write',
  meta: {
    type: 'problem',
    docs: {
      description:
        'Writes to RLS-gated tables must run in an org-scoped transaction, a SECURITY DEFINER function ' +
        'or on an admin connection',
      severity: 'error',
    },
    messages: {
      /** On a pool, outside any org-scoped transaction: each query takes whichever connection is free. */
      onPool: ON,
      /** The context is set on the connection, but only after the write. */
      beforeContext: ON,
      /** set_config(…, true) ran outside a transaction, so it lasted one statement. */
      autocommitSetting: ON,
      /** A transaction is open on the connection, and nothing set the context in it. */
      transactionWithoutContext: ON,
      /** Outside any transaction that sets the context. */
      notScoped: ON,
      /** The connection sets a setting, but not the one the table's policies read. */
      otherSetting: ON,
      /** SET ROLE to a role without BYPASSRLS, with no context set. */
      roleWithoutBypass: ON,
      /** The table's policies key on the login role, and the connection runs as one role for every request. */
      sharedLoginRole:
        `{{write}} {{evidence}}. ${POSTGRES} Fix: run it on a pool that logs in as the tenant's own role ` +
        "(new Pool({ user: `tenant_${orgId}` })), or SET ROLE to that role on the checked-out connection first; " +
        'use an admin connection only for deliberate cross-org work.',
      setup: SETUP_MESSAGE,
    },
    schema: [],
  },
  defaultOptions: [],
  create: (context) => reportFindings(context),
});
