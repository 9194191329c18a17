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
// Reads of the whole program (only when `traceProgramReads()` was called: the ESLint plugin's analysis of one file).
// A search over the program's files (the NestJS providers, the tRPC context factories) finds in one file's analysis
// only what that file holds, and its absence there says nothing: `readProgram` counts each read of such a search, and
// marks the fact in progress, so that a fact computed from one (at any depth, cached or not) counts as a read again
// each time it is read. A verdict whose computation moved `programReads` needs the project (program.ts, flow.ts).
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
// distinct read, so it is linear in the work done. What is keyed by a parse's own nodes reads
// no other file, so nothing would evict it when an edit replaces the parse: each such fact and
// memo entry is listed under its key's parse (`ownerOf`, given by the session), and `forget`
// evicts them with that parse. An evicted node lets go of its key, kind and `onEvict`, and the
// lists that may still name it (readers, touched) drop dead nodes as they grow.

/** One kind of fact: how to compute it and what to assume while it is in progress. */
export interface FactKind<K, V> {
  readonly name: string;
  compute(key: K): V;
  /** The fail-closed value: assumed for a fact in progress, kept when it does not settle. */
  conservative(key: K, why: 'cycle' | 'depth' | 'diverged'): V;
  same(a: V, b: V): boolean;
  /**
   * Facts kept only while the computation that asks for them runs (the settling's, program.ts): no node in the
   * dependency graph, and the asker drops the kind's table when done (`dropKind`).
   */
  readonly transient?: boolean;
}

/**
 * A computation as the dependency graph knows it: a fact (kind and key), a tracked memo's
 * entry, or an analysis scope (`onEvict` says what to forget when something it read changes).
 */
export class DepNode {
  /** The computations that read this one: evicted with it. */
  readers: DepNode[] | undefined;
  dead = false;
  /** Let go of when evicted (a dead node may stay in a live one's `readers` until they are compacted). */
  constructor(
    public onEvict?: () => void,
    public kind?: FactKind<unknown, unknown>,
    public key?: unknown,
  ) {}
}

/**
 * A fact in progress. It is its key's entry in the kind's table while it runs (one entry per key, whatever its state),
 * and the object is reused by the next fact computed at its stack depth.
 */
class Frame {
  constructor(readonly index: number) {}
  kind: FactKind<unknown, unknown> = undefined as never;
  node: DepNode | undefined = undefined;
  key: unknown = undefined;
  /** What readers of the fact in progress get: its conservative value, made when first read (most facts never are). */
  assumed: unknown = undefined;
  hasAssumed = false;
  /** The lowest stack index of an in-progress fact this computation read (Infinity: none). */
  low = Infinity;
  /** Whether a fact deeper on the stack read this one (a cycle through it). */
  read = false;
  /** Whether this computation read a search over the program's files (`readProgram`), directly or through a fact. */
  program = false;
}

/** A fact computed on an assumption still in progress at stack index `low`: its key's entry until that head settles. */
class Provisional {
  constructor(
    readonly value: unknown,
    public low: number,
    readonly node: DepNode | undefined,
  ) {}
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
  /**
   * Per kind, one entry per key: the final value, or the Frame of the fact in progress, or a Provisional value (one
   * map read per fact asked for, and no entry made and deleted per fact computed: a map emptied by a delete is
   * reallocated smaller, which was a sixtieth of an audit's garbage).
   */
  private readonly tables = new Map<FactKind<unknown, unknown>, Map<unknown, unknown>>();
  private tracking = false;
  /** The computations in progress that reads are recorded for (innermost last). */
  private readonly readerStack: DepNode[] = [];
  /** Each final fact's node (tracking only). */
  private readonly nodes = new Map<FactKind<unknown, unknown>, Map<unknown, DepNode>>();
  /** File (absolute path, or `*` for "the whole program") → the computations that touched it. */
  private readonly touched = new Map<string, DepNode[]>();
  /**
   * Tracking only: the parse a key's nodes are in (`trackDependencies`), and per parse the computations keyed by its
   * nodes, which `forget` evicts when the parse is replaced (nothing else would: they read no other file).
   */
  private ownerOf: ((key: unknown) => object | undefined) | undefined;
  private readonly owned = new WeakMap<object, DepNode[]>();
  /** Provisional entries in the order they were made, to drop or settle a head's round at once. */
  private readonly log: { kind: FactKind<unknown, unknown>; key: unknown }[] = [];
  /** Frames by stack depth, reused: `depth` of them are in progress. */
  private readonly frames: Frame[] = [];
  private depth = 0;
  /** Reads of the whole program so far (`readProgram`), when traced: a computation that moved it read one. */
  programReads = 0;
  /** Traced only: per kind, the facts computed from a read of the whole program (each read of them is one too). */
  private programFacts: Map<FactKind<unknown, unknown>, Set<unknown>> | undefined;

