import ts from '../ts.js';

// The syntax layer: readings of TypeScript's tree that need nothing else of the project, so the
// adapters, the code model and the packs (which sit in different layers) share one definition.

/** The nodes `skipOuter` strips. */
type Wrapper =
  | ts.ParenthesizedExpression
  | ts.AsExpression
  | ts.SatisfiesExpression
  | ts.NonNullExpression
  | ts.TypeAssertion;

/**
 * Strips the wrappers that change no value: parentheses, `as`, `satisfies`, non-null assertions
 * and `<T>` type assertions.
 */
export function skipOuter(expr: ts.Expression): ts.Expression {
  // One switch on the kind rather than five type guards: called for nearly every expression the analysis reads.
  let e = expr;
  for (;;) {
    switch (e.kind) {
      case ts.SyntaxKind.ParenthesizedExpression:
      case ts.SyntaxKind.AsExpression:
      case ts.SyntaxKind.SatisfiesExpression:
      case ts.SyntaxKind.NonNullExpression:
      case ts.SyntaxKind.TypeAssertionExpression:
        e = (e as Wrapper).expression;
        continue;
      default:
        return e;
    }
  }
}

/**
 * `skipOuter`, and `await` too: for readers that ask what an expression is made of (a chain's
 * links, a call's callee, a header name's origin), not when its value is ready.
 */
export function skipOuterAndAwait(expr: ts.Expression): ts.Expression {
  let e = skipOuter(expr);
  while (ts.isAwaitExpression(e)) e = skipOuter(e.expression);
  return e;
}

/**
 * The other way: the outermost node around `node` that `skipOuterAndAwait` would strip down to it
 * (`(await make()) as Db` from `make()`), for readers that ask where an expression's value goes;
 * with `throughAwait` false, the one `skipOuter` would strip (the same value, not a promise's).
 */
export function outerWrapperOf(node: ts.Node, throughAwait = true): ts.Node {
  let n = node;
  for (;;) {
    switch (n.parent?.kind) {
      case ts.SyntaxKind.AwaitExpression:
        if (!throughAwait) return n;
      // falls through
      case ts.SyntaxKind.ParenthesizedExpression:
      case ts.SyntaxKind.AsExpression:
      case ts.SyntaxKind.SatisfiesExpression:
      case ts.SyntaxKind.NonNullExpression:
      case ts.SyntaxKind.TypeAssertionExpression:
        n = n.parent;
        continue;
      default:
        return n;
    }
  }
}

/** The conditions of the `if`s (and `&&`, `?:`) between a node and an enclosing node (a hook, a callback). */
export function conditionsBetween(node: ts.Node, outer: ts.Node): ts.Expression[] {
  const out: ts.Expression[] = [];
  let child: ts.Node = node;
  for (let n = node.parent; n && n !== outer; child = n, n = n.parent) {
    if (ts.isIfStatement(n) && child !== n.expression) out.push(n.expression);
    if (ts.isConditionalExpression(n) && child !== n.condition) out.push(n.condition);
    if (ts.isBinaryExpression(n) && n.right === child && n.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken)
      out.push(n.left);
  }
  return out;
}
