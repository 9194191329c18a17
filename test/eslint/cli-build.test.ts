import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { cliBuildFor, cliBuildWaits, forgetCliBuilds, readStatus } from '../../src/eslint/cli-build.js';
import { lastIndexWork, resetProjectIndexes } from '../../src/eslint/project-index.js';
import { forgetProcessKind } from '../../src/eslint/settings.js';
import { eslintFor, lintMessages, ruleTesterCopy } from '../support/eslint-project.js';

// The command line's child-process build of a cold project index (src/eslint/cli-build.ts): the cross-file verdicts
// come from the child's whole-project analysis, the same as the lint process's own; a child that dies or stalls leaves
// them unresolved with the reason; a warm index starts no child; threads of one process share one build.

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-cli-build-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const project = (): string => ruleTesterCopy(tmp);

const cache = (root: string): string => path.join(root, 'node_modules/.cache/rls-guard');
const statuses = (root: string): string[] =>
  fs.existsSync(cache(root)) ? fs.readdirSync(cache(root)).filter((f) => /^eslint-build-.*-\d+\.json$/.test(f)) : [];

const UNSCOPED_BY_JOBS = /^5 rls-guard\/no-unscoped-write .*the call at src\/jobs\.ts:5 recordAudit\(pool, orgId\)/;

beforeEach(() => {
  resetProjectIndexes();
  forgetCliBuilds();
  // The command line: not an editor, not CI (whose budget is the same, but keep the environment plain).
  vi.stubEnv('CI', '');
  for (const v of ['VSCODE_PID', 'VSCODE_CWD', 'VSCODE_IPC_HOOK', 'JB_IDE_PORT', 'NVIM', 'VIM']) vi.stubEnv(v, '');
  forgetProcessKind();
  onTestFinished(() => {
    vi.unstubAllEnvs();
    forgetProcessKind();
    forgetCliBuilds();
  });
});

