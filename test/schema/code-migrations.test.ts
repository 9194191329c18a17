import { describe, expect, it } from 'vitest';
import { loadModel, upSection } from '../../src/schema/load.js';
import { readCodeMigration, sqlOfCodeMigration } from '../../src/schema/code-migrations.js';
import { auditProject, verdicts, writeProject } from '../support/project.js';

// Migrations that are not plain .sql files: TypeScript migrations (knex, TypeORM, Kysely,
// node-pg-migrate) and SQL files that keep their undo in the same file or beside it.

const KNEX = `import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('documents', (t) => { t.uuid('id'); t.uuid('org_id'); });
  await knex.raw('ALTER TABLE documents ENABLE ROW LEVEL SECURITY');
  await knex.raw(\`CREATE POLICY documents_org ON documents
    USING (org_id = current_setting('app.current_org_id', true)::uuid)\`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE documents DISABLE ROW LEVEL SECURITY');
}
`;

const TYPEORM = `import { MigrationInterface, QueryRunner } from 'typeorm';
const TABLE = 'invoices';
export class Invoices1700000000000 implements MigrationInterface {
  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(\`CREATE TABLE \${TABLE} (id uuid PRIMARY KEY, org_id uuid NOT NULL)\`);
    await queryRunner.query('ALTER TABLE ' + TABLE + ' ENABLE ROW LEVEL SECURITY');
  }
  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE invoices');
  }
}
`;

describe('migrations written in code', () => {
  it('takes the SQL their up runs, on the lines the code holds it, and skips down', () => {
    const sql = sqlOfCodeMigration('/x/migrations/001.ts', KNEX);
    expect(sql.split('\n')[4]).toBe('ALTER TABLE documents ENABLE ROW LEVEL SECURITY;');
    expect(sql).toContain('CREATE POLICY documents_org ON documents');
    expect(sql).not.toContain('DISABLE');
  });

  it('gates tables that knex and TypeORM migrations enable RLS on, and keeps migration files out of the write paths', () => {
    const report = auditProject({
      'db/migrations/20240101_documents.ts': KNEX,
      'src/migrations/1700000000000-Invoices.ts': TYPEORM,
      'src/db.ts': "import { Pool } from 'pg';\nexport const pool = new Pool();\n",
      'src/app.ts': "import { pool } from './db';\nexport const a = () => pool.query('DELETE FROM documents');\nexport const b = () => pool.query('DELETE FROM invoices');\n",
    });
    expect(report.schema.gatedTables).toEqual(expect.arrayContaining(['public.documents', 'public.invoices']));
    expect(verdicts(report)).toEqual(['src/app.ts:2 unscoped', 'src/app.ts:3 unscoped']);
    expect(report.findings.find((f) => f.file === 'src/app.ts')!.message).toContain('RLS enabled at db/migrations/20240101_documents.ts:5');
  });
});