  constructor(readonly maxDepth = 400) {}

  /** How many facts the engine holds (tests: an editor's session holds as many after an edit as before it). */
  get size(): number {
    let n = 0;
    for (const table of this.tables.values()) n += table.size;
    return n;
  }

  /** Whether some fact is being computed (what is learnt now may be provisional). */
  get busy(): boolean {
    return this.depth > 0;
  }

  /**
   * From now on, record who read what (see the top of this file); call before any fact is computed. `ownerOf` says
   * which parse a key belongs to (for an interned tuple, each of its parts is asked): see `forget`.
   */
  trackDependencies(ownerOf?: (key: unknown) => object | undefined): void {
    this.tracking = true;
    this.ownerOf = ownerOf;
  }

  get tracks(): boolean {
    return this.tracking;
  }

  /** A node for a computation outside the facts (a tracked memo's entry, an analysis scope), under `key`'s parse. */
  newNode(onEvict?: () => void, key?: unknown): DepNode | undefined {
    if (!this.tracking) return undefined;
    const node = new DepNode(onEvict);
    if (key !== undefined) this.own(key, node);
    return node;
  }

  /** Lists `node` under the parse(s) of its key's nodes (tracking only). */
  private own(key: unknown, node: DepNode): void {
    const ownerOf = this.ownerOf;
    if (!ownerOf) return;
    if (key instanceof Interned) {
      let last: object | undefined;
      for (const part of key.parts) {
        const owner = ownerOf(part);
        if (owner && owner !== last) this.listUnder((last = owner), node);
      }
      return;
    }
    const owner = ownerOf(key);
    if (owner) this.listUnder(owner, node);
  }

  private listUnder(owner: object, node: DepNode): void {
    const list = this.owned.get(owner);
    if (list) list.push(node);
    else this.owned.set(owner, [node]);
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
    if (readers[readers.length - 1] === reader) return;
    // A fact read by the computations of every edit (a helper every route calls) collects their nodes, dead once
    // their parse is replaced: dropped when the list reaches a power of two (amortised, once per doubling).
    if (readers.length >= 32 && (readers.length & (readers.length - 1)) === 0) compactLive(readers);
    readers.push(reader);
  }

  /** From now on, count the reads of the whole program (`readProgram`) and what is computed from them. */
  traceProgramReads(): void {
    this.programFacts ??= new Map();
  }

  /**
   * The computation in progress read a search over the program's files (every file's providers, the functions handed
   * to an adapter anywhere): counted, and the facts in progress are marked, when traced (see the top of this file).
   */
  readProgram(): void {
    if (!this.programFacts) return;
    this.programReads++;
    if (this.depth > 0) this.frames[this.depth - 1]!.program = true;
  }

  /** The computation in progress read something of this file (absolute path; `*`: of every file). */
  touch(file: string): void {
    if (file === '*') this.readProgram();
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
    this.evict(queue);
  }

  /**
   * Evicts every computation keyed by a node of these parses (replaced by an edit: no later analysis asks about
   * their nodes), and what read them, as `invalidate` does. Without it they stay, and hold the old parse.
   */
  forget(parses: Iterable<object>): void {
    const queue: DepNode[] = [];
    for (const sf of parses) {
      const list = this.owned.get(sf);
      if (!list) continue;
      for (const n of list) queue.push(n);
      this.owned.delete(sf);
    }
    if (!this.evict(queue)) return;
    // The files' lists of who touched them keep no dead node (it would hold its key, and so its parse, no longer).
    for (const list of this.touched.values()) compactLive(list);
  }

