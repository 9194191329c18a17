import fs from 'node:fs';
import path from 'node:path';
import ts from '../ts.js';
import { parseSource, sharedRead, SOURCE_EXTENSIONS } from '../files/source.js';
import { walkFiles } from '../files/walk.js';
import { toPosixRelative } from '../files/paths.js';
import { type InputStore, rememberedFileScan } from '../files/input-store.js';
import { skipOuter } from '../syntax/wrappers.js';
import { runsConstantDdl } from './code-migrations.js';
import { setAsideKind } from '../report/set-aside.js';
import { type SetupShape, setupShape } from './synchronize.js';

// Code migrations recognised by what they are, not where they sit: a folder of modules that each export an `up` and a
// `down` (Logto's `packages/schemas/alterations/*.ts`: `export default { up, down }`; knex's `exports.up` and
// `exports.down`; a TypeORM class with `up` and `down` methods) is a folder of migrations whatever it is called. Their
// DDL is read for the model (schema/discover.ts) and their writes are set aside as migrations (report/set-aside.ts),
// not as app writes.
// Both `up` and `down` are required, as functions, and at least MIN_SIBLINGS such modules in one folder: an app module
// that exports an `up` for something else (a counter, a health probe) is not one, nor is a lone pair.
// A start-up script is one by itself: a module without an `up` that runs a constant array of schema statements in a
// loop (`for (const m of MIGRATIONS) await db.execute(sql.raw(m))`, irongate2's `auto-migrate.ts`), outside the tests.
// It runs when the app starts, after the deployment's migrations: discovery replays it after them.

/** Modules of that shape one folder must hold for them to count as migrations. */
export const MIN_SIBLINGS = 3;
const MAX_BYTES = 2_000_000;

const cache = new Map<string, { stamp: string; found: Shaped[] }>();

/** A file of migration shape: a module exporting `up` and `down`, or a start-up script of constant statements. */
interface Shaped {
  file: string;
  startup?: true;
  /** A module whose schema TypeORM's synchronize makes (schema/synchronize.ts). */
  setup?: SetupShape;
}

/** The source files (absolute paths) under `root` that are code migrations by their shape and their siblings'. */
export function codeMigrationsByShape(root: string, ignore: readonly string[], inputs?: InputStore): Set<string> {
  const { modules, startup, setup } = migrationsByShape(root, ignore, inputs);
  return new Set([...modules, ...startup, ...setup.filter((s) => s.shape.setup === 'script').map((s) => s.file)]);
}

/** Both kinds apart: folders of `up`/`down` modules, and start-up scripts (replayed after every other migration). */
export function migrationsByShape(
  root: string,
  ignore: readonly string[],
  inputs?: InputStore,
): { modules: string[]; startup: string[]; setup: { file: string; shape: SetupShape }[] } {
  const walked = walkFiles([root], { extensions: SOURCE_EXTENSIONS, ignore: [...ignore] }, root);
  const files = walked.files.filter((f) => !/\.d\.[cm]?ts$/.test(f));
  const shaped = inputs ? rememberedScan(root, files, inputs) : scanned(root, files);
  const byFolder = new Map<string, string[]>();
  for (const f of shaped) {
    if (f.startup || f.setup) continue;
    const folder = path.dirname(f.file);
    const list = byFolder.get(folder);
    if (list) list.push(f.file);
    else byFolder.set(folder, [f.file]);
  }
  return {
    modules: [...byFolder.values()].filter((list) => list.length >= MIN_SIBLINGS).flat(),
    startup: shaped
      .filter((f) => f.startup && setAsideKind(toPosixRelative(root, f.file)) !== 'tests')
      .map((f) => f.file),
    setup: shaped
      .filter((f) => f.setup && setAsideKind(toPosixRelative(root, f.file)) !== 'tests')
      .map((f) => ({ file: f.file, shape: f.setup! })),
  };
}

/** Without the audit's input store (the ESLint plugin, the API): per process, while no file's stat changes. */
function scanned(root: string, files: readonly string[]): Shaped[] {
  const stamps = files.map((f) => {
    // Within an audit run the listing's stat of the file (files/source.ts `sharedRead`), not a second one.
    const known = sharedRead(f);
    if (known) return `${f}:${known.size}:${known.mtimeMs}`;
    try {
      const st = fs.statSync(f);
      return `${f}:${st.size}:${st.mtimeMs}`;
    } catch {
      return `${f}:missing`;
    }
  });
  const stamp = stamps.join('\n');
  const hit = cache.get(root);
  if (hit && hit.stamp === stamp) return hit.found;
  const found = files.flatMap((f) => fileShape(f, f));
  cache.set(root, { stamp, found });
  return found;
}

/** With it: kept by every file's path and content hash (rememberedFileScan), each file's answer by its own. */
function rememberedScan(root: string, files: readonly string[], inputs: InputStore): Shaped[] {
  const relative = (f: string): string => toPosixRelative(root, f);
  const options = { section: 'migration-shape-3', maxBytes: MAX_BYTES, relative };
  const found = rememberedFileScan(files, inputs, options, (f) => fileShape(f, relative(f)));
  return found.map((f) => ({ ...f, file: path.resolve(root, f.file) }));
}

