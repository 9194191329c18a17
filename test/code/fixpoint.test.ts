import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { BudgetExceeded, Facts, type FactKind, Interner, TrackedMemo } from '../../src/code/fixpoint.js';

// The fact engine: each fact once, cycles settled, deep chains and errors survived.

/** A fact over integer keys whose value each key computes from others through `get`. */
function kindOf<V>(facts: Facts, compute: (k: number, get: (k: number) => V) => V, conservative: (k: number, why: 'cycle' | 'depth' | 'diverged') => V, same: (a: V, b: V) => boolean = Object.is): FactKind<number, V> {
  const kind: FactKind<number, V> = { name: 'test', compute: (k) => compute(k, (j) => facts.get(kind, j)), conservative, same };
  return kind;
}

describe('Facts', () => {
  it('computes each fact of a chain with two paths per link once (not 2^n times)', () => {
    const facts = new Facts();
    const n = 60;
    const kind = kindOf<number>(facts, (k, get) => (k === 0 ? 1 : Math.min(get(k - 1), get(k - 1)) + 1), () => -1);
    expect(facts.get(kind, n - 1)).toBe(n);
    expect(facts.computations).toBe(n);
    facts.get(kind, n - 1);
    expect(facts.computations).toBe(n);
  });

  it('settles a cycle from the head: the head re-runs with its own result until it holds, and the group is final', () => {
    const facts = new Facts();
    const own = [5, 3, 7];
    // The least own value around a → b → c → a: every member's answer is 3.
    const kind = kindOf<number>(facts, (k, get) => Math.min(own[k]!, get((k + 1) % 3)), () => Infinity);
    expect(facts.get(kind, 0)).toBe(3);
    const rounds = facts.computations;
    expect(rounds).toBe(6); // two rounds of three: the first assumes ∞ for a, the second 3, which holds
    expect([facts.get(kind, 1), facts.get(kind, 2)]).toEqual([3, 3]);
    expect(facts.computations).toBe(rounds);
  });

  it('gives the conservative value for a fact that never settles', () => {
    const facts = new Facts();
    const kind = kindOf<number>(facts, (k, get) => get(k) + 1, (_k, why) => (why === 'diverged' ? -99 : 0));
    expect(facts.get(kind, 0)).toBe(-99);
    expect(facts.computations).toBe(4);
  });

  it('follows a chain 10,000 long without overflowing the stack: past maxDepth the path is conservative, and each fact is computed once', () => {
    const facts = new Facts(300);
    const kind = kindOf<string>(facts, (k, get) => (k === 0 ? 'pool' : get(k - 1)), (_k, why) => `unknown (${why})`);
    expect(facts.get(kind, 9_999)).toBe('unknown (depth)');
    expect(facts.computations).toBeLessThanOrEqual(10_000);
    // Entered near the end, the chain still reaches its start.
    const fresh = new Facts(300);
    const again = kindOf<string>(fresh, (k, get) => (k === 0 ? 'pool' : get(k - 1)), (_k, why) => `unknown (${why})`);
    expect(fresh.get(again, 100)).toBe('pool');
  });

  it('leaves nothing half-settled when a computation throws (a budget running out), and stays usable', () => {
    const facts = new Facts();
    let fail = true;
    const kind = kindOf<number>(facts, (k, get) => {
      if (k === 0 && fail) throw new BudgetExceeded('function');
      return k === 0 ? 0 : get(k - 1) + 1;
    }, () => -1);
    expect(() => facts.get(kind, 3)).toThrow(BudgetExceeded);
    fail = false;
    expect(facts.get(kind, 3)).toBe(3);
  });

  it('keeps one table entry per fact: computing chains deletes no map entry', () => {
    // The in-progress marker was a map entry made and deleted per fact (a map emptied by a delete is reallocated).
    const facts = new Facts();
    const kind = kindOf<number>(facts, (k, get) => (k === 0 ? 0 : get(k - 1) + 1), () => -1);
    const other = kindOf<number>(facts, (k, get) => (k % 50 === 0 ? 0 : get(k - 1) + 1) + facts.get(kind, k), () => -1);
    const reference = (k: number): number => (k % 50 === 0 ? 0 : reference(k - 1) + 1) + k;
    const spy = vi.spyOn(Map.prototype, 'delete');
    let deletes: number;
    try {
      for (let k = 0; k < 1_000; k += 50) expect(facts.get(other, k + 49)).toBe(reference(k + 49));
    } finally {
      // Counted before the restore, which forgets the calls.
      deletes = spy.mock.calls.length;
      spy.mockRestore();
    }
    expect(deletes).toBe(0);
    expect(facts.computations).toBe(2_000);
  });

  it('stops with BudgetExceeded once its step limit is reached', () => {
    const facts = new Facts();
    facts.limit = 10;
    const kind = kindOf<number>(facts, (k, get) => (k === 0 ? 0 : get(k - 1) + 1), () => -1);
    expect(() => facts.get(kind, 50)).toThrow(BudgetExceeded);
  });

  it('interns tuples by identity', () => {
    const keys = new Interner();
    const a = {};
    expect(keys.key(a, 1, 'x')).toBe(keys.key(a, 1, 'x'));
    expect(keys.key(a, 1, 'x')).not.toBe(keys.key({}, 1, 'x'));
    expect(keys.key(a, 1)).not.toBe(keys.key(a, 1, 'x'));
  });

  // Reachability with an absorbing "unknown": a node that reaches a cycle is unknown, any
  // other gets the set of labels it reaches. The engine must give exactly that, whatever
  // order the facts are asked in (the walker and the ESLint plugin ask in different orders).
  it('agrees with a brute-force answer on random graphs, in any query order', () => {
    const graph = fc.integer({ min: 1, max: 14 }).chain((n) =>
      fc.record({
        n: fc.constant(n),
        edges: fc.array(fc.array(fc.integer({ min: 0, max: n - 1 }), { maxLength: 3 }), { minLength: n, maxLength: n }),
        order: fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }),
      }),
    );
    fc.assert(
      fc.property(graph, ({ n, edges, order }) => {
        const TOP = 'unknown';
        const facts = new Facts();
        const kind = kindOf<string>(facts, (k, get) => {
          const parts = new Set([`n${k}`]);
          for (const s of edges[k]!) {
            const v = get(s);
            if (v === TOP) return TOP;
            for (const x of v.split(',')) parts.add(x);
          }
          return [...parts].sort().join(',');
        }, () => TOP);
        const expected = (start: number): string => {
          const seen = new Set<number>();
          const onPath = new Set<number>();
          let cyclic = false;
          const dfs = (k: number): void => {
            if (onPath.has(k)) cyclic = true;
            if (seen.has(k)) return;
            seen.add(k);
            onPath.add(k);
            for (const s of edges[k]!) dfs(s);
            onPath.delete(k);
          };
          dfs(start);
          return cyclic ? TOP : [...seen].map((k) => `n${k}`).sort().join(',');
        };
        for (const k of order) expect(facts.get(kind, k)).toBe(expected(k));
        expect(facts.computations).toBeLessThanOrEqual(n * 4);
      }),
      { numRuns: 300 },
    );
  });
});

