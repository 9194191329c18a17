import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli as run } from '../support/cli.js';
import { loadConfig } from '../../src/config/load.js';
import { auditSync } from '../../src/walker/audit.js';
import { proposeMigrations } from '../../src/init-proposals.js';
import { ambientFrom } from '../../src/init.js';
import { matchesSpec } from '../../src/analysis/config.js';
import { SCHEMA, writeProject } from '../support/project.js';

const EXAMPLE = path.resolve(import.meta.dirname, '../../fixtures/example-app');


/** The example app as a fresh checkout without its configuration. */
function bareExample(): string {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-init-')), 'app');
  fs.cpSync(EXAMPLE, dir, { recursive: true });
  fs.rmSync(path.join(dir, 'rls-guard.config.json'));
  return dir;
}

describe('rls-guard init', () => {
  it('on the example app, writes the configuration its authors wrote by hand, and prints the ESLint snippet', () => {
    const dir = bareExample();
    const r = run(['init', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Database libraries: pg (imports, package.json)');
    expect(r.stdout).toContain('Migrations: db/migrations');
    expect(r.stdout).toMatch(/Scope helpers: inTenantTransaction \(src\/db\/scope\.ts:37, /);
    expect(r.stdout).toContain("import rlsGuard from 'rls-guard/eslint-plugin';");
    const written = JSON.parse(fs.readFileSync(path.join(dir, 'rls-guard.config.json'), 'utf8'));
    const { $schema, ...config } = written;
    expect($schema).toBe('./node_modules/rls-guard/docs/config.schema.json');
    expect(config).toEqual(JSON.parse(fs.readFileSync(path.join(EXAMPLE, 'rls-guard.config.json'), 'utf8')));
    // The audit with the generated config is the audit with the hand-written one.
    const mine = auditSync({ paths: [dir] });
    const theirs = auditSync({ paths: [EXAMPLE] });
    expect(mine.findings.map((f) => `${f.file}:${f.line} ${f.ruleId}`)).toEqual(theirs.findings.map((f) => `${f.file}:${f.line} ${f.ruleId}`));
  });

  it('writes a typed rls-guard.config.ts that loads, and refuses to overwrite without --force', () => {
    const dir = bareExample();
    expect(run(['init', dir, '--ts']).code).toBe(0);
    const text = fs.readFileSync(path.join(dir, 'rls-guard.config.ts'), 'utf8');
    expect(text).toContain("import { defineConfig } from 'rls-guard';");
    expect(loadConfig({ start: dir }).config).toEqual({ migrations: ['db/migrations'], scopeHelpers: ['inTenantTransaction'] });
    expect(run(['init', dir])).toMatchObject({ code: 2, stderr: expect.stringContaining('rerun with --force') });
    expect(run(['init', dir, '--force']).code).toBe(0);
    expect(fs.existsSync(path.join(dir, 'rls-guard.config.ts'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'rls-guard.config.json'))).toBe(true);
  });

  it('finds helpers that set the context with set_config before anything calls them, and names libraries it cannot analyse', () => {
    const dir = writeProject({
      'package.json': '{ "name": "x", "dependencies": { "sequelize": "^6.0.0", "knex": "^3.0.0", "pg": "^8.0.0" } }',
      'migrations/001.sql': SCHEMA,
      'migrations/seed/002.sql': 'SELECT 1;',
      'src/tenancy.ts': "import type { PoolClient } from 'pg';\nexport async function asTenant(client: PoolClient, org: string, work: (c: PoolClient) => Promise<void>) {\n  await client.query('BEGIN');\n  await client.query(\"SELECT set_config('app.current_org_id', $1, true)\", [org]);\n  await work(client);\n  await client.query('COMMIT');\n}\n",
      'src/not-a-helper.ts': "export function setsButNoCallback(q: (s: string) => void) { return 'set_config'; }\nexport function callsButNoContext(f: () => void) { f(); }\n",
    });
    const r = run(['init', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('sequelize (package.json; not analysed yet');
    expect(r.stdout).toContain('knex (package.json),');
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'rls-guard.config.json'), 'utf8'))).toMatchObject({ migrations: ['migrations'], scopeHelpers: ['asTenant'] });
  });

  it('proposes only folders holding migrations (never "."), says how many gated tables they replay to, and skips test and anonymous helpers', () => {
    const dir = writeProject({
      'package.json': '{ "name": "x", "dependencies": { "pg": "^8.0.0" } }',
      'schema.sql': SCHEMA,
      'queries/report.sql': 'SELECT count(*) FROM projects;',
      'test/fixtures/seed.sql': 'CREATE TABLE t (id int);',
      'db/migrations/002.sql': 'CREATE TABLE notes (id int);',
      'src/tenancy.test.ts': "export async function inTestTenant(c: any, org: string, work: (c: any) => Promise<void>) {\n  await c.query(\"SELECT set_config('app.current_org_id', $1, true)\", [org]);\n  await work(c);\n}\n",
      'src/anon.ts': "export default async function (c: any, org: string, work: (c: any) => Promise<void>) {\n  await c.query(\"SELECT set_config('app.current_org_id', $1, true)\", [org]);\n  await work(c);\n}\n",
    });
    const r = run(['init', dir]);
    expect(r.code).toBe(0);
    const written = JSON.parse(fs.readFileSync(path.join(dir, 'rls-guard.config.json'), 'utf8'));
    expect(written.migrations).toEqual(['db/migrations', 'schema.sql']);
    expect(written.scopeHelpers).toBeUndefined();
    expect(r.stdout).toContain('Gated tables: 2 (the proposed migrations, replayed)');
  }, 120_000);

  it('proposes the folder of a folder-per-migration layout (Prisma), not its migrations one by one', () => {
    const dir = writeProject({
      'package.json': '{ "name": "x", "dependencies": { "pg": "^8.0.0" } }',
      'prisma/migrations/migration_lock.toml': 'provider = "postgresql"\n',
      // Beside the migrations, a script nothing runs: no migration (proposed, it made the proposal `prisma`, and it
      // replayed before the tables it alters).
      'prisma/rls-setup.sql': 'ALTER TABLE notes FORCE ROW LEVEL SECURITY;\n',
      'prisma/migrations/20240101000000_init/migration.sql': SCHEMA,
      // No schema in this one's SQL: proposed alone, it was left out, and the next migration's policy failed to replay.
      'prisma/migrations/20240102000000_app_role/migration.sql':
        "DO $$ BEGIN CREATE ROLE app_user NOLOGIN; END $$;\nGRANT SELECT, INSERT ON projects TO app_user;\n",
      'prisma/migrations/20240103000000_notes/migration.sql':
        'CREATE TABLE notes (id int, org_id uuid);\nALTER TABLE notes ENABLE ROW LEVEL SECURITY;\n' +
        "CREATE POLICY notes_org ON notes TO app_user USING (org_id = current_setting('app.current_org_id', true)::uuid);\n",
      // Beside them, a folder per migration whose parent also holds seeds stays as it is: seeds are no migrations.
      'db/migrations/20240101_a/up.sql': 'CREATE TABLE a (id int);',
      'db/migrations/20240102_b/up.sql': 'CREATE TABLE b (id int);',
      'db/migrations/seeds/seed.sql': 'INSERT INTO a VALUES (1);',
    });
    const r = run(['init', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Migrations: db/migrations/20240101_a, db/migrations/20240102_b, prisma/migrations');
    expect(r.stdout).toContain('Not migrations: prisma/rls-setup.sql (outside the Prisma migrations folder, and nothing');
    const written = JSON.parse(fs.readFileSync(path.join(dir, 'rls-guard.config.json'), 'utf8'));
    expect(written.migrations).toEqual(['db/migrations/20240101_a', 'db/migrations/20240102_b', 'prisma/migrations']);
    const report = auditSync({ paths: [dir] });
    expect(report.incomplete).toEqual([]);
    expect(report.schema.gatedTables).toContain('public.notes');
    // A project with one migration yet: its folder too, so that the next one is read.
    const one = writeProject({ 'prisma/migrations/20240101000000_init/migration.sql': SCHEMA });
    expect(proposeMigrations(one, [path.join(one, 'prisma/migrations/20240101000000_init/migration.sql')])).toEqual([
      'prisma/migrations',
    ]);
  }, 120_000);

  it('proposes no migrations when its .sql folders alone gate fewer tables than the audit finds without them', () => {
    const typeorm = (name: string, table: string): string =>
      `import { MigrationInterface, QueryRunner } from 'typeorm';\nexport class ${name} implements MigrationInterface {\n` +
      `  public async up(q: QueryRunner): Promise<void> {\n` +
      `    await q.query('CREATE TABLE ${table} (id uuid PRIMARY KEY, tenant_id uuid NOT NULL)');\n  }\n}\n`;
    const dir = writeProject({
      'package.json': '{ "name": "x", "dependencies": { "pg": "^8.0.0", "typeorm": "^0.3.0" } }',
      // The tables come from code migrations; the one .sql script switches RLS on for every table it finds.
      'src/migrations/1700000000000-Invoices.ts': typeorm('Invoices1700000000000', 'invoices'),
      'src/migrations/1700000000001-Notes.ts': typeorm('Notes1700000000001', 'notes'),
      'src/scripts/rls_setup.sql':
        "DO $$ DECLARE t record; BEGIN FOR t IN SELECT table_name FROM information_schema.columns " +
        "WHERE table_schema = 'public' AND column_name = 'tenant_id' LOOP " +
        "EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t.table_name); END LOOP; END $$;\n" +
        'CREATE TABLE settings (key text PRIMARY KEY);\n',
    });
    const r = run(['init', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      'Migrations: found without configuration (the .sql files and the schema the code makes); not proposed: ' +
        'src/scripts, which alone gate 0 table(s)',
    );
    expect(r.stdout).toContain('Gated tables: 2 (the migrations found without configuration, replayed)');
    const written = JSON.parse(fs.readFileSync(path.join(dir, 'rls-guard.config.json'), 'utf8'));
    expect(written.migrations).toBeUndefined();
    expect(auditSync({ paths: [dir] }).schema.gatedTables).toEqual(['public.invoices', 'public.notes']);

    // With migrations in code only, nothing to propose and nothing to add by hand.
    fs.rmSync(path.join(dir, 'src/scripts'), { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'src/migrations/1700000000002-Rls.ts'),
      "import { MigrationInterface, QueryRunner } from 'typeorm';\nexport class Rls1700000000002 implements " +
        "MigrationInterface {\n  public async up(q: QueryRunner): Promise<void> {\n" +
        "    await q.query('ALTER TABLE notes ENABLE ROW LEVEL SECURITY');\n  }\n}\n",
    );
    const code = run(['init', dir, '--force']);
    expect(code.stdout).toContain('Migrations: none proposed: no .sql migrations found, and the audit finds the schema');
    expect(code.stdout).toContain('Gated tables: 1 (the migrations found without configuration, replayed)');
    expect(code.stdout).not.toContain('by hand');
  }, 120_000);

  it('warns when the proposal gates nothing, naming the folders that enable RLS', () => {
    const dir = writeProject({
      'db/migrations/001.sql': 'CREATE TABLE notes (id int);',
      // RLS is switched on by an ops script outside the migrations: the proposal misses it.
      'ops/rls/enable.ts': "export const ENABLE_NOTES = 'ALTER TABLE notes ENABLE ROW LEVEL SECURITY';\n",
    });
    const r = run(['init', dir]);
    expect(r.stdout).toMatch(/Warning: the proposed migrations give 0 gated tables.*ENABLE ROW LEVEL SECURITY or pgPolicy appears in: ops\/rls/);
  }, 120_000);

  it('proposes library aliases for forks, npm: aliases and workspace packages that only re-export a library', () => {
    const dir = writeProject({
      'package.json': JSON.stringify({ name: 'root', workspaces: ['packages/*'], dependencies: { '@acme/slonik-fork': '^46.0.0', pgsql: 'npm:postgres@^3.4.0', 'slonik-interceptor-x': '^1.0.0', zod: '^3' } }),
      'packages/db/package.json': JSON.stringify({ name: '@acme/kysely-kit', dependencies: { kysely: '^0.27.0' } }),
      'packages/db/src/index.ts': "export * from 'kysely';\n",
      'packages/util/package.json': JSON.stringify({ name: '@acme/util' }),
      'packages/util/src/index.ts': "export * from 'kysely';\nexport const extra = 1;\n",
      'db/migrations/001.sql': SCHEMA,
    });
    const r = run(['init', dir]);
    expect(r.code).toBe(0);
    const written = JSON.parse(fs.readFileSync(path.join(dir, 'rls-guard.config.json'), 'utf8'));
    // A plugin of a library (slonik-interceptor-x) is not a fork of it.
    expect(written.libraries).toEqual({ '@acme/slonik-fork': 'slonik', pgsql: 'postgres', '@acme/kysely-kit': 'kysely' });
    expect(r.stdout).toContain('Library aliases: @acme/slonik-fork read as slonik');
  }, 120_000);

  it('on the forked-library layout without its config, proposes the alias and migrations its authors wrote, which gate its table', () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-init-')), 'fork');
    fs.cpSync(path.resolve(import.meta.dirname, '../../fixtures/layouts/slonik-fork'), dir, { recursive: true });
    const theirs = JSON.parse(fs.readFileSync(path.join(dir, 'rls-guard.config.json'), 'utf8'));
    fs.rmSync(path.join(dir, 'rls-guard.config.json'));
    const r = run(['init', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Gated tables: 1 (the proposed migrations, replayed)');
    const { $schema: _, ...mine } = JSON.parse(fs.readFileSync(path.join(dir, 'rls-guard.config.json'), 'utf8'));
    expect(mine).toEqual({ migrations: theirs.migrations, libraries: theirs.libraries });
  }, 180_000);

  it('proposes scope and setter helpers with the line that proves each, never one that hands the connection back to the owner, nor a test helper', () => {
    const dir = writeProject({
      'package.json': '{ "name": "x", "dependencies": { "pg": "^8.0.0" } }',
      'migrations/001.sql': SCHEMA,
      'src/db.ts': "import pg from 'pg';\nexport const pool = new pg.Pool();\n",
      'src/tenancy.ts': [
        "import type { PoolClient } from 'pg';",
        'export async function inOrg(client: PoolClient, org: string, work: (c: PoolClient) => Promise<void>) {',
        "  await client.query('BEGIN');",
        "  await client.query(\"SELECT set_config('app.current_org_id', $1, true)\", [org]);",
        '  await work(client);',
        "  await client.query('COMMIT');",
        '}',
        '// Decoy: sets the org, then RESET ROLE hands the connection back to the owner, which bypasses RLS.',
        'export async function inOrgAsOwner(client: PoolClient, org: string, work: (c: PoolClient) => Promise<void>) {',
        "  await client.query('BEGIN');",
        "  await client.query(\"SELECT set_config('app.current_org_id', $1, true)\", [org]);",
        "  await client.query('RESET ROLE');",
        '  await work(client);',
        "  await client.query('COMMIT');",
        '}',
        'export async function applyOrg(client: PoolClient, org: string) {',
        "  await client.query(\"SELECT set_config('app.current_org_id', $1, true)\", [org]);",
        '}',
        '',
      ].join('\n'),
      'src/projects.ts': [
        "import { pool } from './db.js';",
        "import { applyOrg } from './tenancy.js';",
        'export async function rename(org: string, id: number, name: string) {',
        '  const client = await pool.connect();',
        "  await client.query('BEGIN');",
        '  await applyOrg(client, org);',
        "  await client.query('UPDATE projects SET name = $1 WHERE id = $2', [name, id]);",
        "  await client.query('COMMIT');",
        '}',
        '',
      ].join('\n'),
      'test/helpers.ts': "export async function inTestOrg(c: any, org: string, work: (c: any) => Promise<void>) {\n  await c.query(\"SELECT set_config('app.current_org_id', $1, true)\", [org]);\n  await work(c);\n}\n",
    });
    const r = run(['init', dir]);
    expect(r.code).toBe(0);
    const written = JSON.parse(fs.readFileSync(path.join(dir, 'rls-guard.config.json'), 'utf8'));
    expect(written.scopeHelpers).toEqual(['inOrg']);
    expect(written.setterHelpers).toEqual(['applyOrg']);
    expect(r.stdout).toContain('Scope helpers: inOrg (src/tenancy.ts:2, sets the org context (src/tenancy.ts:4) and runs its callback)');
    expect(r.stdout).toContain('Setter helpers: applyOrg (src/tenancy.ts:16, sets the org context on the connection it is given (src/tenancy.ts:17); covers src/projects.ts:7)');
    expect(r.stdout).toContain('Not proposed: inOrgAsOwner (src/tenancy.ts:9): runs its callback after RESET ROLE (src/tenancy.ts:12)');
    expect(r.stdout).not.toContain('inTestOrg');
  }, 120_000);

  it('never proposes by name a helper whose name other calls share: a library\'s own method, another function', () => {
    const setsAndRuns = (head: string): string[] => [
      `  ${head} {`,
      "    return this.prisma.$transaction(async (tx: any) => {",
      "      await tx.$executeRaw`SELECT set_config('app.current_org_id', ${this.org}, true)`;",
      '      return work(tx);',
      '    });',
      '  }',
    ];
    const dir = writeProject({
      'package.json': '{ "name": "x", "dependencies": { "@prisma/client": "^5.0.0" } }',
      'migrations/001.sql': SCHEMA,
      'src/tenant-client.ts': [
        'export class TenantClient {',
        '  constructor(private prisma: any, private org: string) {}',
        // Declared by name, `$transaction` would make every `prisma.$transaction(…)` of the app org-scoped.
        ...setsAndRuns('async $transaction<T>(work: (tx: any) => Promise<T>): Promise<T>'),
        ...setsAndRuns('async inOrg<T>(work: (tx: any) => Promise<T>): Promise<T>'),
        '}',
        '',
      ].join('\n'),
      // Another `inOrg`, which sets nothing.
      'src/jobs.ts': 'export async function inOrg(work: () => Promise<void>) {\n  await work();\n}\n',
    });
    const r = run(['init', dir]);
    expect(r.code).toBe(0);
    const written = JSON.parse(fs.readFileSync(path.join(dir, 'rls-guard.config.json'), 'utf8'));
    expect(written.scopeHelpers).toBeUndefined();
    expect(r.stdout).toContain(
      "Not proposed: $transaction (src/tenant-client.ts:3): its name is also a database library's own method " +
        '(`db.$transaction(…)`), so declared by name every call of that name would count as org-scoped',
    );
    expect(r.stdout).toContain(
      'Not proposed: inOrg (src/tenant-client.ts:9): src/jobs.ts:1, a function of the same name, runs its callback ' +
        'without setting the context, so declared by name',
    );
  }, 120_000);

  it('proposes the admin providers it inferred with the line that proves each: a callback helper that switches to a bypassing role, a pool that logs in as one', () => {
    const dir = writeProject({
      'package.json': '{ "name": "x", "dependencies": { "pg": "^8.0.0" } }',
      'migrations/001.sql': `${SCHEMA}\nCREATE ROLE ops_admin BYPASSRLS;\nCREATE ROLE app_user;\n`,
      'src/db.ts': [
        "import pg from 'pg';",
        'export const pool = new pg.Pool();',
        "export const ops = new pg.Pool({ connectionString: 'postgres://ops_admin@db.internal/app' });",
        '',
      ].join('\n'),
      'src/admin.ts': [
        "import type { PoolClient } from 'pg';",
        "import { ops, pool } from './db.js';",
        'export async function asOperator(label: string, work: (c: PoolClient) => Promise<void>) {',
        '  const client = await pool.connect();',
        "  await client.query('SET ROLE ops_admin');",
        '  try {',
        '    await work(client);',
        '  } finally {',
        "    await client.query('RESET ROLE');",
        '    client.release();',
        '  }',
        '}',
        '// Decoy: switches to a role under the policies: not an admin provider.',
        'export async function asAppUser(work: (c: PoolClient) => Promise<void>) {',
        '  const client = await pool.connect();',
        "  await client.query('SET ROLE app_user');",
        '  await work(client);',
        '  client.release();',
        '}',
        'export async function purge() {',
        "  await ops.query(\"DELETE FROM projects WHERE name = 'stale'\");",
        '}',
        'export async function asSystem(work: (c: PoolClient) => Promise<void>) {',
        '  const client = await pool.connect();',
        "  await client.query('SET ROLE ops_admin');",
        '  await work(client);',
        '}',
        '',
      ].join('\n'),
      // Another `asSystem` that switches no role: declared by name, its callback's writes would count as admin.
      'src/jobs.ts': 'export async function asSystem(work: () => Promise<void>) {\n  await work();\n}\n',
      'test/helpers.ts': "export async function asTestOwner(c: any, work: (c: any) => Promise<void>) {\n  await c.query('SET ROLE ops_admin');\n  await work(c);\n}\n",
    });
    const r = run(['init', dir]);
    expect(r.code).toBe(0);
    const written = JSON.parse(fs.readFileSync(path.join(dir, 'rls-guard.config.json'), 'utf8'));
    expect(written.adminProviders).toEqual([{ name: 'asOperator', callbackArg: 1 }]);
    expect(written.scopeHelpers).toBeUndefined();
    expect(r.stdout).toContain('Admin providers: asOperator (src/admin.ts:3, runs its callback after SET ROLE ops_admin (src/admin.ts:5), a role that bypasses RLS)');
    expect(r.stdout).toContain('Admin pool (inferred): src/db.ts:3, a pool that logs in as ops_admin, a role that bypasses RLS (its writes are admin writes, e.g. src/admin.ts:21;');
    expect(r.stdout).not.toContain('asAppUser');
    expect(r.stdout).not.toContain('asTestOwner');
    expect(r.stdout).toContain(
      'Not proposed: asSystem (src/admin.ts:23): src/jobs.ts:1, a function of the same name, runs its callback ' +
        'without switching to a role that bypasses RLS, so declared by name every call of that name would count as an ' +
        'admin connection',
    );
    // The written config loads and the audit with it keeps the pool's write admin.
    const report = auditSync({ paths: [dir], types: false });
    expect(report.writeSites.map((w) => `${w.file}:${w.line} ${w.coverage}`)).toEqual(['src/admin.ts:21 admin-pool']);
  }, 120_000);

  it('proposes the scope helper a factory returns, even one that may switch to a role named at run time', () => {
    // fixtures/providers/factory-helpers: createForTenant(db, { role }) returns `forTenant`, which may run
    // SET LOCAL ROLE ${sql.id(role)} before its set_config: a switch to some role, not RESET ROLE.
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-init-')), 'app');
    fs.cpSync(path.resolve(import.meta.dirname, '../../fixtures/providers/factory-helpers'), dir, { recursive: true });
    fs.rmSync(path.join(dir, 'rls-guard.config.json'), { force: true });
    fs.rmSync(path.join(dir, 'expected-report.json'), { force: true });
    const r = run(['init', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      'Scope helpers: forTenant (src/for-tenant.ts:15, sets the org context (src/for-tenant.ts:18) and runs its callback)',
    );
    expect(r.stdout).not.toContain('Not proposed: forTenant');
    const written = JSON.parse(fs.readFileSync(path.join(dir, 'rls-guard.config.json'), 'utf8'));
    expect(written.scopeHelpers).toEqual(['forTenant']);
  }, 120_000);

  it('lists the middleware routes run behind: those that enter a store from their code (nothing to declare), and package middleware to declare only if it scopes', () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-init-')), 'app');
    fs.cpSync(path.resolve(import.meta.dirname, '../../fixtures/ambient/express-proxy'), dir, { recursive: true });
    fs.rmSync(path.join(dir, 'rls-guard.config.json'), { force: true });
    fs.mkdirSync(path.join(dir, 'node_modules/@acme/tenancy'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'src/extra-routes.ts'), [
      "import { requireTenant } from '@acme/tenancy';",
      "import { app } from './app.js';",
      "app.post('/extra', requireTenant, (_req, res) => res.end());",
      "import { withOrgScope } from '@acme/tenancy';",
      "import { pool, requestContext } from './context.js';",
      "app.use('/inline', (req, res, next) => {",
      "  void withOrgScope(req, pool, 'o', (tx) => new Promise<void>((resolve) => {",
      "    requestContext.run({ tx, orgId: 'o' }, () => { res.on('finish', resolve); next(); });",
      '  }));',
      '});',
      "app.post('/inline/x', (_req, res) => res.end());",
      '',
    ].join('\n'));
    // The same package middleware in a second router file: one line for both.
    fs.writeFileSync(path.join(dir, 'src/more-routes.ts'), [
      "import { requireTenant } from '@acme/tenancy';",
      "import { app } from './app.js';",
      "app.post('/more', requireTenant, (_req, res) => res.end());",
      '',
    ].join('\n'));
    // A package's middleware made in the codebase and imported by relative paths at two depths, and one that
    // only handles the transport.
    fs.mkdirSync(path.join(dir, 'node_modules/@acme/clerk'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'node_modules/cors'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'src/admin-auth.ts'), [
      "import { clerkMiddleware } from '@acme/clerk';",
      'export const adminAuth = clerkMiddleware({ admin: true });',
      '',
    ].join('\n'));
    fs.mkdirSync(path.join(dir, 'src/admin'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'src/admin/routes.ts'), [
      "import cors from 'cors';",
      "import { adminAuth } from '../admin-auth.js';",
      "import { app } from '../app.js';",
      "app.post('/admin/a', cors(), adminAuth, (_req, res) => res.end());",
      '',
    ].join('\n'));
    fs.writeFileSync(path.join(dir, 'src/admin-routes.ts'), [
      "import { adminAuth } from './admin-auth.js';",
      "import { app } from './app.js';",
      "app.post('/admin/b', adminAuth, (_req, res) => res.end());",
      "app.post('/admin/c', adminAuth, (_req, res) => res.end());",
      '',
    ].join('\n'));
    const r = run(['init', dir]);
    expect(r.code).toBe(0);
    // One line for both relative paths, naming the package that makes it, with a `from` that matches both imports.
    expect(r.stdout).toContain(
      'Package middleware in front of 3 route(s): adminAuth (src/admin-auth.ts:2, made by clerkMiddleware from ' +
        '@acme/clerk) (src/admin-routes.ts:3 and 2 more); if it runs next() inside an org-scoped context, add ' +
        '{"middleware":"adminAuth","from":"admin-auth"} to "ambientScopes"',
    );
    expect(r.stdout.match(/adminAuth \(/g)).toHaveLength(1);
    expect(r.stdout).toContain(
      "Package middleware that handles the request's transport, never an org context: cors (cors)",
    );
    expect(r.stdout).not.toContain('"middleware":"cors"');
    expect(r.stdout).toMatch(/Ambient scope \(read from its code, nothing to declare\): authMiddleware \(src\/middleware\.ts:\d+\) enters requestContext for \d+ route\(s\)/);
    // One written inline is named by where it is, not by its source text.
    expect(r.stdout).toContain(
      'Ambient scope (read from its code, nothing to declare): a middleware written inline (src/extra-routes.ts:6) ' +
        'enters requestContext for 1 route(s)',
    );
    expect(r.stdout).toContain(
      'Package middleware in front of 2 route(s): requireTenant from @acme/tenancy (src/extra-routes.ts:3 and 1 more)',
    );
    expect(r.stdout.match(/requireTenant from/g)).toHaveLength(1);
    expect(r.stdout).toContain('add {"middleware":"requireTenant","from":"@acme/tenancy"} to "ambientScopes"');
    // Nothing is declared for them: the audit follows the code better than a declaration would.
    const written = JSON.parse(fs.readFileSync(path.join(dir, 'rls-guard.config.json'), 'utf8'));
    expect(written.ambientScopes).toBeUndefined();
  });

  it("suggests an ambientScopes `from` that names the middleware's file, not one router file's path to it", () => {
    const from = ambientFrom('../../middleware/adminClerkAuth.js');
    expect(from).toBe('middleware/adminClerkAuth');
    const spec = [{ name: 'adminClerkAuth', from }];
    for (const imported of ['../../middleware/adminClerkAuth.js', './middleware/adminClerkAuth.js', '../middleware/adminClerkAuth'])
      expect(matchesSpec(spec, 'adminClerkAuth', imported)?.name).toBe('adminClerkAuth');
    expect(matchesSpec(spec, 'adminClerkAuth', './other/adminClerkAuth.js')).toBeUndefined();
    expect(ambientFrom('@acme/tenancy')).toBe('@acme/tenancy');
  });
});
