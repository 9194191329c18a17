import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { isRegExpSpace, shortText } from '../../src/code/origins.js';

// shortText quotes code in evidence. It now quotes a long node without comment markers from a
// bounded prefix of its text instead of collapsing all of it: the quote must be exactly what
// the whole-text reading gave. `reference` is that reading, as it was before the change.

function reference(node: ts.Node, max = 60): string {
  const sf = node.getSourceFile();
  const full = node.getText(sf);
  let text: string;
  if (!full.includes('//') && !full.includes('/*')) text = full;
  else {
    let out = '';
    const enough = (): boolean => out.replace(/\s+/g, ' ').length > max;
    const visit = (n: ts.Node, first: boolean): void => {
      if (enough() || (n.kind >= ts.SyntaxKind.FirstJSDocNode && n.kind <= ts.SyntaxKind.LastJSDocNode)) return;
      const children = n.getChildren(sf);
      if (children.length === 0) {
        if (!first) out += sf.text.slice(n.getFullStart(), n.getStart(sf)).replace(/\/\/[^\n]*|\/\*[\s\S]*?\*\//g, ' ');
        out += sf.text.slice(n.getStart(sf), n.getEnd());
        return;
      }
      children.forEach((c, i) => visit(c, first && i === 0));
    };
    visit(node, true);
    text = out;
  }
  text = text.replace(/\s+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function everyNode(sf: ts.SourceFile, each: (n: ts.Node) => void): void {
  const stack: ts.Node[] = [sf];
  while (stack.length) {
    const n = stack.pop()!;
    each(n);
    ts.forEachChild(n, (c) => {
      stack.push(c);
    });
  }
}

function parse(text: string, name = 'x.tsx'): ts.SourceFile {
  return ts.createSourceFile(name, text, { languageVersion: ts.ScriptTarget.Latest, jsDocParsingMode: ts.JSDocParsingMode.ParseNone }, true);
}

function check(sf: ts.SourceFile): number {
  let checked = 0;
  everyNode(sf, (n) => {
    if (n.kind === ts.SyntaxKind.EndOfFileToken) return;
    for (const max of [30, 40, 60]) {
      expect(shortText(n, max), `${ts.SyntaxKind[n.kind]} at ${n.getStart(sf)}`).toBe(reference(n, max));
      checked++;
    }
  });
  return checked;
}

describe('shortText', () => {
  it('quotes every node of the fixture apps as the whole-text reading does', () => {
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory() && e.name !== 'node_modules') walk(p);
        else if (/\.(ts|tsx|js)$/.test(e.name) && !e.name.endsWith('.d.ts')) files.push(p);
      }
    };
    walk(path.join(__dirname, '../../fixtures'));
    let checked = 0;
    for (const f of files.slice(0, 400)) checked += check(parse(fs.readFileSync(f, 'utf8'), f));
    expect(checked).toBeGreaterThan(10_000);
  });

  it('quotes long generated code (whitespace runs, comments, strings with slashes, JSX text) as the whole-text reading does', () => {
    const plain = fc.constantFrom(
      'a', 'foo', 'bar(1, 2)', '\n', '  ', '\n\n      ', '\t\t', '\u00a0', '\u2003', ' + ', '.', ',', 'await ',
      'sql`INSERT INTO t VALUES (1)`', '"a   b"', `\n${' '.repeat(40)}`, `${'\t'.repeat(30)}`,
    );
    // Comment markers are rare, so most long nodes take the bounded reading and some do not.
    const marked = fc.constantFrom('"x // y"', "'/* not */'", '`t ${a} //`', '// line\n', '/* block */', 'https://x.y/z');
    const piece = fc.oneof({ arbitrary: plain, weight: 20 }, { arbitrary: marked, weight: 1 });
    const body = fc.array(piece, { minLength: 0, maxLength: 300 }).map((ps) => ps.join(''));
    fc.assert(
      fc.property(body, fc.constantFrom(0, 1, 2), (text, shape) => {
        const source =
          shape === 0
            ? `const v = [${text.replace(/\n/g, ' ')}];\nf(() => { ${text}\n});\n`
            : shape === 1
              ? `function g() {\n${text}\n}\n`
              : `const el = <div>\n ${text.replace(/[<>{}]/g, '')} \n</div>;\n`;
        check(parse(source));
      }),
      { numRuns: 500 },
    );
  });

  it('counts what the quote collapses to as it grows: whitespace as `\\s` has it, and no collapse of the whole prefix per token', () => {
    for (let c = 0; c <= 0xffff; c++) expect(isRegExpSpace(c), c.toString(16)).toBe(/\s/.test(String.fromCharCode(c)));
    // A long function with comments in it is quoted token by token; collapsing all that was read at every token
    // called String.prototype.replace once per token.
    const sf = parse(`function g() {\n${'  a /* c */ +\u2003b // d\n'.repeat(200)}}\n`);
    const fn = sf.statements[0]!;
    const spy = vi.spyOn(String.prototype, 'replace');
    let replaces: number;
    let quote: string;
    try {
      quote = shortText(fn, 60);
    } finally {
      replaces = spy.mock.calls.length;
      spy.mockRestore();
    }
    expect(quote).toBe(reference(fn, 60));
    expect(replaces).toBeLessThan(20);
  });
});
