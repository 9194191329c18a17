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

  it('property: natural order is a total order that agrees with numeric order of numbered names', () => {
    fc.assert(
      fc.property(fc.nat(100000), fc.nat(100000), (a, b) => {
        expect(Math.sign(naturalCompare(`db/${a}_m.sql`, `db/${b}_m.sql`))).toBe(Math.sign(a - b));
      }),
    );
  });
});
