import type ts from 'typescript';
import type { DbAdapter } from '../adapters/index.js';
import { expandHelpers, HOLE, HOLE_BASE, RAW } from '../code/sql-text.js';
import { classifyStatement, type StatementEffect } from '../sql/classify.js';
import { parseSql, type ParsedStatement, type PgNode } from '../sql/parser.js';
import type { Operation } from '../report/types.js';
import { definerCalls, effectWrites, rewritePlaceholders, type SqlDeps } from './sql-resolution.js';

// What kind of statement a query runs when its SQL text cannot be folded (a fragment built at run
// time: `Prisma.join(conditions)` of a list grown by `push`, a conditional `Prisma.sql`…`` or
// `Prisma.empty`, `Prisma.raw(x)`, a clause returned by a helper): the text around the fragments
// is the code's own, so the parser can say what the statement is once each fragment is read as
// some placeholder SQL: a value (`$901`), a name, or nothing. A SELECT that writes, calls, sets
// and opens nothing under that reading, and into which no fragment can slip a write (a
// data-modifying CTE or a verb ahead of it: tried by parsing the text with such a fragment in
// its place), is a read: not a write site. A reading that parses as a write gives the site its
// honest kind (UPDATE, DELETE, …) while it stays unresolved. A fragment is one statement's
// piece: libraries that build SQL from fragments send it as one prepared statement with its
// values bound, which cannot carry a second statement.

export type Shape =
  | { kind: 'read'; effects: StatementEffect[]; text: string }
  | { kind: 'write'; operation: Operation }
  /** `why`: what keeps the kind unknown, for the site's evidence. */
  | { kind: 'unknown'; why: string };

type Reading = 'param' | 'name' | 'empty' | 'assignment' | 'values';
/** A value hole (an interpolation the folder saw as a bound value) is a value or a name; a fragment may be nothing. */
const VALUE_READINGS: readonly Reading[] = ['param', 'name'];
/** A fragment may also be a SET list or an INSERT's columns and VALUES (the shapes of a values helper, sql-text.ts). */
const RAW_READINGS: readonly Reading[] = ['param', 'name', 'empty', 'assignment', 'values'];
const PIECES: Record<Exclude<Reading, 'param'>, string> = {
  name: 'rlsguard_name',
  empty: ' ',
  assignment: 'rlsguard_col = 0',
  values: '(rlsguard_col) VALUES (0)',
};
const NO_READING = 'no reading of its text parses';
const INTRUDED = 'a fragment sits where it could add a write: a data-modifying WITH, or a verb ahead of the SELECT';
const MAX_HOLES = 24;
/** Fragments that would make a SELECT a write: a data-modifying CTE (first, later, or the whole WITH), or a verb. */
export const INTRUDERS = [
  'WITH rlsguard_w AS (DELETE FROM rlsguard_t RETURNING 1)',
  'rlsguard_w AS (DELETE FROM rlsguard_t RETURNING 1),',
  ', rlsguard_w AS (DELETE FROM rlsguard_t RETURNING 1)',
  'INSERT INTO rlsguard_t',
];

/** The shape of the statement a query argument folds to in a shape fold (`SqlTextFolder.shape`). */
export function sqlShape(deps: SqlDeps, textExpr: ts.Expression, placeholders: DbAdapter['placeholders']): Shape {
  const folded = deps.folder.shape(textExpr);
  // Why is the fold's own reason, which the site already gives.
  if (!folded.ok) return { kind: 'unknown', why: '' };
  const effects: StatementEffect[] = [];
  let text = '';
  let operation: Operation | undefined;
  for (const raw of folded.variants) {
    const variant = expandHelpers(raw);
    if (variant === null) return { kind: 'unknown', why: NO_READING };
    const shape = variantShape(deps, variant, placeholders);
    if (shape.kind === 'unknown') return shape;
    if (shape.kind === 'write') operation ??= shape.operation;
    else {
      effects.push(...shape.effects);
      text ||= shape.text;
    }
  }
  return operation ? { kind: 'write', operation } : { kind: 'read', effects, text };
}

function variantShape(deps: SqlDeps, variant: string, placeholders: DbAdapter['placeholders']): Shape {
  const { parts, holes } = split(variant);
  // The whole statement is a fragment: nothing around it says what it is.
  if (parts.every((p) => p.trim() === '')) return { kind: 'unknown', why: 'the whole statement is a fragment' };
  // Past this many holes the readings and intruders tried would grow with the text times its holes.
  if (holes.length > MAX_HOLES) return { kind: 'unknown', why: `it has more than ${MAX_HOLES} fragments` };
  const found = reading(parts, holes, placeholders);
  if (!found) return { kind: 'unknown', why: NO_READING };
  const { readings, text, statements } = found;
  const { defaultSchema, setterFunctions } = deps.config;
  const effects = statements.map((st) => classifyStatement(st, { defaultSchema, setterFunctions }));
  const written = effects.flatMap((e) => effectWrites(e, deps.config));
  if (written.length > 0) return { kind: 'write', operation: written[0]!.operation };
  if (!effects.every((e) => inert(deps, e)))
    return {
      kind: 'unknown',
      why: 'read with placeholders it calls a function, sets a setting or opens a transaction',
    };
  return intruded(parts, readings, placeholders) ? { kind: 'unknown', why: INTRUDED } : { kind: 'read', effects, text };
}

