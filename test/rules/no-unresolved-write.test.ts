import rule from '../../rules/no-unresolved-write.js';
import { filename, ruleTester } from './tester.js';

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
      errors: [{ messageId: 'cannotVerify', line: 3 }],
    },
    {
      name: 'a table name from a variable changes the statement',
      filename,
      code: `
        import { pool } from './db';
        export const run = (table) => pool.query(\`DELETE FROM \${table} WHERE id = $1\`, [1]);`,
      errors: [{ messageId: 'cannotVerify', line: 3 }],
    },
    {
      name: 'SQL built by a function call',
      filename,
      code: `
        import { pool } from './db';
        import { buildUpdate } from './sql';
        export const run = (fields) => pool.query(buildUpdate(fields));`,
      errors: [{ messageId: 'cannotVerify', line: 4 }],
    },
    {
      name: 'a connection that cannot be traced',
      filename,
      code: `
        export const run = () => globalThis.db.query('INSERT INTO projects (id, org_id) VALUES ($1, $2)', ['p', 'o']);`,
      errors: [{ messageId: 'cannotVerify', line: 2 }],
    },
  ],
});
