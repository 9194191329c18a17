import ts from '../ts.js';
import type { OriginResolver } from '../code/origins.js';
import { skipOuter } from '../syntax/wrappers.js';
import type { ConnState } from './facts.js';
import type { Handle } from './handles.js';

// Callbacks that run later than where they are passed. The flow reads an inline callback where
// it is passed (map, forEach, a transaction helper's callback); these do not run there, and
// when they run decides which transaction they are in. Why each is read as it is, from how
// Node and the drivers order work (no database needed to see it):
//
// - A timer (setTimeout, setInterval, setImmediate) or an event listener (`res.on('finish',
//   …)`, `res.once('close', …)`, any `x.on|once('event', cb)`) runs in a later turn of the
//   event loop, when the timer fires or the event is emitted: after the function that
//   registered it has moved on, and, inside a transaction helper's callback, typically after
//   the helper has sent COMMIT (the callback's promise settles first). A driver queues queries
//   per connection in order, so its query lands after that COMMIT, or on a client handed back
//   to the pool. Nothing guarantees it runs inside the transaction, so the transaction's
//   SET LOCAL / set_config(…, true) does not cover it: `afterTransaction`. What stays: a
//   session-wide setting, an admin or per-tenant connection, and an AsyncLocalStorage store
//   (Node carries the store into timers and listeners registered inside `als.run`; a
//   connection read from it is judged as an ambient one, but a transaction held in the store
//   has ended all the same: not modelled here). Except where the code waits for it: a timer or
//   listener registered in the executor of a `new Promise(…)` (`await new Promise((resolve) =>
//   { rows.on('data', …); rows.on('end', resolve); })`, a stream read inside the transaction)
//   runs before that promise settles, so it is read where it is passed, as before.
// - A microtask (process.nextTick, queueMicrotask) runs once the current synchronous run
//   ends: at the function's next `await`, or when it returns. Its first queries are queued
//   after every query the code issued before that point (a COMMIT there precedes them) and
//   before anything after it; a transaction helper resumes (and commits) only after the
//   callback's promise settles, a later microtask, so a microtask registered in the helper's
//   callback runs inside its transaction. The flow reads it at that next await or return.

/** How a callback passed to this call runs: later in the event loop, as a microtask, or (undefined) where passed. */
export type Deferral = { kind: 'later' | 'microtask'; by: string };

const TIMERS = new Set(['setTimeout', 'setInterval', 'setImmediate']);
const LISTENERS = new Set(['on', 'once', 'addListener', 'prependListener', 'prependOnceListener']);

/** When the inline callback `fn` runs, from the call it is passed to (global timers only when not shadowed). */
export function deferralOf(fn: ts.Node, origins: OriginResolver): Deferral | undefined {
  let parent = fn.parent;
  while (parent && (ts.isParenthesizedExpression(parent) || ts.isAsExpression(parent))) parent = parent.parent;
  if (!parent || !ts.isCallExpression(parent)) return undefined;
  const call = parent;
  if (awaitedExecutor(call)) return undefined;
  const index = call.arguments.findIndex((a) => skipOuter(a) === fn);
  const callee = skipOuter(call.expression);
  const global = (id: ts.Identifier) => origins.expr(id).kind === 'unknown';
  if (ts.isIdentifier(callee) && index === 0) {
    if (TIMERS.has(callee.text) && global(callee)) return { kind: 'later', by: `${callee.text}() schedules` };
    if (callee.text === 'queueMicrotask' && global(callee)) return { kind: 'microtask', by: 'queueMicrotask() queues' };
  }
  if (!ts.isPropertyAccessExpression(callee)) return undefined;
  const method = callee.name.text;
  const target = skipOuter(callee.expression);
  if (method === 'nextTick' && index === 0 && ts.isIdentifier(target) && target.text === 'process' && global(target))
    return { kind: 'microtask', by: 'process.nextTick() queues' };
  const event = call.arguments[0] && skipOuter(call.arguments[0]);
  if (LISTENERS.has(method) && index === 1 && event && ts.isStringLiteralLike(event))
    return { kind: 'later', by: `\`${method}('${event.text}', …)\` registers` };
  return undefined;
}

/** Is `call` made in the executor of a `new Promise(…)`, which the code can wait on? */
function awaitedExecutor(call: ts.CallExpression): boolean {
  let fn: ts.Node | undefined = call.parent;
  while (fn && !ts.isFunctionLike(fn)) fn = fn.parent;
  let parent = fn?.parent;
  while (parent && (ts.isParenthesizedExpression(parent) || ts.isAsExpression(parent))) parent = parent.parent;
  return (
    !!parent &&
    ts.isNewExpression(parent) &&
    ts.isIdentifier(parent.expression) &&
    parent.expression.text === 'Promise' &&
    skipOuter(parent.arguments?.[0] ?? parent.expression) === fn
  );
}

/**
 * A connection's state in a callback run later: a transaction open where the callback was
 * registered (its own, a helper's, or a library's) has ended, and with it every
 * transaction-local setting and role; a session-wide setting stays.
 */
export function afterTransactionEnds(conn: ConnState, handle: Handle, at: ts.Node, by: string): ConnState {
  const localCtx = conn.ctx !== null && conn.ctx !== 'inherited' && conn.ctx.local;
  if (handle.kind !== 'scoped' && conn.tx !== true && !localCtx) return conn;
  return {
    ...conn,
    tx: false,
    ctx: null,
    ...(conn.role?.local ? { role: null } : {}),
    deferred: { at, by },
  };
}
