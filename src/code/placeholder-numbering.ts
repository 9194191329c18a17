import ts from '../ts.js';
import { onlyReturn, type OriginResolver } from './origins.js';
import { skipOuter } from '../syntax/wrappers.js';

// `text.replace(/\?/g, () => `$${++n}`)`: a statement written with `?` placeholders (the habit of SQLite, MySQL and
// knex code moved to pg) numbered for Postgres just before it is sent. Only the placeholders change, each `?` into
// `$n`: the statement's structure is the text's, read with its `?` as bind parameters. Recognised by the pattern (a
// lone `?`, every occurrence) and the replacement (a function returning `$` then a counter: `$${++n}`,
// '$' + (++n), `$${i + 1}`); a replacement of anything else may splice structure and is not read through.
// A function of the codebase whose only return numbers its text so (`convertPlaceholders(sql)`) is the same.

/** The text whose `?` placeholders a call numbers (`sql` of `sql.replace(/\?/g, () => `$${++i}`)`), else undefined. */
export function numberedText(expr: ts.Expression): ts.Expression | undefined {
  const e = skipOuter(expr);
  if (!ts.isCallExpression(e) || !ts.isPropertyAccessExpression(e.expression) || e.arguments.length !== 2)
    return undefined;
  const method = e.expression.name.text;
  if (method !== 'replace' && method !== 'replaceAll') return undefined;
  const pattern = skipOuter(e.arguments[0]!);
  // `replace('?', …)` numbers only the first: the rest stay `?`, which is no Postgres placeholder.
  const every =
    (ts.isRegularExpressionLiteral(pattern) && /^\/\\\?\/[a-z]*g[a-z]*$/.test(pattern.text)) ||
    (method === 'replaceAll' && ts.isStringLiteral(pattern) && pattern.text === '?');
  return every && numbersFrom(e.arguments[1]!) ? e.expression.expression : undefined;
}

/**
 * A call of a function of the codebase whose only return numbers the text it is given (`toDollar(sql)`): that
 * return, and the function's parameters bound to the call's arguments, for the text to be folded at this call.
 */
export function numberingHelper(
  call: ts.CallExpression,
  origins: OriginResolver,
):
  | { returned: ts.Expression; args: Map<ts.ParameterDeclaration, ts.Expression>; text: ts.Expression | undefined }
  | undefined {
  if (call.arguments.length === 0) return undefined;
  const target = origins.expr(call.expression);
  if (target.kind !== 'function' || !target.decl.body) return undefined;
  const returned = onlyReturn(target.decl.body);
  const numbered = returned && numberedText(returned);
  if (!returned || !numbered) return undefined;
  const args = new Map<ts.ParameterDeclaration, ts.Expression>();
  target.decl.parameters.forEach((p, i) => {
    const a = call.arguments[i];
    if (a && !ts.isSpreadElement(a)) args.set(p, a);
  });
  // The argument the numbered text is, when it is one of the function's parameters as given.
  const o = origins.expr(skipOuter(numbered));
  const own = o.kind === 'param' && o.path.length === 0 ? o.binding.decl : undefined;
  const text = own && ts.isParameter(own) ? args.get(own) : undefined;
  return { returned, args, text };
}

/**
 * The text a query's argument numbers on its way (`sql` of `convertPlaceholders(sql)` or of `sql.replace(/\?/g, …)`),
 * where the statement itself is written; undefined when the argument numbers nothing.
 */
export function numberingInput(expr: ts.Expression, origins: OriginResolver): ts.Expression | undefined {
  const e = skipOuter(expr);
  if (!ts.isCallExpression(e)) return undefined;
  return numberedText(e) ?? numberingHelper(e, origins)?.text;
}

/** Whether a replacement is a function returning `$` followed by a counter. */
function numbersFrom(replacement: ts.Expression): boolean {
  const fn = skipOuter(replacement);
  if (!ts.isArrowFunction(fn) && !ts.isFunctionExpression(fn)) return false;
  const r = onlyReturn(fn.body);
  const out = r && skipOuter(r);
  if (!out) return false;
  // `$${++n}`: a template of the one interpolation after a literal `$`.
  if (ts.isTemplateExpression(out))
    return (
      out.head.text === '$' &&
      out.templateSpans.length === 1 &&
      out.templateSpans[0]!.literal.text === '' &&
      isCounter(out.templateSpans[0]!.expression)
    );
  // '$' + (++n)
  return (
    ts.isBinaryExpression(out) &&
    out.operatorToken.kind === ts.SyntaxKind.PlusToken &&
    ts.isStringLiteral(skipOuter(out.left)) &&
    (skipOuter(out.left) as ts.StringLiteral).text === '$' &&
    isCounter(out.right)
  );
}

/** `++n`, `n++`, `n += 1`, `n + 1`, `this.n++`: a number the replacement counts with, never text of the statement. */
function isCounter(expr: ts.Expression): boolean {
  const e = skipOuter(expr);
  const counted = (x: ts.Expression): boolean => {
    const v = skipOuter(x);
    return ts.isIdentifier(v) || ts.isPropertyAccessExpression(v);
  };
  if (ts.isPrefixUnaryExpression(e) || ts.isPostfixUnaryExpression(e))
    return (e.operator === ts.SyntaxKind.PlusPlusToken) && counted(e.operand);
  if (!ts.isBinaryExpression(e)) return false;
  const op = e.operatorToken.kind;
  if (op === ts.SyntaxKind.PlusEqualsToken) return counted(e.left) && ts.isNumericLiteral(skipOuter(e.right));
  return op === ts.SyntaxKind.PlusToken && counted(e.left) && ts.isNumericLiteral(skipOuter(e.right));
}
