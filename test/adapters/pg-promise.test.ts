import { describe, expect, it } from 'vitest';
import { pgPromisePlaceholdersToDollar } from '../../src/sql/parser.js';
import { auditProject, verdicts } from '../support/project.js';

describe('pg-promise', () => {
  it('rewrites its placeholders to bind parameters, and refuses raw and identifier splices', () => {
    expect(pgPromisePlaceholdersToDollar('INSERT INTO t (a, b, c) VALUES (${a}, $<b>, $(a)) -- ${x}')).toBe('INSERT INTO t (a, b, c) VALUES ($1, $2, $1) -- ${x}');
    expect(pgPromisePlaceholdersToDollar("DELETE FROM t WHERE id IN ($1:csv) AND note = '${not}'")).toBe("DELETE FROM t WHERE id IN ($1) AND note = '${not}'");
    expect(pgPromisePlaceholdersToDollar('DELETE FROM $1:name')).toBeNull();
    expect(pgPromisePlaceholdersToDollar('DELETE FROM t WHERE ${cond:raw}')).toBeNull();
    expect(pgPromisePlaceholdersToDollar('DELETE FROM t WHERE $1^')).toBeNull();
  });

  it('judges writes on the database, in tx and task callbacks', () => {
    const report = auditProject({
      'src/db.ts': "import pgPromise from 'pg-promise';\nconst pgp = pgPromise();\nexport const db = pgp(process.env.DATABASE_URL!);\n",
      'src/app.ts': `import { db } from './db';
export const bare = (orgId: string) => db.none('DELETE FROM projects WHERE org_id = \${orgId}', { orgId });
export const scoped = (orgId: string) => db.tx(async (t) => {
  await t.none("SELECT set_config('app.current_org_id', $1, true)", [orgId]);
  await t.none('INSERT INTO audit_logs (org_id, action) VALUES ($<orgId>, $<action>)', { orgId, action: 'x' });
});
export const task = (orgId: string) => db.task(async (t) => {
  await t.none("SELECT set_config('app.current_org_id', $1, true)", [orgId]);
  await t.none('DELETE FROM audit_logs WHERE org_id = $1', [orgId]);
});
export const spliced = (table: string) => db.none('DELETE FROM $1:name', [table]);
`,
    });
    expect(verdicts(report).map((v) => v.replace(/ via .*/, ''))).toEqual(['src/app.ts:2 unscoped', 'src/app.ts:5 org-scope', 'src/app.ts:9 unscoped', 'src/app.ts:11 unresolved']);
    expect(report.writeSites.map((s) => s.api)).toEqual(['pg-promise', 'pg-promise', 'pg-promise', 'pg-promise']);
  });
});

describe('pg-promise placeholders, for any mix', () => {
  it('always yield SQL the Postgres parser accepts, with every value placeholder bound', async () => {
    const fc = (await import('fast-check')).default;
    const { parseSql } = await import('../../src/sql/parser.js');
    const name = fc.constantFrom('a', 'orgId', 'b_2', 'x');
    const placeholder = fc.oneof(
      fc.tuple(fc.constantFrom(['{', '}'], ['(', ')'], ['<', '>'], ['[', ']'], ['/', '/']), name, fc.constantFrom('', ':csv', ':json', ':list', ':value')).map(([[o, c], n, m]) => `$${o}${n}${m}${c}`),
      fc.tuple(fc.integer({ min: 1, max: 9 }), fc.constantFrom('', ':csv', ':json')).map(([i, m]) => `$${i}${m}`),
    );
    fc.assert(
      fc.property(fc.array(placeholder, { minLength: 1, maxLength: 6 }), fc.boolean(), (values, quoted) => {
        const decoy = quoted ? " AND note = '${not_a_param}'" : '';
        const sql = `DELETE FROM t WHERE a IN (${values.join(', ')})${decoy}`;
        const out = pgPromisePlaceholdersToDollar(sql);
        expect(out).not.toBeNull();
        expect(parseSql(out!).ok).toBe(true);
        // The decoy inside a string literal is data and stays as written.
        if (quoted) expect(out).toContain("'${not_a_param}'");
        expect(out!.replace(/'[^']*'/g, '')).not.toMatch(/\$[{(<[/]/);
      }),
      { numRuns: 300 },
    );
  });
});
