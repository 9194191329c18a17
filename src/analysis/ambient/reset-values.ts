import ts from '../../ts.js';
import { assignedValues, isFunctionLike, lookup, throughLocalConsts } from '../../code/scope.js';
import { skipOuter, skipOuterAndAwait } from '../../syntax/wrappers.js';

// The values a store member is entered with, when the expression handed to `c.set('db', v)`
// (or `req.db = v`, `ns.set('tx', v)`) can be one of several: a middleware that re-routes the
// connection per request (`c.set('db', isWrite ? primaryDb : replica)`, `let finalDb = db; if
// (…) finalDb = db.usePrimaryOnly(); c.set('db', finalDb)`) enters whichever it picked at run
// time. Each possible value is judged like a path of its own (settle.ts): a value that is the
// member's own earlier value (`c.get('db')` read in the same middleware) is whatever the path
// entered before it (reach.ts keeps that entry as `prior`), and `earlier.usePrimaryOnly()` is
// that earlier value when the read-replica wrapper that made it returns its primary from that
// member (context/replicas.ts). The expansion is syntactic and local to the middleware: a
// `let` with every assignment of it in its function, consts, `?:`, `??` and `||`.

export type ResetValue =
  /** An expression judged as any connection. */
  | { kind: 'value'; expr: ts.Expression }
  /** The value the member held before this entry (`c.get('db')` in the middleware that sets it again). */
  | { kind: 'held'; at: ts.Expression }
  /** `held.member()` (directly or through a const: `const f = held.usePrimaryOnly; f()`). */
  | { kind: 'variant'; member: string; at: ts.Expression };

const MAX_DEPTH = 8;
const MAX_VALUES = 8;

/**
 * The values `value` can be; `readsItself(e)` says whether an expression reads the member being set.
 * A single `{ kind: 'value', expr: value }` when there is nothing to expand.
 */
export function resetValues(value: ts.Expression, readsItself: (e: ts.Expression) => boolean): ResetValue[] {
  const out: ResetValue[] = [];
  const seen = new Set<ts.Node>();
  const add = (v: ResetValue): void => {
    const key = v.kind === 'value' ? v.expr : v.at;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(v);
  };
  expand(value, readsItself, add, 0);
  // Too many to judge one by one: the expression as a whole (traced, or untraced: fail closed).
  return out.length > MAX_VALUES ? [{ kind: 'value', expr: value }] : out;
}

function expand(
  expression: ts.Expression,
  readsItself: (e: ts.Expression) => boolean,
  add: (v: ResetValue) => void,
  depth: number,
): void {
  const e = skipOuterAndAwait(expression);
  if (depth > MAX_DEPTH) return add({ kind: 'value', expr: expression });
  if (ts.isConditionalExpression(e)) {
    expand(e.whenTrue, readsItself, add, depth + 1);
    expand(e.whenFalse, readsItself, add, depth + 1);
    return;
  }
  if (
    ts.isBinaryExpression(e) &&
    (e.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken || e.operatorToken.kind === ts.SyntaxKind.BarBarToken)
  ) {
    // `c.get('db') ?? pool` is an accessor with a fallback (providers.ts): its own shape, not two values.
    if (readsItself(e.left)) return add({ kind: 'value', expr: expression });
    expand(e.left, readsItself, add, depth + 1);
    expand(e.right, readsItself, add, depth + 1);
    return;
  }
  if (ts.isIdentifier(e)) {
    const assigned = localValues(e);
    if (assigned) {
      for (const v of assigned) expand(v, readsItself, add, depth + 1);
      return;
    }
  }
  if (readsItself(e)) return add({ kind: 'held', at: e });
  const member = heldMemberCall(e, readsItself);
  if (member) return add({ kind: 'variant', member, at: e });
  add({ kind: 'value', expr: expression });
}

/**
 * The values a variable local to a function can hold: a const's initializer; a `let`'s
 * initializer and every plain assignment of it in its function. Undefined when it is not a local
 * of a function, or is written any other way (`x += …`, destructuring, `x++`), or a `let` with
 * neither initializer nor assignment.
 */
function localValues(id: ts.Identifier): readonly ts.Expression[] | undefined {
  const b = lookup(id);
  if (b?.kind !== 'variable' || b.path.length) return undefined;
  let fn: ts.Node | undefined = b.decl.parent;
  while (fn && !isFunctionLike(fn)) fn = fn.parent;
  if (!fn || !isFunctionLike(fn) || !fn.body) return undefined;
  if (b.flags === 'const') return b.decl.initializer ? [b.decl.initializer] : undefined;
  const values = assignedValues(b);
  return values?.length ? values : undefined;
}


/**
 * `held.m()` or `const f = held.m; f()` (consts and casts between): `m`, when every value of `held` reads the member.
 */
function heldMemberCall(e: ts.Expression, readsItself: (e: ts.Expression) => boolean): string | undefined {
  if (!ts.isCallExpression(e) || e.arguments.length) return undefined;
  const callee = throughLocalConsts(e.expression);
  if (!ts.isPropertyAccessExpression(callee)) return undefined;
  const receivers: ResetValue[] = [];
  expand(callee.expression, readsItself, (v) => receivers.push(v), 0);
  return receivers.length > 0 && receivers.every((r) => r.kind === 'held') ? callee.name.text : undefined;
}

