import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { auditSync } from '../../src/walker/audit.js';
import { runCli } from '../support/cli.js';
import { initialState, writeApp } from './small-app.js';

// --changed-since REF reports the files changed since REF (committed since the merge base,
// staged, unstaged, untracked) exactly as a full audit reports them, and nothing else; it
// fails with exit 2 outside a git repository or on an unknown ref.

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const git = (cwd: string, ...args: string[]): string => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'init.defaultBranch=main', ...args], { cwd, encoding: 'utf8' });

function repo(): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-changed-')));
  dirs.push(dir);
  writeApp(dir, initialState());
  git(dir, 'init', '-q');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'base');
  return dir;
}

describe('--changed-since', () => {
  it('reports the changed files as the full audit does, and only them', () => {
    const dir = repo();
    git(dir, 'checkout', '-qb', 'feature');
    const state = initialState();
    // Committed on the branch: a helper now writes another table.
    state.helpers[1]!.table = 'notes';
    writeApp(dir, state);
    git(dir, 'commit', '-qam', 'helper');
    // Uncommitted: the SQL constant; untracked: a new route calling a helper on the pool.
    state.auditTable = 'notes';
    state.routes.push({ helper: 0, on: 'pool', viaBarrel: false });
    writeApp(dir, state);
    const changed = ['src/helpers/save1.ts', 'src/routes/route4.ts', 'src/sql.ts'];
    const full = auditSync({ paths: [dir], types: false, schemaSource: 'static' });
    const scoped = auditSync({ paths: [dir], types: false, schemaSource: 'static', changedSince: 'main' });
    expect(scoped.changedSince).toEqual({ ref: 'main', files: changed });
    expect(scoped.summary.files).toBe(3);
    const inChanged = <T extends { file: string }>(xs: T[]): T[] => xs.filter((x) => changed.includes(x.file));
    expect(scoped.writeSites).toEqual(inChanged(full.writeSites));
    expect(scoped.writeSites.map((s) => `${s.file} ${s.coverage}`)).toEqual(['src/helpers/save1.ts not-gated']);
    expect(scoped.findings).toEqual(inChanged(full.findings));
    // The helper whose caller is new is judged as the full audit judges it (its file is not reported).
    expect(full.writeSites.find((s) => s.file === 'src/helpers/save0.ts')?.coverage).toBe('unscoped');
    expect(scoped.summary.writeSites).toBe(1);
  });

  it('fails with exit 2 outside a git repository and on an unknown ref', () => {
    const plain = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-nogit-'));
    dirs.push(plain);
    writeApp(plain, initialState());
    const outside = runCli(['audit', plain, '--changed-since', 'main', '--no-cache', '--schema-source', 'static', '--format', 'json']);
    // A temp folder may sit inside some repository on a developer's machine; never here under /tmp.
    expect(outside.code).toBe(2);
    expect(outside.stderr).toMatch(/not inside a git repository|unknown git ref/);
    const dir = repo();
    const unknown = runCli(['audit', dir, '--changed-since', 'no-such-branch', '--no-cache', '--schema-source', 'static', '--format', 'json']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown git ref "no-such-branch"');
    expect(runCli(['audit', dir, '--changed-since', '--output=x', '--no-cache', '--schema-source', 'static']).code).toBe(2);
    const ok = runCli(['audit', dir, '--changed-since', 'HEAD', '--no-cache', '--schema-source', 'static', '--format', 'json']);
    expect(JSON.parse(ok.stdout).summary.files).toBe(0);
  }, 120_000);
});
