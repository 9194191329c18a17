import ts from '../ts.js';
import { returnedExpressions } from '../code/own-returns.js';
import type { HandleResolver } from './handles.js';
import { skipOuter } from '../syntax/wrappers.js';

// Where the instance behind an executor was constructed (`new Kysely({ … })`), by the same
// provenance the connection is traced with: through consts and imports, transactions opened
// on it (`db.transaction().execute(trx => …)`, also through a pass-through helper), connections it checks out. What
// an
// instance
// was built with (a Kysely plugin that renames tables) then applies to every write through it.

const MAX_DEPTH = 8;

export function constructionOf(expr: ts.Expression, handles: HandleResolver, depth = 0): ts.NewExpression | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const h = handles.of(expr);
  if (h.kind !== 'executor' && h.kind !== 'admin') return undefined;
  const key = h.key;
  if (ts.isNewExpression(key)) return key;
  // An admin provider's variable: its initializer is the construction.
  if (ts.isVariableDeclaration(key) && key.initializer) return constructionOf(key.initializer, handles, depth + 1);
  // A transaction's or connection's callback parameter: the instance the chain starts on.
  if (ts.isParameter(key)) {
    const call = key.parent.parent;
    const direct =
      call && ts.isCallExpression(call) ? constructionOf(chainRoot(call.expression), handles, depth + 1) : undefined;
    if (direct) return direct;
    // Handed on by a pass-through helper (`withTx(ky, async (trx) => …)`): the instance the
    // helper opens the transaction on, when every path it may take agrees.
    const made = handles.forwardedReceivers(key).map((r) => constructionOf(r, handles, depth + 1));
    return made.length > 0 && made.every((m) => m !== undefined && m === made[0]) ? made[0] : undefined;
  }
  // `db.transaction()`, `pool.connect()`: the receiver.
  if (ts.isCallExpression(key)) return constructionOf(chainRoot(key.expression), handles, depth + 1);
  return undefined;
}

/** `db.transaction().execute` → `db`. */
function chainRoot(expr: ts.Expression): ts.Expression {
  let e = skipOuter(expr);
  while (ts.isPropertyAccessExpression(e) || ts.isCallExpression(e)) e = skipOuter(e.expression);
  return e;
}

/** The one expression a function returns (an arrow's body, or a block's single `return x`), or undefined. */
export function soleReturn(fn: ts.FunctionLikeDeclaration): ts.Expression | undefined {
  const found = returnedExpressions(fn);
  return found.length === 1 ? found[0] : undefined;
}
