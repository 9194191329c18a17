import ts from '../ts.js';
import { skipOuter } from '../syntax/wrappers.js';
import { isFunctionLike, lookup } from './scope.js';
import { walkDescendants } from './walk.js';

// Statement objects grown in place (sql-template-strings: `const q = SQL`INSERT INTO `.append(t)`, then
// `rows.forEach((r) => q.append(SQL`(${r.id})`))` and `client.query(q)`). What the query runs is the initial chain
// followed by every piece appended to the variable before the call, in the order of the code; a piece appended under a
// condition, in a loop or in a callback may be there or not. Read syntactically, once per declaration; which tag
// starts the chain (the library's, by its import) is the folder's to check.

/** `x.append(a).append(b)`: the expression the chain starts from and its pieces, in order; undefined for no chain. */
export function appendChain(expr: ts.Expression): { root: ts.Expression; pieces: ts.Expression[] } | undefined {
  const pieces: ts.Expression[] = [];
  let e = skipOuter(expr);
  while (
    ts.isCallExpression(e) &&
    ts.isPropertyAccessExpression(e.expression) &&
    e.expression.name.text === 'append' &&
    e.arguments.length === 1
  ) {
    pieces.unshift(e.arguments[0]!);
    e = skipOuter(e.expression.expression);
  }
  return pieces.length > 0 ? { root: e, pieces } : undefined;
}

/** A piece appended to a statement variable after its declaration. */
export interface Append {
  piece: ts.Expression;
  /** Under a condition, in a loop or a callback: a run may not append it (or append it more than once). */
  optional: boolean;
  at: ts.CallExpression;
}

/** Every use of the variable that may change its text: appends, and calls it is handed to (they may append). */
type Change = { pos: number } & ({ append: Append } | { escape: ts.Expression });

const changesCache = new WeakMap<ts.VariableDeclaration, readonly Change[]>();

/**
 * The pieces appended to the statement `decl` holds before `use` (by position, in its function), or the first call
 * before it that is handed the statement (`addFilters(q)`): what that call appends cannot be read.
 */
export function appendsBefore(
  decl: ts.VariableDeclaration,
  use: ts.Node,
): { appends: Append[] } | { escape: ts.Expression } {
  let changes = changesCache.get(decl);
  if (!changes) changesCache.set(decl, (changes = changesOf(decl)));
  const at = use.getStart();
  const appends: Append[] = [];
  for (const c of changes) {
    if (c.pos >= at) break;
    if ('escape' in c) return { escape: c.escape };
    appends.push(c.append);
  }
  return { appends };
}

function changesOf(decl: ts.VariableDeclaration): Change[] {
  const out: Change[] = [];
  if (!ts.isIdentifier(decl.name)) return out;
  const name = decl.name.text;
  let scope: ts.Node = decl;
  while (scope.parent && !isFunctionLike(scope) && !ts.isSourceFile(scope)) scope = scope.parent;
  const container = decl.parent?.parent?.parent ?? scope;
  walkDescendants(scope, (node) => {
    if (!ts.isIdentifier(node) || node.text !== name || node === decl.name || lookup(node)?.decl !== decl) return;
    // `q.append(a).append(b)` on the variable: each piece, in order (the outermost call holds the whole chain).
    let outer: ts.Expression = node;
    while (
      ts.isPropertyAccessExpression(outer.parent) &&
      outer.parent.expression === outer &&
      outer.parent.name.text === 'append' &&
      ts.isCallExpression(outer.parent.parent) &&
      outer.parent.parent.expression === outer.parent
    )
      outer = outer.parent.parent;
    if (outer !== node) {
      const call = outer as ts.CallExpression;
      const optional = isOptional(call, container);
      for (const piece of appendChain(call)?.pieces ?? [])
        out.push({ pos: node.getStart(), append: { piece, optional, at: call } });
      return;
    }
    // Handed to a call as an argument: a query method's (`client.query(q)`) runs it, anything else may append to it.
    const parent = node.parent;
    if (ts.isCallExpression(parent) && parent.arguments.includes(node) && !isQueryLike(parent))
      out.push({ pos: node.getStart(), escape: parent });
  });
  return out;
}

/** `x.query(q)`, `x.execute(q)`: a call that sends the statement rather than builds it. */
function isQueryLike(call: ts.CallExpression): boolean {
  const callee = skipOuter(call.expression);
  return (
    ts.isPropertyAccessExpression(callee) &&
    /^(query|execute|executeSql|run|one|many|any|none)$/i.test(callee.name.text)
  );
}

/** Whether something between `node` and the block declaring the variable runs it conditionally or repeatedly. */
function isOptional(node: ts.Node, container: ts.Node): boolean {
  for (let n: ts.Node = node; n.parent && n !== container; n = n.parent) {
    const p = n.parent;
    if (p === container) return false;
    if (isFunctionLike(p)) return true;
    if (ts.isIfStatement(p) && p.expression !== n) return true;
    if (ts.isConditionalExpression(p) && p.condition !== n) return true;
    if (ts.isCaseClause(p) || ts.isDefaultClause(p) || ts.isCatchClause(p)) return true;
    if (
      (ts.isForStatement(p) || ts.isForOfStatement(p) || ts.isForInStatement(p) || ts.isWhileStatement(p) ||
        ts.isDoStatement(p)) &&
      p.statement === n
    )
      return true;
    if (
      ts.isBinaryExpression(p) &&
      p.right === n &&
      [ts.SyntaxKind.AmpersandAmpersandToken, ts.SyntaxKind.BarBarToken, ts.SyntaxKind.QuestionQuestionToken].includes(
        p.operatorToken.kind,
      )
    )
      return true;
  }
  return false;
}
