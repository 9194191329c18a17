import { LineIndex, type DeployScan, type DeployVar } from './types.js';

// .env files: `KEY=value`, `export KEY=value`, quoted values (double quotes may span
// lines), `# comments` and inline ` # comments` after unquoted values.
// Read here rather than by dotenv's `parse`: that returns values without positions, and every
// finding cites the name's line and column (a fix replaces the value's span). On the deploy
// fixtures both read the same 18 variables and values; dotenv also drops `KEY: value` lines,
// which Spring .properties files (read by this scanner too) use.

export function scanDotenv(text: string): DeployScan {
  const index = new LineIndex(text);
  const vars: DeployVar[] = [];
  const diagnostics: string[] = [];
  let i = 0;
  while (i < text.length) {
    const lineEnd = text.indexOf('\n', i) === -1 ? text.length : text.indexOf('\n', i);
    let p = skipBlanks(text, i, lineEnd);
    if (p < lineEnd && text[p] !== '#') {
      if (text.startsWith('export', p) && (text[p + 6] === ' ' || text[p + 6] === '\t'))
        p = skipBlanks(text, p + 6, lineEnd);
      const nameStart = p;
      while (p < lineEnd && isNameChar(text[p]!)) p++;
      const nameEnd = p;
      p = skipBlanks(text, p, lineEnd);
      if (nameEnd === nameStart || (text[p] !== '=' && text[p] !== ':')) {
        diagnostics.push(`line ${index.at(i).line}: not a KEY=value line; skipped`);
      } else {
        const name = text.slice(nameStart, nameEnd);
        const v = readValue(text, skipBlanks(text, p + 1, lineEnd), lineEnd);
        vars.push({
          name,
          value: v.value,
          nameSpan: index.span(nameStart, nameEnd),
          ...(v.end > v.start ? { valueSpan: index.span(v.start, v.end) } : {}),
        });
        if (v.next > lineEnd) {
          i = v.next;
          continue;
        }
      }
    }
    i = lineEnd + 1;
  }
  const values = vars
    .filter((v) => v.value !== undefined && v.valueSpan)
    .map((v) => ({ value: v.value!, span: v.valueSpan! }));
  return { vars, values, diagnostics };
}

function readValue(
  text: string,
  start: number,
  lineEnd: number,
): { value: string; start: number; end: number; next: number } {
  const q = text[start];
  if (q === '"' || q === "'" || q === '`') {
    let p = start + 1;
    while (p < text.length && text[p] !== q) p += text[p] === '\\' && q === '"' ? 2 : 1;
    if (p >= text.length) return { value: text.slice(start + 1, lineEnd), start, end: lineEnd, next: lineEnd };
    const next = text.indexOf('\n', p);
    return { value: text.slice(start + 1, p), start, end: p + 1, next: next === -1 ? text.length : next + 1 };
  }
  let end = lineEnd;
  for (let p = start; p < lineEnd; p++) {
    if (text[p] === '#' && (p === start || text[p - 1] === ' ' || text[p - 1] === '\t')) {
      end = p;
      break;
    }
  }
  while (end > start && (text[end - 1] === ' ' || text[end - 1] === '\t' || text[end - 1] === '\r')) end--;
  return { value: text.slice(start, end), start, end, next: lineEnd };
}

function skipBlanks(text: string, p: number, end: number): number {
  while (p < end && (text[p] === ' ' || text[p] === '\t' || text[p] === '\r')) p++;
  return p;
}

export function isNameChar(c: string): boolean {
  return (
    (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c === '_' || c === '.' || c === '-'
  );
}
