import ts from '../ts.js';
import { type Binding, lookup } from './scope.js';
import { isLibraryModule } from '../adapters/libraries.js';
import type { SourceHost } from './source-host.js';

// Follows imports to the declaration a module exports, across re-exports, without a program.

export type ExportTarget =
  | { kind: 'binding'; sf: ts.SourceFile; binding: Binding }
  | { kind: 'expression'; sf: ts.SourceFile; expr: ts.Expression }
  | { kind: 'module'; sf: ts.SourceFile }
  | { kind: 'external'; module: string; name: string };

const MAX_DEPTH = 12;

/** Resolves an import binding to what the imported module exports under that name. */
export function resolveImport(
  host: SourceHost,
  fromFile: string,
  binding: Extract<Binding, { kind: 'import' }>,
): ExportTarget | undefined {
  const library = host.libraryFor?.(fromFile, binding.module);
  if (library) return { kind: 'external', module: library, name: binding.imported };
  const target = host.resolveModule(fromFile, binding.module);
  if (!target) {
    if (binding.module.startsWith('.')) return undefined;
    return { kind: 'external', module: binding.module, name: binding.imported };
  }
  const sf = host.getSourceFile(target);
  if (!sf) return undefined;
  if (binding.imported === '*') return { kind: 'module', sf };
  return resolveExport(host, sf, binding.imported, 0);
}

export function resolveExport(
  host: SourceHost,
  sf: ts.SourceFile,
  name: string,
  depth: number,
): ExportTarget | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const index = exportIndex(sf);
  const st = index.first.get(name);
  if (st) return exportedBy(host, sf, st, name, depth);
  for (const from of index.starSources) {
    const file = host.resolveModule(sf.fileName, from);
    const target = file ? host.getSourceFile(file) : undefined;
    const found = target ? resolveExport(host, target, name, depth + 1) : undefined;
    if (found) return found;
  }
  // A wrapper that re-exports a database library (`export * from 'slonik'`) exports its names:
  // the first such library is read as the source of a name no module of the project declares.
  for (const from of index.starSources) {
    const library = host.libraryFor?.(sf.fileName, from) ?? (isLibraryModule(from) ? from : undefined);
    if (library) return { kind: 'external', module: library, name };
  }
  return undefined;
}

/**
 * Per module, the first statement that exports each name, and its `export *` sources in
 * order. Built once per file: a barrel that re-exports hundreds of names was otherwise
 * scanned statement by statement for every name imported from it.
 */
interface ExportIndex {
  first: Map<string, ts.Statement>;
  starSources: string[];
}

const exportIndexes = new WeakMap<ts.SourceFile, ExportIndex>();

function exportIndex(sf: ts.SourceFile): ExportIndex {
  let index = exportIndexes.get(sf);
  if (index) return index;
  index = { first: new Map(), starSources: [] };
  for (const st of sf.statements) {
    for (const name of exportedNames(st, index.starSources)) if (!index.first.has(name)) index.first.set(name, st);
  }
  exportIndexes.set(sf, index);
  return index;
}

/** The names a top-level statement exports (the names `exportedBy` answers for it); collects `export *` sources. */
function exportedNames(st: ts.Statement, starSources: string[]): string[] {
  if (ts.isExportDeclaration(st)) {
    const from = st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier) ? st.moduleSpecifier.text : undefined;
    if (!st.exportClause) {
      if (from) starSources.push(from);
      return [];
    }
    if (ts.isNamespaceExport(st.exportClause)) return from ? [st.exportClause.name.text] : [];
    return st.exportClause.elements.map((el) => el.name.text);
  }
  if (ts.isExportAssignment(st)) return st.isExportEquals ? [] : ['default'];
  if (!hasExportModifier(st)) return [];
  if (hasDefaultModifier(st)) return ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st) ? ['default'] : [];
  return declaredNames(st);
}

