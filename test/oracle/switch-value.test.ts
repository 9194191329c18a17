import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appOracle, eachWriteAlone, ORG } from '../support/oracle.js';

// Switches on one value (fixtures/precision/switch-value): each write of src/app.ts runs in Postgres in its own
// transaction after its function's set, as a NOBYPASSRLS role under FORCE RLS. A set bound to `[SERVICE]` sends the
// sentinel, any other bind parameter the org. A covered verdict (org-scope, or admin-pool through the switch) must
// change what the same statements change with RLS bypassed; an unscoped one must fail on a policy or change less.

const ROOT = path.resolve(import.meta.dirname, '../../fixtures/precision/switch-value');
const SOURCE = 'src/app.ts';

describe('the switch-value fixture in Postgres', () => {
  const app = appOracle(ROOT);

  it('agrees with every verdict: the sentinel lets every row through, a tenant\'s id only its own', async () => {
    // A set bound to `[SERVICE]` sends the sentinel, any other bind parameter the org.
    const bound = (l: string): string => (l.includes('[SERVICE]') ? "'__SERVICE__'" : `'${ORG}'`);
    const seen = (await eachWriteAlone(app.oracle, app.report, { root: ROOT, source: SOURCE, bound }, expect)).map(
      (s) => s.coverage,
    );
    for (const coverage of ['admin-pool', 'org-scope', 'unscoped']) expect(seen).toContain(coverage);
  }, 120_000);
});
