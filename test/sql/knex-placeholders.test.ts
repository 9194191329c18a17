import { describe, expect, it } from 'vitest';
import { namedPlaceholdersToDollar, questionPlaceholdersToDollar } from '../../src/sql/parser.js';
import { knexIdentifier } from '../../src/analysis/sql-resolution.js';

describe("knex's identifier bindings (`??`, `:name:`)", () => {
  it('reads `??` as one binding that numbers no $n, spliced as the caller says (a name by default)', () => {
    expect(questionPlaceholdersToDollar('REFRESH MATERIALIZED VIEW ??')).toBe('REFRESH MATERIALIZED VIEW rlsguard_name');
    const at: (number | string)[] = [];
    const text = questionPlaceholdersToDollar("SELECT ?, '??' FROM ?? WHERE a ?| ? -- ??", (b) => (at.push(b), '"t"'));
    expect(text).toBe(`SELECT $1, '??' FROM "t" WHERE a ?| $2 -- ??`);
    expect(at).toEqual([1]);
  });

  it('reads `:name:` as an identifier, also before a cast, and `:name` / `::` as before', () => {
    expect(namedPlaceholdersToDollar('DELETE FROM :tbl: WHERE id = :id')).toBe('DELETE FROM rlsguard_name WHERE id = $1');
    expect(namedPlaceholdersToDollar('SELECT :col:::text, :v::int, a[1:n]', (b) => `"${String(b)}"`)).toBe(
      'SELECT "col"::text, $1::int, a[1:n]',
    );
  });

  it("quotes a constant binding as knex does on PostgreSQL", () => {
    expect(knexIdentifier('notes')).toBe('"notes"');
    expect(knexIdentifier('public.notes')).toBe('"public"."notes"');
    expect(knexIdentifier('n.* as x')).toBe('"n".* as "x"');
    expect(knexIdentifier('we"ird')).toBe('"we""ird"');
  });
});
