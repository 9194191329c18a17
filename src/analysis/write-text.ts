import ts from '../ts.js';
import type { DbAdapter } from '../adapters/index.js';
import { expandHelpers, expandHelpersOrNames, fillHoles, HOLE } from '../code/sql-text.js';
import { skipOuter } from '../syntax/wrappers.js';
import type { Operation } from '../report/types.js';
import type { StatementEffect } from '../sql/classify.js';
import { HOLE_NAME, parseWithHoleForms } from './hole-forms.js';
import { INTRUDERS } from './sql-shape.js';
import {
  classifyWithNames, effectsWithNames, effectWrites, rewritePlaceholders, type SqlDeps, statementTextExpr,
} from './sql-resolution.js';

/**
 * The statements' effects with every hole read as a name or, when the text does not parse so,
 * each hole in the form its position takes (a SET list, a row of VALUES: hole-forms.ts).
 */
function effectsWithHoles(
  deps: SqlDeps,
  variant: string,
  placeholders: DbAdapter['placeholders'],
): StatementEffect[] | undefined {
  return readWithHoles(deps, variant, placeholders)?.effects;
}

/** effectsWithHoles, with the text that parsed (each hole in the form it took). */
function readWithHoles(
  deps: SqlDeps,
  variant: string,
  placeholders: DbAdapter['placeholders'],
): { effects: StatementEffect[]; text: string } | undefined {
  const named = effectsWithNames(deps, variant, placeholders);
  if (named) return { effects: named, text: variant.split(HOLE).join(HOLE_NAME) };
  const read = parseWithHoleForms(variant, (text) => rewritePlaceholders(text, placeholders));
  return read && { effects: classifyWithNames(deps, read.statements), text: read.text };
}

/**
 * What a hole of a fixed-table write is tried with: sql-shape.ts's intruders, and a second statement (`${tail}` at the
 * end of the text could hold `; DELETE FROM other`; only a text that cannot is judged on its connection alone).
 */
const FIXED_TABLE_INTRUDERS = [...INTRUDERS, '; DELETE FROM rlsguard_t'];

/** Past this many holes the intruders tried would grow with the text times its holes (as sql-shape.ts). */
const MAX_INTRUDED_HOLES = 16;

/**
 * A write whose every table the constant text names, its interpolations standing only where no
 * table and no second write can go: a column list, a SET list, a row of VALUES, an expression
 * (`INSERT INTO storage.objects (${insert.columns}) VALUES (${insert.placeholders})`,
 * `UPDATE t SET ${setClause} WHERE id = $1`). What the statement writes does not depend on what
 * the holes hold, so the write is judged on its connection like a constant one, at the line its
 * text is written (not at a builder's callers: no caller's argument names its table). Each hole is
 * tried with a data-modifying WITH or a verb in its place; a hole where one parses is a place a
 * write could hide, and the text stays unresolved. Undefined unless all of that holds.
 */
export function fixedTableWrite(
  deps: SqlDeps,
  arg: ts.Expression,
  placeholders: DbAdapter['placeholders'],
): { effects: StatementEffect[]; variants: string[]; holes: string[]; textNode: ts.Expression } | undefined {
  const textExpr = statementTextExpr(deps, arg);
  if (!textExpr) return undefined;
  const folded = deps.folder.sql(textExpr);
  if (!folded.ok) return undefined;
  const effects: StatementEffect[] = [];
  const variants: string[] = [];
  const read: { variant: string; effects: StatementEffect[] }[] = [];
  for (const raw of folded.variants) {
    const variant = expandHelpers(raw);
    if (variant === null) return undefined;
    const holes = variant.split(HOLE).length - 1;
    if (holes === 0 || holes > MAX_INTRUDED_HOLES) return undefined;
    const got = readWithHoles(deps, variant, placeholders);
    if (!got) return undefined;
    for (const e of got.effects) {
      // A table, or a function the statement calls, named by a hole: what it writes is not known.
      if (effectWrites(e, deps.config).some((w) => w.table.includes(HOLE_NAME))) return undefined;
      if (e.calls.some((c) => c.includes(HOLE_NAME))) return undefined;
    }
    read.push({ variant, effects: got.effects });
  }
  // Reads (and text that writes nothing) are not this shape: decided before any intruder is tried.
  if (!read.some((r) => r.effects.some((e) => effectWrites(e, deps.config).length > 0))) return undefined;
  for (const { variant, effects: fx } of read) {
    const parts = variant.split(HOLE);
    for (let i = 0; i < parts.length - 1; i++) {
      for (const intruder of FIXED_TABLE_INTRUDERS) {
        const tried = parts.slice(0, i + 1).join(HOLE) + ` ${intruder} ` + parts.slice(i + 1).join(HOLE);
        const intruded = readWithHoles(deps, tried, placeholders);
        if (intruded?.effects.some((e) => effectWrites(e, deps.config).some((w) => w.table.endsWith('rlsguard_t'))))
          return undefined;
      }
    }
    effects.push(...fx);
    // As the report shows any text with holes: each a bind parameter past the text's own ($901…).
    variants.push(rewritePlaceholders(fillHoles(variant), placeholders) ?? fillHoles(variant));
  }
  return { effects, variants, holes: [...new Set(folded.holes)], textNode: textExpr };
}

