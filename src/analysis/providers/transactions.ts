import type { LoginRole } from './login-roles.js';
import ts from '../../ts.js';
import { adapters, type DbAdapter } from '../../adapters/index.js';
import type { FactKind } from '../../code/fixpoint.js';
import type { Handle, ParamBinding } from '../handles.js';
import { carriedBy, where } from '../handles.js';
import { functionName, type OriginResolver, shortText } from '../../code/origins.js';
import { isFunctionLike } from '../../code/scope.js';
import { skipOuter } from '../../syntax/wrappers.js';

// What a library hands the callback of a transaction method, and functions of the codebase
// that only pass a callback through to one (`withTransaction(knex, cb)` whose body is
// `return knex.transaction(cb)`).
//
// A transaction method called on a connection that already is in a transaction (Drizzle's
// and knex's `tx.transaction(sp => …)`, slonik's and pg-promise's nested `tx`, postgres.js
// `sql.savepoint(sp => …)`, a nested `$transaction`) opens a SAVEPOINT on the same connection:
// the callback's executor *is* the outer connection, so it keeps the org context the outer
// transaction set. Returning the outer handle (same key) lets the flow walk carry that state
// into the callback without any special case.

type Receiver = Extract<Handle, { kind: 'executor' | 'scoped' | 'admin' | 'param' }>;

/**
 * The handle a library hands the callback of `receiver.method(cb)` (or
 * `receiver.method().then(cb)`), or undefined when the method is no transaction or
 * connection callback of the receiver's library.
 */
export function callbackConnection(
  receiver: Handle,
  receiverExpr: ts.Expression,
  method: string,
  then: string | undefined,
  binding: ParamBinding,
  call: ts.CallExpression,
  root: string,
  through?: string,
): Handle | undefined {
  if (!isReceiver(receiver)) return undefined;
  const adapter = adapterOf(receiver);
  const nestedMethod = isNestedMethod(adapter, method, then);
  const via = through ? ` through ${through}` : '';
  if (nestedMethod && inTransaction(receiver)) {
    // A savepoint on the same connection: the outer handle itself, so its state carries in.
    const what = receiver.kind === 'admin' ? 'a transaction' : 'a savepoint';
    return {
      ...receiver,
      label: `\`${binding.name}\`, ${what} that ${shortText(receiverExpr, 20)}.${method}() opens at ` +
        `${where(call, root)}${via} on ${receiver.label}`,
    } as Handle;
  }
  if (receiver.kind === 'param' && opensTransaction(adapter, method, then)) {
    // A transaction opened on a parameter, typed or not: its callers decide whether it is a new transaction (a
    // pool's, in which the callback's own sets count) or a savepoint (a transaction's, inheriting its context); either
    // way it runs on what they pass (program.ts). The callback's connection has a key of its own, in a transaction.
    const declared = receiver.typed ? opened(receiver, receiverExpr, method, binding, call, root, via) : undefined;
    return {
      ...receiver,
      key: binding.decl,
      label: `\`${binding.name}\`, the transaction or savepoint ${shortText(receiverExpr, 20)}.${method}() opens ` +
        `at ${where(call, root)}${via} on ${receiver.label}`,
      opened: {
        at: call,
        transaction: `${shortText(receiverExpr, 20)}.${method}()`,
        ...(declared ? { declared } : {}),
      },
    };
  }
  if (receiver.kind !== 'executor' && !(receiver.kind === 'param' && receiver.typed)) {
    // A parameter of unknown kind handed to a connection callback: it runs on what the callers pass.
    if (receiver.kind === 'param' && nestedMethod)
      return {
        ...receiver,
        label: `\`${binding.name}\`, the transaction or savepoint ${shortText(receiverExpr, 20)}.${method}() opens ` +
          `on ${receiver.label}`,
      };
    return undefined;
  }
  if (!adapter) return undefined;
  if (adapter.connectionCallbacks?.includes(then ? `${method}().${then}` : method)) {
    return {
      kind: 'executor',
      exec: 'pool-client',
      adapter,
      key: binding.decl,
      label: `\`${binding.name}\`, the connection ` +
        `${shortText(receiverExpr, 20)}.${method}()${then ? `.${then}()` : ''} checks out at ` +
        `${where(call, root)}${via}`,
      ...loginOf(receiver),
    };
  }
  const spec = adapter.transactionMethods?.[method];
  if (!spec || spec.then !== then) return undefined;
  return opened(receiver, receiverExpr, method, binding, call, root, via);
}

