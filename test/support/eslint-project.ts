import fs from 'node:fs';
import path from 'node:path';
import tsParser from '@typescript-eslint/parser';
import { ESLint } from 'eslint';
import { onTestFinished, vi } from 'vitest';
import plugin from '../../src/eslint-plugin.js';
import { MIN_RECHECK_MS } from '../../src/eslint/recheck.js';
import { forgetProcessKind } from '../../src/eslint/settings.js';

// The ESLint plugin's project-index tests lint copies of a fixture app the way an editor or
// `eslint .` does: the recommended config, typescript-eslint's parser, the plugin's settings.

const RULE_TESTER = path.resolve(import.meta.dirname, '../../fixtures/rule-tester');
let copies = 0;

/**
 * A copy of the RuleTester fixture (a helper writing through its parameter, its caller, a plain transaction helper)
 * under `dir`, with node_modules so the index's cache lives there, and the static schema source.
 */
export function ruleTesterCopy(dir: string): string {
  const root = path.join(dir, `p${copies++}`);
  fs.cpSync(RULE_TESTER, root, { recursive: true });
  fs.mkdirSync(path.join(root, 'node_modules'));
  const config = JSON.parse(fs.readFileSync(path.join(RULE_TESTER, 'rls-guard.config.json'), 'utf8'));
  fs.writeFileSync(path.join(root, 'rls-guard.config.json'), JSON.stringify({ ...config, schemaSource: 'static' }));
  return root;
}

export function eslintFor(root: string, settings: Record<string, unknown> = {}): ESLint {
  return new ESLint({
    cwd: root,
    overrideConfigFile: true,
    overrideConfig: [
      plugin.configs.recommended,
      { languageOptions: { parser: tsParser }, settings: { 'rls-guard': settings } },
    ] as ESLint.Options['overrideConfig'],
  });
}

/** The messages of one lint of `rel` (its text on disk, or unsaved `text`), as "line rule message". */
export async function lintMessages(eslint: ESLint, root: string, rel: string, text?: string): Promise<string[]> {
  const file = path.join(root, rel);
  const [result] = await eslint.lintText(text ?? fs.readFileSync(file, 'utf8'), { filePath: file });
  return result!.messages.map((m) => `${m.line} ${m.ruleId} ${m.message}`);
}

/** Writes a file with a later mtime, even on coarse file systems: the index compares stamps, then hashes. */
export function touch(file: string, text: string): void {
  fs.writeFileSync(file, text);
  const later = new Date(Date.now() + 5000);
  fs.utimesSync(file, later, later);
}

/**
 * Lints `rel` as an editor does, MIN_RECHECK_MS or more apart, until `done` holds of its messages or 30 s have passed
 * (files on disk are looked at again on a wall-time schedule in an editor, longer after a dear look: recheck.ts).
 * Returns the last lint's messages.
 */
export async function lintUntil(eslint: ESLint, root: string, rel: string, done: (m: string[]) => boolean): Promise<string[]> {
  const until = Date.now() + 30_000;
  let after: string[];
  do {
    await new Promise((r) => setTimeout(r, MIN_RECHECK_MS + 100));
    after = await lintMessages(eslint, root, rel);
  } while (!done(after) && Date.now() < until);
  return after;
}

/**
 * For the rest of the test, this process is an editor's ESLint server (outside CI): files on disk are looked at again
 * on a wall-time schedule (on the command line and in CI it is CPU time, which a test that sleeps would not reach).
 */
export function asEditorProcess(): void {
  vi.stubEnv('CI', '');
  vi.stubEnv('VSCODE_PID', '1');
  forgetProcessKind();
  onTestFinished(() => {
    vi.unstubAllEnvs();
    forgetProcessKind();
  });
}
