import ts from '../ts.js';
import { isFunctionLike } from './scope.js';
import { walkDescendants } from './walk.js';
import { setParents } from '../files/source.js';

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
  /** Top-level facts the whole-program scans read (see `topLevelOf`), taken by the same walk. */
  top: TopLevel;
}

/**
 * What three whole-program scans read of a file's top level, taken once by the index walk so that none of them walks
 * the file's statements again after its flow: whether its prologue says 'use server' (Next.js server actions,
 * entry-points.ts), its top-level classes that implement or extend something (interface-calls.ts `subtypes`), and its
 * top-level variable declarations with a declared type and an initializer (function-types.ts `fileTypedFunctions`),
 * each list in source order.
 */
export interface TopLevel {
  useServer: boolean;
  heritageClasses: readonly ts.ClassDeclaration[];
  typedDeclarations: readonly ts.VariableDeclaration[];
}

const indexed = new WeakMap<ts.SourceFile, FileIndex>();

function indexOf(sf: ts.SourceFile): FileIndex {
  let index = indexed.get(sf);
  if (index) return index;
  const ix = indexer(sf);
  walkDescendants(sf, ix.visit);
  indexed.set(sf, (index = ix.done()));
  return index;
}

/**
 * What the index keeps of each node, met in a pre-order walk of `sf` (source order) with its `parent` already set:
 * `indexOf`'s own walk of a parsed tree, or `bindAndIndex`'s walk as it sets the parents.
 */
function indexer(sf: ts.SourceFile): { visit: (n: ts.Node) => void; done: () => FileIndex } {
  const nodes: ts.Node[] = [];
  const assignments: ts.BinaryExpression[] = [];
  const heritageClasses: ts.ClassDeclaration[] = [];
  const typedDeclarations: ts.VariableDeclaration[] = [];
  // The prologue: the leading string-literal statements, until one says 'use server' (next.ts `usesServer`).
  let prologue = true;
  let useServer = false;
  const visit = (n: ts.Node): void => {
    if (n.parent === sf && n.kind !== ts.SyntaxKind.EndOfFileToken) {
      if (prologue && !useServer) {
        const literal = ts.isExpressionStatement(n) && ts.isStringLiteral(n.expression);
        if (!literal) prologue = false;
        else if (n.expression.text === 'use server') useServer = true;
      }
      if (ts.isClassDeclaration(n) && n.heritageClauses?.length) heritageClasses.push(n);
      else if (ts.isVariableStatement(n))
        for (const d of n.declarationList.declarations) if (d.type && d.initializer) typedDeclarations.push(d);
    }
    if (isIndexedNode(n)) nodes.push(n);
    else if (isAssignment(n)) assignments.push(n);
  };
  return { visit, done: () => ({ nodes, assignments, top: { useServer, heritageClasses, typedDeclarations } }) };
}

/**
 * Sets every node's `parent` (as files/source.ts `setParents` does) and takes the file's index in the same walk, right
 * after the parse: the index walk no longer visits every node of every tree a second time, once the whole program is
 * parsed and the trees have left the processor's caches (docs/performance.md, setup35). The audit parses with it
 * (walker/audit.ts); a tree parsed otherwise is indexed by its own walk when first asked, to the same index.
 */
export function bindAndIndex(sf: ts.SourceFile): void {
  const ix = indexer(sf);
  const work: ts.Node[] = [];
  let parent: ts.Node = sf;
  // One callback for the whole walk; it returns nothing (a truthy result would stop forEachChild).
  const push = (child: ts.Node): void => {
    (child as { parent: ts.Node }).parent = parent;
    work.push(child);
  };
  const pushChildren = (n: ts.Node): void => {
    const start = work.length;
    parent = n;
    ts.forEachChild(n, push);
    // Reverse the children just pushed so the first child is popped first: the index's pre-order (walk.ts).
    for (let i = start, j = work.length - 1; i < j; i++, j--) [work[i], work[j]] = [work[j]!, work[i]!];
    // JSDoc comments are not children (forEachChild skips them, and the index walk does): parents set, not indexed.
    const docs = (n as { jsDoc?: ts.Node[] }).jsDoc;
    if (docs)
      for (const doc of docs) {
        (doc as { parent: ts.Node }).parent = n;
        setParents(doc);
      }
  };
  pushChildren(sf);
  while (work.length) {
    const n = work.pop()!;
    ix.visit(n);
    pushChildren(n);
  }
  indexed.set(sf, ix.done());
}

/** The file's top-level facts the whole-program scans read (`TopLevel`), found by the index walk. */
export function topLevelOf(sf: ts.SourceFile): TopLevel {
  return indexOf(sf).top;
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
