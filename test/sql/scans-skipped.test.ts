import { describe, expect, it, vi } from 'vitest';

// Texts the SQL readers no longer hand to libpg's scanner (cpu31, docs/performance.md), counted at the scanner, whose
// result is otherwise the same: the placeholder rewrites scan only a text holding the character every edit starts at;
// otherDialectSyntax scans a migration only when its text holds a word of the constructs it looks for, and then once
// for both readings.
const scans = vi.hoisted(() => ({ n: 0 }));
vi.mock('../../src/sql/libpg.js', async (importActual) => {
  const actual = await importActual<typeof import('../../src/sql/libpg.js')>();
  return {
    ...actual,
    scanSync: (query: string) => {
      scans.n++;
      return actual.scanSync(query);
    },
  };
});

const { namedPlaceholdersToDollar, questionPlaceholdersToDollar } = await import('../../src/sql/parser.js');
const { otherDialectSyntax } = await import('../../src/sql/dialect.js');

describe('placeholder rewrites without a placeholder character', () => {
  it('return a text without `?` as it is, without scanning it', () => {
    scans.n = 0;
    const text = "INSERT INTO notes (org_id, body) VALUES ($1, 'a:b') RETURNING id";
    expect(questionPlaceholdersToDollar(text)).toBe(text);
    expect(questionPlaceholdersToDollar('UPDATE t SET a = $1 WHERE b::int = 2', () => '"x"')).toBe(
      'UPDATE t SET a = $1 WHERE b::int = 2',
    );
    expect(scans.n).toBe(0);
  });

  it('return a text without `:` as it is, without scanning it', () => {
    scans.n = 0;
    expect(namedPlaceholdersToDollar('DELETE FROM t WHERE id = ?')).toBe('DELETE FROM t WHERE id = ?');
    expect(scans.n).toBe(0);
  });

  it('still scan a text with the character, wherever it stands, and rewrite only placeholders', () => {
    scans.n = 0;
    // A `?` only in a string, a comment or a jsonb operator is no placeholder: the scan says so, as before.
    expect(questionPlaceholdersToDollar("SELECT '?' -- ?\nFROM t WHERE a ?| array['k']")).toBe(
      "SELECT '?' -- ?\nFROM t WHERE a ?| array['k']",
    );
    expect(questionPlaceholdersToDollar('UPDATE t SET a = ? WHERE id = ?')).toBe('UPDATE t SET a = $1 WHERE id = $2');
    expect(namedPlaceholdersToDollar('UPDATE t SET a = :a WHERE b::int = :b')).toBe(
      'UPDATE t SET a = $1 WHERE b::int = $2',
    );
    expect(namedPlaceholdersToDollar('SELECT a::text FROM t')).toBe('SELECT a::text FROM t');
    expect(scans.n).toBe(4);
  });

  it('leave the identifier callback uncalled for a text without `??`', () => {
    const asked: (number | string)[] = [];
    questionPlaceholdersToDollar('DELETE FROM t', (b) => (asked.push(b), '"x"'));
    namedPlaceholdersToDollar('DELETE FROM t', (b) => (asked.push(b), '"x"'));
    expect(asked).toEqual([]);
  });
});

function read(text: string): { found: ReturnType<typeof otherDialectSyntax>; scans: number } {
  scans.n = 0;
  const found = otherDialectSyntax(text);
  return { found, scans: scans.n };
}

describe("another database's migration syntax, scanned only where it may stand", () => {
  it('does not scan a Postgres migration holding none of the words', () => {
    expect(read('CREATE TABLE notes (id uuid PRIMARY KEY, org_id uuid NOT NULL);\nCREATE INDEX ON notes (org_id);'))
      .toEqual({ found: null, scans: 0 });
  });

  it('scans an RLS migration once for both readings (it holds ROW and POLICY), and finds nothing', () => {
    const text =
      'ALTER TABLE notes ENABLE ROW LEVEL SECURITY;\n' +
      "CREATE POLICY org ON notes USING (org_id = current_setting('app.org_id')::uuid);";
    expect(read(text)).toEqual({ found: null, scans: 1 });
  });

  it('finds SQLite and ClickHouse constructs as before, written in any case', () => {
    expect(read('CREATE TABLE t (id integer primary key autoincrement);')).toEqual({
      found: { dialect: 'sqlite', found: 'PRIMARY KEY AUTOINCREMENT at line 1' },
      scans: 1,
    });
    expect(read('CREATE TABLE t (a int);\npragma foreign_keys = on;').found).toEqual({
      dialect: 'sqlite',
      found: 'PRAGMA at line 2',
    });
    expect(read('create table t (a int) without rowid;').found?.found).toBe('WITHOUT ROWID at line 1');
    expect(read('CREATE TABLE e (a String) ENGINE = ReplacingMergeTree ORDER BY a;').found).toEqual({
      dialect: 'clickhouse',
      found: 'ENGINE = ReplacingMergeTree at line 1',
    });
    expect(read('CREATE TABLE l (a String) engine = TinyLog;').found?.found).toBe('ENGINE = TinyLog at line 1');
    expect(read('-- c\nCREATE ROW /* x */ POLICY p ON t USING a = 1 TO r;').found?.found).toBe(
      'CREATE ROW POLICY at line 2',
    );
  });

  it('reads words that are no construct as before (names, strings, comments)', () => {
    expect(read('CREATE TABLE pragma (autoincrement int);')).toEqual({ found: null, scans: 1 });
    expect(read("CREATE VIEW v AS SELECT * FROM cars WHERE engine = 'MergeTree';").found).toBeNull();
    expect(read('CREATE TABLE cars (engine text);').scans).toBe(0);
  });
});
