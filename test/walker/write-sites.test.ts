import { describe, expect, it } from 'vitest';
import { auditProject, codeFindings, verdicts } from '../support/project.js';

// Which calls are write sites (docs/report.md): every recognised write, even when its table
// or connection cannot be traced; and only writes, by the parsed statement.

const knex = `import knexLib from 'knex';\nexport const db = knexLib({ client: 'pg' });\n`;

describe('a recognised write is never dropped', () => {
  it('reports a knex write whose connection cannot be traced as unresolved, naming why', () => {
    const report = auditProject({
      'src/a.ts': `import knexLib from 'knex';
function make() { return cond() ? { knex: knexLib({}) } : other(); }
const { knex } = make();
export async function a(id: string) {
  await knex('projects').where({ id }).del();
  await knex('feature_flags').insert({ key: id });
}
declare function cond(): boolean;
declare function other(): any;
`,
    });
    expect(verdicts(report)).toEqual(['src/a.ts:5 unresolved', 'src/a.ts:6 not-gated']);
    expect(report.writeSites[0]!.evidence).toMatch(/^the connection that runs this write cannot be traced: /);
    expect(report.writeSites[0]!.tables).toEqual(['public.projects']);
  });

  it('reports a Kysely write on a db from an import that does not resolve, when the package depends on kysely', () => {
    const report = auditProject({
      'package.json': '{"name":"t","dependencies":{"kysely":"^0.27.0"}}',
      'src/a.ts': `import { db } from '@/lib/db';
export const a = (id: string) => db.deleteFrom('projects').where('id', '=', id).execute();
`,
    });
    expect(verdicts(report)).toEqual(['src/a.ts:2 unresolved']);
  });

  it('does not take a look-alike method on a global, a local or an installed package for a write', () => {
    const report = auditProject({
      'package.json': '{"name":"t","dependencies":{"knex":"^3.0.0","drizzle-orm":"^0.30.0","lru-cache":"^10.0.0"}}',
      'src/a.ts': `import { LRUCache } from 'lru-cache';
const cache = new LRUCache({ max: 10 });
const seen = new Map();
export function a(id: string) {
  cache.delete(id);
  seen.delete(id);
  new Headers().delete('x-org');
}
`,
    });
    expect(report.writeSites).toEqual([]);
  });

  it('takes db.delete(x) on an import of this repository that does not resolve for a possible write: it may be the db', () => {
    const report = auditProject({
      'package.json': '{"name":"t","dependencies":{"drizzle-orm":"^0.30.0"}}',
      'src/a.ts': `import { db } from '@/lib/db';
import { users } from '@/lib/schema';
export const a = () => db.delete(users);
`,
    });
    expect(verdicts(report)).toEqual(['src/a.ts:3 unresolved']);
    expect(report.writeSites[0]!.evidence).toContain("nor can the connection that runs it be traced: a value from package '@/lib/db'");
  });
});

