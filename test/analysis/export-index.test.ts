import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { type ExportTarget, resolveExport } from '../../src/code/modules.js';
import { moduleBinding } from '../../src/code/modules.js';
import { type SourceHost } from '../../src/code/source-host.js';
import { parseSource } from '../../src/files/source.js';

// resolveExport answers from a per-module index (the first statement exporting each name,
// the `export *` sources in order) instead of scanning the module's statements for every
// name. This holds it to the scan it replaced, kept below as the reference, on modules
// built to tell them apart: a name exported twice (the first wins), star re-exports in
// order, every form of default export, namespace re-exports, renames, destructuring.

const MODULES: Record<string, string> = {
  '/m/barrel.ts': [
    `export * from './a';`,
    `export * from './b';`,
    `export * from 'pg';`,
    `export { one as uno, two } from './a';`,
    `export * as bee from './b';`,
    `export * as gone from './missing';`,
    `export * as lib from 'kysely';`,
    `export { three as two } from './b';`,
    `export { nothere } from './missing';`,
    `export { fromPkg } from 'some-package';`,
    `export { Pool as P } from 'pg';`,
    `import { local } from './a';`,
    `export { local as relocal };`,
    `export const { d1, d2: [d3, , d4] } = source();`,
    `export function two() {}`,
    `export default function () {}`,
  ].join('\n'),
  '/m/a.ts': [
    `export const one = 1, shared = 'a';`,
    `export function two() {}`,
    `export class Three {}`,
    `export enum Four { X }`,
    `export const local = 4;`,
    `const hidden = 5;`,
    `export { hidden as shown, hidden };`,
    `export default class Named {}`,
    `export interface OnlyType { x: number }`,
  ].join('\n'),
  '/m/b.ts': [
    `export const shared = 'b';`,
    `export const three = 3;`,
    `export * from './a';`,
    `export default 42;`,
    `export default 43;`,
  ].join('\n'),
  '/m/eq.ts': `const x = 1;\nexport = x;`,
  '/m/cycle.ts': `export * from './cycle2';\nexport const c1 = 1;`,
  '/m/cycle2.ts': `export * from './cycle';\nexport const c2 = 2;`,
};

const NAMES = ['one', 'uno', 'two', 'three', 'Three', 'Four', 'shared', 'local', 'relocal', 'hidden', 'shown', 'default', 'bee', 'gone', 'lib', 'nothere', 'fromPkg', 'P', 'Pool', 'd1', 'd2', 'd3', 'd4', 'OnlyType', 'x', 'c1', 'c2', 'absent', '__proto__', 'constructor'];

function host(): SourceHost {
  const files = new Map(Object.entries(MODULES).map(([f, text]) => [f, parseSource(f, text)]));
  return {
    getSourceFile: (f) => files.get(f),
    resolveModule: (from, spec) => {
      if (!spec.startsWith('.')) return undefined;
      const target = `${path.posix.resolve(path.posix.dirname(from), spec)}.ts`;
      return files.has(target) ? target : undefined;
    },
    libraryFor: (_from, spec) => (spec === 'pg' || spec === 'kysely' ? spec : undefined),
  };
}

