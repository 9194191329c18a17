import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { indexedNodes, topLevelOf } from '../../src/code/file-nodes.js';
import { usesServer } from '../../src/analysis/roots/next.js';
import { parseSource } from '../../src/files/source.js';
import { isFunctionLike } from '../../src/code/scope.js';
import { sourcesUnder } from '../support/fixture-sources.js';

// The whole-file scans (the flow's function roots, the entry points, Next.js server actions,
// NestJS routes and container, tRPC context factories) each walked every node of every file;
// they now run over indexedNodes. Each scan acts on nodes one predicate picks: for each
// predicate, the index must give exactly the nodes a recursive pre-order walk of the tree met,
// in the same order (the order decides the scan numbers, which registration wins, the order
// of evidence).

const PREDICATES: Record<string, (n: ts.Node) => boolean> = {
  'calls and new (entry points, tRPC)': (n) => ts.isCallExpression(n) || ts.isNewExpression(n),
  'functions with a body (flow roots, server actions)': (n) => isFunctionLike(n) && !!n.body,
  'object literals, methods, new, calls (NestJS container)': (n) =>
    ts.isObjectLiteralExpression(n) || (ts.isMethodDeclaration(n) && !!n.body) || ts.isNewExpression(n) || ts.isCallExpression(n),
  'calls, object literals, decorated classes (NestJS routes)': (n) =>
    ts.isCallExpression(n) || ts.isObjectLiteralExpression(n) || (ts.isClassDeclaration(n) && !!ts.getDecorators(n)?.length),
};

/** What the scans' own walks met: a recursive pre-order walk from the file. */
function walked(sf: ts.SourceFile, pick: (n: ts.Node) => boolean): ts.Node[] {
  const out: ts.Node[] = [];
  const visit = (n: ts.Node): void => {
    if (pick(n)) out.push(n);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

const SHAPES = `
import { Module, Controller, Post } from '@nestjs/common';
@Module({ providers: [{ provide: 'DB', useFactory: () => new Pool({}) }] })
export class AppModule {}
@Controller('x') export class C { constructor(private s: S) {} @Post() async save() { await this.s.run(async (tx) => tx.query('insert into t values (1)')); } }
class Plain { get a() { return f(g(h())); } set a(v) { this.b = { c: () => v }; } static { init(); } }
export const action = async function named() { 'use server'; return new Map([[1, { k: () => 1 }]]); };
const nested = (a) => (b) => function inner() { return a(b)(() => ({ deep: [x => x, new X(y => y)] })); };
label: for (const q of [query(1), query(2)]) { if (q) continue label; else break label; }
`;

describe('indexedNodes', () => {
  it('gives each scan exactly the nodes, in the order, its own walk met, on every fixture file and generated shapes', () => {
    const files = sourcesUnder(path.join(__dirname, '../../fixtures'));
    expect(files.length).toBeGreaterThan(200);
    const texts: [string, string][] = files.map((f) => [f, fs.readFileSync(f, 'utf8')]);
    texts.push(['shapes.ts', SHAPES], ['shapes.tsx', `${SHAPES}\nconst el = <A on={() => save({ a: 1 })}>{list.map((i) => <B key={i} />)}</A>;`]);
    let compared = 0;
    for (const [file, text] of texts) {
      const sf = parseSource(file, text);
      for (const [what, pick] of Object.entries(PREDICATES)) {
        const expected = walked(sf, pick);
        expect(indexedNodes(sf).filter(pick), `${what} in ${file}`).toEqual(expected);
        compared += expected.length;
      }
      // Once per tree.
      expect(indexedNodes(sf)).toBe(indexedNodes(sf));
    }
    expect(compared).toBeGreaterThan(10_000);
  });

  it('lists nested code whole', () => {
    const depth = 400;
    const sf = parseSource('deep.ts', `const v = ${'f(() => '.repeat(depth)}0${')'.repeat(depth)};`);
    const nodes = indexedNodes(sf);
    expect(nodes.filter(ts.isCallExpression)).toHaveLength(depth);
    expect(nodes.filter(isFunctionLike)).toHaveLength(depth);
  });

  // The three whole-program scans that read every file's statement list after the flows (interface-calls.ts
  // `subtypes`, function-types.ts `fileTypedFunctions`, the Next.js scan's `usesServer`) read what the index walk took.
  it('takes the top level the whole-program scans read: the same as reading the statements', () => {
    const files = sourcesUnder(path.join(__dirname, '../../fixtures'));
    const texts: [string, string][] = files.map((f) => [f, fs.readFileSync(f, 'utf8')]);
    texts.push(
      ['server.ts', `'use strict';\n"use server";\nexport async function save() {}\n`],
      ['late.ts', `const a = 1;\n'use server';\n`],
      ['typed.ts', `type T = () => void;\nexport const f: T = () => {}, g = () => {};\nlet h: T[] = [() => {}];\n` +
        `declare const d: T;\nexport class A extends B implements C {}\nclass D {}\nfunction k() { class E extends F {} }\n`],
    );
    let listed = 0;
    for (const [file, text] of texts) {
      const sf = parseSource(file, text);
      const top = topLevelOf(sf);
      expect(top.useServer, file).toBe(usesServer(sf.statements));
      expect(top.heritageClasses, file).toEqual(
        sf.statements.filter((st) => ts.isClassDeclaration(st) && !!st.heritageClauses?.length),
      );
      expect(top.typedDeclarations, file).toEqual(
        sf.statements.flatMap((st) =>
          ts.isVariableStatement(st) ? st.declarationList.declarations.filter((d) => d.type && d.initializer) : [],
        ),
      );
      listed += top.heritageClasses.length + top.typedDeclarations.length + (top.useServer ? 1 : 0);
    }
    expect(topLevelOf(parseSource('server.ts', texts.at(-3)![1])).useServer).toBe(true);
    expect(listed).toBeGreaterThan(20);
  });
});
