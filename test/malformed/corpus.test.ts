import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AuditReport } from '../../src/report/audit-report.js';
import { runCli } from '../support/cli.js';
import { SCHEMA, writeProject } from '../support/project.js';

// A malformed-input corpus, generated here (no binaries checked in): every case has its
// expected exit code and report. None may crash, and none may pass while a write is hidden.

const POOL = `import { Pool } from 'pg';\nexport const pool = new Pool();\n`;
const DELETE = `export async function purge() {\n  await pool.query('DELETE FROM projects WHERE id = $1', [1]);\n}\n`;

interface Run {
  code: number;
  report: AuditReport;
  stderr: string;
}

function audit(dir: string, ...flags: string[]): Run {
  const { code, stdout, stderr } = runCli(['audit', dir, '--format', 'json', '--schema-source', 'static', '-q', ...flags]);
  expect(stderr).not.toMatch(/internal error/);
  return { code, report: JSON.parse(stdout) as AuditReport, stderr };
}

function text(dir: string, ...flags: string[]): { code: number; stdout: string; stderr: string } {
  return runCli(['audit', dir, '--schema-source', 'static', '-q', ...flags]);
}

// The fixture's policies read a setting its code never sets: not what these cases are about.
const rules = (r: AuditReport): string[] => r.findings.filter((f) => f.ruleId !== 'no-unset-policy-setting').map((f) => `${f.file}:${f.line} ${f.ruleId}`);

