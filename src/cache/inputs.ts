import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { VERSION } from '../version.js';
import type { FolderRecord, ListingMemory } from '../files/walk.js';
import { codeStamp, sha } from '../files/code-stamp.js';
import { appendChange, readJournal, shouldFold, writeSnapshot, type Journal } from './journal.js';

// What an audit computes from files other than its per-file analysis (the RLS model, the
// Drizzle schema scan, the deployment files' scan), kept on disk between runs and keyed by
// the content of what it was computed from; and the audited sources' text hashes, so that a
// warm run reads only the sources whose stat changed (sources.ts). Contents are known without reading a file
// while its path, size, modification time and inode are those recorded with its hash
// (the stat pre-check); a file touched within the last seconds of being recorded is not
// trusted that way (a second edit in the same clock tick keeps size and time), so it is
// read and hashed again. A computed value is stored as JSON at once, so a caller that
// changes it afterwards does not change what is stored; a read gives a fresh copy.

// 2: source files' stamps (the hash of their decoded text, for the module graph and the per-file results).
// 3: a journal (journal.ts): a snapshot line, then one line of changes per run.
const FORMAT = 3;
/** A file modified this close to when its stamp was taken may be modified again unseen. */
const RACY_MS = 3000;

interface Stamp {
  size: number;
  mtimeMs: number;
  ino: number;
  hash: string;
}

interface Persisted {
  format: number;
  key: string;
  stamps: Record<string, Stamp>;
  /** Source files: the hash is of the decoded text (what the analysis and the module graph read). */
  sources: Record<string, Stamp>;
  memo: Record<string, string>;
}

/** One run's changes to the snapshot: entries set, and entries dropped (null). */
interface Change {
  stamps?: Record<string, Stamp | null>;
  sources?: Record<string, Stamp | null>;
  memo?: Record<string, string | null>;
}

export interface FileDigest {
  hash: string;
  size: number;
}

export class InputCache {
  private readonly stamps = new Map<string, Stamp>();
  private readonly memo = new Map<string, string>();
  /** Entries used or written this run: only they are written back, so the file does not grow with history. */
  private readonly usedStamps = new Map<string, Stamp>();
  private readonly sources = new Map<string, Stamp>();
  private readonly usedSources = new Map<string, Stamp>();
  private readonly usedMemo = new Map<string, string>();
  private dirty = false;
  private readonly stats = new Map<string, fs.Stats | null>();
  private readonly file: string;
  private readonly key: string;
  /** Reads counted for the tests and the bench: files whose content had to be read to be hashed. */
  read = 0;

  /** What the file held when read: a run writes only what differs from it. */
  private readonly loaded: { stamps: Map<string, Stamp>; sources: Map<string, Stamp>; memo: Map<string, string> };
  private readonly journal: Journal<Persisted, Change> | undefined;

  /** `name`: the ESLint plugin keeps a file of its own (the audit and the linter do not evict each other's entries). */
  constructor(dir: string, root: string, name = 'inputs') {
    this.file = path.join(dir, `${name}-${sha(root).slice(0, 16)}.jsonl`);
    // A value computed by one build of rls-guard is never read by another.
    this.key = sha(`${VERSION}\n${codeStamp()}`);
    const journal = readJournal<Persisted, Change>(this.file);
    const data = journal?.snapshot;
    if (data && data.format === FORMAT && data.key === this.key && data.stamps && data.memo) {
      this.journal = journal;
      for (const [k, v] of Object.entries(data.stamps)) this.stamps.set(k, v);
      for (const [k, v] of Object.entries(data.sources ?? {})) this.sources.set(k, v);
      for (const [k, v] of Object.entries(data.memo)) if (typeof v === 'string') this.memo.set(k, v);
      for (const change of journal.changes) {
        apply(this.stamps, change.stamps);
        apply(this.sources, change.sources);
        apply(this.memo, change.memo);
      }
    }
    this.loaded = { stamps: new Map(this.stamps), sources: new Map(this.sources), memo: new Map(this.memo) };
  }

