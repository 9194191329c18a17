import rule from '../../rules/no-truncate-gated.js';
import { filename, ruleTester } from './tester.js';

// RLS never applies to TRUNCATE: a truncate of a gated table removes every tenant's rows
// whatever org context the connection carries. Only an admin connection makes it deliberate.

ruleTester.run('no-truncate-gated', rule, {
  valid: [
    {
      name: 'on an admin connection: deliberate cross-org maintenance',
      filename,
      code: `
        import { adminPool } from './admin';
        export const wipe = () => adminPool.query('TRUNCATE projects');`,
    },
    {
      name: 'a table without RLS',
      filename,
      code: `
        import { pool } from './db';
        export const reset = () => pool.query('TRUNCATE feature_flags');`,
    },
    {
      name: "DELETE inside the scope helper: RLS keeps it to the org",
      filename,
      code: `
        import { pool } from './db';
        import { withOrgScope } from './tenancy';
        export const clear = (ctx, org) => withOrgScope(ctx, pool, org, (tx) => tx.query('DELETE FROM projects'));`,
    },
    {
      name: 'TRUNCATE in a string that no connection runs',
      filename,
      code: `
        export const doc = 'TRUNCATE projects';
        console.log(doc);`,
    },
  ],
  invalid: [
    {
      name: 'on the pool',
      filename,
      code: `
        import { pool } from './db';
        export const wipe = () => pool.query('TRUNCATE projects');`,
      errors: [{ messageId: 'truncate', line: 3, data: { tables: 'public.projects (RLS enabled at db/schema.sql:9)', via: '' } }],
    },
    {
      name: 'inside the scope helper: the org context does not narrow a TRUNCATE',
      filename,
      code: `
        import { pool } from './db';
        import { withOrgScope } from './tenancy';
        export const wipe = (ctx, org) => withOrgScope(ctx, pool, org, (tx) => tx.query('TRUNCATE audit_logs, feature_flags'));`,
      errors: [{ messageId: 'truncateDespiteScope', line: 4 }],
    },
    {
      name: 'in a multi-statement string with a gated insert: both rules report',
      filename,
      code: `
        import { pool } from './db';
        export const reseed = () => pool.query('TRUNCATE projects; INSERT INTO audit_logs (org_id, action) VALUES (NULL, $$x$$)');`,
      errors: [{ messageId: 'truncate', line: 3 }],
    },
  ],
});
