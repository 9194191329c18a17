import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { discoverMigrations, naturalCompare } from '../../src/schema/discover.js';
import { writeProject } from '../support/project.js';

describe('finding migrations', () => {
  it('sorts naturally, honours .gitignore, skips node_modules and build output, and survives symlink loops', () => {
    const dir = writeProject({
      'db/migrations/10_b.sql': 'SELECT 1;',
      'db/migrations/2_a.sql': 'SELECT 1;',
      'db/migrations/V10__x.sql': 'SELECT 1;',
      'db/migrations/V9__x.sql': 'SELECT 1;',
      'db/scratch/tmp.sql': 'SELECT 1;',
      'db/.gitignore': 'scratch/\n',
      'node_modules/pkg/schema.sql': 'SELECT 1;',
      'dist/schema.sql': 'SELECT 1;',
    });
    fs.symlinkSync(path.join(dir, 'db'), path.join(dir, 'db/migrations/loop'));
    const { files } = discoverMigrations(dir);
    expect(files.map((f) => path.relative(dir, f))).toEqual(['db/migrations/2_a.sql', 'db/migrations/10_b.sql', 'db/migrations/V9__x.sql', 'db/migrations/V10__x.sql']);
  });

  it('reads only the configured folders when given', () => {
    const dir = writeProject({ 'db/a.sql': 'SELECT 1;', 'seeds/b.sql': 'SELECT 1;' });
    expect(discoverMigrations(dir, { migrations: ['db'] }).files.map((f) => path.relative(dir, f))).toEqual(['db/a.sql']);
  });

  it('replays folders in the order the config lists them, each sorted naturally', () => {
    const dir = writeProject({ 'sql/tenancy/10_b.sql': 'SELECT 1;', 'sql/tenancy/2_a.sql': 'SELECT 1;', 'sql/auth/1_rls.sql': 'SELECT 1;' });
    expect(discoverMigrations(dir, { migrations: ['sql/tenancy', 'sql/auth'] }).files.map((f) => path.relative(dir, f))).toEqual(['sql/tenancy/2_a.sql', 'sql/tenancy/10_b.sql', 'sql/auth/1_rls.sql']);
  });

  it("puts a database image's init scripts (compose volumes into /docker-entrypoint-initdb.d) first, in the image's order", () => {
    const dir = writeProject({
      'compose.yaml': [
        'services:',
        '  db:',
        '    image: postgres:16',
        '    volumes:',
        '      - ./scripts/zz-base.sql:/docker-entrypoint-initdb.d/01-base.sql:ro',
        '      - { type: bind, source: ./initdb, target: /docker-entrypoint-initdb.d/more }',
        '      - data:/var/lib/postgresql/data',
        '  app:',
        '    volumes: ["./a.sql:/srv/a.sql"]',
      ].join('\n'),
      'scripts/zz-base.sql': 'SELECT 1;',
      'initdb/2_roles.sql': 'SELECT 1;',
      'initdb/10_ext.sql': 'SELECT 1;',
      'a.sql': 'SELECT 1;',
      'db/migrations/001_x.sql': 'SELECT 1;',
    });
    expect(discoverMigrations(dir, { migrations: ['db/migrations'] }).files.map((f) => path.relative(dir, f))).toEqual(['scripts/zz-base.sql', 'initdb/2_roles.sql', 'initdb/10_ext.sql', 'db/migrations/001_x.sql']);
    // Without a config every .sql file is a migration; the init scripts still come first.
    expect(discoverMigrations(dir).files.map((f) => path.relative(dir, f))).toEqual(['scripts/zz-base.sql', 'initdb/2_roles.sql', 'initdb/10_ext.sql', 'a.sql', 'db/migrations/001_x.sql']);
  });

  it('leaves out query files the code loads beside it (DML with `:name` parameters, no DDL), and no migration', () => {
    const dir = writeProject({
      'db/migrations/001_orders.sql': 'CREATE TABLE orders (id int, org_id text, total int, created_at date);',
      // A migrations folder's file with a named parameter stays a migration, unparseable or not (fail closed).
      'db/migrations/002_backfill.sql': 'UPDATE orders SET total = :total WHERE id = 1;',
      'src/orders/queries/insertOrder.sql': 'INSERT INTO orders (org_id, total)\nVALUES (:orgId, :total)\nRETURNING id;',
      'src/orders/queries/listOrders.sql':
        "-- :notAParameter\nSELECT id, created_at::date FROM orders WHERE org_id = :orgId AND note <> ':x' ORDER BY id",
      'src/orders/queries/countAll.sql': 'SELECT count(*) FROM orders',
      'src/orders/queries/index.ts': "import { bakeSqlFolder } from 'sql-folder';\nexport const q = bakeSqlFolder(__dirname);\n",
      'src/billing/sql/charge.sql': 'UPDATE orders SET total = total + :amount WHERE id = :id',
      'src/billing/charge.ts': "const text = readFileSync(join(__dirname, 'sql', 'charge.sql'), 'utf8');\n",
      // Nothing loads it: a migration, as before.
      'src/reports/report.sql': 'DELETE FROM orders WHERE org_id = :orgId',
      // DDL with psql variables, loaded beside code or not: a migration.
      'src/roles/roles.sql': 'CREATE ROLE :app_user;',
      'src/roles/index.ts': 'export const here = __dirname;\n',
      // No parameter in a folder with none: a migration.
      'src/misc/seed.sql': "INSERT INTO orders (org_id) VALUES ('a')",
      'src/misc/index.ts': 'export const here = __dirname;\n',
    });
    const found = discoverMigrations(dir);
    expect(found.files.map((f) => path.relative(dir, f))).toEqual([
      'db/migrations/001_orders.sql',
      'db/migrations/002_backfill.sql',
      'src/misc/seed.sql',
      'src/reports/report.sql',
      'src/roles/roles.sql',
    ]);
    const said = found.diagnostics.filter((d) => d.message.startsWith('not taken as a migration'));
    expect(said.map((d) => d.file)).toEqual([
      'src/orders/queries/insertOrder.sql',
      'src/orders/queries/listOrders.sql',
      'src/orders/queries/countAll.sql',
      'src/billing/sql/charge.sql',
    ].sort((a, b) => naturalCompare(a, b)));
    expect(said.every((d) => !d.incomplete)).toBe(true);
    const insert = said.find((d) => d.file.endsWith('insertOrder.sql'))!;
    expect(insert.message).toContain('named parameters (:orgId, :total) and no DDL');
    expect(insert.message).toContain('src/orders/queries/index.ts loads it');
    expect(said.find((d) => d.file.endsWith('charge.sql'))!.message).toContain('src/billing/charge.ts loads it');
  });

  it('property: natural order is a total order that agrees with numeric order of numbered names', () => {
    fc.assert(
      fc.property(fc.nat(100000), fc.nat(100000), (a, b) => {
        expect(Math.sign(naturalCompare(`db/${a}_m.sql`, `db/${b}_m.sql`))).toBe(Math.sign(a - b));
      }),
    );
  });
});
