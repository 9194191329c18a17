import ts from '../ts.js';

// A pre-order walk of a syntax tree on an explicit stack. TypeScript's parser accepts
// nesting a couple of thousand levels deep, and a recursive walk through forEachChild
// spends several JS frames per level: deep enough code would overflow the stack.

/** Visits `root`'s descendants (not `root`) in source order; `visit` returns false to skip a node's children. */
export function walkDescendants(root: ts.Node, visit: (node: ts.Node) => boolean | void): void {
  const work: ts.Node[] = [];
  const pushChildren = (n: ts.Node): void => {
    const start = work.length;
    ts.forEachChild(n, (c) => {
      work.push(c);
    });
    // Reverse the children just pushed so the first child is popped first.
    for (let i = start, j = work.length - 1; i < j; i++, j--) [work[i], work[j]] = [work[j]!, work[i]!];
  };
  pushChildren(root);
  while (work.length) {
    const n = work.pop()!;
    if (visit(n) !== false) pushChildren(n);
  }
}