  /** Evicts one computation (and what read it): one replaced by its own recomputation, which nothing else evicts. */
  discard(node: DepNode | undefined): void {
    if (node) this.evict([node]);
  }

  /** Drops a transient kind's facts (`FactKind.transient`) once their asker is done. */
  dropKind(kind: FactKind<unknown, unknown>): void {
    this.tables.delete(kind);
    this.nodes.delete(kind);
    this.programFacts?.delete(kind);
  }

  /** Evicts these computations and their readers, transitively; how many died. */
  private evict(queue: DepNode[]): number {
    let died = 0;
    while (queue.length) {
      const n = queue.pop()!;
      if (n.dead) continue;
      n.dead = true;
      died++;
      if (n.kind) {
        const byKey = this.nodes.get(n.kind);
        if (byKey?.get(n.key) === n) {
          byKey.delete(n.key);
          this.tables.get(n.kind)?.delete(n.key);
        }
      }
      const onEvict = n.onEvict;
      n.onEvict = n.kind = n.key = undefined;
      onEvict?.();
      if (n.readers) for (const r of n.readers) queue.push(r);
      n.readers = undefined;
    }
    return died;
  }

  get<K, V>(kindArg: FactKind<K, V>, key: K): V {
    const kind = kindArg as FactKind<unknown, unknown>;
    const table = this.tables.get(kind);
    const entry = table?.get(key);
    if (entry !== undefined || table?.has(key)) {
      if (entry instanceof Frame) {
        // In progress: a cycle through it.
        this.readNode(entry.node);
        entry.read = true;
        this.lower(entry.index);
        if (!entry.hasAssumed) {
          entry.assumed = kind.conservative(key, 'cycle');
          entry.hasAssumed = true;
        }
        return entry.assumed as V;
      }
      if (this.programFacts?.get(kind)?.has(key)) this.readProgram();
      if (entry instanceof Provisional) {
        this.readNode(entry.node);
        this.lower(entry.low);
        return entry.value as V;
      }
      if (this.tracking) this.readNode(this.nodes.get(kind)?.get(key));
      return entry as V;
    }
    if (this.depth >= this.maxDepth) {
      // Too deep to follow on the JS stack: fail closed for this path (not remembered, the
      // caller's fact is, so a long chain costs its length once).
      return kind.conservative(key, 'depth') as V;
    }
    return this.evaluate(kind, table ?? mapOf(this.tables, kind), key) as V;
  }

  private evaluate(kind: FactKind<unknown, unknown>, table: Map<unknown, unknown>, key: unknown): unknown {
    const index = this.depth;
    let node: DepNode | undefined;
    if (this.tracking && !kind.transient) this.own(key, (node = new DepNode(undefined, kind, key)));
    const frame = (this.frames[index] ??= new Frame(index));
    frame.kind = kind;
    frame.key = key;
    frame.node = node;
    frame.assumed = undefined;
    frame.hasAssumed = false;
    frame.program = false;
    this.depth++;
    if (node) this.readerStack.push(node);
    table.set(key, frame);
    const mark = this.log.length;
    let value: unknown;
    let low: number;
    let program = false;
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
      table.delete(key);
      throw error;
    } finally {
      low = frame.low;
      program = frame.program;
      frame.kind = undefined as never;
      frame.key = frame.assumed = frame.node = undefined;
      this.depth--;
      if (node) this.readerStack.pop();
    }
    if (low < index) {
      // Depends on a fact still in progress further out: provisional until that head is done.
      for (let i = mark; i < this.log.length; i++) {
        const e = this.log[i]!;
        const p = this.tables.get(e.kind)!.get(e.key) as Provisional;
        p.low = Math.min(p.low, low);
      }
      table.set(key, new Provisional(value, low, node));
      this.log.push({ kind, key });
      this.lower(low);
    } else {
      for (let i = mark; i < this.log.length; i++) {
        const e = this.log[i]!;
        const t = this.tables.get(e.kind)!;
        const p = t.get(e.key) as Provisional;
        t.set(e.key, p.value);
        if (p.node) mapOf(this.nodes, e.kind).set(e.key, p.node);
      }
      this.log.length = mark;
      table.set(key, value);
      if (node) mapOf(this.nodes, kind).set(key, node);
    }
    if (program) {
      // Computed from a read of the whole program: so is every fact that reads it (see readProgram).
      const marked = this.programFacts!.get(kind);
      if (marked) marked.add(key);
      else this.programFacts!.set(kind, new Set([key]));
      if (index > 0) this.frames[index - 1]!.program = true;
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
    const top = this.depth > 0 ? this.frames[this.depth - 1]! : undefined;
    if (top && low < top.low) top.low = low;
  }

