import type ts from '../ts.js';
import { type DepNode, type Facts, markDead } from '../code/fixpoint.js';
import type { OriginResolver } from '../code/origins.js';
import type { CallbackUse, CallEdge, FileFacts } from './facts.js';
import { type FunctionType, typedEdgesOf, TypedFunctions } from './function-types.js';
import { keptPlaces, moveParts, renumber } from './file-slots.js';
import { escapedOutsideTests } from './providers/helper-values.js';
import { valueLinkWork } from './value-links.js';

// The program's call graph as resolveVerdicts reads it (program.ts): each function's callers, the
// callbacks each helper is handed, the functions that escape as values, and (whole program) the
// edges of calls through function values and through values declared with a function type.
//
// One implementation for both front ends. On the command line (no dependency tracking) the index is
// built from scratch: one update from empty, every file's part new. In an editor's analysis session
// (the engine tracks dependencies) the session concludes after every edit, and only the edited
// file's facts (and those of the files whose analysis read it) are new objects: the index is kept
// here between analyses and updated for the files whose facts changed, the rest of it untouched.
// What makes that provably the index a fresh build gives:
//
// - Each file's part (a slot) is keyed on the identities of the facts it was built from (its parse,
//   its edges, callback uses, escaped functions and value calls): a file analysed again has new
//   ones, so its part is built again; the part of an unchanged file is the same by construction.
// - A list of the index is the concatenation of the files' parts in the program's order, in three
//   layers (direct edges, then value edges, then typed edges); a list a changed part touches is
//   concatenated again from the parts, never patched in place. `escaped` and `dispatched` are
//   unions of the parts', kept by count.
// - A file's value edges (helper-values.ts, through the denoted memo of program.ts) read the
//   direct callers of some functions and facts of the engine. They are computed as one tracked
//   computation per file (evicted when a fact it read is), and done again when one of the
//   functions whose callers they asked for is a callee of a changed part.
// - A file's typed edges read the program's functions by declared type (`typed`, function-types.ts,
//   itself kept per file: a file's functions are read again when its parse is new or a fact the
//   reading rested on was evicted) and the engine's facts: done again when that map's content
//   changes (its generation moves), when the file's value edges are (the typed edges of a call
//   already linked by value are left out), or when a fact it read is evicted. A map that changed only in
//   types none of the file's calls looked up leaves them as they are (`changedSince`).
// - Another file list keeps the parts of the files in both (`realign`); another root builds the index afresh.
//
// test/analysis/session.test.ts holds a kept index to one built from scratch after every edit of
// scripted and random sequences, edge by edge and verdict by verdict.

type Fn = ts.FunctionLikeDeclaration;

/** What program.ts settles verdicts over: see the top of this file. */
export interface CallerIndex {
  callers: Map<Fn, CallEdge[]>;
  uses: Map<Fn, CallbackUse[]>;
  escaped: Set<Fn>;
  /** Escaped functions declared with a function type whose calls were all linked (function-types.ts): whole program. */
  dispatched?: Set<Fn>;
}

/** A value call denoted (program.ts `valueCallsMemo`): the functions its callee can be, and whose callers that read. */
export type DenoteCall = (call: ts.CallExpression) => { fns: Fn[]; asked: Iterable<Fn> };

interface Slot {
  sf: ts.SourceFile;
  edges: readonly CallEdge[];
  callbackUses: readonly CallbackUse[];
  escapedFunctions: ReadonlySet<Fn>;
  valueCalls: FileFacts['valueCalls'];
  /** What its value calls are linked by (value-links.ts): made with `valueCalls`, by the same flow. */
  calleeLinks: FileFacts['calleeLinks'];
  escapes: FileFacts['escapes'];
  direct: Map<Fn, CallEdge[]>;
  uses: Map<Fn, CallbackUse[]>;
  escaped: Fn[];
  /** Where the file passes its escaped functions around as values (`escapedOutsideTests`'s), by function. */
  escapesOf: Map<Fn, ts.Identifier[]>;
  /** Whole program: the file's value edges, the functions whose callers they read, whether a fact read was evicted. */
  value?: { by: Map<Fn, CallEdge[]>; asked: Set<Fn>; dead: boolean; node?: DepNode | undefined };
  /** Whole program: the file's typed edges (those not linked by value), the functions they reach, the map they read. */
  typed?: {
    by: Map<Fn, CallEdge[]>;
    dispatched: Fn[];
    generation: number;
    dead: boolean;
    node?: DepNode | undefined;
    /** The declared types its value calls were looked up by (undefined: it depends on every type). */
    types?: ReadonlySet<FunctionType> | undefined;
  };
}

