import { describe, expect, it } from 'vitest';
import { messageOf } from '../../rules/render.js';
import type { CoreResult, CoreSite } from '../../src/analysis/index.js';
import { schemaFindings } from '../../src/analysis/schema-findings.js';
import { deployFindings } from '../../src/packs/deploy/check.js';
import { scanDeployText } from '../../src/packs/deploy/formats.js';
import { awaitingIndex } from '../../src/eslint/awaiting-index.js';
import { loadPacks } from '../../src/packs/load.js';
import { matcherFor } from '../../src/packs/matcher.js';
import { incompleteFindings } from '../../src/report/incomplete.js';
import { buildModel } from '../../src/schema/model.js';

// The findings a RuleTester case cannot produce: those on migrations and deployment files
// (the walker's alone), the gaps of other inputs, and the plugin's project index at work.
// Each case names the rule and the message id it expects.

const pick = (f: { ruleId: string; messageId: string }) => ({ ruleId: f.ruleId, messageId: f.messageId });

describe('schema findings', () => {
  const model = buildModel([
    {
      path: 'db/001.sql',
      text: `CREATE TABLE notes (id int, org_id uuid);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_user ON notes USING (org_id = current_setting('app.current_user_id', true)::uuid);`,
    },
  ]);

  it('a gated table the app role owns, unforced: the owner bypasses its policies', () => {
    const owned = buildModel([{ path: 'db/001.sql', text: 'CREATE TABLE notes (id int);\nALTER TABLE notes ENABLE ROW LEVEL SECURITY;\nALTER TABLE notes OWNER TO app;' }]);
    const [owner] = schemaFindings(owned, { appRole: 'app' }, new Set());
    expect(pick(owner!)).toEqual({ ruleId: 'no-owner-bypass', messageId: 'ownerIsAppRole' });
    expect(messageOf(owner!)).toContain("its owner (app) is the app's role (app): a table's owner bypasses its policies");
  });

  it('without an appRole, the owner is the role the app is assumed to connect as', () => {
    const [owner] = schemaFindings(model, { contextSettings: ['app.current_user_id'] }, new Set());
    expect(pick(owner!)).toEqual({ ruleId: 'no-owner-bypass', messageId: 'ownerIsAssumedAppRole' });
    expect(messageOf(owner!)).toContain('set "appRole" in the rls-guard config');
  });

  it('a setting a policy reads that no code sets', () => {
    const unset = schemaFindings(model, { appRole: 'someone-else' }, new Set()).filter((f) => f.ruleId === 'no-unset-policy-setting');
    expect(unset.map(pick)).toEqual([{ ruleId: 'no-unset-policy-setting', messageId: 'unsetSetting' }]);
    expect(unset[0]!.data).toMatchObject({ policy: 'notes_user', setting: 'app.current_user_id' });
  });
});

describe('deployment files', () => {
  it('a variable whose value needs another one beside it', () => {
    const packs = loadPacks('.', []);
    const [required] = deployFindings('.env', scanDeployText('dotenv', 'ENABLE_NODE_MONITOR=true\n'), matcherFor(packs));
    expect(pick(required!)).toEqual({ ruleId: 'no-deprecated-env', messageId: 'missingRequired' });
    expect(messageOf(required!)).toMatch(/^ENABLE_NODE_MONITOR=true without AXONFLOW_DB_PLATFORM_ADMIN_URL in the same file: /);
  });
});

describe('gaps', () => {
  const one = (kind: 'migration' | 'config' | 'database', file = 'db/001.sql') => incompleteFindings([{ file, kind, line: 3, reason: 'cut short' }], { acceptHint: true })[0]!;

  it('each kind of input names what its gap can hide, and offers --allow-incomplete', () => {
    expect(pick(one('migration'))).toEqual({ ruleId: 'no-incomplete-audit', messageId: 'migrationGap' });
    expect(pick(one('config', 'rls-guard.config.ts'))).toEqual({ ruleId: 'no-incomplete-audit', messageId: 'configGap' });
    expect(pick(one('database', 'postgres://db'))).toEqual({ ruleId: 'no-incomplete-audit', messageId: 'databaseGap' });
    expect(messageOf(one('migration'))).toMatch(/Tables it would gate may be missing .* \(or accept the gap with --allow-incomplete\)\.$/);
  });

  it('a gap of the whole model names its own cause', () => {
    const [gap] = incompleteFindings([{ file: '.', kind: 'migration', reason: 'no migrations found' }], { acceptHint: false });
    expect(pick(gap!)).toEqual({ ruleId: 'no-incomplete-audit', messageId: 'modelGap' });
    expect(messageOf(gap!)).toBe('The audit is incomplete: no migrations found.');
  });
});

describe('the project index at work (the plugin)', () => {
  const site = { file: 'src/a.ts', line: 5, column: 3, endLine: 5, endColumn: 40, operation: 'insert', tables: ['public.audit_logs'], crossFile: true, deferred: true, coverage: 'unresolved', evidence: 'runs on client, whose callers are in other files', fingerprint: 'f1' } as CoreSite;
  const local = { sites: [site], findings: [] } as unknown as CoreResult;

  it('still building: the site is unresolved until a later lint, and says how far the build is', () => {
    const [f] = awaitingIndex(local, { messageId: 'indexBuilding', data: { read: '3', total: '9', builder: '' } });
    expect(pick(f!)).toEqual({ ruleId: 'no-unresolved-write', messageId: 'indexBuilding' });
    expect(messageOf(f!)).toBe(
      'INSERT on public.audit_logs cannot be verified yet: its verdict depends on other files (runs on client, whose callers are in other files), ' +
        'and the rls-guard project index is still being built (3 of 9 files read). A later lint decides it; `rls-guard audit` decides it now.',
    );
  });

  it('failed: the site is unresolved, with the error', () => {
    const [f] = awaitingIndex(local, { messageId: 'indexFailed', data: { error: 'EACCES' } });
    expect(pick(f!)).toEqual({ ruleId: 'no-unresolved-write', messageId: 'indexFailed' });
    expect(messageOf(f!)).toMatch(/, and the rls-guard project index failed \(EACCES\); `rls-guard audit` decides it\.$/);
  });

  it('blind to a caller: a site the index passed is unresolved, naming the file it cannot read', () => {
    const [f] = awaitingIndex(local, { messageId: 'indexUnseen', data: { unseen: 'src/big.ts cannot be read (too large)' } }, []);
    expect(pick(f!)).toEqual({ ruleId: 'no-unresolved-write', messageId: 'indexUnseen' });
    expect(messageOf(f!)).toMatch(/, and the rls-guard project index cannot check every caller: src\/big\.ts cannot be read \(too large\)\.$/);
  });

  it('blind to a caller: a site the index already reported stands as reported', () => {
    const reported = { ruleId: 'no-unscoped-write', messageId: 'notScoped', data: {}, file: site.file, line: 5, column: 3, endLine: 5, endColumn: 40, fingerprint: 'x' };
    const out = awaitingIndex(local, { messageId: 'indexUnseen', data: { unseen: 'src/big.ts cannot be read (too large)' } }, [reported as never]);
    expect(out.map(pick)).toEqual([{ ruleId: 'no-unscoped-write', messageId: 'notScoped' }]);
  });
});