describe('an incomplete audit is never a pass', () => {
  it('an unterminated quote in a migration keeps the statements before it: projects stays gated and the pool INSERT is unscoped', () => {
    const dir = writeProject({
      'db/migrations/001.sql': `CREATE TABLE projects (id uuid PRIMARY KEY, org_id uuid NOT NULL, name text);\nALTER TABLE projects ENABLE ROW LEVEL SECURITY;\nCOMMENT ON TABLE projects IS 'it''s fine;\n`,
      'src/db.ts': `${POOL}export async function add() {\n  await pool.query('INSERT INTO projects (id, org_id, name) VALUES ($1, $2, $3)', [1, 2, 3]);\n}\n`,
    });
    const { code, report } = audit(dir);
    expect(code).toBe(1);
    expect(report.schema.gatedTables).toEqual(['public.projects']);
    expect(report.writeSites.map((s) => s.coverage)).toEqual(['unscoped']);
    expect(report.incomplete).toEqual([{ file: 'db/migrations/001.sql', line: 3, kind: 'migration', reason: 'SQL syntax error: unterminated quoted string; the statement at line 3 was not read, the rest of the file was applied' }]);
    expect(report.summary.incomplete).toBe(1);
    expect(rules(report)).toEqual(['db/migrations/001.sql:2 no-owner-bypass', 'db/migrations/001.sql:3 no-incomplete-audit', 'src/db.ts:4 no-unscoped-write']);
  });

  it.each([
    ['dollar-quote', `CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1;\n`, 'unterminated dollar-quoted string'],
    ['block comment', `/* a comment that never ends;\n`, 'unterminated /* comment'],
    ['quoted identifier', `ALTER TABLE "feature_flags ADD COLUMN x int;\n`, 'unterminated quoted identifier'],
  ])('an unterminated %s loses only its own statement: reading resumes at the next statement boundary', (_name, broken, reason) => {
    const dir = writeProject({
      'db/migrations/001.sql': `CREATE TABLE notes (id int, org_id uuid);\nALTER TABLE notes ENABLE ROW LEVEL SECURITY;\n${broken}CREATE TABLE projects (id uuid PRIMARY KEY, org_id uuid NOT NULL);\nALTER TABLE projects ENABLE ROW LEVEL SECURITY;\n`,
      'src/db.ts': POOL + DELETE,
    });
    const { code, report } = audit(dir);
    expect(code).toBe(1);
    expect(report.schema.gatedTables).toEqual(['public.notes', 'public.projects']);
    expect(report.writeSites.map((s) => s.coverage)).toEqual(['unscoped']);
    expect(report.incomplete).toHaveLength(1);
    expect(report.incomplete[0]).toMatchObject({ file: 'db/migrations/001.sql', line: 3, kind: 'migration' });
    expect(report.incomplete[0]!.reason).toContain(reason);
    expect(report.incomplete[0]!.reason).toContain('the statement at line 3 was not read');
  });

  it('a lexing error with no later statement boundary says everything after it was lost', () => {
    const dir = writeProject({
      'db/migrations/001.sql': `CREATE TABLE projects (id uuid, org_id uuid);\nALTER TABLE projects ENABLE ROW LEVEL SECURITY;\nCOMMENT ON TABLE projects IS 'never\nclosed\n`,
      'src/db.ts': POOL + DELETE,
    });
    const { report } = audit(dir);
    expect(report.incomplete[0]!.reason).toBe('SQL syntax error: unterminated quoted string; everything from line 3 to the end of the file (line 5) were not read, the rest of the file was applied');
  });

  it('a source file over maxFileBytes is skipped and reported; the limit is configuration, and raising it audits the file', () => {
    const writes = Array.from({ length: 200 }, (_, i) => `export async function w${i}() { await pool.query('DELETE FROM projects WHERE id = $1', [${i}]); }`).join('\n');
    const files = { 'db/migrations/001.sql': SCHEMA, 'src/big.ts': `${POOL}${writes}\n` };
    const size = Buffer.byteLength(files['src/big.ts']);
    const small = audit(writeProject({ ...files, 'rls-guard.config.json': JSON.stringify({ maxFileBytes: 4096 }) }));
    expect(small.code).toBe(1);
    expect(small.report.writeSites).toEqual([]);
    expect(small.report.incomplete).toEqual([{ file: 'src/big.ts', kind: 'source', reason: `skipped: ${size} bytes is over the maxFileBytes limit of 4096 bytes` }]);
    const big = audit(writeProject({ ...files, 'rls-guard.config.json': JSON.stringify({ maxFileBytes: size }) }));
    expect(big.report.incomplete).toEqual([]);
    expect(big.report.findings.filter((f) => f.ruleId === 'no-unscoped-write')).toHaveLength(200);
  });

  it('a 50 MB source file is skipped under the default limit, quickly, and the run fails', () => {
    const dir = writeProject({ 'db/migrations/001.sql': SCHEMA, 'src/db.ts': POOL + DELETE });
    const fd = fs.openSync(path.join(dir, 'src/huge.ts'), 'w');
    const chunk = Buffer.from(`${'// padding '.repeat(100)}\n`.repeat(1000));
    for (let written = 0; written < 50 * 1024 * 1024; written += chunk.length) fs.writeSync(fd, chunk);
    fs.closeSync(fd);
    const { code, report } = audit(dir);
    expect(code).toBe(1);
    expect(report.incomplete.map((i) => `${i.file} ${i.kind}`)).toEqual(['src/huge.ts source']);
    expect(report.incomplete[0]!.reason).toMatch(/^skipped: \d+ bytes is over the maxFileBytes limit of 2097152 bytes$/);
    expect(rules(report)).toContain('src/db.ts:4 no-unscoped-write');
  });

  it('no migrations: coverage is n/a (null), the gap is reported and the run fails; --allow-incomplete downgrades it to a warning', () => {
    const dir = writeProject({ 'src/db.ts': POOL + DELETE });
    const { code, report } = audit(dir);
    expect(code).toBe(1);
    expect(report.summary.coverage).toBeNull();
    expect(report.summary.gatedWriteSites).toBe(0);
    expect(report.incomplete).toHaveLength(1);
    expect(report.incomplete[0]).toMatchObject({ file: '.', kind: 'migration' });
    expect(report.incomplete[0]!.reason).toMatch(/^no migrations found/);
    expect(report.findings.map((f) => `${f.ruleId} ${f.severity}`)).toEqual(['no-incomplete-audit error']);
    const allowed = text(dir, '--allow-incomplete');
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toContain('Incomplete audit: 1 input skipped or read in part');
    expect(allowed.stdout).toMatch(/All gated write paths +0 +0 +0 +0 +0 +0 +n\/a/);
    expect(allowed.stdout).toMatch(/⚠ 0 errors, 1 warning, INCOMPLETE \(1 input skipped or read in part\) in 1 file/);
    expect(allowed.stdout).not.toContain('✔');
  });

  it('a baseline never records or hides a gap: the incomplete run still fails', () => {
    const dir = writeProject({ 'src/db.ts': POOL + DELETE });
    const baseline = path.join(dir, 'baseline.json');
    const written = runCli(['audit', dir, '-q', '--schema-source', 'static', '--write-baseline', baseline]);
    expect(written.stderr).toContain('wrote 0 findings to the baseline');
    expect(written.code).toBe(1);
    const { code, report } = audit(dir, '--baseline', baseline);
    expect(code).toBe(1);
    expect(report.summary.baselined).toBe(0);
    expect(rules(report)).toEqual(['.:1 no-incomplete-audit']);
  });

  it('every format shows the gap and none shows an all-clear', () => {
    const dir = writeProject({ 'src/db.ts': POOL + DELETE });
    const out = (format: string): string => {
      const r = runCli(['audit', dir, '-q', '--schema-source', 'static', '--format', format]);
      expect(r.code).toBe(1);
      return r.stdout;
    };
    expect(out('text')).toContain('Incomplete audit: 1 input skipped or read in part\n  . (migration): no migrations found');
    expect(out('markdown')).toContain('**Incomplete audit**: 1 input skipped or read in part');
    expect(out('markdown')).not.toContain('✅');
    expect(out('github')).toMatch(/^::error file=.*title=rls-guard no-incomplete-audit::/m);
    expect(out('github')).toContain('INCOMPLETE: 1 input skipped or read in part');
    expect((JSON.parse(out('gitlab')) as { check_name: string }[]).map((i) => i.check_name)).toEqual(['no-incomplete-audit']);
    const sarif = JSON.parse(out('sarif')) as { runs: { invocations: { executionSuccessful: boolean }[]; results: { ruleId: string }[] }[] };
    expect(sarif.runs[0]!.invocations[0]!.executionSuccessful).toBe(false);
    expect(sarif.runs[0]!.results.map((r) => r.ruleId)).toEqual(['no-incomplete-audit']);
    const html = out('html');
    expect(html).toContain('(INCOMPLETE)');
    expect(html).toContain('no migrations found');
  });

  it('statements the replay cannot run are gaps that say the static reading stands in for them', () => {
    const migration = `${SCHEMA}\nCREATE TABLE notes (id int, org_id uuid) USING no_such_access_method;\nALTER TABLE notes ENABLE ROW LEVEL SECURITY;\n`;
    const line = migration.slice(0, migration.indexOf('CREATE TABLE notes')).split('\n').length;
    const dir = writeProject({ 'db/migrations/001.sql': migration, 'src/db.ts': POOL + DELETE });
    const { code, stdout } = runCli(['audit', dir, '--format', 'json', '-q', '--schema-source', 'replay']);
    const report = JSON.parse(stdout) as AuditReport;
    expect(code).toBe(1);
    // One gap per migration file, at its first failed statement, counting and quoting them;
    // each statement is a note of its own in the diagnostics.
    expect(report.incomplete.map((i) => `${i.file}:${i.line} ${i.kind}`)).toEqual([`db/migrations/001.sql:${line} migration`]);
    expect(report.incomplete[0]!.reason).toMatch(
      new RegExp(`^2 statements did not replay in embedded Postgres: line ${line} \\(.*no_such_access_method.*: CREATE TABLE notes .*\\), line ${line + 1} \\(.*\\) \\(each is listed in the report's diagnostics\\); facts for 1 objects they touch come from the static reading$`),
    );
    expect(report.findings.filter((f) => f.ruleId === 'no-incomplete-audit')).toHaveLength(1);
    const notes = report.diagnostics.filter((d) => /^line \d+: did not replay/.test(d.message));
    expect(notes.map((d) => d.message.slice(0, d.message.indexOf(':')))).toEqual([`line ${line}`, `line ${line + 1}`]);
    expect(notes[0]!.message).toMatch(/^line \d+: did not replay in embedded Postgres \(.*no_such_access_method.*\): CREATE TABLE notes .*; facts for public\.notes come from the static reading$/);
    expect(report.schema.gatedTables).toContain('public.notes');
  }, 120_000);

  it('migrations that gate no table are a gap too', () => {
    const dir = writeProject({ 'db/migrations/001.sql': 'CREATE TABLE projects (id int);\n', 'src/db.ts': POOL + DELETE });
    const { code, report } = audit(dir);
    expect(code).toBe(1);
    expect(report.incomplete.map((i) => `${i.file} ${i.kind}`)).toEqual(['db/migrations migration']);
    expect(report.incomplete[0]!.reason).toMatch(/^no RLS-gated tables in the model/);
  });

  it('a .ts file whose unterminated /* hides a pool DELETE is incomplete, not ✔', () => {
    const dir = writeProject({ 'db/migrations/001.sql': SCHEMA, 'src/db.ts': `${POOL}/* TODO: tidy\n${DELETE}` });
    const { code, report } = audit(dir);
    expect(code).toBe(1);
    expect(report.incomplete).toEqual([{ file: 'src/db.ts', line: 3, kind: 'source', reason: "syntax error at line 3: a /* comment is never closed ('*/' expected.); the code after it may have been misread or not read at all" }]);
    expect(text(dir).stdout).toMatch(/✖ 1 error, \d+ warnings, INCOMPLETE/);
  });

  it('a truncated source file is incomplete', () => {
    const full = POOL + DELETE;
    const dir = writeProject({ 'db/migrations/001.sql': SCHEMA, 'src/db.ts': full.slice(0, full.indexOf('[1]')) });
    const { code, report } = audit(dir);
    expect(code).toBe(1);
    expect(report.incomplete.map((i) => `${i.file} ${i.kind}`)).toEqual(['src/db.ts source']);
  });

  it('a truncated migration keeps what precedes the cut', () => {
    const dir = writeProject({ 'db/migrations/001.sql': SCHEMA.slice(0, SCHEMA.indexOf('CREATE POLICY projects_org') + 40), 'src/db.ts': POOL + DELETE });
    const { code, report } = audit(dir);
    expect(code).toBe(1);
    expect(report.schema.gatedTables).toEqual(['public.audit_logs', 'public.projects']);
    expect(report.writeSites.map((s) => s.coverage)).toEqual(['unscoped']);
    expect(report.incomplete).toHaveLength(1);
  });

  it.each([
    ['UTF-8 with a BOM', (t: string) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(t, 'utf8')])],
    ['UTF-16LE with a BOM', (t: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(t, 'utf16le')])],
    ['UTF-16BE with a BOM', (t: string) => Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(t, 'utf16le').swap16()])],
  ])('a source file in %s is read as TypeScript reads it', (_name, encode) => {
    const dir = writeProject({ 'db/migrations/001.sql': SCHEMA });
    fs.mkdirSync(path.join(dir, 'src'));
    fs.writeFileSync(path.join(dir, 'src/db.ts'), encode(POOL + DELETE));
    const { code, report } = audit(dir);
    expect(code).toBe(1);
    expect(report.incomplete).toEqual([]);
    expect(rules(report)).toEqual(['src/db.ts:4 no-unscoped-write']);
    // With the project's dependencies installed, the checker's program (ts-morph) reads the files: the same text.
    fs.mkdirSync(path.join(dir, 'node_modules/pg'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'node_modules/pg/package.json'), '{ "name": "pg", "version": "8.0.0" }');
    const typed = audit(dir, '--no-cache');
    expect(typed.report.incomplete).toEqual([]);
    expect(rules(typed.report)).toEqual(['src/db.ts:4 no-unscoped-write']);
  });

  it('a binary file with a source name is skipped and reported', () => {
    const dir = writeProject({ 'db/migrations/001.sql': SCHEMA });
    fs.mkdirSync(path.join(dir, 'src'));
    fs.writeFileSync(path.join(dir, 'src/logo.ts'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]));
    const { code, report } = audit(dir);
    expect(code).toBe(1);
    expect(report.incomplete).toEqual([{ file: 'src/logo.ts', kind: 'source', reason: 'skipped: binary file (NUL characters after decoding)' }]);
  });

  it.each([
    ['parentheses', (depth: number) => `${'('.repeat(depth)}1${')'.repeat(depth)}`],
    // TypeScript parses a chain of + in a loop, but the tree it builds is 100,000 levels deep.
    ['a chain of +', (depth: number) => Array.from({ length: depth }, () => '1').join(' + ')],
  ])('code nested 100,000 levels deep (%s) is analysed or reported as incomplete, without a crash', (_name, expression) => {
    const nested = `export const deep = ${expression(100_000)};\n`;
    const dir = writeProject({ 'db/migrations/001.sql': SCHEMA, 'src/deep.ts': POOL + nested + DELETE });
    const { code, report } = audit(dir);
    expect(code).toBe(1);
    // Either the write is found or the file is reported: never a silent pass.
    const found = report.writeSites.some((s) => s.file === 'src/deep.ts' && s.coverage === 'unscoped');
    const gap = report.incomplete.some((i) => i.file === 'src/deep.ts');
    expect(found || gap).toBe(true);
  }, 60_000);

  it('10,000 files in one folder are all audited', () => {
    const dir = writeProject({ 'db/migrations/001.sql': SCHEMA, 'src/db.ts': POOL + DELETE });
    const many = path.join(dir, 'src/many');
    fs.mkdirSync(many);
    for (let i = 0; i < 10_000; i++) fs.writeFileSync(path.join(many, `m${i}.ts`), `export const m${i} = ${i};\n`);
    const { code, report } = audit(dir);
    expect(code).toBe(1);
    expect(report.summary.files).toBe(10_001);
    expect(report.incomplete).toEqual([]);
    expect(rules(report)).toEqual(['src/db.ts:4 no-unscoped-write']);
  }, 120_000);

  it('a file whose name is not UTF-8 is reported, not dropped silently', () => {
    const dir = writeProject({ 'db/migrations/001.sql': SCHEMA, 'src/db.ts': POOL });
    fs.writeFileSync(Buffer.concat([Buffer.from(path.join(dir, 'src/')), Buffer.from([0x66, 0xff, 0x2e, 0x74, 0x73])]), `import { pool } from './db';\n${DELETE}`);
    const { code, report } = audit(dir);
    expect(code).toBe(1);
    expect(report.incomplete).toEqual([{ file: 'src/f\uFFFD.ts', kind: 'source', reason: 'unreadable: its name is not valid UTF-8, so it cannot be opened by that name; rename it' }]);
  });
});