describe('undo in SQL migrations', () => {
  it('ignores what follows a dbmate, goose or sql-migrate down marker, keeping line numbers', () => {
    const text = 'ALTER TABLE t ENABLE ROW LEVEL SECURITY;\n-- migrate:down\nALTER TABLE t DISABLE ROW LEVEL SECURITY;\n';
    expect(upSection(text)).toBe('ALTER TABLE t ENABLE ROW LEVEL SECURITY;\n\n\n');
    expect(upSection('-- +goose Up\nSELECT 1;\n-- +goose Down\nDROP TABLE t;')).toBe('-- +goose Up\nSELECT 1;\n\n');
  });

  it('skips golang-migrate .down.sql files', () => {
    const dir = writeProject({
      'migrations/0001_t.up.sql': 'CREATE TABLE t (id int, org_id uuid);\nALTER TABLE t ENABLE ROW LEVEL SECURITY;\n',
      'migrations/0001_t.down.sql': 'ALTER TABLE t DISABLE ROW LEVEL SECURITY;\nDROP TABLE t;\n',
      'migrations/0002_more.up.sql': 'SELECT 1;\n',
    });
    const model = loadModel(dir, { schemaSource: 'static' });
    expect(model.files).toEqual(['migrations/0001_t.up.sql', 'migrations/0002_more.up.sql']);
    expect(model.tables.get('public.t')?.rlsEnabled).toBe(true);
  });

  it('skips revert, rollback and undo scripts kept beside the migrations (corpus34: memex-ai)', () => {
    const dir = writeProject({
      'drizzle/0001_t.sql': 'CREATE TABLE t (id int, org_id uuid);\nALTER TABLE t ENABLE ROW LEVEL SECURITY;\n',
      'drizzle/0002_no_force.sql': 'ALTER TABLE t NO FORCE ROW LEVEL SECURITY;\n',
      'drizzle/reverts/0001_t.revert.sql': 'ALTER TABLE t DISABLE ROW LEVEL SECURITY;\n',
      'drizzle/reverts/0002_no_force.revert.sql': 'ALTER TABLE t FORCE ROW LEVEL SECURITY;\n',
      'drizzle/0003_u.rollback.sql': 'DROP TABLE t;\n',
      'drizzle/0003_v.undo.sql': 'DROP TABLE t;\n',
      // A forward migration that reverts an earlier change is a migration like any other.
      'drizzle/0004_revert_extra.sql': 'SELECT 1;\n',
    });
    const model = loadModel(dir, { schemaSource: 'static' });
    expect(model.files).toEqual(['drizzle/0001_t.sql', 'drizzle/0002_no_force.sql', 'drizzle/0004_revert_extra.sql']);
    expect(model.tables.get('public.t')?.rlsEnabled).toBe(true);
    expect(model.tables.get('public.t')?.forced).toBe(false);
  });

  it('skips an undo script named by its last word (psql36: Community-Canvas `026_rollback.sql`, salina)', () => {
    const dir = writeProject({
      'migrations/025_split.sql': 'CREATE TABLE t (id int);\nALTER TABLE t ENABLE ROW LEVEL SECURITY;\n',
      'migrations/025_split_rollback.sql': 'ALTER TABLE t DISABLE ROW LEVEL SECURITY;\n',
      'migrations/026-rollback.sql': 'DROP TABLE t;\n',
      'migrations/rollback.sql': 'DROP TABLE t;\n',
    });
    const model = loadModel(dir, { schemaSource: 'static' });
    expect(model.files).toEqual(['migrations/025_split.sql']);
    expect(model.tables.get('public.t')?.rlsEnabled).toBe(true);
  });
});

