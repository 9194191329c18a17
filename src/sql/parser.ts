import { parsePlPgSQLSync, parseSync, scanSync } from './libpg.js';

// libpg-query's WebAssembly is instantiated synchronously at the first parse or scan (libpg.ts),
// so that synchronous callers (ESLint rules, the analysis) can parse without an `await` at start,
// and a run that parses no SQL never loads it.

export type PgNode = Record<string, unknown>;

export interface ParsedStatement {
  /** The statement node, e.g. { InsertStmt: {...} }. */
  stmt: PgNode;
  /** Offset of the statement in the parsed text (0-based, bytes as reported by the parser). */
  location: number;
  length: number | undefined;
}

export type ParseOutcome =
  | { ok: true; statements: ParsedStatement[] }
  | { ok: false; error: string; position: number | undefined };

const cache = new Map<string, ParseOutcome>();
const CACHE_LIMIT = 20_000;

/**
 * Forgets every parse kept: the audit calls it once its RLS model is built, when what the cache holds is the
 * migrations' statements (whole migration files' trees), which the analysis of code does not ask again (a text asked
 * again is parsed again, to an equal outcome). Signacare's: docs/performance.md, mem28.
 */
export function forgetSqlParses(): void {
  cache.clear();
}

/** Whether a parse of this text is kept (for the test that holds the audit to letting them go). */
export function isSqlParseKept(text: string): boolean {
  return cache.has(text);
}

/** Parse PostgreSQL text with the real PostgreSQL parser. Never throws. */
export function parseSql(text: string): ParseOutcome {
  const hit = cache.get(text);
  if (hit) return hit;
  let outcome: ParseOutcome;
  try {
    const result = parseSync(text) as { stmts?: { stmt: PgNode; stmt_location?: number; stmt_len?: number }[] };
    outcome = {
      ok: true,
      statements: (result.stmts ?? []).map((s) => ({
        stmt: s.stmt,
        location: s.stmt_location ?? 0,
        length: s.stmt_len,
      })),
    };
  } catch (error) {
    const details = (error as { sqlDetails?: { message?: string; cursorPosition?: number } }).sqlDetails;
    outcome = {
      ok: false,
      error: details?.message ?? (error instanceof Error ? error.message : String(error)),
      position: details?.cursorPosition,
    };
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(text, outcome);
  return outcome;
}

/** Parse a CREATE FUNCTION ... LANGUAGE plpgsql statement's body. Never throws. */
export function parsePlpgsql(createFunctionSql: string): { ok: true; result: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, result: parsePlPgSQLSync(createFunctionSql) };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/** Depth-first visit of every object node in a parse tree. */
export function visitPg(node: unknown, visit: (key: string, value: PgNode) => void): void {
  if (Array.isArray(node)) {
    for (const item of node) visitPg(item, visit);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node as PgNode)) {
    if (value !== null && typeof value === 'object') {
      if (!Array.isArray(value)) visit(key, value as PgNode);
      visitPg(value, visit);
    }
  }
}

/**
 * Splits SQL text into statements at top-level semicolons, using the PostgreSQL scanner so
 * that semicolons in strings, comments and dollar-quoted bodies do not split. Used to
 * recover the good statements of a file with a syntax error.
 */
export function splitStatements(text: string): { text: string; offset: number }[] {
  const bytes = Buffer.from(text);
  let tokens: { start: number; end: number; text: string }[];
  try {
    tokens = scanSync(text).tokens;
  } catch {
    return [{ text, offset: 0 }];
  }
  const out: { text: string; offset: number }[] = [];
  let start = 0;
  for (const t of tokens) {
    if (t.text === ';') {
      out.push({ text: bytes.subarray(start, t.start).toString(), offset: start });
      start = t.end;
    }
  }
  if (start < bytes.length) out.push({ text: bytes.subarray(start).toString(), offset: start });
  return out.filter((s) => s.text.trim() !== '');
}

/** The name an identifier binding (knex's `??`, `:name:`) is read as when its binding is not a constant. */
export const NAME_HOLE = 'rlsguard_name';

/**
 * The text an identifier binding (knex's `??`, `:name:`) splices: for its binding (a position counting every `?` and
 * `??`, or a name), the quoted identifier of a constant, or `NAME_HOLE` when the name is only known at run time.
 */
export type IdentifierText = (binding: number | string) => string;

