import ts from 'typescript';
import { adapters } from '../adapters/index.js';
import type { classifyStatement } from '../sql/classify.js';
import type { FactKind } from '../code/fixpoint.js';
import type { Handle } from './handles.js';
import { functionName } from '../code/origins.js';
import { isFunctionLike, skipOuter } from '../code/scope.js';
import { walkDescendants } from '../code/walk.js';

// What a function returns, as a per-function fact: its return statements are found and
// traced once, however many calls of it are traced. Only the choice a call's arguments
// make (a factory's `if (!orgId) return pool;`) is left to each call, and it is a lookup.

export interface ReturnsFact {
  /** `if (!p) return x;` statements at the top level, in order: taken when the call leaves `p` out. */
  guards: { param: number; handle: Handle }[];
  /** What the function returns when no guard is taken (guards' returns excluded). */
  unguarded: Handle;
  /** What it returns on any path (no call known, or no guards). */
  any: Handle;
}

export function returnsFact(trace: (e: ts.Expression) => Handle): FactKind<ts.FunctionLikeDeclaration, ReturnsFact> {
  return {
    name: 'returns',
    compute: (fn) => {
      const body = fn.body;
      if (!body) {
        const none: Handle = { kind: 'unknown', reason: `\`${functionName(fn)}\` has no body` };
        return { guards: [], unguarded: none, any: none };
      }
      if (!ts.isBlock(body)) {
        const h = combine(fn, [trace(body)]);
        return { guards: [], unguarded: h, any: h };
      }
      const guards: ReturnsFact['guards'] = [];
      const all: Handle[] = [];
      const unguarded: Handle[] = [];
      for (const st of body.statements) {
        const guard = missingArgumentGuard(st, fn);
        const into: Handle[] = [];
        returnsIn(st, (e) => into.push(trace(e)));
        all.push(...into);
        if (guard) guards.push({ param: guard.param, handle: combine(fn, [trace(guard.returns)]) });
        else unguarded.push(...into);
      }
      return { guards, unguarded: combine(fn, unguarded), any: combine(fn, all) };
    },
    conservative: (fn) => {
      const h: Handle = { kind: 'unknown', reason: `\`${functionName(fn)}\` returns a connection defined in terms of itself` };
      return { guards: [], unguarded: h, any: h };
    },
    same: (a, b) => sameHandle(a.any, b.any) && sameHandle(a.unguarded, b.unguarded) && a.guards.length === b.guards.length && a.guards.every((g, i) => g.param === b.guards[i]!.param && sameHandle(g.handle, b.guards[i]!.handle)),
  };
}

/** What a call of the function returns: the guard its missing arguments select, if any. */
export function returnedAt(fact: ReturnsFact, fn: ts.FunctionLikeDeclaration, call: ts.CallExpression | undefined): Handle {
  if (!call || fact.guards.length === 0) return fact.any;
  const absent = absentParams(fn, call);
  return fact.guards.find((g) => absent.has(g.param))?.handle ?? fact.unguarded;
}

/** The return statements of a function's own body (not of nested functions). */
function returnsIn(root: ts.Node, found: (e: ts.Expression) => void): void {
  const check = (n: ts.Node): boolean => {
    if (isFunctionLike(n)) return false;
    if (ts.isReturnStatement(n) && n.expression) found(n.expression);
    return true;
  };
  if (check(root)) walkDescendants(root, check);
}

/** One connection when every return agrees on it; otherwise no single answer. */
function combine(fn: ts.FunctionLikeDeclaration, results: Handle[]): Handle {
  const first = results[0];
  if (!first) return { kind: 'not-db', reason: `\`${functionName(fn)}\` returns nothing` };
  if (results.every((r) => r.kind === first.kind && r.kind !== 'param' && ('key' in r ? r.key === (first as { key: ts.Node }).key : true))) return first;
  // The libraries some returns come from: a write on it is still that library's write (unresolved, never dropped).
  const libraries = [...new Set(results.flatMap((r) => ((r.kind === 'executor' || r.kind === 'admin') && r.adapter ? [r.adapter] : [])))];
  return { kind: 'unknown', reason: `\`${functionName(fn)}\` returns different connections`, ...(libraries.length ? { libraries } : {}) };
}

