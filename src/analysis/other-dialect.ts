import ts from '../ts.js';
import type { OriginResolver } from '../code/origins.js';
import { skipOuter } from '../syntax/wrappers.js';
import { toPosixRelative } from '../files/paths.js';

// Kysely speaks to whatever database its dialect names: `new Kysely({ dialect: new
// SqliteDialect(…) })` (kysely's own SqliteDialect, MysqlDialect, MssqlDialect), or a package's
// (kysely-bun-sqlite's BunSqliteDialect, @libsql/kysely-libsql's LibsqlDialect, kysely-d1's
// D1Dialect, …). Such an instance never writes to Postgres: its writes are judged `not-gated`,
// with the dialect as the evidence, wherever the instance is used (the file-level rule of
// report/other-database.ts sees only the file that imports the dialect, not its users).
// Decided by the dialect class a package exports, by its name: a class of the codebase, or a
// dialect read from a variable the origins cannot follow, keeps the instance a Postgres one.

/** Dialect class names, by the database they speak to; PostgresDialect and unknown ones are Postgres. */
const OTHER: readonly [RegExp, string][] = [
  [/sqlite|libsql|^d1/i, 'SQLite'],
  [/mysql|planetscale|tidb|singlestore/i, 'MySQL'],
  [/mssql|tedious/i, 'SQL Server'],
];

/**
 * The other database a `new Kysely({ dialect })` speaks to, as evidence (`SQLite (\`SqliteDialect\` from 'kysely' at
 * src/db.ts:4)`), or undefined for Postgres or a dialect that cannot be read.
 */
export function kyselyOtherDialect(
  origins: OriginResolver,
  construction: ts.NewExpression,
  root: string,
): string | undefined {
  const options = construction.arguments?.[0];
  if (!options) return undefined;
  const dialect = origins.member({ kind: 'expr', expr: options }, 'dialect');
  if (dialect.kind !== 'expr') return undefined;
  let made = skipOuter(dialect.expr);
  if (ts.isIdentifier(made)) {
    const origin = origins.expr(made);
    if (origin.kind === 'expr') made = skipOuter(origin.expr);
  }
  if (!ts.isNewExpression(made)) return undefined;
  const ctor = origins.expr(made.expression);
  if (ctor.kind !== 'external') return undefined;
  // A default or namespace import names the class where it is used (`import D1Dialect from 'kysely-d1'`).
  const exported = ctor.path[ctor.path.length - 1];
  const used = skipOuter(made.expression);
  const name =
    exported && exported !== 'default'
      ? exported
      : ts.isIdentifier(used)
        ? used.text
        : ts.isPropertyAccessExpression(used)
          ? used.name.text
          : '';
  const database = OTHER.find(([pattern]) => pattern.test(name))?.[1];
  return database && `${database} (\`${name}\` from '${ctor.module}' at ${where(made, root)})`;
}

function where(node: ts.Node, root: string): string {
  const sf = node.getSourceFile();
  return `${toPosixRelative(root, sf.fileName)}:${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1}`;
}
