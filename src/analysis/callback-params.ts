import ts from '../ts.js';
import { adapters, type DbAdapter } from '../adapters/index.js';
import { type AnalysisConfig, matchesSpec, type ResolvedAdminProvider } from './config.js';
import { functionName, type OriginResolver, shortText } from '../code/origins.js';
import { isFunctionLike, lookup } from '../code/scope.js';
import { skipOuter } from '../syntax/wrappers.js';
import { type AmbientHandle, transactionOnAmbient } from './ambient/providers.js';
import { callbackConnection, type ForwardingFact, passedTo } from './providers/transactions.js';
import { selectedBy } from './providers/conditional.js';
import { calleeName, importedName, importModule, scopeHelper } from './config-match.js';
import { type Handle, type ParamBinding, where } from './handles.js';
import { expressAccess, isExpressStore } from './context/express-vars.js';
import { agreedConnection, type HandedTo, namedCallbackUses } from './named-callbacks.js';

// The connection a callback's parameter receives from the call it is passed to: a scope
// helper's scoped executor, an admin provider's connection, a library's transaction (also
// through a helper of the codebase that forwards the callback), a query builder's receiver.

/** What reading a callback's parameter asks of provenance (HandleResolver gives it). */
export interface CallbackDeps {
  origins: OriginResolver;
  config: AnalysisConfig;
  root: string;
  /** The handle an expression is (types included): the call's receiver. */
  of(expression: ts.Expression): Handle;
  /** The forwarding fact of a pass-through helper (providers/transactions.ts), once per helper. */
  forwards(fn: ts.FunctionLikeDeclaration): ForwardingFact;
}

/**
 * The handle a callback's parameter is by the call it is passed to, in the order the
 * resolver has always tried them: scope helper, admin provider, library transaction,
 * forwarded transaction, query builder. Undefined when none applies (a plain parameter).
 */
export function callbackParam(deps: CallbackDeps, binding: ParamBinding): Handle | undefined {
  const inline = callbackParamAt(deps, binding, undefined);
  if (inline) return inline;
  // `const body = async (tx) => …; db.transaction(body)`: read at each call it is handed to (named-callbacks.ts).
  const uses = namedCallbackUses(binding.fn);
  if (!uses) return undefined;
  const handles = uses.map((use) => callbackParamAt(deps, binding, use));
  return agreedConnection(handles, functionName(binding.fn), (n) => where(n, deps.root), uses);
}

/** The same, with the callback handed to `use.call` by `use.arg` (undefined: written inline, at its parent). */
function callbackParamAt(deps: CallbackDeps, binding: ParamBinding, use: HandedTo | undefined): Handle | undefined {
  return (
    scopedCallbackParam(deps, binding, use) ??
    adminCallbackParam(deps, binding, use) ??
    transactionCallbackParam(deps, binding, use) ??
    forwardedCallbackParam(deps, binding, use) ??
    builderCallbackParam(deps, binding, use)
  );
}

/** db.with('gone', (qb) => …): the callback's query builder runs in db's statement, on db's connection. */
function builderCallbackParam(deps: CallbackDeps, binding: ParamBinding, use?: HandedTo): Handle | undefined {
  const fn = binding.fn;
  const call = use?.call ?? fn.parent;
  const arg = use?.arg ?? (fn as ts.Expression);
  if (binding.index !== 0 || !call || !ts.isCallExpression(call) || !call.arguments.includes(arg)) return undefined;
  const callee = skipOuter(call.expression);
  if (!ts.isPropertyAccessExpression(callee) || !adapters.some((a) => a.builderCallbacks?.includes(callee.name.text)))
    return undefined;
  const receiver = deps.of(callee.expression);
  const adapter =
    receiver.kind === 'executor'
      ? receiver.adapter
      : receiver.kind === 'param'
        ? receiver.typed?.adapter
        : receiver.kind === 'admin'
          ? receiver.adapter
          : undefined;
  if (receiver.kind === 'scoped' || (adapter && adapter.builderCallbacks?.includes(callee.name.text)))
    return receiver;
  return undefined;
}

/** A parameter of a callback passed to a scope helper receives the scoped executor. */
function scopedCallbackParam(deps: CallbackDeps, binding: ParamBinding, use?: HandedTo): Handle | undefined {
  const fn = binding.fn;
  const call = use?.call ?? fn.parent;
  if (!call || !ts.isCallExpression(call) || !(ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)))
    return undefined;
  const argIndex = call.arguments.indexOf(use?.arg ?? (fn as ts.Expression));
  if (argIndex < 0) return undefined;
  const helper = scopeHelper(deps.config, call);
  if (!helper) return undefined;
  const expectedArg = helper.callbackArg < 0 ? call.arguments.length + helper.callbackArg : helper.callbackArg;
  if (argIndex !== expectedArg || binding.index !== helper.executorParam) return undefined;
  const target = deps.origins.expr(call.expression);
  const definition =
    target.kind === 'function' ? { decl: target.decl, argIndex, execIndex: binding.index } : undefined;
  return {
    kind: 'scoped',
    via: helper.name,
    key: binding.decl,
    label: `\`${binding.name}\`, the executor ${helper.name} hands its callback`,
    helperCall: call,
    ...(definition ? { definition } : {}),
  };
}

