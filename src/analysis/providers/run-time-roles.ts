import ts from '../../ts.js';
import { HOLE, HOLE_BASE, type SqlTextFolder } from '../../code/sql-text.js';
import type { OriginResolver } from '../../code/origins.js';
import { shortText } from '../../code/origins.js';
import { skipOuter } from '../../syntax/wrappers.js';
import { RUN_TIME_ROLE, type StatementEffect } from '../../sql/classify.js';
import type { ConnState, QueryNode } from '../facts.js';
import { classify } from './login-roles.js';

// A role switched to at run time: `SET [LOCAL] ROLE ${tenantRole}`, `SET ROLE tenant_${id}`,
// `set_config('role', $1, true)` with the name in the values. Where the policies key on
// current_user, the role decides which rows a write may touch; a name with a constant part
// and a run-time part (`tenant_${…}`) is a per-tenant role, as for a pool's login role
// (login-roles.ts); a name that is only a run-time value, or that cannot be folded, is
// unread, with the reason. Postgres's own rules for when the switch holds: SET LOCAL outside
// a transaction does nothing (it warns), and on a pool the next query may take another
// connection, so neither changes the role the next write runs as.

export interface RoleDeps {
  origins: OriginResolver;
  folder: SqlTextFolder;
}

type Role = NonNullable<ConnState['role']>;

/** The role in force after the statement's switch, given the connection's state before it. */
export function roleAfter(
  set: NonNullable<StatementEffect['role']>,
  call: QueryNode,
  conn: ConnState,
  on: { pool: boolean; inTransaction: boolean },
  deps: RoleDeps,
): ConnState['role'] {
  if (on.pool || (set.local && !on.inTransaction)) return conn.role ?? null;
  if (set.name === null) return null;
  const named = holeShape(set.name);
  if (named !== undefined) return { name: named, at: call, local: set.local, chosen: { perTenant: true } };
  if (set.name !== RUN_TIME_ROLE) return { name: set.name, at: call, local: set.local };
  return chosenAtRunTime(set, call, deps);
}

/** `tenant_$901` (a hole inside a name, read by the parser as one identifier): `tenant_${…}`. */
function holeShape(name: string): string | undefined {
  let holes = 0;
  const shape = name.replace(/\$(\d+)/g, (m, n: string) => (Number(n) > HOLE_BASE ? (holes++, '${…}') : m));
  return holes > 0 && shape.replaceAll('${…}', '').length > 0 ? shape : undefined;
}

function chosenAtRunTime(set: NonNullable<StatementEffect['role']>, call: QueryNode, deps: RoleDeps): Role {
  const unread = (reason: string): Role => ({
    name: RUN_TIME_ROLE,
    at: call,
    local: set.local,
    chosen: { unread: reason },
  });
  const expr = set.param === undefined ? undefined : roleExpression(call, set.param, deps);
  if (!expr) return unread('the value it names cannot be found in the code');
  const folded = deps.folder.sql(expr);
  if (!folded.ok) return unread(`\`${shortText(expr, 40)}\`: ${folded.reason}`);
  const role = classify(folded.variants, expr, `the role \`${shortText(expr, 40)}\``);
  switch (role.kind) {
    case 'per-tenant':
      return { name: role.text, at: call, local: set.local, chosen: { perTenant: true } };
    case 'fixed':
      return { name: role.name, at: call, local: set.local };
    default:
      return unread(role.kind === 'untraceable' ? role.reason : `\`${shortText(expr, 40)}\` cannot be read`);
  }
}

/**
 * The expression a role parameter stands for: a hole ($901…) is the template span it came
 * from (through `sql.raw(…)` and a `const` holding the text; an identifier helper's single
 * argument, `sql.id(role)`, is the name); a bind parameter $n is the values array's element.
 */
function roleExpression(call: QueryNode, param: number, deps: RoleDeps): ts.Expression | undefined {
  if (param <= HOLE_BASE) {
    const values = ts.isCallExpression(call) ? call.arguments[1] : undefined;
    const list = values && resolved(values, deps);
    return list && ts.isArrayLiteralExpression(list) ? list.elements[param - 1] : undefined;
  }
  const template = templateOf(call, deps);
  if (!template || ts.isNoSubstitutionTemplateLiteral(template)) return undefined;
  // Holes are numbered over the spans that do not fold to constant text.
  let n = HOLE_BASE;
  for (const span of template.templateSpans) {
    const folded = deps.folder.sql(span.expression);
    if (folded.ok && !folded.variants.some((v) => v.includes(HOLE))) continue;
    if (++n === param) return unwrapName(span.expression);
  }
  return undefined;
}

function templateOf(call: QueryNode, deps: RoleDeps): ts.TemplateLiteral | undefined {
  if (ts.isTaggedTemplateExpression(call)) return call.template;
  // sql`SET ROLE ${…}`.execute(conn) (Kysely): the fragment the method runs.
  const callee = skipOuter(call.expression);
  const receiver = ts.isPropertyAccessExpression(callee) ? resolved(callee.expression, deps) : undefined;
  if (receiver && ts.isTaggedTemplateExpression(receiver)) return receiver.template;
  let e: ts.Expression | undefined = call.arguments[0] && resolved(call.arguments[0], deps);
  // db.execute(sql.raw(`SET ROLE ${role}`)): the text the wrapper is given.
  for (let i = 0; i < 3 && e && ts.isCallExpression(e); i++) e = e.arguments[0] && resolved(e.arguments[0], deps);
  if (e && ts.isTaggedTemplateExpression(e)) return e.template;
  return e && (ts.isTemplateExpression(e) || ts.isNoSubstitutionTemplateLiteral(e)) ? e : undefined;
}

/** `sql.id(role)`, `sql.identifier([role])`: a helper quoting one name. */
function unwrapName(expr: ts.Expression): ts.Expression {
  const e = skipOuter(expr);
  if (!ts.isCallExpression(e) || e.arguments.length !== 1) return e;
  const arg = skipOuter(e.arguments[0]!);
  if (ts.isArrayLiteralExpression(arg)) return arg.elements.length === 1 ? skipOuter(arg.elements[0]!) : e;
  return arg;
}

/** An expression, or what the `const` it names holds. */
function resolved(expr: ts.Expression, deps: RoleDeps): ts.Expression {
  const e = skipOuter(expr);
  if (!ts.isIdentifier(e)) return e;
  const o = deps.origins.expr(e);
  return o.kind === 'expr' ? skipOuter(o.expr) : e;
}
