import rule from '../../rules/no-unscoped-write.js';
import path from 'node:path';
import { filename, FIXTURE, ruleTester } from './tester.js';

/** A project whose migrations add a role without BYPASSRLS and a table gated by another setting. */
const ROLES_AND_SETTINGS = path.join(FIXTURE, 'roles-and-settings/src/case.ts');

/** A file under a tests folder: its writes are set aside from the audit's verdicts, and so from the editor's. */
const TEST_FILE = path.join(FIXTURE, 'src/__tests__/case.test.ts');
const POOL_WRITE = `
        import { pool } from '../db';
        export const seedLog = (org) => pool.query("INSERT INTO audit_logs (org_id, action) VALUES ($1, 'x')", [org]);`;

/**
 * fixtures/precision/role-switch: the ledger package's scope helper `withOrg` (scope.ts) switches to app_user with SET
 * LOCAL ROLE before it sets the org; the billing package's `withTenant` switches nothing.
 */
const ROLE_SWITCH = path.resolve(FIXTURE, '../precision/role-switch/packages');

/**
 * A folder of code migrations found by their shape (fixtures/layouts/shape-migrations: modules exporting `up` and
 * `down`, in a folder not named "migrations"): the CLI sets their writes aside, and so does the editor. `utils.ts`
 * beside them has no such shape on disk: its write is app code.
 */
const ALTERATIONS = path.resolve(FIXTURE, '../layouts/shape-migrations/packages/schemas/alterations');
const ALTERATION_WRITE = `
        import { pool } from '../../core/src/db.js';
        export default {
          async up() { await pool.query("INSERT INTO logs (tenant_id, line) VALUES (gen_random_uuid(), 'x')"); },
          async down() { await pool.query('DELETE FROM logs'); },
        };`;

