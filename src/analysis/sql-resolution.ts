import ts from '../ts.js';
import type { DbAdapter } from '../adapters/index.js';
import { type OriginResolver, shortText } from '../code/origins.js';
import { skipOuter } from '../syntax/wrappers.js';
import {
  expandHelpers, expandHelpersOrNames, fillHoles, type Folded, HOLE, HOLE_BASE, type SqlTextFolder,
} from '../code/sql-text.js';
import { classifyStatement, type StatementEffect } from '../sql/classify.js';
import { doBlockStatements } from '../sql/do-blocks.js';
import {
  type IdentifierText, knexIdentifier, NAME_HOLE, namedPlaceholdersToDollar, parseSql, type ParsedStatement,
  pgPromisePlaceholdersToDollar, questionPlaceholdersToDollar, visitPg,
} from '../sql/parser.js';
import type { AnalysisConfig } from './config.js';
import type { RawWrite } from './facts.js';
import type { Operation } from '../report/types.js';
import { sqlShape } from './sql-shape.js';
import { parseWithHoleForms } from './hole-forms.js';

// knex's quoting of an identifier binding: shared with the code-migration reader (src/schema/code-migrations.ts).
export { knexIdentifier };

// The one path from a query call's SQL argument to the statements it runs and their
// effects: fold the text, fill holes with bind parameters, parse, classify.

/** What resolving SQL reads: where values come from, how text folds, the schema's functions. */
export interface SqlDeps {
  origins: OriginResolver;
  folder: SqlTextFolder;
  config: AnalysisConfig;
}

export type ResolvedSql =
  | {
      ok: true;
      statements: { effect: StatementEffect; text: string }[];
      normalized: string;
      variants: string[];
      /** How many of `statements` each variant holds, in order: the variants are alternatives, not a sequence. */
      variantSizes?: number[];
    }
  /**
   * `unparsable`: the text is known but does not parse; otherwise it is built at run time and cannot be folded.
   * `operation`: what the statement is when a reading of its fragments parses as a write (sql-shape.ts), absent when
   * even that is unknown. `part`: the piece of the text that is not a constant, as written (`${fields}`), when known.
   */
  | {
      ok: false;
      reason: string;
      parseError: boolean;
      unparsable?: true;
      /** With `unparsable`, when the text has one reading: that text (placeholders rewritten), for fragment checks. */
      text?: string;
      operation?: Operation;
      kindUnknown?: string;
      part?: string;
      /** The interpolation the parser stopped at, as the folder quotes it (`table`), when the text is one reading. */
      hole?: string;
      /** The parser stops at none of its holes, whatever form they take: no interpolation is the cause. */
      noHole?: true;
      /** A DO block whose statements cannot all be read (EXECUTE, another language, a body that does not parse). */
      block?: true;
    };

/**
 * The statements' effects with every hole read as a name, when none of them writes (itself or
 * through a function) or sets anything.
 */
function inertWithNames(
  deps: SqlDeps,
  variant: string,
  placeholders: DbAdapter['placeholders'],
  identifier?: IdentifierText,
): StatementEffect[] | undefined {
  const effects = effectsWithNames(deps, variant, placeholders, identifier);
  if (!effects) return undefined;
  // A hole that names a function (SELECT ${fn}()) could name one that writes: not inert.
  const inert = effects.every(
    (e) =>
      !e.calls.some((c) => c.endsWith('.rlsguard_name')) &&
      effectWrites(e, deps.config).length === 0 &&
      definerCalls(e, deps.config).length === 0 &&
      e.contextSets.length === 0 &&
      e.contextResets.length === 0 &&
      e.transaction === null &&
      !e.role &&
      !e.opaque,
  );
  return inert ? effects : undefined;
}

/**
 * Text that is no statement but one expression of a select list (`lock_version + 1`, `concat(a, ' ', b) as "name"`,
 * `$1::jsonb`) that writes, calls a definer and sets nothing: a piece of some builder's statement (knex.raw held in a
 * patch object or a column list), never a query of its own (sent alone, Postgres would reject it).
 */
