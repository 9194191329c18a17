import rule from '../../rules/no-unresolved-write.js';
import { filename, ruleTester } from './tester.js';

/** Helpers h0…h14, each handing its callback to the next, h0 running it on the pool: deeper than the core follows. */
const CHAIN = Array.from(
  { length: 15 },
  (_, i) => `function h${i}(cb) { return ${i === 0 ? 'cb(pool)' : `h${i - 1}(cb)`}; }`,
).join('\n');

/** The evidence's end for a write in an exported arrow whose interpolation reads its parameter, which nothing calls. */
const PARAMETER_TABLE =
  'the table comes from a parameter of `run`, which is judged at each call that names it, and no call of `run` was found';

ruleTester.run('no-unresolved-write', rule, {
  valid: [
    {
      name: 'value interpolations are bind parameters; constant interpolations fold',
      filename,
      code: `
        import { pool } from './db';
        const TABLE = 'audit_logs';
        export const run = (orgId) => pool.query(\`INSERT INTO \${TABLE} (org_id, action) VALUES ('\${orgId}', $1)\`, ['x']);`,
    },
    {
      name: 'an unknown receiver whose argument is not SQL is not a database call',
      filename,
      code: `
        export const run = (es, q) => es.query(q);`,
    },
  ],
  invalid: [
    {
      // As in \`rls-guard audit\`: the project index finds no caller in any file, so nothing proves the connection scoped.
      name: 'an exported helper writing through its parameter that no file calls',
      filename,
      code: `
        export async function record(client, orgId) {
          await client.query('INSERT INTO audit_logs (org_id, action) VALUES ($1, $2)', [orgId, 'x']);
        }`,
      errors: [{ messageId: 'callersUnknown', line: 3 }],
    },
    {
      name: 'a table name from a variable changes the statement',
      filename,
      code: `
        import { pool } from './db';
        export const run = (table) => pool.query(\`DELETE FROM \${table} WHERE id = $1\`, [1]);`,
      errors: [
        {
          messageId: 'sqlNotConstant',
          line: 3,
          data: {
            write: 'A database write',
            evidence:
              "the SQL text cannot be resolved statically: the table it writes is built at run time: the interpolation `${table}` changes the statement's " +
              'structure (syntax error at or near an interpolated value); make it a constant or a bind parameter; ' +
              PARAMETER_TABLE,
            part: '`${table}`',
            unknown: 'the tables it writes cannot be known',
          },
        },
      ],
    },
    {
      // No call's arguments could complete the text (`buildUpdate` is not read): one site at the write, not a
      // table-generic builder judged at the calls of `run`.
      name: 'SQL built by a function call',
      filename,
      code: `
        import { pool } from './db';
        import { buildUpdate } from './sql';
        export const run = (fields) => pool.query(buildUpdate(fields));`,
      errors: [
        {
          messageId: 'sqlNotConstant',
          line: 4,
          data: {
            write: 'A database write',
            evidence:
              'the SQL text cannot be resolved statically: `buildUpdate(fields)` is not a constant; the ' +
              "statement's kind is unknown too, so its `operation` only stands in",
            part: '`buildUpdate(fields)`',
            unknown: 'the tables it writes cannot be known',
          },
        },
      ],
    },
    {
      // The constant text names the table: the message says so, and which interpolation is not constant.
      // A trailing interpolation could hold a second statement (`; DELETE FROM …`): unlike a SET list alone (judged
      // on its connection, write-text.ts fixedTableWrite), the write stays unresolved.
      name: 'a tail spliced after an UPDATE whose table is constant',
      filename,
      code: `
        import { pool } from './db';
        export const run = (tail, id) => pool.query(\`UPDATE projects SET name = 'x' WHERE id = $1 \${tail}\`, [id]);`,
      errors: [
        {
          messageId: 'sqlNotConstant',
          line: 3,
          data: {
            write: 'UPDATE on public.projects (RLS enabled at db/schema.sql:9)',
            evidence:
              "the SQL text cannot be resolved statically: the interpolation `${tail}` changes the " +
              "statement's structure (syntax error at or near an interpolated value); make it a constant or a bind " +
              'parameter',
            part: '`${tail}`',
            unknown:
              'its constant text writes public.projects, but what `${tail}` adds (another table, a ' +
              'function that writes) cannot be known',
          },
        },
      ],
    },
    {
      name: 'a connection that cannot be traced',
      filename,
      code: `
        export const run = () => globalThis.db.query('INSERT INTO projects (id, org_id) VALUES ($1, $2)', ['p', 'o']);`,
      errors: [{ messageId: 'connectionUnknown', line: 2 }],
    },
    {
      name: 'constant SQL that does not parse',
      filename,
      code: `
        import { pool } from './db';
        export const run = (orgId) => pool.query('INSERT INTO audit_logs (org_id VALUES ($1)', [orgId]);`,
      errors: [{ messageId: 'sqlUnparsable', line: 3 }],
    },
    {
      name: 'a knex builder that names no table',
      filename,
      code: `
        import knex from 'knex';
        const db = knex({ client: 'pg' });
        export const run = (orgId) => db.insert({ org_id: orgId });`,
      errors: [{ messageId: 'tableUnknown', line: 4 }],
    },
    {
      // failopen31: the block's text was read as one statement that writes nothing, and dropped.
      name: 'a DO block the app sends that runs SQL it builds (EXECUTE)',
      filename,
      code: `
        import { pool } from './db';
        export const run = () => pool.query("DO $$ BEGIN EXECUTE format('DELETE FROM %I', 'audit_logs'); END $$");`,
      errors: [{ messageId: 'tableUnknown', line: 3 }],
    },
    {
      // failopen32: a shape that names no library, on a parameter: no write at all.
      name: 'a TypeORM save of an entity of no class, on the manager a helper of the code hands its callback',
      filename,
      code: `
        import { DataSource } from 'typeorm';
        const ds = new DataSource({ type: 'postgres' });
        function withOrg(orgId, fn) {
          return ds.transaction(async (manager) => {
            await manager.query("select set_config('app.org_id', $1, true)", [orgId]);
            return fn(manager);
          });
        }
        export const run = (orgId, invoice) => withOrg(orgId, async (m) => m.save(invoice));`,
      errors: [{ messageId: 'tableUnknown', line: 10 }],
    },
    {
      name: 'a knex builder whose schema is not a constant',
      filename,
      code: `
        import knex from 'knex';
        const db = knex({ client: 'pg' });
        export const run = (schema, orgId) => db.withSchema(schema).insert({ org_id: orgId }).into('audit_logs');`,
      errors: [{ messageId: 'tableUnknown', line: 4 }],
    },
    {
      name: 'a write in a callback handed to a package function rls-guard cannot see into',
      filename,
      code: `
        import { runInTx } from 'tx-lib';
        export const run = (orgId) =>
          runInTx(async (tx) => { await tx.query('INSERT INTO audit_logs (org_id, action) VALUES ($1, $2)', [orgId, 'x']); });`,
      errors: [{ messageId: 'helperUnknown', line: 4 }],
    },
    {
      name: 'a write on a value of a package rls-guard has no adapter for',
      filename,
      code: `
        import { client } from 'some-db';
        export const run = (orgId) => client.query('INSERT INTO audit_logs (org_id, action) VALUES ($1, $2)', [orgId, 'x']);`,
      errors: [{ messageId: 'unsupportedLibrary', line: 3 }],
    },
    {
      name: 'a callback forwarded through more helpers than the analysis follows',
      filename,
      code: `import { pool } from './db';
${CHAIN}
export const run = (orgId) => h14(async (c) => { await c.query('INSERT INTO audit_logs (org_id, action) VALUES ($1, $2)', [orgId, 'x']); });`,
      errors: [{ messageId: 'budgetExceeded', line: 17 }],
    },
  ],
});
