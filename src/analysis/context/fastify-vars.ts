import ts from '../../ts.js';
import { isFastifyInstance } from '../../code/carried.js';
import type { OriginResolver } from '../../code/origins.js';
import { lookup, plainParameterAt } from '../../code/scope.js';
import { skipOuter } from '../../syntax/wrappers.js';
import {
  type AccessOn,
  requestPropertyAccess,
  requestPropertyAssignment,
  type RequestPropertyAccess,
} from './request-props.js';
import { contextMarker, markerName } from './markers.js';

// Fastify carries values from its request hooks to the handlers on the request object itself:
// `fastify.decorateRequest('db')` declares the property, a hook (`fastify.addHook('preHandler',
// async (request) => { request.db = await connect() })`) assigns it, and every later hook and
// handler of the instance reads `request.db` as that value. That is Express's `req.db`
// (context/express-vars.ts) with Fastify's registration: the hooks are the routes' middleware
// (roots/entry-points.ts), so the ambient machinery judges each property per path, its own store,
// entered by the assignment statement, and undefined where no hook on the path assigned it.

export const FASTIFY_CONTEXT_NAME = 'the Fastify request';

const FAMILY = 'FastifyRequest';

/** The store one property of the request is: `request.<name>`. */
export function fastifyVariable(name: string): ts.CallExpression {
  return contextMarker(FAMILY, `request.${name}`);
}

/** Whether a store is a property of the Fastify request. */
export function isFastifyStore(store: ts.Node): boolean {
  return markerName(store, FAMILY) !== undefined;
}

/** The property a store stands for, as the code reads it: `request.db`. */
export function fastifyVariableName(store: ts.Node): string {
  return markerName(store, FAMILY) ?? '';
}

/** Route methods of a Fastify instance whose last function argument is the handler. */
const ROUTE_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'head', 'options', 'all', 'addHook', 'route']);

/**
 * Whether an identifier is Fastify's request: the first parameter of a function typed
 * `FastifyRequest` from 'fastify', or of a function passed inline to a hook or route method of a
 * Fastify instance (`fastify.addHook('preHandler', async (request) => …)`, `app.post('/x', async
 * (req, reply) => …)`, the `handler` / hook members of `app.route({ … })` and of a route's options).
 */
export function isFastifyRequest(expr: ts.Expression, origins: OriginResolver): boolean {
  const param = plainParameterAt(expr, 0);
  if (!param) return false;
  const { fn, decl } = param;
  if (typeFromFastify(decl.type)) return true;
  let at: ts.Node = fn.parent;
  while (ts.isParenthesizedExpression(at) || ts.isAsExpression(at)) at = at.parent;
  // A member of an options object passed to a route method (`{ handler: async (req) => … }`, `{ preHandler: [hook] }`).
  if (ts.isPropertyAssignment(at) && ts.isObjectLiteralExpression(at.parent)) at = at.parent.parent;
  else if (ts.isArrayLiteralExpression(at) && ts.isPropertyAssignment(at.parent)) at = at.parent.parent.parent;
  while (ts.isParenthesizedExpression(at) || ts.isAsExpression(at)) at = at.parent;
  if (!ts.isCallExpression(at)) return false;
  const callee = skipOuter(at.expression);
  return (
    ts.isPropertyAccessExpression(callee) &&
    ROUTE_METHODS.has(callee.name.text) &&
    isFastifyInstance(callee.expression, origins)
  );
}

function typeFromFastify(type: ts.TypeNode | undefined): boolean {
  if (!type || !ts.isTypeReferenceNode(type)) return false;
  const name = type.typeName;
  if (ts.isIdentifier(name)) {
    const b = lookup(name);
    return b?.kind === 'import' && b.module === 'fastify' && b.imported === 'FastifyRequest';
  }
  if (!ts.isIdentifier(name.left) || name.right.text !== 'FastifyRequest') return false;
  const b = lookup(name.left);
  return b?.kind === 'import' && b.module === 'fastify' && (b.imported === 'default' || b.imported === '*');
}

/**
 * The request property an expression reads or writes (request-props.ts): `request.db` → (request.db, []),
 * `req.db.pool` → (request.db, ['pool']), and a const destructured from the request.
 */
export function fastifyAccess(expression: ts.Expression, origins: OriginResolver): RequestPropertyAccess | undefined {
  return requestPropertyAccess(expression, origins, accessOn);
}

const accessOn: AccessOn = (root, path, origins) => {
  if (path.length >= 1 && isFastifyRequest(root, origins))
    return { store: fastifyVariable(path[0]!), member: path[0]!, rest: path.slice(1) };
  return undefined;
};

/** `request.db = value;` as a statement: the store entered and the value. */
export function fastifyAssignment(st: ts.Statement, origins: OriginResolver) {
  return requestPropertyAssignment(st, origins, fastifyAccess);
}
