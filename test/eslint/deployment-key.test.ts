import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { asEditorProcess, eslintFor, lintMessages, lintUntil } from '../support/eslint-project.js';

// The deployment files (env, compose, CI) are inputs of a verdict: the role an env file gives a DSN variable decides
// whether a pool is an admin one (src/analysis/deploy-login.ts). A change to one of them alone, with every source
// file and migration as it was, must reach a new lint process's answer: the project index's keys include them
// (lint31; before, a warm index answered with the verdict of the env file as it was).

const FIXTURE = path.resolve(import.meta.dirname, '../../fixtures/precision/deploy-roles');
const LINT = path.resolve(import.meta.dirname, '../support/lint-process.ts');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-deploy-key-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let copies = 0;
/** A copy of the fixture, its index cached in its node_modules, the schema read statically. */
function app(): string {
  const root = path.join(tmp, `app${copies++}`);
  fs.cpSync(FIXTURE, root, { recursive: true });
  fs.mkdirSync(path.join(root, 'node_modules'));
  fs.writeFileSync(path.join(root, 'rls-guard.config.json'), JSON.stringify({ schemaSource: 'static' }));
  return root;
}

/** DATABASE_ADMIN_URL now logs in as the app's role (the init script makes ops_admin BYPASSRLS, not app_user). */
function adminUrlAsAppUser(root: string): void {
  const env = path.join(root, '.env.example');
  fs.writeFileSync(env, fs.readFileSync(env, 'utf8').replace('ops_admin:change_me', 'app_user:change_me'));
  const later = new Date(Date.now() + 5000);
  fs.utimesSync(env, later, later);
}

/** A new command-line lint process's messages for `rel`. */
function lintInNewProcess(root: string, rel: string): string[] {
  const out = execFileSync(process.execPath, ['--import', 'tsx', LINT, root, rel], {
    cwd: path.resolve(import.meta.dirname, '../..'),
    env: { ...process.env, CI: '', VSCODE_PID: '' },
    encoding: 'utf8',
  });
  return JSON.parse(out) as string[];
}

const UNSCOPED_PURGE = /^5 rls-guard\/no-unscoped-write DELETE on public\.projects/;

describe('the project index after a change to a deployment file only', () => {
  it('answers with the role the env file now gives, not the verdict stored for the old one', () => {
    const root = app();
    // DATABASE_ADMIN_URL logs in as ops_admin, BYPASSRLS by the init script: the purge is an admin write.
    const before = lintInNewProcess(root, 'src/jobs.ts');
    expect(before.filter((m) => m.startsWith('5 '))).toEqual([]);
    expect(before.some((m) => UNSCOPED_PURGE.test(m))).toBe(false);
    // Now it logs in as the app's role; nothing else changes.
    adminUrlAsAppUser(root);
    expect(lintInNewProcess(root, 'src/jobs.ts')).toContainEqual(expect.stringMatching(UNSCOPED_PURGE));
  }, 120_000);

  it("in an editor's process, at the next look at the project (the model's schedule)", async () => {
    asEditorProcess();
    const root = app();
    const eslint = eslintFor(root, { indexBudgetMs: Infinity });
    expect((await lintMessages(eslint, root, 'src/jobs.ts')).some((m) => UNSCOPED_PURGE.test(m))).toBe(false);
    adminUrlAsAppUser(root);
    // The model and the deployment files are looked at again after MIN_RECHECK_MS of wall time or more (recheck.ts):
    // lint as an editor does until the look has been made (bounded); the verdict must then follow the env file.
    const after = await lintUntil(eslint, root, 'src/jobs.ts', (m) => m.some((t) => UNSCOPED_PURGE.test(t)));
    expect(after).toContainEqual(expect.stringMatching(UNSCOPED_PURGE));
  }, 60_000);
});