ruleTester.run('no-unscoped-write', rule, {
  valid: [
    {
      name: "the context cleared to '' only after the last write: the write ran with the org set",
      filename,
      code: `
        import { pool } from './db';
        export async function rename(orgId, name) {
          const c = await pool.connect();
          await c.query('BEGIN');
          await c.query("SELECT set_config('app.current_org_id', $1, true)", [orgId]);
          await c.query('UPDATE projects SET name = $1', [name]);
          await c.query("SELECT set_config('app.current_org_id', '', true)");
          await c.query('COMMIT');
          c.release();
        }`,
    },
    {
      name: "a code migration found by its shape, not its path: its writes are set aside, as rls-guard audit does",
      filename: path.join(ALTERATIONS, '1.0.0-1700000002-seed-items.ts'),
      code: ALTERATION_WRITE,
    },
    {
      name: "a test file's write on the pool is set aside, as rls-guard audit sets it aside (includeWritesFrom brings it back)",
      filename: TEST_FILE,
      code: POOL_WRITE,
    },
    {
      name: 'the outer transaction inside its own savepoint callback is the same connection, with its context',
      filename,
      code: `
        import { drizzle } from 'drizzle-orm/node-postgres';
        import { sql } from 'drizzle-orm';
        const db = drizzle(process.env.DB);
        export const run = (org) => db.transaction(async (tx) => {
          await tx.execute(sql\`SELECT set_config('app.current_org_id', \${org}, true)\`);
          await tx.transaction(async (sp) => {
            await tx.execute(sql\`INSERT INTO audit_logs (org_id, action) VALUES (\${org}, 'x')\`);
          });
        });`,
    },
    {
      name: 'a write on a pool that logs in as the tenant\'s own role, where the policy keys on current_user',
      filename: ROLES_AND_SETTINGS,
      code: `
        import { Pool } from 'pg';
        export async function rename(tenant, name) {
          const pool = new Pool({ user: \`tenant_\${tenant}\` });
          await pool.query('UPDATE files SET name = $1', [name]);
        }`,
    },
    {
      name: 'a call of an ordinary function that writes a gated table, inside the scope helper',
      filename,
      code: `
        import { pool } from './db';
        import { withOrgScope } from './tenancy';
        export const rename = (ctx, org, id, name) => withOrgScope(ctx, pool, org, (tx) => tx.query('SELECT rename_project($1, $2)', [id, name]));`,
    },
    {
      name: 'an insert whose trigger writes a gated table, inside the scope helper',
      filename,
      code: `
        import { pool } from './db';
        import { withOrgScope } from './tenancy';
        export const deliver = (ctx, org, body) => withOrgScope(ctx, pool, org, (tx) => tx.query('INSERT INTO webhook_deliveries (org_id, body) VALUES ($1, $2)', [org, body]));`,
    },
    {
      name: 'write on the executor withOrgScope hands its callback',
      filename,
      code: `
        import { pool } from './db';
        import { withOrgScope } from './tenancy';
        export const run = (ctx, orgId) =>
          withOrgScope(ctx, pool, orgId, async (tx) => {
            await tx.query('INSERT INTO audit_logs (org_id, action) VALUES ($1, $2)', [orgId, 'login']);
          });`,
    },
    {
      name: 'a callback parameter that shadows the outer pool is the scoped executor',
      filename,
      code: `
        import { pool as db } from './db';
        import { withRequestOrgScope } from './tenancy';
        export const run = (req) => withRequestOrgScope(req, db, (db) => db.query('DELETE FROM projects WHERE id = $1', [req.params.id]));`,
    },
    {
      name: 'a configured helper with its callback in the middle (callbackArg: 1)',
      filename,
      code: `
        import { pool } from './db';
        import { inTenant } from './tenancy';
        export const run = (orgId) => inTenant(orgId, async (c) => { await c.query('UPDATE projects SET name = $1', ['x']); }, { retries: 2 });`,
    },
    {
      name: 'inline transaction: BEGIN, set_config(…, true), write, COMMIT on one client',
      filename,
      code: `
        import { pool } from './db';
        export async function run(orgId) {
          const client = await pool.connect();
          try {
            await client.query('BEGIN');
            await client.query("SELECT set_config('app.current_org_id', $1, true)", [orgId]);
            await client.query('INSERT INTO projects (id, org_id) VALUES (gen_random_uuid(), $1)', [orgId]);
            await client.query('COMMIT');
          } catch (error) {
            await client.query('ROLLBACK');
            throw error;
          } finally {
            client.release();
          }
        }`,
    },
    {
      name: 'SET LOCAL and a setter function from the migrations both set the context',
      filename,
      code: `
        import { pool } from './db';
        export async function run(orgId) {
          const a = await pool.connect();
          await a.query('BEGIN');
          await a.query("SET LOCAL app.current_org_id = '6f1c…'");
          await a.query('DELETE FROM audit_logs WHERE id = 1');
          await a.query('COMMIT');
          const b = await pool.connect();
          await b.query('START TRANSACTION');
          await b.query('SELECT set_org_id($1)', [orgId]);
          await b.query('UPDATE projects SET name = $1', ['n']);
          await b.query('COMMIT');
        }`,
    },
    {
      name: 'one multi-statement string is one implicit transaction on one connection',
      filename,
      code: `
        import { pool } from './db';
        export const run = () => pool.query("SELECT set_config('app.current_org_id', '3c0e5d7e-0000-4000-8000-000000000000', true); INSERT INTO audit_logs (org_id, action) VALUES ('3c0e5d7e-0000-4000-8000-000000000000', 'seed')");`,
    },
    {
      name: 'a SECURITY DEFINER function call is covered on any connection',
      filename,
      code: `
        import { pool } from './db';
        export const touch = (id) => pool.query('SELECT auth_touch_api_key($1)', [id]);`,
    },
    {
      name: 'an admin connection (configured adminPool, and openPlatformAdminConnection)',
      filename,
      code: `
        import { adminPool } from './admin';
        import { openPlatformAdminConnection } from './platform';
        export async function purge() {
          await adminPool.query('DELETE FROM audit_logs WHERE created_at < now() - interval \\'1 year\\'');
          const admin = await openPlatformAdminConnection();
          await admin.query('TRUNCATE projects');
        }`,
    },
    {
      name: 'tables without RLS, reads, and look-alike method names are not gated writes',
      filename,
      code: `
        import { createHash } from 'node:crypto';
        import { Router } from 'express';
        import { pool } from './db';
        const router = Router();
        router.delete('/projects/:id', (req, res) => res.sendStatus(204));
        const hash = createHash('sha256'); hash.update('INSERT INTO audit_logs');
        const seen = new Map(); seen.delete('k');
        export const flags = () => pool.query('UPDATE feature_flags SET enabled = true');
        export const list = () => pool.query('SELECT * FROM audit_logs');`,
    },
    {
      name: 'a non-exported helper whose every caller passes a scoped executor',
      filename,
      code: `
        import { pool } from './db';
        import { withOrgScope } from './tenancy';
        async function record(client, orgId) {
          await client.query('INSERT INTO audit_logs (org_id, action) VALUES ($1, $2)', [orgId, 'x']);
        }
        export const run = (ctx, orgId) => withOrgScope(ctx, pool, orgId, (tx) => record(tx, orgId));`,
    },
    {
      name: 'suppressed with a reason',
      filename,
      code: `
        import { pool } from './db';
        export async function backfill() {
          // rls-guard-ignore-next-line no-unscoped-write -- one-off backfill run as the table owner
          await pool.query('UPDATE projects SET name = lower(name)');
        }`,
    },
  ],
  invalid: [
    {
      name: "the context set on one path and cleared to '' on the other: after they meet it may be no org",
      filename,
      code: `
        import { pool } from './db';
        export async function purge(orgId) {
          const c = await pool.connect();
          await c.query('BEGIN');
          if (orgId) await c.query("SELECT set_config('app.current_org_id', $1, true)", [orgId]);
          else await c.query("SELECT set_config('app.current_org_id', '', true)");
          await c.query('DELETE FROM projects');
          await c.query('COMMIT');
        }`,
      errors: [{ messageId: 'emptyContext', line: 8 }],
    },
    {
      name: "a write after the context is cleared to '': the policies compare each row with no org",
      filename,
      code: `
        import { pool } from './db';
        export async function purge() {
          const c = await pool.connect();
          await c.query('BEGIN');
          await c.query("SELECT set_config('app.current_org_id', '', true)");
          await c.query('DELETE FROM projects');
          await c.query('COMMIT');
        }`,
      errors: [{ messageId: 'emptyContext', line: 7 }],
    },
    {
      name: 'the same write in an app file is reported',
      filename: path.join(FIXTURE, 'src/jobs/case.ts'),
      code: POOL_WRITE,
      errors: [{ messageId: 'onPool' }],
    },
    {
      name: 'the same writes in a module beside the migrations that has not their shape on disk are app code',
      filename: path.join(ALTERATIONS, 'utils.ts'),
      code: ALTERATION_WRITE,
      errors: [{ messageId: 'onPool' }, { messageId: 'onPool' }],
    },
    // A write on the outer handle inside a library's transaction callback runs on another
    // connection, outside that transaction: one case per library that hands its callback one.
    ...[
      ['postgres.js sql.begin', `import postgres from 'postgres';
        const sql = postgres();
        export const run = (org) => sql.begin(async (tx) => {
          await tx\`SELECT 1\`;
          await sql\`INSERT INTO audit_logs (org_id, action) VALUES (\${org}, 'x')\`;
        });`],
      ['Drizzle db.transaction', `import { drizzle } from 'drizzle-orm/node-postgres';
        import { sql } from 'drizzle-orm';
        const db = drizzle(process.env.DB);
        export const run = (org) => db.transaction(async (tx) => {
          await tx.execute(sql\`SELECT 1\`);
          await db.execute(sql\`INSERT INTO audit_logs (org_id, action) VALUES (\${org}, 'x')\`);
        });`],
      ['knex db.transaction', `import knex from 'knex';
        const db = knex({ client: 'pg' });
        export const run = (org) => db.transaction(async (trx) => {
          await trx.raw('SELECT 1');
          await db.raw('INSERT INTO audit_logs (org_id, action) VALUES (?, ?)', [org, 'x']);
        });`],
      ['Kysely db.transaction().execute', `import { Kysely, sql } from 'kysely';
        const db = new Kysely({});
        export const run = (org) => db.transaction().execute(async (trx) => {
          await sql\`SELECT 1\`.execute(trx);
          await sql\`INSERT INTO audit_logs (org_id, action) VALUES (\${org}, 'x')\`.execute(db);
        });`],
      ['Prisma $transaction(callback)', `import { PrismaClient } from '@prisma/client';
        const prisma = new PrismaClient();
        export const run = (org) => prisma.$transaction(async (tx) => {
          await tx.$executeRaw\`SELECT 1\`;
          await prisma.$executeRaw\`INSERT INTO audit_logs (org_id, action) VALUES (\${org}, 'x')\`;
        });`],
      ['slonik pool.transaction', `import { createPool, sql } from 'slonik';
        const pool = await createPool('postgres://');
        export const run = (org) => pool.transaction(async (trx) => {
          await trx.query(sql.unsafe\`SELECT 1\`);
          await pool.query(sql.unsafe\`INSERT INTO audit_logs (org_id, action) VALUES (\${org}, 'x')\`);
        });`],
      ['TypeORM dataSource.transaction', `import { DataSource } from 'typeorm';
        const ds = new DataSource({ type: 'postgres' });
        export const run = (org) => ds.transaction(async (manager) => {
          await manager.query('SELECT 1');
          await ds.query('INSERT INTO audit_logs (org_id, action) VALUES ($1, $2)', [org, 'x']);
        });`],
    ].map(([name, code]) => ({
      name: `the outer handle inside ${name}'s callback is outside that transaction`,
      filename,
      code: code!,
      errors: [{ messageId: 'outerPoolInTransaction' as const, line: code!.split('\n').findIndex((l) => l.includes('audit_logs')) + 1 }],
    })),
    {
      name: 'the outer pool inside a callback that is no transaction (Array.map) keeps the pool message',
      filename,
      code: `
        import postgres from 'postgres';
        const sql = postgres();
        export const run = (orgs) => orgs.map(async (org) => {
          await sql\`INSERT INTO audit_logs (org_id, action) VALUES (\${org}, 'x')\`;
        });`,
      errors: [{ messageId: 'onPool', line: 5 }],
    },
    {
      // failopen31: a DO block's body was not read, so its DELETE was no write at all.
      name: 'a DO block the app sends, whose body deletes from a gated table, on the pool',
      filename,
      code: `
        import { pool } from './db';
        export const purge = () => pool.query('DO $$ BEGIN DELETE FROM audit_logs WHERE action = $q$x$q$; END $$');`,
      errors: [{ messageId: 'onPool', line: 3 }],
    },
    {
      name: 'a call of an ordinary (SECURITY INVOKER) function that writes a gated table, on the pool',
      filename,
      code: `
        import { pool } from './db';
        export const rename = (id, name) => pool.query('SELECT rename_project($1, $2)', [id, name]);`,
      errors: [{ messageId: 'onPool', line: 3 }],
    },
    {
      name: 'an insert into a table without RLS whose trigger writes a gated table, on the pool',
      filename,
      code: `
        import { pool } from './db';
        export const deliver = (org, body) => pool.query('INSERT INTO webhook_deliveries (org_id, body) VALUES ($1, $2)', [org, body]);`,
      errors: [{ messageId: 'onPool', line: 3 }],
    },
    {
      name: 'the outer pool inside a scope helper callback is not covered',
      filename,
      code: `
        import { pool } from './db';
        import { withOrgScope } from './tenancy';
        export const run = (ctx, orgId) =>
          withOrgScope(ctx, pool, orgId, async (tx) => {
            await tx.query('SELECT 1');
            await pool.query('INSERT INTO audit_logs (org_id, action) VALUES ($1, $2)', [orgId, 'x']);
          });`,
      errors: [{ messageId: 'outerPoolInScope', line: 7 }],
    },
    {
      // deferred-callbacks.ts: the listener runs after the helper committed; the awaited write does not.
      name: "the scope helper's executor in a callback a listener runs later",
      filename,
      code: `
        import { pool } from './db';
        import { withOrgScope } from './tenancy';
        export const run = (ctx, res, orgId) =>
          withOrgScope(ctx, pool, orgId, async (tx) => {
            res.on('finish', () => tx.query('INSERT INTO audit_logs (org_id, action) VALUES ($1, $2)', [orgId, 'x']));
            await tx.query('INSERT INTO audit_logs (org_id, action) VALUES ($1, $2)', [orgId, 'y']);
          });`,
      errors: [{ messageId: 'afterTransaction', line: 6 }],
    },
    {
      name: 'a client checked out of the outer pool inside a scope helper callback is not its executor',
      filename,
      code: `
        import { pool } from './db';
        import { withOrgScope } from './tenancy';
        export const run = (ctx, orgId) =>
          withOrgScope(ctx, pool, orgId, async (tx) => {
            const c = await pool.connect();
            await c.query('INSERT INTO audit_logs (org_id, action) VALUES ($1, $2)', [orgId, 'x']);
          });`,
      errors: [{ messageId: 'outerPoolInScope', line: 7 }],
    },
    {
      name: 'the pool in a callback of an ordinary function, or of a scope helper whose callback takes no executor',
      filename,
      code: `
        import { pool } from './db';
        import { inTenant } from './tenancy';
        export const many = (orgIds) =>
          orgIds.map((orgId) => pool.query('INSERT INTO audit_logs (org_id, action) VALUES ($1, $2)', [orgId, 'x']));
        export const bare = (orgId) =>
          inTenant(orgId, async () => { await pool.query('INSERT INTO audit_logs (org_id) VALUES ($1)', [orgId]); }, {});`,
      errors: [
        { messageId: 'onPool', line: 5 },
        { messageId: 'onPool', line: 7 },
      ],
    },
    {
      name: 'a plain pool write, through an imported constant and an alias',
      filename,
      code: `
        import { pool, INSERT_AUDIT } from './db';
        const db = pool;
        export const run = (orgId) => db.query(INSERT_AUDIT, [orgId, 'x']);`,
      errors: [{ messageId: 'onPool', line: 4 }],
    },
    {
      name: 'a write before the context is set, and one after COMMIT',
      filename,
      code: `
        import { Pool } from 'pg';
        const pool = new Pool();
        export async function run(orgId) {
          const c = await pool.connect();
          await c.query('BEGIN');
          await c.query('DELETE FROM projects WHERE org_id = $1', [orgId]);
          await c.query("SELECT set_config('app.current_org_id', $1, true)", [orgId]);
          await c.query('COMMIT');
          await c.query('INSERT INTO projects (id, org_id) VALUES ($1, $2)', ['p', orgId]);
        }`,
      errors: [{ messageId: 'beforeContext', line: 7 }, { messageId: 'notScoped', line: 10 }],
    },
    {
      name: 'a context set on only one branch does not cover the write after it',
      filename,
      code: `
        import pg from 'pg';
        const pool = new pg.Pool();
        export async function run(orgId) {
          const c = await pool.connect();
          await c.query('BEGIN');
          if (orgId) {
            await c.query("SELECT set_config('app.current_org_id', $1, true)", [orgId]);
          }
          await c.query('UPDATE projects SET name = $1', ['x']);
        }`,
      errors: [{ messageId: 'transactionWithoutContext', line: 10 }],
    },
    {
      name: 'set_config(…, true) outside a transaction lasts one statement',
      filename,
      code: `
        const { Client } = require('pg');
        export async function run(orgId) {
          const client = new Client();
          await client.connect();
          await client.query("SELECT set_config('app.current_org_id', $1, true)", [orgId]);
          await client.query('INSERT INTO audit_logs (org_id, action) VALUES ($1, $2)', [orgId, 'x']);
        }`,
      errors: [{ messageId: 'autocommitSetting', line: 7 }],
    },
    {
      name: 'writable CTEs, MERGE and COPY FROM are writes too',
      filename,
      code: `
        import { pool } from './db';
        export async function run() {
          await pool.query('WITH d AS (DELETE FROM audit_logs WHERE id = $1 RETURNING id) SELECT count(*) FROM d', [1]);
          await pool.query('MERGE INTO projects p USING (SELECT $1::uuid AS id) s ON p.id = s.id WHEN MATCHED THEN DELETE');
          await pool.query('COPY audit_logs (org_id, action) FROM STDIN');
        }`,
      errors: [{ messageId: 'onPool', line: 4 }, { messageId: 'onPool', line: 5 }, { messageId: 'onPool', line: 6 }],
    },
    {
      name: 'a helper in the same file called once with a scoped executor and once with the pool',
      filename,
      code: `
        import { pool } from './db';
        import { withOrgScope } from './tenancy';
        async function record(client, orgId) {
          await client.query('INSERT INTO audit_logs (org_id, action) VALUES ($1, $2)', [orgId, 'x']);
        }
        export const a = (ctx, orgId) => withOrgScope(ctx, pool, orgId, (tx) => record(tx, orgId));
        export const b = (orgId) => record(pool, orgId);`,
      errors: [{ messageId: 'onPool', line: 5 }],
    },
    // Cross-file: the project index follows the helper and the callers into other files,
    // as `rls-guard audit` does (fixtures/rule-tester/src/tx.ts, audit-helper.ts, jobs.ts).
    {
      name: 'a write in the callback of a transaction helper imported from another file that sets no org context',
      filename,
      code: `
        import { pool } from './db';
        import { withTransaction } from './tx';
        export const rename = (orgId, name) =>
          withTransaction(pool, async (tx) => tx.query('UPDATE projects SET name = $2 WHERE org_id = $1', [orgId, name]));`,
      errors: [{ messageId: 'transactionWithoutContext', line: 5 }],
    },
    {
      name: 'a helper writing through its connection parameter whose only caller, in another file, passes the pool',
      filename: path.join(FIXTURE, 'src/audit-helper.ts'),
      code: `
        export async function recordAudit(client, orgId) {
          await client.query('INSERT INTO audit_logs (org_id, action) VALUES ($1, $2)', [orgId, 'edited, unsaved']);
        }`,
      errors: [{ messageId: 'onPool', line: 3 }],
    },
    {
      name: 'a transaction that sets a setting the table\'s policies do not read (ledger reads app.current_tenant)',
      filename: ROLES_AND_SETTINGS,
      code: `
        import { Pool } from 'pg';
        const pool = new Pool();
        export async function credit(orgId) {
          const client = await pool.connect();
          await client.query('BEGIN');
          await client.query("SELECT set_config('app.current_org_id', $1, true)", [orgId]);
          await client.query('INSERT INTO ledger (tenant, amount) VALUES ($1, 1)', [orgId]);
          await client.query('COMMIT');
        }`,
      errors: [{ messageId: 'otherSetting', line: 8 }],
    },
    {
      name: 'a transaction that sets a setting only the SELECT policy of entries reads, then inserts (INSERT reads app.current_tenant)',
      filename: ROLES_AND_SETTINGS,
      code: `
        import { Pool } from 'pg';
        const pool = new Pool();
        export async function post(orgId) {
          const client = await pool.connect();
          await client.query('BEGIN');
          await client.query("SELECT set_config('app.current_org_id', $1, true)", [orgId]);
          await client.query('INSERT INTO entries (tenant, org_id, amount) VALUES ($1, $1, 1)', [orgId]);
          await client.query('COMMIT');
        }`,
      errors: [{ messageId: 'commandSetting', line: 8 }],
    },
    {
      name: 'an org-scoped transaction that writes a table with RLS enabled and no policy at all (journal)',
      filename: ROLES_AND_SETTINGS,
      code: `
        import { Pool } from 'pg';
        const pool = new Pool();
        export async function post(orgId) {
          const client = await pool.connect();
          await client.query('BEGIN');
          await client.query("SELECT set_config('app.current_org_id', $1, true)", [orgId]);
          await client.query('INSERT INTO journal (org_id, line) VALUES ($1, $2)', [orgId, 'x']);
          await client.query('COMMIT');
        }`,
      errors: [{ messageId: 'noPolicy', line: 8 }],
    },
    {
      name: 'SET ROLE to a role without BYPASSRLS, and no org context',
      filename: ROLES_AND_SETTINGS,
      code: `
        import { Pool } from 'pg';
        const pool = new Pool();
        export async function note(body) {
          const client = await pool.connect();
          await client.query('BEGIN');
          await client.query('SET LOCAL ROLE app_user');
          await client.query('INSERT INTO notes (org_id, body) VALUES (gen_random_uuid(), $1)', [body]);
          await client.query('COMMIT');
        }`,
      errors: [
        {
          messageId: 'roleWithoutBypass',
          line: 8,
          data: {
            write: 'INSERT on public.notes (RLS enabled at db/schema.sql:6)',
            evidence: 'runs on pooled client from pool.connect() at src/case.ts:5 after SET ROLE app_user at src/case.ts:7, a role without BYPASSRLS, so the policies apply and no org context is set',
            consequence: 'reject it with "new row violates row-level security policy"',
            // The setting notes' own policy reads (judge25); before, the first context setting, ledger's.
            setting: 'app.current_org_id',
            // After SET ROLE to a role without BYPASSRLS, neither the owner's bypass nor an admin connection applies.
            owner: '',
          },
        },
      ],
    },
    {
      name: 'a write off a scope helper of its package that switches away from the login role (judge33 cause 2)',
      filename: path.join(ROLE_SWITCH, 'ledger/src/case.ts'),
      code: `
        import { pool } from './db';
        export async function voidInvoice(id) {
          await pool.query('DELETE FROM invoices WHERE id = $1', [id]);
        }`,
      errors: [
        {
          messageId: 'offRoleSwitch',
          line: 4,
          data: {
            write: 'DELETE on public.invoices (RLS enabled at db/migrations/001_schema.sql:7)',
            evidence: 'runs on pg Pool created at packages/ledger/src/db.ts:3, outside any org-scoped transaction: ' +
              'each pool query takes whichever connection is free, with no org context',
            consequence: 'match zero rows and report success',
            setting: 'app.current_org_id',
            // The helper is in another file the linted one does not import: read from the project's sources.
            switched: '`withOrg` (packages/ledger/src/scope.ts:6) sets app.current_org_id and switches to role ' +
              'app_user with SET LOCAL ROLE (packages/ledger/src/scope.ts:10) before it hands the connection to its ' +
              'callback: a switch made so that the policies apply, which says the role the connection logs in as ' +
              'is not held to them (BYPASSRLS, a superuser, or the owner of tables without FORCE)',
            helper: '`withOrg`',
            // invoices is FORCEd: no "even its owner is held to its policies", which the switch says is beside the
            // point (the login may bypass).
            owner: '',
          },
        },
      ],
    },
    {
      name: 'a transaction whose only context SET takes its value as a bind parameter, which Postgres rejects (judge35)',
      filename: ROLES_AND_SETTINGS,
      code: `
        import { Pool } from 'pg';
        const pool = new Pool();
        export async function note(orgId, body) {
          const client = await pool.connect();
          await client.query('BEGIN');
          await client.query('SET LOCAL app.current_org_id = $1', [orgId]);
          await client.query('INSERT INTO notes (org_id, body) VALUES ($1, $2)', [orgId, body]);
          await client.query('COMMIT');
        }`,
      errors: [{ messageId: 'rejectedSet', line: 8 }],
    },
    {
      name: 'the same write where the package\'s scope helper switches no role: the message of a pool write',
      filename: path.join(ROLE_SWITCH, 'billing/src/case.ts'),
      code: `
        import { Pool } from 'pg';
        const pool = new Pool();
        export async function voidInvoice(id) {
          await pool.query('DELETE FROM invoices WHERE id = $1', [id]);
        }`,
      errors: [{ messageId: 'onPool', line: 5 }],
    },
    {
      name: 'a write on a pool that logs in as one shared role, where the policy keys on current_user',
      filename: ROLES_AND_SETTINGS,
      code: `
        import { Pool } from 'pg';
        const pool = new Pool({ user: 'app_user' });
        export async function rename(name) {
          await pool.query('UPDATE files SET name = $1', [name]);
        }`,
      errors: [
        {
          messageId: 'sharedLoginRole',
          line: 5,
          data: {
            write: 'UPDATE on public.files (RLS enabled at db/schema.sql:15)',
            evidence: 'runs on pg Pool created at src/case.ts:3 as the role app_user (at src/case.ts:3), one role for ' +
              'every request, and the policy files_owner on public.files (db/schema.sql:16) keys on the login role ' +
              '(current_user); no org setting is read by its policies, so only a per-tenant role scopes the write',
            consequence: 'match zero rows and report success',
            setting: 'app.current_tenant',
            // files has RLS without FORCE: its owner bypasses the policy (admin29).
            owner: ' public.files has RLS without FORCE ROW LEVEL SECURITY (no migration forces it): its owner (the ' +
              'role that runs the migrations) bypasses its policies, so on a connection that logs in as that role ' +
              "the write passes and sees every org's rows.",
          },
        },
      ],
    },
  ],
});
