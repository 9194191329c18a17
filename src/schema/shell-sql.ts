// The SQL a shell script hands psql: `psql -c "…"`, `--command=…`, or a here-document (`psql <<SQL … SQL`). The
// script is read as the shell reads it, word by word: quotes, escapes and parameter expansion (`$X`, `${X}`,
// `${X:-default}`) with the values the script assigns earlier, so `CREATE ROLE ${QS_USER} … BYPASSRLS` after
// `QS_USER="${QS_USER:-qs_backoffice}"` names qs_backoffice. A parameter the script never assigns stays unknown
// (UNKNOWN_NAME stands in), so no role is read from it. The SQL itself is left to libpg-query.

/** What an expansion of a parameter the script does not assign becomes: a name no role has. */
export const UNKNOWN_NAME = 'rlsguard_unset_parameter';

export interface ShellSql {
  sql: string;
  /** The 1-based line the SQL starts on. */
  line: number;
}

interface Word {
  text: string;
  quoted: boolean;
}

/** The SQL texts psql is given in a script (or a CI step's `run:` text, whose first line is `firstLine`). */
export function shellSqlTexts(script: string, firstLine = 1): ShellSql[] {
  const lines = script.split('\n');
  const vars = new Map<string, string>();
  const out: ShellSql[] = [];
  for (let i = 0; i < lines.length; i++) {
    let command = lines[i]!;
    const start = i;
    while (command.endsWith('\\') && i + 1 < lines.length) command = command.slice(0, -1) + ' ' + lines[++i]!;
    // Only two kinds of line matter: an assignment (a later expansion reads it) and one that runs psql.
    if (!command.includes('psql') && !ASSIGNMENT.test(command)) continue;
    const words = shellWords(command, vars);
    assignments(words, vars);
    if (!words.some((w) => w.text === 'psql' || w.text.endsWith('/psql'))) continue;
    for (let k = 0; k < words.length; k++) {
      const w = words[k]!.text;
      const next = words[k + 1];
      if ((w === '-c' || w === '--command') && next) out.push({ sql: next.text, line: firstLine + start });
      else if (w.startsWith('--command=')) out.push({ sql: w.slice(10), line: firstLine + start });
      else if ((w === '<<' || w === '<<-') && next) {
        const body: string[] = [];
        let j = i + 1;
        const ends = (l: string): boolean => (w === '<<-' ? l.replace(/^\t+/, '') : l).trim() === next.text;
        for (; j < lines.length && !ends(lines[j]!); j++) body.push(lines[j]!);
        const text = body.join('\n');
        out.push({ sql: next.quoted ? text : expandHeredoc(text, vars), line: firstLine + i + 1 });
        i = j;
        break;
      }
    }
  }
  return out;
}

/** `NAME=value` words before the command (or alone): the script's parameters, as later lines see them. */
function assignments(words: readonly Word[], vars: Map<string, string>): void {
  for (const w of words) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(w.text);
    if (!m) {
      if (w.text === 'export' || w.text === 'local' || w.text === 'readonly') continue;
      return;
    }
    vars.set(m[1]!, m[2]!);
  }
}

const ASSIGNMENT = /^\s*(?:(?:export|local|readonly)\s+)?[A-Za-z_][A-Za-z0-9_]*=/;

const OPERATORS = new Set([';', '|', '&', '>', '(', ')']);

/** The words of one command line, expanded; `<<`/`<<-` are words of their own, a `#` word ends the line. */
export function shellWords(line: string, vars: ReadonlyMap<string, string>): Word[] {
  const words: Word[] = [];
  let p = 0;
  while (p < line.length) {
    const c = line[p]!;
    if (c === ' ' || c === '\t' || OPERATORS.has(c)) {
      p++;
      continue;
    }
    if (c === '#') break;
    if (line.startsWith('<<', p)) {
      const op = line[p + 2] === '-' ? '<<-' : '<<';
      words.push({ text: op, quoted: false });
      p += op.length;
      continue;
    }
    if (c === '<') {
      p++;
      continue;
    }
    let text = '';
    let quoted = false;
    while (p < line.length) {
      const d = line[p]!;
      if (d === ' ' || d === '\t' || OPERATORS.has(d) || d === '<') break;
      if (d === "'") {
        const end = line.indexOf("'", p + 1);
        const close = end < 0 ? line.length : end;
        text += line.slice(p + 1, close);
        quoted = true;
        p = close + 1;
      } else if (d === '"') {
        quoted = true;
        p++;
        while (p < line.length && line[p] !== '"') {
          if (line[p] === '\\' && '"\\$`'.includes(line[p + 1] ?? '')) {
            text += line[p + 1];
            p += 2;
          } else if (line[p] === '$') {
            const x = expansion(line, p, vars);
            text += x.value;
            p = x.end;
          } else text += line[p++];
        }
        p++;
      } else if (d === '\\') {
        text += line[p + 1] ?? '';
        p += 2;
      } else if (d === '$') {
        const x = expansion(line, p, vars);
        text += x.value;
        p = x.end;
      } else text += line[p++];
    }
    words.push({ text, quoted });
  }
  return words;
}

/** An unquoted here-document's body: parameters expanded, `\$`, `\\` and `` \` `` unescaped. */
function expandHeredoc(text: string, vars: ReadonlyMap<string, string>): string {
  let out = '';
  for (let p = 0; p < text.length; ) {
    const c = text[p]!;
    if (c === '\\' && '$\\`'.includes(text[p + 1] ?? '')) {
      out += text[p + 1];
      p += 2;
    } else if (c === '$') {
      const x = expansion(text, p, vars);
      out += x.value;
      p = x.end;
    } else out += text[p++];
  }
  return out;
}

/** `$NAME`, `${NAME}`, `${NAME:-default}` / `${NAME-default}` at `p`; anything else after `$` is kept as it is. */
function expansion(text: string, p: number, vars: ReadonlyMap<string, string>): { value: string; end: number } {
  if (text[p + 1] === '{') {
    const close = text.indexOf('}', p + 2);
    if (close < 0) return { value: '$', end: p + 1 };
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(:?-(.*))?$/s.exec(text.slice(p + 2, close));
    if (!m) return { value: UNKNOWN_NAME, end: close + 1 };
    const set = vars.get(m[1]!);
    const value = set !== undefined && (set !== '' || m[2]?.startsWith('-')) ? set : m[3];
    return { value: value ?? UNKNOWN_NAME, end: close + 1 };
  }
  const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(p + 1));
  if (!m) return { value: '$', end: p + 1 };
  return { value: vars.get(m[0]) ?? UNKNOWN_NAME, end: p + 1 + m[0].length };
}
