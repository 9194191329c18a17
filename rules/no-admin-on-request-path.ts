import { reportFindings } from '../src/eslint/report-findings.js';
import { createRule, SETUP_MESSAGE } from './rule.js';

// An admin (BYPASSRLS) write reached from an HTTP request handler: the connection bypasses
// every policy, so whatever the request says decides which org's rows it touches. The core
// finds the route that reaches the write (src/analysis/request-path.ts); the write's coverage
// stays `admin-pool`.

export type MessageIds = 'adminOnRequestPath' | 'setup';

export default createRule<[], MessageIds>({
  name: 'no-admin-on-request-path',
  meta: {
    type: 'problem',
    docs: {
      description:
        'A write on an admin (BYPASSRLS) connection must not be reachable from a request handler, ' +
        "or one tenant's request can touch every org's rows",
      severity: 'warning',
    },
    messages: {
      adminOnRequestPath:
        '{{write}} runs on an admin connection ({{via}}) that bypasses RLS, and {{route}} reaches it{{path}}: ' +
        "nothing but the handler's own code keeps a tenant's request to its org's rows. " +
        "Fix: run it on the request's org-scoped connection (a scope helper), move it off the request path " +
        '(a job, a SECURITY DEFINER function that checks the org), or suppress with the reason every org is meant.',
      setup: SETUP_MESSAGE,
    },
    schema: [],
  },
  defaultOptions: [],
  create: (context) => reportFindings(context),
});
