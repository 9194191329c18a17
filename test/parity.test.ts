import fs from 'node:fs';
import path from 'node:path';
import tsParser from '@typescript-eslint/parser';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import plugin from '../src/eslint-plugin.js';
import { auditSync } from '../src/walker/audit.js';

// The two front ends share one core: for every finding its own file decides, the ESLint
// plugin and the walker must agree exactly (rule, position and message). Only verdicts that
// follow callers into other files are the walker's alone.

const ADAPTERS = path.resolve(import.meta.dirname, '../fixtures/adapters');
const PROVIDERS = path.resolve(import.meta.dirname, '../fixtures/providers');
const apps = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.startsWith('_')).map((d) => path.join(dir, d.name));
const FIXTURES = [...['example-app', 'rule-tester', 'deploy'].map((f) => path.resolve(import.meta.dirname, '../fixtures', f)), ...apps(ADAPTERS), ...apps(PROVIDERS)];

// Findings about the schema (on migrations, or on a Drizzle schema's declarations) need every file: the walker's alone.
const SCHEMA_RULES = ['no-owner-bypass', 'no-unset-policy-setting'];

async function lint(root: string): Promise<string[]> {
  const eslint = new ESLint({
    cwd: root,
    overrideConfigFile: true,
    overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: tsParser }, plugins: plugin.configs.strict.plugins, rules: plugin.configs.strict.rules }] as ESLint.Options['overrideConfig'],
  });
  const results = await eslint.lintFiles(['src/**/*.ts']);
  return results.flatMap((r) =>
    r.messages.map((m) => {
      expect(m.fatal ?? false, m.message).toBe(false);
      return `${path.relative(root, r.filePath)}:${m.line}:${m.column} ${m.ruleId?.replace('rls-guard/', '')} ${m.message}`;
    }),
  );
}

describe.each(FIXTURES)('walker and ESLint plugin agree on %s', (root) => {
  it('report the same findings for everything decidable within one file', async () => {
    const report = auditSync({ paths: [root], types: false, strict: true });
    const crossFile = new Set(report.writeSites.filter((s) => s.crossFile).map((s) => `${s.file}:${s.line}:${s.column}`));
    // Findings on migration files (owner bypass, unset policy settings) are the walker's alone.
    const walker = report.findings
      // ESLint lints the source files; deployment files are the walker's alone.
      .filter((f) => !crossFile.has(`${f.file}:${f.line}:${f.column}`) && !SCHEMA_RULES.includes(f.ruleId) && f.file.startsWith('src/') && f.file.endsWith('.ts'))
      .map((f) => `${f.file}:${f.line}:${f.column} ${f.ruleId} ${f.message}`);
    const eslint = await lint(root);
    expect(eslint.sort()).toEqual(walker.sort());
    if (root.endsWith('example-app')) expect(eslint.length).toBeGreaterThan(10);
  });
});

it('the example app has cross-file verdicts, so the exclusion above is exercised', () => {
  const report = auditSync({ paths: [FIXTURES[0]!], types: false });
  expect(report.writeSites.filter((s) => s.crossFile).length).toBeGreaterThan(0);
});
