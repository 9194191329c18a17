import ts from 'typescript';
import { shortText } from '../code/origins.js';
import { lookup, skipOuter } from '../code/scope.js';
import type { DbAdapter } from '../adapters/index.js';
import { effectsWithNames, effectWrites, type SqlDeps, statementTextExpr } from './sql-resolution.js';

/**
 * Whether a query call's argument is SQL that writes, whatever its interpolations name: its text
 * folds (holes read as names) to statements libpg-query parses, and one of them writes a table
 * (INSERT/UPDATE/DELETE/MERGE, a data-modifying CTE). Such a call is a write site even where its
 * receiver cannot be traced to a connection (a codebase interface, a wrapper class): reported
 * unresolved, never dropped. Reads and text that is no SQL (GraphQL, URL queries) do not parse as
 * a write, so they stay no site.
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

/**
 * The receiver's declared type, as written (`db: Runner`), for the reason of a write on a value
 * rls-guard cannot follow; empty when the declaration states none.
 */
export function declaredTypeNote(receiver: ts.Expression): string {
  const e = skipOuter(receiver);
  const decl = ts.isIdentifier(e) ? lookup(e)?.decl : undefined;
  const type =
    decl && (ts.isParameter(decl) || ts.isVariableDeclaration(decl) || ts.isPropertyDeclaration(decl))
      ? decl.type
      : undefined;
  return type ? `, typed \`${shortText(type, 40)}\`` : '';
}
