import type { TSESLint } from '@typescript-eslint/utils';
import { rules } from '../rules/index.js';
import { VERSION } from './version.js';

// The ESLint flat-config plugin: `import rlsGuard from 'rls-guard/eslint-plugin'` and
// spread `rlsGuard.configs.recommended` into eslint.config.js.

const plugin = {
  meta: { name: 'rls-guard', version: VERSION },
  rules,
  configs: {} as Record<'recommended' | 'strict', TSESLint.FlatConfig.Config>,
};

plugin.configs.recommended = {
  name: 'rls-guard/recommended',
  plugins: { 'rls-guard': plugin as unknown as TSESLint.FlatConfig.Plugin },
  rules: {
    'rls-guard/no-unscoped-write': 'error',
    'rls-guard/no-unresolved-write': 'warn',
    'rls-guard/no-pool-scoped-context': 'error',
    'rls-guard/no-truncate-gated': 'error',
    'rls-guard/no-unpinned-definer': 'warn',
    'rls-guard/no-unjustified-suppression': 'error',
    'rls-guard/no-unused-suppression': 'warn',
    'rls-guard/no-removed-api': 'error',
    'rls-guard/no-deprecated-env': 'error',
    'rls-guard/no-deprecated-header': 'warn',
  },
};

plugin.configs.strict = {
  name: 'rls-guard/strict',
  plugins: { 'rls-guard': plugin as unknown as TSESLint.FlatConfig.Plugin },
  rules: { ...plugin.configs.recommended.rules, 'rls-guard/no-unresolved-write': 'error', 'rls-guard/no-unused-suppression': 'error', 'rls-guard/no-deprecated-header': 'error' },
};

export default plugin;
