import ts from '../ts.js';
// Lives in src/code (not src/analysis/providers) because the origin resolver reads it, and
// src/code sits below the analysis (docs/architecture.md).
import type { Origin, OriginResolver } from './origins.js';
import { skipOuter } from '../syntax/wrappers.js';

// Prisma client extensions as codebases build them: a factory that takes the statement
// setting the org as an argument (`prisma.$extends(rlsExtension(sql))`), and an extension
// whose `client` component overrides `$transaction` with a function of the codebase that
// opens the real transaction, sets the org on it and hands it to the callback.

/**
 * The parameters of the functions an extension is built through, bound to the arguments of
 * the call that built it (`rlsExtension(Prisma.sql\`SELECT set_config(…)\`)`): the SQL a
 * query hook runs through `setOrg` is the argument's.
 */
export class ExtensionBindings {
  private readonly bound = new Map<ts.ParameterDeclaration, ts.Expression>();

  bind(call: ts.CallExpression, fn: ts.FunctionLikeDeclaration): void {
    fn.parameters.forEach((p, i) => {
      const arg = call.arguments[i];
      if (arg && ts.isIdentifier(p.name) && !this.bound.has(p)) this.bound.set(p, arg);
    });
  }

  /** The expression a parameter of a followed function was called with, through further such parameters. */
  resolve(expr: ts.Expression, origins: OriginResolver): ts.Expression {
    let e = expr;
    for (let i = 0; i < 8; i++) {
      const o = origins.expr(e);
      if (o.kind !== 'param' || o.path.length > 0) return e;
      const arg = this.bound.get(o.binding.decl);
      if (!arg) return e;
      e = arg;
    }
    return e;
  }
}

/**
 * A method of an extended client that the extension's `client` component defines
 * (`prisma.$extends({ client: { $transaction(fn) { … } } })`): the function, or undefined.
 * Read wherever the extension object is written (inline, a const, a function's return).
 */
export function extensionClientMethod(call: ts.Expression, key: string, origins: OriginResolver): Origin | undefined {
  let e = skipOuter(call);
  while (ts.isAwaitExpression(e)) e = skipOuter(e.expression);
  if (!ts.isCallExpression(e)) return undefined;
  const callee = skipOuter(e.expression);
  if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== '$extends' || !e.arguments[0]) return undefined;
  const client = origins.member(origins.expr(e.arguments[0]), 'client');
  if (client.kind !== 'expr' || !ts.isObjectLiteralExpression(skipOuter(client.expr))) return undefined;
  const method = origins.member(client, key);
  return method.kind === 'function' ? method : undefined;
}