/**
 * Rewrites `?` placeholders (knex.raw, mysql-style drivers) to $1, $2… using the PostgreSQL
 * scanner, so a `?` inside a string, a comment or a jsonb operator is left alone. knex's `??` (one scanner token)
 * binds an identifier: it takes a binding's position, is spliced as `identifier` says, and numbers no `$n`.
 */
export function questionPlaceholdersToDollar(text: string, identifier: IdentifierText = () => NAME_HOLE): string {
  // Every edit below is at a `?` or `??` token: a text without the character has none, and is returned as it is
  // without the scan (most statements a pg codebase runs through a knex adapter's reading have no `?`).
  if (!text.includes('?')) return text;
  const tokens = tokensOf(text);
  if (!tokens) return text;
  let n = 0;
  let position = 0;
  const edits: Token[] = [];
  for (const t of tokens) {
    if (t.text === '?') edits.push({ start: t.start, end: t.end, text: `$${++n}` });
    else if (t.text === '??') edits.push({ start: t.start, end: t.end, text: identifier(position) });
    else continue;
    position++;
  }
  return splice(text, edits);
}

/**
 * Rewrites knex's named placeholders (`:name`, bindings given as an object) to $1, $2… (one number per name) with the
 * PostgreSQL scanner: a `:` token touching the identifier after it, not a cast's `::`, outside strings and comments. An
 * identifier placeholder (`:name:`, also before a cast: `:name:::regclass`) is spliced as `identifier` says.
 */
export function namedPlaceholdersToDollar(text: string, identifier: IdentifierText = () => NAME_HOLE): string {
  // Every edit below starts at a `:` token: a text without the character is returned as it is, without the scan.
  if (!text.includes(':')) return text;
  const tokens = tokensOf(text);
  if (!tokens) return text;
  const numbers = new Map<string, number>();
  const edits: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const name = tokens[i + 1];
    if (t.text !== ':' || !name || name.start !== t.end || !/^[A-Za-z_]\w*$/.test(name.text)) continue;
    // `arr[1:n]` is a slice: the colon touches a value before it (a word, a number, a bracket's end).
    const before = tokens[i - 1];
    if (before && before.end === t.start && /^(\w+|\)|\])$/.test(before.text)) continue;
    const after = tokens[i + 2];
    const touching = after !== undefined && after.start === name.end;
    // `:name:` then `::type` scans as `::` and `:`: the first colon of the two closes the identifier.
    const colon = tokens[i + 3];
    const beforeCast = touching && after.text === '::' && colon?.text === ':' && colon.start === after.end;
    if (touching && (after.text === ':' || beforeCast)) {
      edits.push({ start: t.start, end: name.end + 1, text: identifier(name.text) });
      // Before a cast, the cast's `::` is what remains of the `::` and `:` tokens.
      i += after.text === ':' ? 2 : 3;
      continue;
    }
    if (!numbers.has(name.text)) numbers.set(name.text, numbers.size + 1);
    edits.push({ start: t.start, end: name.end, text: `$${numbers.get(name.text)}` });
    i += 1;
  }
  return splice(text, edits);
}

/**
 * knex's quoting of an identifier binding on PostgreSQL (its `wrapString`): `a as b` is an alias, each part of a dotted
 * name is quoted (`"a"."b"`) with `"` doubled, `*` is left as it is.
 */
export function knexIdentifier(value: string): string {
  const as = value.toLowerCase().indexOf(' as ');
  if (as >= 0) return `${knexIdentifier(value.slice(0, as))} as ${quoteIdentifier(value.slice(as + 4).trim())}`;
  return value.split('.').map((part) => quoteIdentifier(part.trim())).join('.');
}

function quoteIdentifier(part: string): string {
  return part === '*' ? part : `"${part.replace(/"/g, '""')}"`;
}

export type Token = { start: number; end: number; text: string; tokenName?: string };

/** The scanner's tokens (byte offsets), or null when the text does not even scan. */
export function tokensOf(text: string): Token[] | null {
  try {
    return scanSync(text).tokens;
  } catch {
    return null;
  }
}

/**
 * The value of a PL/pgSQL assignment's text (`NEW.updated_at := now()`, `v[i] = f(x)`: what the
 * parser hands over for an assignment statement, target and operator included), found with the
 * scanner: what follows the first `:=` or `=` outside brackets. Null when the text has none.
 */
