import rule from '../../rules/no-pool-scoped-context.js';
import path from 'node:path';
import { FIXTURE, filename, ruleTester } from './tester.js';

const ROLES_AND_SETTINGS = path.join(FIXTURE, 'roles-and-settings/src/case.ts');
const CLIENT = 'pooled client from pool.connect() at src/case.ts:5';

ruleTester.run('no-pool-scoped-context', rule, {
  valid: [
    {
      name: 'transaction-local set_config on a checked-out client',
      filename,
      code: `
        import { pool } from './db';
        export async function run(orgId) {
          const c = await pool.connect();
          await c.query('BEGIN');
          await c.query("SELECT set_config('app.current_org_id', $1, true)", [orgId]);
          await c.query('COMMIT');
        }`,
    },
    {
      name: 'a setting the policies do not read is not the org context',
      filename,
      code: `
        import { pool } from './db';
        export const run = () => pool.query("SELECT set_config('statement_timeout', '5s', false)");`,
    },
    {
      name: 'session-wide on a dedicated Client: the next statement runs on the same connection',
      filename,
      code: `
        import { Client } from 'pg';
        export async function run(orgId) {
          const c = new Client();
          await c.connect();
          await c.query("SELECT set_config('app.current_org_id', $1, false)", [orgId]);
          await c.end();
        }`,
    },
    {
      name: 'a session-wide SET in a library transaction over a dedicated Client: the connection is not shared',
      filename,
      code: `
        import { sql } from 'drizzle-orm';
        import { drizzle } from 'drizzle-orm/node-postgres';
        import { Client } from 'pg';
        export async function run(orgId) {
          const client = new Client();
          await client.connect();
          const db = drizzle(client);
          await db.transaction(async (tx) => {
            await tx.execute(sql.raw(\`SET app.current_org_id = '\${orgId}'\`));
          });
          await client.end();
        }`,
    },
    {
      name: 'a checked-out client only ever released with true is destroyed: its session setting reaches no one',
      filename,
      code: `
        import { sql } from 'drizzle-orm';
        import { drizzle } from 'drizzle-orm/node-postgres';
        import { pool } from './db';
        export async function run(orgId, fn) {
          const client = await pool.connect();
          try {
            const db = drizzle(client);
            await db.execute(sql.raw(\`SET app.current_org_id = '\${orgId}'\`));
            return await fn(db);
          } finally {
            client.release(true);
          }
        }`,
    },
    {
      name: "clearing the context to '' before the release leaves no org on the connection",
      filename,
      code: `
        import { pool } from './db';
        export async function release(c) {
          await pool.query("SELECT set_config('app.current_org_id', '', false)");
          const d = await pool.connect();
          await d.query("SELECT set_config('app.current_org_id', '', false)");
          await d.query("SELECT set_config('app.current_org_id', '', true)");
          d.release();
        }`,
    },
    {
      name: 'pg-promise formats $1 into the text itself, so SET LOCAL with $1 sets the context',
      filename,
      code: `
        import pgp from 'pg-promise';
        const db = pgp()(process.env.DATABASE_URL);
        export const run = (orgId) =>
          db.tx(async (t) => {
            await t.none('SET LOCAL app.current_org_id = $1', [orgId]);
          });`,
    },
    {
      name: 'a plain string splices the value into the text: not a bind parameter',
      filename,
      code: `
        import { pool } from './db';
        export async function run(orgId: number) {
          const c = await pool.connect();
          await c.query('BEGIN');
          await c.query(\`SET LOCAL app.current_org_id = \${orgId}\`);
          await c.query('COMMIT');
        }`,
    },
  ],
  invalid: [
    {
      name: 'a session-wide set_config on a pool stays on one connection for its next borrower',
      filename,
      code: `
        import { pool } from './db';
        export const run = (orgId) => pool.query("SELECT set_config('app.current_org_id', $1, false)", [orgId]);`,
      errors: [{ messageId: 'onPool', line: 3, data: { pool: 'pg Pool created at src/db.ts:3', set: "set_config('app.current_org_id', …, false)" } }],
    },
    {
      name: 'set_config(…, true) on a checked-out client with no transaction open lasts one statement',
      filename,
      code: `
        import { pool } from './db';
        export async function run(orgId) {
          const client = await pool.connect();
          await client.query("SELECT set_config('app.current_org_id', $1, true)", [orgId]);
          client.release();
        }`,
      errors: [{ messageId: 'autocommitSetting', line: 5 }],
    },
    {
      name: 'transaction-local set_config on a pool ends with that statement',
      filename,
      code: `
        import { pool } from './db';
        export const run = (orgId) => pool.query("SELECT set_config('app.current_org_id', $1, true)", [orgId]);`,
      errors: [{ messageId: 'onPoolOneStatement', line: 3 }],
    },
    {
      name: 'session-wide SET and set_config(…, false) on a pooled client leak to the next borrower',
      filename,
      code: `
        import { pool } from './db';
        export async function run(orgId) {
          const c = await pool.connect();
          await c.query("SELECT set_config('app.current_org_id', $1, false)", [orgId]);
          await c.query("SET app.current_org_id = 'abc'");
          c.release();
        }`,
      errors: [{ messageId: 'sessionWide', line: 5 }, { messageId: 'sessionWide', line: 6 }],
    },
    {
      name: "a session-wide SET in a library transaction on a pool outlives the commit on that pool's connection",
      filename,
      code: `
        import { sql } from 'drizzle-orm';
        import { drizzle } from 'drizzle-orm/node-postgres';
        import { Pool } from 'pg';
        const db = drizzle(new Pool());
        export async function run(orgId, name) {
          await db.transaction(async (tx) => {
            await tx.execute(sql.raw(\`SET app.current_org_id = '\${orgId}'\`));
            await tx.execute(sql\`UPDATE projects SET name = \${name}\`);
          });
        }`,
      errors: [{ messageId: 'sessionWide', line: 8 }],
    },
    {
      name: "set_config(…, false) in postgres.js's sql.begin on the shared pool stays on the connection",
      filename,
      code: `
        import postgres from 'postgres';
        const sql = postgres(process.env.DATABASE_URL);
        export const run = (orgId) =>
          sql.begin(async (tx) => {
            await tx\`SELECT set_config('app.current_org_id', \${orgId}, false)\`;
            await tx\`DELETE FROM audit_logs\`;
          });`,
      errors: [{ messageId: 'sessionWide', line: 6 }],
    },
    {
      name: "a session-wide SET in knex's transaction on its pool",
      filename,
      code: `
        import Knex from 'knex';
        const knex = Knex({ client: 'pg', connection: process.env.DATABASE_URL });
        export const run = () =>
          knex.transaction(async (trx) => {
            await trx.raw("SET app.current_org_id = 'abc'");
            await trx('projects').update({ name: 'x' });
          });`,
      errors: [{ messageId: 'sessionWide', line: 6 }],
    },
    {
      name: 'released with true on one path and handed back on another: the setting can reach the next borrower',
      filename,
      code: `
        import { pool } from './db';
        export async function run(orgId, ok) {
          const client = await pool.connect();
          await client.query("SELECT set_config('app.current_org_id', $1, false)", [orgId]);
          if (ok) client.release();
          else client.release(true);
        }`,
      errors: [{ messageId: 'sessionWide', line: 5 }],
    },
    {
      name: "a client handed to the code's own function may be released there without true",
      filename,
      code: `
        import { pool } from './db';
        import { finish } from './finish';
        export async function run(orgId) {
          const client = await pool.connect();
          await client.query("SELECT set_config('app.current_org_id', $1, false)", [orgId]);
          finish(client);
          client.release(true);
        }`,
      errors: [{ messageId: 'sessionWide', line: 6 }],
    },
    {
      name: 'each setting of one statement is named in its own finding, and the one cleared has none',
      filename: ROLES_AND_SETTINGS,
      code: `
        import { Pool } from 'pg';
        const pool = new Pool();
        export async function run(orgId, tenant) {
          const c = await pool.connect();
          await c.query(
            "SELECT set_config('app.current_org_id', $1, false), set_config('app.current_tenant', $2, false)",
            [orgId, tenant],
          );
          await c.query("SELECT set_config('app.current_org_id', '', false), set_config('app.current_tenant', '', false)");
          c.release();
        }`,
      errors: [
        { messageId: 'sessionWide', line: 6, data: { set: "set_config('app.current_org_id', …, false)", connection: CLIENT } },
        { messageId: 'sessionWide', line: 6, data: { set: "set_config('app.current_tenant', …, false)", connection: CLIENT } },
      ],
    },
    {
      name: 'SET LOCAL on a checked-out client with no transaction open has no effect',
      filename,
      code: `
        import { pool } from './db';
        export async function run(orgId) {
          const c = await pool.connect();
          await c.query("SET LOCAL app.current_org_id = 'abc'");
          c.release();
        }`,
      errors: [{ messageId: 'setLocalOutsideTransaction', line: 5 }],
    },
    {
      name: 'SET LOCAL with $1 as a pg bind parameter: the server rejects it, the context is never set',
      filename,
      code: `
        import { pool } from './db';
        export async function run(orgId) {
          const c = await pool.connect();
          await c.query('BEGIN');
          await c.query('SET LOCAL app.current_org_id = $1', [orgId]);
          await c.query('COMMIT');
        }`,
      errors: [
        {
          messageId: 'setWithBindParameter',
          line: 6,
          data: { set: 'SET LOCAL app.current_org_id = $n', fix: "set_config('app.current_org_id', $n, true)" },
        },
      ],
    },
    {
      name: "a tagged template's value is a bind parameter too (postgres.js)",
      filename,
      code: `
        import postgres from 'postgres';
        const sql = postgres();
        export const run = (orgId) =>
          sql.begin(async (tx) => {
            await tx\`SET LOCAL app.current_org_id = \${orgId}\`;
          });`,
      errors: [{ messageId: 'setWithBindParameter', line: 6 }],
    },
    {
      name: "knex's ? placeholder is sent as a bind parameter",
      filename,
      code: `
        import knex from 'knex';
        const db = knex({ client: 'pg' });
        export const run = (orgId) =>
          db.transaction(async (trx) => {
            await trx.raw('SET app.current_org_id = ?', [orgId]);
          });`,
      errors: [{ messageId: 'setWithBindParameter', line: 6, data: { set: 'SET app.current_org_id = $n', fix: "set_config('app.current_org_id', $n, false)" } }],
    },
  ],
});
