import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LocalKeys } from '../../src/eslint/local-keys.js';

// A file's local key stands for it and everything it imports, transitively. Property: after
// one file's content changes, exactly the files whose import closure holds it get a new key;
// and a file's key does not depend on which files were asked for first (cycles included).

const graphArb = fc
  .integer({ min: 1, max: 12 })
  .chain((n) =>
    fc.record({
      n: fc.constant(n),
      edges: fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: n * 3 }),
      changed: fc.nat(n - 1),
      order: fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }),
    }),
  );

const name = (i: number): string => `f${i}.ts`;

function closure(start: number, imports: Map<number, number[]>): Set<number> {
  const seen = new Set([start]);
  for (const queue = [start]; queue.length; ) for (const to of imports.get(queue.pop()!) ?? []) if (!seen.has(to)) (seen.add(to), queue.push(to));
  return seen;
}

describe('local keys', () => {
  it('change exactly for the files whose import closure holds the changed file, in any order of asking', () => {
    fc.assert(
      fc.property(graphArb, ({ n, edges, changed, order }) => {
        const imports = new Map<number, number[]>();
        for (const [a, b] of edges) (imports.get(a) ?? imports.set(a, []).get(a)!).push(b);
        const keys = (hashes: string[], ask: number[]): string[] => {
          const k = new LocalKeys(
            'base',
            (rel) => hashes[Number(rel.slice(1, -3))]!,
            (rel) => (imports.get(Number(rel.slice(1, -3))) ?? []).map(name),
            () => true,
          );
          const out: string[] = [];
          for (const i of ask) out[i] = k.of(name(i));
          return out;
        };
        const hashes = [...Array(n).keys()].map((i) => `h${i}`);
        const before = keys(hashes, [...Array(n).keys()]);
        expect(keys(hashes, order)).toEqual(before);
        const after = keys(hashes.map((h, i) => (i === changed ? `${h}'` : h)), order);
        for (let i = 0; i < n; i++) expect(after[i] !== before[i]).toBe(closure(i, imports).has(changed));
      }),
      { numRuns: 300, seed: 13 },
    );
  });

  it("keys an unsaved text by its hash and what it imports now", () => {
    const k = new LocalKeys('base', (rel) => `h:${rel}`, (rel) => (rel === 'a.ts' ? ['b.ts'] : []), () => true);
    const one = k.unsaved('a.ts', 'x', ['b.ts']);
    expect(k.unsaved('a.ts', 'x', ['b.ts'])).toBe(one);
    expect(k.unsaved('a.ts', 'y', ['b.ts'])).not.toBe(one);
    expect(k.unsaved('a.ts', 'x', [])).not.toBe(one);
    expect(k.unsaved('a.ts', 'x', ['b.ts'])).not.toBe(k.of('a.ts'));
  });
});
