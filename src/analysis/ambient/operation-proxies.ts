import ts from '../../ts.js';
import type { OriginResolver } from '../../code/origins.js';
import { isFunctionLike, lookup } from '../../code/scope.js';
import { walkDescendants } from '../../code/walk.js';
import { skipOuter } from '../../syntax/wrappers.js';
import { type AmbientProviders, proxyTraps, type StoreRead } from './providers.js';

/**
 * A Proxy that runs every operation of a client in a short transaction of its own, after setting the context from an
 * AsyncLocalStorage (AgConnect's `makeRlsClient`: one transaction per statement, so a request holds a pooled
 * connection only while a statement runs):
 *
 *   get(_t, prop) { …
 *     return (...args) => prisma.$transaction(async (tx) => {
 *       const ctx = als.getStore();
 *       if (ctx) await applyRlsToTx(tx, ctx);          // set_config('app.role', …, true), …
 *       return tx[prop](...args);
 *     });
 *   }
 *
 * Every transaction the traps open (`R.$transaction(cb)`, `R.transaction(cb)`, nested Proxies' traps included) must
 * be on the same `R`, and each callback must begin with the same two statements: a const read of one store's whole
 * value, and, under `if (ctx)`, one call given the callback's transaction and that value. Where a path entered the
 * store the operation runs on a transaction on which that call ran; where none did, on a transaction with nothing
 * set. Any other shape is not read (the Proxy stays untraced: unresolved).
 */
export interface OperationProxy {
  read: StoreRead;
  /** `prisma` in `prisma.$transaction(…)`: the client each operation's transaction is opened on. */
  receiver: ts.Expression;
  /** The first transaction the traps open (for the evidence). */
  opens: ts.CallExpression;
  /** `applyRlsToTx(tx, ctx)` in the first callback, and the index of the transaction among its arguments. */
  setter: ts.CallExpression;
  txIndex: number;
  /** The `if (ctx)` that skips it where the store holds nothing. */
  guard: ts.IfStatement;
}

const OPENERS = new Set(['$transaction', 'transaction']);

export function operationProxy(
  created: ts.NewExpression,
  origins: OriginResolver,
  ambient: AmbientProviders,
): OperationProxy | undefined {
  const traps = proxyTraps(created, origins);
  if (!traps) return undefined;
  const found: OperationProxy[] = [];
  let bad = false;
  for (const trap of traps) {
    walkDescendants(trap.body!, (n) => {
      if (bad) return false;
      if (!ts.isCallExpression(n)) return true;
      const callee = skipOuter(n.expression);
      if (!ts.isPropertyAccessExpression(callee) || !OPENERS.has(callee.name.text)) return true;
      const cb = n.arguments[0] && skipOuter(n.arguments[0]);
      if (!cb || !isFunctionLike(cb)) return true;
      const one = opening(n, callee.expression, cb, ambient, origins);
      if (one) found.push(one);
      else bad = true;
      return true;
    });
  }
  const [first] = found;
  if (bad || !first) return undefined;
  const same = (a: ts.Expression, b: ts.Expression): boolean => {
    const x = skipOuter(a);
    const y = skipOuter(b);
    if (ts.isIdentifier(x) && ts.isIdentifier(y)) return !!lookup(x) && lookup(x)?.decl === lookup(y)?.decl;
    return x.getText() === y.getText();
  };
  const agree = found.every(
    (f) =>
      f.read.store === first.read.store &&
      same(f.receiver, first.receiver) &&
      same(f.setter.expression, first.setter.expression) &&
      f.txIndex === first.txIndex,
  );
  return agree ? first : undefined;
}

/** One transaction the trap opens, when its callback begins by applying the store's value to its transaction. */
function opening(
  call: ts.CallExpression,
  receiver: ts.Expression,
  cb: ts.FunctionLikeDeclaration,
  ambient: AmbientProviders,
  origins: OriginResolver,
): OperationProxy | undefined {
  const tx = cb.parameters[0]?.name;
  if (!tx || !ts.isIdentifier(tx) || !cb.body || !ts.isBlock(cb.body)) return undefined;
  const [held, test] = cb.body.statements;
  if (!held || !test || !ts.isVariableStatement(held) || !ts.isIfStatement(test) || test.elseStatement)
    return undefined;
  const decl = held.declarationList.declarations[0];
  if (held.declarationList.declarations.length !== 1 || !decl?.initializer || !ts.isIdentifier(decl.name))
    return undefined;
  const read = ambient.read(decl.initializer);
  if (!read || read.path.length || !ts.isNewExpression(read.store)) return undefined;
  const ctx = decl.name;
  const cond = skipOuter(test.expression);
  if (!ts.isIdentifier(cond) || cond.text !== ctx.text) return undefined;
  let then: ts.Statement = test.thenStatement;
  if (ts.isBlock(then) && then.statements.length === 1) then = then.statements[0]!;
  if (!ts.isExpressionStatement(then)) return undefined;
  let e = skipOuter(then.expression);
  if (ts.isAwaitExpression(e)) e = skipOuter(e.expression);
  if (!ts.isCallExpression(e)) return undefined;
  const args = e.arguments.map((a) => skipOuter(a));
  const txIndex = args.findIndex((a) => ts.isIdentifier(a) && a.text === tx.text);
  const givesValue = args.some((a) => ts.isIdentifier(a) && a.text === ctx.text);
  if (txIndex < 0 || !givesValue) return undefined;
  // The setter is a function of the codebase, whose body says what it sets (providers/setters.ts).
  const callee = skipOuter(e.expression);
  if (!ts.isIdentifier(callee) || origins.expr(callee).kind !== 'function') return undefined;
  return { read, receiver, opens: call, setter: e, txIndex, guard: test };
}