/**
 * A parameter of a callback passed to an admin provider that is a callback helper
 * (withPgClient(async (client) => …)).
 */
function adminCallbackParam(deps: CallbackDeps, binding: ParamBinding, use?: HandedTo): Handle | undefined {
  const fn = binding.fn;
  const call = use?.call ?? fn.parent;
  if (!call || !ts.isCallExpression(call) || !(ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)))
    return undefined;
  const callee = skipOuter(call.expression);
  const name = calleeName(callee);
  if (!name) return undefined;
  const b = ts.isIdentifier(callee) ? lookup(callee) : undefined;
  const hit = matchesSpec(deps.config.adminProviders, importedName(b) ?? name, importModule(b)) as
    ResolvedAdminProvider | undefined;
  if (!hit) return undefined;
  const argIndex = call.arguments.indexOf(use?.arg ?? (fn as ts.Expression));
  const expected = hit.callbackArg < 0 ? call.arguments.length + hit.callbackArg : hit.callbackArg;
  if (argIndex !== expected || binding.index !== hit.executorParam) return undefined;
  return {
    kind: 'admin',
    via: hit.name,
    key: binding.decl,
    label: `\`${binding.name}\`, the admin connection ${hit.name}() hands its callback at ${where(call, deps.root)}`,
    ...(hit.declaredIn ? { declaredIn: hit.declaredIn } : {}),
  };
}

/**
 * The first parameter of a callback a library runs in a transaction (knex.transaction(trx
 * => …), sql.begin(sql => …), db.transaction().execute(trx => …)): one connection with a
 * transaction open and, until the callback sets it, no org context.
 */
function transactionCallbackParam(deps: CallbackDeps, binding: ParamBinding, use?: HandedTo): Handle | undefined {
  const fn = binding.fn;
  const call = use?.call ?? fn.parent;
  const arg = use?.arg ?? (fn as ts.Expression);
  if (
    binding.index !== 0 ||
    !call ||
    !ts.isCallExpression(call) ||
    !(ts.isArrowFunction(fn) || ts.isFunctionExpression(fn))
  )
    return undefined;
  // The first callback the call is given (inline, or this one by its name).
  if (call.arguments.find((a) => a === arg || isFunctionLike(skipOuter(a))) !== arg) return undefined;
  const callee = skipOuter(call.expression);
  if (!ts.isPropertyAccessExpression(callee)) return undefined;
  // A method an extension overrides (`client: { $transaction(fn) { … } }`) is the codebase's:
  // its callers' verdicts read its body.
  if (deps.origins.expr(callee).kind === 'function') return undefined;
  // db.transaction().execute(cb): the method is on the inner call.
  let method = callee.name.text;
  let receiverExpr = callee.expression;
  let then: string | undefined;
  const inner = skipOuter(callee.expression);
  if (ts.isCallExpression(inner) && ts.isPropertyAccessExpression(skipOuter(inner.expression))) {
    const innerCallee = skipOuter(inner.expression) as ts.PropertyAccessExpression;
    then = method;
    method = innerCallee.name.text;
    receiverExpr = innerCallee.expression;
  }
  const tryReceiver = (expr: ts.Expression, m: string, t: string | undefined): Handle | undefined => {
    const receiver = deps.of(expr);
    return (
      callbackConnection(receiver, expr, m, t, binding, call, deps.root) ??
      (receiver.kind === 'ambient' && !t
        ? transactionOnAmbient(
            receiver,
            m,
            `\`${binding.name}\`, the transaction ${shortText(expr, 20)}.${m}() opens at ${where(call, deps.root)}`,
          )
        : undefined)
    );
  };
  return (
    (then ? tryReceiver(receiverExpr, method, then) : undefined) ??
    tryReceiver(callee.expression, callee.name.text, undefined)
  );
}

/**
 * The first parameter of a callback passed to a function of the codebase that hands it on
 * to a library's transaction method (`withTransaction(knex, cb)` → `knex.transaction(cb)`):
 * the transaction opened on whatever connection this call passes. Once per helper.
 */
function forwardedCallbackParam(deps: CallbackDeps, binding: ParamBinding, use?: HandedTo): Handle | undefined {
  if (binding.index !== 0 || !(ts.isArrowFunction(binding.fn) || ts.isFunctionExpression(binding.fn)))
    return undefined;
  const passed = use ? passedByName(use, deps.origins) : passedTo(binding.fn, deps.origins);
  if (!passed) return undefined;
  const fact = deps.forwards(passed.helper);
  // Used otherwise too on the path this call selects: judged through every use at the helper.
  if ((fact.others.get(passed.argIndex) ?? []).some((n) => selectedBy(passed.helper, n, passed.call)))
    return undefined;
  return forwardedConnections(deps, passed.helper, passed.argIndex, passed.call, binding)[0];
}