export function sameHandle(a: Handle, b: Handle): boolean {
  if (a === b) return true;
  if (a.kind !== b.kind) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(x);
  return keys.length === Object.keys(y).length && keys.every((k) => x[k] === y[k]);
}

type Effects = ReturnType<typeof classifyStatement>[];

/**
 * The connections a function, statement by statement, begins a transaction on and sets the
 * org context in transaction-locally, with no COMMIT before its first top-level return: a
 * connection it returns from among these is org-scoped. Once per function.
 */
export function scopedOnReturn(fn: ts.FunctionLikeDeclaration, handleOf: (e: ts.Expression) => Handle, effects: (sql: ts.Expression | undefined) => Effects, settings: ReadonlySet<string>): ReadonlySet<ts.Node> {
  const out = new Set<ts.Node>();
  if (!fn.body || !ts.isBlock(fn.body)) return out;
  const state = new Map<ts.Node, { tx: boolean; ctx: boolean }>();
  const visit = (n: ts.Node): void => {
    if (isFunctionLike(n)) return;
    ts.forEachChild(n, visit);
    if (!ts.isCallExpression(n) || !ts.isPropertyAccessExpression(skipOuter(n.expression))) return;
    const callee = skipOuter(n.expression) as ts.PropertyAccessExpression;
    const method = callee.name.text;
    const adapter = adapters.find((a) => a.queryMethods[method] || a.transactionControl?.[method]);
    if (!adapter) return;
    const h = handleOf(callee.expression);
    if (h.kind !== 'executor') return;
    const s = state.get(h.key) ?? { tx: false, ctx: false };
    const control = adapter.transactionControl?.[method];
    if (control === 'rollback-to-savepoint') s.ctx = false;
    const list: Effects = control ? [{ transaction: control === 'rollback-to-savepoint' ? null : control, contextSets: [] } as unknown as Effects[number]] : effects(n.arguments[adapter.queryMethods[method]?.sqlArg ?? 0]);
    for (const effect of list) {
      if (effect.transaction === 'begin') s.tx = true;
      if (effect.transaction === 'commit' || effect.transaction === 'rollback') s.tx = s.ctx = false;
      if (s.tx && effect.contextSets.some((c) => c.local === true && settings.has(c.setting))) s.ctx = true;
    }
    state.set(h.key, s);
  };
  for (const st of fn.body.statements) {
    if (ts.isReturnStatement(st)) {
      for (const [key, s] of state) if (s.tx && s.ctx) out.add(key);
      return out;
    }
    visit(st);
  }
  return out;
}

/** Indices of the parameters a call leaves out or passes as undefined/null. */
export function absentParams(fn: ts.FunctionLikeDeclaration, call: ts.CallExpression): Set<number> {
  const out = new Set<number>();
  fn.parameters.forEach((_, i) => {
    const arg = call.arguments[i] && skipOuter(call.arguments[i]);
    if (!arg || arg.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(arg) && arg.text === 'undefined')) out.add(i);
  });
  return out;
}

/** `if (!p) return x;` (or `p == null`, `p === undefined`) at the top of a function: the parameter and what it returns. */
export function missingArgumentGuard(st: ts.Statement, fn: ts.FunctionLikeDeclaration): { param: number; returns: ts.Expression } | undefined {
  if (!ts.isIfStatement(st) || st.elseStatement) return undefined;
  const then = ts.isBlock(st.thenStatement) && st.thenStatement.statements.length === 1 ? st.thenStatement.statements[0]! : st.thenStatement;
  if (!ts.isReturnStatement(then) || !then.expression) return undefined;
  let tested: ts.Expression | undefined;
  const cond = skipOuter(st.expression);
  if (ts.isPrefixUnaryExpression(cond) && cond.operator === ts.SyntaxKind.ExclamationToken) tested = skipOuter(cond.operand);
  else if (ts.isBinaryExpression(cond) && [ts.SyntaxKind.EqualsEqualsToken, ts.SyntaxKind.EqualsEqualsEqualsToken].includes(cond.operatorToken.kind)) {
    const other = skipOuter(cond.right);
    if (other.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(other) && other.text === 'undefined')) tested = skipOuter(cond.left);
  }
  if (!tested || !ts.isIdentifier(tested)) return undefined;
  const param = fn.parameters.findIndex((p) => ts.isIdentifier(p.name) && p.name.text === (tested as ts.Identifier).text);
  return param < 0 ? undefined : { param, returns: then.expression };
}
