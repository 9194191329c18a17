import { describe, expect, it } from 'vitest';
import { auditProject, verdicts } from '../support/project.js';

// Issue 11, "Autocommit and session scope": a route that sets the org on its checked-out
// `client` but passes `pool` to the function that writes is unscoped, and the evidence names
// both lines (the set on the client, the call that passes the pool).

const STORE = `
import type { Pool, PoolClient } from 'pg';
export async function saveProject(db: Pool | PoolClient, orgId: string, name: string): Promise<void> {
  await db.query('INSERT INTO projects (id, org_id, name) VALUES (gen_random_uuid(), $1, $2)', [orgId, name]);
}`;

const route = (passed: 'pool' | 'client') => `
import { Pool } from 'pg';
import { saveProject } from './store.js';
const pool = new Pool();
export async function createProject(orgId: string, name: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query("SELECT set_config('app.current_org_id', $1, true)", [orgId]);
    await saveProject(${passed}, orgId, name);
    await client.query('COMMIT');
  } finally {
    client.release();
  }
}`;

const PKG = '{"name":"t","private":true,"dependencies":{"pg":"^8"}}';

describe('the org set on the client, the pool passed to the writer', () => {
  it('is unscoped, naming the call that passes the pool and the set on the other connection', () => {
    const r = auditProject({ 'package.json': PKG, 'src/store.ts': STORE, 'src/routes.ts': route('pool') });
    expect(verdicts(r)).toEqual(['src/store.ts:4 unscoped']);
    const evidence = r.writeSites[0]!.evidence;
    expect(evidence).toContain('the call at src/routes.ts:10 saveProject(pool, orgId, name)');
    expect(evidence).toContain('the caller set the org context on another connection (set_config at src/routes.ts:9), not on the pool it passed');
  });

  it('is org-scope when the route passes the client it scoped (the control)', () => {
    const r = auditProject({ 'package.json': PKG, 'src/store.ts': STORE, 'src/routes.ts': route('client') });
    expect(verdicts(r)).toEqual(['src/store.ts:4 org-scope via transaction set_config (src/routes.ts:9)']);
  });
});
