import ts from '../ts.js';
import { scopeHelper } from './config-match.js';
import type { AnalysisConfig } from './config.js';
import type { FileFacts, RawSite } from './facts.js';
import { where, type Handle } from './handles.js';
import type { SiteVerdict } from './program.js';

// A write on the outer pool (or a bare client) inside the callback of a scope helper: the
// helper's scoped executor is the callback's own parameter, right there, and the write runs
// on another connection. The verdict stays unscoped; its problem (`outerPoolInScope`) names
// the executor to use instead, since "wrap it in a scope helper" is no fix for code already in one.
// The same holds inside a library's transaction callback (postgres.js `sql.begin(async (tx) =>
// …)`, Drizzle/knex/TypeORM/slonik/Prisma `db.transaction(async (tx) => …)`, Kysely
// `db.transaction().execute(async (trx) => …)`): the write on the outer handle is not in that
// transaction (`outerPoolInTransaction`, naming the transaction's handle).

/** What a callback's parameter receives from the call it is passed to (HandleResolver.callbackHandle). */
export type CallbackHandle = (fn: ts.ArrowFunction | ts.FunctionExpression, index: number) => Handle | undefined;

/** A scope helper's callback enclosing a node: the helper's call and the name of the executor it hands in. */
export interface ScopeCallback {
  helper: string;
  call: ts.CallExpression;
  executor: string;
}

/** Re-labels unscoped writes on a pool or bare client that sit inside a scope helper's callback. */
export function markOuterPoolWrites(
  files: readonly FileFacts[],
  verdicts: Map<RawSite, SiteVerdict>,
  config: AnalysisConfig,
  root: string,
  callbackHandle: CallbackHandle,
): void {
  for (const f of files) {
    for (const site of f.sites) {
      const v = verdicts.get(site);
      if (v?.coverage !== 'unscoped' || (v.problem !== 'onPool' && v.problem !== 'notScoped')) continue;
      // The callback's own executor is a 'scoped' handle: only another connection is the outer one.
      if (site.handle.kind !== 'executor' && site.handle.kind !== 'param') continue;
      const scope = enclosingScopeCallback(site.call, config);
      if (scope) {
        const evidence =
          `${v.evidence}; yet it is inside the callback ${scope.helper} runs at ${where(scope.call, root)}, ` +
          `whose \`${scope.executor}\` is the connection that carries the org context`;
        verdicts.set(site, { ...v, problem: 'outerPoolInScope', evidence });
        continue;
      }
      const tx = enclosingTransactionCallback(site.call, site.handle.key, callbackHandle);
      if (!tx) continue;
      const evidence =
        `${v.evidence}; yet it is inside the callback of ${tx.transaction} at ${where(tx.call, root)}, ` +
        `whose \`${tx.executor}\` is the connection that transaction runs on`;
      verdicts.set(site, { ...v, problem: 'outerPoolInTransaction', evidence });
    }
  }
}

/** The innermost callback of a recognised scope helper around `node` that names its executor parameter. */
export function enclosingScopeCallback(node: ts.Node, config: AnalysisConfig): ScopeCallback | undefined {
  for (let n: ts.Node | undefined = node.parent; n; n = n.parent) {
    if (!ts.isArrowFunction(n) && !ts.isFunctionExpression(n)) continue;
    const call = n.parent;
    if (!ts.isCallExpression(call)) continue;
    const argIndex = call.arguments.indexOf(n);
    const helper = argIndex < 0 ? undefined : scopeHelper(config, call);
    if (!helper) continue;
    const expected = helper.callbackArg < 0 ? call.arguments.length + helper.callbackArg : helper.callbackArg;
    const param = n.parameters[helper.executorParam];
    if (argIndex === expected && param && ts.isIdentifier(param.name))
      return { helper: helper.name, call, executor: param.name.text };
  }
  return undefined;
}

/** The innermost callback around `node` to which a library hands its transaction, on a connection other than `key`. */
function enclosingTransactionCallback(
  node: ts.Node,
  key: ts.Node,
  callbackHandle: CallbackHandle,
): { call: ts.CallExpression; transaction: string; executor: string } | undefined {
  for (let n: ts.Node | undefined = node.parent; n; n = n.parent) {
    if (!ts.isArrowFunction(n) && !ts.isFunctionExpression(n)) continue;
    if (!n.parent || !ts.isCallExpression(n.parent) || !n.parent.arguments.includes(n)) continue;
    const param = n.parameters[0];
    if (!param || !ts.isIdentifier(param.name)) continue;
    const h = callbackHandle(n, 0);
    // A savepoint keeps its outer handle's key: a write on that handle is on the same connection.
    if (h?.kind !== 'executor' && h?.kind !== 'param') continue;
    // A transaction opened on a parameter is one too, whatever its callers pass.
    const transaction = h.kind === 'executor' ? h.transaction : h.opened?.transaction;
    if (!transaction || h.key === key) continue;
    return { call: n.parent, transaction, executor: param.name.text };
  }
  return undefined;
}
