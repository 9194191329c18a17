import type { Severity } from '../src/report/types.js';

// The rule catalogue: ids, default severities and one-line descriptions, shared by the
// walker's findings and the ESLint rules (the ids are a public contract).

export interface RuleInfo {
  id: string;
  severity: Severity;
  description: string;
}

export const DOCS_BASE = 'https://github.com/rls-guard/rls-guard/blob/main/docs/rules';

export function docsUrl(id: string): string {
  return `${DOCS_BASE}/${id}.md`;
}

export const RULES = {
  'no-unscoped-write': {
    id: 'no-unscoped-write',
    severity: 'error',
    description: 'Writes to RLS-gated tables must run in an org-scoped transaction, a SECURITY DEFINER function or on an admin connection',
  },
  'no-unresolved-write': {
    id: 'no-unresolved-write',
    severity: 'warning',
    description: 'Writes whose SQL, table or connection cannot be determined statically may bypass the org context',
  },
  'no-pool-scoped-context': {
    id: 'no-pool-scoped-context',
    severity: 'error',
    description: 'The org context must be set transaction-locally on the connection that writes, never on a pool or session-wide',
  },
  'no-truncate-gated': {
    id: 'no-truncate-gated',
    severity: 'error',
    description: 'TRUNCATE ignores row-level security: app code must not truncate an RLS-gated table, or it wipes every tenant',
  },
  'no-unpinned-definer': {
    id: 'no-unpinned-definer',
    severity: 'warning',
    description: 'A SECURITY DEFINER function the code calls must pin its search_path',
  },
  'no-owner-bypass': {
    id: 'no-owner-bypass',
    severity: 'warning',
    description: 'A gated table owned by the role the app connects as must FORCE row level security, or its owner bypasses every policy',
  },
  'no-unset-policy-setting': {
    id: 'no-unset-policy-setting',
    severity: 'warning',
    description: 'A setting an RLS policy reads should be set somewhere in the code, or the policy matches no rows',
  },
  'no-unjustified-suppression': {
    id: 'no-unjustified-suppression',
    severity: 'error',
    description: 'An rls-guard-ignore-next-line comment must give its reason after `--`',
  },
  'no-unused-suppression': {
    id: 'no-unused-suppression',
    severity: 'warning',
    description: 'An rls-guard-ignore-next-line comment that suppresses nothing should be removed',
  },
  'no-removed-api': {
    id: 'no-removed-api',
    severity: 'error',
    description: 'Helpers, OAuth clients and payload fields that a platform upgrade removed or renamed (from the data packs) must not be used',
  },
  'no-deprecated-env': {
    id: 'no-deprecated-env',
    severity: 'error',
    description: 'Environment variables that a platform upgrade removed or deprecated (from the data packs) must not be read or set, in code or in deployment files',
  },
  'no-deprecated-header': {
    id: 'no-deprecated-header',
    severity: 'warning',
    description: 'Deprecated HTTP header names (from the data packs) must be replaced before the version that rejects them',
  },
  'no-incomplete-audit': {
    id: 'no-incomplete-audit',
    severity: 'error',
    description: 'Every input must be read in full: a file or migration the audit skipped or read only in part may hide unscoped writes, so the run is no all-clear',
  },
} as const satisfies Record<string, RuleInfo>;

export type RuleId = keyof typeof RULES;
