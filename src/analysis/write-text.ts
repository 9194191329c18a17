import type ts from 'typescript';
import type { DbAdapter } from '../adapters/index.js';
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
  if (!folded.ok) return false;
  return folded.variants.some((variant) =>
    (effectsWithNames(deps, variant, placeholders) ?? []).some((e) => effectWrites(e, deps.config).length > 0),
  );
}