/** `withSerializableRetry(body)`: the helper of the codebase a named callback is handed to. */
function passedByName(use: HandedTo, origins: OriginResolver): ReturnType<typeof passedTo> {
  const target = origins.expr(use.call.expression);
  const argIndex = use.call.arguments.indexOf(use.arg);
  return target.kind === 'function' && argIndex >= 0 ? { call: use.call, argIndex, helper: target.decl } : undefined;
}

/**
 * The connections a pass-through helper opens the transaction on for the callback whose
 * first parameter is `param` (`withTx(ky, async (trx) => …)` → `ky`), on the path the call
 * selects: where the instance behind `trx` was built (construction.ts).
 */
export function forwardedReceivers(deps: CallbackDeps, param: ts.ParameterDeclaration): ts.Expression[] {
  const fn = param.parent;
  if (!(ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) || fn.parameters[0] !== param) return [];
  const passed = passedTo(fn, deps.origins);
  if (!passed) return [];
  const out: ts.Expression[] = [];
  for (const f of deps.forwards(passed.helper).forwards) {
    if (f.param !== passed.argIndex || !selectedBy(passed.helper, f.ref, passed.call)) continue;
    const receiver = 'expr' in f.receiver ? f.receiver.expr : passed.call.arguments[f.receiver.param];
    if (receiver) out.push(receiver);
  }
  return out;
}

/**
 * The transactions a helper opens for its callback parameter by handing it to a library (on
 * the path `call` selects).
 */
export function forwardedConnections(
  deps: CallbackDeps,
  helper: ts.FunctionLikeDeclaration,
  paramIndex: number,
  call: ts.CallExpression | undefined,
  binding: ParamBinding,
): Handle[] {
  const out: Handle[] = [];
  for (const f of deps.forwards(helper).forwards) {
    if (f.param !== paramIndex || !selectedBy(helper, f.ref, call)) continue;
    const receiver = 'expr' in f.receiver ? f.receiver.expr : call?.arguments[f.receiver.param];
    if (!receiver) {
      out.push({
        kind: 'unknown',
        reason: `\`${functionName(helper)}\` opens the callback's transaction on a connection its caller passes`,
      });
      continue;
    }
    const through = `${functionName(helper)}() (${where(f.at, deps.root)})`;
    const opened = deps.of(receiver);
    // On an ambient accessor (`runInTransaction(fn) { return db.transaction(fn) }` with `db` a store's Proxy): a
    // savepoint of the stored transaction or a new one on the fallback, judged per path, as written in place.
    const handle =
      callbackConnection(opened, receiver, f.method, f.then, binding, call ?? f.at, deps.root, through) ??
      (opened.kind === 'ambient' && !f.then
        ? transactionOnAmbient(opened, f.method, `\`${binding.name}\`, the transaction ${through} opens`)
        : undefined);
    out.push(
      handle ?? {
        kind: 'unknown',
        reason: `the connection ${functionName(helper)}() hands its callback cannot be traced`,
      },
    );
  }
  return out;
}

/**
 * The parameter of a callback handed to a function a middleware hangs on the Express request
 * (`req.tenantTransaction(async (client) => …)`, with `req.tenantTransaction = (cb) => withTenantTransaction(req,
 * cb)` in the middleware): the request property's store, marked with the callback, judged per path as what the function
 * entered there does with it (ambient/settle.ts). Undefined for any other call.
 */
export function requestCallbackParam(
  deps: CallbackDeps,
  binding: ParamBinding,
  typed: { adapter: DbAdapter } | null,
): AmbientHandle | undefined {
  const fn = binding.fn;
  if (!(ts.isArrowFunction(fn) || ts.isFunctionExpression(fn))) return undefined;
  let call: ts.Node = fn.parent;
  while (ts.isParenthesizedExpression(call) || ts.isAsExpression(call)) call = call.parent;
  if (!ts.isCallExpression(call)) return undefined;
  const argIndex = call.arguments.findIndex((a) => skipOuter(a) === fn);
  const callee = skipOuter(call.expression);
  if (argIndex < 0 || !ts.isPropertyAccessExpression(callee)) return undefined;
  // Read syntactically first: every callback passes here.
  const access = expressAccess(callee, deps.origins);
  if (!access || access.rest.length) return undefined;
  const read = deps.of(callee);
  if (read.kind !== 'ambient' || !isExpressStore(read.store) || read.path.length !== 1 || read.called) return undefined;
  return {
    ...read,
    key: binding.decl,
    calledBack: { call, argIndex, binding, typed },
    label: `\`${binding.name}\`, a parameter of the callback passed to the function \`${read.storeName}\` of the ` +
      `Express request at ${where(call, deps.root)}`,
  };
}
