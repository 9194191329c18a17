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
//
// Dependencies (only when `trackDependencies()` was called: an editor's analysis session,
// src/analysis/session.ts). Every fact, every memo that joins in (`TrackedMemo`) and every
// analysis scope the session opens is a node of a graph: an edge from each fact to each
// computation that read it (a cached read counts), and from each file to the computations
// that touched it (`touch`: the session's host calls it when a module resolution leads into a
// file, which is the only way from one file's nodes to another's). `invalidate(files)` evicts
// everything reachable from those files: exactly the facts whose computation read something of
// them, directly or through other facts; the rest stays, including the facts of unchanged
// files that import a changed one but never read what changed. The graph costs one edge per
// distinct read, so it is linear in the work done.

/** One kind of fact: how to compute it and what to assume while it is in progress. */
export interface FactKind<K, V> {
  readonly name: string;
  compute(key: K): V;
  /** The fail-closed value: assumed for a fact in progress, kept when it does not settle. */
  conservative(key: K, why: 'cycle' | 'depth' | 'diverged'): V;
  same(a: V, b: V): boolean;
}

/**
 * A computation as the dependency graph knows it: a fact (kind and key), a tracked memo's
 * entry, or an analysis scope (`onEvict` says what to forget when something it read changes).
 */
export class DepNode {
  /** The computations that read this one: evicted with it. */
  readers: DepNode[] | undefined;
  dead = false;
  constructor(
    readonly onEvict?: () => void,
    readonly kind?: FactKind<unknown, unknown>,
    readonly key?: unknown,
  ) {}
}

interface Frame {
  kind: FactKind<unknown, unknown>;
  node: DepNode | undefined;
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
  private readonly provisional = new Map<
    FactKind<unknown, unknown>,
    Map<unknown, { value: unknown; low: number; node: DepNode | undefined }>
  >();
  private tracking = false;
  /** The computations in progress that reads are recorded for (innermost last). */
  private readonly readerStack: DepNode[] = [];
  /** Each final fact's node (tracking only). */
  private readonly nodes = new Map<FactKind<unknown, unknown>, Map<unknown, DepNode>>();
  /** File (absolute path, or `*` for "the whole program") → the computations that touched it. */
  private readonly touched = new Map<string, DepNode[]>();
  /** Provisional entries in the order they were made, to drop or settle a head's round at once. */
  private readonly log: { kind: FactKind<unknown, unknown>; key: unknown }[] = [];
  private readonly stack: Frame[] = [];
  private readonly onStack = new Map<FactKind<unknown, unknown>, Map<unknown, number>>();

  constructor(readonly maxDepth = 400) {}

  /** Whether some fact is being computed (what is learnt now may be provisional). */
  get busy(): boolean {
    return this.stack.length > 0;
  }

  /** From now on, record who read what (see the top of this file); call before any fact is computed. */
  trackDependencies(): void {
    this.tracking = true;
  }

  get tracks(): boolean {
    return this.tracking;
  }

  /** A node for a computation outside the facts (a tracked memo's entry, an analysis scope). */
  newNode(onEvict?: () => void): DepNode | undefined {
    return this.tracking ? new DepNode(onEvict) : undefined;
  }

  /** Runs `fn` as the computation `node`: what it reads and touches is recorded against it. */
  within<T>(node: DepNode | undefined, fn: () => T): T {
    if (!node) return fn();
    this.readerStack.push(node);
    try {
      return fn();
    } finally {
      this.readerStack.pop();
    }
  }

  /** The computation in progress read `node` (a cached read counts). */
  readNode(node: DepNode | undefined): void {
    const reader = this.readerStack[this.readerStack.length - 1];
    if (!node || !reader || reader === node) return;
    const readers = (node.readers ??= []);
    if (readers[readers.length - 1] !== reader) readers.push(reader);
  }

  /** The computation in progress read something of this file (absolute path; `*`: of every file). */
  touch(file: string): void {
    if (!this.tracking) return;
    const reader = this.readerStack[this.readerStack.length - 1];
    if (!reader) return;
    let list = this.touched.get(file);
    if (!list) this.touched.set(file, (list = []));
    if (list[list.length - 1] !== reader) list.push(reader);
  }

