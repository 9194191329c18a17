import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { auditSync } from '../../src/index.js';
import { readSource, sharedRead, withSharedParses } from '../../src/files/source.js';

// Within one audit run each source file is stat'd and read once, by the listing: the scans that read every source file
// by themselves (code migrations by their shape, the Drizzle schemas, the migrations' stamps) take the listing's text
// and stat (docs/performance.md, setup35). On signacare they read each of 3,372 files twice more and stat'd it four
// times more. What they find is unchanged; a file whose bytes the listing decoded otherwise (a byte order mark) is
// read by the scan itself, as before.

const SHAPED = (t: string): string =>
  `export default { up: async (db) => { await db.query('CREATE TABLE ${t} (id int); ` +
  `ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY'); }, down: async () => {} };\n`;
const DRIZZLE = `import { pgTable, text } from 'drizzle-orm/pg-core';
export const notes = pgTable('notes', { id: text('id'), orgId: text('org_id') }).enableRLS();
`;
const APP = `import { pool } from './pool';
export async function add(id: string) {
  await pool.query('INSERT INTO notes (id) VALUES ($1)', [id]);
}
`;

function project(files: Record<string, string | Buffer>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shared-reads-'));
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return fs.realpathSync(dir);
}

const made: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** Calls of `fs[name]` on each of `files`, counted while `fn` runs. */
function counting<T>(name: 'readFileSync' | 'statSync', files: string[], fn: () => T): { value: T; calls: number[] } {
  const spy = vi.spyOn(fs, name);
  const value = fn();
  const asked = spy.mock.calls.map((c) => path.resolve(String(c[0])));
  spy.mockRestore();
  return { value, calls: files.map((f) => asked.filter((a) => a === f).length) };
}

describe('one read of each source file per audit run', () => {
  it('reads and stats every source file once, and the scans still find the migrations and the Drizzle table', () => {
    const dir = project({
      'src/db/migrations/1-a.ts': SHAPED('a'),
      'src/db/migrations/2-b.ts': SHAPED('b'),
      'src/db/migrations/3-c.ts': SHAPED('c'),
      'src/db/schema.ts': DRIZZLE,
      'src/db/pool.ts': `import { Pool } from 'pg';\nexport const pool = new Pool();\n`,
      'src/app.ts': APP,
    });
    made.push(dir);
    const sources = ['src/db/migrations/1-a.ts', 'src/db/migrations/2-b.ts', 'src/db/migrations/3-c.ts',
      'src/db/schema.ts', 'src/db/pool.ts', 'src/app.ts'].map((f) => path.join(dir, f));
    const audit = (): ReturnType<typeof auditSync> =>
      auditSync({ paths: [dir], types: false, schemaSource: 'static', allowIncomplete: true });
    const reads = counting('readFileSync', sources, audit);
    const stats = counting('statSync', sources, audit);
    // Before: read three times (the listing, the shape scan, the Drizzle scan), stat'd five times (and a migration's
    // twice more, for its stamp and its reading).
    expect(reads.calls).toEqual([1, 1, 1, 1, 1, 1]);
    expect(stats.calls).toEqual([1, 1, 1, 1, 1, 1]);
    // What the scans read from the listing: the shaped folder is a folder of migrations (its DDL in the model), and
    // the Drizzle declaration gates its table.
    for (const report of [reads.value, stats.value]) {
      expect(report.schema.gatedTables).toEqual(expect.arrayContaining(['public.a', 'public.b', 'public.c']));
      expect(report.schema.gatedTables).toContain('public.notes');
      expect(report.schema.sources.map((s) => s.ref)).toEqual(
        expect.arrayContaining(['src/db/migrations', 'src/db/schema.ts']),
      );
    }
  });

  it('lends the listing a text only within a run, and only where a plain UTF-8 read gives the same text', () => {
    const dir = project({ 'plain.ts': 'export const a = 1;\n', 'marked.ts': Buffer.from('\ufeffexport const b = 2;\n') });
    made.push(dir);
    const plain = path.join(dir, 'plain.ts');
    const marked = path.join(dir, 'marked.ts');
    expect(readSource(plain)).toEqual({ ok: true, text: 'export const a = 1;\n' });
    expect(sharedRead(plain)).toBeUndefined(); // outside a run nothing is kept
    withSharedParses(() => {
      expect(sharedRead(plain)).toBeUndefined(); // not read yet
      readSource(plain);
      readSource(marked);
      const known = sharedRead(plain)!;
      expect(known.text).toBe(fs.readFileSync(plain, 'utf8'));
      expect(known.size).toBe(fs.statSync(plain).size);
      // The listing drops the mark; a scan's own UTF-8 read keeps it: not lent.
      expect(sharedRead(marked)).toBeUndefined();
      // A second reader within the run gets the same text without reading the file again.
      const again = counting('readFileSync', [plain], () => readSource(plain));
      expect(again).toEqual({ value: { ok: true, text: 'export const a = 1;\n' }, calls: [0] });
      // Under a smaller limit the file is refused as before.
      expect(readSource(plain, 4)).toMatchObject({ ok: false });
    });
    expect(sharedRead(plain)).toBeUndefined();
  });
});
