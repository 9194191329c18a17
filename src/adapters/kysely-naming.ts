import ts from '../ts.js';
import type { Chain } from './chain.js';
import type { BuilderContext } from './types.js';

// Kysely's CamelCasePlugin renames every identifier a query names, tables included: the app
// writes `insertInto('pushTokens')` and Postgres sees `push_tokens`. Whether a write's table
// is renamed depends on how the instance it runs on was built (`new Kysely({ plugins: [new
// CamelCasePlugin(opts)] })`, directly or through an in-repo factory, and `withPlugin` /
// `withoutPlugins` in the write's own chain), so the mapping follows the executor's
// provenance. When that cannot be traced and the name would change, the table is unknown.

export interface SnakeOptions {
  upperCase: boolean;
  underscoreBeforeDigits: boolean;
  underscoreBetweenUppercaseLetters: boolean;
}

export type Naming =
  { kind: 'as-written' } | { kind: 'snake'; options: SnakeOptions } | { kind: 'unknown'; reason: string };

const AS_WRITTEN: Naming = { kind: 'as-written' };

/**
 * The camelCase → snake_case conversion as the plugin documents it: an underscore before an
 * upper-case letter (only the first of a run of capitals unless `underscoreBetweenUppercaseLetters`),
 * before the first digit of a run when `underscoreBeforeDigits`, everything lower-cased (or
 * upper-cased with `upperCase`). Characters without case (digits, `_`) are kept.
 */
export function snakeCase(name: string, options: SnakeOptions): string {
  let out = name.slice(0, 1).toLowerCase();
  const hasCase = (c: string): boolean => c.toUpperCase() !== c.toLowerCase();
  const isUpper = (c: string): boolean => hasCase(c) && c === c.toUpperCase();
  const isDigit = (c: string): boolean => c >= '0' && c <= '9';
  for (let i = 1; i < name.length; i++) {
    const c = name[i]!;
    const prev = name[i - 1]!;
    if (options.underscoreBeforeDigits && isDigit(c) && !isDigit(prev)) out += `_${c}`;
    else if (isUpper(c))
      out += options.underscoreBetweenUppercaseLetters || !isUpper(prev) ? `_${c.toLowerCase()}` : c.toLowerCase();
    else out += c;
  }
  return options.upperCase ? out.toUpperCase() : out;
}

/** How the instance behind a builder chain names tables. */
export function namingOf(chain: Chain, executor: ts.Expression, ctx: BuilderContext): Naming {
  let naming = instanceNaming(executor, ctx);
  for (const link of chain.links) {
    if (link.name === 'withoutPlugins') naming = AS_WRITTEN;
    else if (link.name === 'withPlugin') naming = combine(naming, plugin(link.call.arguments[0], ctx));
  }
  return naming;
}

/**
 * The table reference as Postgres sees it (`schema.table`, quoted when the plugin upper-cases),
 * or why it cannot be known: the plugin may or may not apply and the two readings differ.
 */
export function renamed(reference: string, naming: Naming): { name: string } | { unresolved: string } {
  const parts = reference.split('.');
  if (naming.kind === 'as-written') return { name: reference };
  if (naming.kind === 'snake')
    return {
      name: parts
        .map((p) => (naming.options.upperCase ? `"${snakeCase(p, naming.options)}"` : snakeCase(p, naming.options)))
        .join('.'),
    };
  // Unknown naming matters only when some option set would change the name.
  const variants = readings(reference).slice(1);
  if (variants.every((v) => v === reference.toLowerCase()) && reference === reference.toLowerCase())
    return { name: reference };
  return {
    unresolved: `the table '${reference}' is '${variants[0]}' if the Kysely instance uses CamelCasePlugin, and ` +
      `${naming.reason}`,
  };
}

/**
 * The names a reference may reach Postgres as: as written, then CamelCasePlugin's lower-case readings (per option set).
 */
export function readings(reference: string): string[] {
  const parts = reference.split('.');
  return [
    reference,
    ...[false, true].flatMap((a) =>
      [false, true].map((b) =>
        parts
          .map((p) =>
            snakeCase(p, { upperCase: false, underscoreBeforeDigits: a, underscoreBetweenUppercaseLetters: b }),
          )
          .join('.'),
      ),
    ),
  ];
}

