import { type Token, tokensOf } from './parser.js';

// SQL written for another database. A repository may hold SQLite migrations (an on-device
// Expo or Tauri database) or ClickHouse ones (an analytics store) beside its Postgres ones; they
// must not feed the Postgres model.
// Read with the Postgres scanner, never with patterns over the text: these constructs scan as
// plain identifiers in Postgres, where they mean nothing.

/**
 * The first SQLite-only construct in a text, as evidence ("PRAGMA at line 3"), or null:
 * `PRIMARY KEY AUTOINCREMENT`, a `PRAGMA` statement, a `WITHOUT ROWID` table.
 */
export function sqliteOnlySyntax(text: string, scanned?: Token[] | null): string | null {
  const tokens = scanned === undefined ? tokensOf(text) : scanned;
  if (!tokens) return null;
  const upper = (i: number): string => tokens[i]?.text.toUpperCase() ?? '';
  for (let i = 0; i < tokens.length; i++) {
    const t = upper(i);
    const statementStart = i === 0 || upper(i - 1) === ';';
    let found: string | null = null;
    if (t === 'AUTOINCREMENT' && upper(i - 1) === 'KEY') found = 'PRIMARY KEY AUTOINCREMENT';
    else if (t === 'PRAGMA' && statementStart) found = 'PRAGMA';
    else if (t === 'ROWID' && upper(i - 1) === 'WITHOUT') found = 'WITHOUT ROWID';
    if (found) return `${found} at line ${lineOf(text, tokens[i]!.start)}`;
  }
  return null;
}

/** SQL that only another database has: the database and the construct, as evidence. */
export interface OtherDialect {
  dialect: 'sqlite' | 'clickhouse';
  /** "PRAGMA at line 3" */
  found: string;
}

/** The first construct of a text that only SQLite or ClickHouse has, or null. */
export function otherDialectSyntax(text: string): OtherDialect | null {
  // Each construct is found at tokens whose upper-cased text is a word below, and a token's upper case is a piece of
  // the text's (`toUpperCase` maps each character alone): a text without the words has none of the constructs, and
  // is not scanned (most migrations of a Postgres repository hold none). Otherwise one scan serves both readings.
  const upper = text.toUpperCase();
  const sqliteWords = SQLITE_WORDS.some((w) => upper.includes(w));
  const clickhouseWords =
    (upper.includes('ROW') && upper.includes('POLICY')) ||
    (upper.includes('ENGINE') && CLICKHOUSE_ENGINE_WORDS.some((w) => upper.includes(w)));
  if (!sqliteWords && !clickhouseWords) return null;
  const tokens = tokensOf(text);
  const sqlite = sqliteWords ? sqliteOnlySyntax(text, tokens) : null;
  if (sqlite) return { dialect: 'sqlite', found: sqlite };
  const clickhouse = clickhouseWords ? clickhouseOnlySyntax(text, tokens) : null;
  return clickhouse ? { dialect: 'clickhouse', found: clickhouse } : null;
}

/** The words `sqliteOnlySyntax` looks for, and the engines' words `clickhouseOnlySyntax` looks for after `ENGINE`. */
const SQLITE_WORDS = ['AUTOINCREMENT', 'PRAGMA', 'ROWID'];
const CLICKHOUSE_ENGINE_WORDS = ['MERGETREE', 'TINYLOG', 'STRIPELOG', 'DISTRIBUTED'];

// ClickHouse's table engines that no Postgres statement names after `ENGINE =` (the MergeTree family by suffix).
const CLICKHOUSE_ENGINES = new Set(['TINYLOG', 'STRIPELOG', 'DISTRIBUTED']);

/**
 * The first ClickHouse-only construct in a text ("ENGINE = MergeTree at line 6"), or null: a `CREATE` statement
 * naming a table engine (`ENGINE = ReplacingMergeTree(…)`, outside parentheses), or `CREATE ROW POLICY`. Postgres
 * has neither: `engine = x` in a view's WHERE or a column list is inside a clause or parentheses, or names no engine.
 */
export function clickhouseOnlySyntax(text: string, scanned?: Token[] | null): string | null {
  // Comments are tokens of the scanner: a statement starts at its first token that is not one.
  const all = scanned === undefined ? tokensOf(text) : scanned;
  const tokens = all?.filter((t) => t.tokenName !== 'SQL_COMMENT' && t.tokenName !== 'C_COMMENT');
  if (!tokens) return null;
  const upper = (i: number): string => tokens[i]?.text.toUpperCase() ?? '';
  let statementStart = 0;
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = upper(i);
    if (t === ';') {
      statementStart = i + 1;
      depth = 0;
      continue;
    }
    if (t === '(') depth += 1;
    else if (t === ')') depth -= 1;
    if (upper(statementStart) !== 'CREATE') continue;
    let found: string | null = null;
    if (t === 'ROW' && i === statementStart + 1 && upper(i + 1) === 'POLICY') found = 'CREATE ROW POLICY';
    else if (t === 'ENGINE' && depth === 0 && upper(i + 1) === '=') {
      const engine = upper(i + 2);
      if (engine.endsWith('MERGETREE') || CLICKHOUSE_ENGINES.has(engine)) found = `ENGINE = ${tokens[i + 2]!.text}`;
    }
    if (found) return `${found} at line ${lineOf(text, tokens[i]!.start)}`;
  }
  return null;
}

/** 1-based line of a byte offset (the scanner reports bytes). */
function lineOf(text: string, byteOffset: number): number {
  const prefix = Buffer.from(text, 'utf8').subarray(0, byteOffset).toString('utf8');
  return prefix.split('\n').length;
}