describe('files by real path', () => {
  it('audits a file reached through two links once, resolves its imports from its real folder, and names loops and broken links once each', () => {
    const dir = writeProject({ 'rls-guard.config.json': '{}', 'db/migrations/001.sql': SCHEMA, 'lib/db.ts': POOL, 'lib/jobs/purge.ts': `import { pool } from '../db.js';\n${DELETE}` });
    fs.mkdirSync(path.join(dir, 'src'));
    fs.symlinkSync(path.join(dir, 'lib/jobs'), path.join(dir, 'src/jobs'));
    fs.symlinkSync(path.join(dir, 'lib/jobs'), path.join(dir, 'src/jobs-again'));
    fs.symlinkSync(path.join(dir, 'src'), path.join(dir, 'src/loop'));
    fs.symlinkSync(path.join(dir, 'src/b.ts'), path.join(dir, 'src/a.ts'));
    fs.symlinkSync(path.join(dir, 'src/a.ts'), path.join(dir, 'src/b.ts'));
    fs.symlinkSync(path.join(dir, 'src/nowhere.ts'), path.join(dir, 'src/broken.ts'));
    const { code, report } = audit(path.join(dir, 'src'));
    expect(code).toBe(1);
    expect(report.writeSites.map((s) => `${s.file} ${s.coverage}`)).toEqual(['lib/jobs/purge.ts unscoped']);
    expect(report.diagnostics.map((d) => `${d.file}: ${d.message}`).sort()).toEqual([
      'src/a.ts: symbolic link loop: the link leads back to itself through other links',
      'src/b.ts: symbolic link loop: the link leads back to itself through other links',
      'src/broken.ts: broken symbolic link: its target does not exist',
      `src/loop: symbolic link loop: leads back to ${fs.realpathSync(path.join(dir, 'src'))}, which is already being read; not followed`,
    ]);
  });
});

