import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// Issue 16: every line of the TypeScript in src/ and rules/ is at most 120 characters, so a
// file reads without horizontal scrolling and a diff shows what changed on a line. A formatter
// cannot wrap a long string, so this test, not a formatter run, is what holds the limit.

const root = path.resolve(import.meta.dirname, '..');
const MAX = 120;

/**
 * Files that still have longer lines, each until the change that splits it lands. Every entry
 * must still have a line over the limit (one that has none fails the test below), so the list
 * can only shrink.
 */
const ALLOWED: readonly { file: string; why: string }[] = [];

/** Lines (1-based) longer than MAX, counted in characters (code points), not UTF-16 units or bytes. */
function longLines(text: string): number[] {
  return text.split(/\r?\n/).flatMap((line, i) => ([...line].length > MAX ? [i + 1] : []));
}

function sourceFiles(): string[] {
  const under = (dir: string): string[] =>
    fs.readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' }).map((f) => `${dir}/${f}`);
  return ['src', 'rules']
    .flatMap(under)
    .map((f) => f.split(path.sep).join('/'))
    .filter((f) => /\.[cm]?ts$/.test(f))
    .sort();
}

describe('line length in src/ and rules/', () => {
  const files = sourceFiles();
  const allowed = new Set(ALLOWED.map((a) => a.file));

  it('finds a line over the limit, and counts characters rather than bytes', () => {
    // Without this, a checker that never reports anything would pass the check below.
    expect(longLines(`short\n${'x'.repeat(MAX)}\n${'x'.repeat(MAX + 1)}\r\nshort`)).toEqual([3]);
    expect(longLines('→'.repeat(MAX))).toEqual([]);
    expect(longLines('→'.repeat(MAX + 1))).toEqual([1]);
  });

  it('reads the source tree (a check over no files would pass whatever the code does)', () => {
    expect(files).toContain('src/cli.ts');
    expect(files).toContain('src/formatters/html-assets.ts');
    expect(files).toContain('rules/index.ts');
    expect(files.length).toBeGreaterThan(100);
  });

  it('has no line over 120 characters outside the allow-list', () => {
    const over = files
      .filter((f) => !allowed.has(f))
      .flatMap((f) => longLines(fs.readFileSync(path.join(root, f), 'utf8')).map((line) => `${f}:${line}`));
    expect(over).toEqual([]);
  });

  it('allows only files that still have a line over the limit', () => {
    const stillLong = (file: string): boolean =>
      fs.existsSync(path.join(root, file)) && longLines(fs.readFileSync(path.join(root, file), 'utf8')).length > 0;
    const stale = ALLOWED.map((a) => a.file).filter((f) => !stillLong(f));
    expect(stale).toEqual([]);
  });
});
