import { HOLE, HOLE_BASE, RAW } from '../code/sql-text.js';
import { parseSql, type ParsedStatement } from '../sql/parser.js';

// The one search that reads SQL text with holes (interpolations the folder could not fold, or
// fragments a shape fold kept apart) by the real parser, never by patterns over the text. Text
// whose interpolations splice SQL structure (`UPDATE t SET ${assignments} WHERE …`, `VALUES
// ${rows}`, `$${values.length + 1}`) cannot be resolved, but it still says what kind of
// statement it is, and often which table: the rest of it is constant. To read that, each hole
// is given the form that fits where it stands: holes are tried left to right, and each takes
// the form after which the parser reads furthest (the text after the hole is the same for
// every form, so how far past the hole the first error lies compares the forms; a tie keeps
// the earlier form, so the caller's order says which reading it prefers). A hole whose first
// form lets the parser read on into the next hole keeps it: that error is a later hole's.
// Each hole's form is chosen once, so at most holes × forms parses. What a hole then stands for is a placeholder
// name, so a table spliced in by a hole reads as `rlsguard_name`, never as a real table.
// Two callers: write-text.ts (what an unresolved call writes, its tables) and sql-shape.ts
// (whether a statement built of fragments is a read, a write, or unknown).

/** The name a hole reads as; also the table a statement names when a hole stands for it. */
export const HOLE_NAME = 'rlsguard_name';

/** What a hole may stand for, by where it stands. */
export type HoleForm = 'param' | 'name' | 'assignment' | 'row' | 'number' | 'empty' | 'columns-values';

/** The text each form reads as (a `param` is numbered: see `assembleHoles`). */
const PIECES: Record<Exclude<HoleForm, 'param'>, string> = {
  /** A name or expression: a table, a column, a function. */
  name: HOLE_NAME,
  /** A SET list (`UPDATE t SET ${assignments}`). */
  assignment: `${HOLE_NAME} = NULL`,
  /** A parenthesised value list: a row of VALUES, an IN list. */
  row: '(NULL)',
  /** A bind parameter's number after `$` (`$${values.length + 1}`), a LIMIT. */
  number: '1',
  /** A fragment that may be nothing (`Prisma.empty`, an optional clause). */
  empty: ' ',
  /** An INSERT's columns and VALUES together (a values helper's shape, sql-text.ts). */
  'columns-values': `(${HOLE_NAME}) VALUES (NULL)`,
};

/** Holes past this many keep their first form: the parse attempts per text stay bounded. */
export const MAX_SEARCHED_HOLES = 24;

/** Text split at its holes: `parts` has one more entry than `holes` (each HOLE or RAW). */
export function splitHoles(variant: string): { parts: string[]; holes: string[] } {
  const parts: string[] = [];
  const holes: string[] = [];
  let start = 0;
  for (let i = 0; i < variant.length; i++) {
    const c = variant[i];
    if (c !== HOLE && c !== RAW) continue;
    parts.push(variant.slice(start, i));
    holes.push(c);
    start = i + 1;
  }
  parts.push(variant.slice(start));
  return { parts, holes };
}

/**
 * The text with each hole in the given form (bind parameters numbered `$901`… in order), hole
 * `at` replaced by `instead` when given, and where each hole's piece ends.
 */
export function assembleHoles(
  parts: readonly string[],
  forms: readonly HoleForm[],
  at = -1,
  instead = '',
): { text: string; ends: number[] } {
  let n = HOLE_BASE;
  let text = parts[0]!;
  const ends: number[] = [];
  forms.forEach((form, i) => {
    text += i === at ? ` ${instead} ` : form === 'param' ? `$${++n}` : PIECES[form];
    ends.push(text.length);
    text += parts[i + 1]!;
  });
  return { text, ends };
}

export interface HoleReading {
  forms: HoleForm[];
  /** The text as parsed (placeholders rewritten). */
  text: string;
  statements: ParsedStatement[];
}

/**
 * A form for every hole under which the text parses, each hole's form taken from its `choices`
 * (the first is the form it keeps until its turn). `rewrite` turns the driver's placeholders into
 * `$n` (null: it cannot, and the search gives up). Undefined when no choice of forms parses.
 */
export function readHoles(
  parts: readonly string[],
  choices: readonly (readonly HoleForm[])[],
  rewrite: (text: string) => string | null,
): HoleReading | undefined {
  // A hole glued to a `$` is a bind parameter's number (`$${values.length}`): its number form goes first, for a
  // first form `$901` would make `$$901`, a dollar quote that swallows the text up to the next such hole.
  choices = choices.map((c, i) => (parts[i]!.endsWith('$') && c.includes('number') ? numberFirst(c) : c));
  const forms = choices.map((c) => c[0]!);
  const attempt = () => {
    const { text: assembled, ends } = assembleHoles(parts, forms);
    const text = rewrite(assembled);
    return text === null ? undefined : { assembled, ends, text, parsed: parseSql(text) };
  };
  const first = attempt();
  if (!first) return undefined;
  if (first.parsed.ok) return { forms, text: first.text, statements: first.parsed.statements };
  const searched = Math.min(choices.length, MAX_SEARCHED_HOLES);
  for (let i = 0; i < searched; i++) {
    let best: { form: HoleForm; reach: number } | undefined;
    for (const form of choices[i]!) {
      forms[i] = form;
      const tried = attempt();
      if (!tried) return undefined;
      if (tried.parsed.ok) return { forms, text: tried.text, statements: tried.parsed.statements };
      // Offsets in the text as parsed (the parser counts characters; a prefix rewrites to the
      // same placeholders as the whole).
      const upTo = (n: number) => rewrite(tried.assembled.slice(0, n))?.length ?? 0;
      const errorAt = tried.parsed.position ?? -1;
      // The parser read past this hole into the next one: the error is a later hole's, this
      // hole keeps its first form (a later form could parse only by swallowing that error).
      if (form === choices[i]![0] && i + 1 < choices.length && errorAt >= upTo(tried.ends[i]! + parts[i + 1]!.length))
        break;
      // How far past this hole the parser read before failing.
      const reach = errorAt - upTo(tried.ends[i]!);
      if (!best || reach > best.reach) best = { form, reach };
    }
    forms[i] = best?.form ?? choices[i]![0]!;
  }
  return undefined;
}

function numberFirst(choices: readonly HoleForm[]): readonly HoleForm[] {
  return ['number', ...choices.filter((f) => f !== 'number')];
}

/**
 * A hole of folded SQL is any interpolation (a name, a SET list, a row, a value): every form,
 * the name first (the text was already tried with every hole a name, sql-resolution.ts).
 */
const ANY_HOLE: readonly HoleForm[] = ['name', 'assignment', 'row', 'number', 'param', 'empty', 'columns-values'];

/**
 * The text with each hole in the form its position takes, when the whole then parses; the
 * parse with it. `rewrite` turns the driver's placeholders into `$n` (null: it cannot).
 */
export function parseWithHoleForms(
  variant: string,
  rewrite: (text: string) => string | null,
): HoleReading | undefined {
  const { parts, holes } = splitHoles(variant);
  if (holes.length === 0) return undefined;
  return readHoles(parts, holes.map(() => ANY_HOLE), rewrite);
}