/** The statement-by-statement scan resolveExport used before the index (the reference). */
function scanned(h: SourceHost, sf: ts.SourceFile, name: string, depth: number): ExportTarget | undefined {
  if (depth > 12) return undefined;
  const exported = (st: ts.Statement, kind: ts.SyntaxKind): boolean => ts.canHaveModifiers(st) && (ts.getModifiers(st) ?? []).some((m) => m.kind === kind);
  const declares = (st: ts.Statement): boolean => {
    if (ts.isVariableStatement(st)) {
      const names: string[] = [];
      const collect = (n: ts.BindingName): void => {
        if (ts.isIdentifier(n)) names.push(n.text);
        else for (const el of n.elements) if (!ts.isOmittedExpression(el)) collect(el.name);
      };
      for (const d of st.declarationList.declarations) collect(d.name);
      return names.includes(name);
    }
    // Type aliases and interfaces are exported names too (the index reads them: a `ReturnType` alias, the classes
    // implementing an interface), and a local one shadows the same name from an `export *`.
    if (ts.isTypeAliasDeclaration(st) || ts.isInterfaceDeclaration(st)) return st.name.text === name;
    return (ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st) || ts.isEnumDeclaration(st)) && st.name?.text === name;
  };
  const local = (n: string): ExportTarget | undefined => {
    const binding = moduleBinding(sf, n);
    if (!binding) return undefined;
    if (binding.kind === 'import') {
      const file = h.resolveModule(sf.fileName, binding.module);
      const target = file ? h.getSourceFile(file) : undefined;
      const resolved = target ? scanned(h, target, binding.imported, depth + 1) : undefined;
      if (resolved) return resolved;
    }
    return { kind: 'binding', sf, binding };
  };
  const stars: string[] = [];
  for (const st of sf.statements) {
    if (ts.isExportDeclaration(st)) {
      const from = st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier) ? st.moduleSpecifier.text : undefined;
      if (!st.exportClause) {
        if (from) stars.push(from);
        continue;
      }
      const library = from ? h.libraryFor?.(sf.fileName, from) : undefined;
      if (ts.isNamespaceExport(st.exportClause)) {
        if (st.exportClause.name.text === name && from) {
          if (library) return { kind: 'external', module: library, name: '*' };
          const file = h.resolveModule(sf.fileName, from);
          const target = file ? h.getSourceFile(file) : undefined;
          return target ? { kind: 'module', sf: target } : from.startsWith('.') ? undefined : { kind: 'external', module: from, name: '*' };
        }
        continue;
      }
      for (const el of st.exportClause.elements) {
        if (el.name.text !== name) continue;
        const l = (el.propertyName ?? el.name).text;
        if (from) {
          if (library) return { kind: 'external', module: library, name: l };
          const file = h.resolveModule(sf.fileName, from);
          const target = file ? h.getSourceFile(file) : undefined;
          if (!target) return from.startsWith('.') ? undefined : { kind: 'external', module: from, name: l };
          return scanned(h, target, l, depth + 1);
        }
        return local(l);
      }
    } else if (ts.isExportAssignment(st) && !st.isExportEquals && name === 'default') {
      return { kind: 'expression', sf, expr: st.expression };
    } else if (exported(st, ts.SyntaxKind.ExportKeyword)) {
      if (name === 'default' && exported(st, ts.SyntaxKind.DefaultKeyword) && (ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st))) {
        return st.name ? local(st.name.text) : undefined;
      }
      if (declares(st) && !exported(st, ts.SyntaxKind.DefaultKeyword)) return local(name);
    }
  }
  for (const from of stars) {
    const file = h.resolveModule(sf.fileName, from);
    const target = file ? h.getSourceFile(file) : undefined;
    const found = target ? scanned(h, target, name, depth + 1) : undefined;
    if (found) return found;
  }
  for (const from of stars) {
    const library = h.libraryFor?.(sf.fileName, from);
    if (library) return { kind: 'external', module: library, name };
  }
  return undefined;
}

/** A target as comparable data: which file, which declaration or expression (by position), which package. */
function describe_(t: ExportTarget | undefined): unknown {
  if (!t) return null;
  switch (t.kind) {
    case 'binding':
      return { kind: t.kind, file: t.sf.fileName, binding: t.binding.kind, name: t.binding.name, at: t.binding.decl.pos };
    case 'expression':
      return { kind: t.kind, file: t.sf.fileName, at: t.expr.pos };
    case 'module':
      return { kind: t.kind, file: t.sf.fileName };
    case 'external':
      return t;
  }
}

describe('export index', () => {
  it('answers every name of every module as the statement scan did', () => {
    const h = host();
    let answered = 0;
    for (const file of Object.keys(MODULES)) {
      const sf = h.getSourceFile(file)!;
      for (const name of NAMES) {
        const expected = describe_(scanned(h, sf, name, 0));
        expect(describe_(resolveExport(h, sf, name, 0)), `${file} ${name}`).toEqual(expected);
        if (expected) answered++;
      }
    }
    // The cases must exercise answers, not only misses.
    expect(answered).toBeGreaterThan(40);
  });

  it('takes the first statement exporting a name, then star sources in order', () => {
    const h = host();
    const barrel = h.getSourceFile('/m/barrel.ts')!;
    // `export { one as uno, two } from './a'` comes before `export function two`: a's two.
    expect(describe_(resolveExport(h, barrel, 'two', 0))).toMatchObject({ file: '/m/a.ts', name: 'two' });
    // shared is a's (the first star source), not b's.
    expect(describe_(resolveExport(h, barrel, 'shared', 0))).toMatchObject({ file: '/m/a.ts', name: 'shared' });
    // A name no project module exports is read as the first re-exported library's.
    expect(resolveExport(h, barrel, 'absent', 0)).toEqual({ kind: 'external', module: 'pg', name: 'absent' });
    // b's first `export default` wins.
    const b = h.getSourceFile('/m/b.ts')!;
    const first = resolveExport(h, b, 'default', 0);
    expect(first?.kind === 'expression' && first.expr.getText(b)).toBe('42');
  });
});
