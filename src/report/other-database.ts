import ts from '../ts.js';

// Code that talks to another database: an on-device SQLite (expo-sqlite, Tauri's SQL plugin,
// better-sqlite3, drizzle's SQLite drivers) or MySQL. Its writes never reach Postgres, so
// judging them against the Postgres RLS model only produces noise (a table of the same name
// may even be gated there). Decided by the file's own imports: a file that imports such a
// library and no Postgres one has its writes set aside, reported with the library's name.

const OTHER_DATABASES: Record<string, string> = {
  'expo-sqlite': 'sqlite',
  'expo-sqlite/next': 'sqlite',
  'better-sqlite3': 'sqlite',
  sqlite3: 'sqlite',
  sqlite: 'sqlite',
  'bun:sqlite': 'sqlite',
  'node:sqlite': 'sqlite',
  'sql.js': 'sqlite',
  '@tauri-apps/plugin-sql': 'sqlite',
  'tauri-plugin-sql-api': 'sqlite',
  '@op-engineering/op-sqlite': 'sqlite',
  'react-native-sqlite-storage': 'sqlite',
  'react-native-quick-sqlite': 'sqlite',
  '@libsql/client': 'sqlite',
  mysql: 'mysql',
  mysql2: 'mysql',
  'mysql2/promise': 'mysql',
  '@planetscale/database': 'mysql',
};
// The module lists are alternatives of a regular expression (`singlestore(-core)?` is a pattern), kept as lists
// so that no line of the pattern runs past 120 characters.
const DRIZZLE_OTHER_DRIVERS = [
  'expo-sqlite', 'better-sqlite3', 'sqlite-core', 'libsql', 'op-sqlite', 'bun-sqlite', 'd1', 'sql-js', 'sqlite-proxy',
  'durable-sqlite', 'mysql2', 'mysql-core', 'planetscale-serverless', 'tidb-serverless', 'singlestore(-core)?',
];
const DRIZZLE_OTHER = new RegExp(`^drizzle-orm/(${DRIZZLE_OTHER_DRIVERS.join('|')})(/|$)`);
const DRIZZLE_POSTGRES_DRIVERS = [
  'node-postgres', 'postgres-js', 'pg-core', 'neon-http', 'neon-serverless', 'vercel-postgres', 'pglite', 'pg-proxy',
  'xata-http', 'aws-data-api/pg',
];
const POSTGRES_MODULES = [
  'pg', 'pg-pool', 'postgres', 'pg-promise', 'slonik', '@neondatabase/serverless', '@vercel/postgres',
  '@electric-sql/pglite', `drizzle-orm/(${DRIZZLE_POSTGRES_DRIVERS.join('|')})`,
];
const POSTGRES = new RegExp(`^(${POSTGRES_MODULES.join('|')})(/|$)`);

/** The other database a file writes to (`sqlite via 'expo-sqlite'`), or null. */
export function otherDatabaseOf(sf: ts.SourceFile): string | null {
  let other: string | null = null;
  let postgres = false;
  const note = (spec: string): void => {
    if (POSTGRES.test(spec)) postgres = true;
    const dialect =
      OTHER_DATABASES[spec] ??
      (DRIZZLE_OTHER.test(spec) ? (/mysql|planetscale|tidb|singlestore/.test(spec) ? 'mysql' : 'sqlite') : undefined);
    if (dialect && !other) other = `${dialect} via '${spec}'`;
  };
  for (const st of sf.statements) {
    if (
      (ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) &&
      st.moduleSpecifier &&
      ts.isStringLiteral(st.moduleSpecifier)
    )
      note(st.moduleSpecifier.text);
    if (
      ts.isImportEqualsDeclaration(st) &&
      ts.isExternalModuleReference(st.moduleReference) &&
      ts.isStringLiteral(st.moduleReference.expression)
    )
      note(st.moduleReference.expression.text);
  }
  // require()/import() anywhere in the file; an explicit stack, since generated code can nest
  // deeper than the JS stack allows (a 100,000-level expression). The walk can change the answer only by naming
  // another database where the imports named none, or Postgres where they named another: when the text holds no word
  // of such a name (`mayNameOther`, `mayNamePostgres`) it is not taken (most files require no database).
  const changes = postgres ? false : other ? mayNamePostgres(sf.text) : mayNameOther(sf.text);
  if (changes && (sf.text.includes('require') || sf.text.includes('import('))) {
    const stack: ts.Node[] = [sf];
    const push = (c: ts.Node): void => {
      stack.push(c);
    };
    for (let n = stack.pop(); n; n = stack.pop()) {
      if (
        ts.isCallExpression(n) &&
        n.arguments[0] &&
        ts.isStringLiteral(n.arguments[0]) &&
        ((ts.isIdentifier(n.expression) && n.expression.text === 'require') ||
          n.expression.kind === ts.SyntaxKind.ImportKeyword)
      )
        note(n.arguments[0].text);
      ts.forEachChild(n, push);
    }
  }
  return postgres ? null : other;
}

// Words every module name above holds (a module's name is written whole in a string literal, so a file whose text has
// none of a list's words requires none of its modules; a name spelt with escapes, `'\\x70g'`, is not looked for):
// `sql` is in each of `OTHER_DATABASES`' names but `@planetscale/database`, and drizzle's drivers all follow
// `drizzle-orm/`; `pg` or `postgres` is in each of `POSTGRES_MODULES`' names but `slonik` and `@neondatabase/…`.
const OTHER_WORDS = ['sql', 'planetscale', 'drizzle-orm/'];
const POSTGRES_WORDS = ['pg', 'postgres', 'slonik', '@neondatabase/', 'drizzle-orm/'];

function mayNameOther(text: string): boolean {
  return OTHER_WORDS.some((w) => text.includes(w));
}

function mayNamePostgres(text: string): boolean {
  return POSTGRES_WORDS.some((w) => text.includes(w));
}