export function inertExpression(deps: SqlDeps, text: string): boolean {
  const parsed = parseSql(`SELECT ${text}`);
  if (!parsed.ok || parsed.statements.length !== 1) return false;
  const [effect] = classifyWithNames(deps, parsed.statements);
  return (
    effectWrites(effect!, deps.config).length === 0 &&
    definerCalls(effect!, deps.config).length === 0 &&
    effect!.contextSets.length === 0 &&
    effect!.contextResets.length === 0 &&
    !effect!.role &&
    !effect!.opaque
  );
}

/**
 * The statements' effects with every hole read as a name, when the text then parses; an identifier binding (knex's
 * `??`, `:name:`) as `identifier` splices it, by default a name too.
 */
export function effectsWithNames(
  deps: SqlDeps,
  variant: string,
  placeholders: DbAdapter['placeholders'],
  identifier?: IdentifierText,
): StatementEffect[] | undefined {
  const text = rewritePlaceholders(variant.split(HOLE).join(NAME_HOLE), placeholders, identifier);
  const parsed = text === null ? undefined : parseSql(text);
  return parsed?.ok ? classifyWithNames(deps, parsed.statements) : undefined;
}

/** Statements read with holes as names: their effects, no bind values known. */
export function classifyWithNames(deps: SqlDeps, statements: ParsedStatement[]): StatementEffect[] {
  const { defaultSchema, setterFunctions } = deps.config;
  return statements.map((st) => classifyStatement(st, { defaultSchema, setterFunctions }));
}

/**
 * A member of a statement object: its value, or the variable a shorthand names (`{ text, values }` in a wrapper
 * whose `text` is a parameter, bound at each call of the wrapper).
 */
function statementMember(deps: SqlDeps, obj: ts.ObjectLiteralExpression, name: string): ts.Expression | undefined {
  const member = deps.origins.member({ kind: 'expr', expr: obj }, name);
  if (member.kind === 'expr') return member.expr;
  const shorthand = obj.properties.find((p) => ts.isShorthandPropertyAssignment(p) && p.name.text === name);
  return shorthand && ts.isShorthandPropertyAssignment(shorthand) ? shorthand.name : undefined;
}

/** The expression holding a query's text: itself, or the `text` of a statement object (`{ text, values }`). */
export function statementTextExpr(deps: SqlDeps, arg: ts.Expression): ts.Expression | undefined {
  const e = skipOuter(arg);
  if (ts.isObjectLiteralExpression(e)) return statementMember(deps, e, 'text');
  if (ts.isIdentifier(e) || ts.isPropertyAccessExpression(e)) {
    const origin = deps.origins.expr(e);
    if (origin.kind === 'expr' && ts.isObjectLiteralExpression(skipOuter(origin.expr)))
      return statementTextExpr(deps, origin.expr);
  }
  return e;
}

export function resolveSql(
  deps: SqlDeps,
  arg: ts.Expression,
  valuesArg: ts.Expression | undefined,
  placeholders?: DbAdapter['placeholders'],
): ResolvedSql {
  const e = skipOuter(arg);
  let textExpr: ts.Expression = e;
  let values = valuesArg;
  if (ts.isObjectLiteralExpression(e)) {
    const textProp = statementMember(deps, e, 'text');
    if (!textProp) {
      return { ok: false, reason: 'the query object has no resolvable `text`', parseError: false };
    }
    textExpr = textProp;
    values = statementMember(deps, e, 'values') ?? values;
  } else if (ts.isIdentifier(e) || ts.isPropertyAccessExpression(e)) {
    const origin = deps.origins.expr(e);
    if (origin.kind === 'expr' && ts.isObjectLiteralExpression(skipOuter(origin.expr))) {
      return resolveSql(deps, origin.expr, valuesArg, placeholders);
    }
  }
  // knex: bindings given as an object are named (`:name`), and a `?` is then no placeholder.
  const style = placeholders === 'question' && namedBindings(deps, values) ? 'named' : placeholders;
  const resolved = resolveText(deps, textExpr, values, style);
  // A DO block the text runs whole is what it is: no reading of its fragments makes it a read.
  if (resolved.ok || resolved.block) return resolved;
  // Text the folder cannot fold or the parser cannot read with values in its holes: what the statement is, read
  // through placeholders for its fragments; a read is no write, a write keeps its kind (sql-shape.ts).
  const shape = sqlShape(deps, textExpr, style);
  if (shape.kind === 'read') {
    const statements = shape.effects.map((effect) => ({ effect, text: shape.text }));
    return { ok: true, statements, normalized: shape.text.replace(/\s+/g, ' ').trim(), variants: [shape.text] };
  }
  return shape.kind === 'write' ? { ...resolved, operation: shape.operation } : { ...resolved, kindUnknown: shape.why };
}