function fileShape(file: string, name: string): Shaped[] {
  let text: string;
  const known = sharedRead(file);
  if (known) {
    // The text the audit's listing read, the same as this scan's own read would be.
    if (known.size > MAX_BYTES) return [];
    text = known.text;
  } else
    try {
      if (fs.statSync(file).size > MAX_BYTES) return [];
      text = fs.readFileSync(file, 'utf8');
    } catch {
      return []; // unreadable: the walker reports it
    }
  // Both words must appear for the module to export both: most files are skipped without a parse.
  if (/\bup\b/.test(text) && /\bdown\b/.test(text) && hasMigrationShape(parseSource(file, text)))
    return [{ file: name }];
  // A start-up script names a schema statement somewhere in its text (a pre-filter; the statements are parsed).
  if (STARTUP_WORDS.test(text) && runsConstantDdl(file, text)) return [{ file: name, startup: true }];
  const setup = setupShape(file, text);
  return setup ? [{ file: name, setup }] : [];
}

const STARTUP_WORDS = /\b(CREATE|ALTER)\s+(TABLE|POLICY)\b|\bROW\s+LEVEL\s+SECURITY\b/i;

/**
 * Whether a module exports an `up` and a `down` function: named (`export function up`, `export const up = …`,
 * `exports.up = …`, `export { up, down }`), as members of its default export (`export default { up, down }`, or a
 * const holding such an object, `module.exports = { … }`), or as methods of an exported class (TypeORM).
 */
export function hasMigrationShape(sf: ts.SourceFile): boolean {
  const named = new Set<string>();
  const locals = new Map<string, ts.Node>();
  for (const st of sf.statements) {
    if (ts.isFunctionDeclaration(st) && st.name) locals.set(st.name.text, st);
    if (ts.isVariableStatement(st))
      for (const d of st.declarationList.declarations)
        if (ts.isIdentifier(d.name) && d.initializer) locals.set(d.name.text, skipOuter(d.initializer));
    if (ts.isClassDeclaration(st) && st.name) locals.set(st.name.text, st);
  }
  const isFunction = (n: ts.Node | undefined, depth = 0): boolean =>
    !!n && (ts.isFunctionLike(n) || (depth < 3 && ts.isIdentifier(n) && isFunction(locals.get(n.text), depth + 1)));
  /** `{ up, down }` as an object literal or a class, or an identifier holding one. */
  const holdsBoth = (n: ts.Node | undefined, seen = 0): boolean => {
    if (!n || seen > 2) return false;
    const e = ts.isExpression(n) ? skipOuter(n) : n;
    if (ts.isIdentifier(e)) return holdsBoth(locals.get(e.text), seen + 1);
    if (ts.isClassLike(e))
      return ['up', 'down'].every((m) => e.members.some((x) => memberIsFunction(x, m, isFunction)));
    if (ts.isObjectLiteralExpression(e))
      return ['up', 'down'].every((m) => e.properties.some((x) => memberIsFunction(x, m, isFunction)));
    return false;
  };
  const exported = (n: ts.Node): boolean =>
    ts.canHaveModifiers(n) && !!ts.getModifiers(n)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  for (const st of sf.statements) {
    if (ts.isFunctionDeclaration(st) && st.name && exported(st)) named.add(st.name.text);
    if (ts.isVariableStatement(st) && exported(st))
      for (const d of st.declarationList.declarations)
        if (ts.isIdentifier(d.name) && isFunction(d.initializer && skipOuter(d.initializer))) named.add(d.name.text);
    if (ts.isClassDeclaration(st) && exported(st) && holdsBoth(st)) return true;
    if (ts.isExportAssignment(st) && holdsBoth(st.expression)) return true;
    if (ts.isExportDeclaration(st) && st.exportClause && ts.isNamedExports(st.exportClause))
      for (const el of st.exportClause.elements)
        if (isFunction(locals.get((el.propertyName ?? el.name).text))) named.add(el.name.text);
    if (ts.isExpressionStatement(st) && ts.isBinaryExpression(st.expression)) {
      const { left, right, operatorToken } = st.expression;
      if (operatorToken.kind !== ts.SyntaxKind.EqualsToken) continue;
      // module.exports = { up, down }
      if (isModuleExports(left) && holdsBoth(right)) return true;
      // exports.up = …, module.exports.up = …
      if (ts.isPropertyAccessExpression(left) && isExportsObject(left.expression) && isFunction(skipOuter(right)))
        named.add(left.name.text);
    }
  }
  return named.has('up') && named.has('down');
}

function memberIsFunction(
  m: ts.ObjectLiteralElementLike | ts.ClassElement,
  name: string,
  isFunction: (n: ts.Node | undefined) => boolean,
): boolean {
  if (!m.name || !(ts.isIdentifier(m.name) || ts.isStringLiteral(m.name)) || m.name.text !== name) return false;
  if (ts.isMethodDeclaration(m)) return true;
  if (ts.isPropertyAssignment(m)) return isFunction(skipOuter(m.initializer));
  if (ts.isShorthandPropertyAssignment(m)) return isFunction(m.name);
  if (ts.isPropertyDeclaration(m)) return !!m.initializer && isFunction(skipOuter(m.initializer));
  return false;
}

function isModuleExports(e: ts.Expression): boolean {
  return (
    ts.isPropertyAccessExpression(e) &&
    ts.isIdentifier(e.expression) &&
    e.expression.text === 'module' &&
    e.name.text === 'exports'
  );
}

function isExportsObject(e: ts.Expression): boolean {
  return (ts.isIdentifier(e) && e.text === 'exports') || isModuleExports(e);
}