/** How the last update went (tests and the bench read it). */
export interface IndexUpdate {
  /** Built afresh (first analysis, another file list). */
  fresh: boolean;
  /** Files whose parts were built again: their facts changed. */
  files: number;
  /** Of the unchanged files, those whose value or typed edges were computed again. */
  relinked: number;
}

export class KeptCallerIndex implements CallerIndex {
  readonly callers = new Map<Fn, CallEdge[]>();
  readonly uses = new Map<Fn, CallbackUse[]>();
  readonly escaped = new Set<Fn>();
  dispatched: Set<Fn> | undefined;
  /** The direct edges only (what value edges are found over, and what ambient/reach.ts and the entry points follow). */
  readonly direct = new Map<Fn, CallEdge[]>();
  /** Each escaped function's uses as a value (identifiers), in the program's order (ambient/reach.ts). */
  readonly escapesOf = new Map<Fn, ts.Identifier[]>();
  private slots: Slot[] = [];
  /** Per function, the slots with a part in each layer (direct, value, typed) and of the callback uses. */
  private readonly byDirect = new Map<Fn, Set<number>>();
  private readonly byValue = new Map<Fn, Set<number>>();
  private readonly byTyped = new Map<Fn, Set<number>>();
  private readonly byUses = new Map<Fn, Set<number>>();
  private readonly byEscapes = new Map<Fn, Set<number>>();
  private readonly escapedCount = new Map<Fn, number>();
  private readonly dispatchedCount = new Map<Fn, number>();
  /** The program's functions by declared type (function-types.ts), kept per file like the slots here. */
  readonly typed: TypedFunctions;
  /** The facts of the last update (tests build an index afresh from them to compare). */
  files: readonly FileFacts[] = [];
  last: IndexUpdate = { fresh: true, files: 0, relinked: 0 };

  constructor(
    private readonly facts: Facts,
    readonly origins: OriginResolver,
    readonly root: string,
    readonly wholeProgram: boolean,
  ) {
    if (wholeProgram) this.dispatched = new Set();
    this.typed = new TypedFunctions(origins);
  }

  /**
   * Brings the index to these files' facts, `denote` finding a value call's functions over `this.direct`. An update
   * cut short by an exception (a budget, a stack overflow) leaves the index empty: the next one builds it afresh.
   */
  update(files: readonly FileFacts[], denote: DenoteCall): void {
    try {
      this.apply(files, denote);
    } catch (error) {
      this.clear();
      throw error;
    }
  }

