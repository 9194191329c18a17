import { describe, expect, it, vi } from 'vitest';

// The placeholder rewrites scan a text only when it holds the character every edit starts at (cpu31,
// docs/performance.md): counted at libpg's scanner, whose result is otherwise the same.
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