/**
 * What a query call's argument writes, whatever its interpolations stand for: its text folds
 * (holes read by position) to statements libpg-query parses, and one of them writes a table
 * (INSERT/UPDATE/DELETE/MERGE, a data-modifying CTE). Such a call on a receiver whose library is
 * not known (a parameter typed by a codebase interface) is a write site even when an
 * interpolation keeps its text from resolving: reported unresolved, never dropped. Reads and text
 * that is no SQL (GraphQL, URL queries) do not parse as a write, so they are no site.
 * Undefined when it does not parse as a write; else the tables the constant rest of it names
 * (none when a hole stands for the table).
 */
export function writeWithHoles(
  deps: SqlDeps,
  arg: ts.Expression,
  placeholders: DbAdapter['placeholders'],
): { tables: string[]; operation: Operation } | undefined {
  const textExpr = statementTextExpr(deps, arg);
  if (!textExpr) return undefined;
  const folded = deps.folder.sql(textExpr);
  const variants = folded.ok ? folded.variants : holesForInterpolations(deps, textExpr);
  let operation: Operation | undefined;
  const tables = new Set<string>();
  for (const raw of variants) {
    // A library helper where only a name fits (`INSERT INTO ${sql(table)} ${sql(rows)}`) is a hole naming the table.
    const variant = expandHelpersOrNames(raw) ?? raw;
    for (const e of effectsWithHoles(deps, variant, placeholders) ?? []) {
      const written = effectWrites(e, deps.config);
      operation ??= written.find((w) => !w.through)?.operation ?? (written.length > 0 ? 'call' : undefined);
      for (const w of written) if (!w.table.includes(HOLE_NAME)) tables.add(w.table);
    }
  }
  return operation ? { tables: [...tables].sort(), operation } : undefined;
}

/**
 * Whether a statement's own text, read without any call's arguments, fixes the tables it writes: every reading of it
 * (holes in the forms their positions take) names each table it writes and each function it calls in its constant
 * text, so no argument of a call can change them (`INSERT INTO gl_accounts (…) VALUES ${rows}` with `rows` built
 * from a parameter). Also when its text stops at something other than a parameter (a call of an in-repo function, a
 * reassigned variable): binding the function's parameters to a call's arguments cannot complete such text, so a call
 * adds nothing the write's own site does not say. Such a write is a helper's with a fixed table: one site, at the
 * write, judged through its callers' connections (never a table-generic builder judged at each call). False when a
 * reading puts a hole where a table or a function goes, when no reading parses, or when the text is a parameter.
 */
export function namesItsTables(deps: SqlDeps, arg: ts.Expression, placeholders: DbAdapter['placeholders']): boolean {
  const textExpr = statementTextExpr(deps, arg);
  if (!textExpr) return false;
  const folded = deps.folder.sql(textExpr);
  if (!folded.ok && folded.fromParameter) return false;
  const variants = folded.ok ? folded.variants : holesForInterpolations(deps, textExpr);
  for (const raw of variants) {
    const variant = expandHelpers(raw);
    if (variant === null) return false;
    const read = readWithHoles(deps, variant, placeholders);
    if (!read) return false;
    for (const e of read.effects) {
      if (effectWrites(e, deps.config).some((w) => w.table.includes(HOLE_NAME))) return false;
      if (e.calls.some((c) => c.includes(HOLE_NAME))) return false;
    }
  }
  return true;
}

/**
 * A tagged template (sql`DELETE FROM t WHERE id IN (${sql.join(ids.map((id) => sql`${id}`))})`,
 * directly or through a const) whose folding failed on an interpolation that is SQL rather than
 * a value: its literal text with every interpolation read as a hole, so the statement around a
 * fragment the folder cannot read is still seen to write (Oppsera's import rollback routes).
 */
function holesForInterpolations(deps: SqlDeps, textExpr: ts.Expression): string[] {
  let e = skipOuter(textExpr);
  if (ts.isIdentifier(e)) {
    const origin = deps.origins.expr(e);
    if (origin.kind === 'expr') e = skipOuter(origin.expr);
  }
  if (!ts.isTaggedTemplateExpression(e) || ts.isNoSubstitutionTemplateLiteral(e.template)) return [];
  return [e.template.head.text + e.template.templateSpans.map((span) => HOLE + span.literal.text).join('')];
}
