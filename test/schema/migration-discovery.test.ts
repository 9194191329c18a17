import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { discoverMigrations, isLeftOutName, leftOutFolder } from '../../src/schema/discover.js';
import { loadModel } from '../../src/schema/load.js';
import { codeMigrationsByShape, hasMigrationShape } from '../../src/schema/migration-shape.js';
import { parseSource } from '../../src/files/source.js';
import { writeProject } from '../support/project.js';
import { auditSync } from '../../src/index.js';

// Migrations discovered the way a user means them: archived and documentation folders are not the schema (but what
// they gate still gates), and a folder of modules exporting `up` and `down` is a folder of migrations.

describe('archived and documentation folders', () => {
  it('are named by whole folder names, never by a word inside one', () => {
    const left = ['archive', 'Archived', 'archives', '_archive_20251102', '_old', 'old', 'backup', 'backups', 'docs',
      'doc', 'documentation', 'deprecated', 'obsolete', 'migrations.archive', 'migrations-backup',
      'migrations-archive-old-sql', 'migrations_old', 'old-sql', '.archive'];
    const kept = ['migrations', 'migration', '20241113125330_workspace_archive', '20231230072556_datastructurearchive',
      'docker', 'legacy', 'oldies', 'backupper', 'migrations_v2', 'src', 'db', 'prisma'];
    expect(left.filter((n) => !isLeftOutName(n))).toEqual([]);
    expect(kept.filter(isLeftOutName)).toEqual([]);
    expect(leftOutFolder('docs/archive/migrations/001.sql')).toBe('docs');
    expect(leftOutFolder('apps/api/migrations.archive/legacy-sql/1.sql')).toBe('apps/api/migrations.archive');
    expect(leftOutFolder('prisma/migrations/20241113125330_workspace_archive/migration.sql')).toBeNull();
    // The file's own name does not count: `old.sql` in a migrations folder is a migration.
    expect(leftOutFolder('db/migrations/old.sql')).toBeNull();
  });

  it('are left out of unconfigured discovery, each folder listed with its files; a configured folder is read', () => {
    const dir = writeProject({
      'db/migrations/001.sql': 'SELECT 1;',
      'docs/archive/migrations/001.sql': 'SELECT 1;',
      'docs/archive/migrations/002.sql': 'SELECT 1;',
      'server/migrations-backup/001.sql': 'SELECT 1;',
      'server/migrations-backup/002_x.ts': 'export async function up(knex) {}\nexport async function down() {}\n',
    });
    const found = discoverMigrations(dir);
    expect(found.files.map((f) => path.relative(dir, f))).toEqual(['db/migrations/001.sql']);
    expect(found.leftOut.map((x) => [x.folder, x.files.map((f) => path.relative(dir, f))])).toEqual([
      ['docs', ['docs/archive/migrations/001.sql', 'docs/archive/migrations/002.sql']],
      ['server/migrations-backup', ['server/migrations-backup/001.sql']],
    ]);
    const configured = discoverMigrations(dir, { migrations: ['docs/archive/migrations'] });
    expect(configured.files.map((f) => path.relative(dir, f))).toEqual([
      'docs/archive/migrations/001.sql',
      'docs/archive/migrations/002.sql',
    ]);
    expect(configured.leftOut).toEqual([]);
  });

  it('still gate the tables only they enable RLS on (read with the parser), unless the applied migrations state it', () => {
    const dir = writeProject({
      'db/migrations/001.sql':
        'CREATE TABLE notes (id int, org_id uuid);\nCREATE TABLE events (id int);\n' +
        'ALTER TABLE events DISABLE ROW LEVEL SECURITY;\nCREATE TABLE orders (id int);\n' +
        'ALTER TABLE orders ENABLE ROW LEVEL SECURITY;\n',
      'docs/archive/001.sql':
        "CREATE TABLE notes (id int, org_id uuid);\n-- ALTER TABLE ghosts ENABLE ROW LEVEL SECURITY;\n" +
        "ALTER TABLE notes ENABLE ROW LEVEL SECURITY;\nCREATE POLICY p ON notes USING (org_id = current_setting('app.org')::uuid);\n" +
        'ALTER TABLE events ENABLE ROW LEVEL SECURITY;\nALTER TABLE orders DISABLE ROW LEVEL SECURITY;\n' +
        'ALTER TABLE notes FORCE ROW LEVEL SECURITY;\n' +
        "SELECT 'ALTER TABLE quoted ENABLE ROW LEVEL SECURITY';\n",
    });
    for (const source of ['static', 'replay'] as const) {
      const model = loadModel(dir, { schemaSource: source });
      const gated = [...model.tables.values()].filter((t) => t.rlsEnabled).map((t) => t.name).sort();
      // A comment and a string that spell the statement are not one: the parser reads the file, no pattern.
      expect(gated, source).toEqual(['public.notes', 'public.orders']);
      expect(model.tables.get('public.notes')!.enabledAt).toEqual({ file: 'docs/archive/001.sql', line: 3 });
      expect(model.tables.get('public.notes')!.policies.map((p) => p.name)).toEqual(['p']);
      // Judged as the left-out file describes it: FORCE too (else every such table would warn of owner bypass).
      expect(model.tables.get('public.notes')!.forced).toBe(true);
      expect([...model.leftOutGated!.keys()]).toEqual(['public.notes']);
      expect(model.policySettings.has('app.org')).toBe(true);
      const notes = model.diagnostics.filter((d) => d.file.startsWith('docs'));
      expect(notes.map((d) => `${d.file}:${d.line}`)).toEqual(['docs:1', 'docs/archive/001.sql:3']);
      expect(notes[0]!.message).toMatch(/^left out of the migrations: 1 migration file\(s\) under docs.*"migrations" in the config$/);
      expect(notes[1]!.message).toMatch(/^public\.notes has row level security enabled only by this file.*"gatedTables\.remove"/);
      expect(model.diagnostics.some((d) => d.incomplete)).toBe(false);
    }
    const removed = loadModel(dir, { schemaSource: 'static', gatedTables: { remove: ['notes'] } });
    expect(removed.tables.get('public.notes')!.rlsEnabled).toBe(false);
    expect(removed.leftOutGated?.has('public.notes')).toBe(false);
    const included = loadModel(dir, { schemaSource: 'static', migrations: ['db/migrations', 'docs/archive'] });
    expect(included.leftOutGated).toBeUndefined();
    expect(included.tables.get('public.events')!.rlsEnabled).toBe(true);
  });
});

