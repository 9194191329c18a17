import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tsParser from '@typescript-eslint/parser';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import rule from '../../rules/no-unbounded-write.js';
import plugin from '../../src/eslint-plugin.js';
import { auditSync } from '../../src/walker/audit.js';
import { filename, FIXTURE, ruleTester } from './tester.js';

ruleTester.run('no-unbounded-write', rule, {
  valid: [
    {
      name: 'an org-scoped UPDATE and DELETE that pick their rows',
      filename,
      code: `
        import { pool } from './db';
        import { withOrgScope } from './tenancy';
        export const run = (ctx, org, id) => withOrgScope(ctx, pool, org, async (tx) => {
          await tx.query('UPDATE projects SET name = $1 WHERE id = $2', ['x', id]);
          await tx.query('DELETE FROM audit_logs WHERE id = $1', [id]);
        });`,
    },
    {
      name: 'a whole-table write of a table without RLS',
      filename,
      code: `
        import { pool } from './db';
        export const reset = () => pool.query('UPDATE feature_flags SET enabled = false');`,
    },
    {
      name: "an unscoped whole-table DELETE is no-unscoped-write's finding, not this rule's",
      filename,
      code: `
        import { pool } from './db';
        export const wipe = () => pool.query('DELETE FROM projects');`,
    },
    {
      name: 'a WHERE in a subquery does not bound the outer DELETE, but a WHERE on it does',
      filename,
      code: `
        import { pool } from './db';
        import { withOrgScope } from './tenancy';
        export const prune = (ctx, org) => withOrgScope(ctx, pool, org, (tx) =>
          tx.query('DELETE FROM audit_logs WHERE id IN (SELECT id FROM audit_logs WHERE action = $1)', ['x']));`,
    },
  ],
  invalid: [
    {
      name: 'a DELETE with no WHERE in an org-scoped transaction takes every row of the org',
      filename,
      code: `
        import { pool } from './db';
        import { withOrgScope } from './tenancy';
        export const clear = (ctx, org) => withOrgScope(ctx, pool, org, (tx) => tx.query('DELETE FROM audit_logs'));`,
      errors: [{ messageId: 'everyRowOfOrg', line: 4, data: { operation: 'DELETE', table: 'public.audit_logs', via: 'withOrgScope' } }],
    },
    {
      name: 'an UPDATE with no WHERE inside a writable CTE, org-scoped',
      filename,
      code: `
        import { pool } from './db';
        import { withOrgScope } from './tenancy';
        export const rename = (ctx, org) => withOrgScope(ctx, pool, org, (tx) =>
          tx.query("WITH renamed AS (UPDATE projects SET name = 'x' RETURNING id) SELECT count(*) FROM renamed"));`,
      errors: [{ messageId: 'everyRowOfOrg', line: 5, data: { operation: 'UPDATE', table: 'public.projects', via: 'withOrgScope' } }],
    },
    {
      name: 'on an admin connection nothing narrows it: every row of every org',
      filename,
      code: `
        import { adminPool } from './admin';
        export const archiveAll = () => adminPool.query('UPDATE projects SET name = NULL');`,
      errors: [{ messageId: 'everyRowOfEveryOrg', line: 3 }],
    },
  ],
});

describe('both front ends', () => {
  it('the walker reports what the ESLint rule reports, in the same words', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-unbounded-'));
    fs.cpSync(FIXTURE, root, { recursive: true });
    const code = "import { pool } from './db';\nimport { withOrgScope } from './tenancy';\nexport const clear = (ctx, org) => withOrgScope(ctx, pool, org, (tx) => tx.query('DELETE FROM audit_logs'));\n";
    fs.writeFileSync(path.join(root, 'src/clear.ts'), code);
    const walker = auditSync({ paths: [root], types: false }).findings.filter((f) => f.ruleId === 'no-unbounded-write');
    expect(walker.map((f) => `${f.file}:${f.line} ${f.severity}`)).toEqual(['src/clear.ts:3 warning']);
    const eslint = new ESLint({ cwd: root, overrideConfigFile: true, overrideConfig: [{ ...plugin.configs.recommended, languageOptions: { parser: tsParser } }] as ESLint.Options['overrideConfig'] });
    const [result] = await eslint.lintFiles(['src/clear.ts']);
    expect(result!.messages.filter((m) => m.ruleId === 'rls-guard/no-unbounded-write').map((m) => m.message)).toEqual([walker[0]!.message]);
  }, 60_000);
});
