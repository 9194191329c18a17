import type { TSESLint } from '@typescript-eslint/utils';
import { rules, severityOf, type RuleId } from '../rules/index.js';
import { VERSION } from './version.js';

// The ESLint flat-config plugin: `import rlsGuard from 'rls-guard/eslint-plugin'` and
// add `rlsGuard.configs.recommended` to eslint.config.js. Both configs are derived from
// the rules' own severities (rules/<id>.ts, registered in rules/index.ts).

/**
 * The files the configs apply to: used on their own, ESLint lints only what a config's `files` names. The audit reads
 * JavaScript too (files/source.ts): a `.mjs` script's write that CI fails on must show in the editor (parity30: on
 * contaflow, AgConnect, Oppsera and others such findings were the CLI's alone). ESLint's own parser reads `.js`, `.mjs`
 * and `.cjs` without any option; `.jsx` needs its JSX option, which a config here cannot set for the TypeScript files
 * it also names (typescript-eslint would read a `.ts` file as TSX), so `.jsx` is left to the project's own config.
 */
export const FILES = ['**/*.{ts,tsx,mts,cts,js,mjs,cjs}'];

const plugin = {
  meta: { name: 'rls-guard', version: VERSION },
  rules,
  configs: {} as Record<'recommended' | 'strict', TSESLint.FlatConfig.Config>,
};

const pluginRef = plugin as unknown as TSESLint.FlatConfig.Plugin;

/** ESLint's severities for one set: recommended, or strict (as `rls-guard audit --strict`). */
function ruleSeverities(strict: boolean): TSESLint.FlatConfig.Rules {
  return Object.fromEntries(
    (Object.keys(rules) as RuleId[]).map((id) => {
      const severity = severityOf(id, strict);
      return [`rls-guard/${id}`, severity === 'warning' ? 'warn' : severity];
    }),
  );
}

const plugins = { 'rls-guard': pluginRef };
plugin.configs.recommended = { name: 'rls-guard/recommended', files: FILES, plugins, rules: ruleSeverities(false) };
plugin.configs.strict = { name: 'rls-guard/strict', files: FILES, plugins, rules: ruleSeverities(true) };

export default plugin;
