import { LineIndex, type DeployScan, type DeployVar } from './types.js';

// Dockerfile ENV and ARG instructions: `ENV K=V K2="v 2"`, the legacy `ENV K value`,
// `ARG K[=default]`, continuation lines and the `# escape=` parser directive. Every name
// keeps its physical line and column across continuations.

interface Token {
  text: string;
  /** Logical index of the token's first and one-past-last characters. */
  start: number;
  end: number;
  /** Logical index of `=` inside the token, or -1. */
  eq: number;
}

export function scanDockerfile(text: string): DeployScan {
  const index = new LineIndex(text);
  const vars: DeployVar[] = [];
  const diagnostics: string[] = [];
  const escape = escapeDirective(text);
  let i = 0;
  while (i < text.length) {
    const chars: string[] = [];
    const offsets: number[] = [];
    let p = i;
    let first = true;
    for (;;) {
      const nl = text.indexOf('\n', p);
      const end = nl === -1 ? text.length : nl;
      let lineEnd = end;
      while (lineEnd > p && /\s/.test(text[lineEnd - 1]!)) lineEnd--;
      const body = text.slice(p, lineEnd).trimStart();
      // Comment and blank lines inside a continuation are dropped, as Docker does.
      const skip = !first && (body.startsWith('#') || body === '');
      const continued = !skip && lineEnd > p && text[lineEnd - 1] === escape;
      if (!skip) {
        for (let k = p; k < (continued ? lineEnd - 1 : lineEnd); k++) {
          chars.push(text[k]!);
          offsets.push(k);
        }
      }
      p = end + 1;
      first = false;
      if ((!continued && !skip) || p >= text.length) break;
    }
    offsets.push(offsets.length ? offsets.at(-1)! + 1 : i);
    instruction(chars.join(''), offsets, index, vars, diagnostics);
    i = p;
  }
  const values = vars.filter((v) => v.value !== undefined && v.valueSpan).map((v) => ({ value: v.value!, span: v.valueSpan! }));
  return { vars, values, diagnostics };
}

function escapeDirective(text: string): string {
  // Parser directives come first, before any instruction or ordinary comment.
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('#')) break;
    const body = t.slice(1).trim().toLowerCase();
    if (body.startsWith('escape')) {
      const value = body.slice(body.indexOf('=') + 1).trim();
      if (value === '`' || value === '\\') return value;
    } else if (!body.includes('=')) break;
  }
  return '\\';
}

function instruction(line: string, offsets: number[], index: LineIndex, vars: DeployVar[], diagnostics: string[]): void {
  let p = 0;
  while (p < line.length && /\s/.test(line[p]!)) p++;
  if (line[p] === '#') return;
  const kwStart = p;
  while (p < line.length && /[A-Za-z]/.test(line[p]!)) p++;
  const keyword = line.slice(kwStart, p).toUpperCase();
  if (keyword !== 'ENV' && keyword !== 'ARG') return;
  const tokens = tokenize(line, p);
  const span = (a: number, b: number) => index.span(offsets[a]!, offsets[Math.max(a, b - 1)]! + 1);
  if (tokens.length === 0) {
    diagnostics.push(`line ${index.at(offsets[kwStart]!).line}: ${keyword} without arguments`);
    return;
  }
  if (keyword === 'ENV' && tokens[0]!.eq === -1) {
    // Legacy form: ENV NAME the rest of the line
    const name = tokens[0]!;
    const rest = tokens.slice(1);
    const value = rest.length ? unquote(line.slice(rest[0]!.start, rest.at(-1)!.end)) : '';
    vars.push({ name: name.text, value, nameSpan: span(name.start, name.end), ...(rest.length ? { valueSpan: span(rest[0]!.start, rest.at(-1)!.end) } : {}) });
    return;
  }
  for (const t of tokens) {
    if (t.eq === -1) {
      vars.push({ name: t.text, value: undefined, nameSpan: span(t.start, t.end) });
      continue;
    }
    const name = line.slice(t.start, t.eq);
    const rawValue = line.slice(t.eq + 1, t.end);
    vars.push({ name, value: unquote(rawValue), nameSpan: span(t.start, t.eq), ...(t.end > t.eq + 1 ? { valueSpan: span(t.eq + 1, t.end) } : {}) });
  }
}

/** Whitespace-separated words; quotes group, and a backslash escapes the next character. */
function tokenize(line: string, from: number): Token[] {
  const out: Token[] = [];
  let p = from;
  while (p < line.length) {
    while (p < line.length && /\s/.test(line[p]!)) p++;
    if (p >= line.length) break;
    const start = p;
    let eq = -1;
    let quote: string | null = null;
    while (p < line.length && (quote || !/\s/.test(line[p]!))) {
      const c = line[p]!;
      if (c === '\\') p++;
      else if (quote && c === quote) quote = null;
      else if (!quote && (c === '"' || c === "'")) quote = c;
      else if (!quote && c === '=' && eq === -1) eq = p;
      p++;
    }
    p = Math.min(p, line.length);
    out.push({ text: line.slice(start, p), start, end: p, eq });
  }
  return out;
}

function unquote(raw: string): string {
  let out = '';
  let quote: string | null = null;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '\\' && quote !== "'" && i + 1 < raw.length) out += raw[++i];
    else if (quote && c === quote) quote = null;
    else if (!quote && (c === '"' || c === "'")) quote = c;
    else out += c;
  }
  return out;
}
