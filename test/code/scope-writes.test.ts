import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { parseSource } from '../../src/files/source.js';
import {
  arrayAdditions,
  assignmentsOf,
  bindPattern,
  type Binding,
  isFunctionLike,
  isStableVariable,
  lookup,
} from '../../src/code/scope.js';
import { returnedExpressions, returnStatements } from '../../src/code/own-returns.js';
import { soleReturn } from '../../src/analysis/construction.js';
import { skipOuter } from '../../src/syntax/wrappers.js';
import { sourcesUnder } from '../support/fixture-sources.js';

// The per-declaration questions of scope.ts (is a `let` reassigned, what is it assigned, what is added to an array)
// each walked the whole enclosing function, or the file, once per variable asked about; they now read one index per
// function (scope.ts `writesIn`). The readers of "what a function returns" each walked the body with their own rule;
// they now read one list per function (own-returns.ts). Both must answer exactly what the walks they replace
// answered, in the same order: those walks are kept here as the reference, and compared on every variable and every
// function of the fixture apps and of generated shapes.

function all(sf: ts.Node): ts.Node[] {
  const out: ts.Node[] = [];
  const visit = (n: ts.Node): void => {
    out.push(n);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

function scopeRoot(node: ts.Node): ts.Node {
  let n: ts.Node = node;
  while (n.parent && !isFunctionLike(n) && !ts.isSourceFile(n)) n = n.parent;
  return n;
}

function descendants(root: ts.Node): ts.Node[] {
  return all(root).slice(1);
}

const isAssignment = (k: ts.SyntaxKind): boolean => k >= ts.SyntaxKind.FirstAssignment && k <= ts.SyntaxKind.LastAssignment;

/** The walk isReassigned made (true: reassigned). */
function reassigned(b: Extract<Binding, { kind: 'variable' }>): boolean {
  const names = new Set<string>();
  for (const node of descendants(scopeRoot(b.decl))) {
    if (ts.isBinaryExpression(node) && isAssignment(node.operatorToken.kind) && ts.isIdentifier(node.left)) {
      if (lookup(node.left)?.decl === b.decl) names.add(node.left.text);
    } else if ((ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) && ts.isIdentifier(node.operand)) {
      if (lookup(node.operand)?.decl === b.decl) names.add(node.operand.text);
    }
  }
  return names.has(b.name);
}

function destructured(n: ts.Node): boolean {
  let x: ts.Node = n;
  while (
    ts.isArrayLiteralExpression(x.parent) ||
    ts.isObjectLiteralExpression(x.parent) ||
    ts.isShorthandPropertyAssignment(x.parent) ||
    ts.isPropertyAssignment(x.parent) ||
    ts.isSpreadElement(x.parent) ||
    ts.isSpreadAssignment(x.parent)
  )
    x = x.parent;
  const p = x.parent;
  return x !== n && ts.isBinaryExpression(p) && p.left === x && p.operatorToken.kind === ts.SyntaxKind.EqualsToken;
}

/** The walk assignmentsOf made. */
function assignments(
  b: Extract<Binding, { kind: 'variable' }>,
): { values: readonly ts.Expression[]; appends: readonly ts.Expression[] } | undefined {
  if (b.flags === 'const' || b.path.length > 0) return undefined;
  const decl = b.decl;
  const values: ts.Expression[] = decl.initializer ? [decl.initializer] : [];
  const appends: ts.Expression[] = [];
  let other = false;
  for (const node of descendants(scopeRoot(decl))) {
    if (!ts.isIdentifier(node) || node === decl.name || node.text !== b.name || lookup(node)?.decl !== decl) continue;
    const p = node.parent;
    if (ts.isBinaryExpression(p) && p.left === node && isAssignment(p.operatorToken.kind)) {
      if (p.operatorToken.kind === ts.SyntaxKind.EqualsToken) values.push(p.right);
      else if (p.operatorToken.kind === ts.SyntaxKind.PlusEqualsToken) appends.push(p.right);
      else other = true;
    } else if (
      (ts.isPrefixUnaryExpression(p) || ts.isPostfixUnaryExpression(p)) &&
      (p.operator === ts.SyntaxKind.PlusPlusToken || p.operator === ts.SyntaxKind.MinusMinusToken)
    )
      other = true;
    else if (destructured(node)) other = true;
  }
  return other ? undefined : { values, appends };
}

/** The walk arrayAdditions made. */
function additions(decl: ts.VariableDeclaration): readonly ts.Expression[] | undefined {
  const added: ts.Expression[] = [];
  let grows = false;
  const isThis = (e: ts.Expression): boolean => {
    const x = skipOuter(e);
    return ts.isIdentifier(x) && lookup(x)?.decl === decl;
  };
  for (const node of descendants(scopeRoot(decl))) {
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      ['push', 'unshift', 'splice'].includes(node.expression.name.text) &&
      isThis(node.expression.expression)
    ) {
      grows = true;
      added.push(...(node.expression.name.text === 'splice' ? node.arguments.slice(2) : node.arguments));
    } else if (
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      ts.isElementAccessExpression(node.left) &&
      isThis(node.left.expression)
    ) {
      grows = true;
      added.push(node.right);
    }
  }
  return grows ? added : undefined;
}

/** The walk of a function's own returns the readers made (soleReturn's, which stops at signatures too). */
function returnsWalked(fn: ts.FunctionLikeDeclaration): ts.ReturnStatement[] {
  const found: ts.ReturnStatement[] = [];
  if (!fn.body || !ts.isBlock(fn.body)) return found;
  const visit = (n: ts.Node): void => {
    if (ts.isFunctionLike(n)) return;
    if (ts.isReturnStatement(n)) found.push(n);
    ts.forEachChild(n, visit);
  };
  ts.forEachChild(fn.body, visit);
  return found;
}

const SHAPES = `
let top = null; let count = 0; var v1 = 1, v2 = [];
export function getDb() { if (!top) top = make(); return top; }
function bump() { count++; count += 2; --count; }
function lets(a) {
  let q = 'SELECT 1'; if (a) q += ' WHERE x'; else q = 'SELECT 2';
  let [d1, d2] = pair(); d1 = 3;
  let p; [p] = pair(); ({ p } = obj); ({ k: p } = obj); [...p] = list;
  let neg = 1; if (!neg) return -neg;
  let shadow = 1; const inner = () => { let shadow = 2; shadow = 3; return shadow; }; shadow = 4;
  const list = []; list.push(1, ...more); (list as any).unshift(0); list.splice(1, 0, 7, 8); list[3] = 9;
  const other = []; other.push.apply(other, x); something.push(list); v2.push(1);
  for (let i = 0; i < 3; i++) list.push(i);
  return q;
}
const arrow = () => ({ a: 1 });
function many(x) { if (x) return; if (x > 1) return 2; const f = () => { return 3; }; class K { m() { return 4; } } return x; }
function one() { try { return db.query('x'); } finally { cleanup(); } }
function typed(): { f(): number } { type T = () => number; return { f() { return 1; } }; }
class S { static { let s = 0; s = 1; } get g() { return this.x; } set g(v) { let w = v; w++; } }
function vars(a) { if (a) { var hoisted = 1; for (var i in a) {} } else { v\\u0061r escaped = 2; } return hoisted + escaped + i; }
var moduleVar = 1; { var inBlock = 2; }
function onlyEscaped() { { v\\u0061r e2 = 1; } return e2; }
`;

/** The same nodes in the same order (identity, not shape). */
function nodes(list: readonly ts.Node[] | undefined, sf: ts.SourceFile): string | undefined {
  return list?.map((n) => `${n.kind}@${n.getStart(sf)}-${n.end}`).join(' ');
}

describe('one index per function for the per-declaration questions, one list of returns per function', () => {
  it('answers exactly what the per-declaration and per-reader walks answered, on every fixture file and shapes', () => {
    const files = sourcesUnder(path.join(__dirname, '../../fixtures'));
    expect(files.length).toBeGreaterThan(200);
    const trees = [
      ...files.map((f) => parseSource(f, fs.readFileSync(f, 'utf8'))),
      parseSource('/shapes.ts', SHAPES),
    ];
    let variables = 0;
    let written = 0;
    let grown = 0;
    let functions = 0;
    let vars = 0;
    for (const sf of trees) {
      for (const n of all(sf)) {
        if (ts.isVariableDeclaration(n)) {
          if (arrayAdditions(n)) grown++;
          expect(nodes(arrayAdditions(n), sf), `${sf.fileName}:${n.getStart(sf)}`).toBe(nodes(additions(n), sf));
          bindPattern(n.name, [], (name) => {
            const id = all(n.name).find((x): x is ts.Identifier => ts.isIdentifier(x) && x.text === name);
            const b = id && lookup(id);
            if (b?.kind !== 'variable' || b.decl !== n) return;
            variables++;
            const at = `${sf.fileName}:${n.getStart(sf)} ${name}`;
            expect(isStableVariable(b), at).toBe(b.flags === 'const' || !reassigned(b));
            const got = assignmentsOf(b);
            if (got && (got.values.length > (n.initializer ? 1 : 0) || got.appends.length)) written++;
            const want = assignments(b);
            expect(nodes(got?.values, sf), at).toBe(nodes(want?.values, sf));
            expect(nodes(got?.appends, sf), at).toBe(nodes(want?.appends, sf));
          });
        }
        // A `var` is found from its own name, whichever block it is in (scope.ts skips the walk for var lists only
        // where the text holds no `var`).
        if (ts.isVariableDeclarationList(n) && !(n.flags & ts.NodeFlags.BlockScoped))
          for (const d of n.declarations) {
            if (!ts.isIdentifier(d.name)) continue;
            vars++;
            expect(lookup(d.name)?.name, `${sf.fileName}:${d.getStart(sf)}`).toBe(d.name.text);
          }
        if (isFunctionLike(n)) {
          functions++;
          const walked = returnsWalked(n);
          expect(nodes(returnStatements(n), sf), `${sf.fileName}:${n.getStart(sf)}`).toBe(nodes(walked, sf));
          const values = n.body && !ts.isBlock(n.body) ? [n.body] : walked.flatMap((r) => (r.expression ? [r.expression] : []));
          expect(nodes(returnedExpressions(n), sf)).toBe(nodes(values, sf));
          expect(soleReturn(n)).toBe(values.length === 1 ? values[0] : undefined);
        }
      }
    }
    // The comparisons must have met every kind of answer.
    expect(variables).toBeGreaterThan(500);
    expect(written).toBeGreaterThan(10);
    expect(grown).toBeGreaterThan(10);
    expect(functions).toBeGreaterThan(1000);
    expect(vars).toBeGreaterThanOrEqual(5);
  });
});