  /**
   * Evicts every computation that read something of these files, directly or through others
   * (`*`'s readers always: they read the whole program). Called between analyses, never while
   * a fact is in progress.
   */
  invalidate(files: Iterable<string>): void {
    const queue: DepNode[] = [];
    for (const file of [...files, '*']) {
      const list = this.touched.get(file);
      if (!list) continue;
      for (const n of list) queue.push(n);
      this.touched.delete(file);
    }
    while (queue.length) {
      const n = queue.pop()!;
      if (n.dead) continue;
      n.dead = true;
      if (n.kind) {
        const byKey = this.nodes.get(n.kind);
        if (byKey?.get(n.key) === n) {
          byKey.delete(n.key);
          this.final.get(n.kind)?.delete(n.key);
        }
      }
      n.onEvict?.();
      if (n.readers) for (const r of n.readers) queue.push(r);
      n.readers = undefined;
    }
  }

  get<K, V>(kindArg: FactKind<K, V>, key: K): V {
    const kind = kindArg as FactKind<unknown, unknown>;
    const final = this.final.get(kind);
    if (final) {
      const done = final.get(key);
      if (done !== undefined || final.has(key)) {
        if (this.tracking) this.readNode(this.nodes.get(kind)?.get(key));
        return done as V;
      }
    }
    const at = this.onStack.get(kind)?.get(key);
    if (at !== undefined) {
      const frame = this.stack[at]!;
      this.readNode(frame.node);
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
      this.readNode(pending.node);
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
    const node = this.tracking ? new DepNode(undefined, kind, key) : undefined;
    const frame: Frame = { kind, key, node, assumed: undefined, hasAssumed: false, low: Infinity, read: false };
    this.stack.push(frame);
    if (node) this.readerStack.push(node);
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
      if (node) this.readerStack.pop();
      this.onStack.get(kind)!.delete(key);
    }
    if (frame.low < index) {
      // Depends on a fact still in progress further out: provisional until that head is done.
      for (let i = mark; i < this.log.length; i++) {
        const e = this.log[i]!;
        const p = this.provisional.get(e.kind)!.get(e.key)!;
        p.low = Math.min(p.low, frame.low);
      }
      mapOf(this.provisional, kind).set(key, { value, low: frame.low, node });
      this.log.push({ kind, key });
      this.lower(frame.low);
    } else {
      for (let i = mark; i < this.log.length; i++) {
        const e = this.log[i]!;
        const p = this.provisional.get(e.kind)!.get(e.key)!;
        this.provisional.get(e.kind)!.delete(e.key);
        mapOf(this.final, e.kind).set(e.key, p.value);
        if (p.node) mapOf(this.nodes, e.kind).set(e.key, p.node);
      }
      this.log.length = mark;
      mapOf(this.final, kind).set(key, value);
      if (node) mapOf(this.nodes, kind).set(key, node);
    }
    this.readNode(node);
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

/**
 * A memo kept outside the facts (a resolver's own map) that joins the dependency graph: each
 * entry is a node, so a cached answer read by a later computation links it to what the answer
 * was computed from, and an entry that read a changed file is evicted with the facts. Without
 * tracking it is a plain map.
 */
export class TrackedMemo<K, V> {
  private readonly map = new Map<K, { value: V; node: DepNode | undefined }>();

  constructor(private readonly facts: Facts) {}

  /** The remembered answer, if any (read by the computation in progress). */
  lookup(key: K): { value: V } | undefined {
    const hit = this.map.get(key);
    if (hit) this.facts.readNode(hit.node);
    return hit;
  }

  /** Computes, remembers and returns the answer; `placeholder` is what a read of it during its own computation gets. */
  compute(key: K, fn: () => V, placeholder?: { value: V }, keep?: () => boolean): V {
    if (placeholder) this.map.set(key, { value: placeholder.value, node: undefined });
    const node = this.facts.newNode(() => {
      if (this.map.get(key)?.node === node) this.map.delete(key);
    });
    const value = this.facts.within(node, fn);
    if (node?.dead || (keep && !keep())) {
      // Evicted while it ran (never: invalidation runs between analyses), or the caller says the
      // answer rests on more than the graph knows: do not remember it.
      this.map.delete(key);
      return value;
    }
    this.map.set(key, { value, node });
    this.facts.readNode(node);
    return value;
  }

  get(key: K, fn: () => V, placeholder?: { value: V }): V {
    const hit = this.lookup(key);
    return hit ? hit.value : this.compute(key, fn, placeholder);
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