  private dropSince(mark: number): void {
    for (let i = mark; i < this.log.length; i++) {
      const e = this.log[i]!;
      this.tables.get(e.kind)!.delete(e.key);
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
  /** `program`: the answer was computed from a read of the whole program (Facts.readProgram), as each read of it is. */
  private readonly map = new Map<K, { value: V; node: DepNode | undefined; program?: true }>();

  constructor(private readonly facts: Facts) {}

  /** The remembered answer, if any (read by the computation in progress). */
  lookup(key: K): { value: V } | undefined {
    const hit = this.map.get(key);
    if (hit) this.facts.readNode(hit.node);
    if (hit?.program) this.facts.readProgram();
    return hit;
  }

  /** Computes, remembers and returns the answer; `placeholder` is what a read of it during its own computation gets. */
  compute(key: K, fn: () => V, placeholder?: { value: V }, keep?: () => boolean): V {
    if (placeholder) this.map.set(key, { value: placeholder.value, node: undefined });
    const node = this.facts.newNode(() => {
      if (this.map.get(key)?.node === node) this.map.delete(key);
    }, key);
    const reads = this.facts.programReads;
    const value = this.facts.within(node, fn);
    if (node?.dead || (keep && !keep())) {
      // Evicted while it ran (never: invalidation runs between analyses), or the caller says the
      // answer rests on more than the graph knows: do not remember it.
      this.map.delete(key);
      return value;
    }
    this.map.set(key, this.facts.programReads === reads ? { value, node } : { value, node, program: true });
    this.facts.readNode(node);
    return value;
  }

  get(key: K, fn: () => V, placeholder?: { value: V }): V {
    const hit = this.lookup(key);
    return hit ? hit.value : this.compute(key, fn, placeholder);
  }
}

/**
 * An `onEvict` that marks `target` dead and holds nothing else: an arrow made in a method holds the method's whole
 * scope (its `this`, and what its other closures read), and a node lives as long as what it read is unchanged.
 */
export function markDead(target: { dead: boolean }): () => void {
  return () => {
    target.dead = true;
  };
}

/** Removes the dead nodes of a list, in place. */
function compactLive(list: DepNode[]): void {
  let kept = 0;
  for (const n of list) if (!n.dead) list[kept++] = n;
  list.length = kept;
}

function mapOf<K, V>(outer: Map<K, Map<unknown, V>>, kind: K): Map<unknown, V> {
  let m = outer.get(kind);
  if (!m) outer.set(kind, (m = new Map()));
  return m;
}

/** An interned tuple (`Interner`): the engine lists a fact keyed by one under the parse of each of its parts. */
export class Interned {
  constructor(readonly parts: readonly unknown[]) {}
}

/** One level of an Interner's tree: the tuples that go on with each next part. */
class Level {
  byValue: Map<unknown, Level> | undefined;
  byObject: WeakMap<object, Level> | undefined;
  leaf: Interned | undefined;
}

/**
 * One object per tuple of parts (compared by identity), so a fact keyed by several things
 * (a function, a parameter, a table) can be memoised in the engine's maps. A `weak` interner
 * (one kept between an editor's lints) holds its tuples only while their object parts live: a
 * tuple of a replaced parse's nodes goes with them.
 */
export class Interner {
  private readonly root = new Level();

  constructor(private readonly weak = false) {}

  key(...parts: unknown[]): Interned {
    let level = this.root;
    for (const part of parts) {
      const held = this.weak && ((typeof part === 'object' && part !== null) || typeof part === 'function');
      let next = held ? level.byObject?.get(part as object) : level.byValue?.get(part);
      if (!next) {
        next = new Level();
        if (held) (level.byObject ??= new WeakMap()).set(part as object, next);
        else (level.byValue ??= new Map()).set(part, next);
      }
      level = next;
    }
    return (level.leaf ??= new Interned(parts));
  }
}