/** Bindings that are an object literal (or a binding of one): knex reads the text's placeholders as named. */
function namedBindings(deps: SqlDeps, values: ts.Expression | undefined): boolean {
  if (!values) return false;
  const e = skipOuter(values);
  if (ts.isObjectLiteralExpression(e)) return true;
  if (!ts.isIdentifier(e)) return false;
  const origin = deps.origins.expr(e);
  return origin.kind === 'expr' && ts.isObjectLiteralExpression(skipOuter(origin.expr));
}

function resolveText(
  deps: SqlDeps,
  textExpr: ts.Expression,
  values: ts.Expression | undefined,
  placeholders?: DbAdapter['placeholders'],
): ResolvedSql {
  const bindings = constantValues(deps, values);
  const sentAsBind = bindPolicy(deps, textExpr, placeholders);
  const folded: Folded = deps.folder.sql(textExpr);
  if (!folded.ok)
    return { ok: false, reason: folded.reason, parseError: false, ...(folded.part ? { part: folded.part } : {}) };
  const statements: { effect: StatementEffect; text: string }[] = [];
  const expanded = folded.variants.map((v) => expandHelpers(v));
  if (expanded.some((v) => v === null)) return helpersAsNames(deps, folded.variants, placeholders);
  const variantSizes: number[] = [];
  // An empty text among others (`let q = ''` before each case gives it a statement) runs no statement: Postgres
  // answers an empty query with no effect.
  const kept = expanded.length > 1 ? (expanded as string[]).filter((v) => v.trim() !== '') : (expanded as string[]);
  for (const variant of kept) {
    variantSizes.push(statements.length);
    if (variant.split(HOLE).every((part) => part.trim() === '')) {
      const reason = `the whole statement comes from \`${folded.holes[0] ?? 'an expression'}\``;
      return { ok: false, reason, parseError: false, ...(folded.holes[0] ? { part: `\`${folded.holes[0]}\`` } : {}) };
    }
    const ids = identifierBindings(deps, values);
    const text = rewritePlaceholders(fillHoles(variant), placeholders, ids.text);
    if (text === null) {
      const reason = 'a raw or identifier placeholder (:raw, ^, :name, ~) splices text into the statement';
      return { ok: false, reason, parseError: true };
    }
    if (ids.unbound.length > 0) {
      // knex's `??` / `:name:` with a binding known only at run time: whatever the name, a statement that writes,
      // calls and sets nothing is no site; otherwise the name may be the table written.
      const inert = inertWithNames(deps, variant, placeholders, identifierBindings(deps, values).text);
      if (inert) {
        statements.push(...inert.map((effect) => ({ effect, text })));
        continue;
      }
      const form = placeholders === 'named' ? '`:name:`' : '`??`';
      const reason =
        `an identifier binding (knex's ${form}) names \`${ids.unbound[0]}\` at run time: the table written is ` +
        'bound when the query runs; bind a constant name';
      return { ok: false, reason, parseError: true, part: `\`${ids.unbound[0]}\`` };
    }
    // `??` takes a binding but numbers no $n: the values are the bindings it leaves.
    const params = ids.positions.size > 0 ? bindings.filter((_, i) => !ids.positions.has(i)) : bindings;
    const parsed = parseSql(text);
    if (!parsed.ok) {
      const holes = variant.split(HOLE).length - 1;
      // A hole where a name goes (ALTER TABLE ${t} …, SELECT … FROM ${t}): whatever the
      // name, a statement that writes, calls and sets nothing is not a write site.
      const inert = holes > 0 ? inertWithNames(deps, variant, placeholders) : undefined;
      if (inert) {
        statements.push(...inert.map((effect) => ({ effect, text })));
        continue;
      }
      // The hole the parser stopped at, when the text has one reading whose holes are the folder's in order.
      const hole = (folded.variants.length === 1 && failingHole(parsed.error, folded.holes, holes)) || folded.holes[0];
      // The parser stops at no hole, and no form of the holes (a name, a list, a row…) makes the text parse: no
      // interpolation it could not fold is the cause. The text as read is not PostgreSQL: SQLite's `INSERT OR
      // IGNORE`, or a constant the folder spliced in as text (a value of a library's sql`…` held in a const), so it is
      // not said to be the code's own syntax error either.
      if (
        holes > 0 &&
        !/"\$9\d\d"/.test(parsed.error) &&
        !parseWithHoleForms(variant, (t) => rewritePlaceholders(t, placeholders, ids.text))
      )
        return {
          ok: false,
          reason:
            'the SQL, read with its constant interpolations folded in, does not parse wherever the others stand ' +
            `(${withoutHoles(parsed.error)}): no interpolation it cannot fold is where the parser stops`,
          parseError: true,
          noHole: true,
        };
      return holes > 0
        ? {
            ok: false,
            reason:
              `the interpolation \`\${${hole}}\` changes the statement's structure ` +
              `(${withoutHoles(parsed.error)})${BIND_ADVICE}`,
            parseError: true,
            part: `\`\${${hole}}\``,
            ...(hole !== undefined ? { hole } : {}),
          }
        : {
            ok: false,
            reason: `the SQL does not parse: ${withoutHoles(parsed.error)}`,
            parseError: true,
            unparsable: true,
            ...(expanded.length === 1 ? { text } : {}),
          };
    }
    const holes = variant.split(HOLE).length - 1;
    if (holes > 0 && countHoleParams(parsed.statements) !== holes) {
      const reason = `the interpolation \`\${${folded.holes[0]}}\` is part of a name, not a value; make it a constant`;
      return { ok: false, reason, parseError: true, part: `\`\${${folded.holes[0]}}\`` };
    }
    for (const st of parsed.statements) {
      // A DO block runs the statements its body embeds, one after the other, as one statement of the call.
      const block = doBlockStatements(st);
      if (block && 'opaque' in block)
        return {
          ok: false,
          reason: block.opaque,
          parseError: false,
          kindUnknown: 'a DO block',
          block: true,
          ...(block.unparsable ? { unparsable: true as const } : {}),
        };
      if (block) {
        const { defaultSchema, setterFunctions } = deps.config;
        for (const { statement, text: own } of block.statements)
          statements.push({ effect: classifyStatement(statement, { defaultSchema, setterFunctions }), text: own });
        continue;
      }
      statements.push({
        effect: classifyStatement(st, {
          defaultSchema: deps.config.defaultSchema,
          setterFunctions: deps.config.setterFunctions,
          params,
          sentAsBind,
        }),
        text: statementText(text, st),
      });
    }
  }
  const variants = kept.map(
    (v) => rewritePlaceholders(fillHoles(v), placeholders, identifierBindings(deps, values).text) ?? fillHoles(v),
  );
  // Start offsets to counts.
  const sizes = variantSizes.map((from, i) => (variantSizes[i + 1] ?? statements.length) - from);
  const normalized = variants.map((v) => v.replace(/\s+/g, ' ').trim()).join(' | ');
  return { ok: true, statements, normalized, variants, variantSizes: sizes };
}

