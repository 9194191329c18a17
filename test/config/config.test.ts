import fs from 'node:fs';
import path from 'node:path';
import tsParser from '@typescript-eslint/parser';
import fc from 'fast-check';
import { ESLint } from 'eslint';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { runCli as run } from '../support/cli.js';
import { ConfigError, defaultRoot, loadConfig, validateConfig } from '../../src/config/load.js';
import { CONFIG_SCHEMA } from '../../src/config/schema.js';
import plugin from '../../src/eslint-plugin.js';
import { auditSync } from '../../src/walker/audit.js';
import { SCHEMA, writeProject } from '../support/project.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const SCHEMA_FILE = path.join(REPO, 'docs/config.schema.json');


// A write through a project-specific helper: covered only when the config names the helper.
const HELPER_APP = {
  'db/schema.sql': SCHEMA,
  'src/db.ts': "import { Pool } from 'pg';\nexport const pool = new Pool();\n",
  'src/app.ts': "import { runAsTenant } from '@acme/tenancy';\nexport const f = (org: string) => runAsTenant(org, (tx) => tx.query('DELETE FROM projects WHERE id = $1', [org]));\n",
};

describe('the published config schema', () => {
  it('is docs/config.schema.json, generated from src/config/schema.ts (UPDATE_SCHEMA=1 rewrites it)', () => {
    const text = `${JSON.stringify(CONFIG_SCHEMA, null, 2)}\n`;
    if (process.env.UPDATE_SCHEMA) fs.writeFileSync(SCHEMA_FILE, text);
    expect(fs.readFileSync(SCHEMA_FILE, 'utf8')).toBe(text);
  });

  it('matches the TypeScript types key for key, with the same descriptions', () => {
    const program = ts.createProgram([path.join(REPO, 'src/config/types.ts')], { strict: true });
    const checker = program.getTypeChecker();
    const sf = program.getSourceFile(path.join(REPO, 'src/config/types.ts'))!;
    const iface = (name: string) => {
      const decl = sf.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === name)!;
      return checker.getTypeAtLocation(decl);
    };
    const describeType = (type: ts.Type): Record<string, { doc: string; kind: string; type: ts.Type }> =>
      Object.fromEntries(
        checker.getPropertiesOfType(type).map((p) => {
          const t = checker.getNonNullableType(checker.getTypeOfSymbol(p));
          const kind = checker.isArrayType(t) ? 'array' : t.flags & ts.TypeFlags.String ? 'string' : t.flags & ts.TypeFlags.Number ? 'integer' : 'object';
          return [p.name, { doc: ts.displayPartsToString(p.getDocumentationComment(checker)), kind, type: t }];
        }),
      );
    const compare = (type: ts.Type, schema: { properties: Record<string, { description?: string; type?: string }> }, where: string) => {
      const props = describeType(type);
      expect(Object.keys(props).sort(), where).toEqual(Object.keys(schema.properties).sort());
      for (const [key, s] of Object.entries(schema.properties)) {
        // A JSDoc wrapped to stay under 120 characters a line reads as one paragraph: its line breaks are spaces.
        if (s.description) expect(props[key]!.doc.replace(/\n/g, ' '), `${where}.${key}`).toBe(s.description);
        if (s.type) expect(props[key]!.kind, `${where}.${key}`).toBe(s.type);
      }
      return props;
    };
    const top = compare(iface('RlsGuardConfig'), CONFIG_SCHEMA as never, 'RlsGuardConfig');
    compare(top.gatedTables!.type, CONFIG_SCHEMA.properties.gatedTables as never, 'gatedTables');
    const helperSchema = CONFIG_SCHEMA.properties.scopeHelpers.items.oneOf[1];
    const helperProps = describeType(iface('ScopeHelperSpec'));
    expect(Object.keys(helperProps).sort()).toEqual(Object.keys(helperSchema.properties).sort());
    for (const [k, s] of Object.entries(helperSchema.properties)) if (k !== 'name') expect(helperProps[k]!.doc, `ScopeHelperSpec.${k}`).toBe(s.description);
    for (const [key, spec] of [['adminProviders', 'AdminProviderSpec'], ['setterHelpers', 'SetterHelperSpec']] as const) {
      const schema = CONFIG_SCHEMA.properties[key].items.oneOf[1];
      const props = describeType(iface(spec));
      expect(Object.keys(props).sort(), spec).toEqual(Object.keys(schema.properties).sort());
      for (const [k, s] of Object.entries(schema.properties) as [string, { description: string }][]) if (k !== 'name') expect(props[k]!.doc, `${spec}.${k}`).toBe(s.description);
    }
  });

  it('is what docs/config.md documents, key by key', () => {
    const doc = fs.readFileSync(path.join(REPO, 'docs/config.md'), 'utf8');
    const rows = [...doc.matchAll(/^\| `([\w.$[\]]+)` \| ([^|]+) \| ([^|]+) \|$/gm)].map((m) => ({ key: m[1]!, type: m[2]!.trim(), description: m[3]!.trim() }));
    const expected: { key: string; description: string }[] = [];
    for (const [key, s] of Object.entries(CONFIG_SCHEMA.properties) as [string, { description: string; properties?: Record<string, { description: string }> }][]) {
      expected.push({ key, description: s.description });
      for (const [sub, t] of Object.entries(s.properties ?? {})) expected.push({ key: `${key}.${sub}`, description: t.description });
    }
    expect(rows.map((r) => r.key)).toEqual(expected.map((e) => e.key));
    for (const e of expected) expect(rows.find((r) => r.key === e.key)!.description, e.key).toBe(e.description);
  });
});

