import ts from '../ts.js';
import type { DbAdapter } from '../adapters/index.js';
import { functionName, type OriginResolver } from '../code/origins.js';
import { lookup } from '../code/scope.js';
import { skipOuter } from '../syntax/wrappers.js';
import { ambientAdapter } from './ambient/providers.js';
import { declaredClassMethod } from './declared-methods.js';
import type { Handle, ParamBinding } from './handles.js';
import { type HandedTo, namedCallbackUses } from './named-callbacks.js';

// What a helper of the codebase hands the parameter of a callback passed to it, read off the helper's body: with
// `withTenant(id, fn) { return this.$transaction(async (tx) => { …; return fn(tx); }); }`, the `tx` of
// `withTenant(orgId, async (tx) => tx.invoice.create(…))` is a Prisma transaction, whatever the write's shape says.
// A write whose shape names no library (a Prisma delegate with no schema found, `tx.insert(t)` with `t` untraced,
// knex's `tx('t').insert(…)`, TypeORM's `manager.save(…)`) on such a parameter is the write of the library the helper
// hands it: a site (judged at the helper's calls of the callback, program.ts), never dropped. Nothing else here says
// how the write is judged; this only says whether the parameter is a connection of a library.

/** How far a callback's parameter handed on as another callback's (`fn(conn)` with `conn` a parameter) is followed. */
const MAX_HOPS = 3;

/** What reading a helper's calls of its callback asks of provenance. */
export interface HandedDeps {
  origins: OriginResolver;
  /** The handle an expression is. */
  of(expression: ts.Expression): Handle;
}

/**
 * The helper the callback of `binding` is passed to, when it calls the callback, at one call at least, with a
 * connection of `adapter` (or a scope helper's or admin provider's, whose library the call's shape decides) in the
 * parameter's place; undefined otherwise.
 */
export function handedConnectionOf(
  deps: HandedDeps,
  binding: ParamBinding,
  adapter: DbAdapter,
  hops = 0,
): string | undefined {
  if (hops > MAX_HOPS || binding.path.length > 0) return undefined;
  const { helper, handles } = handedHandles(deps, binding);
  for (const h of handles) {
    if (h.kind === 'scoped') return helper;
    if ((h.kind === 'executor' || h.kind === 'admin') && (h.adapter ?? adapter) === adapter) return helper;
    if (h.kind === 'ambient' && ambientAdapter(h) === adapter) return helper;
    // The helper's callback is itself a callback's parameter, handed a connection by its own helper.
    if (h.kind === 'param' && !h.path?.length) {
      if (h.typed ? h.typed.adapter === adapter : handedConnectionOf(deps, h.binding, adapter, hops + 1))
        return helper;
    }
  }
  return undefined;
}

/**
 * The handles of the arguments the helper's body calls the callback with, in the parameter's place: the callback
 * written at the call, or named by a const and handed on by its name (named-callbacks.ts).
 */
function handedHandles(deps: HandedDeps, binding: ParamBinding): { helper?: string; handles: Handle[] } {
  const fn = binding.fn;
  if (!ts.isArrowFunction(fn) && !ts.isFunctionExpression(fn)) return { handles: [] };
  let up: ts.Node = fn.parent;
  while (ts.isParenthesizedExpression(up) || ts.isAsExpression(up)) up = up.parent;
  const inline = ts.isCallExpression(up) ? up.arguments.find((a) => skipOuter(a) === fn) : undefined;
  const uses = ts.isCallExpression(up) ? (inline ? [{ call: up, arg: inline }] : []) : (namedCallbackUses(fn) ?? []);
  let helper: string | undefined;
  const handles: Handle[] = [];
  for (const use of uses) {
    const found = helperCalls(deps, binding, use);
    if (!found) continue;
    helper ??= found.helper;
    handles.push(...found.handles);
  }
  return { ...(helper ? { helper } : {}), handles };
}

/** What the helper `use.call` calls hands the callback `use.arg` at each of its calls of it. */
function helperCalls(
  deps: HandedDeps,
  binding: ParamBinding,
  use: HandedTo,
): { helper: string; handles: Handle[] } | undefined {
  const { call } = use;
  const argIndex = call.arguments.indexOf(use.arg);
  const origin = deps.origins.expr(call.expression);
  // `this.db.withTenant(…)` with `db: TenantDb` a parameter: the method of its declared class.
  const target = origin.kind === 'function' ? origin : declaredClassMethod(deps.origins, origin);
  const helper = target?.decl;
  const param = argIndex < 0 ? undefined : helper?.parameters[argIndex];
  if (!helper?.body || !param || !ts.isIdentifier(param.name)) return undefined;
  const handles: Handle[] = [];
  for (const n of callsOfParameter(helper, param)) {
    const arg = n.arguments[binding.index];
    if (arg) handles.push(passedThrough(deps, deps.of(arg), helper, call));
  }
  return { helper: functionName(helper), handles };
}

/** Per parameter, the calls of it in its function's body: read once (every write on the callback's parameter asks). */
const parameterCalls = new WeakMap<ts.ParameterDeclaration, ts.CallExpression[]>();

function callsOfParameter(helper: ts.FunctionLikeDeclaration, param: ts.ParameterDeclaration): ts.CallExpression[] {
  let out = parameterCalls.get(param);
  if (out) return out;
  out = [];
  const name = ts.isIdentifier(param.name) ? param.name.text : undefined;
  const found = out;
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n)) {
      const callee = skipOuter(n.expression);
      if (ts.isIdentifier(callee) && callee.text === name) {
        const b = lookup(callee);
        if (b?.kind === 'parameter' && b.decl === param) found.push(n);
      }
    }
    ts.forEachChild(n, visit);
  };
  if (helper.body) visit(helper.body);
  parameterCalls.set(param, out);
  return out;
}

/** `run(conn, fn) { return fn(conn); }`: the helper's own parameter is what this call passes it. */
function passedThrough(
  deps: HandedDeps,
  h: Handle,
  helper: ts.FunctionLikeDeclaration,
  call: ts.CallExpression,
): Handle {
  if (h.kind !== 'param' || h.binding.fn !== helper || h.path?.length || h.binding.path.length) return h;
  const arg = call.arguments[h.binding.index];
  return arg ? deps.of(arg) : h;
}