describe('the command line builds a cold project index in a child process', () => {
  it("decides a helper's write by its callers in other files from the child's build, as without a child", async () => {
    const root = project();
    expect(await lintMessages(eslintFor(root), root, 'src/audit-helper.ts')).toEqual([expect.stringMatching(UNSCOPED_BY_JOBS)]);
    const [status] = statuses(root);
    expect(readStatus(path.join(cache(root), status!))).toMatchObject({ state: 'done', owner: process.pid });
    // The same messages from the lint process's own build.
    const other = project();
    vi.stubEnv('RLS_GUARD_INDEX_CHILD', '0');
    resetProjectIndexes();
    forgetCliBuilds();
    expect(await lintMessages(eslintFor(other), other, 'src/audit-helper.ts')).toEqual([expect.stringMatching(UNSCOPED_BY_JOBS)]);
    expect(statuses(other)).toEqual([]);
  }, 60_000);

  it('while the child builds, a file whose site needs a small part of the project waits for it, analysing none itself', async () => {
    const root = project();
    // Files nobody imports: the helper's callers and what they import are a small part of the project, which the lint
    // process once analysed itself while the child analysed it too.
    fs.mkdirSync(path.join(root, 'src/other'));
    for (let i = 0; i < 40; i++) fs.writeFileSync(path.join(root, `src/other/m${i}.ts`), `export const m${i} = ${i};\n`);
    expect(await lintMessages(eslintFor(root), root, 'src/audit-helper.ts')).toEqual([expect.stringMatching(UNSCOPED_BY_JOBS)]);
    // It waited at the first file, and its verdict came from the child's index: no set analysed in this process.
    expect(cliBuildWaits()).toEqual([1]);
    expect(lastIndexWork().analysed).toBe(0);
  }, 60_000);

  it('starts no child for a warm index', async () => {
    const root = project();
    vi.stubEnv('RLS_GUARD_INDEX_CHILD', '0');
    await lintMessages(eslintFor(root), root, 'src/audit-helper.ts');
    resetProjectIndexes(); // written; as a new process
    vi.stubEnv('RLS_GUARD_INDEX_CHILD', '');
    expect(await lintMessages(eslintFor(root), root, 'src/audit-helper.ts')).toEqual([expect.stringMatching(UNSCOPED_BY_JOBS)]);
    expect(statuses(root)).toEqual([]);
  }, 60_000);

  it('a child that dies leaves the sites that need it unresolved, with its reason', async () => {
    const root = project();
    // The child cannot start: node fails on a preload that does not exist.
    vi.stubEnv('NODE_OPTIONS', `--require=${path.join(tmp, 'no-such-preload.cjs')}`);
    expect(await lintMessages(eslintFor(root), root, 'src/audit-helper.ts')).toEqual([
      expect.stringMatching(/^5 rls-guard\/no-unresolved-write .*the rls-guard project index failed \(its build in a child process failed: it exited.*Cannot find module/),
    ]);
  }, 60_000);

  it('a child that makes no progress is stopped: its sites are unresolved, saying so', async () => {
    const root = project();
    vi.stubEnv('RLS_GUARD_BUILD_STALL_MS', '1');
    expect(await lintMessages(eslintFor(root), root, 'src/audit-helper.ts')).toEqual([
      expect.stringMatching(/^5 rls-guard\/no-unresolved-write .*its build in a child process failed: it made no progress for 1 ms and was stopped/),
    ]);
  }, 60_000);

  it("a second thread of the process (ESLint's --concurrency workers) follows the first's build, never starts its own", () => {
    const root = project();
    fs.mkdirSync(cache(root), { recursive: true });
    const request = () => ({ file: path.join(root, 'src/audit-helper.ts'), text: '', strict: false });
    const first = cliBuildFor(root, cache(root), () => true, request);
    expect(first).toBeDefined();
    const started = readStatus(first!.statusFile);
    forgetCliBuilds(); // as another worker thread: its own module state, the same process
    let asked = false;
    const second = cliBuildFor(root, cache(root), () => true, () => ((asked = true), request()));
    expect(second?.statusFile).toBe(first!.statusFile);
    expect(asked).toBe(false);
    expect(readStatus(second!.statusFile)?.pid).toBe(started?.pid);
    expect(statuses(root)).toHaveLength(1);
    expect(second!.wait().state).toBe('done');
  }, 60_000);

  it("removes the files of the project's earlier builds whose processes have ended, and keeps a running one's", () => {
    const root = project();
    fs.mkdirSync(cache(root), { recursive: true });
    const request = () => ({ file: path.join(root, 'src/audit-helper.ts'), text: '', strict: false });
    const first = cliBuildFor(root, cache(root), () => true, request);
    expect(first!.wait().state).toBe('done');
    const prefix = path.basename(first!.statusFile, '.json').replace(/\d+$/, '');
    // An ended process's build (no process has pid 2^22 + 1 on Linux: pid_max is at most 2^22), and a running one's
    // (this test runner's parent, whose child may still be writing).
    const ended = `${prefix}${2 ** 22 + 1}`;
    const running = `${prefix}${process.ppid}`;
    for (const name of [ended, running]) {
      fs.writeFileSync(path.join(cache(root), `${name}.json`), JSON.stringify({ owner: 1, started: 0, state: 'done', beat: 0 }));
      fs.writeFileSync(path.join(cache(root), `${name}.log`), '');
      fs.writeFileSync(path.join(cache(root), `${name}.request.json`), '{}');
    }
    // Another project's files in the same folder are not this project's to remove.
    fs.writeFileSync(path.join(cache(root), `eslint-build-0000000000000000-${2 ** 22 + 1}.json`), '{}');
    forgetCliBuilds(); // as the next ESLint process
    fs.rmSync(first!.statusFile); // as if that process were another one, long gone
    for (const f of fs.readdirSync(cache(root))) if (f.startsWith('eslint-index-')) fs.rmSync(path.join(cache(root), f));
    resetProjectIndexes();
    const next = cliBuildFor(root, cache(root), () => true, request);
    expect(next!.wait().state).toBe('done');
    const left = fs.readdirSync(cache(root)).filter((f) => f.startsWith('eslint-build-'));
    expect(left.filter((f) => f.startsWith(ended))).toEqual([]);
    expect(left.filter((f) => f.startsWith(running)).sort()).toEqual([`${running}.json`, `${running}.log`, `${running}.request.json`]);
    expect(left).toContain(`eslint-build-0000000000000000-${2 ** 22 + 1}.json`);
  }, 60_000);
});
