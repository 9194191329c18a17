import { describe, expect, it } from 'vitest';
import { auditProject, PG_PACKAGE, POOL_AND_SCOPE, verdicts } from '../support/project.js';

// `export const clearAccounts = clearAll;`: a module-level const that only names a function is
// another name for it, not the function passed around as a value. Calls through the alias are
// the function's calls; the alias passed on as a value is the function escaping.

const PKG = PG_PACKAGE;
const DB = POOL_AND_SCOPE;

const CLEAR = (tail = '') => `
import type { Pool, PoolClient } from 'pg';
export async function clearAll(db: Pool | PoolClient, orgId: string): Promise<void> {
  await db.query('DELETE FROM audit_logs WHERE org_id = $1', [orgId]);
}
export const clearAccounts = clearAll;
${tail}`;

const audit = (clear: string, jobs: string) =>
  auditProject({ 'package.json': PKG, 'src/db.ts': DB, 'src/clear.ts': clear, 'src/jobs.ts': jobs });

const SCOPED_CALL = `
import { withOrgScope } from './db.js';
import { clearAccounts } from './clear.js';
export async function reset(orgId: string) {
  await withOrgScope(orgId, (c) => clearAccounts(c, orgId));
}`;

describe('a module-level const that names a function', () => {
  it('is the function under another name: a call through it is the function\'s call', () => {
    const r = audit(CLEAR(), SCOPED_CALL);
    expect(verdicts(r)).toEqual(['src/clear.ts:4 org-scope via withOrgScope']);
  });

  it('a call through it on the pool is judged as a call of the function', () => {
    const r = audit(CLEAR(), `
import { pool } from './db.js';
import { clearAccounts } from './clear.js';
export async function reset(orgId: string) { await clearAccounts(pool, orgId); }`);
    expect(verdicts(r)).toEqual(['src/clear.ts:4 unscoped']);
  });

  it('passed on as a value in its own file, lets the function escape (the control)', () => {
    const r = audit(CLEAR('export const handlers = [clearAccounts];'), SCOPED_CALL);
    expect(verdicts(r)).toEqual(['src/clear.ts:4 unresolved']);
    expect(r.writeSites[0]!.evidence).toContain('`clearAll` is passed around as a value');
  });

  it('passed on as a value in another file, lets the function escape (the control)', () => {
    const r = audit(CLEAR(), `${SCOPED_CALL}\nexport const handlers = { clearAccounts };`);
    expect(verdicts(r)).toEqual(['src/clear.ts:4 unresolved']);
    expect(r.writeSites[0]!.evidence).toContain('`clearAll` is passed around as a value');
  });

  it('a local const naming a function still counts as the function passed around (the control)', () => {
    const r = audit(CLEAR(), `${SCOPED_CALL}
import { clearAll } from './clear.js';
export function later() { const f = clearAll; return f; }`);
    expect(verdicts(r)).toEqual(['src/clear.ts:4 unresolved']);
  });
});
