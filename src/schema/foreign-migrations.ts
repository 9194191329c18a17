import path from 'node:path';
import ts from '../ts.js';
import { readSource } from '../files/source.js';
import { walkFiles } from '../files/walk.js';
import { otherDialectSyntax } from '../sql/dialect.js';
import { toPosixRelative } from '../files/paths.js';

// Migration folders of another database. One repository may keep an on-device SQLite (or a
// MySQL) database beside its Postgres one; replaying its migrations into the Postgres model
// invents tables and buries the real diagnostics. A folder is set aside on evidence only:
// a drizzle config whose `dialect` is not Postgres names its `out` folder, or a file in the
// folder uses syntax only SQLite or ClickHouse has (read by the Postgres scanner). Every folder set aside is
// reported, with the evidence, as a schema diagnostic.

export interface ForeignFolder {
  /** Folder relative to the root, '/' separators. */
  folder: string;
  dialect: string;
  evidence: string;
}

const CONFIG_NAME = /^drizzle\.config\.([cm]?[jt]s|json)$/;
const NOT_POSTGRES = new Set(['sqlite', 'turso', 'mysql', 'singlestore']);
// drizzle-kit before 0.21 named the driver instead of the dialect.
const LEGACY_DRIVERS: Record<string, string> = {
  'better-sqlite': 'sqlite',
  libsql: 'sqlite',
  turso: 'sqlite',
  expo: 'sqlite',
  d1: 'sqlite',
  'd1-http': 'sqlite',
  mysql2: 'mysql',
};

export function foreignMigrationFolders(
  root: string,
  sqlFiles: readonly { path: string; text: string }[],
  ignore: readonly string[],
): ForeignFolder[] {
  const out = new Map<string, ForeignFolder>();
  for (const f of drizzleConfigs(root, ignore)) if (!out.has(f.folder)) out.set(f.folder, f);
  const byFolder = new Map<string, { path: string; text: string }[]>();
  for (const f of sqlFiles) {
    const dir = path.posix.dirname(f.path);
    byFolder.set(dir, [...(byFolder.get(dir) ?? []), f]);
  }
  for (const [dir, files] of byFolder) {
    if ([...out.keys()].some((k) => within(dir, k))) continue;
    for (const f of files) {
      const found = otherDialectSyntax(f.text);
      if (found) {
        const only = found.dialect === 'sqlite' ? 'SQLite' : 'ClickHouse';
        const evidence = `${f.path} uses ${found.found}, which only ${only} has`;
        out.set(dir, { folder: dir, dialect: found.dialect, evidence });
        break;
      }
    }
  }
  return [...out.values()];
}

/** Whether a relative path lies in (or is) a folder. */
export function within(file: string, folder: string): boolean {
  return folder === '.' || file === folder || file.startsWith(`${folder}/`);
}

/** The drizzle-kit config files under the root (each can say its migrations are for another database). */
export function drizzleConfigFiles(root: string, ignore: readonly string[]): string[] {
  const walked = walkFiles(
    [root],
    { extensions: ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs', '.json'], ignore: [...ignore] },
    root,
  );
  return walked.files.filter((file) => CONFIG_NAME.test(path.basename(file)));
}

function drizzleConfigs(root: string, ignore: readonly string[]): ForeignFolder[] {
  const found: ForeignFolder[] = [];
  for (const file of drizzleConfigFiles(root, ignore)) {
    const read = readSource(file);
    if (!read.ok) continue;
    const options = configOptions(file, read.text);
    const dialect = options.dialect ?? (options.driver ? LEGACY_DRIVERS[options.driver] : undefined);
    if (!dialect || !NOT_POSTGRES.has(dialect)) continue;
    const rel = toPosixRelative(root, path.resolve(path.dirname(file), options.out ?? 'drizzle')) || '.';
    found.push({
      folder: rel,
      dialect,
      evidence: `${toPosixRelative(root, file)} says dialect '${options.dialect ?? options.driver}'`,
    });
  }
  return found;
}

/** The constant `dialect`, `driver` and `out` of a drizzle config (TS/JS object literal or JSON). */
function configOptions(file: string, text: string): { dialect?: string; driver?: string; out?: string } {
  const sf = ts.createSourceFile(file, file.endsWith('.json') ? `(${text})` : text, ts.ScriptTarget.Latest, true);
  const options: { dialect?: string; driver?: string; out?: string } = {};
  const visit = (n: ts.Node): void => {
    if (
      ts.isPropertyAssignment(n) &&
      (ts.isIdentifier(n.name) || ts.isStringLiteral(n.name)) &&
      ts.isStringLiteralLike(n.initializer)
    ) {
      const key = n.name.text;
      if ((key === 'dialect' || key === 'driver' || key === 'out') && options[key] === undefined)
        options[key] = n.initializer.text;
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return options;
}
