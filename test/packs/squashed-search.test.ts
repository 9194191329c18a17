import fc from 'fast-check';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadPacks, type PackSet } from '../../src/packs/load.js';
import { PackMatcher } from '../../src/packs/matcher.js';
import { SquashedSearch } from '../../src/packs/squashed-search.js';
import type { ActiveEntry, EntryKind, EntryStatus } from '../../src/packs/types.js';

// The pack matcher's pre-check walks each file's text once against an automaton of the needles, instead of building
// the text's squashed copy (letters and digits, upper case) and searching that. It must answer exactly what the copy
// answered, for every text and every pack set, and it must not copy the text.

/**
 * The pre-check as it was before squash28, verbatim but for being a function of the set and for one deliberate change:
 * a name of no letter or digit (squashed to '') names nothing, where the old search had it occur in every text unless
 * it was the only name. The oracle.
 */
function oldMayOccurIn(set: PackSet, text: string): boolean {
  const squash = (name: string): string => name.replace(/[^A-Za-z0-9]+/g, '').toUpperCase();
  const needles = [
    ...new Map(
      set.entries
        .filter((e) => e.status !== 'retained')
        .flatMap((e) => {
          const env = e.kind === 'env' ? [e.requires, e.unless?.name] : [];
          const names = [e.name, ...env].filter((n): n is string => !!n).map(squash).filter((n) => n !== '');
          const source = e.kind === 'field' ? (e.objectPattern ?? '.') : undefined;
          return names.map((n) => [`${n}\0${source ?? ''}`, { name: n, source }] as const);
        }),
    ).values(),
  ].map(({ name, source }) => ({ name, pattern: source === undefined ? undefined : new RegExp(source, 'i') }));
  const anyNeedle = new RegExp(
    [...new Set(needles.map((n) => n.name))].map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|') || '(?!)',
  );
  const squashed = squash(text);
  if (!anyNeedle.test(squashed)) return false;
  return needles.some((n) => squashed.includes(n.name) && (!n.pattern || n.pattern.test(text)));
}

// Few letters, so that names overlap and share prefixes and suffixes (the automaton's failure links); both cases,
// separators, and characters outside ASCII whose case mappings reach ASCII (ſ → S, K → k, ß → SS, İ → i̇, ı → I).
const LETTERS = ['A', 'B', 'C', 'a', 'b', 'c', '1', '0'];
const OTHERS = ['_', '-', ' ', '.', '\n', 'ſ', '\u212a', 'ß', '\u0130', 'ı', 'é', '😀', '\0'];
const piece = fc.constantFrom(...LETTERS, ...LETTERS, ...OTHERS);
const text = fc.array(piece, { maxLength: 60 }).map((xs) => xs.join(''));
const name = fc.array(piece, { maxLength: 6 }).map((xs) => xs.join(''));
const kind = fc.constantFrom<EntryKind>('api', 'env', 'header', 'client', 'field');
const status = fc.constantFrom<EntryStatus>('removed', 'deprecated', 'renamed', 'requires', 'retained');
const pattern = fc.option(fc.constantFrom('a', 'B.*c', '^a', '1$', '.', 'ß', 'x'), { nil: undefined });
const entry = fc
  .record({
    name,
    kind,
    status,
    requires: fc.option(name, { nil: undefined }),
    unless: fc.option(name, { nil: undefined }),
    objectPattern: pattern,
  })
  .map(
    ({ unless, ...e }): ActiveEntry => ({
      ...e,
      ...(unless === undefined ? {} : { unless: { name: unless, values: [] } }),
      version: '1',
      reason: 'r',
      source: 's',
      pack: 'p',
      platform: 'x',
    }),
  );
const set = fc.array(entry, { maxLength: 8 }).map((entries): PackSet => ({ packs: [], entries, userFiles: [] }));

describe('pack matcher pre-check without the squashed copy', () => {
  afterEach(() => vi.restoreAllMocks());

  it('answers as the squashed copy did, for any pack set and text (the old pre-check as the oracle)', () => {
    let yes = 0;
    let no = 0;
    fc.assert(
      fc.property(set, fc.array(text, { minLength: 1, maxLength: 4 }), (s, texts) => {
        // One matcher for several texts: the automaton's per-scan state must not leak from one text to the next.
        const m = new PackMatcher(s);
        for (const t of texts) {
          const expected = oldMayOccurIn(s, t);
          if (expected) yes++;
          else no++;
          expect(m.mayOccurIn(t), JSON.stringify(t)).toBe(expected);
        }
      }),
      { numRuns: 3000 },
    );
    // Both answers are exercised, not one of them only.
    expect(yes).toBeGreaterThan(500);
    expect(no).toBeGreaterThan(500);
  });

  it('answers as the squashed copy did for the built-in packs, on texts that spell their names loosely', () => {
    const packs = loadPacks(path.resolve('.'));
    const m = new PackMatcher(packs);
    const names = packs.entries.flatMap((e) => [e.name, e.requires, e.unless?.name].filter((n) => n !== undefined));
    const loosely = fc
      .tuple(fc.constantFrom(...names), fc.constantFrom('-', '.', ' ', '', '__'), fc.boolean())
      .map(([n, sep, lower]) => (lower ? n.toLowerCase() : n).split('_').join(sep));
    let hits = 0;
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ maxLength: 12 }), loosely), { maxLength: 5 }), (parts) => {
        const t = parts.join(' ');
        const expected = oldMayOccurIn(packs, t);
        if (expected) hits++;
        expect(m.mayOccurIn(t)).toBe(expected);
      }),
      { numRuns: 1000 },
    );
    expect(hits).toBeGreaterThan(300);
  });

  it('copies no text: no replace, case mapping, split or slice is called on the file text', () => {
    const packs = loadPacks(path.resolve('.'));
    const m = new PackMatcher(packs);
    m.mayOccurIn('warm up');
    const file = `import { x } from 'y';\n${'const a = b + c; // nothing a pack names\n'.repeat(50)}`;
    const named = `${file}process.env.${packs.entries.find((e) => e.kind === 'env')!.name.toLowerCase()};\n`;
    const methods = ['replace', 'replaceAll', 'toUpperCase', 'toLowerCase', 'split', 'slice', 'substring'] as const;
    const spies = methods.map((k) => vi.spyOn(String.prototype, k));
    expect(m.mayOccurIn(file)).toBe(false);
    expect(m.mayOccurIn(named)).toBe(true);
    const onText = spies.flatMap((spy, i) =>
      spy.mock.contexts.filter((c) => [file, named].includes(String(c))).map(() => methods[i]),
    );
    expect(onText).toEqual([]);
  });
});

describe('squashed search', () => {
  it('reports each name once per text, the empty name in every text, and names that cannot occur never', () => {
    const search = new SquashedSearch(['AB', 'B', 'ABC', '', 'ab', 'A_B']);
    const seen: number[] = [];
    const all = (n: number): boolean => (seen.push(n), false);
    expect(search.scan('a-b c, ab abc', all)).toBe(false);
    expect(seen.sort()).toEqual([0, 1, 2, 3]);
    seen.length = 0;
    expect(search.scan('', all)).toBe(false);
    expect(seen).toEqual([3]);
    // Stops at the first name accepted.
    seen.length = 0;
    expect(search.scan('xAbx', (n) => (seen.push(n), n === 0))).toBe(true);
    expect(seen).toEqual([3, 0]);
  });
});
