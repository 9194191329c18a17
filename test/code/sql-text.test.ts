import fc from 'fast-check';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { OriginResolver } from '../../src/code/origins.js';
import { FileSystemSourceHost } from '../../src/code/source-host.js';
import { parseSource } from '../../src/files/source.js';
import { fillHoles, HOLE, SqlTextFolder } from '../../src/code/sql-text.js';

/** Folds the initializer of the last `const q = …` in a snippet. */
function fold(code: string) {
  const sf = parseSource('/virtual/snippet.ts', code);
  const host = new FileSystemSourceHost([sf]);
  const last = sf.statements[sf.statements.length - 1] as ts.VariableStatement;
  const init = last.declarationList.declarations[0]!.initializer!;
  return new SqlTextFolder(new OriginResolver(host)).sql(init);
}

describe('folding SQL text from TypeScript expressions', () => {
  it('folds literals, templates, concatenation, const bindings and object members', () => {
    const r = fold(`const T = 'audit_logs'; const COLS = { list: '(org_id, action)' } as const;
      const q = \`INSERT INTO \${T} \` + COLS.list + " VALUES ($1, $2)";`);
    expect(r).toEqual({ ok: true, variants: ['INSERT INTO audit_logs (org_id, action) VALUES ($1, $2)'], holes: [] });
  });

  it('turns value interpolations into holes', () => {
    const r = fold('declare const id: string; const q = `DELETE FROM t WHERE id = ${id}`;');
    expect(r.ok && r.variants).toEqual([`DELETE FROM t WHERE id = ${HOLE}`]);
  });

  it('makes a Kysely identifier named at run time a hole in the analysis, and leaves it unfolded for code migrations', () => {
    const code = "import { sql } from 'kysely'; declare const role: string; const q = sql`SET LOCAL ROLE ${sql.id(role)}`;";
    const sf = parseSource('/virtual/snippet.ts', code);
    const last = sf.statements[sf.statements.length - 1] as ts.VariableStatement;
    const init = last.declarationList.declarations[0]!.initializer!;
    const origins = new OriginResolver(new FileSystemSourceHost([sf]));
    const analysis = new SqlTextFolder(origins, { runTimeNames: true }).sql(init);
    expect(analysis.ok && analysis.variants).toEqual([`SET LOCAL ROLE ${HOLE}`]);
    expect(new SqlTextFolder(origins).sql(init).ok).toBe(false);
  });

  it('keeps the branches of a ternary spliced into a template as variants, holes and all', () => {
    // Neither branch is constant text, so the whole span used to become one hole that hid the statement's shape.
    const r = fold(`declare const updates: string;
      const q = \`INSERT INTO t (a) VALUES ($1) ON CONFLICT (a) \${updates ? \`DO UPDATE SET \${updates}\` : 'DO NOTHING'}\`;`);
    expect(r.ok && r.variants).toEqual([
      `INSERT INTO t (a) VALUES ($1) ON CONFLICT (a) DO UPDATE SET ${HOLE}`,
      'INSERT INTO t (a) VALUES ($1) ON CONFLICT (a) DO NOTHING',
    ]);
  });

  it('keeps both branches of a ternary as variants', () => {
    const r = fold("declare const hard: boolean; const q = hard ? 'DELETE FROM t' : 'UPDATE t SET deleted = true';");
    expect(r.ok && r.variants).toEqual(['DELETE FROM t', 'UPDATE t SET deleted = true']);
  });

  it('refuses reassigned variables and calls', () => {
    expect(fold("let s = 'DELETE FROM t'; s = String(Date.now()); const q = s;").ok).toBe(false);
    expect(fold("let s = 'DELETE FROM t'; s += ' WHERE a'; const q = s;").ok).toBe(false);
    // Given only constants, it is each of them, the empty one too (a fragment left out).
    const choice = fold("let s = ''; if (Date.now()) s = 'DELETE FROM t'; else s = 'UPDATE t SET a = 1'; const q = s;");
    expect(choice.ok && choice.variants).toEqual(['', 'DELETE FROM t', 'UPDATE t SET a = 1']);
    expect(fold('declare function build(): string; const q = build();').ok).toBe(false);
  });

  it("binds a let given only literals in a library's sql`…` as a value, like a const (never spliced as text)", () => {
    const r = fold(`import { sql } from 'drizzle-orm'; declare const id: string; declare const done: boolean;
      let status = 'in_progress'; if (done) status = 'completed';
      const q = sql\`UPDATE tenants SET status = \${status} WHERE id = \${id}\`;`);
    expect(r.ok && r.variants).toEqual([`UPDATE tenants SET status = ${HOLE} WHERE id = ${HOLE}`]);
  });

  it('reads a list of quoted elements joined by a constant as two elements, and keeps placeholders built by number whole', () => {
    const quoted = fold("declare const ids: string[]; const q = `SELECT 1 WHERE id IN (${ids.map((id) => `'${id}'`).join(', ')})`;");
    expect(quoted.ok && quoted.variants).toEqual([`SELECT 1 WHERE id IN ('${HOLE}', '${HOLE}')`]);
    // `$${i + 1}` is a placeholder's number: the mapped rows stay one hole (a `$` before a hole's `$901` is a dollar quote).
    const numbered = fold(
      'declare const rows: string[]; const q = `INSERT INTO t (a) VALUES ${rows.map((r, i) => `($${i * 2 + 1})`).join(\', \')}`;',
    );
    expect(numbered.ok && numbered.variants).toEqual([`INSERT INTO t (a) VALUES ${HOLE}`]);
  });

  it('folds [..].join(sep) and .trim()', () => {
    const r = fold("const q = ['UPDATE t', 'SET a = 1'].join('\\n').trim();");
    expect(r.ok && r.variants).toEqual(['UPDATE t\nSET a = 1']);
  });

  it('property: any split of a constant string into + parts folds back to the string', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: fc.constantFrom('a', 'b', ' ', '$', '1', "'", '"', '\\n', '`', '{') }), { minLength: 1, maxLength: 6 }), (parts) => {
        const code = `const q = ${parts.map((p) => JSON.stringify(p)).join(' + ')};`;
        const r = fold(code);
        expect(r).toEqual({ ok: true, variants: [parts.join('')], holes: [] });
      }),
      { numRuns: 200 },
    );
  });

  it('property: holes become distinct bind parameters numbered after any the text uses', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', ' = ', ', ', 'x'), { minLength: 0, maxLength: 8 }), (parts) => {
        const variant = parts.join(HOLE);
        const filled = fillHoles(variant);
        const params = filled.match(/\$9\d\d/g) ?? [];
        expect(params.length).toBe(parts.length - 1 < 0 ? 0 : parts.length - 1);
        expect(new Set(params).size).toBe(params.length);
        expect(filled.includes(HOLE)).toBe(false);
      }),
    );
  });
});
