import { parseSql, type Token, tokensOf } from './parser.js';

// A `.sql` file is most often run by psql (`psql -f`, the Postgres image's /docker-entrypoint-initdb.d, a dump), and
// psql's grammar is not SQL: a backslash meta-command (`\set`, `\echo`, `\connect`, `\ir`, `\if`, `\gexec`) runs from
// its `\` to the end of its line; `:name`, `:'name'`, `:"name"` interpolate psql variables; `COPY … FROM stdin;` is
// followed by data rows up to a line `\.`. Read as SQL, a meta-command line fuses with the next statement, which no
// longer parses and is lost. This module reads the file as psql does and hands on the text psql sends the server:
// meta-command lines, COPY data and inactive `\if` branches blanked (byte for byte, newlines kept: every line number
// stays true), variables substituted. A `\` is a meta-command only where the Postgres scanner sees a `\` token (outside
// strings, comments and dollar-quotes), as psql's own lexer decides.

export interface PsqlNote {
  line: number;
  message: string;
  incomplete?: true;
}

/** A file psql reads at an `\i` / `\ir`: its path and text, or why it cannot be read. */
export type IncludeReader = (
  target: string,
  relative: boolean,
  from: string,
) => { path: string; text: string } | { reason: string };

export interface PsqlPart {
  path: string;
  text: string;
}

export interface PsqlReading {
  /**
   * What runs, in order: the file's own text, split where it includes another file (each part keeps the file's line
   * numbers, the other parts' lines blanked), with the included files' parts between.
   */
  parts: PsqlPart[];
  notes: { file: string; line: number; message: string; incomplete?: true }[];
}

