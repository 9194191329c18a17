import ts from '../../ts.js';
import type { OriginResolver } from '../../code/origins.js';
import { lookup, plainParameterAt } from '../../code/scope.js';
import { skipOuter } from '../../syntax/wrappers.js';
import { contextMarker, markerName } from './markers.js';

// Hono's request context `c` carries variables from middleware to handlers: `c.set('db', tx)`
// before `await next()` makes `c.get('db')` (and `c.var.db`) that value in everything that
// runs behind the middleware, and nothing where no middleware on the path set it. That is the
// shape of a cls-hooked namespace (`ns.set(key, v)` / `ns.get(key)`), so the ambient
// machinery (ambient/reach.ts over roots/entry-points.ts) judges it per path: the request
// context is one store for the whole program, each variable a member of it.

let honoContext: ts.CallExpression | undefined;
/**
 * The one store standing for every Hono request context (a marker node, never printed by position), made at its first
 * use: TypeScript is loaded only when a run needs it (scripts/bundle.ts).
 */
export const HONO_CONTEXT = (): ts.CallExpression =>
  (honoContext ??= ts.factory.createCallExpression(ts.factory.createIdentifier('HonoContext'), undefined, []));

export const HONO_CONTEXT_NAME = 'the Hono request context';

// Each variable is its own store: `c.set('session', s)` after `c.set('db', tx)` must not hide
// the `db` the path entered (entries are kept per store).
const FAMILY = 'HonoContext';

/** The store one variable of the Hono context is (`c.set('db', …)` / `c.get('db')`). */
export function honoVariable(name: string): ts.CallExpression {
  return contextMarker(FAMILY, name);
}

/** Whether a store is the Hono context or one of its variables. */
export function isHonoStore(store: ts.Node): boolean {
  return store === HONO_CONTEXT() || markerName(store, FAMILY) !== undefined;
}

/** The variable a Hono store stands for ('' for the context itself). */
export function honoVariableName(store: ts.Node): string {
  return markerName(store, FAMILY) ?? '';
}

const HONO_MODULES = new Set(['hono', '@hono/zod-openapi']);
const APP_CLASSES = new Set(['Hono', 'OpenAPIHono']);
const HANDLER_TYPES = new Set(['MiddlewareHandler', 'Handler']);

/**
 * Whether an expression is a Hono context: the first parameter of a function typed as
 * Hono's `MiddlewareHandler`/`Handler` (the variable's type), whose parameter is typed
 * `Context` from 'hono', made by `createMiddleware(fn)` from 'hono/factory', or passed inline to
 * a method of a Hono app (`app.get('/x', async (c) => …)`, `app.openapi(route, (c) => …)`).
 */
export function isHonoContext(expr: ts.Expression, origins: OriginResolver): boolean {
  const param = plainParameterAt(expr, 0);
  if (!param) return false;
  const { fn, decl } = param;
  if (typeFromHono(decl.type, ['Context'])) return true;
  const holder = fn.parent;
  if (ts.isVariableDeclaration(holder) && holder.initializer === fn && typeFromHono(holder.type, [...HANDLER_TYPES]))
    return true;
  let call: ts.Node = fn.parent;
  while (ts.isParenthesizedExpression(call) || ts.isAsExpression(call)) call = call.parent;
  if (!ts.isCallExpression(call)) return false;
  const callee = skipOuter(call.expression);
  const made = origins.expr(callee);
  if (made.kind === 'external' && made.module === 'hono/factory' && made.path.join('.') === 'createMiddleware')
    return true;
  if (!ts.isPropertyAccessExpression(callee)) return false;
  const app = origins.expr(callee.expression);
  if (app.kind !== 'expr') return false;
  const created = skipOuter(app.expr);
  if (!ts.isNewExpression(created)) return false;
  const ctor = origins.expr(created.expression);
  return ctor.kind === 'external' && HONO_MODULES.has(ctor.module) && APP_CLASSES.has(ctor.path.join('.'));
}

function typeFromHono(type: ts.TypeNode | undefined, names: string[]): boolean {
  if (!type || !ts.isTypeReferenceNode(type) || !ts.isIdentifier(type.typeName)) return false;
  const b = lookup(type.typeName);
  return b?.kind === 'import' && HONO_MODULES.has(b.module) && names.includes(b.imported);
}
