import { ESLintUtils } from '@typescript-eslint/utils';
import { docsUrl, RULES, type RuleId } from '../../rules/catalog.js';
import { lintAnalysis } from './lint-analysis.js';
import { packScan } from './pack-scan.js';
import { reportSetupProblem, SETUP_MESSAGE } from './setup-problem.js';

export const createRule = ESLintUtils.RuleCreator<{ recommended?: boolean; requiresTypeChecking?: boolean }>((name) => docsUrl(name));

/**
 * An ESLint rule that reports the core's findings of one rule id. The rule modules stay
 * thin: detection lives once, in the core, and the walker reports the same findings.
 */
export function coreRule(id: RuleId, type: 'problem' | 'suggestion' = 'problem') {
  return createRule<[], 'finding' | 'setup'>({
    name: id,
    meta: {
      type,
      docs: { description: RULES[id].description, recommended: true, requiresTypeChecking: false },
      messages: { finding: '{{message}}', setup: SETUP_MESSAGE },
      schema: [],
    },
    defaultOptions: [],
    create(context) {
      return {
        'Program:exit'() {
          const analysis = lintAnalysis(context);
          if (!analysis.ok) return reportSetupProblem(context, analysis.problem);
          const scan = id === 'no-unused-suppression' ? packScan(context) : undefined;
          for (const f of analysis.findings) {
            if (f.ruleId !== id || f.suppressed) continue;
            // A suppression the pack rules used is not unused.
            if (scan?.ok && scan.usedSuppressionLines.has(f.line)) continue;
            context.report({
              loc: { start: { line: f.line, column: f.column - 1 }, end: { line: f.endLine, column: f.endColumn - 1 } },
              messageId: 'finding',
              data: { message: f.message },
            });
          }
        },
      };
    },
  });
}
