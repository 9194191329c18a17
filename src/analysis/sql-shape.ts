import type ts from 'typescript';
import type { DbAdapter } from '../adapters/index.js';
import { expandHelpersOrNames, RAW } from '../code/sql-text.js';
import { classifyStatement, type StatementEffect } from '../sql/classify.js';
import { parseSql, type PgNode, tokensOf } from '../sql/parser.js';
import type { Operation } from '../report/types.js';
import {
  assembleHoles, HOLE_NAME, type HoleForm, MAX_SEARCHED_HOLES as MAX_HOLES, readHoles, splitHoles,
} from './hole-forms.js';
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

/**
 * A value hole (an interpolation the folder saw as a bound value) is a value, a name, a number (`$${n}`) or a list;
 * a fragment may also be nothing, a SET list, or an INSERT's columns and VALUES (a values helper's shape,
 * sql-text.ts). The forms are hole-forms.ts's, read by its one search.
 */
const VALUE_FORMS: readonly HoleForm[] = ['param', 'name', 'number', 'row'];
const RAW_FORMS: readonly HoleForm[] = ['param', 'name', 'empty', 'assignment', 'columns-values', 'row', 'number'];
const NO_READING = 'no reading of its text parses';
const INTRUDED = 'a fragment sits where it could add a write: a data-modifying WITH, or a verb ahead of the SELECT';
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
    const variant = expandHelpersOrNames(raw);
    if (variant === null) return { kind: 'unknown', why: NO_READING };
    const shape = variantShape(deps, variant, placeholders);
    if (shape.kind === 'unknown') {
      // No reading parses, but the text says what it is from its first word (`UPDATE t SET ${…} WHERE …`).
      const verb = shape.why === NO_READING ? leadingVerb(variant) : undefined;
      if (!verb) return shape;
      operation ??= verb;
      continue;
    }
    if (shape.kind === 'write') operation ??= shape.operation;
    else {
      effects.push(...shape.effects);
      text ||= shape.text;
    }
  }
  return operation ? { kind: 'write', operation } : { kind: 'read', effects, text };
}

function variantShape(deps: SqlDeps, variant: string, placeholders: DbAdapter['placeholders']): Shape {
  const { parts, holes } = splitHoles(variant);
  // The whole statement is a fragment: nothing around it says what it is.
  if (parts.every((p) => p.trim() === '')) return { kind: 'unknown', why: 'the whole statement is a fragment' };
  // Past this many holes the readings and intruders tried would grow with the text times its holes.
  if (holes.length > MAX_HOLES) return { kind: 'unknown', why: `it has more than ${MAX_HOLES} fragments` };
  const rewrite = (text: string) => rewritePlaceholders(text, placeholders);
  const found = readHoles(parts, holes.map((h) => (h === RAW ? RAW_FORMS : VALUE_FORMS)), rewrite);
  if (!found) return { kind: 'unknown', why: NO_READING };
  const { forms, text, statements } = found;
  const { defaultSchema, setterFunctions } = deps.config;
  const effects = statements.map((st) => classifyStatement(st, { defaultSchema, setterFunctions }));
  const written = effects.flatMap((e) => effectWrites(e, deps.config));
  if (written.length > 0) return { kind: 'write', operation: written[0]!.operation };
  if (!effects.every((e) => inert(deps, e)))
    return {
      kind: 'unknown',
      why: 'read with placeholders it calls a function, sets a setting or opens a transaction',
    };
  return intruded(parts, forms, placeholders) ? { kind: 'unknown', why: INTRUDED } : { kind: 'read', effects, text };
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
    !e.role &&
    !e.opaque
  );
}

/** Could any one hole, the others read as chosen, hold a write the statement would then run? */
function intruded(parts: string[], forms: HoleForm[], placeholders: DbAdapter['placeholders']): boolean {
  for (let i = 0; i < forms.length; i++) {
    for (const intruder of INTRUDERS) {
      const text = rewritePlaceholders(assembleHoles(parts, forms, i, intruder).text, placeholders);
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

/** Statement keywords that say, as a text's first word, what it writes (the scanner's tokens, lower-cased). */
const VERBS: Readonly<Record<string, Operation>> = {
  insert: 'insert', update: 'update', delete: 'delete', merge: 'merge', truncate: 'truncate', copy: 'copy',
};

/**
 * The write a text's first word names (`UPDATE`, `DELETE FROM`, …, past opening parentheses), read by the
 * PostgreSQL scanner with each hole a name; undefined for any other start (`WITH` may hold anything, `SELECT` is
 * judged by its readings) or text that does not scan.
 */
export function leadingVerb(variant: string): Operation | undefined {
  const { parts } = splitHoles(variant);
  const tokens = tokensOf(parts.join(HOLE_NAME));
  const first = tokens?.find((t) => t.text !== '(');
  return first ? VERBS[first.text.toLowerCase()] : undefined;
}
