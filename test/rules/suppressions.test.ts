import noUnjustified from '../../rules/no-unjustified-suppression.js';
import noUnused from '../../rules/no-unused-suppression.js';
import { filename, ruleTester } from './tester.js';

ruleTester.run('no-unjustified-suppression', noUnjustified, {
  valid: [
    {
      name: 'a suppression with a reason',
      filename,
      code: `
        import { pool } from './db';
        // rls-guard-ignore-next-line no-unscoped-write -- migration backfill
        export const run = () => pool.query('DELETE FROM projects');`,
    },
  ],
  invalid: [
    {
      name: 'a suppression without a reason is an error and suppresses nothing',
      filename,
      code: `
        import { pool } from './db';
        // rls-guard-ignore-next-line no-unscoped-write
        export const run = () => pool.query('DELETE FROM projects');`,
      errors: [{ messageId: 'noReason', line: 3 }],
    },
  ],
});

ruleTester.run('no-unused-suppression', noUnused, {
  valid: [
    {
      name: 'a used suppression',
      filename,
      code: `
        import { pool } from './db';
        // rls-guard-ignore-next-line no-unscoped-write -- reviewed: runs under the owner role
        export const run = () => pool.query('DELETE FROM projects');`,
    },
  ],
  invalid: [
    {
      name: 'a suppression above a covered write suppresses nothing',
      filename,
      code: `
        import { pool } from './db';
        // rls-guard-ignore-next-line no-unscoped-write -- stale
        export const run = () => pool.query('SELECT auth_touch_api_key($1)', ['k']);`,
      errors: [{ messageId: 'unused', line: 3 }],
    },
  ],
});