// Reads of the whole program (the plugin's analysis of one file: docs/eslint.md, "Decided alone"): a fact computed from a
// search over the program's files counts as such a read each time it is read, cached or not, at any depth.
describe('Facts.readProgram', () => {
  /** Fact k reads fact k - 1; fact 0 reads the whole program when `searches` says so; fact -1 reads nothing. */
  const chain = (facts: Facts, searches: boolean): FactKind<number, number> =>
    kindOf<number>(facts, (k, get) => {
      if (k === 0 && searches) facts.readProgram();
      return k <= 0 ? 0 : get(k - 1) + 1;
    }, () => -1);

  it('counts a read through every fact computed from it, and again at each cached read', () => {
    const facts = new Facts();
    facts.traceProgramReads();
    const kind = chain(facts, true);
    expect(facts.get(kind, 5)).toBe(5);
    expect(facts.programReads).toBe(1);
    // Cached: fact 3 was computed from the search, so reading it reads the program again.
    facts.get(kind, 3);
    expect(facts.programReads).toBe(2);
    // A fact computed from a cached one that was: the same.
    const other = kindOf<number>(facts, (k) => facts.get(kind, k) * 2, () => -1);
    facts.get(other, 4);
    expect(facts.programReads).toBe(3);
    facts.get(other, 4);
    expect(facts.programReads).toBe(4);
    // A fact that read none: nothing counted.
    facts.get(kind, -1);
    expect(facts.programReads).toBe(4);
  });

  it('counts nothing when not traced (the whole-program audit), nor for facts that read no search', () => {
    const untraced = new Facts();
    untraced.get(chain(untraced, true), 5);
    untraced.readProgram();
    expect(untraced.programReads).toBe(0);
    const traced = new Facts();
    traced.traceProgramReads();
    const kind = chain(traced, false);
    traced.get(kind, 5);
    traced.get(kind, 5);
    expect(traced.programReads).toBe(0);
  });

  it('a tracked memo whose answer read the program counts again at each lookup', () => {
    const facts = new Facts();
    facts.traceProgramReads();
    const memo = new TrackedMemo<string, number>(facts);
    expect(memo.get('searched', () => (facts.readProgram(), 1))).toBe(1);
    expect(memo.get('plain', () => 2)).toBe(2);
    expect(facts.programReads).toBe(1);
    memo.get('searched', () => 0);
    memo.get('plain', () => 0);
    expect(facts.programReads).toBe(2);
  });
});
