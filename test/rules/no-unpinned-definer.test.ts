import rule from '../../rules/no-unpinned-definer.js';
import { filename, ruleTester } from './tester.js';

ruleTester.run('no-unpinned-definer', rule, {
  valid: [
    {
      name: 'a SECURITY DEFINER function that pins search_path',
      filename,
      code: `
        import { pool } from './db';
        export const touch = (id) => pool.query('SELECT auth_touch_api_key($1)', [id]);`,
    },
    {
      name: 'an ordinary (SECURITY INVOKER) function: no owner rights to hijack',
      filename,
      code: `
        import { pool } from './db';
        import { withOrgScope } from './scope';
        export const rename = (ctx, org, id, name) => withOrgScope(ctx, pool, org, (tx) => tx.query('SELECT rename_project($1, $2)', [id, name]));`,
    },
    {
      name: 'the name in a string that is not SQL run on a connection',
      filename,
      code: `
        export const label = 'SELECT purge_projects($1)';
        console.log(label);`,
    },
  ],
  invalid: [
    {
      name: 'a call of a SECURITY DEFINER function whose search_path is not pinned',
      filename,
      code: `
        import { pool } from './db';
        export const purge = (org) => pool.query('SELECT purge_projects($1)', [org]);`,
      errors: [{ messageId: 'unpinned', line: 3, data: { fn: 'public.purge_projects', at: 'db/schema.sql:26' } }],
    },
    {
      name: "also inside a scope helper: the hijack risk is the function's, not the caller's",
      filename,
      code: `
        import { pool } from './db';
        import { withOrgScope } from './scope';
        export const purge = (ctx, org) => withOrgScope(ctx, pool, org, (tx) => tx.query('SELECT purge_projects($1)', [org]));`,
      errors: [{ messageId: 'unpinned', line: 4 }],
    },
  ],
});