/**
 * Text with a library helper where no value shape fits (`SELECT count(*) FROM ${sql(table)}`, `TRUNCATE ${tx(table)}`):
 * postgres.js's `sql(name)` is an identifier there. Read with such a helper as a name chosen at run time: a statement
 * that then writes, calls and sets nothing is a read whatever the name; one that writes stays unresolved, its table
 * (or column) said to be named at run time. Unresolved as before when no reading parses.
 */
function helpersAsNames(
  deps: SqlDeps,
  folded: readonly string[],
  placeholders: DbAdapter['placeholders'] | undefined,
): ResolvedSql {
  const statements: { effect: StatementEffect; text: string }[] = [];
  const variants: string[] = [];
  for (const raw of folded) {
    const variant = expandHelpersOrNames(raw);
    if (variant === null) {
      const reason = 'a values helper (sql(rows)) sits where no list of columns or values fits';
      return { ok: false, reason, parseError: true };
    }
    const inert = inertWithNames(deps, variant, placeholders);
    if (!inert) {
      const reason =
        'a helper call of the library (`sql(name)`) puts a name chosen at run time where the statement names what ' +
        'it writes (a table or a column): name the table in the text, one statement per table';
      return { ok: false, reason, parseError: true };
    }
    const text = fillHoles(variant);
    variants.push(text);
    statements.push(...inert.map((effect) => ({ effect, text })));
  }
  const normalized = variants.map((v) => v.replace(/\s+/g, ' ').trim()).join(' | ');
  return { ok: true, statements, normalized, variants };
}

