import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { discoverMigrations } from '../../src/schema/discover.js';
import { readMigrations } from '../../src/schema/load.js';
import { codeMigrationsByShape } from '../../src/schema/migration-shape.js';
import { setupShape } from '../../src/schema/synchronize.js';
import { writeProject } from '../support/project.js';

// A schema TypeORM's synchronize makes (schema/synchronize.ts): the entities' tables are created at the line that
// synchronizes, before the SQL files the setup script reads and runs after it, in the script's order.

const SCRIPT = [
  "import * as fs from 'fs';",
  "import * as path from 'path';",
  "import { DataSource } from 'typeorm';",
  'async function setup(source: DataSource): Promise<void> {',
  "  const runner = source.createQueryRunner();",
  "  await runner.query(fs.readFileSync(path.join(__dirname, '../db/extensions.sql'), 'utf8'));",
  '  await source.synchronize(true);',
  "  const rls = fs.readFileSync(path.join(__dirname, '../db/z_rls.sql'), 'utf8');",
  '  await runner.query(rls);',
  "  const audit = fs.readFileSync(path.join(__dirname, '../db/a_audit.sql'), 'utf8');",
  '  await runner.query(audit);',
  '  await runner.query(fs.readFileSync(process.env.EXTRA_SQL!, "utf8"));',
  '}',
].join('\n');

const ENTITIES = {
  'src/base.ts': [
    "import { Column, PrimaryGeneratedColumn } from 'typeorm';",
    'export abstract class Owned {',
    "  @PrimaryGeneratedColumn('uuid') id!: string;",
    "  @Column({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;",
    '}',
  ].join('\n'),
  'src/order.entity.ts': [
    "import { Column, Entity, ManyToOne } from 'typeorm';",
    "import { Owned } from './base';",
    "import { Customer } from './customer.entity';",
    "@Entity('orders')",
    'export class Order extends Owned {',
    '  @Column() note!: string;',
    "  @Column({ type: 'decimal' }) total!: string;",
    '  @ManyToOne(() => Customer) customer!: Customer;',
    '}',
  ].join('\n'),
  'src/customer.entity.ts': [
    "import { Entity, PrimaryGeneratedColumn } from 'typeorm';",
    '@Entity()',
    'export class Customer {',
    "  @PrimaryGeneratedColumn('uuid') id!: string;",
    '}',
  ].join('\n'),
};

describe('a schema synchronize makes', () => {
  it('reads the line that synchronizes and the SQL files the script runs, before and after it, in its order', () => {
    const shape = setupShape('/x/scripts/setup.ts', SCRIPT);
    expect(shape).toMatchObject({
      setup: 'script',
      line: 7,
      before: ['../db/extensions.sql'],
      after: ['../db/z_rls.sql', '../db/a_audit.sql'],
    });
    expect(shape!.unread).toHaveLength(1);
    expect(shape!.unread[0]).toMatchObject({ line: 12 });
    expect(shape!.unread[0]!.message).toMatch(/SQL file not understood.*process\.env\.EXTRA_SQL/);
    // The option: the app synchronizes when it starts.
    const option = "import { DataSource } from 'typeorm';\nexport const ds = new DataSource({\n  synchronize: true,\n});";
    expect(setupShape('/x/src/db.ts', option)).toMatchObject({ setup: 'option', line: 3, before: [], after: [] });
    expect(setupShape('/x/src/db.ts', option.replace('true', "process.env.NODE_ENV !== 'production'"))).toBeUndefined();
    // A naming strategy renames the columns the entities leave unnamed: not applied, so said.
    const named = setupShape('/x/src/db.ts', option.replace('synchronize', 'namingStrategy: new Snake(),\n  synchronize'));
    expect(named!.unread.map((u) => `${u.line} ${u.message.slice(0, 60)}`)).toEqual([
      '3 synchronized schema not fully read: the DataSource names its',
    ]);
    // Another library's synchronize is not TypeORM's.
    expect(setupShape('/x/src/sync.ts', 'export async function f(s: any) { await s.synchronize(); }')).toBeUndefined();
  });

  it('replays the entity tables at that line, then the files the script runs, in its order, before the others', () => {
    const dir = writeProject({
      'package.json': '{"name":"x","dependencies":{"typeorm":"*"}}',
      'scripts/setup.ts': SCRIPT,
      'db/extensions.sql': 'CREATE EXTENSION IF NOT EXISTS pgcrypto;',
      'db/z_rls.sql': 'ALTER TABLE orders ENABLE ROW LEVEL SECURITY;',
      'db/a_audit.sql': 'CREATE TABLE audit (id int);',
      'db/m_other.sql': 'CREATE TABLE notes (id int);',
      ...ENTITIES,
      // A second entity on the same table: synchronize adds its other columns to the one table.
      'src/order-view.entity.ts':
        "import { Column, Entity } from 'typeorm';\n@Entity('orders')\nexport class OrderView {\n  @Column() note!: string;\n  @Column() channel!: string;\n}",
    });
    const rel = (f: string): string => path.relative(dir, f);
    expect(discoverMigrations(dir).files.map(rel)).toEqual([
      'db/extensions.sql',
      'scripts/setup.ts',
      'db/z_rls.sql',
      'db/a_audit.sql',
      'db/m_other.sql',
    ]);
    // Its writes are a setup's, not the app's.
    expect([...codeMigrationsByShape(dir, [])].map(rel)).toEqual(['scripts/setup.ts']);
    const read = readMigrations(dir, {});
    const setup = read.files.find((f) => f.path === 'scripts/setup.ts')!;
    expect(setup.text.split('\n')[6]).toBe(
      'CREATE TABLE "customer" ("id" uuid); ' +
        'CREATE TABLE "orders" ("note" varchar, "channel" varchar, "id" uuid, "tenant_id" uuid, "total" numeric, "customerId" uuid);',
    );
    expect(read.diagnostics.filter((d) => d.incomplete).map((d) => `${d.file}:${d.line}`)).toEqual([
      'scripts/setup.ts:12',
    ]);
  });

  it('leaves a table a migration creates to the migration, and says what it cannot read', () => {
    const dir = writeProject({
      'scripts/setup.ts': SCRIPT.replace(/^.*EXTRA_SQL.*$/m, ''),
      'db/extensions.sql': 'CREATE TABLE customer (id uuid PRIMARY KEY, name text);',
      'db/z_rls.sql': 'SELECT 1;',
      'db/a_audit.sql': 'SELECT 1;',
      ...ENTITIES,
      'src/order.entity.ts': ENTITIES['src/order.entity.ts'].replace("'./base'", "'some-package'"),
      'src/named.entity.ts': "import { Entity } from 'typeorm';\n@Entity(process.env.T)\nexport class Named {}",
    });
    const read = readMigrations(dir, {});
    const setup = read.files.find((f) => f.path === 'scripts/setup.ts')!;
    expect(setup.text).not.toContain('CREATE TABLE "customer"');
    expect(setup.text).toContain('CREATE TABLE "orders" ("note" varchar, "total" numeric, "customerId" uuid)');
    const gaps = read.diagnostics.filter((d) => d.incomplete).map((d) => d.message);
    expect(gaps).toHaveLength(2);
    expect(gaps[0]).toMatch(/the table of the entity at src\/named\.entity\.ts:2 cannot be read \(the @Entity name/);
    expect(gaps[1]).toMatch(/the columns of public\.orders .*its base class `Owned` cannot be followed.*gatedTables\.add/);
  });
});