/**
 * A reading of every hole under which the text parses, found the way a person would: all values first, then, at each
 * syntax error, the next reading of the hole the error follows. Each hole's reading only moves forward, so at most
 * holes × readings parses.
 */
function reading(
  parts: string[],
  holes: string[],
  placeholders: DbAdapter['placeholders'],
): { readings: Reading[]; text: string; statements: ParsedStatement[] } | undefined {
  const choices = holes.map((h) => (h === RAW ? RAW_READINGS : VALUE_READINGS));
  const at = holes.map(() => 0);
  for (let tries = 0; tries <= holes.length * RAW_READINGS.length; tries++) {
    const readings = at.map((k, i) => choices[i]![k]!);
    const { text: assembled, starts } = assembleAt(parts, readings);
    const text = rewritePlaceholders(assembled, placeholders);
    if (text === null) return undefined;
    const parsed = parseSql(text);
    if (parsed.ok) return { readings, text, statements: parsed.statements };
    // The parser's position counts bytes of the text it was given; placeholder rewriting keeps holes' offsets only
    // when it changed nothing.
    if (parsed.position === undefined || text !== assembled) return undefined;
    const errorAt = Buffer.from(text).subarray(0, parsed.position).toString().length;
    let hole = -1;
    for (let i = 0; i < starts.length && starts[i]! <= errorAt; i++) hole = i;
    if (hole < 0 || at[hole]! + 1 >= choices[hole]!.length) return undefined;
    at[hole]!++;
  }
  return undefined;
}

/** Nothing written, no definer called, no function named by a hole, no context or transaction change. */
function inert(deps: SqlDeps, e: StatementEffect): boolean {
  return (
    !e.calls.some((c) => c.endsWith('.rlsguard_name')) &&
    effectWrites(e, deps.config).length === 0 &&
    definerCalls(e, deps.config).length === 0 &&
    e.contextSets.length === 0 &&
    e.contextResets.length === 0 &&
    (e.boundSets?.length ?? 0) === 0 &&
    e.transaction === null &&
    !e.role
  );
}

/** Could any one hole, the others read as chosen, hold a write the statement would then run? */
function intruded(parts: string[], readings: Reading[], placeholders: DbAdapter['placeholders']): boolean {
  for (let i = 0; i < readings.length; i++) {
    for (const intruder of INTRUDERS) {
      const text = rewritePlaceholders(assemble(parts, readings, i, intruder), placeholders);
      const parsed = text === null ? undefined : parseSql(text);
      if (parsed?.ok && parsed.statements.some((st) => topLevelWrite(st.stmt))) return true;
    }
  }
  return false;
}

/** A statement that writes at its top level: a write verb, or a SELECT whose own WITH holds the intruding CTE. */
function topLevelWrite(stmt: PgNode): boolean {
  const key = Object.keys(stmt)[0];
  if (key !== 'SelectStmt') return key === 'InsertStmt' || key === 'UpdateStmt' || key === 'DeleteStmt' ||
    key === 'MergeStmt';
  const select = stmt.SelectStmt as { withClause?: { ctes?: { CommonTableExpr?: { ctename?: string } }[] } };
  return (select.withClause?.ctes ?? []).some((c) => c.CommonTableExpr?.ctename === 'rlsguard_w');
}

function split(variant: string): { parts: string[]; holes: string[] } {
  const parts: string[] = [];
  const holes: string[] = [];
  let start = 0;
  for (let i = 0; i < variant.length; i++) {
    const c = variant[i];
    if (c !== HOLE && c !== RAW) continue;
    parts.push(variant.slice(start, i));
    holes.push(c);
    start = i + 1;
  }
  parts.push(variant.slice(start));
  return { parts, holes };
}

function assemble(parts: string[], readings: Reading[], at = -1, intruder = ''): string {
  return assembleAt(parts, readings, at, intruder).text;
}

/** The text with each hole read as given (`at` replaced by an intruder), and where each hole's piece starts. */
function assembleAt(parts: string[], readings: Reading[], at = -1, intruder = ''): { text: string; starts: number[] } {
  let n = HOLE_BASE;
  let out = parts[0]!;
  const starts: number[] = [];
  readings.forEach((r, i) => {
    const piece = i === at ? ` ${intruder} ` : r === 'param' ? `$${++n}` : PIECES[r];
    starts.push(out.length);
    out += piece + parts[i + 1]!;
  });
  return { text: out, starts };
}
