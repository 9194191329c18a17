import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { VERSION } from '../version.js';
import { codeStamp, sha } from './code-stamp.js';
import { writeCacheFile } from './write-file.js';

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
const FORMAT = 2;
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
  private readonly file: string;
  private readonly key: string;
  /** Reads counted for the tests and the bench: files whose content had to be read to be hashed. */
  read = 0;

  /** `name`: the ESLint plugin keeps a file of its own (the audit and the linter do not evict each other's entries). */
  constructor(dir: string, root: string, name = 'inputs') {
    this.file = path.join(dir, `${name}-${sha(root).slice(0, 16)}.json`);
    // A value computed by one build of rls-guard is never read by another.
    this.key = sha(`${VERSION}\n${codeStamp()}`);
    try {
      const data = JSON.parse(fs.readFileSync(this.file, 'utf8')) as Persisted;
      if (data.format === FORMAT && data.key === this.key && data.stamps && data.memo) {
        for (const [k, v] of Object.entries(data.stamps)) this.stamps.set(k, v);
        for (const [k, v] of Object.entries(data.sources ?? {})) this.sources.set(k, v);
        for (const [k, v] of Object.entries(data.memo)) if (typeof v === 'string') this.memo.set(k, v);
      }
    } catch {
      // none yet, or unreadable: everything is computed
    }
  }

  /** A file's content hash (of its bytes), from the stat pre-check when it holds; undefined when unreadable. */
  digest(abs: string): FileDigest | undefined {
    let st: fs.Stats;
    try {
      st = fs.statSync(abs);
    } catch {
      return undefined;
    }
    if (!st.isFile()) return undefined;
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
        const value = fromJson(hit) as T;
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

  save(): void {
    if (
      !this.dirty &&
      this.usedMemo.size === this.memo.size &&
      this.usedStamps.size === this.stamps.size &&
      this.usedSources.size === this.sources.size
    )
      return;
    const data: Persisted = {
      format: FORMAT,
      key: this.key,
      stamps: Object.fromEntries(this.usedStamps),
      sources: Object.fromEntries(this.usedSources),
      memo: Object.fromEntries(this.usedMemo),
    };
    writeCacheFile(this.file, JSON.stringify(data));
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
