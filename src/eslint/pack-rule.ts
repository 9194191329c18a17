import type { TSESLint } from '@typescript-eslint/utils';
import { RULES } from '../../rules/catalog.js';
import type { PackRuleId } from '../packs/types.js';
import { createRule } from './create-rule.js';
import { packScan } from './pack-scan.js';
import { reportSetupProblem, SETUP_MESSAGE } from './setup-problem.js';

// The three pack rules share one scan of the file per lint run (src/eslint/pack-scan.ts),
// over the same packs the walker loads: the built-in ones plus the config's `packs`.

export interface PackRuleOptions {
  /** Names (API, variable or header) this project keeps on purpose; never reported. */
  allow?: string[];
}

export function packRule(id: PackRuleId, shape: { fixable?: boolean; hasSuggestions?: boolean }) {
  return createRule<[PackRuleOptions], 'finding' | 'replace' | 'setup'>({
    name: id,
    meta: {
      type: 'problem',
      docs: { description: RULES[id].description, recommended: true, requiresTypeChecking: false },
      messages: { finding: '{{message}}', replace: '{{desc}}', setup: SETUP_MESSAGE },
      ...(shape.fixable ? { fixable: 'code' as const } : {}),
      ...(shape.hasSuggestions ? { hasSuggestions: true } : {}),
      schema: [
        {
          type: 'object',
          additionalProperties: false,
          properties: { allow: { type: 'array', items: { type: 'string' }, description: 'Names this project keeps on purpose' } },
        },
      ],
    },
    defaultOptions: [{ allow: [] }],
    create(context, [options]) {
      const allow = new Set((options.allow ?? []).map((a) => a.toLowerCase()));
      return {
        'Program:exit'() {
          const source = context.sourceCode;
          const scan = packScan(context);
          if (!scan.ok) return reportSetupProblem(context, scan.problem);
          for (const m of scan.matches) {
            if (m.ruleId !== id || allow.has(m.entry.name.toLowerCase())) continue;
            context.report({
              loc: { start: source.getLocFromIndex(m.start), end: source.getLocFromIndex(m.end) },
              messageId: 'finding',
              data: { message: m.message },
              ...(m.fix ? { fix: (fixer: TSESLint.RuleFixer) => fixer.replaceTextRange([m.fix!.start, m.fix!.end], m.fix!.text) } : {}),
              ...(m.suggestions
                ? { suggest: m.suggestions.map((s) => ({ messageId: 'replace' as const, data: { desc: s.desc }, fix: (fixer: TSESLint.RuleFixer) => fixer.replaceTextRange([s.edit.start, s.edit.end], s.edit.text) })) }
                : {}),
            });
          }
        },
      };
    },
  });
}
