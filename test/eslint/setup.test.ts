import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tsParser from '@typescript-eslint/parser';
import { ESLint, Linter } from 'eslint';
import { afterAll, describe, expect, it } from 'vitest';
import { RULES } from '../../rules/index.js';
import plugin from '../../src/eslint-plugin.js';

// Setting the plugin up: its configs used on their own, and a broken rls-guard config, which
// must be one reported problem per file, never a crash (in an editor a crash stops every file).

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-setup-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function app(name: string, config: string | null): string {
  const root = path.join(tmp, name);
  fs.mkdirSync(path.join(root, 'src/jobs'), { recursive: true });
  fs.mkdirSync(path.join(root, 'db'));
  fs.writeFileSync(path.join(root, 'package.json'), '{"name":"app","type":"module"}');
  fs.writeFileSync(path.join(root, 'db/schema.sql'), 'CREATE TABLE notes (id int, org_id uuid);\nALTER TABLE notes ENABLE ROW LEVEL SECURITY;\n');
  if (config !== null) fs.writeFileSync(path.join(root, 'rls-guard.config.json'), config);
  fs.writeFileSync(path.join(root, 'src/db.ts'), "import { Pool } from 'pg';\nexport const pool: Pool = new Pool();\n");
  fs.writeFileSync(path.join(root, 'src/jobs/purge.ts'), "import { pool } from '../db';\n\nexport async function purge(): Promise<void> {\n  debugger;\n  await pool.query('DELETE FROM notes');\n}\n");
  return root;
}

describe('the configs', () => {
  it.each(['recommended', 'strict'] as const)('%s, used on its own, lints the TypeScript files under src', async (name) => {
    const root = app(`own-${name}`, '{"schemaSource": "static"}');
    // The parser block names no files: without the config's own `files`, ESLint would find nothing to lint.
    const eslint = new ESLint({ cwd: root, overrideConfigFile: true, overrideConfig: [plugin.configs[name], { languageOptions: { parser: tsParser } }] as ESLint.Options['overrideConfig'] });
    const results = await eslint.lintFiles(['src']);
    expect(results.map((r) => path.relative(root, r.filePath)).sort()).toEqual(['src/db.ts', 'src/jobs/purge.ts']);
    const purge = results.find((r) => r.filePath.endsWith('purge.ts'))!;
    expect(purge.messages.map((m) => `${m.line} ${m.ruleId}`)).toEqual(['5 rls-guard/no-unscoped-write']);
  });

  it("take every severity from the rule's own module, the one place the walker reads", () => {
    for (const { id, docs } of RULES) {
      const eslint = (s: string | undefined) => (s === 'warning' ? 'warn' : s);
      expect([id, plugin.configs.recommended.rules?.[`rls-guard/${id}`]]).toEqual([id, eslint(docs.severity)]);
      expect([id, plugin.configs.strict.rules?.[`rls-guard/${id}`]]).toEqual([id, eslint(docs.strict ?? docs.severity)]);
    }
    expect(plugin.configs.recommended.rules?.['rls-guard/no-deprecated-env']).toBe('error');
  });
});

describe('an invalid rls-guard config', () => {
  const root = app('bad-config', '{"migratons": []}');
  const file = path.join(root, 'src/jobs/purge.ts');
  const expected = /^rls-guard cannot check this file: .*rls-guard\.config\.json: "migratons" is not a known option \(known: .*\)\. Fix it; until then no rls-guard rule runs/;

  it('is one problem at line 1 of each linted file, and the rest of the file is still linted (ESLint class)', async () => {
    const eslint = new ESLint({
      cwd: root,
      overrideConfigFile: true,
      overrideConfig: [plugin.configs.strict, { languageOptions: { parser: tsParser }, rules: { 'no-debugger': 'error' } }] as ESLint.Options['overrideConfig'],
    });
    const results = await eslint.lintFiles(['src']);
    expect(results).toHaveLength(2);
    for (const r of results) {
      const own = r.messages.filter((m) => m.ruleId?.startsWith('rls-guard/'));
      expect(own).toHaveLength(1);
      expect(own[0]).toMatchObject({ line: 1, column: 1, severity: 2, message: expect.stringMatching(expected) });
      expect(r.messages.some((m) => m.fatal)).toBe(false);
    }
    const purge = results.find((r) => r.filePath === file)!;
    expect(purge.messages.filter((m) => m.ruleId === 'no-debugger').map((m) => m.line)).toEqual([4]);
  });

  it('is reported by the Linter too, by whichever rls-guard rule runs first', () => {
    const linter = new Linter({ cwd: root });
    const messages = linter.verify(fs.readFileSync(file, 'utf8'), [{ files: ['**/*.ts'], languageOptions: { parser: tsParser }, plugins: { 'rls-guard': plugin as never }, rules: { 'rls-guard/no-deprecated-env': 'warn', 'rls-guard/no-unscoped-write': 'error', 'no-debugger': 'error' } }], file);
    expect(messages.map((m) => `${m.line}:${m.column} ${m.ruleId}`)).toEqual(['1:1 rls-guard/no-deprecated-env', '4:3 no-debugger']);
    expect(messages[0]!.message).toMatch(expected);
  });

  it('is no longer reported once fixed, in the same process (an editor session)', async () => {
    const fixed = app('fixed-config', '{"migratons": []}');
    const lint = async (): Promise<string[]> => {
      const eslint = new ESLint({ cwd: fixed, overrideConfigFile: true, overrideConfig: [plugin.configs.recommended, { languageOptions: { parser: tsParser } }] as ESLint.Options['overrideConfig'] });
      const [r] = await eslint.lintFiles(['src/jobs/purge.ts']);
      return r!.messages.map((m) => `${m.line} ${m.ruleId}`);
    };
    expect(await lint()).toEqual([expect.stringMatching(/^1 rls-guard\//)]);
    fs.writeFileSync(path.join(fixed, 'rls-guard.config.json'), '{"migrations": ["db"], "schemaSource": "static"}');
    await new Promise((r) => setTimeout(r, 1100)); // the config is looked for again at most once a second
    expect(await lint()).toEqual(['5 rls-guard/no-unscoped-write']);
  });
});
