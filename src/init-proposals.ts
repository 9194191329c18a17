import fs from 'node:fs';
import path from 'node:path';
import ts from './ts.js';
import { adapters } from './adapters/index.js';
import { SOURCE_EXTENSIONS } from './files/source.js';
import { walkFiles } from './files/walk.js';
import { readManifest } from './resolve/workspaces.js';
import { toPosixRelative } from './files/paths.js';

// What `rls-guard init` proposes beyond the libraries and helpers it sees directly: the
// migration folders (only folders whose SQL defines schema, never the whole repository),
// where RLS is switched on when the proposal gates nothing, and library aliases for forks
// and re-exporting wrappers of supported libraries.

const TEST_PATH = /(^|\/)(test|tests|__tests__|__mocks__|spec|e2e|fixtures?)(\/|$)|\.(test|spec)\.[cm]?[jt]sx?$/;
/** SQL that builds a schema: what a migration holds and a query file or seed does not. */
const DDL = new RegExp(
  String.raw`\b(create\s+(or\s+replace\s+)?(table|policy|function|schema|view|type|index|trigger)` +
    String.raw`|alter\s+table|enable\s+row\s+level\s+security)\b`,
  'i',
);
const ENABLES_RLS = /enable\s+row\s+level\s+security|\bpgPolicy\s*\(|\.enableRLS\s*\(/i;

/** Words that make a package an add-on of a library (an interceptor, a type generator), not a fork of it. */
const ADD_ON_WORDS = new Set([
  'interceptor',
  'interceptors',
  'plugin',
  'plugins',
  'utils',
  'util',
  'types',
  'typegen',
  'codegen',
  'migrate',
  'migrations',
  'migrator',
  'adapter',
  'dialect',
  'zod',
  'generator',
  'cli',
  'mock',
  'test',
  'testing',
  'eslint',
]);

export function isTestPath(relPath: string): boolean {
  return TEST_PATH.test(relPath);
}

/**
 * Folders holding schema-defining .sql files (test folders left out), without those inside
 * another proposed folder. SQL files at the root are proposed one by one: "." would make
 * every .sql file of the repository a migration.
 */
export function proposeMigrations(root: string, sqlFiles: readonly string[]): string[] {
  const holding = new Set<string>();
  for (const file of sqlFiles) {
    const relPath = toPosixRelative(root, file);
    if (isTestPath(relPath) || !DDL.test(readText(file))) continue;
    holding.add(path.posix.dirname(relPath) === '.' ? relPath : path.posix.dirname(relPath));
  }
  const list = foldersPerMigration(root, [...holding].sort());
  return list.filter((f) => !list.some((o) => o !== f && f.startsWith(`${o}/`)));
}

/** A folder named for a migration's version: Prisma's `20240101120000_init`, diesel's `2024-01-01-120000_init`. */
const VERSION_FOLDER = /^\d/;

/**
 * Prisma and diesel keep one folder per migration (`prisma/migrations/20240101120000_init/migration.sql`). Proposed
 * one by one, the folders whose SQL is no schema (a `CREATE ROLE` in a `DO` block, `GRANT`s, `ALTER TYPE … ADD VALUE`)
 * would be left out of the replay, and so would every migration added after `init`: their parent is proposed instead,
 * when all it holds for the walk is `.sql` files in folders named for a version.
 */
function foldersPerMigration(root: string, folders: string[]): string[] {
  const parents = new Set<string>();
  for (const f of folders) {
    const parent = path.posix.dirname(f);
    if (parent !== '.' && VERSION_FOLDER.test(path.posix.basename(f))) parents.add(parent);
  }
  const collapsed = [...parents].filter((parent) => {
    const files = walkFiles([path.join(root, parent)], { extensions: ['.sql', ...SOURCE_EXTENSIONS] }, root).files;
    return files.every((file) => {
      const segments = path.posix.relative(parent, toPosixRelative(root, file)).split('/');
      return segments.length === 2 && VERSION_FOLDER.test(segments[0]!) && file.endsWith('.sql');
    });
  });
  if (!collapsed.length) return folders;
  const kept = folders.filter((f) => !collapsed.includes(path.posix.dirname(f)));
  return [...kept, ...collapsed].sort();
}

/**
 * Folders whose files switch RLS on (`ENABLE ROW LEVEL SECURITY` in SQL, Drizzle `pgPolicy`/`.enableRLS()`), for the
 * 0-gated-tables warning.
 */
export function foldersEnablingRls(root: string): string[] {
  const files = walkFiles([root], { extensions: ['.sql', ...SOURCE_EXTENSIONS] }, root).files;
  const folders = new Set<string>();
  for (const file of files)
    if (ENABLES_RLS.test(readText(file))) folders.add(path.posix.dirname(toPosixRelative(root, file)));
  return [...folders].sort();
}

/**
 * `libraries` entries: dependencies that fork a supported library (a name containing the
 * library's, or an `npm:slonik@…` alias) and packages of the repository whose module only
 * re-exports one (`export * from 'slonik'`).
 */
export function proposeLibraryAliases(
  root: string,
  dependencies: Record<string, string>,
  sources: readonly ts.SourceFile[],
): Record<string, string> {
  const supported = [...new Set(adapters.flatMap((a) => a.modules))].sort((a, b) => b.length - a.length);
  const out: Record<string, string> = {};
  for (const [name, version] of Object.entries(dependencies)) {
    if (supported.includes(name)) continue;
    const aliased = /^npm:((?:@[^/@]+\/)?[^@]+)@/.exec(version)?.[1];
    const words = name.split(/[/@-]/);
    const plugin = words.some((w) => ADD_ON_WORDS.has(w));
    const target =
      aliased && supported.includes(aliased)
        ? aliased
        : plugin
          ? undefined
          : supported.find((lib) => !lib.startsWith('@') && lib.length > 3 && words.includes(lib));
    if (target) out[name] = target;
  }
  const rootName = readManifest(root)?.name;
  for (const sf of sources) {
    const library = onlyReexports(sf, supported);
    const pkg = library ? owningPackage(path.dirname(sf.fileName)) : undefined;
    if (library && pkg && pkg !== rootName && !(pkg in out)) out[pkg] = library;
  }
  return out;
}

/** The one supported library a module does nothing but re-export, if so. */
function onlyReexports(sf: ts.SourceFile, supported: readonly string[]): string | undefined {
  const from = new Set<string>();
  for (const st of sf.statements) {
    if (!ts.isExportDeclaration(st) || !st.moduleSpecifier || !ts.isStringLiteral(st.moduleSpecifier)) return undefined;
    from.add(st.moduleSpecifier.text);
  }
  const [only] = from;
  return from.size === 1 && supported.includes(only!) ? only : undefined;
}

function owningPackage(dir: string): string | undefined {
  for (let d = dir; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, 'package.json'))) return readManifest(d)?.name;
    if (path.dirname(d) === d) return undefined;
  }
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

