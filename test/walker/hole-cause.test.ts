import { describe, expect, it } from 'vitest';
import { auditProject } from '../support/project.js';

// The evidence of an unresolved write names the interpolation the statement fails at and what it is built from
// (src/analysis/hole-cause.ts), not whatever else its text reads: a table from a generated module a checkout lacks
// is said as such, never as "a parameter" because a bound value reads one.

const SCHEMAS = {
  'package.json': '{"name":"root","private":true,"workspaces":["packages/*"]}',
  'packages/schemas/package.json': '{"name":"@acme/schemas","type":"module","main":"./lib/index.js"}',
  // The generated module (`db-entries`) is not in the checkout: it is made at build time.
  'packages/schemas/src/index.ts': "export * from './db-entries/index.js';\nexport * from './consts.js';\n",
  'packages/schemas/src/consts.ts': 'export const X = 1;\n',
  'packages/core/package.json':
    '{"name":"@acme/core","type":"module","dependencies":{"@acme/schemas":"workspace:^","slonik":"^37"}}',
  'packages/core/src/utils/sql.ts': `import { sql } from 'slonik';
export const toIdentifiers = ({ table }: { table: string }) => ({ table: sql.identifier([table]) });
`,
};

describe('the hole an unresolved statement fails at, and what it is built from', () => {
  it('names the import from a module the checkout lacks, not a parameter a bound value reads', () => {
    const report = auditProject({
      ...SCHEMAS,
      'packages/core/src/queries/projects.ts': `import { Projects, Notes } from '@acme/schemas';
import { sql, type CommonQueryMethods } from 'slonik';
import { toIdentifiers } from '../utils/sql.js';
const { table } = toIdentifiers(Projects);
export const createProjectQueries = (pool: CommonQueryMethods) => {
  const deleteById = async (id: string) => {
    await pool.query(sql\`delete from \${table} where id = \${id}\`);
  };
  return { deleteById };
};
export const buildDelete = (pool: CommonQueryMethods) => (schema: { table: string }) => {
  const { table: t } = toIdentifiers(schema);
  return async (id: string) => pool.query(sql\`delete from \${t} where id = \${id}\`);
};
export const createNoteQueries = (pool: CommonQueryMethods) => {
  const deleteNote = buildDelete(pool)(Notes);
  const removeNote = async (id: string) => deleteNote(id);
  return { removeNote };
};
`,
    });
    const sites = report.writeSites.filter((s) => s.file === 'packages/core/src/queries/projects.ts');
    const own = sites.find((s) => s.line === 7)!;
    expect(own.coverage).toBe('unresolved');
    expect(own.evidence).toContain(
      "the interpolation `${table}` (`sql.identifier([table])` at packages/core/src/utils/sql.ts:2) changes the " +
        "statement's structure (syntax error at or near an interpolated value): it is built from `Projects`, " +
        'imported from `@acme/schemas`, whose module rls-guard cannot read: ' +
        "packages/schemas/src/index.ts re-exports './db-entries/index.js', which is not in the checkout",
    );
    expect(own.evidence).toContain('build or generate that package before the audit');
    expect(own.evidence).not.toContain('comes from a parameter');
    // The builder's call names its table by an argument imported from the same missing module.
    const call = sites.find((s) => s.line === 17)!;
    expect(call.coverage).toBe('unresolved');
    expect(call.evidence).toContain("it is built from `Notes` (this call's argument), imported from `@acme/schemas`");
  });

  it('names the interpolation the parser stops at, not the first one', () => {
    const report = auditProject({
      'src/a.ts': `import pg from 'pg';
const pool = new pg.Pool();
export async function purge(table: string, id: string) {
  await pool.query(\`WITH v AS (SELECT \${id}::uuid AS id) DELETE FROM \${table} WHERE id IN (SELECT id FROM v)\`);
}
`,
    });
    const site = report.writeSites.find((s) => s.file === 'src/a.ts')!;
    expect(site.coverage).toBe('unresolved');
    expect(site.evidence).toContain("the interpolation `${table}` changes the statement's structure");
    expect(site.evidence).not.toContain('`${id}`');
  });
});

describe('a `let` given only string constants', () => {
  it('is each of its constants: a write in every `switch` case is judged, an empty fragment kept', () => {
    const report = auditProject({
      'src/a.ts': `import pg from 'pg';
const pool = new pg.Pool();
export async function act(action: string, id: string) {
  let updateQuery = '';
  switch (action) {
    case 'archive':
      updateQuery = \`UPDATE projects SET name = 'archived' WHERE id = $1\`;
      break;
    case 'delete':
      updateQuery = 'DELETE FROM projects WHERE id = $1';
      break;
  }
  await pool.query(updateQuery, [id]);
}
export async function purge(id?: string) {
  let where = '';
  if (id) where = 'WHERE id = $1';
  await pool.query('DELETE FROM projects ' + where, id ? [id] : []);
}
export async function built(action: string, id: string) {
  let q = '';
  if (action) q = \`UPDATE projects SET name = \${action} WHERE id = $1\`;
  await pool.query(q, [id]);
}
`,
    });
    const sites = report.writeSites.filter((s) => s.file === 'src/a.ts');
    // Each case's statement is judged (main: `updateQuery` is reassigned, unresolved); text built from a value
    // stays unresolved.
    expect(sites.map((s) => `${s.line} ${s.coverage}`)).toEqual(['13 unscoped', '18 unscoped', '23 unresolved']);
    expect(sites[0]!.tables).toEqual(['public.projects']);
    expect(sites[0]!.sql).toHaveLength(2);
    // An empty fragment is a variant: the DELETE without its WHERE is read (no-unbounded-write's case when scoped).
    expect(sites[1]!.sql.map((q) => q.trim())).toEqual(['DELETE FROM projects', 'DELETE FROM projects WHERE id = $1']);
  });
});

describe('a statement a loop takes from a list', () => {
  it('says the loop, not a missing initializer', () => {
    const report = auditProject({
      'src/a.ts': `import pg from 'pg';
import fs from 'node:fs';
const pool = new pg.Pool();
export async function apply(file: string) {
  const statements = fs.readFileSync(file, 'utf8').split(';');
  for (const statement of statements) {
    await pool.query(statement);
  }
}
`,
    });
    const site = report.writeSites.find((s) => s.file === 'src/a.ts')!;
    expect(site.coverage).toBe('unresolved');
    expect(site.evidence).toContain('`statement` is the element a `for … of` loop takes from `statements` on each turn');
  });
});

describe('text that is not PostgreSQL whatever its interpolations hold', () => {
  it('says the parser stops at no interpolation, and blames none', () => {
    const report = auditProject({
      'src/a.ts': `import pg from 'pg';
const pool = new pg.Pool();
export async function hold(id: string, name: string) {
  await pool.query(\`INSERT OR IGNORE INTO projects (id, name) VALUES ('\${id}', '\${name}')\`);
}
`,
    });
    const site = report.writeSites.find((s) => s.file === 'src/a.ts')!;
    expect(site.coverage).toBe('unresolved');
    expect(site.evidence).toContain(
      'the SQL, read with its constant interpolations folded in, does not parse wherever the others stand ' +
        '(syntax error at or near "OR"): no interpolation it cannot fold is where the parser stops',
    );
    expect(site.evidence).not.toContain('`${id}`');
    expect(site.evidence).not.toContain('comes from a parameter');
  });
});
