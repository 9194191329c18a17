import ts from '../ts.js';
import { lookup } from '../code/scope.js';
import { skipOuter } from '../syntax/wrappers.js';

// `await Promise.race([pool.reserve(), new Promise<never>((_, reject) => setTimeout(reject, 5000))])`: a
// timeout around getting a connection. A `new Promise<never>` can only reject, so the race settles with the
// one other element or throws: the value is that element. Anything else in the array (a promise that may
// resolve with another value) leaves the call as it was (untraced).

/** The one element of `Promise.race([…])` / `Promise.any([…])` that can resolve, when every other can only reject. */
export function racedValue(call: ts.CallExpression): ts.Expression | undefined {
  const callee = skipOuter(call.expression);
  if (!ts.isPropertyAccessExpression(callee) || !['race', 'any'].includes(callee.name.text)) return undefined;
  const base = skipOuter(callee.expression);
  // The global Promise, not a local of that name.
  if (!ts.isIdentifier(base) || base.text !== 'Promise' || lookup(base)) return undefined;
  const list = call.arguments.length === 1 ? skipOuter(call.arguments[0]!) : undefined;
  if (!list || !ts.isArrayLiteralExpression(list)) return undefined;
  const settling = list.elements.filter((e) => !rejectsOnly(e));
  return settling.length === 1 && !ts.isSpreadElement(settling[0]!) ? settling[0] : undefined;
}

/** `new Promise<never>(…)`: its type says it never resolves with a value. */
function rejectsOnly(e: ts.Expression): boolean {
  const x = skipOuter(e);
  return (
    ts.isNewExpression(x) &&
    ts.isIdentifier(x.expression) &&
    x.expression.text === 'Promise' &&
    x.typeArguments?.length === 1 &&
    x.typeArguments[0]!.kind === ts.SyntaxKind.NeverKeyword
  );
}
