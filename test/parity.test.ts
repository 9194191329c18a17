import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tsParser from '@typescript-eslint/parser';
import { ESLint } from 'eslint';
import { afterAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import plugin from '../src/eslint-plugin.js';
import { forgetCliBuilds, holdCliBuildsRunning } from '../src/eslint/cli-build.js';
import { filesDecidedAloneWhileBuilding } from '../src/eslint/lint-analysis.js';
import { resetProjectIndexes } from '../src/eslint/project-index.js';
import { auditSync } from '../src/walker/audit.js';
import { fixtureApps } from './support/fixture-apps.js';

// The two front ends share one core: for every finding, cross-file ones included (the
// plugin's project index decides those as the walker does), the ESLint plugin and the walker
// must agree exactly (rule, position and message).

// Every fixture app (test/support/fixture-apps.ts), but the one audited with `--config` kept outside its tree: the
// CLI's alone, the plugin finds its config upward.
const FIXTURES = fixtureApps()
  .filter((app) => !app.options.configFile)
  .map((app) => app.options.paths[0]!);
const EXAMPLE = path.resolve(import.meta.dirname, '../fixtures/example-app');
// The TypeScript and JavaScript files the plugin's configs name (FILES): the audit reads both (a .mjs script's write
// was the CLI's alone on real repositories until parity30).
const inSources = (file: string): boolean => /(^|\/)src\//.test(file) && /\.(ts|js|mjs|cjs)$/.test(file);

// Whether any code sets a policy's setting needs every file: the walker's alone. `no-owner-bypass` rests on the model and
// the config only, and the plugin reports it where it sits in a linted file (a Drizzle schema's table, a code migration's
// ENABLE: schema-on-file.ts), as the CLI does (on main, fixtures/adapters/drizzle's three were the CLI's alone).
const SCHEMA_RULES = ['no-unset-policy-setting'];

async function lint(root: string, patterns = ['**/src/**/*.{ts,js,mjs,cjs}']): Promise<string[]> {
  const eslint = new ESLint({
    cwd: root,
    overrideConfigFile: true,
    // The files the strict config names, as a project that extends it lints them.
    overrideConfig: [{ files: plugin.configs.strict.files, languageOptions: { parser: tsParser }, plugins: plugin.configs.strict.plugins, rules: plugin.configs.strict.rules }] as ESLint.Options['overrideConfig'],
  });
  const results = await eslint.lintFiles(patterns);
  return results.flatMap((r) =>
    // A fixture's own eslint-disable comment names a rule this config does not load: not ours.
    r.messages.filter((m) => !m.ruleId || m.ruleId.startsWith('rls-guard/')).map((m) => {
      expect(m.fatal ?? false, m.message).toBe(false);
      return `${path.relative(root, r.filePath)}:${m.line}:${m.column} ${m.ruleId?.replace('rls-guard/', '')} ${m.message}`;
    }),
  );
}

const walkerFindings = new Map<string, string[]>();

/** The walker's findings the plugin must report too (once per app: both describes below compare with them). */
function walkerOf(root: string): string[] {
  let known = walkerFindings.get(root);
  if (known) return known;
  // ESLint has no --allow-incomplete, so its gaps' messages do not offer it: as the CLI's with the flag.
  const report = auditSync({ paths: [root], types: false, strict: true, allowIncomplete: true });
  known = report.findings
    // ESLint lints the source files; deployment files are the walker's alone.
    .filter((f) => !SCHEMA_RULES.includes(f.ruleId) && inSources(f.file))
    .map((f) => `${f.file}:${f.line}:${f.column} ${f.ruleId} ${f.message}`);
  // The gap of the whole model (no gated table): the walker reports it once, on the migrations; the plugin at the top
  // of each file that writes.
  const gap = report.incomplete.find((g) => g.file === '.' || g.reason.startsWith('no '));
  const writing = new Set([...report.writeSites, ...(report.setAsideWriteSites ?? [])].map((s) => s.file));
  if (gap)
    for (const file of [...writing].filter(inSources))
      known.push(`${file}:1:1 no-incomplete-audit The audit is incomplete: ${gap.reason}.`);
  known.sort();
  walkerFindings.set(root, known);
  return known;
}

// Each app's index in a folder of its own: the machine-wide one (os.tmpdir) is shared by every process that lints the
// same root at once (other test files, a clean clone's CI beside a checkout's), so what this test reads is its own.
const ownIndexes = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-parity-'));
afterAll(() => fs.rmSync(ownIndexes, { recursive: true, force: true }));

describe.each(FIXTURES)('walker and ESLint plugin agree on %s', (root) => {
  it('report the same findings for every site, cross-file ones included', async () => {
    vi.stubEnv('RLS_GUARD_INDEX_DIR', fs.mkdtempSync(path.join(ownIndexes, 'index-')));
    resetProjectIndexes();
    forgetCliBuilds();
    onTestFinished(() => {
      resetProjectIndexes();
      forgetCliBuilds();
      vi.unstubAllEnvs();
    });
    const eslint = await lint(root);
    expect(eslint.sort()).toEqual(walkerOf(root));
    if (root.endsWith('example-app')) expect(eslint.length).toBeGreaterThan(10);
  });
});

// The same agreement while the command line's child process is still building the project's index at every lint
// (cli-build.ts): each file is first analysed alone, kept when no site needs the project ("decided alone",
// docs/eslint.md), and the first file with one waits for the child. On a loaded machine (a clean clone's CI, an editor's
// first lints) that is what happens; here it is forced, not timed: a cold index of its own, and a build held "running".
const indexes = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-parity-building-'));
afterAll(() => fs.rmSync(indexes, { recursive: true, force: true }));
let aloneWhileBuilding = 0;

describe.each(FIXTURES)('while the index builds, walker and ESLint plugin agree on %s', (root) => {
  it('report the same findings, the files decided alone included', async () => {
    vi.stubEnv('RLS_GUARD_INDEX_DIR', fs.mkdtempSync(path.join(indexes, 'index-')));
    vi.stubEnv('RLS_GUARD_INDEX_CHILD', '');
    resetProjectIndexes();
    forgetCliBuilds();
    holdCliBuildsRunning(true);
    onTestFinished(() => {
      holdCliBuildsRunning(false);
      resetProjectIndexes();
      forgetCliBuilds();
      vi.unstubAllEnvs();
    });
    const before = filesDecidedAloneWhileBuilding();
    const eslint = await lint(root);
    expect(eslint.sort()).toEqual(walkerOf(root));
    aloneWhileBuilding += filesDecidedAloneWhileBuilding() - before;
  });
});

it('files were decided alone while the index built, so the comparison above covers them', () => {
  expect(aloneWhileBuilding).toBeGreaterThan(50);
});

it('the example app has cross-file verdicts, so the comparison above covers them', () => {
  const report = auditSync({ paths: [EXAMPLE], types: false });
  expect(report.writeSites.filter((s) => s.crossFile).length).toBeGreaterThan(0);
});

// Code migrations found by their shape (a folder of modules exporting `up` and `down`, schema/migration-shape.ts), not
// by their path: the walker sets their writes aside, and the plugin must too (issue 13), though they sit outside src/.
it('the plugin sets aside the writes of code migrations found by their shape, as the walker does', async () => {
  const root = path.resolve(import.meta.dirname, '../fixtures/layouts/shape-migrations');
  const report = auditSync({ paths: [root], types: false, strict: true });
  const inAlterations = (file: string): boolean => file.startsWith('packages/schemas/alterations/');
  // ESLint lints the .ts alterations here (this config parses .ts only): the .js one's schema gap is the walker's.
  const linted = (file: string): boolean => inAlterations(file) && file.endsWith('.ts');
  // The walker's side: the alterations' writes are set aside as migrations, and none of their findings stays.
  const aside = (report.setAsideWriteSites ?? []).filter((s) => inAlterations(s.file));
  expect(aside.length).toBeGreaterThan(0);
  expect(aside.every((s) => s.setAside === 'migrations')).toBe(true);
  const walker = report.findings
    .filter((f) => !SCHEMA_RULES.includes(f.ruleId) && linted(f.file))
    .map((f) => `${f.file}:${f.line}:${f.column} ${f.ruleId} ${f.message}`);
  const eslint = await lint(root, ['packages/schemas/alterations/*.ts']);
  expect(eslint.sort()).toEqual(walker.sort());
});
