import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { parseSource, setParents, scriptKind } from '../../src/files/source.js';
import { sourcesUnder } from '../support/fixture-sources.js';

// parseSource sets the parents itself (setParents) instead of asking createSourceFile to (TypeScript's
// setParentRecursive allocated two work-queue entries per node). Every reader of a tree walks up through `parent`, so
// the trees must be the same: each node's parent, compared with a parse where TypeScript set them.

/** Every node in pre-order (JSDoc comments after a node's children), each with its parent's index (-1: none). */
function parents(sf: ts.Node): number[] {
  const index = new Map<ts.Node, number>();
  const out: number[] = [];
  const visit = (n: ts.Node): void => {
    index.set(n, out.length);
    out.push(n.parent ? (index.get(n.parent) ?? -2) : -1);
    ts.forEachChild(n, visit);
    for (const doc of (n as { jsDoc?: ts.Node[] }).jsDoc ?? []) visit(doc);
  };
  visit(sf);
  return out;
}

function byTypeScript(file: string, text: string, mode = ts.JSDocParsingMode.ParseNone): ts.SourceFile {
  const options = { languageVersion: ts.ScriptTarget.Latest, jsDocParsingMode: mode };
  return ts.createSourceFile(file, text, options, true, scriptKind(file));
}

function unparented(file: string, text: string, mode = ts.JSDocParsingMode.ParseNone): ts.SourceFile {
  const options = { languageVersion: ts.ScriptTarget.Latest, jsDocParsingMode: mode };
  return ts.createSourceFile(file, text, options, false, scriptKind(file));
}

const SHAPES = `
/** @param a the thing {@link B} */
@Dec({ a: [1, 2] }) export class A<T extends object = {}> { #p = 1; static { init(); } get g() { return this.#p; } }
const f = async function* named(a = 1, { b, ...c }: X, [d]: Y) { yield* g(a)?.b!.c[d] as const satisfies Z; };
label: for (const q of [query(1), query(2)]) { if (q) continue label; else break label; }
const el = <div a={1} {...p}><>{x ? <B /> : null}</></div>;
type M<T> = { [K in keyof T]?: T[K] extends infer U ? U : never } & \`t\${string}\`;
enum E { A = 1, B } namespace N.M { export import X = Y.Z; } declare module 'm' { export = q; }
`;

describe('setParents', () => {
  it('sets the same parent on every node as TypeScript does, on every fixture file and generated shapes', () => {
    const files = sourcesUnder(path.join(__dirname, '../../fixtures'));
    expect(files.length).toBeGreaterThan(200);
    const inputs = files.map((f) => [f, fs.readFileSync(f, 'utf8')] as const);
    inputs.push(['/shapes.tsx', SHAPES], ['/shapes.ts', SHAPES.replace(/const el.*\n/, '')]);
    for (const [file, text] of inputs) {
      const expected = parents(byTypeScript(file, text));
      expect(parents(parseSource(file, text)), file).toEqual(expected);
      const tree = unparented(file, text);
      setParents(tree);
      expect(parents(tree), file).toEqual(expected);
    }
  });

  it('sets the parents of JSDoc comments and their parts when they are parsed', () => {
    const tree = unparented('/doc.ts', SHAPES, ts.JSDocParsingMode.ParseAll);
    setParents(tree);
    const expected = parents(byTypeScript('/doc.ts', SHAPES, ts.JSDocParsingMode.ParseAll));
    expect(expected.length).toBeGreaterThan(parents(byTypeScript('/doc.ts', SHAPES)).length);
    expect(parents(tree)).toEqual(expected);
  });

  it('does not overflow the stack on a deep tree (a 40,000-term sum is 40,000 levels deep)', () => {
    const text = `const s = ${Array.from({ length: 40_000 }, (_, i) => `a${i}`).join(' + ')};`;
    const sf = parseSource('/deep.ts', text);
    let e = (sf.statements[0] as ts.VariableStatement).declarationList.declarations[0]!.initializer!;
    let depth = 0;
    while (ts.isBinaryExpression(e)) {
      expect(e.left.parent === e && e.right.parent === e && e.operatorToken.parent === e).toBe(true);
      e = e.left;
      depth++;
    }
    expect(depth).toBe(39_999);
  });
});