describe('RLS switched on by code', () => {
  const app = {
    'src/db.ts': "import { Pool } from 'pg';\nexport const pool = new Pool();\n",
    'src/app.ts': `import { pool } from './db';
export const a = () => pool.query('DELETE FROM orders');
export const b = () => pool.query('DELETE FROM invoices');
export const c = () => pool.query('DELETE FROM refunds');
export const d = () => pool.query('DELETE FROM ledgers');
export const e = () => pool.query('DELETE FROM plain');
`,
  };
  const gated = (report: ReturnType<typeof auditProject>): string[] => report.writeSites.filter((s) => s.gated).map((s) => s.tables[0]!).sort();

  it('through a helper called with constant names, loops over constant arrays and Kysely sql.table(name)', () => {
    const report = auditProject({
      ...app,
      'db/migrations/lib/secure.ts': `import { sql, type Kysely } from 'kysely';
export async function secureTable(db: Kysely<any>, name: string): Promise<void> {
  await sql\`ALTER TABLE \${sql.table(name)} ENABLE ROW LEVEL SECURITY\`.execute(db);
  await sql\`CREATE POLICY org_only ON \${sql.table(name)} USING (org_id = current_setting('app.current_org_id', true)::uuid)\`.execute(db);
}
`,
      'db/migrations/002_code.ts': `import type { Knex } from 'knex';
import { sql } from 'kysely';
import { secureTable } from './lib/secure';
const TENANT_TABLES = ['invoices', 'refunds'] as const;
export async function up(knex: Knex, db: any): Promise<void> {
  await knex.raw('CREATE TABLE orders (id int, org_id uuid); CREATE TABLE invoices (id int, org_id uuid); CREATE TABLE refunds (id int, org_id uuid); CREATE TABLE ledgers (id int, org_id uuid); CREATE TABLE plain (id int)');
  await secureTable(db, 'orders');
  for (const t of TENANT_TABLES) {
    await knex.raw(\`ALTER TABLE \${t} ENABLE ROW LEVEL SECURITY\`);
  }
  ['ledgers'].forEach((t) => knex.raw(\`ALTER TABLE "\${t}" ENABLE ROW LEVEL SECURITY\`));
}
export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE plain ENABLE ROW LEVEL SECURITY');
}
`,
    });
    expect(gated(report)).toEqual(['public.invoices', 'public.ledgers', 'public.orders', 'public.refunds']);
    // The migrations' own writes are set aside from app coverage (one note); no schema diagnostic.
    expect(schemaNotes(report)).toEqual([]);
  });

  it('folds the options object a helper is given, and its `??` defaults when the call passes none, into the policy it creates', () => {
    const dir = writeProject({
      'db/migrations/lib/secure.ts': `import { sql, type Kysely } from 'kysely';
export async function enableRls(db: Kysely<any>, table: string, options: { column?: string; policy?: string } = {}) {
  const column = options.column ?? 'org_id';
  const policy = options.policy || 'org_isolation';
  await sql\`ALTER TABLE \${sql.table(table)} ENABLE ROW LEVEL SECURITY\`.execute(db);
  await sql\`CREATE POLICY \${sql.id(policy)} ON \${sql.table(table)}
    USING (\${sql.ref(column)} = current_setting('app.tenant_id')::uuid)\`.execute(db);
}
export async function secureTable(db: Kysely<any>, table: string, options: { column?: string; policy?: string } = {}) {
  await enableRls(db, table, options);
}
`,
      'db/migrations/001_code.ts': `import { sql, type Kysely } from 'kysely';
import { secureTable } from './lib/secure';
export async function up(db: Kysely<any>): Promise<void> {
  await sql\`CREATE TABLE tenants (id uuid PRIMARY KEY); CREATE TABLE orders (id int, org_id uuid)\`.execute(db);
  await secureTable(db, 'tenants', { column: 'id', policy: 'tenant_self' });
  await secureTable(db, 'orders');
}
`,
    });
    const model = loadModel(dir, { schemaSource: 'static' });
    const policies = (t: string) => model.tables.get(t)?.policies.map((p) => p.name);
    expect(policies('public.tenants')).toEqual(['tenant_self']);
    expect(policies('public.orders')).toEqual(['org_isolation']);
    expect([...model.policySettings]).toEqual(['app.tenant_id']);
  });

  it('reports a schema statement whose table name cannot be folded, and config fills the gap', () => {
    const migration = `import type { Knex } from 'knex';
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE TABLE orders (id int, org_id uuid)');
  for (const t of await listTables(knex)) {
    await knex.raw(\`ALTER TABLE \${t} ENABLE ROW LEVEL SECURITY\`);
  }
}
declare function listTables(k: Knex): Promise<string[]>;
`;
    const report = auditProject({ ...app, 'db/migrations/002_code.ts': migration });
    expect(gated(report)).not.toContain('public.orders');
    expect(schemaNotes(report).map((d) => d.file)).toEqual(['db/migrations/002_code.ts']);
    expect(schemaNotes(report)[0]!.message).toMatch(/^line 5: schema statement not understood: `t` names an object but cannot be folded to a constant.*"gatedTables\.add"/);
    const filled = auditProject({ ...app, 'db/migrations/002_code.ts': migration, 'rls-guard.config.json': '{"migrations":["db/migrations"],"gatedTables":{"add":["orders"]}}' });
    expect(gated(filled)).toContain('public.orders');
  });
});

