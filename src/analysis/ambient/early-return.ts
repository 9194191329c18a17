import ts from '../../ts.js';
import { returnStatements } from '../../code/own-returns.js';
import { lookup } from '../../code/scope.js';
import { skipOuter } from '../../syntax/wrappers.js';

// An accessor written with an early return instead of `??`: `const ctx = S.getStore(); if (ctx) return ctx.tx;`
// (or `if (ctx) { assertActive(ctx); return ctx.db; }`), then whatever the function returns when the store holds
// nothing (`return pool;`, after a lazy `if (!instance) instance = drizzle(pool)`). It reads as
// `S.getStore()?.tx ?? pool` does: the stored value where a path entered the store, the fallback where none did.
// Only this exact layout: the store read held in a `const` of the body's top level, one `if` on it with no `else`
// whose branch ends in the one return it holds, no return before it, and one return after it. Anything else (a
// second store read in between with returns of its own, a return on another condition) leaves the function to
// returns.ts, which names the different connections it returns (unresolved, never passed).

/** The pieces of such a function: the store read, the `if` branch's return, and the function's other return. */
export interface EarlyReturn {
  /** The `const`'s initializer: the store read the `if` tests. */
  read: ts.Expression;
  /** The value returned when the store holds something (`ctx.tx`, or `tenantPool(ctx)` for a tenant store). */
  entered: ts.Expression;
  /** The value returned otherwise. */
  fallback: ts.Expression;
}

/**
 * The early-return accessor `fn` is, if it is one. `isRead` says whether an expression reads a store (the caller's
 * `AmbientProviders.read`); the `if` must test the `const` itself or a member of it (`if (ctx?.tx)`).
 */
export function earlyReturnAccessor(
  fn: ts.FunctionLikeDeclaration,
  isRead: (e: ts.Expression) => boolean,
): EarlyReturn | undefined {
  const body = fn.body;
  if (!body || !ts.isBlock(body)) return undefined;
  const returns = returnStatements(fn);
  // One return in the branch and one after it: every return has a value.
  if (returns.length !== 2 || returns.some((r) => !r.expression)) return undefined;
  const [inBranch, after] = returns as [ts.ReturnStatement, ts.ReturnStatement];
  let local: ts.VariableDeclaration | undefined;
  for (const st of body.statements) {
    // The statement the branch's return lies in: it must be the `if`.
    if (inBranch.pos < st.end) {
      if (!ts.isIfStatement(st) || st.elseStatement || !local) return undefined;
      if (!testsLocal(st.expression, local)) return undefined;
      if (!endsWith(st.thenStatement, inBranch) || after.pos < st.end) return undefined;
      return { read: local.initializer!, entered: inBranch.expression!, fallback: after.expression! };
    }
    if (local || !ts.isVariableStatement(st) || !(st.declarationList.flags & ts.NodeFlags.Const)) continue;
    local = st.declarationList.declarations.find(
      (d) => ts.isIdentifier(d.name) && d.initializer !== undefined && isRead(d.initializer),
    );
  }
  return undefined;
}

/** `ctx`, `ctx.tx` or `ctx?.tx`: a test that is true only where the store holds a value. */
function testsLocal(cond: ts.Expression, local: ts.VariableDeclaration): boolean {
  let e = skipOuter(cond);
  while (ts.isPropertyAccessExpression(e) || ts.isNonNullExpression(e)) e = skipOuter(e.expression);
  if (!ts.isIdentifier(e)) return false;
  const b = lookup(e);
  return b?.kind === 'variable' && b.decl === local;
}

/** The branch is the return itself, or a block whose last statement it is. */
function endsWith(branch: ts.Statement, ret: ts.ReturnStatement): boolean {
  if (branch === ret) return true;
  return ts.isBlock(branch) && branch.statements[branch.statements.length - 1] === ret;
}
