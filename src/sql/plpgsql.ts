import { type PgNode, assignmentValue, parsePlpgsql, visitPg } from './parser.js';

// PL/pgSQL bodies read for the SQL they embed: a function's body (the migrations' model) and a DO block, whether a
// migration runs it or the app sends it (classify.ts).

/** A function's parameter list and result as SQL text (`p_org uuid, OUT n int`, `TABLE(id uuid)`, `trigger`). */
export interface FunctionSignature {
  args: string;
  result: string;
}

/**
 * parsePlPgSQL wants a whole CREATE FUNCTION; rebuild one around the body with the function's own
 * parameters and result: only then are its parameters, OUT and TABLE columns variables of the body
 * (`p_term := lower(p_term)`), and a trigger's NEW, OLD and TG_OP (an event trigger's TG_EVENT).
 * Without them a body that assigns one is "not a known variable": reported unparsable, its writes
 * lost. A function whose signature is unknown (a DO block) is tried with the permissive results.
 */
export function plpgsqlTree(
  body: string,
  name: string,
  signature?: FunctionSignature,
): ReturnType<typeof parsePlpgsql> {
  const tag = '$rlsguard$';
  const fn = name.replace(/[^\w.]/g, '_');
  const build = (args: string, result: string) =>
    parsePlpgsql(`CREATE FUNCTION ${fn}(${args}) RETURNS ${result} LANGUAGE plpgsql AS ${tag}${body}${tag}`);
  const own = signature ? build(signature.args, signature.result) : null;
  if (own?.ok) return own;
  // The return type decides which RETURN forms are legal; try the permissive ones first.
  let parsed: ReturnType<typeof parsePlpgsql> = { ok: false, error: '' };
  for (const result of ['record', 'SETOF record', 'void']) {
    parsed = build('', result);
    if (parsed.ok) return parsed;
  }
  return own ?? parsed;
}

/**
 * Every query a parsed PL/pgSQL body embeds, as SQL of its own; `dynamic` when it runs SQL it builds (EXECUTE), which
 * no reading of the text can name; `assigns` when it assigns a variable.
 */
export function embeddedQueries(tree: unknown): { statements: string[]; dynamic: boolean; assigns: boolean } {
  const statements: string[] = [];
  let dynamic = false;
  let assigns = false;
  visitPg(tree, (key, value) => {
    if (key === 'PLpgSQL_stmt_dynexecute') dynamic = true;
    if (key === 'PLpgSQL_expr' && typeof value.query === 'string') {
      statements.push(bodyQuery(value.query, value.parseMode));
      if (typeof value.parseMode === 'number' && RAW_PARSE_PLPGSQL_ASSIGN.has(value.parseMode)) assigns = true;
    }
  });
  return { statements, dynamic, assigns };
}

// The parser's modes for a PL/pgSQL expression (PostgreSQL's RawParseMode): a whole statement, an
// expression, or an assignment `target := value` to a variable, a field, or a field's field.
const RAW_PARSE_DEFAULT = 0;
const RAW_PARSE_PLPGSQL_ASSIGN = new Set([3, 4, 5]);

/** One embedded query as SQL of its own: an expression is selected, an assignment's value too. */
function bodyQuery(query: string, parseMode: unknown): string {
  if (parseMode === RAW_PARSE_DEFAULT || parseMode === undefined) return query;
  if (typeof parseMode === 'number' && RAW_PARSE_PLPGSQL_ASSIGN.has(parseMode)) {
    // What can have effects is the value: `v := create_order(…)` calls a function. The target
    // is a variable (or NEW's field), not SQL.
    const value = assignmentValue(query);
    if (value !== null) return `SELECT ${value}`;
  }
  return `SELECT ${query}`;
}

/** A DO statement's body, its language (plpgsql when unsaid) and where the body starts in the statement's text. */
export function doBlockBody(node: PgNode): { language: string; body: string; location: number | undefined } | null {
  type Option = { DefElem?: { defname?: string; arg?: { String?: { sval?: string } }; location?: number } };
  const args = (node.args as Option[] | undefined) ?? [];
  const option = (name: string) => args.find((a) => a.DefElem?.defname === name)?.DefElem;
  const as = option('as');
  const body = as?.arg?.String?.sval;
  if (body === undefined) return null;
  return { language: (option('language')?.arg?.String?.sval ?? 'plpgsql').toLowerCase(), body, location: as?.location };
}
