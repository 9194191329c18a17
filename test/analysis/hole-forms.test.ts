import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HOLE, RAW } from '../../src/code/sql-text.js';
import { HOLE_NAME, parseWithHoleForms, readHoles, splitHoles } from '../../src/analysis/hole-forms.js';
import { classifyStatement } from '../../src/sql/classify.js';
import { auditProject } from '../support/project.js';

// Text whose interpolations splice structure still says what it writes: each hole takes the form
// its position needs, chosen by parse attempts (hole-forms.ts).

const same = (text: string) => text;

function writes(variant: string): string[] | undefined {
  const read = parseWithHoleForms(variant, same);
  if (!read) return undefined;
  return read.statements.flatMap((st) =>
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
    // Columns and VALUES spliced in together (a values helper's shape): the form sql-shape.ts had alone.
    [`INSERT INTO media.keys ${HOLE} ON CONFLICT DO NOTHING`, ['insert media.keys']],
    // A fragment that may be nothing ahead of the WHERE.
    [`DELETE FROM media.keys ${HOLE} WHERE id = $1`, ['delete media.keys']],
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

describe('one search for both readers of holes', () => {
  // sql-shape.ts's choices: a value hole is a value, a name, a number or a list; a fragment also nothing, a SET
  // list, or columns and VALUES. The forms hole-forms.ts had alone (a number after `$`, a row) now serve it too.
  const shapeForms = (variant: string) => {
    const { parts, holes } = splitHoles(variant);
    const value = ['param', 'name', 'number', 'row'] as const;
    const raw = ['param', 'name', 'empty', 'assignment', 'columns-values', 'row', 'number'] as const;
    return readHoles(parts, holes.map((h) => (h === RAW ? raw : value)), same);
  };

  it('reads a value hole after `$` as a parameter number and a value list as a row', () => {
    expect(shapeForms(`SELECT name FROM app.items WHERE id = $${HOLE} AND kind IN ${HOLE}`)?.text).toBe(
      'SELECT name FROM app.items WHERE id = $1 AND kind IN (NULL)',
    );
  });

  it('reads fragments as nothing, a SET list, or columns and VALUES, values first', () => {
    expect(shapeForms(`SELECT a FROM t WHERE b = ${HOLE} ${RAW}`)?.forms).toEqual(['param', 'empty']);
    expect(shapeForms(`UPDATE t SET ${RAW} WHERE id = ${HOLE}`)?.forms).toEqual(['assignment', 'param']);
    expect(shapeForms(`INSERT INTO t ${RAW}`)?.text).toBe(`INSERT INTO t (${HOLE_NAME}) VALUES (NULL)`);
  });

  it('keeps the parse attempts within holes x forms', () => {
    let parses = 0;
    const counting = (text: string) => {
      parses++;
      return text;
    };
    const variant = Array.from({ length: 10 }, (_, i) => `UPDATE t${i} SET ${HOLE} WHERE id = $${HOLE}`).join('; ');
    expect(parseWithHoleForms(variant, counting)).toBeDefined();
    // Each attempt rewrites the whole text once and, on failure, at most two prefixes.
    expect(parses).toBeLessThanOrEqual(3 * (1 + 20 * 7));
  });
});

describe('the shape of a statement read through the shared forms (sql-shape.ts)', () => {
  it('reads a SELECT whose bind numbers are spliced in ($${n}) as a read (no write site), and the DELETE whose constant text names its table as a write on that table, judged on its pool', () => {
    const report = auditProject({
      'src/a.ts': `import { Pool } from 'pg';
export const pool = new Pool();
export async function find(ids: string[], kinds: string[]) {
  const values: unknown[] = [];
  const where: string[] = [];
  for (const id of ids) { values.push(id); where.push(\`id = $\${values.length}\`); }
  await pool.query(\`SELECT name FROM projects WHERE org_id = $\${values.length + 1} AND \${where.join(' OR ')}\`, values);
  await pool.query(\`DELETE FROM projects WHERE org_id = $\${values.length + 1} AND \${where.join(' OR ')}\`, values);
}
`,
    });
    expect(report.writeSites.map((s) => `${s.line} ${s.operation} ${s.coverage}`)).toEqual(['8 delete unscoped']);
  });
});
