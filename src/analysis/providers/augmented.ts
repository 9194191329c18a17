import ts from '../../ts.js';
import { lookup } from '../../code/scope.js';
import { skipOuter } from '../../syntax/wrappers.js';
import { WRITE_MEMBERS } from '../context/replicas.js';

// `Object.assign(db, { executeOnReplica, … })` returns `db` itself with members added: the
// same connection, as long as no added member replaces one a write goes through (insert,
// update, delete, execute, transaction). A source that is not an object literal, or that
// spreads another object, may replace anything: then the result stays untraced.

/** The target of `Object.assign(target, …sources)` when it is the same connection for writes. */
export function augmentedTarget(call: ts.CallExpression): ts.Expression | { reason: string } | undefined {
  const callee = skipOuter(call.expression);
  if (
    !ts.isPropertyAccessExpression(callee) ||
    callee.name.text !== 'assign' ||
    !ts.isIdentifier(callee.expression) ||
    callee.expression.text !== 'Object' ||
    lookup(callee.expression) ||
    call.arguments.length === 0
  )
    return undefined;
  for (const source of call.arguments.slice(1)) {
    const s = skipOuter(source);
    if (!ts.isObjectLiteralExpression(s) || s.properties.some((p) => ts.isSpreadAssignment(p)))
      return { reason: `\`Object.assign\` at a source that may replace the connection's write methods` };
    const replaced = s.properties.find(
      (p) => p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) && WRITE_MEMBERS.includes(p.name.text),
    );
    if (replaced) return { reason: `\`Object.assign\` replaces the connection's \`${replaced.name!.getText()}\`` };
  }
  return call.arguments[0]!;
}
