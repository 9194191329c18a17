import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { auditProject } from '../support/project.js';

// Plants writes of every supported builder library in generated code, on connections made
// in ways the tracing follows (a factory, a property of what an in-repo factory returns) and
// ways it cannot (a factory with mixed returns, an import through an alias that does not
// resolve), on a
// gated table, an ungated one or one it cannot know. Each planted write must be a write
// site with the verdict those facts imply: a write is never dropped.

type Library = 'knex' | 'kysely' | 'drizzle' | 'prisma' | 'pg';
type Conn = 'factory' | 'mixed' | 'destructured' | 'alias';
type Table = 'gated' | 'ungated' | 'unknown';
interface Planted {
  library: Library;
  conn: Conn;
  table: Table;
}

const FACTORY: Record<Library, string> = {
  knex: `knexLib({ client: 'pg' })`,
  kysely: 'new Kysely<any>({ dialect: {} as any })',
  drizzle: 'drizzle(new Pool())',
  prisma: 'new PrismaClient()',
  pg: 'new Pool()',
};

function connection(p: Planted, i: number): string {
  const c = `c${i}`;
  switch (p.conn) {
    case 'factory':
      return `const ${c} = ${FACTORY[p.library]};`;
    case 'mixed':
      return `function mk${i}() {\n  if (flag()) return ${FACTORY[p.library]};\n  return other();\n}\nconst ${c} = mk${i}();`;
    case 'destructured':
      return `function mk${i}() { return { ${c}: ${FACTORY[p.library]} }; }\nconst { ${c} } = mk${i}();`;
    case 'alias':
      return `import { ${c} } from '@/lib/db${i}';`;
  }
}

function write(p: Planted, i: number): string {
  const c = `c${i}`;
  const name = { gated: 'projects', ungated: 'feature_flags', unknown: '' }[p.table];
  const t = p.table === 'unknown' ? 't' : `'${name}'`;
  switch (p.library) {
    case 'knex':
      return `await ${c}(${t}).where({ id }).del();`;
    case 'kysely':
      return `await ${c}.updateTable(${t}).set({ name: id }).execute();`;
    case 'drizzle':
      return `await ${c}.insert(${{ gated: 'projectsTable', ungated: 'flagsTable', unknown: 'aliasTable' }[p.table]}).values({ id });`;
    case 'prisma':
      return `await ${c}.${{ gated: 'project', ungated: 'featureFlag', unknown: 'widget' }[p.table]}.deleteMany({ where: { id } });`;
    case 'pg':
      return `await ${c}.query('INSERT INTO ${name} (id) VALUES ($1)', [id]);`;
  }
}

/** The verdict the planted facts imply. */
function expected(p: Planted): string {
  if (p.table === 'unknown') return 'unresolved';
  if (p.table === 'ungated') return 'not-gated';
  return p.conn === 'factory' || p.conn === 'destructured' ? 'unscoped' : 'unresolved';
}

const planted: fc.Arbitrary<Planted> = fc
  .record({
    library: fc.constantFrom<Library>('knex', 'kysely', 'drizzle', 'prisma', 'pg'),
    conn: fc.constantFrom<Conn>('factory', 'mixed', 'destructured', 'alias'),
    table: fc.constantFrom<Table>('gated', 'ungated', 'unknown'),
  })
  // Raw SQL names its table in the text; an unknown one is a non-constant text (sql-text tests).
  .filter((p) => !(p.library === 'pg' && p.table === 'unknown'));

const HEADER = `import knexLib from 'knex';
import { Kysely } from 'kysely';
import { drizzle } from 'drizzle-orm/node-postgres';
import { pgTable, text } from 'drizzle-orm/pg-core';
import { PrismaClient } from '@prisma/client';
import { Pool } from 'pg';
import { aliasTable } from '@/lib/schema';
declare function flag(): boolean;
declare function other(): any;
const projectsTable = pgTable('projects', { id: text('id') });
const flagsTable = pgTable('feature_flags', { id: text('id') });
`;

const PRISMA = `datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n}\nmodel Project {\n  id String @id\n  @@map("projects")\n}\nmodel FeatureFlag {\n  id String @id\n  @@map("feature_flags")\n}\n`;

const PACKAGE = JSON.stringify({ name: 't', private: true, dependencies: { knex: '3', kysely: '0.28', 'drizzle-orm': '0.44', '@prisma/client': '6', pg: '8' } });

describe('planted writes', () => {
  it('each appears in the report with the verdict its table and connection imply', () => {
    fc.assert(
      fc.property(fc.array(planted, { minLength: 1, maxLength: 6 }), (writes) => {
        const lines = HEADER.split('\n').slice(0, -1);
        const at: number[] = [];
        writes.forEach((p, i) => lines.push(...connection(p, i).split('\n')));
        writes.forEach((p, i) => {
          lines.push(`export async function f${i}(t: string, id: string) {`);
          lines.push(`  ${write(p, i)}`);
          at.push(lines.length);
          lines.push('}');
        });
        const report = auditProject({ 'package.json': PACKAGE, 'prisma/schema.prisma': PRISMA, 'src/app.ts': `${lines.join('\n')}\n` });
        const got = new Map(report.writeSites.filter((s) => s.file === 'src/app.ts').map((s) => [s.line, s]));
        writes.forEach((p, i) => {
          const site = got.get(at[i]!);
          expect(site, `${JSON.stringify(p)} at line ${at[i]} is missing`).toBeDefined();
          // A raw query on a value of an unreadable module cannot say whose query() it is.
          const api = p.library === 'pg' && p.conn === 'alias' ? 'other' : p.library;
          // db.insert(x) with neither db nor x traceable fits knex as well as Drizzle: either names it.
          const ambiguous = p.library === 'drizzle' && p.conn !== 'factory' && p.conn !== 'destructured' && p.table === 'unknown';
          expect(site!.coverage, JSON.stringify(p)).toBe(expected(p));
          if (ambiguous) expect(['drizzle', 'knex'], JSON.stringify(p)).toContain(site!.api);
          else expect(site!.api, JSON.stringify(p)).toBe(api);
        });
        expect(got.size).toBe(writes.length);
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});
