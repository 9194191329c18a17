import ts from '../ts.js';
import { returnedExpressions } from '../code/own-returns.js';
import { isFunctionLike, lookup } from '../code/scope.js';
import { skipOuter } from '../syntax/wrappers.js';

/**
 * A generic lazy-client helper (ServeOs, AgConnect: a framework's build imports the module without the database's
 * URL, so the client is made on first use):
 *
 *   function deferred<T extends object>(make: () => T): T {
 *     return new Proxy({} as T, { get(_t, key) { const target = make(); return Reflect.get(target, key, target) } });
 *   }
 *   export const db = deferred(() => connect().db);
 *
 * Every member of what a call returns is the member of what the function the call passes makes, so the call is
 * that function's value. The Proxy's trap (read by `forwarded`, the ambient providers' lazy-Proxy reading) calls one
 * parameter of `fn` with no arguments; this returns the argument the call gives that parameter, or undefined where
 * `fn` is not such a helper. What the argument is (a function literal, or a name that is one) is the caller's to
 * follow: anything else leaves the call untraced, never "not a database".
 */
export function lazyMakerArgument(
  fn: ts.FunctionLikeDeclaration,
  call: ts.CallExpression,
  forwarded: (created: ts.NewExpression) => ts.Expression | undefined,
): ts.Expression | undefined {
  const returns = returnedExpressions(fn);
  if (returns.length !== 1) return undefined;
  const made = skipOuter(returns[0]!);
  if (!ts.isNewExpression(made)) return undefined;
  const source = forwarded(made);
  const maker = source && skipOuter(source);
  if (!maker || !ts.isCallExpression(maker) || maker.arguments.length) return undefined;
  const callee = skipOuter(maker.expression);
  if (!ts.isIdentifier(callee)) return undefined;
  const binding = lookup(callee);
  if (binding?.kind !== 'parameter') return undefined;
  const index = fn.parameters.indexOf(binding.decl);
  const arg = index >= 0 && !binding.decl.dotDotDotToken ? call.arguments[index] : undefined;
  return arg && !ts.isSpreadElement(arg) ? arg : undefined;
}

/** The function `arg` is when written as a function literal (`() => connect().db`), else undefined. */
export function literalMaker(arg: ts.Expression): ts.FunctionLikeDeclaration | undefined {
  const e = skipOuter(arg);
  return isFunctionLike(e) ? e : undefined;
}
