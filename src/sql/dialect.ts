import { tokensOf } from './parser.js';

// SQL written for another database. A repository may hold SQLite migrations (an on-device
// Expo or Tauri database) beside its Postgres ones; they must not feed the Postgres model.
// Read with the Postgres scanner, never with patterns over the text: these constructs scan as
// plain identifiers in Postgres, where they mean nothing.

/**
 * The first SQLite-only construct in a text, as evidence ("PRAGMA at line 3"), or null:
 * `PRIMARY KEY AUTOINCREMENT`, a `PRAGMA` statement, a `WITHOUT ROWID` table.
 */
export function sqliteOnlySyntax(text: string): string | null {
  const tokens = tokensOf(text);
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

/** 1-based line of a byte offset (the scanner reports bytes). */
function lineOf(text: string, byteOffset: number): number {
  const prefix = Buffer.from(text, 'utf8').subarray(0, byteOffset).toString('utf8');
  return prefix.split('\n').length;
}
