import type { UnscopedProblem } from '../src/analysis/facts.js';
import { reportFindings } from '../src/eslint/report-findings.js';
import { createRule, SETUP_MESSAGE } from './rule.js';

// The core's verdict says which problem leaves a write uncovered (src/analysis/verdict.ts,
// src/analysis/outer-pool.ts); each has its message, saying what went wrong and the fix for
// that problem. `write` names the statement and the migration line gating each table,
// `evidence` the connection and where its state comes from, `setting` the org setting, `owner` who passes the
// policies whatever is set (the owner of a table without FORCE, a BYPASSRLS role) and how to declare that deliberate.

/** What was written, why it is uncovered, and what Postgres then does; each message adds its problem and fix. */
const HEAD = '{{write}} {{evidence}}. Postgres will {{consequence}}.';
const SCOPE_HELPER = 'withOrgScope(ctx, db, orgId, async (tx) => tx.query(…))';
const ADMIN = 'Use an admin connection only for deliberate cross-org work.';

// The core names the problem (src/analysis/facts.ts); this rule holds the words for each.
export type MessageIds = UnscopedProblem | 'setup';

/** Every problem's message ends with who passes the policies anyway, after its own fix (the core's `owner`). */
function withOwner(messages: Record<UnscopedProblem, string>): Record<MessageIds, string> {
  const out = { setup: SETUP_MESSAGE } as Record<MessageIds, string>;
  for (const [id, text] of Object.entries(messages)) out[id as UnscopedProblem] = `${text}{{owner}}`;
  return out;
}

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
    messages: withOwner({
      /** On a pool, outside any org-scoped transaction: each query takes whichever connection is free. */
      onPool:
        `${HEAD} A context set by another pool query would be on another connection. ` +
        `Fix: run it on the executor a scope helper hands its callback (${SCOPE_HELPER}), ` +
        "or check out a client and run BEGIN, set_config('{{setting}}', $1, true), the write and COMMIT on it. " +
        ADMIN,
      /** The context is set on the connection, but only after the write. */
      beforeContext:
        `${HEAD} The org context is set on this connection only after the write. ` +
        "Fix: move the set_config('{{setting}}', $1, true) (or SET LOCAL) before the write, " +
        'after BEGIN in the same transaction.',
      /** set_config(…, true) ran outside a transaction, so it lasted one statement. */
      autocommitSetting:
        `${HEAD} set_config(…, true) outside BEGIN … COMMIT lasts only its own statement. ` +
        "Fix: run BEGIN before set_config('{{setting}}', $1, true) and COMMIT after the write, " +
        `so the setting and the write share one transaction, or use a scope helper (${SCOPE_HELPER}).`,
      /** A transaction is open on the connection, and nothing set the context in it. */
      transactionWithoutContext:
        `${HEAD} The transaction is open, but nothing in it sets the org context. ` +
        "Fix: add set_config('{{setting}}', $1, true) (or SET LOCAL) after BEGIN, before the write.",
      /** In a transaction whose only context set is `SET LOCAL app.x = $1`: SET takes no bind parameter. */
      rejectedSet:
        `${HEAD} SET takes no bind parameters, so that value is never set and nothing else in the transaction ` +
        "sets the org context. Fix: set it with SELECT set_config('{{setting}}', $1, true) in place of the SET, " +
        'which takes the value as a parameter.',
      /** The context set is the empty string (a cleanup's value): no org, so no row passes the policies. */
      emptyContext:
        `${HEAD} The org context set on this connection is the empty string, which names no org, so no row ` +
        "passes the policies. Fix: set the org's id (set_config('{{setting}}', $1, true) with the tenant's id) " +
        'before the write, and clear it only after the last write, or run deliberate cross-org work on an admin ' +
        'connection.',
      /** Outside any transaction that sets the context. */
      notScoped:
        `${HEAD} Nothing sets the org context on this connection. ` +
        `Fix: run it on the executor a scope helper hands its callback (${SCOPE_HELPER}), ` +
        "or inside BEGIN … set_config('{{setting}}', $1, true) … COMMIT on the same client. " +
        ADMIN,
      /** The connection sets a setting, but not the one the table's policies read. */
      otherSetting:
        `${HEAD} The connection sets a setting the table's policies do not read. ` +
        'Fix: set the setting the policies read (named above) on this connection, in the same transaction, ' +
        'or make the policies read the setting the code sets.',
      /**
       * The connection sets a setting the table's policies read, but not one the policies of this write's command read
       * (or no policy applies to the command at all).
       */
      commandSetting:
        `${HEAD} The setting the connection sets is read only by policies for other commands: Postgres checks this ` +
        "write against its own command's policies (named above). " +
        'Fix: set the setting those policies read on this connection, in the same transaction, ' +
        'or give the command a policy that reads the setting the code sets.',
      /** RLS is enabled on the table and it has no policy at all: no write gets through outside a bypass. */
      noPolicy:
        `${HEAD} With row-level security enabled and no policy, Postgres denies every row to a role subject to ` +
        'RLS, whatever the connection sets. Fix: add the policies the table needs (CREATE POLICY … FOR the ' +
        'command, reading the org setting), or run the write on an admin connection or in a SECURITY DEFINER ' +
        'function if only those may write it.',
      /** SET ROLE to a role without BYPASSRLS, with no context set. */
      roleWithoutBypass:
        `${HEAD} After SET ROLE to a role without BYPASSRLS the policies apply, and they need the org context. ` +
        "Fix: set it in the same transaction (set_config('{{setting}}', $1, true)), " +
        'or, for deliberate cross-org work, switch to a role with BYPASSRLS.',
      /** On the outer pool inside a scope helper's callback, whose scoped executor is right there. */
      outerPoolInScope:
        `${HEAD} The write is inside a scope helper's callback but does not use the executor it hands in. ` +
        "Fix: run it on the callback's own executor (`async (tx) => tx.query(…)`, not `pool.query(…)`): " +
        'only that connection is in the org-scoped transaction.',
      /** On the outer pool inside a library transaction's callback, whose own handle is right there. */
      outerPoolInTransaction:
        `${HEAD} The write is inside a transaction's callback but does not use the handle it hands in, so it runs ` +
        'on another connection, outside that transaction. ' +
        "Fix: run it on the callback's own handle " +
        '(`db.transaction(async (tx) => tx.insert(…))`, not `db.insert(…)`) ' +
        "and set the org context in that transaction (set_config('{{setting}}', $1, true) first), " +
        `or use a scope helper (${SCOPE_HELPER}).`,
      /** In a callback a timer or an event runs later, after the transaction that set the context has ended. */
      afterTransaction:
        `${HEAD} The write runs later than where it is written: a timer or event callback runs after the ` +
        'transaction that set the org context has ended, and a transaction-local setting ends with it. ' +
        'Fix: await the write inside the transaction, or open an org-scoped transaction in the callback ' +
        `(${SCOPE_HELPER}).`,
      /** The table's policies key on the login role, and the connection runs as one role for every request. */
      sharedLoginRole:
        `${HEAD} The table's policies key on the login role (current_user), and this connection logs in as one ` +
        'role for every tenant. Fix: run it on a pool that logs in as the tenant\'s own role ' +
        "(new Pool({ user: `tenant_${orgId}` })), or SET ROLE to that role on the checked-out connection first; " +
        'use an admin connection only for deliberate cross-org work.',
      /**
       * No context set, off a scope helper of the same package that switches away from the login role
       * (`SET LOCAL ROLE app_user`): the login the helper leaves may pass every policy, so both outcomes are said.
       */
      offRoleSwitch:
        '{{write}} {{evidence}}. {{switched}}. This write does not run on the connection that helper hands its ' +
        'callback, so no switch precedes it: it runs as the role its connection logs in as, the one the helper ' +
        'switches away from where both connect alike. If that role bypasses RLS, as the switch implies, nothing ' +
        'isolates this write by tenant ' +
        "and it can reach every org's rows; if it does not, Postgres will {{consequence}}. " +
        'Fix: run the write inside {{helper}}, on the connection it hands its callback; if this connection ' +
        'bypasses RLS on purpose (deliberate cross-org work), declare it under "adminProviders" in ' +
        'rls-guard.config.json (docs/config.md).',
    }),
    schema: [],
  },
  defaultOptions: [],
  create: (context) => reportFindings(context),
});
