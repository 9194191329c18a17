import ts from '../ts.js';
import { isFunctionLike } from './scope.js';
import { walkDescendants } from './walk.js';

// The nodes the whole-file scans look for, found by one walk of each tree. Before, each scan
// (the flow's function roots, the entry points' calls, Next.js server actions and NestJS
// routes, the NestJS container, tRPC context factories) walked every node of every file
// itself: five to seven walks of the whole program per audit, each costing about as much as
// a tenth of the parse. A scan now runs over this list, which holds every node of the kinds
// below in the order a pre-order walk meets them (source order), so a scan that acts only on
// these kinds does exactly what its own walk did, in the same order.

/** Node kinds kept: calls, `new`, object literals, class declarations and functions (scope.ts's function kinds). */
export function isIndexedNode(n: ts.Node): boolean {
  return (
    n.kind === ts.SyntaxKind.CallExpression ||
    n.kind === ts.SyntaxKind.NewExpression ||
    n.kind === ts.SyntaxKind.ObjectLiteralExpression ||
    n.kind === ts.SyntaxKind.ClassDeclaration ||
    isFunctionLike(n)
  );
}

/** An assignment expression (`=`, `+=`, `??=`, …): what `assignmentsIn` lists. */
function isAssignment(n: ts.Node): n is ts.BinaryExpression {
  if (n.kind !== ts.SyntaxKind.BinaryExpression) return false;
  const op = (n as ts.BinaryExpression).operatorToken.kind;
  return op >= ts.SyntaxKind.FirstAssignment && op <= ts.SyntaxKind.LastAssignment;
}

interface FileIndex {
  nodes: readonly ts.Node[];
  assignments: readonly ts.BinaryExpression[];
}

const indexed = new WeakMap<ts.SourceFile, FileIndex>();

function indexOf(sf: ts.SourceFile): FileIndex {
  let index = indexed.get(sf);
  if (index) return index;
  const nodes: ts.Node[] = [];
  const assignments: ts.BinaryExpression[] = [];
  walkDescendants(sf, (n) => {
    if (isIndexedNode(n)) nodes.push(n);
    else if (isAssignment(n)) assignments.push(n);
  });
  indexed.set(sf, (index = { nodes, assignments }));
  return index;
}

/**
 * Every call, `new` expression, object literal, class declaration and function of a file, in source order (parents
 * before their descendants). Once per tree: an editor's analysis session scans the same unchanged trees after every
 * edit. An explicit stack (walk.ts), so code nested deeper than a recursive walk can follow is listed whole.
 */
export function indexedNodes(sf: ts.SourceFile): readonly ts.Node[] {
  return indexOf(sf).nodes;
}

/**
 * Every assignment expression of a file (`a.b = c`, `x += 1`), in source order (parents before their descendants),
 * found by the same walk as `indexedNodes`: the scan for members replaced from other modules (carried.ts) walked
 * every file again for them.
 */
export function assignmentsIn(sf: ts.SourceFile): readonly ts.BinaryExpression[] {
  return indexOf(sf).assignments;
}
