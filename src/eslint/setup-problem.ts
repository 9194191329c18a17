import type { TSESLint } from '@typescript-eslint/utils';

// A problem that stops rls-guard checking a file (an invalid config, a schema it cannot
// read) is one reported problem at line 1, by whichever rls-guard rule runs first on the
// file, never a crash: an exception in a rule stops ESLint, and in an editor every file.

const reported = new WeakSet<object>();

export function reportSetupProblem(
  context: Readonly<TSESLint.RuleContext<'setup', readonly unknown[]>>,
  problem: string,
): void {
  if (reported.has(context.sourceCode)) return;
  reported.add(context.sourceCode);
  context.report({
    loc: { start: { line: 1, column: 0 }, end: { line: 1, column: 0 } },
    messageId: 'setup',
    data: { message: problem },
  });
}

/** The message of the setup problem, shared by every rule's meta. */
export const SETUP_MESSAGE = '{{message}}';
