import ts from '../../ts.js';
import { adapters } from '../../adapters/index.js';
import type { StatementEffect } from '../../sql/classify.js';
import { where } from '../handles.js';
import { isFunctionLike } from '../../code/scope.js';
import { skipOuter } from '../../syntax/wrappers.js';

// Per-tenant pools made by a library factory: every connection the pool opens carries the
// org setting, so every write on it is covered (and the hook's session-wide set is the
// point, not a leak). Read from the factory's own config object:
//  - knex: `knex({ pool: { afterCreate(conn, done) { conn.query("SET app.current_org_id = …", …) } } })`;
//  - postgres.js: `postgres(url, { connection: { 'app.current_org_id': orgId } })` (startup parameters).

export function tenantFromConfig(
  call: ts.CallExpression,
  settings: ReadonlySet<string>,
  effects: (sql: ts.Expression) => StatementEffect[],
  root: string,
): { via: string; at: ts.Node } | undefined {
  for (const arg of call.arguments) {
    const config = skipOuter(arg);
    if (!ts.isObjectLiteralExpression(config)) continue;
    const connection = property(config, 'connection');
    if (connection && ts.isObjectLiteralExpression(connection)) {
      for (const p of connection.properties) {
        const name =
          p.name && (ts.isStringLiteral(p.name) || ts.isIdentifier(p.name)) ? p.name.text.toLowerCase() : undefined;
        if (name && settings.has(name)) return { via: `tenant pool (connection parameter ${name})`, at: p };
      }
    }
    const pool = property(config, 'pool');
    const hook = pool && ts.isObjectLiteralExpression(pool) ? hookOf(pool, 'afterCreate') : undefined;
    if (hook && setsContext(hook, settings, effects))
      return { via: `tenant pool (afterCreate hook at ${where(hook, root)})`, at: hook };
  }
  return undefined;
}

function property(obj: ts.ObjectLiteralExpression, key: string): ts.Expression | undefined {
  for (const p of obj.properties) {
    if (ts.isPropertyAssignment(p) && p.name.getText() === key) return skipOuter(p.initializer);
  }
  return undefined;
}

function hookOf(obj: ts.ObjectLiteralExpression, key: string): ts.FunctionLikeDeclaration | undefined {
  for (const p of obj.properties) {
    if (ts.isMethodDeclaration(p) && p.name.getText() === key) return p;
    if (ts.isPropertyAssignment(p) && p.name.getText() === key) {
      const f = skipOuter(p.initializer);
      if (isFunctionLike(f)) return f as ts.FunctionLikeDeclaration;
    }
  }
  return undefined;
}

/** The hook runs SQL that sets one of the settings on the connection it is handed. */
function setsContext(
  fn: ts.FunctionLikeDeclaration,
  settings: ReadonlySet<string>,
  effects: (sql: ts.Expression) => StatementEffect[],
): boolean {
  const conn = fn.parameters[0];
  if (!conn || !ts.isIdentifier(conn.name) || !fn.body) return false;
  const name = conn.name.text;
  let sets = false;
  const visit = (n: ts.Node): void => {
    if (sets) return;
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(skipOuter(n.expression))) {
      const callee = skipOuter(n.expression) as ts.PropertyAccessExpression;
      const receiver = skipOuter(callee.expression);
      const method = adapters.map((a) => a.queryMethods[callee.name.text]).find((m) => m);
      const sql = method && n.arguments[method.sqlArg];
      if (sql && ts.isIdentifier(receiver) && receiver.text === name)
        sets = effects(sql).some((e) => e.contextSets.some((c) => settings.has(c.setting)));
    }
    ts.forEachChild(n, visit);
  };
  visit(fn.body);
  return sets;
}

/** The factory call whose `pool.afterCreate` hook `fn` is, if it is one. */
export function factoryCallOfHook(fn: ts.Node): ts.CallExpression | undefined {
  let n: ts.Node = fn;
  if (ts.isPropertyAssignment(n.parent) || ts.isMethodDeclaration(n)) n = ts.isMethodDeclaration(n) ? n : n.parent;
  const name = (n as ts.PropertyAssignment | ts.MethodDeclaration).name;
  if (!name || name.getText() !== 'afterCreate') return undefined;
  const pool = n.parent;
  if (
    !pool ||
    !ts.isObjectLiteralExpression(pool) ||
    !ts.isPropertyAssignment(pool.parent) ||
    pool.parent.name.getText() !== 'pool'
  )
    return undefined;
  let config: ts.Node = pool.parent.parent;
  while (config.parent && (ts.isParenthesizedExpression(config.parent) || ts.isAsExpression(config.parent)))
    config = config.parent;
  return config.parent && ts.isCallExpression(config.parent) ? config.parent : undefined;
}