  private apply(files: readonly FileFacts[], denote: DenoteCall): void {
    const touchedDirect = new Set<Fn>();
    const touchedUses = new Set<Fn>();
    const touchedEscapes = new Set<Fn>();
    /** The callees whose final list (direct, value and typed edges) is concatenated again. */
    const touched = new Set<Fn>();
    const moved =
      files.length !== this.slots.length || files.some((f, i) => f.sf.fileName !== this.slots[i]!.sf.fileName);
    const fresh = moved && !this.realign(files, touchedDirect, touchedUses, touchedEscapes, touched);
    if (fresh) this.clear();
    const changed: number[] = [];
    files.forEach((f, i) => {
      const s = this.slots[i];
      if (
        !s ||
        s.sf !== f.sf ||
        s.edges !== f.edges ||
        s.callbackUses !== f.callbackUses ||
        s.escapedFunctions !== f.escapedFunctions ||
        s.valueCalls !== f.valueCalls ||
        s.escapes !== f.escapes
      )
        changed.push(i);
    });
    for (const i of changed) {
      const old = this.slots[i];
      const f = files[i]!;
      if (old) {
        this.leave(old, i, touchedDirect, touchedUses, touchedEscapes);
        this.leaveLinked(old, i, touched);
      }
      const escaped = [...escapedOutsideTests(f, this.root)];
      const kept = new Set(escaped);
      const slot: Slot = {
        sf: f.sf,
        edges: f.edges,
        callbackUses: f.callbackUses,
        escapedFunctions: f.escapedFunctions,
        valueCalls: f.valueCalls,
        calleeLinks: f.calleeLinks,
        escapes: f.escapes,
        direct: groupBy(f.edges, (e) => e.callee),
        uses: groupBy(f.callbackUses, (u) => u.fn),
        escaped,
        escapesOf: new Map([...(f.escapes ?? [])].filter(([fn]) => kept.has(fn))),
      };
      this.slots[i] = slot;
      for (const fn of slot.direct.keys()) (touchedDirect.add(fn), enter(this.byDirect, fn, i));
      for (const fn of slot.uses.keys()) (touchedUses.add(fn), enter(this.byUses, fn, i));
      for (const fn of slot.escapesOf.keys()) (touchedEscapes.add(fn), enter(this.byEscapes, fn, i));
      for (const fn of slot.escaped) count(this.escapedCount, this.escaped, fn, 1);
    }
    for (const fn of touchedDirect) this.concat(this.direct, fn, [this.byDirect], (s) => [s.direct]);
    for (const fn of touchedUses) this.concat(this.uses, fn, [this.byUses], (s) => [s.uses]);
    for (const fn of touchedEscapes) this.concat(this.escapesOf, fn, [this.byEscapes], (s) => [s.escapesOf]);
    for (const fn of touchedDirect) touched.add(fn);
    let relinked = 0;
    if (this.wholeProgram) {
      // Only a value call has typed edges: without any, the map is not needed (nor read; it is brought up to date, and
      // its generation moved if it changed, before the first file with one is linked).
      if (files.some((f) => f.valueCalls?.length)) this.typed.update(files);
      const generation = this.typed.generation;
      const changedSet = new Set(changed);
      // Value edges first, then typed edges (which leave out what a file's value edges link): the layers' order.
      const typed: number[] = [];
      this.slots.forEach((slot, i) => {
        const value =
          !slot.value || slot.value.dead || [...slot.value.asked].some((fn) => touchedDirect.has(fn));
        if (!(value || !slot.typed || slot.typed.dead || !this.typedCurrent(slot.typed, generation))) return;
        if (!changedSet.has(i)) relinked++;
        if (value) this.relinkValue(slot, i, denote, touched);
        typed.push(i);
      });
      for (const i of typed) this.relinkTyped(this.slots[i]!, i, touched, generation);
    }
    for (const fn of touched)
      this.concat(this.callers, fn, [this.byDirect, this.byValue, this.byTyped], (s) => [
        s.direct,
        s.value?.by,
        s.typed?.by,
      ]);
    this.files = files;
    this.last = { fresh, files: changed.length, relinked };
    if (this.facts.tracks) lastUpdated = new WeakRef(this);
  }

  /**
   * Another file list (an editor's lint of another file's closure, after the opening lint of the whole project): the
   * files in both keep their parts, moved to their new places; the parts of files no longer listed are taken out as a
   * changed file's are (what they touched is concatenated again, value edges that asked for their callees linked
   * again); new files are built below. Only when the files in both come in the same order (the lists are sorted), so
   * every list concatenated in the new order is the one a fresh build gives; else (false) the index is built afresh.
   */
  private realign(
    files: readonly FileFacts[],
    touchedDirect: Set<Fn>,
    touchedUses: Set<Fn>,
    touchedEscapes: Set<Fn>,
    touched: Set<Fn>,
  ): boolean {
    const to = this.slots.length ? keptPlaces(this.slots, files) : undefined;
    if (!to) return false;
    this.slots.forEach((old, j) => {
      if (to.has(j)) return;
      this.leave(old, j, touchedDirect, touchedUses, touchedEscapes);
      this.leaveLinked(old, j, touched);
    });
    for (const by of [this.byDirect, this.byValue, this.byTyped, this.byUses, this.byEscapes]) renumber(by, to);
    this.slots = moveParts(this.slots, to, files.length);
    return true;
  }

  private clear(): void {
    this.slots = [];
    for (const m of [this.callers, this.uses, this.direct, this.escapesOf])
      m.clear();
    for (const m of [this.byDirect, this.byValue, this.byTyped, this.byUses, this.byEscapes]) m.clear();
    this.escaped.clear();
    this.escapedCount.clear();
    this.dispatched?.clear();
    this.dispatchedCount.clear();
  }

