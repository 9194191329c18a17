import { createRule, SETUP_MESSAGE } from './rule.js';

// Only the walker sees every file, so only it can say that no code sets a setting: reported on
// the policy's migration line (src/analysis/schema-findings.ts); the ESLint rule reports nothing.

export type MessageIds = 'unsetSetting' | 'setup';

export default createRule<[], MessageIds>({
  name: 'no-unset-policy-setting',
  meta: {
    type: 'problem',
    docs: {
      description: 'A setting an RLS policy reads should be set somewhere in the code, or the policy matches no rows',
      severity: 'warning',
      walkerOnly: true,
    },
    messages: {
      unsetSetting:
        "Policy {{policy}} on {{table}} reads current_setting('{{setting}}'), " +
        'but no code in the audited paths sets {{setting}}: the setting stays empty, so the policy matches no rows ' +
        '(reads come back empty, updates and deletes do nothing, inserts fail). ' +
        "Set it with set_config('{{setting}}', …, true) in the same transaction as the org context, " +
        'or list it under "contextSettings" if something outside the code sets it.',
      setup: SETUP_MESSAGE,
    },
    schema: [],
  },
  defaultOptions: [],
  create: () => ({}),
});
