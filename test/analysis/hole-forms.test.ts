import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HOLE } from '../../src/code/sql-text.js';
import { HOLE_NAME, parseWithHoleForms } from '../../src/analysis/hole-forms.js';
import { classifyStatement } from '../../src/sql/classify.js';

// Text whose interpolations splice structure still says what it writes: each hole takes the form
// its position needs, chosen by parse attempts (hole-forms.ts).

const same = (text: string) => text;

function writes(variant: string): string[] | undefined {
  const read = parseWithHoleForms(variant, same);
  if (!read) return undefined;
  return read.parsed.statements.flatMap((st) =>
    classifyStatement(st, { defaultSchema: 'public', setterFunctions: new Map() }).writes.map((w) => `${w.operation} ${w.table}`),
  );
}

describe('reading holes by where they stand', () => {
  it.each([
    [`UPDATE media.buckets SET ${HOLE} WHERE id = $1`, ['update media.buckets']],
    [`WITH p AS (SELECT 1 FROM media.buckets WHERE id = $${HOLE}) UPDATE media.buckets SET ${HOLE} WHERE id = $${HOLE} RETURNING *`, ['update media.buckets']],
    [`INSERT INTO media.files (${HOLE}) VALUES (${HOLE}) ON CONFLICT (a) DO UPDATE SET ${HOLE} RETURNING *`, ['insert media.files']],
    [`INSERT INTO media.keys (key, size) VALUES ${HOLE} ON CONFLICT DO NOTHING`, ['insert media.keys']],
    [`UPDATE media.files SET ${HOLE} WHERE bucket_id = $${HOLE} AND name = $${HOLE}`, ['update media.files']],
    [`INSERT INTO ${HOLE} (key) VALUES ($1)`, [`insert public.${HOLE_NAME}`]],
  ])('%s', (variant, expected) => {
    expect(writes(variant)).toEqual(expected);
  });

  it('gives up on text no form makes parse, and on text without holes', () => {
    expect(parseWithHoleForms(`UPDATE SET ${HOLE} WHERE`, same)).toBeUndefined();
    expect(parseWithHoleForms('UPDATE t SET a = 1', same)).toBeUndefined();
  });

  it('leaves the rewritten placeholders to the driver style it is given', () => {
    const read = parseWithHoleForms(`UPDATE t SET ${HOLE} WHERE id = ?`, (t) => t.replace('?', '$1'));
    expect(read?.text).toBe(`UPDATE t SET ${HOLE_NAME} = NULL WHERE id = $1`);
  });

  it('finds the table of any UPDATE whose SET list, WHERE values and RETURNING are spliced in', () => {
    const piece = fc.constantFrom('SET', 'WHERE', 'RETURNING');
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z][a-z_]{0,10}$/), fc.uniqueArray(piece, { minLength: 1, maxLength: 3 }), (table, spliced) => {
        const set = spliced.includes('SET') ? HOLE : 'a = 1';
        const where = spliced.includes('WHERE') ? `id = $${HOLE}` : 'id = $1';
        const returning = spliced.includes('RETURNING') ? ` RETURNING ${HOLE}` : '';
        expect(writes(`UPDATE app."${table}" SET ${set} WHERE ${where}${returning}`)).toEqual([`update app.${table}`]);
      }),
      { numRuns: 60 },
    );
  });
});
