// Per-node facts computed once. Every recursive fact of the analysis (the handle an
// expression is, what a function returns, the SQL text a constant folds to, where a value
// comes from) goes through one `Facts` engine, so a chain of functions returning calls of
// other functions is walked once, not once per path through it.
//
// Cycles (mutual recursion, `const a = b; const b = a`) are cut by an in-progress marker:
// a fact read while it is still being computed yields its conservative value (fail closed),
// and everything computed from that assumption stays provisional until the cycle's head is
// done. The head is then recomputed with its own result as the assumption until it stops
// changing (a few rounds at most, else the conservative value): a fixed point, not a depth
// limit. Only heads iterate, and a head's facts are final once it settles, so the work per
// strongly connected group is a small constant times its size.
//
// Deep but acyclic chains (10,000 nested constants) would overflow the JS stack; past
// `maxDepth` facts in progress, a fact takes its conservative value with a reason instead.

/** One kind of fact: how to compute it and what to assume while it is in progress. */
export interface FactKind<K, V> {
  readonly name: string;
  compute(key: K): V;
  /** The fail-closed value: assumed for a fact in progress, kept when it does not settle. */
  conservative(key: K, why: 'cycle' | 'depth' | 'diverged'): V;
  same(a: V, b: V): boolean;
}

interface Frame {
  kind: FactKind<unknown, unknown>;
  key: unknown;
  /** What readers of the fact in progress get: its conservative value, made when first read (most facts never are). */
  assumed: unknown;
  hasAssumed: boolean;
  /** The lowest stack index of an in-progress fact this computation read (Infinity: none). */
  low: number;
  /** Whether a fact deeper on the stack read this one (a cycle through it). */
  read: boolean;
}

const MAX_ROUNDS = 4;

/** Thrown when the work budget the flow walker set runs out; it turns into an unresolved site. */
export class BudgetExceeded extends Error {
  constructor(readonly scope: 'function' | 'file') {
    super(`analysis budget exceeded (${scope})`);
  }
}

export class Facts {
  /** Facts computed (each once, plus settling rounds): a deterministic measure of the work. */
  computations = 0;
  /** Function bodies the flow walker interpreted. */
  bodies = 0;
  /** All steps of work (facts computed and nodes interpreted), which the budget bounds. */
  steps = 0;
  /** `steps` beyond which work stops with BudgetExceeded (set by the flow walker per function). */
  limit = Infinity;
  limitScope: 'function' | 'file' = 'function';
  private readonly final = new Map<FactKind<unknown, unknown>, Map<unknown, unknown>>();
  private readonly provisional = new Map<FactKind<unknown, unknown>, Map<unknown, { value: unknown; low: number }>>();
  /** Provisional entries in the order they were made, to drop or settle a head's round at once. */
  private readonly log: { kind: FactKind<unknown, unknown>; key: unknown }[] = [];
  private readonly stack: Frame[] = [];
  private readonly onStack = new Map<FactKind<unknown, unknown>, Map<unknown, number>>();

  constructor(readonly maxDepth = 400) {}

  /** Whether some fact is being computed (what is learnt now may be provisional). */
  get busy(): boolean {
    return this.stack.length > 0;
  }

  get<K, V>(kindArg: FactKind<K, V>, key: K): V {
    const kind = kindArg as FactKind<unknown, unknown>;
    const final = this.final.get(kind);
    if (final) {
      const done = final.get(key);
      if (done !== undefined || final.has(key)) return done as V;
    }
    const at = this.onStack.get(kind)?.get(key);
    if (at !== undefined) {
      const frame = this.stack[at]!;
      frame.read = true;
      this.lower(at);
      if (!frame.hasAssumed) {
        frame.assumed = kind.conservative(key, 'cycle');
        frame.hasAssumed = true;
      }
      return frame.assumed as V;
    }
    const pending = this.provisional.get(kind)?.get(key);
    if (pending) {
      this.lower(pending.low);
      return pending.value as V;
    }
    if (this.stack.length >= this.maxDepth) {
      // Too deep to follow on the JS stack: fail closed for this path (not remembered, the
      // caller's fact is, so a long chain costs its length once).
      return kind.conservative(key, 'depth') as V;
    }
    return this.evaluate(kind, key) as V;
  }

