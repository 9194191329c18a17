import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { shortText } from '../../src/code/origins.js';
import { auditProject, verdicts } from '../support/project.js';

// Builders and identifiers: SQL pieces followed through consts, imports and helper
// parameters; writes inside builder callbacks; SQL wrapped for streaming.

describe('identifiers and table objects', () => {
  it('follows sql.identifier through a const, and through a helper given a table object from another module', () => {
    const report = auditProject({
      'src/tables.ts': `export const Projects = { name: 'projects', schema: 'public' } as const;\n`,
      'src/ident.ts': `import { sql } from 'slonik';
export const ident = (t: { name: string }) => sql.identifier([t.name]);
export function qualified(t: { schema: string; name: string }) { return sql.identifier([t.schema, t.name]); }
`,
      'src/a.ts': `import { createPool, sql } from 'slonik';
import { Projects } from './tables';
import { ident, qualified } from './ident';
const pool = await createPool('postgres://');
const t = sql.identifier(['projects']);
export async function a(id: string) {
  await pool.query(sql.unsafe\`DELETE FROM \${t} WHERE id = \${id}\`);
  await pool.query(sql.unsafe\`DELETE FROM \${ident(Projects)} WHERE id = \${id}\`);
  await pool.query(sql.unsafe\`UPDATE \${qualified(Projects)} SET name = \${id}\`);
  await pool.query(sql.unsafe\`UPDATE \${ident({ name: id })} SET name = \${id}\`);
}
`,
    });
    expect(verdicts(report)).toEqual(['src/a.ts:7 unscoped', 'src/a.ts:8 unscoped', 'src/a.ts:9 unscoped', 'src/a.ts:10 unresolved']);
    expect(report.writeSites.slice(0, 3).map((s) => s.tables)).toEqual([['public.projects'], ['public.projects'], ['public.projects']]);
  });
});

describe('writes inside builder callbacks and wrapped SQL', () => {
  it("a Kysely writable CTE is a write on db's connection; COPY through pg-copy-streams is a write", () => {
    const report = auditProject({
      'src/a.ts': `import { Kysely } from 'kysely';
import { Pool } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
const db = new Kysely<any>({} as any);
const pool = new Pool();
export async function a() {
  await db.with('gone', (qb) => qb.deleteFrom('projects').returning('id')).selectFrom('gone').selectAll().execute();
  const client = await pool.connect();
  client.query(copyFrom('COPY audit_logs (org_id, action) FROM STDIN'));
  client.query(copyFrom('COPY audit_logs TO STDOUT'));
}
`,
    });
    expect(report.writeSites.map((s) => `${s.line} ${s.operation} ${s.tables.join(',')} ${s.coverage}`)).toEqual(['7 delete public.projects unscoped', '9 copy public.audit_logs unscoped']);
  });

  it('quotes a callee in evidence without its comments and line breaks', () => {
    const report = auditProject({
      'src/a.ts': `export function a(db: any) {
  return db // the app's db
    /* a CTE */ .with('gone', (qb: any) => qb.deleteFrom('projects'))
    .selectFrom('gone').selectAll().execute();
}
`,
      'src/b.ts': `import { Kysely } from 'kysely';
import { a } from './a';
export const b = () => a(new Kysely<any>({} as any));
`,
    });
    const site = report.writeSites.find((s) => s.file === 'src/a.ts')!;
    expect(site.evidence).toContain('`db .with`');
    expect(site.evidence).not.toMatch(/\/\/|\/\*|\n/);
  });

  it('keeps comment-like text inside a template literal it quotes', () => {
    const sf = ts.createSourceFile('x.ts', 'f(`a // b ${x} /* c */`, y /* z */)', ts.ScriptTarget.Latest, true);
    const call = (sf.statements[0] as ts.ExpressionStatement).expression;
    expect(shortText(call, 80)).toBe('f(`a // b ${x} /* c */`, y )');
  });
});
