import { describe, expect, it } from 'vitest';
import { auditProject, verdicts } from '../support/project.js';

// A scoped client put in a container object, then replaced by the pool from *another* module
// (`container.db = pool` in a file that imports the container): the member is not one value,
// so every write through it gets the worst of its values (the bare pool: unscoped) and names
// both lines (the object and the replacement), as for a replacement in the container's own
// file. A mix whose worst cannot be told from the connections alone stays unresolved.

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

  it('is unscoped at every write through it once another module assigns the pool, naming both lines', () => {
    const r = auditProject({
      'package.json': '{"name":"t","private":true,"dependencies":{"pg":"^8"}}',
      'src/db.ts': DB,
      'src/container.ts': CONTAINER,
      'src/override.ts': `import { pool } from './db.js';\nimport { container } from './container.js';\n\ncontainer.db = pool;\n`,
    });
    expect(verdicts(r)).toEqual(['src/container.ts:8 unscoped', 'src/container.ts:12 unscoped']);
    for (const s of r.writeSites) {
      expect(s.evidence).toContain('`db` of the object built at container.ts line 4 is replaced at override.ts line 4');
      expect(s.evidence).toContain("`await scopedClient('org')` from src/container.ts:4 or `pool` from src/override.ts:4");
    }
    expect(r.findings.filter((f) => f.ruleId === 'no-unscoped-write').map((f) => `${f.file}:${f.line}`)).toEqual(['src/container.ts:8', 'src/container.ts:12']);
  });

  it('stays unresolved when no value is the bare pool (a scoped client replaced by an admin pool)', () => {
    const r = auditProject({
      'package.json': '{"name":"t","private":true,"dependencies":{"pg":"^8"}}',
      'rls-guard.config.json': '{"adminProviders":["ownerPool"]}',
      'src/db.ts': `${DB}\nexport const ownerPool = new Pool({ connectionString: process.env.OWNER_URL });`,
      'src/container.ts': CONTAINER,
      'src/override.ts': `import { ownerPool } from './db.js';\nimport { container } from './container.js';\n\ncontainer.db = ownerPool;\n`,
    });
    expect(verdicts(r)).toEqual(['src/container.ts:8 unresolved', 'src/container.ts:12 unresolved']);
    for (const s of r.writeSites) expect(s.evidence).toContain('is replaced at override.ts line 4');
  });

  it('is the one connection when every value is the same one', () => {
    const r = auditProject({
      'package.json': '{"name":"t","private":true,"dependencies":{"pg":"^8"}}',
      'src/db.ts': DB,
      'src/container.ts': CONTAINER.replace("{ db: await scopedClient('org') }", '{ db: pool }').replace("import { scopedClient } from './db.js';", "import { pool } from './db.js';"),
      'src/override.ts': `import { pool } from './db.js';\nimport { container } from './container.js';\n\ncontainer.db = pool;\n`,
    });
    expect(verdicts(r)).toEqual(['src/container.ts:8 unscoped', 'src/container.ts:12 unscoped']);
    for (const s of r.writeSites) expect(s.evidence).not.toContain('is replaced');
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

// A class field assigned pools that log in as different roles (emergent.strategy's DataSource, re-made with the
// `app_rls` user after a role switch): which one a write gets is not known, so no role can be vouched for.
const STORE = (second: string) => `
import { Pool } from 'pg';
export class Store {
  private pool!: Pool;
  asOps(): void { this.pool = new Pool({ user: 'ops_admin' }); }
  asApp(): void { this.pool = new Pool({ user: '${second}' }); }
  async wipe(): Promise<void> {
    await this.pool.query("DELETE FROM projects WHERE name = 'store'");
  }
}`;

describe('a class field assigned pools of one library that log in as different roles', () => {
  const files = (second: string) => ({
    'package.json': '{"name":"t","private":true,"dependencies":{"pg":"^8"}}',
    'db/migrations/002_roles.sql': 'CREATE ROLE ops_admin BYPASSRLS;\nCREATE ROLE app_user;\n',
    'src/store.ts': STORE(second),
  });

  it('is admin by login when every assignment logs in as the role that bypasses RLS (the control)', () => {
    expect(verdicts(auditProject(files('ops_admin')))).toEqual(['src/store.ts:8 admin-pool via login role ops_admin (src/store.ts:5)']);
  });

  it('is never admin by login when one assignment logs in as another role: the worst, unscoped', () => {
    const r = auditProject(files('app_user'));
    expect(verdicts(r)).toEqual(['src/store.ts:8 unscoped']);
    expect(r.writeSites[0]!.evidence).toContain('`this.pool`, a pg pool at each of its 2 assignments (src/store.ts:5, :6)');
  });
});
