import ts from '../ts.js';
import { lookup } from '../code/scope.js';
import { skipOuter } from '../syntax/wrappers.js';

// Whether a call's argument is there when a guard on it runs (`if (!userId) return fn(db)`):
// surely absent (left out, `undefined`, `null`, a falsy literal), perhaps absent (its own text
// says it can be: `userId || null`, `a ?? undefined`, `x ? id : null`, `obj?.id`, a parameter
// declared optional, defaulted to null or typed `| null`/`| undefined`, a `let` with no
// value), or present (anything else). A guard is decided by a present or absent argument;
// a perhaps-absent one takes both ways, so the worse path decides and a helper that falls
// back to the bare pool is not read as always scoping (`withOptionalRLS(userId || null, fn)`).

export type Presence = 'absent' | 'maybe';

/** The parameters a call leaves out or may leave out, by index; those not listed are present. */
export function argumentPresence(fn: ts.FunctionLikeDeclaration, call: ts.CallExpression): Map<number, Presence> {
  const out = new Map<number, Presence>();
  fn.parameters.forEach((_, i) => {
    const arg = call.arguments[i];
    if (!arg) out.set(i, 'absent');
    else if (surelyFalsy(skipOuter(arg))) out.set(i, 'absent');
    else if (maybeAbsent(arg, 0)) out.set(i, 'maybe');
  });
  return out;
}

/** `undefined`, `null` and the falsy literals (false, 0, ''): a truthiness guard reads them as a missing argument. */
function surelyFalsy(e: ts.Expression): boolean {
  return (
    e.kind === ts.SyntaxKind.NullKeyword ||
    e.kind === ts.SyntaxKind.FalseKeyword ||
    (ts.isIdentifier(e) && e.text === 'undefined') ||
    (ts.isVoidExpression(e)) ||
    (ts.isNumericLiteral(e) && Number(e.text) === 0) ||
    (ts.isStringLiteralLike(e) && e.text === '')
  );
}

// Far enough for `const id = a || null; f(id)`; a chain longer than this reads as present, as before.
const MAX_DEPTH = 4;

function maybeAbsent(expr: ts.Expression, depth: number): boolean {
  const e = skipOuter(expr);
  if (depth > MAX_DEPTH) return false;
  if (surelyFalsy(e)) return true;
  if (ts.isBinaryExpression(e)) {
    const k = e.operatorToken.kind;
    // `a || null`, `a ?? undefined`: absent whenever `a` is; `a && b`: absent whenever either is.
    if (k === ts.SyntaxKind.BarBarToken || k === ts.SyntaxKind.QuestionQuestionToken)
      return maybeAbsent(e.right, depth + 1);
    if (k === ts.SyntaxKind.AmpersandAmpersandToken)
      return maybeAbsent(e.left, depth + 1) || maybeAbsent(e.right, depth + 1);
    return false;
  }
  if (ts.isConditionalExpression(e)) return maybeAbsent(e.whenTrue, depth + 1) || maybeAbsent(e.whenFalse, depth + 1);
  if (ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e) || ts.isCallExpression(e))
    return optionalChain(e);
  if (ts.isIdentifier(e)) return maybeAbsentBinding(e, depth);
  return false;
}

/** `a?.b`, `a?.b.c`, `a.b?.()`: undefined when any link of the chain is. */
function optionalChain(e: ts.Expression): boolean {
  let x: ts.Node = e;
  while (ts.isPropertyAccessExpression(x) || ts.isElementAccessExpression(x) || ts.isCallExpression(x)) {
    if (x.questionDotToken) return true;
    x = skipOuter(x.expression);
  }
  return false;
}

function maybeAbsentBinding(id: ts.Identifier, depth: number): boolean {
  const b = lookup(id);
  if (!b) return false;
  if (b.kind === 'parameter') {
    if (b.path.length) return false;
    const p = b.decl;
    if (p.questionToken || nullable(p.type)) return true;
    return !!p.initializer && maybeAbsent(p.initializer, depth + 1);
  }
  if (b.kind === 'variable') {
    if (b.path.length) return false;
    const d = b.decl;
    if (nullable(d.type)) return true;
    if (!d.initializer) return b.flags !== 'const';
    // A `let` may be given another value later: its type said nothing, so only its first value is read.
    return maybeAbsent(d.initializer, depth + 1);
  }
  return false;
}

/** A declared type that admits a missing value: `T | null`, `T | undefined`, `void`. */
function nullable(type: ts.TypeNode | undefined): boolean {
  if (!type) return false;
  if (ts.isParenthesizedTypeNode(type)) return nullable(type.type);
  if (ts.isUnionTypeNode(type)) return type.types.some(nullable);
  if (type.kind === ts.SyntaxKind.UndefinedKeyword || type.kind === ts.SyntaxKind.VoidKeyword) return true;
  return ts.isLiteralTypeNode(type) && type.literal.kind === ts.SyntaxKind.NullKeyword;
}