/** Whether a text may hold anything psql reads differently from SQL (a `\`, or a `:` before a name or a quote). */
export function mayBePsql(text: string): boolean {
  return text.includes('\\') || /(^|[^:]):['"A-Za-z_]/m.test(text);
}

const MAX_INCLUDE_DEPTH = 8;
/** Backslashes tried as meta-command candidates past a lexing error the scanner cannot skip (bounded work). */
const MAX_CANDIDATES = 2000;

/** Reads a psql script: the parts that run and the notes on what psql does that changes what runs. */
export function readPsqlScript(
  path: string,
  text: string,
  include: IncludeReader = () => ({ reason: 'includes are not followed here' }),
  vars: Map<string, string> = new Map(),
  depth = 0,
  stack: readonly string[] = [],
): PsqlReading {
  if (!mayBePsql(text)) return { parts: [{ path, text }], notes: [] };
  const reader = new ScriptReader(path, text, vars);
  const notes: PsqlReading['notes'] = [];
  const pieces: ({ cut: number } | { parts: PsqlPart[] })[] = [];
  reader.onInclude = (target, relative, line) => {
    const found = depth < MAX_INCLUDE_DEPTH ? include(target, relative, path) : { reason: 'includes nest too deep' };
    const command = relative ? '\\ir' : '\\i';
    if ('reason' in found) {
      notes.push({
        file: path,
        line,
        incomplete: true,
        message: `psql includes ${target} here (${command}), which rls-guard cannot read (${found.reason}): the ` +
          `statements it runs were not read; add the file to the repository or list it in "migrations"`,
      });
      return;
    }
    if (stack.includes(found.path) || found.path === path) {
      notes.push({ file: path, line, message: `psql includes ${target} here (${command}), which includes this ` +
        'file again: read once' });
      return;
    }
    const inner = readPsqlScript(found.path, found.text, include, vars, depth + 1, [...stack, path]);
    // Substitutions change the bytes of a line, never its number: the file is cut after the include's line.
    pieces.push({ cut: line }, { parts: inner.parts });
    notes.push(...inner.notes);
  };
  reader.read();
  for (const n of reader.notes) notes.push({ file: path, ...n });
  const out = reader.output();
  const parts: PsqlPart[] = [];
  let from = 0;
  for (const piece of pieces) {
    if ('cut' in piece) {
      parts.push({ path, text: keepLines(out, from, piece.cut) });
      from = piece.cut;
    } else parts.push(...piece.parts);
  }
  parts.push({ path, text: from === 0 ? out : keepLines(out, from, Infinity) });
  return { parts, notes };
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

interface Branch {
  active: boolean;
  taken: boolean;
}

class ScriptReader {
  readonly notes: PsqlNote[] = [];
  onInclude: (target: string, relative: boolean, line: number) => void = () => undefined;
  private readonly bytes: Buffer;
  private edits: Edit[] = [];
  private readonly branches: Branch[] = [];
  /** The statement psql is collecting: where it starts and the variables it names that have no value. */
  private pieceStart = 0;
  private missing: string[] = [];
  private readonly gexec: number[] = [];
  private candidates = 0;
  /** The last whole scan that succeeded (absolute offsets): reused while the scanner's state at a resume is clean. */
  private scanned: Token[] | null = null;

  constructor(
    private readonly path: string,
    text: string,
    private readonly vars: Map<string, string>,
  ) {
    this.bytes = Buffer.from(text);
  }

  read(): void {
    let at = 0;
    while (at < this.bytes.length) {
      const next = this.segment(at);
      if (next === null) break;
      at = next;
    }
    const n = this.gexec.length;
    const lines = n > 8 ? `${this.gexec.slice(0, 8).join(', ')} and ${n - 8} more` : this.gexec.join(', ');
    if (n)
      this.notes.push({
        line: this.gexec[0]!,
        incomplete: true,
        message: `${n === 1 ? '1 query ends' : `${n} queries end`} (line ${lines}) with psql's \\gexec, which runs ` +
          'each value of the result as a statement: what they run depends on the database and was not read (write ' +
          'those statements out if they gate tables or create roles)',
      });
  }

  /** The file as psql sends it: edits applied over the bytes. */
  output(): string {
    return applyEdits(this.bytes, this.edits);
  }

  private get active(): boolean {
    return this.branches.every((b) => b.active);
  }

  private lineOf(offset: number): number {
    let line = 1;
    for (let i = 0; i < offset && i < this.bytes.length; i++) if (this.bytes[i] === 10) line++;
    return line;
  }

  private lineEnd(offset: number): number {
    const nl = this.bytes.indexOf(10, offset);
    return nl < 0 ? this.bytes.length : nl;
  }

  private blank(start: number, end: number): void {
    if (end > start) this.edits.push({ start, end, text: blanked(this.bytes.subarray(start, end)) });
  }

  /**
   * Reads from `at` (the scanner's initial state: a line's start or a statement's end) to the next meta-command or
   * COPY data, handles it, and returns where reading resumes; null when the rest is left to the SQL reading (a lexing
   * error psql's grammar does not explain: the SQL reading reports it).
   */
  private segment(at: number): number | null {
    const found = this.scanFrom(at);
    if (!found) {
      if (!this.active) this.blank(at, this.bytes.length);
      return null;
    }
    for (const [i, t] of found.entries()) {
      if (t.text === ';') {
        const data = this.endStatement(t.end);
        if (data !== null) return data;
      } else if (t.text === '\\') {
        if (!this.active) this.blank(at, t.start);
        return this.metaCommand(t.start);
      } else if (t.text === ':' && this.active) this.variable(found, i);
    }
    if (!this.active) this.blank(at, this.bytes.length);
    this.finishPiece(this.bytes.length);
    return this.bytes.length;
  }

  /**
   * The tokens from `at` up to and including the first live `\` or the `;` of a `COPY … FROM stdin`, with absolute
   * offsets; null when nothing from `at` scans. When the rest does not scan (COPY data, a meta-command's argument with
   * a lone quote), each `\` and each `;` ending a line that may end a COPY is tried: the text up to it scans, and the
   * scanner's last token is that very `\` (not inside a comment) or that `;`.
   */
  private scanFrom(at: number): Token[] | null {
    const abs = (tokens: Token[]) => tokens.map((t) => ({ ...t, start: t.start + at, end: t.end + at }));
    const reused = this.reuse(at);
    if (reused) return reused;
    const whole = tokensOf(this.bytes.subarray(at).toString());
    this.scanned = whole ? abs(whole) : null;
    if (this.scanned) return this.scanned;
    let slash = this.bytes.indexOf(92, at);
    let semi = this.copyEnd(at);
    while ((slash >= 0 || semi >= 0) && this.candidates++ < MAX_CANDIDATES) {
      const useSemi = semi >= 0 && (slash < 0 || semi < slash);
      const pos = useSemi ? semi : slash;
      const tokens = tokensOf(this.bytes.subarray(at, pos + 1).toString());
      const last = tokens?.[tokens.length - 1];
      if (last && last.start + at === pos) {
        if (!useSemi || this.isCopyFromStdin(at, tokens!)) return abs(tokens!);
      }
      if (useSemi) semi = this.copyEnd(semi + 1);
      else slash = this.bytes.indexOf(92, slash + 1);
    }
    return null;
  }

  /**
   * The earlier whole scan's tokens from `at` on, when the scanner was in its initial state there: only whitespace
   * between the tokens around `at` (no token, string or comment runs across it). Saves a scan of the rest of the file
   * for each of many meta-command lines (a script that `\echo`es before each step).
   */
  private reuse(at: number): Token[] | null {
    const tokens = this.scanned;
    if (!tokens) return null;
    let i = 0;
    while (i < tokens.length && tokens[i]!.end <= at) i++;
    const gapStart = i > 0 ? tokens[i - 1]!.end : 0;
    if (i < tokens.length && tokens[i]!.start < at) return null;
    const gapEnd = i < tokens.length ? tokens[i]!.start : this.bytes.length;
    if (this.bytes.subarray(gapStart, gapEnd).toString().trim() !== '') return null;
    return tokens.slice(i);
  }

  /** The next `;` ending a line whose line mentions both COPY and stdin (the scanner and parser then decide). */
  private copyEnd(from: number): number {
    for (let i = this.bytes.indexOf(59, from); i >= 0; i = this.bytes.indexOf(59, i + 1)) {
      const after = this.bytes[i + 1];
      if (after !== undefined && after !== 10 && after !== 13) continue;
      const start = this.bytes.lastIndexOf(10, i) + 1;
      const line = this.bytes.subarray(start, i).toString().toLowerCase();
      if (line.includes('stdin') && line.includes('copy')) return i;
    }
    return -1;
  }

  private isCopyFromStdin(at: number, tokens: Token[]): boolean {
    let start = 0;
    for (let i = tokens.length - 2; i >= 0; i--)
      if (tokens[i]!.text === ';') {
        start = tokens[i]!.end;
        break;
      }
    return copyFromStdin(this.bytes.subarray(at + start, at + tokens[tokens.length - 1]!.start).toString());
  }

  /** A `;` ends the statement: COPY data after a `COPY … FROM stdin` is skipped (returns where reading resumes). */
  private endStatement(end: number): number | null {
    const isCopy = this.active && copyFromStdin(this.pieceText(this.pieceStart, end - 1));
    this.finishPiece(end);
    if (!isCopy) return null;
    return this.skipData(this.lineEnd(end));
  }

  /** Data rows from the line after `from` to the line `\.` (or the end of the file): blanked, resumes after them. */
  private skipData(from: number): number {
    let line = from + 1;
    while (line < this.bytes.length) {
      const end = this.lineEnd(line);
      if (this.bytes.subarray(line, end).toString().trimEnd() === '\\.') {
        this.blank(from, end);
        this.pieceStart = end;
        return end;
      }
      line = end + 1;
    }
    this.blank(from, this.bytes.length);
    this.pieceStart = this.bytes.length;
    return this.bytes.length;
  }

  /** What psql sends for the bytes [start, end): the meta-command lines in it blanked, its variables substituted. */
  private pieceText(start: number, end: number): string {
    const inside = this.edits.filter((e) => e.start >= start && e.end <= end);
    // Edits before `start` are left out, so the bytes before it are the file's own and its offset holds.
    return Buffer.from(applyEdits(this.bytes.subarray(0, end), inside)).subarray(start).toString();
  }

  /**
   * The statement psql collected ends (at a `;` or a `\g`): one that names a variable with no value and does not
   * parse as it stands is not read, and says why (psql would send it as it is, and the server would reject it).
   */
  private finishPiece(end: number): void {
    const start = this.pieceStart;
    this.pieceStart = end;
    if (this.missing.length === 0) return;
    const names = [...new Set(this.missing)];
    this.missing = [];
    if (parseSql(this.pieceText(start, end)).ok) return;
    this.edits = this.edits.filter((e) => !(e.start >= start && e.end <= end));
    this.blank(start, end);
    const line = this.lineOf(start + leadingSpace(this.bytes.subarray(start, end)));
    this.notes.push({
      line,
      incomplete: true,
      message: `psql variable ${names.map((n) => `:${n}`).join(', ')} ha${names.length === 1 ? 's' : 've'} no value ` +
        `in the file (no \\set before it; psql -v gives it at run time): the statement at line ${line} was not read`,
    });
  }

  /** `:name`, `:'name'`, `:"name"` (a `:` token touching a name, not a slice's `a[1:n]`): substituted when set. */
  private variable(tokens: Token[], i: number): void {
    const t = tokens[i]!;
    const next = tokens[i + 1];
    const before = tokens[i - 1];
    if (!next || next.start !== t.end) return;
    if (before && before.end === t.start && /^(\w+|\)|\])$/.test(before.text)) return;
    let name: string;
    let quote: (v: string) => string;
    if (/^'[^']*'$/.test(next.text)) {
      name = next.text.slice(1, -1);
      quote = (v) => `'${v.replace(/'/g, "''")}'`;
    } else if (/^"[^"]*"$/.test(next.text)) {
      name = next.text.slice(1, -1);
      quote = (v) => `"${v.replace(/"/g, '""')}"`;
    } else if (/^[A-Za-z_]\w*$/.test(next.text)) {
      name = next.text;
      quote = (v) => v;
    } else return;
    const value = this.vars.get(name);
    if (value === undefined) this.missing.push(name);
    else this.edits.push({ start: t.start, end: next.end, text: quote(value) });
  }

  /** A meta-command from its `\` to the end of its line: blanked, and what it does to what runs applied. */
  private metaCommand(start: number): number {
    const end = this.lineEnd(start);
    const line = this.lineOf(start);
    const words = psqlArgs(this.bytes.subarray(start + 1, end).toString(), this.vars);
    const command = words.shift() ?? '';
    // `\g`, `\gx`, `\gset`, `\gexec` send the statement psql collected, as a `;` would.
    if (/^g(x|set|exec)?$/.test(command)) {
      if (this.active) this.edits.push({ start, end: start + 1, text: ';' });
      this.blank(this.active ? start + 1 : start, end);
      if (this.active && command === 'gexec') this.gexec.push(line);
      this.finishPiece(start);
      this.pieceStart = end;
      return end;
    }
    this.blank(start, end);
    if (['if', 'elif', 'else', 'endif'].includes(command)) {
      this.branch(command, words, line);
      return end;
    }
    if (!this.active) return end;
    if (command === 'set' && words[0]) this.vars.set(words[0], words.slice(1).join(''));
    else if (command === 'unset' && words[0]) this.vars.delete(words[0]);
    else if (command === 'c' || command === 'connect') {
      const database = words[0] && words[0] !== '-' ? words[0] : undefined;
      if (database)
        this.notes.push({
          line,
          message: `psql connects to database ${database} here (\\${command}): the statements after it run there; ` +
            'rls-guard reads them into the one model',
        });
    } else if (['i', 'include', 'ir', 'include_relative'].includes(command) && words[0])
      this.onInclude(words[0], command === 'ir' || command === 'include_relative', line);
    else if (command === 'copy' && /\bfrom\s+p?stdin\b/i.test(words.join(' '))) return this.skipData(end);
    else if (command === 'q' || command === 'quit') {
      this.blank(end, this.bytes.length);
      return this.bytes.length;
    }
    return end;
  }

  /** `\if` / `\elif` / `\else` / `\endif`: only the branch psql takes is read; an unknown condition takes the first. */
  private branch(command: string, words: string[], line: number): void {
    const outer = this.branches.slice(0, command === 'if' ? undefined : -1).every((b) => b.active);
    const decide = (): boolean => {
      const value = condition(words.join(' '));
      if (value !== undefined || !outer) return value ?? false;
      this.notes.push({
        line,
        message: `psql's \\${command} ${words.join(' ')} depends on what psql is given at run time: its branch is ` +
          'read',
      });
      return true;
    };
    if (command === 'if') {
      const active = outer && decide();
      this.branches.push({ active, taken: active || !outer });
    } else {
      const top = this.branches[this.branches.length - 1];
      if (!top) return;
      if (command === 'endif') this.branches.pop();
      else if (top.taken) top.active = false;
      else {
        top.active = command === 'else' ? true : decide();
        top.taken = top.active;
      }
    }
  }
}

