import type { UnresolvedProblem } from '../src/analysis/facts.js';
import { reportFindings } from '../src/eslint/report-findings.js';
import { createRule, SETUP_MESSAGE } from './rule.js';

const AWAITING = '{{write}} cannot be verified yet: its verdict depends on other files ({{evidence}}), and';

/** What every problem shares: the write and the core's evidence; each message then says what is missing. */
const HEAD = '{{write}} cannot be verified: {{evidence}}. rls-guard fails closed:';

// The core names the piece it could not resolve (src/analysis/facts.ts); this rule holds the
// words and the fix for each. The index* ids are the ESLint plugin's own.
export type MessageIds = UnresolvedProblem | 'indexBuilding' | 'indexFailed' | 'indexUnseen' | 'setup';

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
      /** The SQL is built at run time (or comes whole from an expression) and cannot be folded. */
      sqlNotConstant:
        `${HEAD} its SQL is built at run time ({{part}} is not a constant), so {{unknown}}. ` +
        'Fix: make the statement text a constant (a string literal, or constants joined) ' +
        'and pass values as bind parameters ($1, $2…).',
      /** The SQL text is known but does not parse. */
      sqlUnparsable:
        `${HEAD} its SQL does not parse as PostgreSQL. ` +
        'Fix: correct the statement (Postgres would reject it too), or, if it is not SQL, ' +
        'do not pass it to a query method.',
      /** The statement or builder's table cannot be traced. */
      tableUnknown:
        `${HEAD} the table it writes cannot be traced. ` +
        'Fix: name the table with a constant (a literal table name, a model rls-guard can map), ' +
        'or call the table-generic builder with constant table names where rls-guard can see the calls.',
      /** The executor cannot be traced to a pool, client, scope helper or admin connection. */
      connectionUnknown:
        `${HEAD} the connection that runs it cannot be traced to a pool, a client, a scope helper or an ` +
        'admin connection. Fix: run it on a connection created or imported in code rls-guard reads, ' +
        'or declare its provider in the config ("scopeHelpers", "adminProviders").',
      /** The connection comes from callers (or entry points) that cannot all be followed. */
      callersUnknown:
        `${HEAD} its connection comes from callers that cannot all be followed. ` +
        'Fix: call the function directly (not as a value) with a scoped executor where rls-guard can see ' +
        'the calls, or open the org-scoped transaction inside it.',
      /** The write is in a callback handed to a function rls-guard cannot see into. */
      helperUnknown:
        `${HEAD} it runs in a callback handed to a function rls-guard cannot see into. ` +
        'Fix: if that function runs its callback in an org-scoped transaction, add it to "scopeHelpers" ' +
        'in the config; otherwise scope the write inside the callback.',
      /** The write runs on a library object rls-guard has no adapter for. */
      unsupportedLibrary:
        `${HEAD} it runs on a library rls-guard has no adapter for. ` +
        'Fix: run the write through a supported client (pg, postgres, knex, Kysely, Drizzle, Prisma, ' +
        'TypeORM, Slonik), or declare the provider in the config.',
      /** The analysis ran out of its work budget or depth limit. */
      budgetExceeded:
        `${HEAD} the analysis stopped before it could judge it. ` +
        'Fix: split the function (or the chain of helpers) into smaller ones; rls-guard bounds its work ' +
        'per function so that no input makes it slow.',
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
