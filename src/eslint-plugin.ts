import type { TSESLint } from '@typescript-eslint/utils';
import { RULES, type RuleId } from '../rules/catalog.js';
import { rules } from '../rules/index.js';
import { VERSION } from './version.js';

// The ESLint flat-config plugin: `import rlsGuard from 'rls-guard/eslint-plugin'` and
// add `rlsGuard.configs.recommended` to eslint.config.js.

/** The files the configs apply to: used on their own, ESLint lints only what a config's `files` names. */
export const FILES = ['**/*.{ts,tsx,mts,cts}'];

type PluginRuleId = keyof typeof rules;

/** The severity ESLint uses for a rule: the catalogue's, the one place the walker reads too. */
export function eslintSeverity(id: RuleId): 'error' | 'warn' {
  return RULES[id].severity === 'error' ? 'error' : 'warn';
}

const plugin = {
  meta: { name: 'rls-guard', version: VERSION },
  rules,
  configs: {} as Record<'recommended' | 'strict', TSESLint.FlatConfig.Config>,
};

const ids = Object.keys(rules) as PluginRuleId[];
const pluginRef = plugin as unknown as TSESLint.FlatConfig.Plugin;

plugin.configs.recommended = {
  name: 'rls-guard/recommended',
  files: FILES,
  plugins: { 'rls-guard': pluginRef },
  rules: Object.fromEntries(ids.map((id) => [`rls-guard/${id}`, eslintSeverity(id)])),
};

// strict: unresolved writes fail the build (as `rls-guard audit --strict`), and so do
// unused suppressions and deprecated headers.
plugin.configs.strict = {
  name: 'rls-guard/strict',
  files: FILES,
  plugins: { 'rls-guard': pluginRef },
  rules: { ...plugin.configs.recommended.rules, 'rls-guard/no-unresolved-write': 'error', 'rls-guard/no-unused-suppression': 'error', 'rls-guard/no-deprecated-header': 'error' },
};

export default plugin;