  /** A file's content hash (of its bytes), from the stat pre-check when it holds; undefined when unreadable. */
  digest(abs: string): FileDigest | undefined {
    const st = this.stat(abs);
    if (!st?.isFile()) return undefined;
    const known = this.stamps.get(abs);
    if (known && known.size === st.size && known.mtimeMs === st.mtimeMs && known.ino === st.ino) {
      this.usedStamps.set(abs, known);
      return { hash: known.hash, size: known.size };
    }
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(abs);
    } catch {
      return undefined;
    }
    this.read++;
    const hash = crypto.createHash('sha256').update(bytes).digest('hex').slice(0, 32);
    const stamp = { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, hash };
    // Racy: a later edit within the clock's resolution would leave this stamp matching.
    if (Date.now() - st.mtimeMs > RACY_MS && bytes.length === st.size) {
      this.stamps.set(abs, stamp);
      this.usedStamps.set(abs, stamp);
      this.dirty = true;
    }
    return { hash, size: st.size };
  }

  /**
   * A file's stat, taken once per run (an instance lives for one run): the sources' listing and the Drizzle scan ask
   * for the same files, and both must see the same stat.
   */
  stat(abs: string): fs.Stats | undefined {
    let st = this.stats.get(abs);
    if (st === undefined) {
      try {
        st = fs.statSync(abs);
      } catch {
        st = null;
      }
      this.stats.set(abs, st);
    }
    return st ?? undefined;
  }

  /** A source file's text hash recorded for exactly this stat (path, size, modification time, inode), if any. */
  sourceHash(abs: string, st: fs.Stats): string | undefined {
    const known = this.sources.get(abs);
    if (!known || known.size !== st.size || known.mtimeMs !== st.mtimeMs || known.ino !== st.ino) return undefined;
    this.usedSources.set(abs, known);
    return known.hash;
  }

  /** Records a source file's text hash against the stat taken before it was read (unless the file is too fresh). */
  noteSource(abs: string, st: fs.Stats, hash: string): void {
    // Racy: a later edit within the clock's resolution would leave this stamp matching.
    if (Date.now() - st.mtimeMs <= RACY_MS) return;
    const stamp = { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, hash };
    this.sources.set(abs, stamp);
    this.usedSources.set(abs, stamp);
    this.dirty = true;
  }

  /**
   * The value stored under `section` and `key` (a key must name every input of the value), else `compute()`, stored
   * when `keep(value)` says it may be (a value from a failure that may not repeat is not).
   */
  remember<T>(
    section: string,
    key: string,
    compute: () => T,
    keep: (value: T) => boolean = () => true,
    /** Checks what the key could not name (files found to be read while computing it). */
    valid: (value: T) => boolean = () => true,
  ): T {
    const id = `${section}\0${key}`;
    const hit = this.memo.get(id);
    if (hit !== undefined) {
      try {
        // Most entries of a per-file section hold nothing (the Drizzle scan of a file that declares no table): read
        // 3,000 times when one file changed, a parse each.
        const value = (hit === '[]' ? [] : fromJson(hit)) as T;
        if (valid(value)) {
          this.usedMemo.set(id, hit);
          return value;
        }
      } catch {
        // a malformed entry: computed again
      }
    }
    const value = compute();
    if (keep(value)) {
      const text = toJson(value);
      this.memo.set(id, text);
      this.usedMemo.set(id, text);
      this.dirty = true;
    }
    return value;
  }

  /** Keeps the values stored under `section` and these keys for the next run (written back), without reading them. */
  retain(section: string, keys: readonly string[]): void {
    for (const key of keys) {
      const id = `${section}\0${key}`;
      const hit = this.memo.get(id);
      if (hit !== undefined) this.usedMemo.set(id, hit);
    }
  }

  /**
   * The value last stored under `section` and `key`, whatever it was computed from: for a caller that checks it against
   * the files itself and reuses what still holds (the tree's listing). Kept for the next run unless replaced.
   */
  recall<T>(section: string, key: string): T | undefined {
    const id = `${section}\0${key}`;
    const hit = this.memo.get(id);
    if (hit === undefined) return undefined;
    try {
      const value = fromJson(hit) as T;
      this.usedMemo.set(id, hit);
      return value;
    } catch {
      return undefined;
    }
  }

  /** The tree's listings, folder by folder (files/walk.ts checks each record against the folder's stat). */
  listings(): ListingMemory {
    return {
      recall: (key) => this.recall<Record<string, FolderRecord>>('listing', key),
      record: (key, folders) => this.store('listing', key, folders),
    };
  }

  /** Stores `value` under `section` and `key`, replacing what was there. */
  store(section: string, key: string, value: unknown): void {
    const id = `${section}\0${key}`;
    const text = toJson(value);
    if (this.usedMemo.get(id) === text) return;
    this.memo.set(id, text);
    this.usedMemo.set(id, text);
    this.dirty = true;
  }

  /**
   * Writes back the entries used or computed this run (so the file does not grow with history): as one line of
   * changes appended to the file when they are few, else as a new snapshot.
   */
  save(): void {
    if (
      !this.dirty &&
      this.usedMemo.size === this.memo.size &&
      this.usedStamps.size === this.stamps.size &&
      this.usedSources.size === this.sources.size
    )
      return;
    const change: Change = {};
    const stamps = changes(this.loaded.stamps, this.usedStamps, sameStamp);
    const sources = changes(this.loaded.sources, this.usedSources, sameStamp);
    const memo = changes(this.loaded.memo, this.usedMemo, (a, b) => a === b);
    if (stamps) change.stamps = stamps;
    if (sources) change.sources = sources;
    if (memo) change.memo = memo;
    if (!stamps && !sources && !memo) return;
    const line = JSON.stringify(change);
    if (this.journal && !shouldFold(this.journal, line.length + 1)) {
      appendChange(this.file, change);
      return;
    }
    const data: Persisted = {
      format: FORMAT,
      key: this.key,
      stamps: Object.fromEntries(this.usedStamps),
      sources: Object.fromEntries(this.usedSources),
      memo: Object.fromEntries(this.usedMemo),
    };
    writeSnapshot(this.file, data);
    removeLegacy(this.file);
  }
}