/** What the statement `exportedNames` listed under `name` exports under it. */
function exportedBy(
  host: SourceHost,
  sf: ts.SourceFile,
  st: ts.Statement,
  name: string,
  depth: number,
): ExportTarget | undefined {
  if (ts.isExportDeclaration(st)) {
    const from = st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier) ? st.moduleSpecifier.text : undefined;
    const library = from ? host.libraryFor?.(sf.fileName, from) : undefined;
    if (st.exportClause && ts.isNamespaceExport(st.exportClause)) {
      if (!from) return undefined;
      if (library) return { kind: 'external', module: library, name: '*' };
      const file = host.resolveModule(sf.fileName, from);
      const target = file ? host.getSourceFile(file) : undefined;
      return target
        ? { kind: 'module', sf: target }
        : from.startsWith('.')
          ? undefined
          : { kind: 'external', module: from, name: '*' };
    }
    const el = st.exportClause?.elements.find((e) => e.name.text === name);
    if (!el) return undefined;
    const local = (el.propertyName ?? el.name).text;
    if (from) {
      if (library) return { kind: 'external', module: library, name: local };
      const file = host.resolveModule(sf.fileName, from);
      const target = file ? host.getSourceFile(file) : undefined;
      if (!target) return from.startsWith('.') ? undefined : { kind: 'external', module: from, name: local };
      return resolveExport(host, target, local, depth + 1);
    }
    return localTarget(host, sf, local, depth);
  }
  if (ts.isExportAssignment(st)) return { kind: 'expression', sf, expr: st.expression };
  if (hasDefaultModifier(st)) {
    const named = (st as ts.FunctionDeclaration | ts.ClassDeclaration).name;
    return named ? localTarget(host, sf, named.text, depth) : undefined;
  }
  return localTarget(host, sf, name, depth);
}

function localTarget(host: SourceHost, sf: ts.SourceFile, name: string, depth: number): ExportTarget | undefined {
  const binding = moduleBinding(sf, name);
  if (!binding) return undefined;
  if (binding.kind === 'import') {
    const resolved = resolveImport(host, sf.fileName, binding);
    if (resolved || depth > MAX_DEPTH) return resolved;
  }
  return { kind: 'binding', sf, binding };
}

/** The module-level binding of a name (resolved from a synthetic position at the file's top). */
export function moduleBinding(sf: ts.SourceFile, name: string): Binding | undefined {
  const probe = ts.factory.createIdentifier(name);
  (probe as { parent: ts.Node }).parent = sf;
  return lookup(probe);
}

function hasExportModifier(st: ts.Statement): boolean {
  return ts.canHaveModifiers(st) && (ts.getModifiers(st) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
}

function hasDefaultModifier(st: ts.Statement): boolean {
  return ts.canHaveModifiers(st) && (ts.getModifiers(st) ?? []).some((m) => m.kind === ts.SyntaxKind.DefaultKeyword);
}

/** Every name a declaration statement declares at the module's top level. */
function declaredNames(st: ts.Statement): string[] {
  if (ts.isVariableStatement(st)) {
    const names: string[] = [];
    const collect = (n: ts.BindingName): void => {
      if (ts.isIdentifier(n)) names.push(n.text);
      else for (const el of n.elements) if (!ts.isOmittedExpression(el)) collect(el.name);
    };
    for (const d of st.declarationList.declarations) collect(d.name);
    return names;
  }
  if ((ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st) || ts.isEnumDeclaration(st)) && st.name)
    return [st.name.text];
  // A type alias (`export type Db = ReturnType<typeof buildClient>`): read for what it names.
  // An interface (`export interface Database`): read for the classes that implement it (analysis/interface-calls.ts).
  if (ts.isTypeAliasDeclaration(st) || ts.isInterfaceDeclaration(st)) return [st.name.text];
  return [];
}

function declaresName(st: ts.Statement, name: string): boolean {
  if (ts.isVariableStatement(st)) {
    return st.declarationList.declarations.some((d) => {
      let found = false;
      const check = (n: ts.BindingName): void => {
        if (ts.isIdentifier(n)) found ||= n.text === name;
        else for (const el of n.elements) if (!ts.isOmittedExpression(el)) check(el.name);
      };
      check(d.name);
      return found;
    });
  }
  if (ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st) || ts.isEnumDeclaration(st))
    return st.name?.text === name;
  // A type alias (`export type Db = ReturnType<typeof buildClient>`): read for what it names.
  if (ts.isTypeAliasDeclaration(st)) return st.name.text === name;
  return false;
}

/** True when a module-level binding is visible to other modules. */
export function isExported(sf: ts.SourceFile, name: string): boolean {
  for (const st of sf.statements) {
    if (ts.isExportDeclaration(st) && !st.moduleSpecifier && st.exportClause && ts.isNamedExports(st.exportClause)) {
      if (st.exportClause.elements.some((el) => (el.propertyName ?? el.name).text === name)) return true;
    } else if (ts.isExportAssignment(st) && ts.isIdentifier(st.expression) && st.expression.text === name) {
      return true;
    } else if (hasExportModifier(st) && declaresName(st, name)) {
      return true;
    }
  }
  return false;
}
