import ts from '../ts.js';
import type { DbAdapter } from '../adapters/index.js';
import { HOLE } from '../code/sql-text.js';
import { skipOuter } from '../syntax/wrappers.js';
import type { Operation } from '../report/types.js';
import type { StatementEffect } from '../sql/classify.js';
import { HOLE_NAME, parseWithHoleForms } from './hole-forms.js';
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
  const named = effectsWithNames(deps, variant, placeholders);
  if (named) return named;
  const read = parseWithHoleForms(variant, (text) => rewritePlaceholders(text, placeholders));
  return read && classifyWithNames(deps, read.statements);
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
  for (const variant of variants) {
    for (const e of effectsWithHoles(deps, variant, placeholders) ?? []) {
      const written = effectWrites(e, deps.config);
      operation ??= written.find((w) => !w.through)?.operation ?? (written.length > 0 ? 'call' : undefined);
      for (const w of written) if (!w.table.includes(HOLE_NAME)) tables.add(w.table);
    }
  }
  return operation ? { tables: [...tables].sort(), operation } : undefined;
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
