import path from 'node:path';
import { SOURCE_EXTENSIONS } from '../files/source.js';
import { walkFiles } from '../files/walk.js';
import { toPosixRelative } from '../files/paths.js';
import { scanSync } from '../sql/libpg.js';
import { parseSql } from '../sql/parser.js';
import { escape, readText } from './loose-sql.js';
import type { SchemaDiagnostic } from './types.js';

// `.sql` files that hold the app's queries, not its schema: `src/domains/users/sql/createUser.sql` holding `INSERT INTO
// users (email) VALUES (:email) RETURNING id`, turned into a function by code beside it that reads its folder
// (`getBakedSqlFunctions([__dirname])`) or names the file (`readFileSync(join(__dirname, 'createUser.sql'))`).
// Unconfigured discovery takes every `.sql` file for a migration, so each such file was replayed and, its `:name`
// parameters not being SQL, reported `incomplete` twice. A file is taken for a query file only when all of these hold:
// its path does not say "migration"; every statement in it, its `:name` parameters read as bind parameters, is a
// SELECT, INSERT, UPDATE, DELETE or MERGE (no DDL, no SET: nothing that makes the schema a migration would); it has
// at least one `:name` parameter (a schema's script never does: psql's `:var` only stands in DDL, which is refused),
// or sits in a folder with one that has; and the code loads it. Anything else stays a migration, so an unparseable
// file in a migrations folder stays `incomplete` (fail closed). Each file left out is said in a diagnostic.

const QUERY_STATEMENTS = new Set(['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

/** The `.sql` files of `files` that are query files the code loads, each with the diagnostic that says so. */
export function queryFiles(
  root: string,
  files: readonly string[],
  options: { ignore?: readonly string[] },
): { file: string; diagnostic: SchemaDiagnostic }[] {
  const rel = (f: string): string => toPosixRelative(root, f);
  let candidates = files.flatMap((f) => {
    if (!f.endsWith('.sql') || /migrat/i.test(rel(f))) return [];
    const text = readText(f);
    const params = text === undefined ? undefined : namedQueryParameters(text);
    return params ? [{ file: f, params }] : [];
  });
  // A query without parameters (`SELECT DISTINCT host FROM tenants_hosts`) counts only beside one that has some.
  const folders = new Set(candidates.filter((c) => c.params.length > 0).map((c) => path.dirname(c.file)));
  candidates = candidates.filter((c) => folders.has(path.dirname(c.file)));
  if (candidates.length === 0) return [];
  const loaders = loadersOf(root, candidates.map((c) => c.file), options.ignore ?? []);
  return candidates.flatMap(({ file, params }) => {
    const loader = loaders.get(file);
    if (!loader) return [];
    const shown = params.length
      ? `with named parameters (${params.slice(0, 3).map((p) => `:${p}`).join(', ')}${params.length > 3 ? ', …' : ''})`
      : 'beside query files with named parameters';
    return [
      {
        file,
        diagnostic: {
          file: rel(file),
          line: 1,
          message:
            `not taken as a migration: ${rel(file)} holds only queries (SELECT, INSERT, UPDATE, DELETE) ` +
            `${shown} and no DDL, and ${rel(loader)} loads it as the code's query. If it is applied ` +
            'to the database as a migration, list it under "migrations" in the config',
        },
      },
    ];
  });
}

/**
 * The `:name` parameters of a text whose every statement, those read as bind parameters, is a query (SELECT, INSERT,
 * UPDATE, DELETE, MERGE), none for such a text without them; undefined for any other text, or one that does not parse.
 */
export function namedQueryParameters(text: string): string[] | undefined {
  let tokens: { start: number; end: number; text?: string }[];
  const bytes = Buffer.from(text, 'utf8');
  try {
    tokens = (scanSync(text) as unknown as { tokens: { start: number; end: number; text?: string }[] }).tokens;
  } catch {
    return undefined;
  }
  const slice = (start: number, end: number): string => bytes.subarray(start, end).toString('utf8');
  // `:name` is a lone `:` token right before a name (a cast is one `::` token; strings and comments are one token).
  const params: string[] = [];
  const pieces: string[] = [];
  let at = 0;
  for (let i = 0; i + 1 < tokens.length; i++) {
    const colon = tokens[i]!;
    const name = tokens[i + 1]!;
    if (slice(colon.start, colon.end) !== ':' || name.start !== colon.end) continue;
    const word = slice(name.start, name.end);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(word)) continue;
    if (!params.includes(word)) params.push(word);
    pieces.push(slice(at, colon.start), `$${params.indexOf(word) + 1}`);
    at = name.end;
    i++;
  }
  pieces.push(slice(at, bytes.length));
  const parsed = parseSql(pieces.join(''));
  if (!parsed.ok || parsed.statements.length === 0) return undefined;
  const queries = parsed.statements.every((s) => Object.keys(s.stmt).every((k) => QUERY_STATEMENTS.has(k)));
  return queries ? params : undefined;
}

/**
 * For each file, a source file of the code that loads it: one in its own folder that reads that folder (`__dirname`,
 * `import.meta`), else any that names the file (`'createUser.sql'`, as a whole word of a path).
 */
function loadersOf(root: string, files: readonly string[], ignore: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const sources = walkFiles([root], { extensions: [...SOURCE_EXTENSIONS], ignore }, root).files;
  const texts = new Map<string, string | undefined>();
  const textOf = (f: string): string | undefined => {
    if (!texts.has(f)) texts.set(f, readText(f));
    return texts.get(f);
  };
  for (const file of files) {
    const dir = path.dirname(file);
    const beside = sources.find(
      (s) => path.dirname(s) === dir && /\b__dirname\b|\bimport\.meta\.(url|dirname)\b/.test(textOf(s) ?? ''),
    );
    if (beside) {
      out.set(file, beside);
      continue;
    }
    const re = new RegExp(`(^|[^\\w.-])${escape(path.basename(file))}`);
    const naming = sources.find((s) => re.test(textOf(s) ?? ''));
    if (naming) out.set(file, naming);
  }
  return out;
}
