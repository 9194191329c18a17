import ts from 'typescript';
import type { DbAdapter } from '../adapters/index.js';
import { HOLE } from '../code/sql-text.js';
import { skipOuter } from '../code/scope.js';
import { effectsWithNames, effectWrites, type SqlDeps, statementTextExpr } from './sql-resolution.js';

/**
 * Whether a query call's argument is SQL that writes, whatever its interpolations name: its text
 * folds (holes read as names) to statements libpg-query parses, and one of them writes a table
 * (INSERT/UPDATE/DELETE/MERGE, a data-modifying CTE). Such a call on a receiver whose library is
 * not known (a parameter typed by a codebase interface) is a write site even when an
 * interpolation keeps its text from resolving: reported unresolved, never dropped. Reads and text
 * that is no SQL (GraphQL, URL queries) do not parse as a write, so they stay no site.
 */
export function parsesAsWrite(deps: SqlDeps, arg: ts.Expression, placeholders: DbAdapter['placeholders']): boolean {
  const textExpr = statementTextExpr(deps, arg);
  if (!textExpr) return false;
  const folded = deps.folder.sql(textExpr);
  const variants = folded.ok ? folded.variants : holesForInterpolations(deps, textExpr);
  return variants.some((variant) =>
    (effectsWithNames(deps, variant, placeholders) ?? []).some((e) => effectWrites(e, deps.config).length > 0),
  );
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
