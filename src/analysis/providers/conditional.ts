import ts from '../../ts.js';
import { guardTaken, missingArgumentGuard } from '../returns.js';
import { argumentPresence } from '../argument-presence.js';

// Which uses of a callback a call of a helper reaches, when the helper chooses by its
// arguments (`if (!orgId) return db.transaction(fn); return withRls(orgId, fn);`): the
// same rule as a factory's guards (returns.ts). A call that leaves the tested parameter
// out (or passes undefined/null) takes the guard's return; one that passes it, the rest; one
// whose argument may be missing at run time (`userId || null`, an optional parameter) both.
// Without a call (or with no guards) every use counts: the worst branch decides.

/** Whether the use at `node`, in `fn`'s body, is on the path `call` selects. */
export function selectedBy(
  fn: ts.FunctionLikeDeclaration,
  node: ts.Node,
  call: ts.CallExpression | undefined,
): boolean {
  const body = fn.body;
  if (!call || !body || !ts.isBlock(body)) return true;
  let top: ts.Node = node;
  while (top.parent && top.parent !== body) top = top.parent;
  if (top.parent !== body) return true;
  const presence = argumentPresence(fn, call);
  for (const st of body.statements) {
    const guard = missingArgumentGuard(st, fn);
    if (!guard) {
      if (st === top) return true;
      continue;
    }
    const taken = guardTaken(guard, presence);
    if (st === top) return taken !== 'no';
    // The call surely returns in this guard: nothing after it runs.
    if (taken === 'yes') return false;
  }
  return true;
}
