import path from 'node:path';
import rule from '../../rules/no-incomplete-audit.js';
import { FIXTURE, filename, ruleTester } from './tester.js';

// fixtures/rule-tester/small-limit sets maxFileBytes to 200: the plugin skips what the walker skips.
const small = path.join(FIXTURE, 'small-limit/case.ts');
const WRITE = `import { pool } from './db';\nexport const run = () => pool.query('DELETE FROM projects WHERE id = $1', [1]);\n`;

ruleTester.run('no-incomplete-audit', rule, {
  valid: [
    { name: 'a file the analysis reads in full', filename, code: WRITE },
  ],
  invalid: [
    {
      // small-limit has no migrations of its own: the file is read (no sourceGap), and the model's gap is said where
      // the write is, as the audit fails on it.
      name: 'a file at the limit is read; a project with no migrations says so at the top of a file that writes',
      filename: small,
      code: WRITE.padEnd(200, ' '),
      errors: [{ messageId: 'modelGap', line: 1, column: 1 }],
    },
    {
      name: 'a file over maxFileBytes is skipped, and says so instead of passing',
      filename: small,
      code: `${WRITE}${'// padding\n'.repeat(20)}`,
      errors: [{ messageId: 'sourceGap', line: 1, data: { accept: '', reason: `skipped: ${Buffer.byteLength(`${WRITE}${'// padding\n'.repeat(20)}`)} bytes is over the maxFileBytes limit of 200 bytes` } }],
    },
  ],
});
