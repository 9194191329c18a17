import { NAME_HOLE, type ParsedStatement, parseSql, visitPg } from './parser.js';
import { doBlockBody, embeddedQueries, plpgsqlTree } from './plpgsql.js';

// A DO block sent as SQL (`client.query('DO $$ BEGIN DELETE FROM t …; END $$')`) runs the statements its body embeds:
// each is a statement of the call, in order, its writes the call's writes. Read as one opaque statement, its writes
// were no site at all (a fail-open).

/** What a DO block runs: its embedded statements, each with its own text; or why they cannot all be read. */
export type DoBlockReading =
  | { statements: { statement: ParsedStatement; text: string }[] }
  /** `unparsable`: the body, or a statement of it, does not parse (else it is dynamic or in another language). */
  | { opaque: string; unparsable?: true };

/** The statements a DO statement runs; null for any other statement. */
export function doBlockStatements(statement: ParsedStatement): DoBlockReading | null {
  const node = statement.stmt.DoStmt as Record<string, unknown> | undefined;
  if (!node) return null;
  const block = doBlockBody(node);
  if (!block) return { opaque: 'the DO block has no body rls-guard can read' };
  if (block.language !== 'plpgsql')
    return { opaque: `the DO block is in LANGUAGE ${block.language}, whose body rls-guard does not read` };
  const tree = plpgsqlTree(block.body, 'do_block');
  if (!tree.ok) return { opaque: `the DO block's body does not parse as PL/pgSQL (${tree.error})`, unparsable: true };
  const embedded = embeddedQueries(tree.result);
  const texts = [...embedded.statements];
  // EXECUTE of text the block spells out (a constant, `format('… %I …', v)`, `'…' || v`): that text, its run-time
  // pieces read as names; anything else is SQL no reading can name.
  for (const expr of executedExpressions(tree.result)) {
    const text = executedText(expr);
    if (text === null)
      return {
        opaque:
          `the DO block runs SQL it builds at run time (EXECUTE ${expr.replace(/\s+/g, ' ').slice(0, 60)}), so ` +
          'what it writes cannot be read; write each statement in the block itself, or send it from the code',
      };
    texts.push(text);
  }
  const statements: { statement: ParsedStatement; text: string }[] = [];
  for (const text of texts) {
    const parsed = parseSql(text);
    if (!parsed.ok) return { opaque: `a statement of the DO block does not parse (${parsed.error})`, unparsable: true };
    // An interpolation spliced into the body outside a quoted literal (`DELETE FROM t WHERE id = ${id}`) is text, not a
    // value the driver binds: the statement is whatever it holds.
    if (parsed.statements.some(splicedHole))
      return { opaque: "an interpolation is spliced into the DO block's body, where it is SQL text, not a value" };
    for (const statement of parsed.statements) {
      // A table an EXECUTE's run-time piece names: which one it writes is not known.
      if (writesNamedAtRunTime(statement)) {
        const shown = text.replaceAll(NAME_HOLE, '…').replace(/\s+/g, ' ').trim().slice(0, 60);
        return { opaque: `the DO block's EXECUTE writes a table it names at run time (${shown})` };
      }
      statements.push({ statement, text });
    }
  }
  return { statements };
}

/** The expressions a body EXECUTEs: `EXECUTE e`, `FOR r IN EXECUTE e`, `RETURN QUERY EXECUTE e`. */
function executedExpressions(tree: unknown): string[] {
  const out: string[] = [];
  const take = (e: unknown): void => {
    const query = (e as { PLpgSQL_expr?: { query?: unknown } } | undefined)?.PLpgSQL_expr?.query;
    out.push(typeof query === 'string' ? query : '');
  };
  visitPg(tree, (key, value) => {
    if (key === 'PLpgSQL_stmt_dynexecute' || key === 'PLpgSQL_stmt_dynfors') take(value.query);
    if (key === 'PLpgSQL_stmt_return_query' && value.dynquery) take(value.dynquery);
  });
  return out;
}

/**
 * The SQL an EXECUTE runs when the block spells it out: a string constant, constants and values joined by `||`, or
 * `format(template, …)` of a constant template; each value known only at run time is read as a name (NAME_HOLE), as
 * the code's own interpolations are where a name goes. Null for anything else (a variable holding the whole text).
 */
export function executedText(expr: string): string | null {
  const parsed = parseSql(`SELECT ${expr}`);
  if (!parsed.ok || parsed.statements.length !== 1) return null;
  const target = (parsed.statements[0]!.stmt.SelectStmt as { targetList?: { ResTarget?: { val?: unknown } }[] })
    ?.targetList;
  if (target?.length !== 1) return null;
  const text = spelled(target[0]!.ResTarget?.val, 0);
  return text !== null && text.replaceAll(NAME_HOLE, '').trim() !== '' ? text : null;
}

function spelled(node: unknown, depth: number): string | null {
  if (depth > 32) return null;
  const n = node as Record<string, Record<string, unknown> | undefined>;
  const constant = n.A_Const?.sval as { sval?: string } | undefined;
  if (constant) return constant.sval ?? '';
  const op = n.A_Expr;
  const name = (op?.name as { String?: { sval?: string } }[] | undefined)?.[0]?.String?.sval;
  if (op && op.kind === 'AEXPR_OP' && name === '||') {
    const left = spelled(op.lexpr, depth + 1);
    const right = spelled(op.rexpr, depth + 1);
    return left === null || right === null ? null : left + right;
  }
  const call = n.FuncCall;
  const fn = (call?.funcname as { String?: { sval?: string } }[] | undefined)?.map((p) => p.String?.sval).join('.');
  if (call && (fn === 'format' || fn === 'pg_catalog.format')) {
    const template = (call.args as unknown[] | undefined)?.[0];
    const t = (template as { A_Const?: { sval?: { sval?: string } } } | undefined)?.A_Const?.sval?.sval;
    if (t === undefined) return null;
    // %I and %s: a name or text; %L: a quoted literal; %%: a percent sign.
    return t.replace(/%(\d+\$)?-?\d*([sIL%])/g, (_, _pos, kind: string) =>
      kind === '%' ? '%' : kind === 'L' ? "'rlsguard_value'" : NAME_HOLE,
    );
  }
  // A value of the block (a variable, a column of a loop's row, a cast of one): known only at run time.
  if (n.ColumnRef || n.TypeCast || n.FuncCall || n.ParamRef) return NAME_HOLE;
  return null;
}

/** A write whose table is a name read at run time. */
function writesNamedAtRunTime(statement: ParsedStatement): boolean {
  let found = false;
  visitPg(statement.stmt, (key, node) => {
    if (!['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt', 'TruncateStmt', 'CopyStmt'].includes(key)) return;
    visitPg(node, (k, n) => {
      if (k === 'RangeVar' || k === 'relation') {
        const rv = n as { relname?: string; schemaname?: string };
        if (rv.relname?.includes(NAME_HOLE) || rv.schemaname?.includes(NAME_HOLE)) found = true;
      }
    });
  });
  return found;
}

/** A hole of the SQL folder (a bind parameter numbered past 900) read as a parameter of an embedded statement. */
function splicedHole(statement: ParsedStatement): boolean {
  let found = false;
  visitPg(statement.stmt, (key, node) => {
    if (key === 'ParamRef' && typeof node.number === 'number' && node.number > 900) found = true;
  });
  return found;
}