/** Whether a statement is `COPY … FROM stdin` (its rows follow it in the script). */
function copyFromStdin(text: string): boolean {
  if (!/copy/i.test(text)) return false;
  const parsed = parseSql(text);
  if (!parsed.ok || parsed.statements.length !== 1) return false;
  const copy = (parsed.statements[0]!.stmt as { CopyStmt?: { is_from?: boolean; filename?: string } }).CopyStmt;
  return !!copy?.is_from && !copy.filename;
}

/**
 * A meta-command's words as psql splits them: whitespace apart, `'…'` quoted (`''` and `\'` a quote), `"…"` kept
 * with its quotes, `:name` / `:'name'` substituted; `:{?name}` stays for \if. Back-quoted shell commands stay as
 * they are (their output is not known).
 */
export function psqlArgs(text: string, vars: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (i >= text.length) break;
    let word = '';
    while (i < text.length && !/\s/.test(text[i]!)) {
      const c = text[i]!;
      if (c === "'") {
        i++;
        while (i < text.length) {
          if (text[i] === "'" && text[i + 1] === "'") (word += "'"), (i += 2);
          else if (text[i] === '\\' && i + 1 < text.length) (word += text[i + 1]), (i += 2);
          else if (text[i] === "'") break;
          else word += text[i++];
        }
        i++;
      } else if (c === ':' && text[i + 1] === '{') {
        const close = text.indexOf('}', i);
        const end = close < 0 ? text.length : close + 1;
        const inner = text.slice(i, end);
        const probe = /^:\{\?(\w+)\}$/.exec(inner);
        word += probe ? (vars.has(probe[1]!) ? 'true' : 'false') : inner;
        i = end;
      } else if (c === ':' && /[A-Za-z_'"]/.test(text[i + 1] ?? '')) {
        const quoted = text[i + 1] === "'" || text[i + 1] === '"' ? text[i + 1]! : '';
        const from = i + 1 + (quoted ? 1 : 0);
        let to = from;
        while (to < text.length && /\w/.test(text[to]!)) to++;
        const name = text.slice(from, to);
        const value = vars.get(name);
        const closed = !quoted || text[to] === quoted;
        if (value === undefined || !closed) (word += c), i++;
        else (word += value), (i = to + (quoted ? 1 : 0));
      } else (word += c), i++;
    }
    out.push(word);
  }
  return out;
}

