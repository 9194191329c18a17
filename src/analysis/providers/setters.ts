import ts from '../../ts.js';
import { adapters, type DbAdapter } from '../../adapters/index.js';
import type { SetValue, StatementEffect } from '../../sql/classify.js';
import type { FactKind } from '../../code/fixpoint.js';
import type { Handle } from '../handles.js';
import { functionName, type OriginResolver } from '../../code/origins.js';
import { isFunctionLike } from '../../code/scope.js';
import { skipOuter } from '../../syntax/wrappers.js';

// Setter functions of the codebase: `await applyTenant(tx, orgId)` whose body runs
// `set_config(…)`/`SET LOCAL …` on its parameter. Read once per function (a fact of the
// engine), so the flow walk applies the set at each call to the connection that call passes,
// with the same rules as a set written inline (transaction-local outside a transaction lasts
// one statement; on a pool it covers nothing).
//
// Only sets made on every path count: the body's top-level statements are read in order up
// to the first statement that may return early; a set inside a branch or a loop does not
// make the function a setter (fail closed).

export interface SetterEffect {
  /** Index of the parameter the set is made on. */
  param: number;
  setting: string;
  local: boolean | null;
  /** Where, in the setter's body (or a setter it calls), the SQL runs. */
  at: ts.Node;
  /** The set as SQL says it: "set_config", "SET LOCAL". */
  via: string;
  /** The value set, when the SQL or its bind values show it. */
  value?: SetValue;
}

export interface SetterDeps {
  origins: OriginResolver;
  handleOf(e: ts.Expression): Handle;
  effects(
    sql: ts.Expression | undefined,
    placeholders?: DbAdapter['placeholders'],
    values?: ts.Expression,
  ): StatementEffect[];
}

export function setterFact(
  deps: SetterDeps,
  get: (fn: ts.FunctionLikeDeclaration) => readonly SetterEffect[],
): FactKind<ts.FunctionLikeDeclaration, readonly SetterEffect[]> {
  return {
    name: 'sets-context-on-param',
    compute: (fn) => {
      const body = fn.body;
      if (!body) return [];
      const out: SetterEffect[] = [];
      const paramIndex = (e: ts.Expression): number | undefined => {
        const h = deps.handleOf(e);
        return h.kind === 'param' && h.binding.fn === fn && h.binding.path.length === 0 ? h.binding.index : undefined;
      };
      const visit = (n: ts.Node): void => {
        if (isFunctionLike(n)) return;
        ts.forEachChild(n, visit);
        const q = queryOf(n);
        if (q) {
          const p = paramIndex(q.receiver);
          if (p === undefined) return;
          const effects = deps.effects(q.sql, q.placeholders);
          // A value bound to $n is read from the call's values only for the value (the rest stays as it was read).
          const bound = q.values && effects.some((e) => e.contextSets.some((c) => c.value && 'param' in c.value))
            ? deps.effects(q.sql, q.placeholders, q.values)
            : undefined;
          for (const [i, effect] of effects.entries()) {
            for (const [j, c] of effect.contextSets.entries()) {
              const b = bound?.[i]?.contextSets[j];
              const value = b?.setting === c.setting && b.value && 'constant' in b.value ? b.value : c.value;
              const { setting, local, via } = c;
              out.push({ param: p, setting, local, at: n, via, ...(value ? { value } : {}) });
            }
            // A reset after the set undoes it.
            for (const r of effect.contextResets)
              for (let i = out.length - 1; i >= 0; i--)
                if (out[i]!.param === p && (r === '*' || out[i]!.setting === r)) out.splice(i, 1);
          }
          return;
        }
        if (!ts.isCallExpression(n)) return;
        // A setter calling another setter with its own parameter.
        const target = deps.origins.expr(n.expression);
        if (target.kind !== 'function' || target.decl === fn) return;
        for (const inner of get(target.decl)) {
          const arg = n.arguments[inner.param];
          const p = arg ? paramIndex(arg) : undefined;
          if (p !== undefined) out.push({ ...inner, param: p });
        }
      };
      const statements = ts.isBlock(body) ? body.statements : [body];
      for (const st of statements) {
        if (ts.isReturnStatement(st)) {
          if (st.expression) visit(st.expression);
          break;
        }
        const straight = ts.isExpressionStatement(st) || ts.isVariableStatement(st) || ts.isExpression(st);
        if (!straight) {
          // A branch, loop or try block: its sets are not on every path, and a return in it
          // may skip the sets after it.
          if (mayReturn(st)) break;
          continue;
        }
        visit(st);
      }
      return out;
    },
    conservative: () => [],
    same: (a, b) =>
      a.length === b.length &&
      a.every(
        (x, i) =>
          x.param === b[i]!.param && x.setting === b[i]!.setting && x.local === b[i]!.local && x.at === b[i]!.at,
      ),
  };
}

/** A call or tagged template that runs SQL on a receiver: `tx.raw(text)`, tx`…`, sql`…`.execute(tx). */
export function queryOf(
  n: ts.Node,
):
  | { receiver: ts.Expression; sql: ts.Expression; placeholders?: DbAdapter['placeholders']; values?: ts.Expression }
  | undefined {
  if (ts.isTaggedTemplateExpression(n)) {
    const tag = skipOuter(n.tag);
    if (ts.isTemplateSpan(n.parent)) return undefined;
    if (ts.isPropertyAccessExpression(tag) && adapters.some((a) => a.tagMethods?.includes(tag.name.text)))
      return { receiver: tag.expression, sql: n };
    // The executor as a tag (postgres.js): whether `tag` is one is the receiver's trace.
    if (ts.isIdentifier(tag) && adapters.some((a) => a.executorIsTag)) return { receiver: tag, sql: n };
    return undefined;
  }
  if (!ts.isCallExpression(n)) return undefined;
  const callee = skipOuter(n.expression);
  if (!ts.isPropertyAccessExpression(callee)) return undefined;
  for (const a of adapters) {
    const qm = a.queryMethods[callee.name.text];
    const sql = qm && n.arguments[qm.sqlArg];
    const values = n.arguments[(qm?.sqlArg ?? 0) + 1];
    if (sql) return { receiver: callee.expression, sql, placeholders: a.placeholders, ...(values ? { values } : {}) };
    const raw = a.sqlExecute?.(n);
    if (raw) return { receiver: raw.executor, sql: raw.sql };
  }
  return undefined;
}

export function mayReturn(st: ts.Node): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found || isFunctionLike(n)) return;
    if (ts.isReturnStatement(n)) found = true;
    else ts.forEachChild(n, visit);
  };
  visit(st);
  return found;
}

/** How a setter's set reads in the evidence: `applyTenant() (set_config at src/tenant.ts:8)`. */
export function setterVia(
  call: ts.CallExpression,
  fn: ts.FunctionLikeDeclaration | undefined,
  set: SetterEffect,
  at: string,
): string {
  const name = fn ? functionName(fn) : call.expression.getText().slice(0, 40);
  // A declared setter's evidence is the call itself.
  return set.at === call ? `${name}() (${set.via})` : `${name}() (${set.via} at ${at})`;
}
