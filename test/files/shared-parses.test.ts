import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSource, withSharedParses } from '../../src/files/source.js';

// Within one audit run a file is parsed once, whoever reads it first (a code migration, the Drizzle scan, the sources):
// the same tree for the same path and text, a new one for new text, and nothing shared outside the run (the analysis
// session replaces retired parses with new trees of the same text).

describe('withSharedParses', () => {
  it('shares a parse of the same file and text within a run, and only there', () => {
    const f = path.resolve('fixtures/shared-parse.ts');
    const inRun = withSharedParses(() => {
      const a = parseSource(f, 'const a = 1;');
      expect(parseSource(f, 'const a = 1;')).toBe(a);
      expect(parseSource(path.relative(process.cwd(), f), 'const a = 1;')).toBe(a);
      const changed = parseSource(f, 'const a = 2;');
      expect(changed).not.toBe(a);
      expect(parseSource(f, 'const a = 2;')).toBe(changed);
      return a;
    });
    expect(parseSource(f, 'const a = 1;')).not.toBe(inRun);
    expect(parseSource(f, 'const a = 1;')).not.toBe(parseSource(f, 'const a = 1;'));
  });
});