/** A new transaction of the receiver's library, opened by `receiver.method(…)`. */
function opened(
  receiver: Receiver,
  receiverExpr: ts.Expression,
  method: string,
  binding: ParamBinding,
  call: ts.CallExpression,
  root: string,
  via: string,
): Handle | undefined {
  const adapter = adapterOf(receiver);
  if (!adapter) return undefined;
  return {
    kind: 'executor',
    exec: 'client',
    adapter,
    key: binding.decl,
    transaction: `${shortText(receiverExpr, 20)}.${method}()`,
    label: `\`${binding.name}\`, the transaction ${shortText(receiverExpr, 20)}.${method}() opens at ` +
      `${where(call, root)}${via}`,
    ...loginOf(receiver),
    ...(receiver.kind === 'executor' && receiver.exec === 'pool' ? { pooled: true as const } : {}),
  };
}

/**
 * A transaction or savepoint method of the receiver's library (of any, when unknown), and no connection callback of
 * any: the callback runs in a transaction whatever the receiver is.
 */
function opensTransaction(adapter: DbAdapter | undefined, method: string, then: string | undefined): boolean {
  const candidates = adapter ? [adapter] : adapters;
  const key = then ? `${method}().${then}` : method;
  if (candidates.some((a) => a.connectionCallbacks?.includes(key) || a.connectionCallbacks?.includes(method)))
    return false;
  return candidates.some(
    (a) =>
      (a.transactionMethods?.[method] !== undefined && a.transactionMethods[method]!.then === then) ||
      (!then && !!a.savepointMethods?.includes(method)),
  );
}

/** A connection checked out of a pool logs in as the pool does, and speaks to the same database. */
function loginOf(receiver: Handle): { login?: LoginRole; otherDatabase?: string } {
  return carriedBy(receiver);
}

function isReceiver(h: Handle): h is Receiver {
  return h.kind === 'executor' || h.kind === 'scoped' || h.kind === 'admin' || h.kind === 'param';
}

function adapterOf(h: Receiver): DbAdapter | undefined {
  if (h.kind === 'executor') return h.adapter;
  if (h.kind === 'param') return h.typed?.adapter;
  if (h.kind === 'admin') return h.adapter;
  return undefined;
}

/** A transaction, savepoint or connection-callback method of the receiver's library (or of any, when unknown). */
function isNestedMethod(adapter: DbAdapter | undefined, method: string, then: string | undefined): boolean {
  const candidates = adapter ? [adapter] : adapters;
  return candidates.some(
    (a) =>
      (a.transactionMethods?.[method] && a.transactionMethods[method]!.then === then) ||
      (!then && (a.connectionCallbacks?.includes(method) || a.savepointMethods?.includes(method))),
  );
}

/** The connection is known to be inside a transaction: a library transaction, a scope helper's, an admin one. */
function inTransaction(h: Receiver): boolean {
  if (h.kind === 'executor') return h.transaction !== undefined;
  // A transaction this function opened on its parameter: a nested one is its savepoint.
  if (h.kind === 'param') return h.opened !== undefined;
  // A scope helper's executor is a transaction by definition; an admin connection's nested
  // transaction runs with the same rights whatever it is.
  return h.kind === 'scoped' || h.kind === 'admin';
}

// ---- pass-through helpers ----

/**
 * A function that hands its callback parameter `param` to `receiver.method(…)`: the receiver is one of its parameters
 * or an expression in its body.
 */
export interface Forwarding {
  param: number;
  receiver: { param: number } | { expr: ts.Expression };
  method: string;
  then: string | undefined;
  /** The call that runs the library method, for the evidence. */
  at: ts.CallExpression;
  /** The call in this function's own body that passes the callback on (for guards). */
  ref: ts.CallExpression;
}

/** A function's forwardings, and the other places it uses each callback parameter. */
export interface ForwardingFact {
  forwards: Forwarding[];
  /** Per parameter, the references to it that are not a forwarding (calls of it, other helpers). */
  others: Map<number, ts.Node[]>;
}

const TX_METHODS = new Set(
  adapters.flatMap((a) => [
    ...Object.keys(a.transactionMethods ?? {}),
    ...(a.connectionCallbacks ?? []),
    ...(a.savepointMethods ?? []),
  ]),
);

/**
 * Per function, once (through the fact engine): which callback parameters it passes,
 * untouched, to a library's transaction method, directly or through another such function.
 */
