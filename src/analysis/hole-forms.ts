import { HOLE } from '../code/sql-text.js';
import { parseSql, type ParseOutcome } from '../sql/parser.js';

// Text whose interpolations splice SQL structure (`UPDATE t SET ${assignments} WHERE …`,
// `VALUES ${rows}`) cannot be resolved, but it still says what kind of statement it is, and
// often which table: the rest of it is constant. To read that, each hole is given the form
// that fits where it stands, decided by the real parser, never by patterns over the text:
// holes are tried left to right, and each takes the form after which the parser reads
// furthest (the text after the hole is the same for every form, so how far past the hole
// the first error lies compares the forms). What a hole then stands for is a placeholder
// name, so a table spliced in by a hole reads as `rlsguard_name`, never as a real table.

/** The name a hole reads as; also the table a statement names when a hole stands for it. */
export const HOLE_NAME = 'rlsguard_name';

/**
 * The forms a hole may take, by where it stands: a name or expression, an assignment list after
 * SET, a row of VALUES, a bind parameter's number after `$` (`$${values.length + 1}`).
 */
const FORMS = [HOLE_NAME, `${HOLE_NAME} = NULL`, '(NULL)', '1'];

/** Holes past this many keep the name form: the parse attempts per text stay bounded. */
const MAX_TRIED = 16;

/**
 * The text with each hole in the form its position takes, when the whole then parses; the
 * parse with it. `rewrite` turns the driver's placeholders into `$n` (null: it cannot).
 */
export function parseWithHoleForms(
  variant: string,
  rewrite: (text: string) => string | null,
): { text: string; parsed: Extract<ParseOutcome, { ok: true }> } | undefined {
  const parts = variant.split(HOLE);
  const holes = parts.length - 1;
  if (holes === 0) return undefined;
  const chosen: string[] = [];
  const attempt = (forms: string[]) => {
    let text = parts[0]!;
    for (let i = 0; i < holes; i++) text += (forms[i] ?? HOLE_NAME) + parts[i + 1]!;
    const sql = rewrite(text);
    return sql === null ? undefined : { text: sql, parsed: parseSql(sql) };
  };
  for (let i = 0; i < Math.min(holes, MAX_TRIED); i++) {
    let best: { form: string; reach: number } | undefined;
    for (const form of FORMS) {
      const tried = attempt([...chosen, form]);
      if (!tried) return undefined;
      if (tried.parsed.ok) return { text: tried.text, parsed: tried.parsed };
      // How far past this hole the parser read before failing (bytes, as the parser counts).
      let prefix = parts[0]!;
      for (let k = 0; k < i; k++) prefix += chosen[k]! + parts[k + 1]!;
      const end = Buffer.byteLength(rewrite(prefix + form) ?? '');
      const reach = (tried.parsed.position ?? -1) - end;
      if (!best || reach > best.reach) best = { form, reach };
    }
    chosen.push(best!.form);
  }
  return undefined;
}
