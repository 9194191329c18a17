import ts from '../ts.js';
import { throughLocalConsts } from './scope.js';
import { skipOuter } from '../syntax/wrappers.js';

// `text.replace(/\$(\d+)/g, (_, n) => quote(values[n - 1]))`: a statement written with `$n` placeholders whose
// values the code splices in itself before sending it as raw SQL (`sql.raw(paramQuery)`). Only the placeholders
// change: the statement's structure is the text's, so it is read with them as bind parameters. Recognised by the
// pattern alone (a `$` then digits, the whole match): a replacement of anything else may rewrite structure.

/** The patterns of a placeholder fill: `\$(\d+)`, `\$\d+`, and the same with `[0-9]`. */
const PLACEHOLDER_PATTERNS = new Set(['\\$(\\d+)', '\\$\\d+', '\\$([0-9]+)', '\\$[0-9]+']);

/** The text whose `$n` placeholders a call fills (`query` of `query.replace(/\$(\d+)/g, …)`), else undefined. */
export function filledText(expr: ts.Expression): ts.Expression | undefined {
  const e = skipOuter(expr);
  if (!ts.isCallExpression(e) || !ts.isPropertyAccessExpression(e.expression)) return undefined;
  const method = e.expression.name.text;
  if ((method !== 'replace' && method !== 'replaceAll') || e.arguments.length !== 2) return undefined;
  const pattern = skipOuter(e.arguments[0]!);
  if (!ts.isRegularExpressionLiteral(pattern)) return undefined;
  const body = /^\/(.*)\/([a-z]*)$/s.exec(pattern.text);
  return body && PLACEHOLDER_PATTERNS.has(body[1]!) ? e.expression.expression : undefined;
}

/** Whether raw text is such a fill, written in place or held in a local const (`const paramQuery = q.replace(…)`). */
export function isPlaceholderFill(expr: ts.Expression): boolean {
  return filledText(throughLocalConsts(expr)) !== undefined;
}

/**
 * The fill a query's argument runs its text through (`sql.raw(paramQuery)`, `sql.raw(q.replace(…))`), for the site's
 * evidence; undefined when there is none.
 */
export function placeholderFillOf(arg: ts.Expression): ts.CallExpression | undefined {
  let e = throughLocalConsts(arg);
  if (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression) && e.arguments.length === 1 &&
    (e.expression.name.text === 'raw' || e.expression.name.text === 'unsafe'))
    e = throughLocalConsts(e.arguments[0]!);
  return filledText(e) ? (e as ts.CallExpression) : undefined;
}
