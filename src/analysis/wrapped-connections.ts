import ts from '../ts.js';
import { returnedExpressions } from '../code/own-returns.js';
import { type Facts, TrackedMemo } from '../code/fixpoint.js';
import { skipOuter } from '../syntax/wrappers.js';
import { lookup } from '../code/scope.js';

// An ORM instance built over a connection the code already holds (`drizzle(reserved)`, `drizzle({ client })` with
// a postgres.js `reserve()`, a pg `pool.connect()` client, a transaction) sends every query on that one
// connection: its writes see what was set on it, session-level or in its open transaction. Over a pool or a URL
// the instance is a pool of its own (the adapter's factory kind), as before.

/** The connection a wrapping factory's call is built over: its first argument, or that object's `client` field. */
export function wrappedArgument(call: ts.CallExpression): ts.Expression | undefined {
  const first = call.arguments[0];
  if (!first || ts.isSpreadElement(first)) return undefined;
  const e = skipOuter(first);
  if (!ts.isObjectLiteralExpression(e)) return first;
  for (const p of e.properties) {
    if (ts.isPropertyAssignment(p) && p.name.getText() === 'client') return p.initializer;
    if (ts.isShorthandPropertyAssignment(p) && p.name.text === 'client') return p.name;
  }
  return undefined;
}

/**
 * A helper of the codebase that only wraps one of its parameters in a wrapping factory on every path
 * (`(client) => drizzle(client)`): the parameter's index and a return's call, or undefined. `isWrapping` says
 * whether a return's callee is such a factory. Read once per function, however many of its calls are traced.
 */
export function wrappedParam(
  fn: ts.FunctionLikeDeclaration,
  isWrapping: (callee: ts.Expression) => boolean,
  facts?: Facts,
): { index: number; call: ts.CallExpression } | undefined {
  if (facts) {
    let m = tracked.get(facts);
    if (!m) tracked.set(facts, (m = new TrackedMemo(facts)));
    return m.get(fn, () => compute(fn, isWrapping));
  }
  if (!memo.has(fn)) memo.set(fn, compute(fn, isWrapping));
  return memo.get(fn);
}

/** Per fact engine and tracked (fixpoint.ts): `isWrapping` follows imports into other files. */
const tracked = new WeakMap<
  Facts,
  TrackedMemo<ts.FunctionLikeDeclaration, { index: number; call: ts.CallExpression } | undefined>
>();

const memo = new WeakMap<ts.FunctionLikeDeclaration, { index: number; call: ts.CallExpression } | undefined>();

function compute(
  fn: ts.FunctionLikeDeclaration,
  isWrapping: (callee: ts.Expression) => boolean,
): { index: number; call: ts.CallExpression } | undefined {
  if (!fn.body) return undefined;
  const exprs = returnedExpressions(fn);
  let found: { index: number; call: ts.CallExpression } | undefined;
  for (const e of exprs) {
    const call = skipOuter(e);
    if (!ts.isCallExpression(call) || !isWrapping(call.expression)) return undefined;
    const arg = wrappedArgument(call);
    const x = arg && skipOuter(arg);
    const b = x && ts.isIdentifier(x) ? lookup(x) : undefined;
    if (b?.kind !== 'parameter' || b.fn !== fn || b.path.length || (found && found.index !== b.index)) return undefined;
    found = { index: b.index, call };
  }
  return found;
}