  private evaluate(kind: FactKind<unknown, unknown>, key: unknown): unknown {
    const index = this.stack.length;
    const frame: Frame = { kind, key, assumed: undefined, hasAssumed: false, low: Infinity, read: false };
    this.stack.push(frame);
    mapOf(this.onStack, kind).set(key, index);
    const mark = this.log.length;
    let value: unknown;
    try {
      for (let round = 0; ; round++) {
        frame.low = Infinity;
        frame.read = false;
        this.computations++;
        this.step();
        value = kind.compute(key);
        // Settled when nothing deeper read it, when it depends on a fact further out (that
        // head iterates instead), or when the assumption reproduced itself.
        if (!frame.read || frame.low < index || kind.same(value, frame.assumed)) break;
        if (round + 1 >= MAX_ROUNDS) {
          value = kind.conservative(key, 'diverged');
          break;
        }
        frame.assumed = value;
        frame.hasAssumed = true;
        this.dropSince(mark);
      }
    } catch (error) {
      // An error (the caller turns it into a diagnostic) leaves nothing half-settled behind.
      this.dropSince(mark);
      throw error;
    } finally {
      this.stack.pop();
      this.onStack.get(kind)!.delete(key);
    }
    if (frame.low < index) {
      // Depends on a fact still in progress further out: provisional until that head is done.
      for (let i = mark; i < this.log.length; i++) {
        const e = this.log[i]!;
        const p = this.provisional.get(e.kind)!.get(e.key)!;
        p.low = Math.min(p.low, frame.low);
      }
      mapOf(this.provisional, kind).set(key, { value, low: frame.low });
      this.log.push({ kind, key });
      this.lower(frame.low);
    } else {
      for (let i = mark; i < this.log.length; i++) {
        const e = this.log[i]!;
        const p = this.provisional.get(e.kind)!.get(e.key)!;
        this.provisional.get(e.kind)!.delete(e.key);
        mapOf(this.final, e.kind).set(e.key, p.value);
      }
      this.log.length = mark;
      mapOf(this.final, kind).set(key, value);
    }
    return value;
  }

  /** One unit of work; past the budget, stop. */
  step(): void {
    if (++this.steps > this.limit) throw new BudgetExceeded(this.limitScope);
  }

  /** The fact being computed read something in progress at stack index `low`. */
  private lower(low: number): void {
    const top = this.stack[this.stack.length - 1];
    if (top && low < top.low) top.low = low;
  }

  private dropSince(mark: number): void {
    for (let i = mark; i < this.log.length; i++) {
      const e = this.log[i]!;
      this.provisional.get(e.kind)!.delete(e.key);
    }
    this.log.length = mark;
  }
}

function mapOf<K, V>(outer: Map<K, Map<unknown, V>>, kind: K): Map<unknown, V> {
  let m = outer.get(kind);
  if (!m) outer.set(kind, (m = new Map()));
  return m;
}

/**
 * One object per tuple of parts (compared by identity), so a fact keyed by several things
 * (a function, a parameter, a table) can be memoised in the engine's maps.
 */
export class Interner {
  private readonly root = new Map<unknown, unknown>();
  private static readonly LEAF = Symbol('leaf');

  key(...parts: unknown[]): object {
    let map = this.root;
    for (const part of parts) {
      let next = map.get(part) as Map<unknown, unknown> | undefined;
      if (!next) map.set(part, (next = new Map()));
      map = next;
    }
    let leaf = map.get(Interner.LEAF) as object | undefined;
    if (!leaf) map.set(Interner.LEAF, (leaf = { parts }));
    return leaf;
  }
}