describe('config files', () => {
  it('loads rls-guard.config.ts with defineConfig, types and imports, and the walker uses it', () => {
    const dir = writeProject({
      ...HELPER_APP,
      'tenancy.json': '{ "helper": "runAsTenant" }',
      'rls-guard.config.ts': "import { defineConfig, type RlsGuardConfig } from 'rls-guard';\nimport tenancy from './tenancy.json';\nconst helpers: RlsGuardConfig['scopeHelpers'] = [{ name: tenancy.helper, from: '@acme/tenancy' }];\nexport default defineConfig({ scopeHelpers: helpers });\n",
    });
    expect(loadConfig({ start: dir }).config).toEqual({ scopeHelpers: [{ name: 'runAsTenant', from: '@acme/tenancy' }] });
    const report = auditSync({ paths: [dir], types: false });
    expect(report.writeSites.map((s) => `${s.coverage} ${s.via}`)).toEqual(['org-scope runAsTenant']);
    expect(report.schema.sources).toContainEqual({ kind: 'config', ref: 'rls-guard.config.ts' });
  });

  it('loads .mjs, .json, .cjs and the package.json key; without the helper the write is unresolved', () => {
    const mjs = writeProject({ ...HELPER_APP, 'rls-guard.config.mjs': "export default { scopeHelpers: ['runAsTenant'] };\n" });
    expect(auditSync({ paths: [mjs], types: false }).writeSites[0]!.coverage).toBe('org-scope');
    const json = writeProject({ ...HELPER_APP, 'rls-guard.config.json': '{ "$schema": "./node_modules/rls-guard/docs/config.schema.json", "scopeHelpers": ["runAsTenant"] }' });
    expect(auditSync({ paths: [json], types: false }).writeSites[0]!.coverage).toBe('org-scope');
    const pkg = writeProject({ ...HELPER_APP, 'package.json': '{ "name": "x", "rls-guard": { "scopeHelpers": ["runAsTenant"] } }' });
    expect(auditSync({ paths: [pkg], types: false }).writeSites[0]!.coverage).toBe('org-scope');
    const cjs = writeProject({ ...HELPER_APP, 'rls-guard.config.cjs': "const helpers = require('./helpers.json');\nmodule.exports = { scopeHelpers: helpers };\n", 'helpers.json': '["runAsTenant"]' });
    expect(auditSync({ paths: [cjs], types: false }).writeSites[0]!.coverage).toBe('org-scope');
    const none = writeProject(HELPER_APP);
    expect(auditSync({ paths: [none], types: false }).writeSites[0]!.coverage).toBe('unresolved');
  });

  it('is found walking up from the audited path', () => {
    const dir = writeProject({ ...HELPER_APP, 'rls-guard.config.mjs': "export default { scopeHelpers: ['runAsTenant'] };\n" });
    expect(loadConfig({ start: path.join(dir, 'src/app.ts') }).file).toBe(path.join(dir, 'rls-guard.config.mjs'));
  });

  it('is read by the ESLint plugin too', async () => {
    const dir = writeProject({ ...HELPER_APP, 'src/bad.ts': "import { pool } from './db';\nexport const g = () => pool.query('DELETE FROM projects');\n", 'rls-guard.config.ts': "import { defineConfig } from 'rls-guard';\nexport default defineConfig({ scopeHelpers: ['runAsTenant'] });\n" });
    const eslint = new ESLint({
      cwd: dir,
      overrideConfigFile: true,
      overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: tsParser }, plugins: plugin.configs.strict.plugins, rules: plugin.configs.strict.rules }] as ESLint.Options['overrideConfig'],
    });
    const results = await eslint.lintFiles(['src/app.ts', 'src/bad.ts']);
    const messages = results.flatMap((r) => r.messages.map((m) => `${path.basename(r.filePath)} ${m.ruleId}`));
    expect(messages).toEqual(['bad.ts rls-guard/no-unscoped-write']);
  });

  it('names the path to a bad key, exit 2', () => {
    const cases: [string, string][] = [
      ['{ "scopeHelpers": ["a", { "name": "b", "callbackArg": 1.5 }] }', 'scopeHelpers[1].callbackArg must be an integer'],
      ['{ "gatedTables": { "add": ["x"], "drop": ["y"] } }', 'gatedTables."drop" is not a known option (known: add, remove)'],
      ['{ "ignore": [3] }', 'ignore[0] must be a string'],
      ['{ "adminProviders": [{ "from": "./db" }] }', 'adminProviders[0] must have "name"'],
      ['{ "scopeHelper": [] }', '"scopeHelper" is not a known option (known: migrations, contextSettings, scopeHelpers'],
      ['{ "defaultSchema": "" }', 'defaultSchema must not be empty'],
      ['[1]', 'the configuration must be an object'],
    ];
    for (const [json, message] of cases) {
      const dir = writeProject({ 'rls-guard.config.json': json });
      const r = run(['audit', dir]);
      expect(r.code, json).toBe(2);
      expect(r.stderr, json).toContain(`rls-guard.config.json: ${message}`);
    }
    const ts = writeProject({ 'rls-guard.config.ts': "export default { migrations: 'db' };\n" });
    expect(run(['audit', ts]).stderr).toContain('rls-guard.config.ts: migrations must be an array');
  });

  it('explains config files that cannot be evaluated', () => {
    const syntax = writeProject({ 'rls-guard.config.ts': 'export default { scopeHelpers: [ };\n' });
    expect(() => loadConfig({ start: syntax })).toThrow(/rls-guard\.config\.ts: cannot read configuration: line 1: /);
    const asyncConfig = writeProject({ 'rls-guard.config.mjs': 'export default Promise.resolve({});\n' });
    expect(() => loadConfig({ start: asyncConfig })).toThrow(/default export is a Promise/);
    const throwing = writeProject({ 'rls-guard.config.mjs': "throw new Error('boom');\n" });
    expect(() => loadConfig({ start: throwing })).toThrow(/cannot read configuration: boom/);
    const two = writeProject({ 'rls-guard.config.json': '{}', 'rls-guard.config.ts': 'export default {};\n' });
    expect(() => loadConfig({ start: two })).toThrow(ConfigError);
    expect(() => loadConfig({ start: two })).toThrow(/several configuration files \(rls-guard\.config\.ts, rls-guard\.config\.json\)/);
  });
});

