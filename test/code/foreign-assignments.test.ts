import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { foreignAssignments, type ForeignAssignment } from '../../src/code/carried.js';
import { indexedNodes } from '../../src/code/file-nodes.js';
import { lookup } from '../../src/code/scope.js';
import { parseSource } from '../../src/files/source.js';
import { skipOuter } from '../../src/syntax/wrappers.js';
import { sourcesUnder } from '../support/fixture-sources.js';

// The members a file replaces on what it imports (`container.db = pool`) were found by a walk of
// the whole file of their own, a second pass over every node of the program before the analysis;
// they now come from the assignments the file's index walk lists (file-nodes.ts). The walk that was
// replaced is kept here as the reference: the same assignments, in the order it met them (the
// evidence quoting several replacements of one member keeps that order).

/** The scan as it was: its own walk of the file, on a stack that pops a node's last child first. */
function reference(sf: ts.SourceFile): ForeignAssignment[] {
  const out: ForeignAssignment[] = [];
  const stack: ts.Node[] = [sf];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (
      ts.isBinaryExpression(n) &&
      n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
      n.operatorToken.kind <= ts.SyntaxKind.LastAssignment
    ) {
      const left = skipOuter(n.left);
      const assigned = ts.isPropertyAccessExpression(left)
        ? { holder: skipOuter(left.expression), key: left.name.text }
        : ts.isElementAccessExpression(left) && ts.isStringLiteralLike(left.argumentExpression)
          ? { holder: skipOuter(left.expression), key: left.argumentExpression.text }
          : undefined;
      if (assigned && ts.isIdentifier(assigned.holder) && lookup(assigned.holder)?.kind === 'import')
        out.push({ holder: assigned.holder, key: assigned.key, replacement: { value: n.right, at: n } });
    }
    ts.forEachChild(n, (c) => {
      stack.push(c);
    });
  }
  return out;
}

const SHAPES = `
import container, { deps, other as o } from './container';
import * as ns from './ns';
import cfg = require('./cfg');
deps.db = pool;
deps.db = deps.replica = makePool();
o['client'] = a.b = ns.pool = (cfg.x += 1);
function setup() { deps.db ??= fallback; if (x) { container.a = 1; } else { container.a = 2; } }
const f = () => { deps.db = (o.x = 1, o.y = 2); };
class K { m() { ns.cache = { inner: () => { deps.late = new Pool(); } }; } static { deps.s = 1; } }
(deps as any).cast = 1; (deps!).bang = 2; deps[\`tpl\`] = 3; deps[key] = 4;
let local = {}; local.x = 1; { const deps = {}; deps.shadowed = 1; }
for (deps.loop = 0; deps.loop < 3; deps.loop++) o.z = [o.w = 1, o.v = 2];
`;

const same = (list: ForeignAssignment[]) =>
  list.map((a) => ({ holder: a.holder, key: a.key, value: a.replacement.value, at: a.replacement.at }));

describe('foreignAssignments', () => {
  it('finds the assignments the whole-file walk found, in its order, on every fixture file and generated shapes', () => {
    const files = sourcesUnder(path.join(__dirname, '../../fixtures'));
    expect(files.length).toBeGreaterThan(200);
    const texts: [string, string][] = files.map((f) => [f, fs.readFileSync(f, 'utf8')]);
    texts.push(['shapes.ts', SHAPES], ['shapes.tsx', `${SHAPES}\nconst el = <A on={() => (deps.jsx = 1)} />;`]);
    let found = 0;
    for (const [file, text] of texts) {
      const sf = parseSource(file, text);
      const expected = reference(sf);
      expect(same(foreignAssignments(sf)), file).toEqual(same(expected));
      found += expected.length;
    }
    // The shapes' members of imports, in the walk's order: a later statement's first, a parent's before its children's
    // (not `local.x`, the shadowed `deps`, `a.b`, a computed key, nor the `++` update).
    const shapes = reference(parseSource('shapes.ts', SHAPES));
    expect(shapes.map((a) => a.key)).toEqual([
      'z', 'v', 'w', 'loop', 'tpl', 'bang', 'cast', 's', 'cache', 'late', 'db',
      'y', 'x', 'a', 'a', 'db', 'client', 'pool', 'x', 'db', 'replica', 'db',
    ]);
    expect(found).toBeGreaterThan(shapes.length);
  });

  it('reads the file index, not the whole tree again', () => {
    const sf = parseSource('reads.ts', `import { deps } from './d';\ndeps.db = pool;\nfunction g() { unrelated(); }\n`);
    indexedNodes(sf);
    const g = sf.statements[2] as ts.FunctionDeclaration;
    const statement = g.body!.statements[0] as ts.ExpressionStatement;
    const expression = statement.expression;
    let reads = 0;
    Object.defineProperty(statement, 'expression', {
      get: () => {
        reads++;
        return expression;
      },
    });
    expect(foreignAssignments(sf).map((a) => a.key)).toEqual(['db']);
    expect(reads).toBe(0);
  });
});
