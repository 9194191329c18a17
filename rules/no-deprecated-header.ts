import { reportFindings } from '../src/eslint/report-findings.js';
import { FROM_PACK, PACK_OPTIONS_SCHEMA, type PackRuleOptions } from './pack-options.js';
import { createRule, SETUP_MESSAGE } from './rule.js';

// The pack entries of kind header (src/packs/matcher.ts: findingFor).

export type MessageIds = 'deprecatedHeader' | 'setup';

export default createRule<[PackRuleOptions], MessageIds>({
  name: 'no-deprecated-header',
  meta: {
    type: 'problem',
    docs: {
      description:
        'Deprecated HTTP header names (from the data packs) must be replaced before the version that rejects them',
      severity: 'warning',
      strict: 'error',
    },
    fixable: 'code',
    messages: {
      deprecatedHeader:
        `HTTP header {{subject}} {{changed}}: {{reason}}. Fix: send and read {{replacement}} instead${FROM_PACK}`,
      setup: SETUP_MESSAGE,
    },
    schema: PACK_OPTIONS_SCHEMA,
  },
  defaultOptions: [{ allow: [] }],
  create: (context, [options]) => reportFindings(context, { allow: options.allow }),
});