// Without a config file the project root is the nearest package.json's folder, or for a package of a workspace the
// workspace's root: a monorepo keeps its migrations outside the packages, and the editor starts from the linted file.
describe('the project root without a config file', () => {
  const WORKSPACE = path.resolve(import.meta.dirname, '../../fixtures/layouts/workspace-root');

  it('is the workspace root for a package the workspace lists, the package itself otherwise', () => {
    expect(defaultRoot(path.join(WORKSPACE, 'apps/api/src/notes.ts'))).toBe(WORKSPACE);
    expect(defaultRoot(path.join(WORKSPACE, 'packages/db'))).toBe(WORKSPACE);
    expect(defaultRoot(WORKSPACE)).toBe(WORKSPACE);
    // A package.json in a folder the workspace's globs do not list (a tool, a vendored app) is its own project.
    const dir = writeProject({
      'pnpm-workspace.yaml': "packages:\n  - 'apps/*'\n",
      'apps/web/package.json': '{ "name": "web" }',
      'tools/gen/package.json': '{ "name": "gen" }',
      'apps/web/nested/package.json': '{ "name": "nested" }',
    });
    expect(defaultRoot(path.join(dir, 'apps/web/src/x.ts'))).toBe(dir);
    expect(defaultRoot(path.join(dir, 'tools/gen/src'))).toBe(path.join(dir, 'tools/gen'));
    expect(defaultRoot(path.join(dir, 'apps/web/nested'))).toBe(path.join(dir, 'apps/web/nested'));
    // npm and yarn workspaces, in package.json.
    const npm = writeProject({
      'package.json': '{ "name": "r", "workspaces": { "packages": ["services/*"] } }',
      'services/billing/package.json': '{ "name": "billing" }',
    });
    expect(defaultRoot(path.join(npm, 'services/billing/src'))).toBe(npm);
  });

  it('lets an audit of one package read the migrations at the repository root', () => {
    const report = auditSync({ paths: [path.join(WORKSPACE, 'apps/api')], types: false, schemaSource: 'static' });
    expect(report.root).toBe(WORKSPACE);
    expect(report.incomplete).toEqual([]);
    // The scope helper's package is not among the audited files: its callback's write fails closed, saying so.
    expect(report.writeSites.map((s) => `${s.file}:${s.line} ${s.coverage}`)).toEqual([
      'apps/api/src/notes.ts:6 unresolved',
      'apps/api/src/notes.ts:13 unscoped',
    ]);
  });

  it('gives the ESLint plugin, linting a file of a package, the verdicts of the audit', async () => {
    const eslint = new ESLint({
      cwd: path.join(WORKSPACE, 'apps/api'),
      overrideConfigFile: true,
      overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: tsParser }, plugins: plugin.configs.strict.plugins, rules: plugin.configs.strict.rules }] as ESLint.Options['overrideConfig'],
    });
    const results = await eslint.lintFiles(['src/notes.ts']);
    expect(results.flatMap((r) => r.messages.map((m) => `${m.line} ${m.ruleId}`))).toEqual([
      '13 rls-guard/no-unscoped-write',
    ]);
  });
});