/**
 * The effects of the one text a SQL argument folds to, for what reads a helper's body (setters,
 * connect hooks, factories that scope what they return): none when the text has variants or
 * does not resolve, so what they look for is not taken as shown.
 */
export function statementEffects(
  deps: SqlDeps,
  sql: ts.Expression | undefined,
  placeholders?: DbAdapter['placeholders'],
  values?: ts.Expression,
): StatementEffect[] {
  if (!sql) return [];
  const resolved = resolveSql(deps, sql, values, placeholders);
  return resolved.ok && resolved.variants.length === 1 ? resolved.statements.map((st) => st.effect) : [];
}

/**
 * Which $n reach the server as bind parameters: those written in the text, unless the driver
 * formats them in itself (pg-promise); holes ($901…) only when they are a tagged template's
 * values (sql`…${v}`), not text spliced into a plain string.
 */
function bindPolicy(
  deps: SqlDeps,
  textExpr: ts.Expression,
  placeholders: DbAdapter['placeholders'],
): (n: number) => boolean {
  const origin = ts.isIdentifier(textExpr) ? deps.origins.expr(textExpr) : undefined;
  const text = origin?.kind === 'expr' ? skipOuter(origin.expr) : textExpr;
  // A statement tag's object (sql-template-strings, grown by `.append()`) binds its interpolations as values too.
  const tagged = ts.isTaggedTemplateExpression(text) || deps.folder.isStatement(textExpr);
  const inText = placeholders !== 'pg-promise';
  return (n) => (n > HOLE_BASE ? tagged : inText);
}

/**
 * How knex splices its identifier bindings (`??` by position, `:name:` by name) into one reading of a text: a binding
 * that folds to one string as knex quotes it (`"notes"`, `"a"."b"`), any other as NAME_HOLE, recorded in `unbound` (as
 * written). `positions`: the bindings a `??` took, which number no $n.
 */
function identifierBindings(
  deps: SqlDeps,
  values: ts.Expression | undefined,
): { text: IdentifierText; unbound: string[]; positions: Set<number> } {
  const unbound: string[] = [];
  const positions = new Set<number>();
  const text: IdentifierText = (binding) => {
    if (typeof binding === 'number') positions.add(binding);
    const expr = bindingExpr(deps, values, binding);
    const folded = expr && deps.folder.constant(expr);
    if (folded && folded.ok && folded.variants.length === 1) return knexIdentifier(folded.variants[0]!);
    unbound.push(expr ? shortText(expr, 40) : typeof binding === 'number' ? `binding ${binding + 1}` : binding);
    return NAME_HOLE;
  };
  return { text, unbound, positions };
}

/** The expression of a binding: an element of an array of bindings (before any spread), a member of an object. */
function bindingExpr(
  deps: SqlDeps,
  values: ts.Expression | undefined,
  binding: number | string,
): ts.Expression | undefined {
  if (!values) return undefined;
  const origin = deps.origins.expr(values);
  const held = origin.kind === 'expr' ? skipOuter(origin.expr) : undefined;
  if (typeof binding === 'string') {
    return held && ts.isObjectLiteralExpression(held) ? statementMember(deps, held, binding) : undefined;
  }
  if (!held || !ts.isArrayLiteralExpression(held)) return undefined;
  const before = held.elements.slice(0, binding + 1);
  const el = held.elements[binding];
  return el && !before.some(ts.isSpreadElement) ? el : undefined;
}