function instanceNaming(executor: ts.Expression, ctx: BuilderContext): Naming {
  const made = ctx.construction?.(executor);
  if (!made)
    return {
      kind: 'unknown',
      reason: `the instance \`${executor.getText().slice(0, 30)}\` runs on cannot be traced to its \`new Kysely(…)\``,
    };
  const options = objectOf(made.arguments?.[0], ctx);
  if (!options)
    return made.arguments?.length
      ? {
          kind: 'unknown',
          reason: `the options of the \`new Kysely(…)\` at line ${line(made)} are not an object literal`,
        }
      : AS_WRITTEN;
  const plugins = property(options, 'plugins');
  if (!plugins) return AS_WRITTEN;
  const list = ts.isArrayLiteralExpression(plugins) ? plugins : (ctx.definition(plugins) as ts.Expression | undefined);
  if (!list || !ts.isArrayLiteralExpression(list))
    return {
      kind: 'unknown',
      reason: `the plugins of the \`new Kysely(…)\` at line ${line(made)} are not an array literal`,
    };
  let naming: Naming = AS_WRITTEN;
  for (const el of list.elements)
    naming = combine(
      naming,
      ts.isSpreadElement(el)
        ? { kind: 'unknown', reason: `a plugin list of the \`new Kysely(…)\` at line ${line(made)} is spread` }
        : plugin(el, ctx),
    );
  return naming;
}

/**
 * What one plugin does to table names: CamelCasePlugin snake-cases, kysely's other plugins leave them, an unknown one
 * may rename.
 */
function plugin(expr: ts.Expression | undefined, ctx: BuilderContext): Naming {
  if (!expr) return AS_WRITTEN;
  let e: ts.Expression = expr;
  for (let i = 0; i < 4; i++) {
    const def = ts.isIdentifier(e) ? ctx.definition(e) : undefined;
    if (def && def !== e) e = def;
    else if (ts.isCallExpression(e) && ctx.returnedBy?.(e)) e = ctx.returnedBy(e)!;
    else break;
  }
  if (!ts.isNewExpression(e))
    return {
      kind: 'unknown',
      reason: `the plugin \`${expr.getText().slice(0, 40)}\` cannot be traced to its construction`,
    };
  const exported = ctx.packageExport?.(e.expression);
  if (!exported || exported.module !== 'kysely')
    return {
      kind: 'unknown',
      reason: `the plugin \`${e.expression.getText().slice(0, 40)}\` is not one of kysely's own, and may rename tables`,
    };
  if (exported.path[0] !== 'CamelCasePlugin') return AS_WRITTEN;
  const opts = e.arguments?.[0];
  const options: SnakeOptions = {
    upperCase: false,
    underscoreBeforeDigits: false,
    underscoreBetweenUppercaseLetters: false,
  };
  if (!opts) return { kind: 'snake', options };
  const read = readOptions(opts, options, ctx, 0);
  return read === true
    ? { kind: 'snake', options }
    : { kind: 'unknown', reason: `CamelCasePlugin's options at line ${line(e)}: ${read}` };
}

/** Reads the boolean options of an object literal, spreads of const objects included; true, or why not. */
function readOptions(expr: ts.Expression, options: SnakeOptions, ctx: BuilderContext, depth: number): true | string {
  const obj = depth < 4 ? objectOf(expr, ctx) : undefined;
  if (!obj) return `\`${expr.getText().slice(0, 40)}\` is not an object literal`;
  for (const p of obj.properties) {
    if (ts.isSpreadAssignment(p)) {
      const inner = readOptions(p.expression, options, ctx, depth + 1);
      if (inner !== true) return inner;
      continue;
    }
    if (!ts.isPropertyAssignment(p) || !(ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)))
      return 'a property is not a plain assignment';
    const key = p.name.text;
    if (!(key in options)) continue;
    const v = unwrap(p.initializer);
    if (v.kind === ts.SyntaxKind.TrueKeyword) options[key as keyof SnakeOptions] = true;
    else if (v.kind === ts.SyntaxKind.FalseKeyword) options[key as keyof SnakeOptions] = false;
    else return `option ${key} is not a constant`;
  }
  return true;
}

/** `x as const`, `(x)`, `x satisfies T` → x. */
function unwrap(e: ts.Expression): ts.Expression {
  while (
    ts.isAsExpression(e) ||
    ts.isParenthesizedExpression(e) ||
    ts.isSatisfiesExpression(e) ||
    ts.isTypeAssertionExpression(e)
  )
    e = e.expression;
  return e;
}

/** Plugins apply in order; the last renaming one decides, an unknown one leaves the result unknown. */
function combine(before: Naming, next: Naming): Naming {
  if (before.kind === 'unknown') return before;
  return next.kind === 'as-written' ? before : next;
}

function objectOf(expr: ts.Expression | undefined, ctx: BuilderContext): ts.ObjectLiteralExpression | undefined {
  if (!expr) return undefined;
  const e = unwrap(expr);
  if (ts.isObjectLiteralExpression(e)) return e;
  const def = ctx.definition(e);
  const d = def ? unwrap(def) : undefined;
  return d && ts.isObjectLiteralExpression(d) ? d : undefined;
}

function property(obj: ts.ObjectLiteralExpression, name: string): ts.Expression | undefined {
  for (const p of obj.properties) {
    if (ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) && p.name.text === name)
      return p.initializer;
    if (ts.isShorthandPropertyAssignment(p) && p.name.text === name) return p.name;
  }
  return undefined;
}

function line(n: ts.Node): number {
  const sf = n.getSourceFile();
  return sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
}