// A model with no gated table leaves every write unchecked: the audit fails with no-incomplete-audit, and the editor
// must not be silent either (report-findings.ts, modelGapFindings).
describe('the ESLint plugin on a project whose model gates nothing', () => {
  async function lintProject(files: Record<string, string>): Promise<string[]> {
    const dir = writeProject(files);
    const eslint = new ESLint({
      cwd: dir,
      overrideConfigFile: true,
      overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: tsParser }, plugins: plugin.configs.recommended.plugins, rules: plugin.configs.recommended.rules }] as ESLint.Options['overrideConfig'],
    });
    const results = await eslint.lintFiles(['src/*.ts']);
    return results.flatMap((r) => r.messages.map((m) => `${path.basename(r.filePath)}:${m.line} ${m.ruleId} ${m.message}`));
  }
  const WRITES = {
    'src/db.ts': "import pg from 'pg';\nexport const pool = new pg.Pool();\n",
    'src/notes.ts': "import { pool } from './db';\nexport const drop = (id: string) => pool.query('DELETE FROM notes WHERE id = $1', [id]);\n",
  };

  it('reports the missing migrations at the top of each file that writes, nowhere else', async () => {
    const messages = await lintProject(WRITES);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/^notes\.ts:1 rls-guard\/no-incomplete-audit The audit is incomplete: no migrations found/);
  });

  it('reports migrations that enable row level security on no table', async () => {
    const messages = await lintProject({ ...WRITES, 'migrations/001.sql': 'CREATE TABLE notes (id uuid PRIMARY KEY);\n' });
    expect(messages).toEqual([
      'notes.ts:1 rls-guard/no-incomplete-audit The audit is incomplete: no RLS-gated tables in the model (the ' +
        'migrations in migrations enable row level security on no table), so no write can be judged; check that ' +
        'these are the right migrations.',
    ]);
  });

  it('says nothing of the model once a table is gated', async () => {
    const messages = await lintProject({ ...WRITES, 'migrations/001.sql': SCHEMA });
    expect(messages.filter((m) => m.includes('no-incomplete-audit'))).toEqual([]);
  });
});

describe('validation never crashes', () => {
  it('accepts or rejects any JSON value with a ConfigError naming where', () => {
    const keys = Object.keys(CONFIG_SCHEMA.properties);
    const configLike = fc.dictionary(fc.constantFrom(...keys, 'extra'), fc.jsonValue({ maxDepth: 3 }));
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue({ maxDepth: 3 }), configLike), (value) => {
        try {
          validateConfig(value, 'c.json');
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          expect((error as Error).message).toMatch(/^c\.json: \S/);
          expect((error as Error).message).not.toMatch(/undefined|\[object Object\]/);
        }
      }),
      { numRuns: 300 },
    );
  });
});