  /** Takes a slot's direct edges, uses, escaped functions and their uses as values out. */
  private leave(old: Slot, i: number, touchedDirect: Set<Fn>, touchedUses: Set<Fn>, touchedEscapes: Set<Fn>): void {
    for (const fn of old.direct.keys()) (touchedDirect.add(fn), this.byDirect.get(fn)?.delete(i));
    for (const fn of old.uses.keys()) (touchedUses.add(fn), this.byUses.get(fn)?.delete(i));
    for (const fn of old.escapesOf.keys()) (touchedEscapes.add(fn), this.byEscapes.get(fn)?.delete(i));
    for (const fn of old.escaped) count(this.escapedCount, this.escaped, fn, -1);
  }

  /** Takes a replaced slot's value and typed edges out (the callees they reached are concatenated again). */
  private leaveLinked(old: Slot, i: number, touched: Set<Fn>): void {
    this.facts.discard(old.value?.node);
    this.facts.discard(old.typed?.node);
    for (const fn of old.value?.by.keys() ?? []) (touched.add(fn), this.byValue.get(fn)?.delete(i));
    for (const fn of old.typed?.by.keys() ?? []) (touched.add(fn), this.byTyped.get(fn)?.delete(i));
    for (const fn of old.typed?.dispatched ?? []) count(this.dispatchedCount, this.dispatched!, fn, -1);
  }

  private relinkValue(slot: Slot, i: number, denote: DenoteCall, touched: Set<Fn>): void {
    for (const fn of slot.value?.by.keys() ?? []) (touched.add(fn), this.byValue.get(fn)?.delete(i));
    // The computation it replaces goes (nothing else would evict it: it held the file's old edges), and this one is
    // listed under the file's parse (evicted with it when an edit replaces the parse).
    this.facts.discard(slot.value?.node);
    const value: NonNullable<Slot['value']> = { by: new Map(), asked: new Set(), dead: false };
    const node = (value.node = this.facts.newNode(markDead(value), slot.sf));
    const links = slot.calleeLinks;
    const edges = this.facts.within(node, () =>
      (slot.valueCalls ?? []).flatMap((c) => {
        // Found at the end of the file's flow when it asked no function's callers (value-links.ts): not asked again.
        const fns = links?.get(c.call)?.fns;
        if (fns) return fns.map((callee) => ({ ...c, callee }));
        valueLinkWork.linkedLater++;
        const d = denote(c.call as ts.CallExpression);
        for (const fn of d.asked) value.asked.add(fn);
        return d.fns.map((callee) => ({ ...c, callee }));
      }),
    );
    value.by = groupBy(edges, (e) => e.callee);
    slot.value = value;
    for (const fn of value.by.keys()) (touched.add(fn), enter(this.byValue, fn, i));
  }

  /**
   * Whether a file's typed edges are those the map of this generation gives: made over it, or over an older one whose
   * changes since moved none of the types they looked up (then they are brought to this generation as they are).
   */
  private typedCurrent(typed: NonNullable<Slot['typed']>, generation: number): boolean {
    if (typed.generation === generation) return true;
    const changed = this.typed.changedSince(typed.generation);
    if (!changed || !typed.types || [...typed.types].some((t) => changed.has(t))) return false;
    typed.generation = generation;
    return true;
  }

  private relinkTyped(slot: Slot, i: number, touched: Set<Fn>, generation: number): void {
    for (const fn of slot.typed?.by.keys() ?? []) (touched.add(fn), this.byTyped.get(fn)?.delete(i));
    for (const fn of slot.typed?.dispatched ?? []) count(this.dispatchedCount, this.dispatched!, fn, -1);
    this.facts.discard(slot.typed?.node);
    const links = slot.calleeLinks;
    // No value call: no typed edge, whatever the map holds.
    const typed: NonNullable<Slot['typed']> = {
      by: new Map(),
      dispatched: [],
      generation,
      dead: false,
      types: new Set(),
    };
    const node = (typed.node = this.facts.newNode(markDead(typed), slot.sf));
    const found = this.facts.within(node, () =>
      slot.valueCalls?.length
        ? typedEdgesOf(slot.valueCalls, this.typed.byType, this.origins, this.root, (c) => links?.get(c)?.type)
        : undefined,
    );
    if (found) {
      // A call's value edges and its typed edges come from the same file's value calls.
      const linked = new Map<ts.Node, Set<Fn>>();
      for (const list of slot.value!.by.values())
        for (const e of list) (linked.get(e.call) ?? linked.set(e.call, new Set()).get(e.call)!).add(e.callee);
      typed.by = groupBy(
        found.edges.filter((e) => !linked.get(e.call)?.has(e.callee)),
        (e) => e.callee,
      );
      typed.dispatched = [...found.dispatched];
      typed.types = found.types;
    }
    slot.typed = typed;
    for (const fn of typed.by.keys()) (touched.add(fn), enter(this.byTyped, fn, i));
    for (const fn of typed.dispatched) count(this.dispatchedCount, this.dispatched!, fn, 1);
  }

