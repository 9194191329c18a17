import path from 'node:path';
import { RuleTester } from '@typescript-eslint/rule-tester';
import { afterAll, describe, it } from 'vitest';

RuleTester.afterAll = afterAll;
RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;

/** Cases are linted as if they were files of fixtures/rule-tester, whose migrations gate audit_logs and projects. */
export const FIXTURE = path.resolve(import.meta.dirname, '../../fixtures/rule-tester');
export const filename = path.join(FIXTURE, 'src/case.ts');

export const ruleTester = new RuleTester({
  languageOptions: { parserOptions: { ecmaVersion: 2022, sourceType: 'module' } },
});