export function assignmentValue(text: string): string | null {
  const tokens = tokensOf(text);
  if (!tokens) return null;
  let depth = 0;
  for (const t of tokens) {
    if (t.text === '(' || t.text === '[') depth += 1;
    else if (t.text === ')' || t.text === ']') depth -= 1;
    else if (depth === 0 && (t.text === ':=' || t.text === '='))
      return Buffer.from(text).subarray(t.end).toString();
  }
  return null;
}

/** Replaces byte ranges (in order, not overlapping) of a text. */
function splice(text: string, edits: readonly Token[]): string {
  if (edits.length === 0) return text;
  const bytes = Buffer.from(text);
  let out = '';
  let at = 0;
  for (const e of edits) {
    out += bytes.subarray(at, e.start).toString() + e.text;
    at = e.end;
  }
  return out + bytes.subarray(at).toString();
}

const OPENERS: Record<string, string> = { '{': '}', '(': ')', '<': '>', '[': ']', '/': '/' };
const STRUCTURAL_MODIFIERS = new Set(['raw', 'name', 'alias', '^', '~']);

/**
 * Rewrites pg-promise's placeholders to $1, $2… with the PostgreSQL scanner: named ones
 * (${x}, $(x), $<x>, $[x], $/x/) and indexed ones, with value modifiers (:csv, :list, :json)
 * left as values. A raw or identifier modifier (:raw, ^, :name, ~, :alias) splices SQL, so
 * the text cannot be resolved: null.
 */
export function pgPromisePlaceholdersToDollar(text: string): string | null {
  const tokens = tokensOf(text);
  if (!tokens) return text;
  const named = new Map<string, number>();
  let next = Math.max(0, ...tokens.filter((t) => /^\$\d+$/.test(t.text)).map((t) => Number(t.text.slice(1))));
  const edits: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    let end = -1;
    let number: number | undefined;
    const close = t.text === '$' ? OPENERS[tokens[i + 1]?.text ?? ''] : undefined;
    // ${name}, ${name:mod}, ${name^}: the modifier may sit inside the brackets too.
    const inner =
      close && tokens[i + 2]
        ? tokens[i + 3]?.text === close
          ? 0
          : tokens[i + 3]?.text === ':' && tokens[i + 5]?.text === close
            ? 2
            : ['^', '~', '#'].includes(tokens[i + 3]?.text ?? '') && tokens[i + 4]?.text === close
              ? 1
              : -1
        : -1;
    if (close && inner >= 0) {
      const modifier = inner === 2 ? tokens[i + 4]!.text.toLowerCase() : inner === 1 ? tokens[i + 3]!.text : undefined;
      if (modifier && STRUCTURAL_MODIFIERS.has(modifier)) return null;
      const name = tokens[i + 2]!.text;
      if (!named.has(name)) named.set(name, ++next);
      number = named.get(name);
      i += 3 + inner;
      end = tokens[i]!.end;
    } else if (/^\$\d+$/.test(t.text)) {
      number = Number(t.text.slice(1));
      end = t.end;
    } else continue;
    // A modifier right after the placeholder: $1:csv, $1^ …
    const m = tokens[i + 1];
    if (m && m.start === end && (m.text === '^' || m.text === '~' || m.text === '#')) {
      if (STRUCTURAL_MODIFIERS.has(m.text)) return null;
      i += 1;
      end = m.end;
    } else if (m && m.start === end && m.text === ':' && tokens[i + 2]) {
      if (STRUCTURAL_MODIFIERS.has(tokens[i + 2]!.text.toLowerCase())) return null;
      i += 2;
      end = tokens[i]!.end;
    }
    edits.push({ start: t.start, end, text: `$${number}` });
  }
  return splice(text, edits);
}

export interface LostSpan {
  /** Byte offsets in the text; `to` is null when nothing after `from` could be read. */
  from: number;
  to: number | null;
  reason: string;
}

/** Byte offset of a parser error position (the parser counts characters from 0). */
export function errorByteOffset(text: string, position: number | undefined): number {
  return Buffer.byteLength(text.slice(0, position ?? 0));
}

/**
 * The statements of a file that does not parse as a whole, and exactly what was lost.
 * A statement with a syntax error is lost alone. A lexing error (an unterminated quote,
 * dollar-quote or block comment) swallows the rest of the file for the scanner, so the
 * statements before it are kept and reading resumes at the first later statement boundary
 * (a `;` at the end of a line) after which the next statement scans cleanly.
 */
