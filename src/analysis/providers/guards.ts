import ts from '../../ts.js';
import type { Handle, ParamBinding } from '../handles.js';
import { isNothing, type OriginResolver } from '../../code/origins.js';
import { skipOuter } from '../../syntax/wrappers.js';

// Runtime guards that tell a pool from a checked-out client, as TypeScript narrows the union
// `Pool | PoolClient`: `typeof db.release === 'function'`, `'release' in db`, `if (db.release)`
// and their negations. Only a checked-out client has `release`: a write in the client branch
// never runs when the caller passes a pool, and the other way round.

//
// And a test of the parameter itself (`if (dbInstance) return run(dbInstance)`, `trx ? f(trx) : db.transaction(f)`):
// in the branch where it is present, a call that passes `undefined` or `null`, or leaves out a parameter with no
// default, never runs (session35: mentingo's `createUser(data, undefined, …)`). The branch where it is absent is not
// narrowed (fail closed: any call may take it).

export type Narrowed = 'releasable' | 'not-releasable' | 'present' | 'absent';

/** The guard on `binding` that decides the branch `at` runs in, if any (the innermost). */
export function narrowingAt(at: ts.Node, binding: ParamBinding, origins: OriginResolver): Narrowed | undefined {
  let n: ts.Node = at;
  while (n.parent && n !== binding.fn) {
    const p: ts.Node = n.parent;
    if (ts.isIfStatement(p) && (p.thenStatement === n || p.elseStatement === n)) {
      const g = guardOf(p.expression, binding, origins);
      if (g) return p.thenStatement === n ? g : flip(g);
    }
    if (ts.isConditionalExpression(p) && (p.whenTrue === n || p.whenFalse === n)) {
      const g = guardOf(p.condition, binding, origins);
      if (g) return p.whenTrue === n ? g : flip(g);
    }
    // `if (!('release' in db)) return;` before this statement: the rest runs in the other branch.
    if (ts.isBlock(p) || ts.isSourceFile(p)) {
      const statements: readonly ts.Statement[] = p.statements;
      for (let i = statements.indexOf(n as ts.Statement) - 1; i >= 0; i--) {
        const st = statements[i]!;
        if (ts.isIfStatement(st) && !st.elseStatement && exits(st.thenStatement)) {
          const g = guardOf(st.expression, binding, origins);
          if (g) return flip(g);
        }
      }
    }
    n = p;
  }
  return undefined;
}

/**
 * False when the connection a call passes cannot take the branch: a pool in the client branch, a checked-out client in
 * the pool branch.
 */
export function reaches(
  narrowed: Narrowed | undefined,
  passed: Handle,
  given?: { call: ts.CallExpression; index: number; param: ts.ParameterDeclaration },
): boolean {
  if (narrowed === 'present') return !given || !passesNothing(given.call, given.index, given.param);
  if (!narrowed || passed.kind !== 'executor') return true;
  if (passed.exec === 'pool') return narrowed === 'not-releasable';
  if (passed.exec === 'pool-client') return narrowed === 'releasable';
  return true;
}

/** A branch that always leaves the function: `return …`, `throw …`, or a block ending in one. */
function exits(st: ts.Statement): boolean {
  if (ts.isReturnStatement(st) || ts.isThrowStatement(st)) return true;
  if (ts.isBlock(st)) {
    const last = st.statements[st.statements.length - 1];
    return !!last && exits(last);
  }
  return false;
}

function flip(g: Narrowed): Narrowed {
  const other: Record<Narrowed, Narrowed> = {
    releasable: 'not-releasable',
    'not-releasable': 'releasable',
    present: 'absent',
    absent: 'present',
  };
  return other[g];
}

function guardOf(cond: ts.Expression, binding: ParamBinding, origins: OriginResolver): Narrowed | undefined {
  const e = skipOuter(cond);
  if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.ExclamationToken) {
    const g = guardOf(e.operand, binding, origins);
    return g && flip(g);
  }
  // if (db): the parameter itself, present.
  if (ts.isIdentifier(e)) return isParam(e, binding, origins) ? 'present' : undefined;
  // if (db.release): a method only a checked-out client has.
  if (ts.isPropertyAccessExpression(e) && e.name.text === 'release')
    return isParam(e.expression, binding, origins) ? 'releasable' : undefined;
  if (!ts.isBinaryExpression(e)) return undefined;
  const op = e.operatorToken.kind;
  // 'release' in db
  if (op === ts.SyntaxKind.InKeyword && ts.isStringLiteralLike(e.left) && e.left.text === 'release')
    return isParam(e.right, binding, origins) ? 'releasable' : undefined;
  const equal = op === ts.SyntaxKind.EqualsEqualsEqualsToken || op === ts.SyntaxKind.EqualsEqualsToken;
  const unequal = op === ts.SyntaxKind.ExclamationEqualsEqualsToken || op === ts.SyntaxKind.ExclamationEqualsToken;
  if (!equal && !unequal) return undefined;
  // typeof db.release === 'function'
  for (const [a, b] of [[e.left, e.right], [e.right, e.left]] as const) {
    const t = skipOuter(a);
    const lit = skipOuter(b);
    if (!ts.isTypeOfExpression(t) || !ts.isStringLiteralLike(lit)) continue;
    const target = skipOuter(t.expression);
    if (
      !ts.isPropertyAccessExpression(target) ||
      target.name.text !== 'release' ||
      !isParam(target.expression, binding, origins)
    )
      continue;
    const present: Narrowed =
      lit.text === 'function' ? 'releasable' : lit.text === 'undefined' ? 'not-releasable' : 'releasable';
    if (lit.text !== 'function' && lit.text !== 'undefined') return undefined;
    return equal ? present : flip(present);
  }
  return undefined;
}

function isParam(e: ts.Expression, binding: ParamBinding, origins: OriginResolver): boolean {
  const o = origins.expr(e);
  return o.kind === 'param' && o.binding.decl === binding.decl && o.path.length === 0 && binding.path.length === 0;
}

/** The call gives the parameter nothing: `undefined`, `null`, `void …`, or leaves it out with no default to take. */
export function passesNothing(call: ts.CallExpression, index: number, param: ts.ParameterDeclaration): boolean {
  if (call.arguments.slice(0, index + 1).some(ts.isSpreadElement)) return false;
  const arg = call.arguments[index];
  if (!arg) return !param.initializer && !param.dotDotDotToken;
  return isNothing(arg);
}