/** Applies one line of changes to a map read from the snapshot. */
function apply<V>(map: Map<string, V>, change: Record<string, V | null> | undefined): void {
  if (!change || typeof change !== 'object') return;
  for (const [k, v] of Object.entries(change)) {
    if (v === null) map.delete(k);
    else map.set(k, v);
  }
}

/** What turns `before` into `after`: entries set (new or different) and dropped (null); undefined when none. */
function changes<V>(
  before: ReadonlyMap<string, V>,
  after: ReadonlyMap<string, V>,
  same: (a: V, b: V) => boolean,
): Record<string, V | null> | undefined {
  const out = Object.create(null) as Record<string, V | null>;
  let any = false;
  for (const [k, v] of after) {
    const was = before.get(k);
    if (was === undefined || !same(was, v)) {
      out[k] = v;
      any = true;
    }
  }
  for (const k of before.keys())
    if (!after.has(k)) {
      out[k] = null;
      any = true;
    }
  return any ? out : undefined;
}

function sameStamp(a: Stamp, b: Stamp): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino && a.hash === b.hash;
}

/** The file as it was named before it was a journal (`.json`): dead weight once a snapshot is written. */
export function removeLegacy(file: string): void {
  try {
    fs.rmSync(file.replace(/\.jsonl$/, '.json'), { force: true });
  } catch {
    // not ours to fail on
  }
}

/** JSON that keeps Maps and Sets (the RLS model holds them). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Map) return { '<map>': [...v.entries()] };
    if (v instanceof Set) return { '<set>': [...v.values()] };
    return v;
  });
}

export function fromJson(text: string): unknown {
  // A plain parse, then one walk turning the tagged objects back into Maps and Sets: a reviver
  // function called for every value cost several times the parse on a large RLS model.
  return revive(JSON.parse(text));
}

function revive(v: unknown): unknown {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (x !== null && typeof x === 'object') v[i] = revive(x);
    }
    return v;
  }
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 1 && keys[0] === '<map>' && Array.isArray(o['<map>']))
    return new Map(revive(o['<map>']) as [unknown, unknown][]);
  if (keys.length === 1 && keys[0] === '<set>' && Array.isArray(o['<set>']))
    return new Set(revive(o['<set>']) as unknown[]);
  for (const k of keys) {
    const x = o[k];
    if (x === null || typeof x !== 'object') continue;
    const r = revive(x);
    // defineProperty: a key named __proto__ stays a key, as JSON.parse made it.
    if (r !== x) Object.defineProperty(o, k, { value: r, writable: true, enumerable: true, configurable: true });
  }
  return v;
}