describe('knex bindings in code migrations', () => {
  const read = (body: string) =>
    readCodeMigration('/x/migrations/001.ts', `export async function up(knex) {\n${body}\n}\nexport async function down() {}\n`);

  it('splices `??` (array bindings) and `:name:` (object bindings) as knex quotes them', () => {
    const positional = read(`  await knex.raw('ALTER TABLE ?? ENABLE ROW LEVEL SECURITY', ['notes']);`);
    expect(positional.sql).toBe('\nALTER TABLE "notes" ENABLE ROW LEVEL SECURITY;\n');
    expect(positional.diagnostics).toEqual([]);
    const named = read(`  const t = 'app.notes';\n  await knex.raw('ALTER TABLE :t: FORCE ROW LEVEL SECURITY', { t });`);
    expect(named.sql).toContain('ALTER TABLE "app"."notes" FORCE ROW LEVEL SECURITY;');
    const policy = read(
      `  for (const t of ['a', 'b']) await knex.raw(\`CREATE POLICY p ON ?? USING (org_id = current_setting('app.org')::uuid)\`, [t]);`,
    );
    expect(policy.sql).toContain('CREATE POLICY p ON "a"');
    expect(policy.sql).toContain('CREATE POLICY p ON "b"');
  });

  it('reports a binding that is not a constant on its line, and reads nothing from it', () => {
    const out = read(`  const t = await pick(knex);\n  await knex.raw('ALTER TABLE ?? ENABLE ROW LEVEL SECURITY', [t]);`);
    expect(out.sql.trim()).toBe('');
    expect(out.diagnostics).toEqual([
      { line: 3, message: expect.stringMatching(/^schema statement not understood: the knex identifier binding `t` names/) },
    ]);
    const named = read(`  await knex.raw('ALTER TABLE :t: ENABLE ROW LEVEL SECURITY', { t: process.env.T });`);
    expect(named.diagnostics.map((d) => d.line)).toEqual([2]);
  });

  it('gates the table in an audit, with the migration line as evidence', () => {
    const report = auditProject({
      'db/migrations/001_notes.ts': `export async function up(knex) {
  await knex.raw('CREATE TABLE notes (id int, org_id uuid)');
  await knex.raw('ALTER TABLE ?? ENABLE ROW LEVEL SECURITY', ['notes']);
}
export async function down() {}
`,
      'src/db.ts': "import { Pool } from 'pg';\nexport const pool = new Pool();\n",
      'src/app.ts': "import { pool } from './db';\nexport const a = () => pool.query('DELETE FROM notes');\n",
    });
    expect(report.schema.gatedTables).toContain('public.notes');
    expect(verdicts(report)).toEqual(['src/app.ts:2 unscoped']);
  });
});

describe('Drizzle policies', () => {
  it('gate a table the migrations create without ENABLE, inline or linked with .link(table)', () => {
    const report = auditProject({
      'db/migrations/002_tables.sql': 'CREATE TABLE orders (id uuid, org_id uuid);\nCREATE TABLE refunds (id uuid, org_id uuid);\nCREATE TABLE plain (id uuid);\n',
      'src/schema.ts': `import { sql } from 'drizzle-orm';
import { pgPolicy, pgTable, uuid } from 'drizzle-orm/pg-core';
const name = 'orders_org';
export const orders = pgTable('orders', { id: uuid('id'), orgId: uuid('org_id') }, (t) => [
  pgPolicy(name, { using: sql\`\${t.orgId} = current_setting('app.current_org_id', true)::uuid\` }),
]);
export const refunds = pgTable('refunds', { id: uuid('id'), orgId: uuid('org_id') });
export const refundsOrg = pgPolicy('refunds_org', { using: sql\`org_id = current_setting('app.current_org_id', true)::uuid\` }).link(refunds);
export const plain = pgTable('plain', { id: uuid('id') });
`,
      'src/app.ts': `import { Pool } from 'pg';
const pool = new Pool();
export const a = () => pool.query('DELETE FROM orders');
export const b = () => pool.query('DELETE FROM refunds');
export const c = () => pool.query('DELETE FROM plain');
`,
    });
    expect(verdicts(report)).toEqual(['src/app.ts:3 unscoped', 'src/app.ts:4 unscoped', 'src/app.ts:5 not-gated']);
    expect(report.findings.find((f) => f.line === 4 && f.file === 'src/app.ts')!.message).toContain('RLS enabled at src/schema.ts:8');
  });
});

/** Diagnostics about the schema (not the note that migrations' writes were set aside). */
function schemaNotes(report: { diagnostics: { file: string; message: string }[] }): { file: string; message: string }[] {
  return report.diagnostics.filter((d) => !d.message.startsWith('set aside from the app'));
}
