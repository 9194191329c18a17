import rule from '../../rules/no-pool-scoped-context.js';
import { filename, ruleTester } from './tester.js';

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
  ],
});
