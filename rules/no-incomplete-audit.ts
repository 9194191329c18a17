import { RULES } from './catalog.js';
import { createRule } from '../src/eslint/create-rule.js';
import { lintAnalysis } from '../src/eslint/lint-analysis.js';

// Not a core finding per write: the analysis reports the parts of the linted file it could
// not read (a file over `maxFileBytes`, a syntax error, an analysis that gave up).
export default createRule<[], 'incomplete'>({
  name: 'no-incomplete-audit',
  meta: {
    type: 'problem',
    docs: { description: RULES['no-incomplete-audit'].description, recommended: true, requiresTypeChecking: false },
    messages: { incomplete: 'rls-guard did not read all of this file: {{reason}}. Writes it hides are not checked. Fix the file, raise `maxFileBytes` in the rls-guard config, or ignore the file.' },
    schema: [],
  },
  defaultOptions: [],
  create(context) {
    return {
      'Program:exit'() {
        const analysis = lintAnalysis(context);
        // A setup problem (a bad config) is reported once by every rule's shared path.
        if (!analysis.ok) return;
        for (const gap of analysis.incomplete) {
          const line = gap.line ?? 1;
          context.report({ loc: { start: { line, column: 0 }, end: { line, column: 0 } }, messageId: 'incomplete', data: { reason: gap.reason } });
        }
      },
    };
  },
});
