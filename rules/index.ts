import type { Severity } from '../src/report/types.js';
import noAdminOnRequestPath from './no-admin-on-request-path.js';
import noDeprecatedEnv from './no-deprecated-env.js';
import noDeprecatedHeader from './no-deprecated-header.js';
import noIncompleteAudit from './no-incomplete-audit.js';
import noOwnerBypass from './no-owner-bypass.js';
import noPoolScopedContext from './no-pool-scoped-context.js';
import noRemovedApi from './no-removed-api.js';
import noTruncateGated from './no-truncate-gated.js';
import noUnboundedWrite from './no-unbounded-write.js';
import noUnjustifiedSuppression from './no-unjustified-suppression.js';
import noUnpinnedDefiner from './no-unpinned-definer.js';
import noUnresolvedWrite from './no-unresolved-write.js';
import noUnscopedWrite from './no-unscoped-write.js';
import noUnsetPolicySetting from './no-unset-policy-setting.js';
import noUnusedSuppression from './no-unused-suppression.js';
import type { RuleDocs, SiteCheck } from './rule.js';

// The registry: the one list of rules. The plugin's configs, the walker's severities and
// the report's rule descriptions (SARIF) are derived from it.

export const rules = {
  'no-unscoped-write': noUnscopedWrite,
  'no-unresolved-write': noUnresolvedWrite,
  'no-pool-scoped-context': noPoolScopedContext,
  'no-truncate-gated': noTruncateGated,
  'no-unpinned-definer': noUnpinnedDefiner,
  'no-owner-bypass': noOwnerBypass,
  'no-unset-policy-setting': noUnsetPolicySetting,
  'no-unjustified-suppression': noUnjustifiedSuppression,
  'no-unused-suppression': noUnusedSuppression,
  'no-removed-api': noRemovedApi,
  'no-deprecated-env': noDeprecatedEnv,
  'no-deprecated-header': noDeprecatedHeader,
  'no-incomplete-audit': noIncompleteAudit,
  'no-unbounded-write': noUnboundedWrite,
  'no-admin-on-request-path': noAdminOnRequestPath,
};

export type RuleId = keyof typeof rules;

/** What the front ends read of a rule, whatever its options and message ids. */
export interface RuleInfo {
  id: RuleId;
  docs: RuleDocs & { url?: string };
  messages: Readonly<Record<string, string>>;
  check?: SiteCheck;
}

export const RULES: readonly RuleInfo[] = Object.entries(rules).map(([id, rule]) => ({
  id: id as RuleId,
  docs: rule.meta.docs!,
  messages: rule.meta.messages,
  ...('check' in rule ? { check: rule.check as SiteCheck } : {}),
}));

const byId = new Map<string, RuleInfo>(RULES.map((r) => [r.id, r]));

export function ruleInfo(id: string): RuleInfo | undefined {
  return byId.get(id);
}

/** A rule's severity in the recommended set, or under strict (`--strict`, the plugin's strict config). */
export function severityOf(id: string, strict: boolean): Severity | 'off' {
  const docs = byId.get(id)?.docs;
  if (!docs) return 'error'; // an id no rule holds is a defect; it must not pass quietly
  return (strict ? docs.strict : undefined) ?? docs.severity;
}