describe('only writes are writes', () => {
  it('knex.raw fragments inside a builder are part of its statement, a raw write is a write', () => {
    const report = auditProject({
      'src/db.ts': knex,
      'src/a.ts': `import { db } from './db';
export async function a(ids: string[], name: string) {
  await db('projects').select(db.raw('count(*) as n'));
  await db('projects').insert({ name: db.raw('lower(?)', [name]) });
  await db('projects').where(db.raw('id = any(?)', [ids])).update({ name });
  await db.raw('DELETE FROM projects WHERE id = ?', [name]);
  await db.raw(name);
}
`,
    });
    expect(verdicts(report)).toEqual(['src/a.ts:4 unscoped', 'src/a.ts:5 unscoped', 'src/a.ts:6 unscoped', 'src/a.ts:7 unresolved']);
  });

  it('a SELECT, a $queryRaw read and DDL are not write sites; a data-modifying CTE is', () => {
    const report = auditProject({
      'src/a.ts': `import { PrismaClient } from '@prisma/client';
const prisma = new PrismaClient();
export async function a(id: string) {
  await prisma.$queryRaw\`SELECT * FROM projects WHERE id = \${id}\`;
  await prisma.$executeRawUnsafe('CREATE INDEX projects_name ON projects (name)');
  await prisma.$queryRaw\`WITH gone AS (DELETE FROM projects WHERE id = \${id} RETURNING id) SELECT count(*) FROM gone\`;
}
`,
    });
    expect(verdicts(report)).toEqual(['src/a.ts:6 unscoped']);
  });

  it('DDL or a read whose name is interpolated is not a site; a write or a function named by an interpolation is unresolved', () => {
    const report = auditProject({
      'src/a.ts': `import { Pool } from 'pg';
const pool = new Pool();
export async function a(t: string, fn: string) {
  await pool.query(\`ALTER TABLE \${t} ENABLE ROW LEVEL SECURITY\`);
  await pool.query(\`SELECT * FROM \${t}\`);
  await pool.query(\`DELETE FROM \${t}\`);
  await pool.query(\`SELECT \${fn}()\`);
}
`,
    });
    expect(verdicts(report)).toEqual(['src/a.ts:6 unresolved', 'src/a.ts:7 unresolved']);
  });

  it('SELECT fn() is a write only when the function writes, or its body cannot be read', () => {
    const report = auditProject({
      'db/migrations/002_fns.sql': `
CREATE FUNCTION org_count() RETURNS bigint LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$ SELECT count(*) FROM projects $$;
CREATE FUNCTION wipe_org(p uuid) RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$ DELETE FROM projects WHERE org_id = p $$;
CREATE FUNCTION dyn(t text) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$ BEGIN EXECUTE format('DELETE FROM %I', t); END $$;
CREATE FUNCTION via_other() RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$ SELECT dyn('x') $$;
`,
      'src/a.ts': `import { Pool } from 'pg';
const pool = new Pool();
export async function a(org: string) {
  await pool.query('SELECT org_count()');
  await pool.query('SELECT wipe_org($1)', [org]);
  await pool.query('SELECT dyn($1)', ['projects']);
  await pool.query('SELECT via_other()');
}
`,
    });
    expect(verdicts(report)).toEqual(['src/a.ts:5 security-definer via public.wipe_org', 'src/a.ts:6 security-definer via public.dyn', 'src/a.ts:7 security-definer via public.via_other']);
  });

  it('sql.join of bound values is a value list; of fragments mapped per element, SQL that cannot be folded', () => {
    const report = auditProject({
      'src/a.ts': `import { createPool, sql } from 'slonik';
const pool = await createPool('postgres://');
export async function a(ids: string[], cols: string[]) {
  await pool.query(sql.unsafe\`DELETE FROM projects WHERE id IN (\${sql.join(ids, sql.fragment\`, \`)})\`);
  await pool.query(sql.unsafe\`UPDATE projects SET \${sql.join([sql.fragment\`name = \${ids[0]}\`, sql.fragment\`org_id = \${ids[1]}\`], sql.fragment\`, \`)}\`);
  await pool.query(sql.unsafe\`INSERT INTO projects (\${sql.join(cols.map((c) => sql.identifier([c])), sql.fragment\`, \`)}) VALUES (1)\`);
}
`,
    });
    expect(verdicts(report)).toEqual(['src/a.ts:4 unscoped', 'src/a.ts:5 unscoped', 'src/a.ts:6 unresolved']);
    expect(report.writeSites[2]!.evidence).toContain('is raw SQL, not a value');
    expect(codeFindings(report).map((f) => f.ruleId)).toEqual(['no-unscoped-write', 'no-unscoped-write', 'no-unresolved-write']);
  });

  it('sql.join of rows a callback builds with sql`…` is one of those rows; a row that splices its element is not', () => {
    const report = auditProject({
      'src/a.ts': `import { drizzle } from 'drizzle-orm/node-postgres';
import { sql } from 'drizzle-orm';
const db = drizzle(process.env.DATABASE_URL!);
type Row = { id: string; at: Date; col: string };
export async function a(rows: Row[]) {
  const values = rows.map((r) => sql\`(\${r.id}, \${r.at}::timestamptz, NOW())\`);
  await db.execute(sql\`INSERT INTO projects (id, created_at, updated_at) VALUES \${sql.join(values, sql\`, \`)}\`);
  await db.execute(sql\`UPDATE projects SET name = CASE \${sql.join(rows.map((r) => {
    if (!r.id) return sql\`WHEN false THEN name\`;
    return sql\`WHEN id = \${r.id} THEN \${r.col}\`;
  }), sql\` \`)} END\`);
  await db.execute(sql\`UPDATE projects SET \${sql.join(rows.map((r) => sql\`\${sql.raw(r.col)} = \${r.id}\`), sql\`, \`)}\`);
}
`,
    });
    expect(verdicts(report)).toEqual(['src/a.ts:7 unscoped', 'src/a.ts:8 unscoped', 'src/a.ts:12 unresolved']);
    expect(report.writeSites[0]!.tables).toEqual(['public.projects']);
    expect(report.writeSites[1]!.tables).toEqual(['public.projects']);
    expect(report.writeSites[2]!.evidence).toContain('is raw SQL, not a value');
  });
});
