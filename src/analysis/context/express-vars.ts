import ts from '../../ts.js';
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

// Express carries values from middleware to handlers on the request and on `res.locals`:
// `req.db = tx` (or `res.locals.db = client`) before `next()` makes `req.db` (`res.locals.db`)
// that value in everything behind the middleware, and undefined on a path where no middleware
// set it. That is Hono's `c.set('db', tx)` / `c.get('db')` (context/hono-vars.ts), so the ambient
// machinery judges it the same way, per path: each property of the request, and each of
// `res.locals`, is its own store, entered by an assignment statement.

export const EXPRESS_CONTEXT_NAME = 'the Express request';

// One store per property: `req.db` and `res.locals.db` differ.
const FAMILY = 'ExpressRequest';

/** The store one property is: `req.<name>` (`locals` false) or `res.locals.<name>`. */
export function expressVariable(name: string, locals: boolean): ts.CallExpression {
  return contextMarker(FAMILY, `${locals ? 'res.locals' : 'req'}.${name}`);
}

/** Whether a store is a property of the Express request or of `res.locals`. */
export function isExpressStore(store: ts.Node): boolean {
  return markerName(store, FAMILY) !== undefined;
}

/** The property a store stands for, as the code reads it: `req.db`, `res.locals.db`. */
export function expressVariableName(store: ts.Node): string {
  return markerName(store, FAMILY) ?? '';
}

const REQUEST_TYPES = new Set(['Request']);
const RESPONSE_TYPES = new Set(['Response']);
const HANDLER_TYPES = new Set(['RequestHandler', 'Handler']);

/**
 * Whether an identifier is Express's request (`index` 0) or response (`index` 1): a parameter of
 * that position typed `Request`/`Response` from 'express', of a function held by a variable typed
 * `RequestHandler`, or of a function passed inline to a method of an Express app or router
 * (`app.use((req, res, next) => …)`, `router.post('/x', (req, res) => …)`).
 */
export function isExpressParam(expr: ts.Expression, index: 0 | 1, origins: OriginResolver): boolean {
  const param = plainParameterAt(expr, index);
  if (!param) return false;
  const { fn, decl } = param;
  if (typeFromExpress(decl.type, index === 0 ? REQUEST_TYPES : RESPONSE_TYPES)) return true;
  const holder = fn.parent;
  if (ts.isVariableDeclaration(holder) && holder.initializer === fn && typeFromExpress(holder.type, HANDLER_TYPES))
    return true;
  let call: ts.Node = fn.parent;
  while (ts.isParenthesizedExpression(call) || ts.isAsExpression(call)) call = call.parent;
  if (!ts.isCallExpression(call) || !call.arguments.some((a) => skipOuter(a) === fn)) return false;
  const callee = skipOuter(call.expression);
  return ts.isPropertyAccessExpression(callee) && isExpressApp(callee.expression, origins);
}

/** An app or router made by `express()`, `express.Router()` or `Router()` from 'express'. */
function isExpressApp(expr: ts.Expression, origins: OriginResolver): boolean {
  const o = origins.expr(expr);
  if (o.kind !== 'expr') return false;
  const made = skipOuter(o.expr);
  if (!ts.isCallExpression(made) && !ts.isNewExpression(made)) return false;
  const maker = origins.expr(made.expression);
  const p = maker.kind === 'external' ? maker.path.join('.') : undefined;
  return maker.kind === 'external' && maker.module === 'express' && (p === '' || p === 'Router');
}

function typeFromExpress(type: ts.TypeNode | undefined, names: ReadonlySet<string>): boolean {
  if (!type || !ts.isTypeReferenceNode(type)) return false;
  const name = type.typeName;
  if (ts.isIdentifier(name)) {
    const b = lookup(name);
    return b?.kind === 'import' && b.module === 'express' && names.has(b.imported);
  }
  // `express.Request`, with `import express from 'express'` (or `* as express`).
  if (!ts.isIdentifier(name.left) || !names.has(name.right.text)) return false;
  const b = lookup(name.left);
  return b?.kind === 'import' && b.module === 'express' && (b.imported === 'default' || b.imported === '*');
}

/**
 * The Express property an expression reads or writes (request-props.ts): `req.db` → (req.db, []),
 * `res.locals.db.tx` → (res.locals.db, ['tx']), and a const destructured from either.
 */
export function expressAccess(expression: ts.Expression, origins: OriginResolver): RequestPropertyAccess | undefined {
  return requestPropertyAccess(expression, origins, accessOn);
}

const accessOn: AccessOn = (root, path, origins) => {
  if (path.length >= 1 && isExpressParam(root, 0, origins))
    return { store: expressVariable(path[0]!, false), member: path[0]!, rest: path.slice(1) };
  if (path.length >= 2 && path[0] === 'locals' && isExpressParam(root, 1, origins))
    return { store: expressVariable(path[1]!, true), member: path[1]!, rest: path.slice(2) };
  return undefined;
};

/** `req.db = tx;` / `res.locals.db = client;` as a statement: the store entered and the value. */
export function expressAssignment(st: ts.Statement, origins: OriginResolver) {
  return requestPropertyAssignment(st, origins, expressAccess);
}
