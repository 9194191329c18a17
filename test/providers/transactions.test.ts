import { describe, expect, it } from 'vitest';
import { auditProject, verdicts } from '../support/project.js';

// Savepoints, pass-through helpers and transaction-local sets made for a caller's connection.

const DB = "import knex from 'knex';\nimport { Pool } from 'pg';\nexport const kx = knex({});\nexport const pool = new Pool();\n";

/** A helper that sets the context transaction-locally on the connection it is passed, then writes. */
const STAMP = `export async function stamp(conn: any, orgId: string) {
  await conn.raw("SELECT set_config('app.current_org_id', ?, true)", [orgId]);
  await conn.raw("DELETE FROM projects WHERE name = 'x'");
}
`;

describe('a transaction-local set made on a parameter', () => {
  it('covers the write only where the caller passes a connection in a transaction', () => {
    const report = auditProject({
      'src/db.ts': DB,
      'src/write.ts': STAMP,
      'src/app.ts': `import { kx } from './db';
import { stamp } from './write';
export const inTx = (org: string) => kx.transaction(async (trx) => stamp(trx, org));
export const bare = (org: string) => stamp(kx, org);
`,
    });
    // One write, two callers: the bare pool makes it unscoped, and the evidence says why.
    expect(verdicts(report)).toEqual(['src/write.ts:3 unscoped']);
    expect(report.writeSites[0]!.evidence).toContain('src/app.ts:4');
    expect(report.writeSites[0]!.evidence).toContain('outside any org-scoped transaction');
  });

  it('is covered when every caller is in a transaction', () => {
    const report = auditProject({
      'src/db.ts': DB,
      'src/write.ts': STAMP,
      'src/app.ts': `import { kx, pool } from './db';
import { stamp } from './write';
export const inTx = (org: string) => kx.transaction(async (trx) => stamp(trx, org));
export async function client(org: string) {
  const c = await pool.connect();
  await c.query('BEGIN');
  await stamp(c, org);
  await c.query('COMMIT');
}
`,
    });
    expect(verdicts(report).map((v) => v.replace(/ via .*/, ''))).toEqual(['src/write.ts:3 org-scope']);
  });

  it('on a checked-out client with no BEGIN lasts one statement, and says so', () => {
    const report = auditProject({
      'src/db.ts': DB,
      'src/write.ts': `export async function stamp(conn: any, orgId: string) {
  await conn.query("SELECT set_config('app.current_org_id', $1, true)", [orgId]);
  await conn.query("DELETE FROM projects WHERE name = 'x'");
}
`,
      'src/app.ts': `import { pool } from './db';
import { stamp } from './write';
export async function client(org: string) {
  const c = await pool.connect();
  await stamp(c, org);
  c.release();
}
`,
    });
    expect(verdicts(report)).toEqual(['src/write.ts:3 unscoped']);
    expect(report.writeSites[0]!.evidence).toContain('ran outside a transaction');
  });
});

describe('savepoints and pass-through helpers', () => {
  it('a savepoint of a scope helper’s executor is covered by the helper', () => {
    const report = auditProject({
      'src/db.ts': DB,
      'src/app.ts': `import { kx } from './db';
declare function withOrgScope<T>(ctx: unknown, db: unknown, orgId: string, fn: (tx: any) => Promise<T>): Promise<T>;
export const a = (org: string) => withOrgScope({}, kx, org, (tx) => tx.transaction(async (sp: any) => sp('projects').del()));
`,
    });
    expect(verdicts(report)).toEqual(['src/app.ts:3 org-scope via withOrgScope']);
  });

  it('a pass-through helper follows the connection of each call, not one guess for all', () => {
    const report = auditProject({
      'src/db.ts': DB + "export const adminKx = knex({});\n",
      'src/tx.ts': 'export function withTransaction(conn: any, cb: any) {\n  return conn.transaction(cb);\n}\n',
      'src/app.ts': `import { kx } from './db';
import { withTransaction } from './tx';
export const a = () => withTransaction(kx, async (trx: any) => trx('projects').del());
export const b = (org: string) => kx.transaction(async (outer) => {
  await outer.raw("SELECT set_config('app.current_org_id', ?, true)", [org]);
  await withTransaction(outer, async (sp: any) => sp('projects').del());
});
`,
    });
    expect(verdicts(report).map((v) => v.replace(/ via .*/, ''))).toEqual(['src/app.ts:3 unscoped', 'src/app.ts:6 org-scope']);
    expect(report.writeSites[0]!.evidence).toContain('through withTransaction() (src/tx.ts:2)');
  });
});
