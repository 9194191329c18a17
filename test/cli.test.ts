import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli as run } from './support/cli.js';
import { SCHEMA, writeProject } from './support/project.js';

const CLI = path.resolve(import.meta.dirname, '../src/cli.ts');
const EXAMPLE = path.resolve(import.meta.dirname, '../fixtures/example-app');
const EXPECTED = JSON.parse(fs.readFileSync(path.join(EXAMPLE, 'expected-report.json'), 'utf8')).summary;


describe('rls-guard audit', () => {
  it('runs as a process and exits with the contract code', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'audit', EXAMPLE, '--format', 'json'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout).summary.errors).toBe(EXPECTED.errors);
    // A fresh Node process with tsx, then the replay: over 30 s on a loaded 2-core machine.
  }, 90_000);

  it('exits 1 with findings grouped by file, code frames, and the coverage table', () => {
    const r = run(['audit', EXAMPLE]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('src/services/projects.ts');
    expect(r.stdout).toMatch(/> \d+ \|\s+await pool\.query\('INSERT INTO audit_logs/);
    expect(r.stdout).toMatch(/public\.audit_logs\s+\d+\s+\d+/);
    expect(r.stdout).toMatch(new RegExp(`All gated write paths\\s+${EXPECTED.gatedWriteSites}\\s+`));
    expect(r.stdout).toContain(`✖ ${EXPECTED.errors} errors, ${EXPECTED.warnings} warnings, 1 suppressed in ${EXPECTED.files} files`);
  });

  it('writes the JSON report to a file', () => {
    const out = path.join(writeProject({}), 'report.json');
    const r = run(['audit', EXAMPLE, '--format', 'json', '--output', out]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const report = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(report.tool.name).toBe('rls-guard');
    expect(report.summary.writeSites).toBe(EXPECTED.writeSites);
  });

  it('exits 0 when every gated write is covered', () => {
    const dir = writeProject({
      'db/schema.sql': SCHEMA,
      'src/a.ts': "import { pool } from './db';\nimport { withOrgScope } from './scope';\nexport const a = (c, o) => withOrgScope(c, pool, o, (tx) => tx.query('DELETE FROM projects WHERE id = $1', [o]));\n",
    });
    const r = run(['audit', dir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('✔ 0 errors, 0 warnings');
  });

  it('--strict turns unresolved writes into errors', () => {
    const dir = writeProject({ 'db/schema.sql': SCHEMA, 'src/a.ts': "import { Pool } from 'pg';\nconst pool = new Pool();\nexport const a = (t: string) => pool.query(`DELETE FROM ${t}`);\n" });
    expect(run(['audit', dir]).code).toBe(0);
    expect(run(['audit', dir, '--strict']).code).toBe(1);
  });

  it('exits 2 on bad arguments and bad configuration, naming the problem', () => {
    expect(run(['audit', '--format', 'yaml', EXAMPLE])).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown format "yaml"') });
    expect(run(['audit', '/no/such/path'])).toMatchObject({ code: 2, stderr: expect.stringContaining('no such file') });
    expect(run(['audit', '--bogus'])).toMatchObject({ code: 2 });
    const dir = writeProject({ 'rls-guard.config.json': '{ "scopeHelpers": [{ "nam": "x" }] }' });
    expect(run(['audit', dir])).toMatchObject({ code: 2, stderr: expect.stringContaining('scopeHelpers[0]') });
    const typo = writeProject({ 'rls-guard.config.json': '{ "scopeHelper": [] }' });
    expect(run(['audit', typo])).toMatchObject({ code: 2, stderr: expect.stringContaining('"scopeHelper" is not a known option') });
  });

  it('keeps going past unreadable input: syntax errors, binary and huge files, broken SQL', () => {
    const dir = writeProject({
      'db/schema.sql': `${SCHEMA}\nCREAT TABLE broken (;\n`,
      'src/broken.ts': "import { pool } from './db';\nexport const f = ( => pool.query('DELETE FROM projects');\n",
      'src/ok.ts': "import { Pool } from 'pg';\nconst pool = new Pool();\nexport const g = () => pool.query('DELETE FROM audit_logs');\n",
      'src/bad-sql.ts': "import { Pool } from 'pg';\nconst pool = new Pool();\nexport const h = () => pool.query('DELET FROM audit_logs');\n",
    });
    fs.writeFileSync(path.join(dir, 'src/blob.ts'), Buffer.from([0x63, 0x6f, 0x00, 0xff, 0x00]));
    fs.writeFileSync(path.join(dir, 'src/huge.ts'), `export const x = '${'a'.repeat(3 * 1024 * 1024)}';\n`);
    fs.symlinkSync(path.join(dir, 'src'), path.join(dir, 'src/loop'));
    const r = run(['audit', dir, '--format', 'json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    const diag = report.diagnostics.map((d: { file: string; message: string }) => `${d.file}: ${d.message}`).join('\n');
    expect(diag).toMatch(/src\/blob\.ts: skipped: binary file/);
    expect(diag).toMatch(/src\/huge\.ts: skipped: \d+ bytes/);
    expect(diag).toMatch(/src\/broken\.ts: syntax error at line 2/);
    expect(diag).toMatch(/db\/schema\.sql: line \d+: SQL syntax error/);
    const sites = report.writeSites.map((s: { file: string; coverage: string }) => `${s.file} ${s.coverage}`);
    expect(sites).toEqual(expect.arrayContaining(['src/ok.ts unscoped', 'src/bad-sql.ts unresolved']));
  });
});
