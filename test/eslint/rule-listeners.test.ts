import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tsParser from '@typescript-eslint/parser';
import { ESLint } from 'eslint';
import { afterAll, describe, expect, it } from 'vitest';
import plugin from '../../src/eslint-plugin.js';
import { holdsFileParts } from '../../src/eslint/report-findings.js';

// What the fifteen rules cost ESLint on a file: a file where rls-guard has nothing to report
// gets no listener from any rule (one shared check, answered when the first rule is created),
// so ESLint calls nothing of rls-guard's during its traversal; a rule with something to report,
// or any rule with a check on a file with write sites, still gets its Program:exit.

const FIXTURE = path.resolve(import.meta.dirname, '../../fixtures/rule-tester');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-listeners-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The plugin with each rule's create wrapped to record the listeners it returned, per rule. */
function recording(): { eslint: (root: string) => ESLint; listeners: Map<string, string[]>; linted: Set<object> } {
  const listeners = new Map<string, string[]>();
  const linted = new Set<object>();
  const rules = Object.fromEntries(
    Object.entries(plugin.rules).map(([id, rule]) => [
      id,
      {
        ...rule,
        create: (context: Parameters<typeof rule.create>[0]) => {
          const made = (rule.create as (c: typeof context) => Record<string, unknown>)(context);
          listeners.set(id, Object.keys(made));
          linted.add(context.sourceCode);
          return made;
        },
      },
    ]),
  );
  const wrapped = { ...plugin, rules };
  const eslint = (root: string): ESLint =>
    new ESLint({
      cwd: root,
      overrideConfigFile: true,
      overrideConfig: [
        { ...plugin.configs.recommended, plugins: { 'rls-guard': wrapped } },
        { languageOptions: { parser: tsParser }, settings: { 'rls-guard': {} } },
      ] as ESLint.Options['overrideConfig'],
    });
  return { eslint, listeners, linted };
}

function project(name: string): string {
  const root = path.join(tmp, name);
  fs.cpSync(FIXTURE, root, { recursive: true });
  fs.mkdirSync(path.join(root, 'node_modules'));
  fs.writeFileSync(
    path.join(root, 'rls-guard.config.json'),
    JSON.stringify({ ...JSON.parse(fs.readFileSync(path.join(FIXTURE, 'rls-guard.config.json'), 'utf8')), schemaSource: 'static' }),
  );
  fs.writeFileSync(path.join(root, 'src/tenancy.ts'), 'export async function inTenant(pool: unknown, fn: (tx: unknown) => Promise<void>): Promise<void> {}\n');
  return root;
}

async function lint(eslint: ESLint, root: string, rel: string, text: string): Promise<string[]> {
  const [result] = await eslint.lintText(text, { filePath: path.join(root, rel) });
  return result!.messages.map((m) => `${m.line} ${m.ruleId}`);
}

describe('the rules\' listeners', () => {
  it('a file with nothing to report gets none from any rule, cold and warm', async () => {
    const root = project('quiet');
    const { eslint, listeners } = recording();
    const text = 'export function sum(a: number, b: number): number {\n  return a + b;\n}\n';
    for (let i = 0; i < 2; i++) {
      listeners.clear();
      expect(await lint(eslint(root), root, 'src/math.ts', text)).toEqual([]);
      expect(listeners.size).toBe(Object.keys(plugin.rules).length);
      expect([...listeners].filter(([, keys]) => keys.length)).toEqual([]);
    }
  });

  it('a file without write sites: only the rule with a finding gets a listener, and reports it', async () => {
    const root = project('suppression');
    const { eslint, listeners } = recording();
    // A suppression that suppresses nothing: no-unused-suppression's finding, known when the first rule is created.
    const text = '// rls-guard-ignore-next-line no-unscoped-write -- kept on purpose\nexport const x = 1;\n';
    const messages = await lint(eslint(root), root, 'src/math.ts', text);
    expect(messages).toEqual(['1 rls-guard/no-unused-suppression']);
    expect([...listeners].filter(([, keys]) => keys.length)).toEqual([['no-unused-suppression', ['Program:exit']]]);
  });

  it('a file with write sites keeps every rule\'s Program:exit, and reports its findings', async () => {
    const root = project('finding');
    const { eslint, listeners } = recording();
    // An unscoped write on the pool.
    const text =
      "import { pool } from './db.js';\n\nexport async function log(orgId: string): Promise<void> {\n" +
      "  await pool.query('INSERT INTO audit_logs (org_id, action) VALUES ($1, $2)', [orgId, 'x']);\n}\n";
    const messages = await lint(eslint(root), root, 'src/log.ts', text);
    const reporting = new Set(messages.map((m) => m.split(' ')[1]!.slice('rls-guard/'.length)));
    expect(reporting).toEqual(new Set(['no-unscoped-write']));
    for (const [id, keys] of listeners) {
      // A file with write sites waits for Program:exit (the checks are known once every rule is created); the rules the
      // walker alone reports never have a listener.
      const walkerOnly = plugin.rules[id as keyof typeof plugin.rules].meta.docs?.walkerOnly === true;
      expect(keys, id).toEqual(walkerOnly ? [] : ['Program:exit']);
    }
  });

  it("lets go of a file's parts (its TypeScript tree) once its findings are reported", async () => {
    // V8's young-generation collections hold a WeakMap's value while its key (the SourceCode) is garbage, until the
    // next full collection: parts kept after the file is done made every scavenge of the files linted after it copy and
    // promote the file's tree (performance.md, lint33).
    const root = project('let-go');
    const { eslint, linted } = recording();
    const text =
      "import { pool } from './db.js';\n\nexport async function log(orgId: string): Promise<void> {\n" +
      "  await pool.query('INSERT INTO audit_logs (org_id, action) VALUES ($1, $2)', [orgId, 'x']);\n}\n";
    expect(await lint(eslint(root), root, 'src/log.ts', text)).toEqual(['4 rls-guard/no-unscoped-write']);
    expect(linted.size).toBe(1);
    for (const sourceCode of linted) expect(holdsFileParts(sourceCode)).toBe(false);
  });

  it('an invalid config is reported once, at line 1, by a rule that kept its listener', async () => {
    const root = project('invalid');
    fs.writeFileSync(path.join(root, 'rls-guard.config.json'), '{"migratons": []}');
    const { eslint } = recording();
    const messages = await lint(eslint(root), root, 'src/math.ts', 'export const x = 1;\n');
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/^1 rls-guard\//);
  });
});
