import { describe, expect, it } from 'vitest';
import { auditProject, verdicts } from '../support/project.js';

// A scoped client put in a container object, then replaced by the pool from *another* module
// (`container.db = pool` in a file that imports the container): the member is not one value,
// so every write through it is unresolved and names both lines (the object and the
// replacement), as for a replacement in the container's own file.

const DB = `
import { Pool, type PoolClient } from 'pg';
export const pool = new Pool();
export async function scopedClient(orgId: string): Promise<PoolClient> {
  const client = await pool.connect();
  await client.query('BEGIN');
  await client.query("SELECT set_config('app.current_org_id', $1, true)", [orgId]);
  return client;
}`;

const CONTAINER = `
import type { Pool, PoolClient } from 'pg';
import { scopedClient } from './db.js';
export const container: { db: Pool | PoolClient } = { db: await scopedClient('org') };
export class Store {
  constructor(private readonly db: Pool | PoolClient) {}
  async wipe(): Promise<void> {
    await this.db.query("DELETE FROM projects WHERE name = 'store'");
  }
}
export async function wipeAll(): Promise<void> {
  await container.db.query("DELETE FROM projects WHERE name = 'direct'");
  await new Store(container.db).wipe();
}`;

describe('a container member replaced from another file', () => {
  it('is org-scope while nothing replaces it (the control)', () => {
    const r = auditProject({ 'package.json': '{"name":"t","private":true,"dependencies":{"pg":"^8"}}', 'src/db.ts': DB, 'src/container.ts': CONTAINER });
    expect(verdicts(r)).toEqual(['src/container.ts:8 org-scope via scopedClient', 'src/container.ts:12 org-scope via scopedClient']);
  });

  it('is unresolved at every write through it once another module assigns the pool, naming both lines', () => {
    const r = auditProject({
      'package.json': '{"name":"t","private":true,"dependencies":{"pg":"^8"}}',
      'src/db.ts': DB,
      'src/container.ts': CONTAINER,
      'src/override.ts': `import { pool } from './db.js';\nimport { container } from './container.js';\n\ncontainer.db = pool;\n`,
    });
    expect(verdicts(r)).toEqual(['src/container.ts:8 unresolved', 'src/container.ts:12 unresolved']);
    for (const s of r.writeSites) expect(s.evidence).toContain('`db` of the object built at container.ts line 4 is replaced at override.ts line 4');
    expect(r.findings.filter((f) => f.ruleId === 'no-unresolved-write').map((f) => `${f.file}:${f.line}`)).toEqual(['src/container.ts:8', 'src/container.ts:12']);
  });

  it('does not take an assignment to a local object of the same name for a replacement', () => {
    const r = auditProject({
      'package.json': '{"name":"t","private":true,"dependencies":{"pg":"^8"}}',
      'src/db.ts': DB,
      'src/container.ts': CONTAINER,
      'src/other.ts': `import { pool } from './db.js';\n\nconst container = { db: pool };\ncontainer.db = pool;\nexport const unused = container;\n`,
    });
    expect(verdicts(r)).toEqual(['src/container.ts:8 org-scope via scopedClient', 'src/container.ts:12 org-scope via scopedClient']);
  });
});
