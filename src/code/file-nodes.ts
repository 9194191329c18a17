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

const indexed = new WeakMap<ts.SourceFile, readonly ts.Node[]>();

/**
 * Every call, `new` expression, object literal, class declaration and function of a file, in source order (parents
 * before their descendants). Once per tree: an editor's analysis session scans the same unchanged trees after every
 * edit. An explicit stack (walk.ts), so code nested deeper than a recursive walk can follow is listed whole.
 */
export function indexedNodes(sf: ts.SourceFile): readonly ts.Node[] {
  let list = indexed.get(sf);
  if (list) return list;
  const found: ts.Node[] = [];
  walkDescendants(sf, (n) => {
    if (isIndexedNode(n)) found.push(n);
  });
  indexed.set(sf, (list = found));
  return list;
}
