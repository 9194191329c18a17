import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { toPosixRelative } from '../../src/files/paths.js';

// The project's own import graph, folded to layers, for test/layers.test.ts. Specifiers are
// read from TypeScript's syntax tree (static imports and exports, `import type`, `import()`)
// and resolved by ts.resolveModuleName with the project's compiler options, as tsc does.

export interface ImportEdge {
  /** Importing file, relative to the root, POSIX. */
  from: string;
  /** Imported file, relative to the root, POSIX. */
  to: string;
  /** The specifier as written. */
  specifier: string;
}

/** Every import between the project's own files under `dirs` (packages are left out). */
export function importEdges(root: string, dirs: readonly string[], options: ts.CompilerOptions): ImportEdge[] {
  const cache = ts.createModuleResolutionCache(root, (f) => f, options);
  const edges: ImportEdge[] = [];
  for (const file of dirs.flatMap((d) => sourceFiles(path.join(root, d)))) {
    const sf = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    for (const specifier of moduleSpecifiers(sf)) {
      const resolved = ts.resolveModuleName(specifier, file, options, ts.sys, cache).resolvedModule;
      if (!resolved || resolved.isExternalLibraryImport) continue;
      edges.push({ from: toPosixRelative(root, file), to: toPosixRelative(root, resolved.resolvedFileName), specifier });
    }
  }
  return edges;
}

/** The layer a file belongs to: its first path segment under src/ (a file there is its own), or the top folder. */
export function layerOf(file: string): string {
  const [top, next] = file.split('/');
  return top === 'src' && next ? `src/${next.replace(/\.[cm]?tsx?$/, '')}` : top!;
}

/**
 * The import edges that close a cycle between layers: those whose target layer reaches the
 * source layer again. Empty when the layers form a hierarchy.
 */
export function cycleEdges(edges: readonly ImportEdge[]): ImportEdge[] {
  const next = new Map<string, Set<string>>();
  for (const e of edges) {
    const [a, b] = [layerOf(e.from), layerOf(e.to)];
    if (a === b) continue;
    if (!next.has(a)) next.set(a, new Set());
    next.get(a)!.add(b);
  }
  // Reachability from each layer, once: there are a few dozen layers, so this stays small.
  const reach = new Map<string, Set<string>>();
  const reachable = (from: string): Set<string> => {
    let seen = reach.get(from);
    if (seen) return seen;
    seen = new Set();
    const stack = [from];
    while (stack.length) for (const n of next.get(stack.pop()!) ?? []) if (!seen.has(n)) (seen.add(n), stack.push(n));
    reach.set(from, seen);
    return seen;
  };
  return edges.filter((e) => layerOf(e.from) !== layerOf(e.to) && reachable(layerOf(e.to)).has(layerOf(e.from)));
}

function moduleSpecifiers(sf: ts.SourceFile): string[] {
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      out.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg && ts.isStringLiteralLike(arg)) out.push(arg.text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      out.push(node.argument.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

function sourceFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.[cm]?ts$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}