export function recoverStatements(text: string): {
  statements: { stmt: PgNode; location: number }[];
  lost: LostSpan[];
} {
  const { pieces, lost } = recoverPieces(text);
  const statements: { stmt: PgNode; location: number }[] = [];
  for (const piece of pieces) {
    const one = parseSql(piece.text);
    if (one.ok)
      for (const st of one.statements) statements.push({ stmt: st.stmt, location: piece.offset + st.location });
    else
      lost.push({
        from: piece.offset + leadingSpace(piece.text),
        to: piece.offset + Buffer.byteLength(piece.text),
        reason: one.error,
      });
  }
  lost.sort((a, b) => a.from - b.from);
  return { statements, lost };
}

/**
 * splitStatements that survives lexing errors: the statement texts (offsets into the whole
 * text) that scan, and the spans a lexing error made unreadable.
 */
export function recoverPieces(text: string): { pieces: { text: string; offset: number }[]; lost: LostSpan[] } {
  const bytes = Buffer.from(text);
  const pieces: { text: string; offset: number }[] = [];
  const lost: LostSpan[] = [];
  const keep = (found: { text: string; offset: number }[], base: number): void => {
    for (const p of found) pieces.push({ text: p.text, offset: base + p.offset });
  };
  let cursor = 0;
  // Each turn either finishes the file or moves past one lexing error: bounded by the file.
  while (cursor < bytes.length) {
    const rest = bytes.subarray(cursor).toString();
    if (tokensOf(rest)) {
      keep(splitStatements(rest), cursor);
      break;
    }
    const failed = parseSql(rest);
    const error = failed.ok ? 'the scanner failed' : failed.error.replace(/ at or near "[\s\S]*$/, '');
    const errorAt = cursor + (failed.ok ? 0 : errorByteOffset(rest, failed.position));
    // The parser may stop at a plain syntax error before the lexing error: when the text up
    // to the next boundary scans, keep it as statements (the bad one is lost on its own).
    const boundary = nextBoundary(bytes, errorAt);
    if (boundary !== null && tokensOf(bytes.subarray(cursor, boundary).toString())) {
      keep(splitStatements(bytes.subarray(cursor, boundary).toString()), cursor);
      cursor = boundary;
      continue;
    }
    // Everything before the error scans; its last, unterminated statement is lost with it.
    const before = bytes.subarray(cursor, errorAt).toString();
    const found = tokensOf(before) ? splitStatements(before) : [];
    const last = found[found.length - 1];
    const lastClosed = last ? statementClosed(before, last) : true;
    keep(lastClosed ? found : found.slice(0, -1), cursor);
    const from = last && !lastClosed ? cursor + last.offset + leadingSpace(last.text) : errorAt;
    const resume = resumeAfter(bytes, errorAt);
    lost.push({ from, to: resume, reason: error });
    if (resume === null) break;
    cursor = resume;
  }
  return { pieces, lost };
}

function leadingSpace(text: string): number {
  return Buffer.byteLength(text) - Buffer.byteLength(text.trimStart());
}

/** Whether a piece from splitStatements ended at a `;` (the last piece of a text may not). */
function statementClosed(text: string, piece: { text: string; offset: number }): boolean {
  const end = piece.offset + Buffer.byteLength(piece.text);
  const tokens = tokensOf(text) ?? [];
  return tokens.some((t) => t.text === ';' && t.start === end);
}

const MAX_RESUME_TRIES = 500;

/** Just past the first `;` that ends a line at or after an offset; null when there is none. */
function nextBoundary(bytes: Buffer, from: number): number | null {
  for (let i = bytes.indexOf(';', from); i >= 0; i = bytes.indexOf(';', i + 1)) {
    const next = bytes[i + 1];
    if (next === undefined || next === 10 || next === 13) return i + 1;
  }
  return null;
}

/**
 * The first `;`-at-end-of-line after a lexing error from which the following statement
 * scans cleanly, as a byte offset just past the `;`; null when there is none.
 */
function resumeAfter(bytes: Buffer, errorAt: number): number | null {
  const boundaries: number[] = [];
  for (
    let i = bytes.indexOf(';', errorAt);
    i >= 0 && boundaries.length < MAX_RESUME_TRIES;
    i = bytes.indexOf(';', i + 1)
  ) {
    const next = bytes[i + 1];
    if (next === undefined || next === 10 || next === 13) boundaries.push(i + 1);
  }
  for (let k = 0; k < boundaries.length; k++) {
    const start = boundaries[k]!;
    const end = boundaries[k + 1] ?? bytes.length;
    const segment = bytes.subarray(start, end).toString();
    if (tokensOf(segment)) return start;
  }
  return null;
}