const parses = (text: string): boolean => hasMigrationShape(parseSource('/x/m.ts', text));

describe('code migrations by their shape', () => {
  it('are modules exporting an up and a down function, in any of the forms migration tools use', () => {
    expect(parses('export async function up(k) {}\nexport async function down(k) {}')).toBe(true);
    expect(parses('export const up = async () => {};\nexport const down = function () {};')).toBe(true);
    expect(parses('exports.up = function (k) {};\nexports.down = async (k) => {};')).toBe(true);
    expect(parses('module.exports = { up: async () => {}, async down() {} };')).toBe(true);
    expect(parses('const a: Script = { up: async (p) => {}, down: async (p) => {} };\nexport default a;')).toBe(true);
    expect(parses('export default { async up() {}, async down() {} } satisfies Script;')).toBe(true);
    expect(parses('async function up() {}\nasync function down() {}\nexport { up, down };')).toBe(true);
    expect(parses('async function up() {}\nasync function down() {}\nexport default { up, down };')).toBe(true);
    expect(parses('export class M1 implements MigrationInterface { async up(q) {} async down(q) {} }')).toBe(true);
  });

  it('need both, as functions, exported', () => {
    expect(parses('export async function up() {}')).toBe(false);
    expect(parses('export const up = 1;\nexport const down = 2;')).toBe(false);
    expect(parses('async function up() {}\nasync function down() {}')).toBe(false);
    expect(parses('export default { up: "north", down: "south" };')).toBe(false);
    expect(parses('export const keys = { up: () => 1, down: () => 2 };')).toBe(false);
  });

  it('count only in a folder that holds several of them', () => {
    const shaped = 'export default { up: async (db) => {}, down: async (db) => {} };\n';
    const dir = writeProject({
      'packages/schemas/alterations/1-a.ts': shaped,
      'packages/schemas/alterations/2-b.ts': shaped,
      'packages/schemas/alterations/3-c.js': 'exports.up = async () => {};\nexports.down = async () => {};\n',
      'packages/schemas/alterations/utils.ts': 'export const x = 1;\n',
      'src/steppers/a.ts': 'export function up() {}\nexport function down() {}\n',
      'src/steppers/b.ts': 'export function up() {}\nexport function down() {}\n',
    });
    const found = [...codeMigrationsByShape(dir, [])].map((f) => path.relative(dir, f)).sort();
    expect(found).toEqual([
      'packages/schemas/alterations/1-a.ts',
      'packages/schemas/alterations/2-b.ts',
      'packages/schemas/alterations/3-c.js',
    ]);
    expect(discoverMigrations(dir).files.map((f) => path.relative(dir, f))).toEqual(found);
  });
});

// A start-up script that runs a constant array of DDL strings in a loop (irongate2's `auto-migrate.ts`, reproduced):
// its statements are migrations, replayed after the deployment's migrations; its writes are the migration's.
const STARTUP = `import { db } from './client';


const statements: string[] = [
  \`ALTER TABLE firms ADD COLUMN IF NOT EXISTS plan text\`,
  \`ALTER TABLE firms ENABLE ROW LEVEL SECURITY\`,
  \`DO $$ BEGIN
    DELETE FROM heartbeats a USING heartbeats b WHERE a.user_id = b.user_id AND a.at < b.at;
    IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE policyname = 'firms_isolation') THEN
      EXECUTE 'CREATE POLICY firms_isolation ON firms USING (id = current_setting(''app.firm_id'')::uuid)';
    END IF;
  END $$\`,
  \`CREATE INDEX IF NOT EXISTS firms_plan_idx ON firms(plan)\`,
];

export async function runStartupMigrations(): Promise<void> {
  for (const statement of statements) {
    try {
      await db.query(statement);
    } catch (err) {
      console.warn(err);
    }
  }
}
`;

