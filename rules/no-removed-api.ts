import { reportFindings } from '../src/eslint/report-findings.js';
import { FROM_PACK, PACK_OPTIONS_SCHEMA, type PackRuleOptions } from './pack-options.js';
import { createRule, SETUP_MESSAGE } from './rule.js';

// The pack entries of kind api, client and field (src/packs/matcher.ts: findingFor).

export type MessageIds =
  | 'removedApi'
  | 'replacedApi'
  | 'removedClient'
  | 'replacedClient'
  | 'payloadField'
  | 'replaceCall'
  | 'readFirst'
  | 'setup';

export default createRule<[PackRuleOptions], MessageIds>({
  name: 'no-removed-api',
  meta: {
    type: 'problem',
    docs: {
      description:
        'Helpers, OAuth clients and payload fields that a platform upgrade removed or renamed (from the data packs) ' +
        'must not be used',
      severity: 'error',
    },
    hasSuggestions: true,
    messages: {
      removedApi: `{{subject}} {{changed}}: {{reason}}. Fix: remove the call${FROM_PACK}`,
      replacedApi: `{{subject}} {{changed}}: {{reason}}. Fix: use {{replacement}} instead${FROM_PACK}`,
      removedClient: `OAuth client "{{subject}}" {{changed}}: {{reason}}. Fix: remove it${FROM_PACK}`,
      replacedClient:
        `OAuth client "{{subject}}" {{changed}}: {{reason}}. Fix: use {{replacement}} instead${FROM_PACK}`,
      payloadField:
        '{{subject}} reads {{name}}, which {{changed}}: {{reason}}. ' +
        `Fix: read {{replacement}} first and fall back to {{name}}${FROM_PACK}`,
      /** Suggestion: call the replacement instead. */
      replaceCall:
        "Replace {{name}} with {{replacement}} (check the call's arguments: {{replacement}} takes a callback)",
      /** Suggestion: read the new field first. */
      readFirst: 'Read {{preferred}} first: {{object}}.{{preferred}} ?? {{read}}',
      setup: SETUP_MESSAGE,
    },
    schema: PACK_OPTIONS_SCHEMA,
  },
  defaultOptions: [{ allow: [] }],
  create: (context, [options]) => reportFindings(context, { allow: options.allow }),
});
