import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appOracle, eachWriteAlone } from '../support/oracle.js';

// Policies per command (fixtures/precision/per-command-policies): each write runs in Postgres in its own
// transaction, after the sets its function makes, as a NOBYPASSRLS role under FORCE RLS. A covered verdict (org-scope, or admin-pool through a switch) must
// change what the same statements change with RLS bypassed; an unscoped one must fail on a policy or change less.
// The sets are the function's own (`SELECT set_config(…)` before the write), so a setting enough for one command
// and not another is decided by Postgres, not by the settings the oracle's other suites set all at once.

const ROOT = path.resolve(import.meta.dirname, '../../fixtures/precision/per-command-policies');
const SOURCE = 'src/app.ts';

describe('the per-command policies fixture in Postgres', () => {
  const app = appOracle(ROOT);

  it('agrees with every verdict when each write runs after its own transaction\'s sets', async () => {
    const seen = (await eachWriteAlone(app.oracle, app.report, { root: ROOT, source: SOURCE }, expect)).map(
      (s) => `${s.operation} ${s.coverage}`,
    );
    // Both verdicts for each command, so neither side is vacuous.
    for (const op of ['insert', 'update'])
      for (const coverage of ['org-scope', 'unscoped']) expect(seen).toContain(`${op} ${coverage}`);
    expect(seen).toContain('delete org-scope');
  }, 120_000);
});