/** psql's reading of a boolean (`true`, `off`, `1`, unique prefixes); undefined when the value is not one. */
function condition(text: string): boolean | undefined {
  const v = text.trim().toLowerCase();
  if (v === '') return undefined;
  if ('true'.startsWith(v) || 'yes'.startsWith(v) || v === 'on' || v === '1') return true;
  if ('false'.startsWith(v) || 'no'.startsWith(v) || v === 'of' || v === 'off' || v === '0') return false;
  return undefined;
}

function blanked(bytes: Buffer): string {
  const out = Buffer.from(bytes);
  for (let i = 0; i < out.length; i++) if (out[i] !== 10) out[i] = 32;
  return out.toString();
}

function leadingSpace(bytes: Buffer): number {
  const text = bytes.toString();
  return Buffer.byteLength(text) - Buffer.byteLength(text.trimStart());
}

function applyEdits(bytes: Buffer, edits: readonly Edit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  for (const e of sorted) {
    if (e.start < at) continue;
    out += bytes.subarray(at, e.start).toString() + e.text;
    at = e.end;
  }
  return out + bytes.subarray(at).toString();
}

/** The text with its lines after `from` up to `to` (1-based, inclusive) kept, the others blanked (newlines kept). */
function keepLines(text: string, from: number, to: number): string {
  return text
    .split('\n')
    .map((line, i) => (i + 1 > from && i + 1 <= to ? line : line.replace(/[^\n]/g, ' ')))
    .join('\n');
}
