import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { parseSource } from '../../src/files/source.js';
import { lookup } from '../../src/code/scope.js';

// scope.ts walks a function's body for `var` lists only where its text may hold one (`mayDeclareVar`). A `var` inside
// a longer name (`variables`, `invariant`, `vars`) is not the keyword: in a file that parsed without an error such a
// function is not walked (flows25 counted 3,607 such walks, 904,000 nodes, on signacare before). With a parse error
// every `var` counts (`1var x` parses as a `var` list), and so does every backslash (an escaped keyword, `v\u0061r`, is
// a parse error that parses as the keyword): only there.

function find(sf: ts.Node, pred: (n: ts.Node) => boolean): ts.Node[] {
  const out: ts.Node[] = [];
  const visit = (n: ts.Node): void => {
    if (pred(n)) out.push(n);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

function identifier(sf: ts.SourceFile, name: string, nth = 0): ts.Identifier {
  return find(sf, (n) => ts.isIdentifier(n) && n.text === name)[nth] as ts.Identifier;
}

/** Counts reads of `kind` on `node` (a walk of its function reads it; nothing else does). */
function countReads(node: ts.Node): { reads: number } {
  const counter = { reads: 0 };
  const kind = node.kind;
  Object.defineProperty(node, 'kind', {
    get() {
      counter.reads++;
      return kind;
    },
  });
  return counter;
}

describe('`var` lists: a function whose text names `var` only inside longer names is not walked', () => {
  it('does not walk a body whose `var` marks are all parts of names', () => {
    const sf = parseSource(
      '/var-marks/names.ts',
      'export function f(variables: number[], invariant: boolean) {\n' +
        '  const $vars = variables.length; const my_var = 1; const avar = 2; const var2 = 3;\n' +
        '  if (invariant) { g(my_var + avar + var2 + 7, "color: var(--x)", `${"var."}`, "a\\nb", /\\d+/); }\n' +
        '  return $vars;\n' +
        '}\n',
    );
    expect((sf as unknown as { parseDiagnostics: unknown[] }).parseDiagnostics).toHaveLength(0);
    const seven = find(sf, (n) => ts.isNumericLiteral(n) && n.text === '7')[0]!;
    // `$vars` in the return statement: resolved in the function's own scope (its declarations collected).
    const ret = find(sf, ts.isReturnStatement)[0] as ts.ReturnStatement;
    const trap = countReads(seven);
    const b = lookup(ret.expression as ts.Identifier);
    expect(b?.kind).toBe('variable');
    expect(trap.reads).toBe(0);
  });

  it('still finds `var` lists next to punctuation, escaped, in a file with a parse error, and module-level', () => {
    const sf = parseSource(
      '/var-marks/real.ts',
      'function a(x) { if (x) {var one = 1;} return one; }\n' +
        'function b(x) { for(var i in x){} return i; }\n' +
        'function c() { { v\\u0061r esc = 1; } return esc; }\n' +
        '{var top = 1;}\n' +
        'function e(o) { if (o) { var{ k } = o; var[n] = o; var\tt = 1; var/**/u = 2; } return [k, n, t, u]; }\n' +
        'export const t = top;\n',
    );
    for (const [name, nth] of [
      ['one', 1],
      ['i', 1],
      ['esc', 1],
      ['top', 1],
      ['k', 1],
      ['n', 1],
      ['t', 1],
      ['u', 1],
    ] as const) {
      const b = lookup(identifier(sf, name, nth));
      expect(b?.kind, name).toBe('variable');
      expect(b && 'flags' in b ? b.flags : undefined, name).toBe('var');
    }
    const broken = parseSource('/var-marks/broken.ts', 'function d() { { 1var q = 3; } return q; }\n');
    expect((broken as unknown as { parseDiagnostics: unknown[] }).parseDiagnostics.length).toBeGreaterThan(0);
    const q = lookup(identifier(broken, 'q', 1));
    expect(q?.kind).toBe('variable');
  });
});