export function forwardingFact(
  origins: OriginResolver,
  get: (fn: ts.FunctionLikeDeclaration) => ForwardingFact,
): FactKind<ts.FunctionLikeDeclaration, ForwardingFact> {
  const paramOf = (fn: ts.FunctionLikeDeclaration, e: ts.Expression): number | undefined => {
    const o = origins.expr(e);
    return o.kind === 'param' && o.path.length === 0 && o.binding.fn === fn ? o.binding.index : undefined;
  };
  return {
    name: 'forwards-callback',
    compute: (fn) => {
      const out: Forwarding[] = [];
      const others = new Map<number, ts.Node[]>();
      if (!fn.body) return { forwards: out, others };
      const forwarded = new Set<ts.Node>();
      const visit = (n: ts.Node): void => {
        // Any other reference to a parameter (also inside a nested function) is another use.
        if (
          ts.isIdentifier(n) &&
          !forwarded.has(n) &&
          !ts.isParameter(n.parent) &&
          !(ts.isPropertyAccessExpression(n.parent) && n.parent.name === n)
        ) {
          const p = paramOf(fn, n);
          if (p !== undefined) others.set(p, [...(others.get(p) ?? []), n]);
        }
        if (ts.isCallExpression(n)) noteForwardings(n);
        ts.forEachChild(n, visit);
      };
      const noteForwardings = (n: ts.CallExpression): void => {
        n.arguments.forEach((arg, argIndex) => {
          const p = paramOf(fn, arg);
          if (p === undefined) return;
          const callee = skipOuter(n.expression);
          // A method the codebase declares (`secure.$transaction(cb)` of its own client class) is not the library's:
          // it is read as a helper below, as callback-params.ts reads a direct call of it.
          const own = origins.expr(n.expression).kind === 'function';
          const shape = ts.isPropertyAccessExpression(callee) && !own ? libraryCall(callee) : undefined;
          if (shape) {
            const r = paramOf(fn, shape.receiver);
            out.push({
              param: p,
              receiver: r !== undefined ? { param: r } : { expr: shape.receiver },
              method: shape.method,
              then: shape.then,
              at: n,
              ref: n,
            });
            forwarded.add(skipOuter(arg));
            return;
          }
          // Through another pass-through helper of the codebase.
          const target = origins.expr(n.expression);
          if (target.kind !== 'function') return;
          for (const f of get(target.decl).forwards) {
            if (f.param !== argIndex) continue;
            let receiver: Forwarding['receiver'] = f.receiver;
            if ('param' in f.receiver) {
              const passed = n.arguments[f.receiver.param];
              if (!passed) continue;
              const r = paramOf(fn, passed);
              receiver = r !== undefined ? { param: r } : { expr: passed };
            }
            out.push({ param: p, receiver, method: f.method, then: f.then, at: f.at, ref: n });
            forwarded.add(skipOuter(arg));
          }
        });
      };
      visit(fn.body);
      return { forwards: out, others };
    },
    conservative: () => ({ forwards: [], others: new Map() }),
    same: (a, b) =>
      a.forwards.length === b.forwards.length &&
      a.forwards.every(
        (x, i) => x.param === b.forwards[i]!.param && x.method === b.forwards[i]!.method && x.at === b.forwards[i]!.at,
      ) &&
      a.others.size === b.others.size,
  };
}

/** `r.m(cb)` or `r.m().then(cb)` (Kysely's db.transaction().execute(cb)): the receiver and the method names. */
function libraryCall(
  callee: ts.PropertyAccessExpression,
): { receiver: ts.Expression; method: string; then: string | undefined } | undefined {
  const inner = skipOuter(callee.expression);
  if (ts.isCallExpression(inner) && ts.isPropertyAccessExpression(skipOuter(inner.expression))) {
    const innerCallee = skipOuter(inner.expression) as ts.PropertyAccessExpression;
    if (adapters.some((a) => a.transactionMethods?.[innerCallee.name.text]?.then === callee.name.text))
      return { receiver: innerCallee.expression, method: innerCallee.name.text, then: callee.name.text };
  }
  return TX_METHODS.has(callee.name.text)
    ? { receiver: callee.expression, method: callee.name.text, then: undefined }
    : undefined;
}

/** The helper a call passes an inline callback to, and which of its parameters that is. */
export function passedTo(
  fn: ts.SignatureDeclaration,
  origins: OriginResolver,
): { call: ts.CallExpression; argIndex: number; helper: ts.FunctionLikeDeclaration } | undefined {
  let call: ts.Node = fn.parent;
  while (call && (ts.isParenthesizedExpression(call) || ts.isAsExpression(call))) call = call.parent;
  if (!call || !ts.isCallExpression(call)) return undefined;
  const argIndex = call.arguments.findIndex((a) => skipOuter(a) === fn);
  if (argIndex < 0) return undefined;
  const target = origins.expr(call.expression);
  return target.kind === 'function' ? { call, argIndex, helper: target.decl } : undefined;
}
