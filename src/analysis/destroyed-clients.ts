import ts from '../ts.js';
import { isFunctionLike, lookup } from '../code/scope.js';
import { skipOuter } from '../syntax/wrappers.js';
import { adapters } from '../adapters/index.js';

// A pooled client released with a truthy argument (`client.release(true)`, pg's "destroy it") is closed, not handed
// back to the pool: what was set on it session-wide reaches no other borrower. Only a client the code keeps to itself
// counts: held by a const whose every use is a call of one of its methods or an argument of a database library's
// function (a query builder's instance over it, `drizzle(client)`), released at least once and every time with
// `true`. Any other use (returned, stored, handed to the code's own function, a release without `true`) may hand it
// back undestroyed.

/** Whether the client `connect` (the `pool.connect()` call) checks out is only ever released with `true`. */
export function destroyedOnRelease(connect: ts.Node): boolean {
  let holder: ts.Node = connect.parent;
  while (ts.isAwaitExpression(holder) || ts.isParenthesizedExpression(holder)) holder = holder.parent;
  if (!ts.isVariableDeclaration(holder) || !ts.isIdentifier(holder.name)) return false;
  if (!(holder.parent.flags & ts.NodeFlags.Const)) return false;
  const decl = holder;
  const name = holder.name.text;
  let scope: ts.Node = holder;
  while (!isFunctionLike(scope) && !ts.isSourceFile(scope)) scope = scope.parent;
  let releases = 0;
  let kept = true;
  const visit = (node: ts.Node): void => {
    if (!kept) return;
    if (ts.isIdentifier(node) && node.text === name && node !== decl.name && lookup(node)?.decl === decl) {
      const use = classify(node);
      if (use === 'release') releases++;
      else if (use === 'other') kept = false;
      return;
    }
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(scope, visit);
  return kept && releases > 0;
}

function classify(id: ts.Identifier): 'release' | 'call' | 'other' {
  const parent = id.parent;
  if (ts.isPropertyAccessExpression(parent) && parent.expression === id) {
    const call = parent.parent;
    if (!ts.isCallExpression(call) || call.expression !== parent) return 'other';
    if (parent.name.text !== 'release') return 'call';
    const first = call.arguments[0];
    return first && skipOuter(first).kind === ts.SyntaxKind.TrueKeyword ? 'release' : 'other';
  }
  if (ts.isCallExpression(parent) && parent.arguments.includes(id) && libraryFunction(parent.expression))
    return 'call';
  return 'other';
}

/** A function of a database library rls-guard knows (`drizzle` of 'drizzle-orm/node-postgres'): it releases nothing. */
function libraryFunction(callee: ts.Expression): boolean {
  const e = skipOuter(callee);
  if (!ts.isIdentifier(e)) return false;
  const binding = lookup(e);
  if (binding?.kind !== 'import') return false;
  const from = binding.module;
  return adapters.some((a) => a.modules.some((m) => from === m || from.startsWith(`${m}/`)));
}