/** Constant bind values (`['app.current_org_id', orgId, true]` → ['app.current_org_id', null, 'true']). */
function constantValues(deps: SqlDeps, values: ts.Expression | undefined): (string | null)[] {
  if (!values) return [];
  const origin = deps.origins.expr(values);
  const arr = origin.kind === 'expr' ? skipOuter(origin.expr) : undefined;
  if (!arr || !ts.isArrayLiteralExpression(arr)) return [];
  return arr.elements.map((el) => {
    const v = skipOuter(el as ts.Expression);
    if (v.kind === ts.SyntaxKind.TrueKeyword) return 'true';
    if (v.kind === ts.SyntaxKind.FalseKeyword) return 'false';
    const folded = ts.isSpreadElement(el) ? null : deps.folder.constant(el);
    return folded && folded.ok && folded.variants.length === 1 ? folded.variants[0]! : null;
  });
}

/** A statement's writes: its own, those of the invoker functions it calls, and those its triggers add. */
export function effectWrites(effect: StatementEffect, config: AnalysisConfig): Omit<RawWrite, 'state'>[] {
  const { functionWrites, triggerWrites } = config;
  const out: Omit<RawWrite, 'state'>[] = [];
  for (const w of effect.writes) out.push(w, ...(triggerWrites.get(`${w.table} ${w.operation}`) ?? []));
  for (const c of effect.calls) out.push(...(functionWrites.get(c) ?? []));
  return out;
}

export function definerCalls(effect: StatementEffect, config: AnalysisConfig): string[] {
  return effect.calls.filter((c) => config.definerFunctions.has(c));
}

/**
 * Holes that landed where a value goes: a bind parameter, or inside a string constant
 * (`'${id}'`). A hole glued into a name (`audit_${suffix}`) is neither, and must not be
 * mistaken for a table called `audit_$901`.
 */
function countHoleParams(statements: ParsedStatement[]): number {
  let n = 0;
  for (const st of statements) {
    visitPg(st.stmt, (key, node) => {
      if (key === 'ParamRef' && typeof node.number === 'number' && node.number > 900) n++;
      if (key === 'sval' && typeof node.sval === 'string') n += (node.sval.match(/\$9\d\d/g) ?? []).length;
    });
  }
  return n;
}

function statementText(text: string, st: ParsedStatement): string {
  const end = st.length === undefined ? undefined : st.location + st.length;
  return Buffer.from(text).subarray(st.location, end).toString().trim();
}

/**
 * A text with its placeholders as $n; an identifier binding (knex's `??`, `:name:`) as `identifier` splices it (by
 * default read as a name, NAME_HOLE).
 */
export function rewritePlaceholders(
  text: string,
  style: DbAdapter['placeholders'],
  identifier?: IdentifierText,
): string | null {
  if (style === 'question') return questionPlaceholdersToDollar(text, identifier);
  if (style === 'named') return namedPlaceholdersToDollar(text, identifier);
  if (style === 'pg-promise') return pgPromisePlaceholdersToDollar(text);
  return text;
}

/** How a message about an interpolation that changes a statement's structure ends. */
export const BIND_ADVICE = '; make it a constant or a bind parameter';

/**
 * The hole a parse error stands at (`syntax error at or near "$902"`: the second), of `count` holes numbered from
 * HOLE_BASE as fillHoles numbers them; undefined when the error is elsewhere or the quotes do not match the holes.
 */
function failingHole(error: string, quoted: readonly string[], count: number): string | undefined {
  if (quoted.length !== count) return undefined;
  const at = /"\$(9\d\d)"/.exec(error);
  const index = at ? Number(at[1]) - HOLE_BASE - 1 : -1;
  return index >= 0 && index < count ? quoted[index] : undefined;
}

/** A parser message names the placeholder a hole became (`"$901"`); the user wrote an interpolation. */
function withoutHoles(error: string): string {
  return error.replace(/"\$9\d\d"/g, 'an interpolated value');
}
