import { reportFindings } from '../src/eslint/report-findings.js';
import { FROM_PACK, PACK_OPTIONS_SCHEMA, type PackRuleOptions } from './pack-options.js';
import { createRule, SETUP_MESSAGE } from './rule.js';

// The pack entries of kind env, in code and in deployment files (src/packs/matcher.ts: findingFor).

export type MessageIds = 'removedEnv' | 'replacedEnv' | 'missingRequired' | 'setup';

export default createRule<[PackRuleOptions], MessageIds>({
  name: 'no-deprecated-env',
  meta: {
    type: 'problem',
    docs: {
      description:
        'Environment variables that a platform upgrade removed or deprecated (from the data packs) ' +
        'must not be read or set, in code or in deployment files',
      severity: 'error',
    },
    messages: {
      removedEnv: `Environment variable {{subject}} {{changed}}: {{reason}}. Fix: remove it${FROM_PACK}`,
      replacedEnv:
        `Environment variable {{subject}} {{changed}}: {{reason}}. Fix: replace it with {{replacement}}${FROM_PACK}`,
      /** A variable whose value needs another one set beside it. */
      missingRequired:
        '{{subject}} without {{requires}} in the same file: {{reason}}. Fix: set {{requires}} beside it ' +
        `(a secret reference counts; if another file provides it, suppress with that reason)${FROM_PACK}`,
      setup: SETUP_MESSAGE,
    },
    schema: PACK_OPTIONS_SCHEMA,
  },
  defaultOptions: [{ allow: [] }],
  create: (context, [options]) => reportFindings(context, { allow: options.allow }),
});
