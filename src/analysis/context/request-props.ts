import ts from '../../ts.js';
import type { OriginResolver } from '../../code/origins.js';
import { lookup } from '../../code/scope.js';
import { skipOuter } from '../../syntax/wrappers.js';

/**
 * A property of a request-scoped object read or written as a context store (Express `req.db` and
 * `res.locals.db`, Fastify `request.db`): the store, the property, and the members read beyond it.
 */
export interface RequestPropertyAccess {
  store: ts.CallExpression;
  member: string;
  rest: string[];
}

/** The framework's own part: which object a member path starts on, and which store its properties are. */
export type AccessOn = (
  root: ts.Expression,
  path: string[],
  origins: OriginResolver,
) => RequestPropertyAccess | undefined;

/**
 * The request property an expression reads or writes, through `accessOn`: directly (`req.db.pool` → (req.db,
 * ['pool'])), through a const destructured from the object (`const { db } = req; db.pool`), or through a const holding
 * the object itself (`const r = req as TenantRequest; r.db`).
 */
export function requestPropertyAccess(
  expression: ts.Expression,
  origins: OriginResolver,
  accessOn: AccessOn,
): RequestPropertyAccess | undefined {
  const { root, path } = memberPath(expression);
  const direct = accessOn(root, path, origins);
  if (direct) return direct;
  const b = ts.isIdentifier(root) ? lookup(root) : undefined;
  if (b?.kind !== 'variable' || b.flags !== 'const' || !b.decl.initializer) return undefined;
  // The request itself under another name, typically cast to the codebase's own request type (`const tenantReq = req
  // as TenantRequest; tenantReq.tenantQuery!(…)`): its properties are the request's.
  if (b.path.length === 0) {
    const from = memberPath(b.decl.initializer);
    return from.path.length === 0 ? accessOn(from.root, path, origins) : undefined;
  }
  const key = b.path.length === 1 ? b.path[0] : undefined;
  if (typeof key !== 'string') return undefined;
  const from = memberPath(b.decl.initializer);
  return accessOn(from.root, [...from.path, key, ...path], origins);
}

/** `req.db = value;` as a statement, read by `access`: the store entered and the value. */
export function requestPropertyAssignment(
  st: ts.Statement,
  origins: OriginResolver,
  access: (e: ts.Expression, origins: OriginResolver) => RequestPropertyAccess | undefined,
): { store: ts.CallExpression; value: ts.Expression; at: ts.BinaryExpression; member: string } | undefined {
  if (!ts.isExpressionStatement(st)) return undefined;
  const e = skipOuter(st.expression);
  if (!ts.isBinaryExpression(e) || e.operatorToken.kind !== ts.SyntaxKind.EqualsToken) return undefined;
  const target = access(e.left, origins);
  if (!target || target.rest.length) return undefined;
  return { store: target.store, value: e.right, at: e, member: target.member };
}

function memberPath(expression: ts.Expression): { root: ts.Expression; path: string[] } {
  const path: string[] = [];
  let e = skipOuter(expression);
  while (ts.isPropertyAccessExpression(e) || ts.isNonNullExpression(e)) {
    if (ts.isPropertyAccessExpression(e)) path.unshift(e.name.text);
    e = skipOuter(e.expression);
  }
  return { root: e, path };
}
