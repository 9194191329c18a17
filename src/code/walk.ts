import ts from '../ts.js';

// A pre-order walk of a syntax tree on an explicit stack. TypeScript's parser accepts
// nesting a couple of thousand levels deep, and a recursive walk through forEachChild
// spends several JS frames per level: deep enough code would overflow the stack.

/** Visits `root`'s descendants (not `root`) in source order; `visit` returns false to skip a node's children. */
export function walkDescendants(root: ts.Node, visit: (node: ts.Node) => boolean | void): void {
  const work: ts.Node[] = [];
  // One callback for the whole walk, not one per node (a closure per node visited was a tenth
  // of an audit's garbage). It returns nothing: a truthy result would stop forEachChild.
  const push = (c: ts.Node): void => {
    work.push(c);
  };
  const pushChildren = (n: ts.Node): void => {
    const start = work.length;
    ts.forEachChild(n, push);
    // Reverse the children just pushed so the first child is popped first.
    for (let i = start, j = work.length - 1; i < j; i++, j--) [work[i], work[j]] = [work[j]!, work[i]!];
  };
  pushChildren(root);
  while (work.length) {
    const n = work.pop()!;
    if (visit(n) !== false) pushChildren(n);
  }
}
