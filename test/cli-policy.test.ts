import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli as run } from './support/cli.js';
import { exitCode } from '../src/cli.js';
import { progressReporter } from '../src/progress.js';
import { SCHEMA, writeProject } from './support/project.js';

const EXAMPLE = path.resolve(import.meta.dirname, '../fixtures/example-app');


const summary = (errors: number, warnings: number) => ({ summary: { errors, warnings, files: 1, writeSites: 1, gatedWriteSites: 1, covered: 0, coverage: 0, incomplete: 0, baselined: 0, durationMs: 1 } });

describe('exit policy', () => {
  it('--fail-on picks the lowest failing severity; --max-warnings caps warnings', () => {
    expect(exitCode(summary(1, 0), { failOn: 'error' })).toBe(1);
    expect(exitCode(summary(0, 3), { failOn: 'error' })).toBe(0);
    expect(exitCode(summary(0, 3), { failOn: 'warning' })).toBe(1);
    expect(exitCode(summary(2, 3), { failOn: 'none' })).toBe(0);
    expect(exitCode(summary(0, 3), { failOn: 'none', maxWarnings: 2 })).toBe(1);
    expect(exitCode(summary(0, 3), { failOn: 'error', maxWarnings: 3 })).toBe(0);
  });

  it('applies on the command line, and rejects bad values with exit 2', () => {
    // Only an unresolved write: one warning, no error.
    const dir = writeProject({ 'db/schema.sql': SCHEMA, 'rls-guard.config.json': '{ "contextSettings": ["app.current_org_id"] }', 'src/a.ts': "import { Pool } from 'pg';\nconst pool = new Pool();\nexport const a = (t: string) => pool.query(`DELETE FROM ${t}`);\n" });
    expect(run(['audit', dir]).code).toBe(0);
    expect(run(['audit', dir, '--fail-on', 'warning']).code).toBe(1);
    expect(run(['audit', dir, '--max-warnings', '0']).code).toBe(1);
    expect(run(['audit', dir, '--max-warnings', '1']).code).toBe(0);
    expect(run(['audit', EXAMPLE, '--fail-on', 'none']).code).toBe(0);
    expect(run(['audit', dir, '--fail-on', 'info'])).toMatchObject({ code: 2, stderr: expect.stringContaining('error, warning, none') });
    expect(run(['audit', dir, '--max-warnings', '-1'])).toMatchObject({ code: 2, stderr: expect.stringContaining('whole number') });
  });
});

describe('several formats at once', () => {
  it('writes each NAME=FILE and the one plain format to stdout', () => {
    const out = writeProject({});
    const r = run(['audit', EXAMPLE, '--format', 'text', '--format', `json=${out}/r.json`, '--format', `sarif=${out}/r.sarif`, '--format', `markdown=${out}/r.md`, '--format', `gitlab=${out}/gl.json`]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Write-path coverage');
    expect(JSON.parse(fs.readFileSync(`${out}/r.json`, 'utf8')).summary.errors).toBe(18);
    expect(JSON.parse(fs.readFileSync(`${out}/r.sarif`, 'utf8')).version).toBe('2.1.0');
    expect(fs.readFileSync(`${out}/r.md`, 'utf8')).toContain('### ❌ rls-guard');
    expect(JSON.parse(fs.readFileSync(`${out}/gl.json`, 'utf8'))).toHaveLength(26);
    expect(r.stderr).toContain(`rls-guard: wrote the sarif report to ${out}/r.sarif`);
    expect(run(['audit', EXAMPLE, '--format', `json=${out}/q.json`, '--quiet']).stderr).toBe('');
  });

  it('says which file it cannot write, exit 2', () => {
    expect(run(['audit', EXAMPLE, '--format', 'json=/no/such/dir/r.json'])).toMatchObject({ code: 2, stderr: 'rls-guard: cannot write /no/such/dir/r.json: ENOENT\n' });
  });

  it('refuses two formats to the same place, and unknown formats', () => {
    expect(run(['audit', EXAMPLE, '--format', 'json', '--format', 'sarif'])).toMatchObject({ code: 2, stderr: expect.stringContaining('NAME=FILE') });
    expect(run(['audit', EXAMPLE, '--format', 'json=x.json', '--format', 'nope=y'])).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown format "nope"') });
  });

  it('with github, appends the job summary when $GITHUB_STEP_SUMMARY is set', () => {
    const file = path.join(writeProject({}), 'summary.md');
    const r = run(['audit', EXAMPLE, '--format', 'github'], { env: { GITHUB_STEP_SUMMARY: file } });
    expect(r.stdout).toMatch(/^::error file=/m);
    expect(fs.readFileSync(file, 'utf8')).toContain('#### Coverage per table');
    const broken = run(['audit', EXAMPLE, '--format', 'github'], { env: { GITHUB_STEP_SUMMARY: '/no/such/dir/summary.md' } });
    expect(broken).toMatchObject({ code: 1, stderr: 'rls-guard: cannot append the job summary to /no/such/dir/summary.md: ENOENT\n' });
  });
});

describe('progress', () => {
  it('draws on a terminal, throttled, and ends with the totals', () => {
    let t = 0;
    let out = '';
    const report = progressReporter({ write: (s) => (out += s), now: () => t, intervalMs: 100, delayMs: 0 });
    report({ phase: 'parse', parsed: 1, total: 3 });
    t = 50;
    report({ phase: 'parse', parsed: 2, total: 3 });
    report({ phase: 'parse', parsed: 3, total: 3 });
    report({ phase: 'analyze', files: 3 });
    report({ phase: 'done', files: 3, writeSites: 7 });
    expect(out.split('\r\x1b[2K').filter(Boolean)).toEqual(['rls-guard: parsed 1/3 files', 'rls-guard: parsed 3/3 files', 'rls-guard: analysing 3 files…', 'rls-guard: 3 files, 7 write sites found\n']);
  });

  it('stays silent for a quick audit', () => {
    let t = 0;
    let out = '';
    const report = progressReporter({ write: (s) => (out += s), now: () => t, delayMs: 400 });
    report({ phase: 'parse', parsed: 1, total: 2 });
    t = 300;
    report({ phase: 'parse', parsed: 2, total: 2 });
    report({ phase: 'done', files: 2, writeSites: 1 });
    expect(out).toBe('');
  });

  it('shows on stderr only when stderr is a terminal and not --quiet', () => {
    const tty = { errIsTTY: true, progressDelayMs: 0 };
    // Without the cache, every file is parsed (a warm cache parses none).
    const shown = run(['audit', EXAMPLE, '--format', 'json', '--no-cache'], tty).stderr;
    expect(shown).toMatch(/^\r\x1b\[2Krls-guard: parsed \d+\/17 files/);
    expect(shown).toContain('rls-guard: 17 files, 57 write sites found\n');
    expect(run(['audit', EXAMPLE, '--format', 'json', '--quiet'], tty).stderr).toBe('');
    expect(run(['audit', EXAMPLE, '--format', 'json'], { errIsTTY: false, progressDelayMs: 0 }).stderr).toBe('');
  });
});
