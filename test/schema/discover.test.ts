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

  it('property: natural order is a total order that agrees with numeric order of numbered names', () => {
    fc.assert(
      fc.property(fc.nat(100000), fc.nat(100000), (a, b) => {
        expect(Math.sign(naturalCompare(`db/${a}_m.sql`, `db/${b}_m.sql`))).toBe(Math.sign(a - b));
      }),
    );
  });
});
