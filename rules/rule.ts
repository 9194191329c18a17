// The subpath, not the package's index: the index loads ESLint itself (0.2 s at every start of the CLI).
import { RuleCreator } from '@typescript-eslint/utils/eslint-utils';
import type { Severity } from '../src/report/types.js';

// What a rule module is: typescript-eslint's rule shape (meta with one message per distinct
// problem, schema, default options, a small create) plus the rule's default severity, which
// both the plugin's configs and the walker read from here, and, for a rule that judges the
// facts the core computes, a `check`.

export const DOCS_BASE = 'https://github.com/rls-guard/rls-guard/blob/main/docs/rules';

export function docsUrl(id: string): string {
  return `${DOCS_BASE}/${id}.md`;
}

export interface RuleDocs {
  description: string;
  /** The severity of `recommended` and of `rls-guard audit`; 'off': only the strict set reports it. */
  severity: Severity | 'off';
  /** The severity under `strict` (the plugin's strict config, `rls-guard audit --strict`), when it differs. */
  strict?: Severity;
  /** Reported by the walker only: it needs every file (or the migrations), which a linted file does not show. */
  walkerOnly?: boolean;
}

const creator = RuleCreator<RuleDocs>(docsUrl);

/**
 * typescript-eslint's rule creator, except that a rule configured without options gets its default options cloned once,
 * not once per linted file: its `create` clones them (`structuredClone`) for every file and rule, which over a
 * project's files was a visible share of a warm lint, whose per-file work should be a hash and a lookup. Rules read
 * their options and never change them.
 */
export const createRule: typeof creator = (rule) => {
  const created = creator(rule);
  // As typescript-eslint resolves them (meta's first); every rule here states them.
  const stated = (rule.meta.defaultOptions ?? rule.defaultOptions ?? []) as NonNullable<typeof rule.defaultOptions>;
  let defaults: typeof stated | undefined;
  return {
    ...created,
    create: (context) =>
      context.options.length
        ? created.create(context)
        : rule.create(context, (defaults ??= structuredClone(stated))),
  };
};

/** The message of a problem that stops rls-guard checking a file; every rule can report it. */
export const SETUP_MESSAGE = '{{message}}';

/**
 * A rule that judges the facts the core computed: each decided write site, with its verdict
 * and evidence; it returns the message id and data of a finding, or nothing. Both front ends
 * run it (src/analysis/site-checks.ts); its create is `reportFindings(context, { check })`.
 */
export type { SiteCheck } from '../src/analysis/site-checks.js';