describe('untrusted repositories', () => {
  it('never runs a malicious rls-guard.config.mjs under --untrusted, and says so', () => {
    const marker = path.join(os.tmpdir(), `rls-guard-pwned-${process.pid}-${Date.now()}`);
    const dir = writeProject({
      'db/migrations/001.sql': SCHEMA,
      'src/db.ts': POOL + DELETE,
      'rls-guard.config.mjs': `import fs from 'node:fs';\nfs.writeFileSync(${JSON.stringify(marker)}, 'ran');\nexport default { gatedTables: { remove: ['public.projects'] } };\n`,
      'package.json': JSON.stringify({ name: 'fork', scripts: { preinstall: `touch ${marker}`, prepare: `touch ${marker}` } }),
    });
    const { code, report, stderr } = audit(dir, '--untrusted');
    expect(fs.existsSync(marker)).toBe(false);
    expect(code).toBe(1);
    expect(report.schema.gatedTables).toContain('public.projects');
    expect(rules(report)).toEqual(['rls-guard.config.mjs:1 no-incomplete-audit', 'src/db.ts:4 no-unscoped-write']);
    expect(report.incomplete[0]).toMatchObject({ file: 'rls-guard.config.mjs', kind: 'config' });
    expect(stderr).toContain('rls-guard.config.mjs was not run: --untrusted never executes code from the audited tree');
    // Without the flag the same config is the project's own code, run as before.
    audit(dir);
    expect(fs.readFileSync(marker, 'utf8')).toBe('ran');
    fs.rmSync(marker);
  });

  it('reads a JSON config under --untrusted, but never connects to its databaseUrl', () => {
    const config = { gatedTables: { add: ['public.feature_flags'] }, databaseUrl: 'postgres://attacker.invalid/db' };
    const dir = writeProject({ 'db/migrations/001.sql': SCHEMA, 'src/db.ts': POOL + DELETE, 'rls-guard.config.json': JSON.stringify(config) });
    const { code, report } = audit(dir, '--untrusted');
    expect(code).toBe(1);
    expect(report.schema.gatedTables).toContain('public.feature_flags');
    // Asked for the database explicitly, it says why it will not connect (no DNS lookup happens).
    fs.writeFileSync(path.join(dir, 'rls-guard.config.json'), JSON.stringify({ ...config, schemaSource: 'database' }));
    const refused = runCli(['audit', dir, '-q', '--untrusted']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe('rls-guard: the configuration reads the RLS model from a database, but under --untrusted its databaseUrl is ignored; pass --database-url yourself, or --schema-source replay to read the migrations\n');
  });
});

describe('messages for bad input', () => {
  it('schema on a missing folder says "no such folder" and exits 2', () => {
    for (const args of [['schema', '/nope'], ['schema', '/nope', '--write']]) {
      const r = runCli(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe('rls-guard: no such folder: /nope\n');
    }
  });

  it('an unset $DATABASE_URL and a URL that is none are errors, not a fallback or a DNS error', () => {
    const dir = writeProject({ 'db/migrations/001.sql': SCHEMA, 'rls-guard.config.json': JSON.stringify({ databaseUrl: '$RLS_GUARD_TEST_UNSET_URL' }) });
    const unset = runCli(['audit', dir, '-q']);
    expect(unset.code).toBe(2);
    expect(unset.stderr).toBe('rls-guard: databaseUrl is "$RLS_GUARD_TEST_UNSET_URL" but the environment variable RLS_GUARD_TEST_UNSET_URL is not set (or empty); set it, or remove databaseUrl to read the RLS model from the migrations\n');
    const bad = runCli(['audit', writeProject({ 'db/migrations/001.sql': SCHEMA }), '-q', '--database-url', 'not a url']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('rls-guard: the database URL is not a PostgreSQL URL; write it as postgres://user:password@host:5432/database\n');
  });

  it('a JSON syntax error in the config says line and column; an enum error lists the allowed values', () => {
    const broken = runCli(['audit', writeProject({ 'rls-guard.config.json': '{\n  "ignore": ["a"]\n  "defaultSchema": "x"\n}\n' }), '-q']);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/rls-guard\.config\.json: cannot read configuration: invalid JSON at line 3, column 3: /);
    const badEnum = runCli(['audit', writeProject({ 'rls-guard.config.json': '{ "schemaSource": "sometimes" }' }), '-q']);
    expect(badEnum.code).toBe(2);
    expect(badEnum.stderr).toMatch(/schemaSource must be one of "auto", "replay", "static", "snapshot", "database"\n$/);
    const badLimit = runCli(['audit', writeProject({ 'rls-guard.config.json': '{ "maxFileBytes": 0 }' }), '-q']);
    expect(badLimit.stderr).toMatch(/maxFileBytes must be at least 1\n$/);
  });

  it('a baseline whose count is not a number is rejected', () => {
    const dir = writeProject({ 'db/migrations/001.sql': SCHEMA, 'b.json': JSON.stringify({ version: 1, files: { 'src/a.ts': { 'no-unscoped-write': { count: 'x', fingerprints: ['ab'] } } } }) });
    const r = runCli(['audit', dir, '-q', '--baseline', path.join(dir, 'b.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('files["src/a.ts"]["no-unscoped-write"].count must be a whole number ≥ 0');
  });

  it('a suggested fix quotes identifiers as Postgres needs them', () => {
    const dir = writeProject({ 'db/migrations/001.sql': 'CREATE SCHEMA "Billing";\nCREATE TABLE "Billing"."LedgerEntries" (id int);\nALTER TABLE "Billing"."LedgerEntries" ENABLE ROW LEVEL SECURITY;\nCREATE TABLE "user" (id int);\nALTER TABLE "user" ENABLE ROW LEVEL SECURITY;\n' });
    const messages = audit(dir).report.findings.filter((f) => f.ruleId === 'no-owner-bypass').map((f) => /Fix: `([^`]*)`/.exec(f.message)?.[1]);
    expect(messages).toEqual(['ALTER TABLE "Billing"."LedgerEntries" FORCE ROW LEVEL SECURITY;', 'ALTER TABLE public."user" FORCE ROW LEVEL SECURITY;']);
  });

  it('an interpolation that breaks the SQL is named as such, never as the internal placeholder', () => {
    const dir = writeProject({ 'db/migrations/001.sql': SCHEMA, 'src/db.ts': `${POOL}export const run = (t: string) => pool.query(\`DELETE FROM \${t} WHERE id = 1\`);\n` });
    const messages = audit(dir).report.findings.map((f) => f.message).join('\n');
    expect(messages).toContain('syntax error at or near an interpolated value');
    expect(messages).toContain('the table it writes is built at run time');
    expect(messages).not.toMatch(/\$9\d\d/);
    // Where the interpolation can name neither a table nor a second statement (`UPDATE projects SET ${sets}`), the
    // write is judged, naming it; at the end of the text (`DELETE FROM projects ${where}`) it could hold
    // `; DELETE FROM other`, and the write stays unresolved.
    const fixed = writeProject({ 'db/migrations/001.sql': SCHEMA, 'src/db.ts': `${POOL}export const run = (sets: string[]) => pool.query(\`UPDATE projects SET \${sets.join(', ')}\`);\n` });
    const judged = audit(fixed).report.findings.map((f) => f.message).join('\n');
    expect(judged).toContain("its text is completed at run time (`${sets.join(', ')}`) where no table is named");
    const tail = writeProject({ 'db/migrations/001.sql': SCHEMA, 'src/db.ts': `${POOL}export const run = (where: string) => pool.query(\`DELETE FROM projects \${where}\`);\n` });
    expect(audit(tail).report.writeSites.map((w) => w.coverage)).toEqual(['unresolved']);
    expect(judged).not.toMatch(/\$9\d\d/);
  });

  it('the config file is not counted as an audited file', () => {
    const dir = writeProject({ 'db/migrations/001.sql': SCHEMA, 'src/db.ts': POOL, 'rls-guard.config.ts': 'export default {};\n' });
    expect(audit(dir).report.summary.files).toBe(1);
  });
});