  /**
   * The direct edges of `fn` made in the files `from` accepts, in the program's order (ambient/reach.ts: a test's
   * call is not a way production reaches app code).
   */
  directFrom(fn: Fn, from: (sf: ts.SourceFile) => boolean): CallEdge[] {
    const at = this.byDirect.get(fn);
    if (!at?.size) return [];
    const out: CallEdge[] = [];
    for (const i of [...at].sort((a, b) => a - b)) {
      const slot = this.slots[i]!;
      if (from(slot.sf)) out.push(...(slot.direct.get(fn) ?? []));
    }
    return out;
  }

  /** One list of the index, concatenated again from the slots' parts in each layer, in the program's order. */
  private concat<V>(
    into: Map<Fn, V[]>,
    fn: Fn,
    layers: Map<Fn, Set<number>>[],
    parts: (s: Slot) => (Map<Fn, V[]> | undefined)[],
  ): void {
    const list: V[] = [];
    layers.forEach((by, layer) => {
      const at = by.get(fn);
      if (!at?.size) return void by.delete(fn);
      for (const i of [...at].sort((a, b) => a - b)) list.push(...(parts(this.slots[i]!)[layer]?.get(fn) ?? []));
    });
    if (list.length) into.set(fn, list);
    else into.delete(fn);
  }
}

function groupBy<K, V>(values: readonly V[], key: (v: V) => K): Map<K, V[]> {
  const map = new Map<K, V[]>();
  for (const v of values) {
    const k = key(v);
    const list = map.get(k);
    if (list) list.push(v);
    else map.set(k, [v]);
  }
  return map;
}

function enter(by: Map<Fn, Set<number>>, fn: Fn, i: number): void {
  const at = by.get(fn);
  if (at) at.add(i);
  else by.set(fn, new Set([i]));
}

/** A set kept as the union of the slots' lists: `n` how many more (or fewer) hold `fn`. */
function count(counts: Map<Fn, number>, set: Set<Fn>, fn: Fn, n: number): void {
  const c = (counts.get(fn) ?? 0) + n;
  if (c > 0) (counts.set(fn, c), set.add(fn));
  else (counts.delete(fn), set.delete(fn));
}

let lastUpdated: WeakRef<KeptCallerIndex> | undefined;

/** The kept index last updated, while its session lives (tests and the bench read it). */
export function lastCallerIndex(): KeptCallerIndex | undefined {
  return lastUpdated?.deref();
}

const kept = new WeakMap<Facts, Map<string, KeptCallerIndex>>();

/** The session's kept index for this root and kind of program (created on first use). */
export function keptCallerIndex(
  facts: Facts,
  origins: OriginResolver,
  root: string,
  wholeProgram: boolean,
): KeptCallerIndex {
  let byKey = kept.get(facts);
  if (!byKey) kept.set(facts, (byKey = new Map()));
  const key = `${wholeProgram ? 1 : 0}\u0000${root}`;
  let index = byKey.get(key);
  if (!index) byKey.set(key, (index = new KeptCallerIndex(facts, origins, root, wholeProgram)));
  return index;
}

/**
 * The program's call graph: the session's kept index for this root and kind of program when the engine tracks
 * dependencies, else (the command line, a file's own analysis) a new one, built from scratch by its one update.
 */
export function callerIndexFor(
  facts: Facts,
  origins: OriginResolver,
  root: string,
  wholeProgram: boolean,
): KeptCallerIndex {
  return facts.tracks
    ? keptCallerIndex(facts, origins, root, wholeProgram)
    : new KeptCallerIndex(facts, origins, root, wholeProgram);
}
