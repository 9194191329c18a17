import fs from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import ts from '../ts.js';
import { adapterForModule, type DbAdapter } from '../adapters/index.js';
import { workspaceOf } from '../resolve/workspaces.js';

// Which database libraries a file can be using, from imports and dependencies, never from
// names. A builder write whose shape is the library's own (knex('t').insert(),
// db.insertInto('t'), db.insert(pgTableObject)) but whose connection cannot be traced (a
// knex destructured from a factory's result, a db from an import that does not resolve) is
// still that library's write when its file imports the library or the nearest package.json
// depends on it. Such a write is reported `unresolved`, never dropped.

const fileMemo = new WeakMap<ts.SourceFile, Set<DbAdapter>>();
interface Dependencies {
  libraries: Set<DbAdapter>;
  /** Packages installed from a registry (not workspace:, file: or link: ones, which are this repository's code). */
  external: Set<string>;
}
const dirMemo = new Map<string, Dependencies>();

/** Libraries the file imports or requires (any entry point). */
export function importedLibraries(sf: ts.SourceFile): Set<DbAdapter> {
  let found = fileMemo.get(sf);
  if (found) return found;
  found = new Set();
  const add = (spec: string): void => {
    const a = adapterForModule(spec);
    if (a) found!.add(a);
  };
  for (const st of sf.statements) {
    if (
      (ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) &&
      st.moduleSpecifier &&
      ts.isStringLiteral(st.moduleSpecifier)
    )
      add(st.moduleSpecifier.text);
  }
  // require('knex') and import('knex') anywhere in the file.
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && n.arguments.length === 1 && ts.isStringLiteralLike(n.arguments[0]!)) {
      if (
        (ts.isIdentifier(n.expression) && n.expression.text === 'require') ||
        n.expression.kind === ts.SyntaxKind.ImportKeyword
      )
        add(n.arguments[0].text);
    }
    ts.forEachChild(n, visit);
  };
  if (/\brequire\s*\(|\bimport\s*\(/.test(sf.text)) visit(sf);
  fileMemo.set(sf, found);
  return found;
}

/** Libraries the nearest package.json above the file lists as dependencies of any kind. */
export function dependedLibraries(fileName: string): Set<DbAdapter> {
  return dependencies(path.dirname(fileName)).libraries;
}

/**
 * Is this import specifier a package that rls-guard cannot read, rather than this
 * repository's own code that did not resolve (a path alias, a workspace package)?
 */
export function isInstalledPackage(fileName: string, specifier: string): boolean {
  // Node's own modules, with or without the `node:` prefix (`import crypto from 'crypto'`:
  // `createHash(…).update(…)` is no knex update).
  if (specifier.startsWith('node:') || isBuiltin(specifier)) return true;
  const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
  return dependencies(path.dirname(fileName)).external.has(name);
}

function dependencies(dir: string): Dependencies {
  const hit = dirMemo.get(dir);
  if (hit) return hit;
  let result: Dependencies = { libraries: new Set(), external: new Set() };
  let text: string | undefined;
  try {
    text = fs.readFileSync(path.join(dir, 'package.json'), 'utf8');
  } catch {
    text = undefined;
  }
  const local: string[] = [];
  if (text !== undefined) {
    try {
      const json = JSON.parse(text) as Record<string, unknown>;
      for (const key of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies']) {
        const deps = json[key];
        if (!deps || typeof deps !== 'object') continue;
        for (const [name, version] of Object.entries(deps as Record<string, unknown>)) {
          const a = adapterForModule(name);
          if (a) result.libraries.add(a);
          const own = typeof version === 'string' ? localPackageDir(dir, name, version) : undefined;
          if (own) local.push(own);
          else if (!(typeof version === 'string' && /^(workspace|file|link):/.test(version))) result.external.add(name);
        }
      }
    } catch {
      // An unreadable package.json says nothing about dependencies.
    }
  } else if (path.dirname(dir) !== dir) {
    result = dependencies(path.dirname(dir));
  }
  // Set before the packages of the repository it depends on are read: a cycle between them ends here.
  dirMemo.set(dir, result);
  // `"@acme/db": "workspace:*"`, whose own package.json depends on @prisma/client: a value it exports is that
  // library's, so `prisma.user.create(…)` in this package is a Prisma write even where `prisma` is untraced (a
  // Proxy, a lazy getter) and this package.json names no database library (AgConnect's services).
  for (const own of local) for (const a of dependencies(own).libraries) result.libraries.add(a);
  return result;
}

/** The folder of a dependency that is this repository's own package (`workspace:`, `file:`, `link:`), if found. */
function localPackageDir(dir: string, name: string, version: string): string | undefined {
  const linked = /^(file|link):(.+)$/.exec(version);
  if (linked) return path.resolve(dir, linked[2]!);
  if (!version.startsWith('workspace:')) return undefined;
  return workspaceOf(dir)?.packages.find((p) => p.name === name)?.dir;
}

/** Does the file use the library: imports it, or its package depends on it? */
export function usesLibrary(sf: ts.SourceFile, adapter: DbAdapter): boolean {
  return importedLibraries(sf).has(adapter) || dependedLibraries(sf.fileName).has(adapter);
}