const STARTUP_APP = {
  'db/migrations/001.sql':
    'CREATE TABLE firms (id uuid PRIMARY KEY, name text);\nCREATE TABLE heartbeats (user_id uuid, at timestamptz);\n',
  'src/db/client.ts': "import { Pool } from 'pg';\nexport const db = new Pool();\n",
  'src/db/auto-migrate.ts': STARTUP,
  'src/routes/firms.ts':
    "import { db } from '../db/client';\nexport const rename = (n: string) => db.query('UPDATE firms SET name = $1', [n]);\n",
};

describe('a start-up script of constant schema statements', () => {
  it('is a migration by its shape, replayed after the migrations, whatever folder it sits in', () => {
    const dir = writeProject(STARTUP_APP);
    expect(discoverMigrations(dir).files.map((f) => path.relative(dir, f))).toEqual([
      'db/migrations/001.sql',
      'src/db/auto-migrate.ts',
    ]);
    for (const source of ['static', 'replay'] as const) {
      const model = loadModel(dir, { schemaSource: source });
      const firms = model.tables.get('public.firms')!;
      expect(firms.rlsEnabled, source).toBe(true);
      expect(firms.enabledAt, source).toEqual({ file: 'src/db/auto-migrate.ts', line: 6 });
      expect(model.diagnostics.filter((d) => d.incomplete), source).toEqual([]);
    }
    expect(loadModel(dir, { schemaSource: 'replay' }).tables.get('public.firms')!.policies.map((p) => p.name)).toEqual([
      'firms_isolation',
    ]);
  });

  it('gates the writes of the app (unscoped, not "no row-level security"); the loop is set aside as a migration', () => {
    const dir = writeProject(STARTUP_APP);
    const report = auditSync({ paths: [dir], types: false, schemaSource: 'replay' });
    expect(report.writeSites.map((s) => `${s.file}:${s.line} ${s.coverage}`)).toEqual(['src/routes/firms.ts:2 unscoped']);
    expect(report.setAsideWriteSites!.map((s) => `${s.file}:${s.line} ${s.setAside}`)).toEqual([
      'src/db/auto-migrate.ts:19 migrations',
    ]);
  });

  it('reads forEach loops with an executor parameter; an element it cannot read is an incomplete read', () => {
    const dir = writeProject({
      'db/migrations/001.sql': 'CREATE TABLE notes (id int, org_id uuid);\nCREATE TABLE tags (id int);\n',
      'src/setup.ts':
        "const EXTRA = process.env.EXTRA_DDL!;\nconst DDL = [\n  'ALTER TABLE notes ENABLE ROW LEVEL SECURITY',\n" +
        '  EXTRA,\n];\nexport function migrate(pool: { query(s: string): void }) {\n  DDL.forEach((s) => pool.query(s));\n}\n',
      // The same shape in a test sets up a throwaway database: not the app's schema.
      'test/setup-db.ts':
        "const DDL = ['ALTER TABLE tags ENABLE ROW LEVEL SECURITY'];\nexport function setup(p: any) {\n" +
        '  for (const s of DDL) p.query(s);\n}\n',
    });
    const model = loadModel(dir, { schemaSource: 'static' });
    expect(model.tables.get('public.notes')!.rlsEnabled).toBe(true);
    expect(model.tables.get('public.tags')!.rlsEnabled).toBe(false);
    const notes = model.diagnostics.filter((d) => d.incomplete);
    expect(notes.map((d) => `${d.file}:${d.line}`)).toEqual(['src/setup.ts:4']);
    expect(notes[0]!.message).toMatch(/^start-up statement not understood: `EXTRA` .* loop at line 7 .*gatedTables\.add/);
  });

  it('is not a module that only holds such an array, nor one that runs strings that are no schema statements', () => {
    const dir = writeProject({
      'src/queries.ts': "export const DDL = ['ALTER TABLE notes ENABLE ROW LEVEL SECURITY'];\n",
      'src/cleanup.ts':
        "const JOBS = ['DELETE FROM notes', 'UPDATE tags SET x = 1'];\n// ALTER TABLE notes ENABLE ROW LEVEL SECURITY\n" +
        'export async function run(p: any) {\n  for (const j of JOBS) await p.query(j);\n}\n',
    });
    expect(codeMigrationsByShape(dir, []).size).toBe(0);
  });
});
