import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { prismaModels } from '../adapters/prisma-schema.js';
import { analyze, relative, type CoreFinding } from '../analysis/index.js';
import type { AnalysisConfig } from '../analysis/config.js';
import { FileSystemSourceHost, parseSource, readSource, SOURCE_EXTENSIONS } from '../analysis/source-host.js';
import type { LoadedConfig } from '../config/load.js';
import { walkFiles } from '../files/walk.js';
import { cacheDir } from '../schema/run-worker.js';
import type { RlsModel } from '../schema/types.js';
import { VERSION } from '../version.js';
import { startBuilder } from './background-build.js';
import { stableHash } from './stable-hash.js';
import { codeStamp, sha } from '../cache/code-stamp.js';

// The plugin's project index: what a verdict that depends on other files needs, so the
// editor decides every site the way `rls-guard audit` does. It holds, per project file (the
// walker's files: same root, config and ignores), its content hash and the files it imports
// (module edges, from which the callers and helpers of a file are found), and the verdicts of
// whole-program analyses keyed by the content hashes of the files they read. It is kept per
// lint process and on disk (node_modules/.cache/rls-guard/, or the OS temp folder), so the
// first lint after an editor restart reads hashes and verdicts instead of parsing.
//
// A file's cross-file verdicts depend only on the files that can reach it (its importers,
// transitively: the callers) and on what those import (transitively: the helpers). That set
// is analysed as a whole program, exactly as the walker analyses the project; when it is most
// of the project, the whole project is analysed once and every file's verdicts kept.
//
// Rules are synchronous, so building runs within a time budget: reading, hashing and parsing
// stop at the deadline and resume on the next lint; meanwhile the caller reports the sites
// that need the index as unresolved, saying it is still being built.

const FORMAT = 1;
/** Files re-listed at most this often: an editor session creates and deletes files. */
const RELIST_MS = 2000;

interface Entry {
  mtimeMs: number;
  size: number;
  hash: string;
  /** Project files this one imports or re-exports from (root-relative). */
  imports: string[];
}

interface Graph {
  listed: Set<string>;
  /** Who imports each file: the way to its callers. */
  importers: Map<string, string[]>;
  digest: string;
}

interface View {
  self: string;
  selfHash: string;
  base: string;
  project: Set<string>;
  /** The files whose whole-program analysis decides the linted file's cross-file verdicts. */
  needed: Set<string>;
  fullKey: string;
  closureKey: string;
  localKey: string;
}

interface Stored {
  key: string;
  findings: CoreFinding[];
}

interface Persisted {
  format: number;
  version: string;
  files: Record<string, Entry>;
  results: Record<string, Stored>;
}

export interface ProjectInput {
  loaded: LoadedConfig;
  model: RlsModel;
  config: AnalysisConfig;
  /** The linted file (absolute) and its text, which may be unsaved. */
  file: string;
  text: string;
  /** Milliseconds this call may spend reading and parsing before giving up until the next lint. */
  budgetMs: number;
}

export type ProjectOutcome =
  | { status: 'ready'; findings: CoreFinding[]; analysed: number; cached: boolean }
  /** Past the budget: `read` of the `total` files this step needs were read (the next lint goes on). */
  | { status: 'building'; read: number; total: number };

class ProjectIndex {
  readonly root: string;
  private readonly cacheFile: string;
  private entries = new Map<string, Entry>();
  private results = new Map<string, Stored>();
  private list: string[] = [];
  private listedAt = -Infinity;
  private refreshedAt = -Infinity;
  private graph: Graph | undefined;
  private lastView: View | undefined;
  private saveTimer: NodeJS.Timeout | undefined;
  private syncedMtimeMs = -1;
  /** Background builds started, by file and content hash, and when. */
  private readonly builds = new Map<string, number>();
  private readonly parsed = new Map<string, { hash: string; sf: ts.SourceFile }>();
  private readonly host = new FileSystemSourceHost();
  private dirty = false;

  constructor(root: string) {
    this.root = root;
    this.cacheFile = path.join(cacheDir(root), `eslint-index-${crypto.createHash('sha256').update(root).digest('hex').slice(0, 16)}.json`);
    this.load();
  }

  /**
   * The linted file's keys, with every project file's hash and imports brought up to date
   * first (stat-only for unchanged files, at most every RELIST_MS: a CLI run lints many
   * files in that time); how far it got when the deadline passed.
   */
  private view(input: ProjectInput, late: () => boolean): View | { read: number; total: number } {
    const self = relative(this.root, input.file);
    this.relist(input.loaded);
    this.syncFromDisk();
    if (performance.now() - this.refreshedAt >= RELIST_MS) {
      let read = 0;
      for (const rel of this.list) {
        const done = this.refresh(rel);
        if (!done) continue;
        read++;
        // Stats are cheap; only reading a file counts against the budget.
        if (done === 'read' && late()) return { read, total: this.list.length };
      }
      this.refreshedAt = performance.now();
      this.lastView = undefined;
    }
    const selfHash = sha(input.text);
    const last = this.lastView;
    if (last && last.self === self && last.selfHash === selfHash && last.base === this.base(input)) return last;
    const graph = this.currentGraph();
    const selfImports = this.importsOf(input.file, input.text);
    const hashOf = (rel: string): string => (rel === self ? selfHash : this.entries.get(rel)?.hash ?? 'missing');
    const importsOf = (rel: string): string[] => (rel === self ? selfImports : this.entries.get(rel)?.imports ?? []);
    const project = new Set(this.list);
    project.add(self);
    const base = this.base(input);
    const keyOf = (prefix: string, files: Iterable<string>): string => sha(`${prefix}\n${base}\n${[...files].sort().map((f) => `${f}\0${hashOf(f)}`).join('\n')}`);
    // The project as on disk, or with the linted file's unsaved text in place of its saved one.
    const onDisk = this.entries.get(self)?.hash === selfHash && graph.listed.has(self);
    const needed = reachable(self, importsOf, project, graph.importers);
    const view: View = {
      self,
      selfHash,
      base,
      project,
      needed,
      fullKey: sha(`whole\n${base}\n${graph.digest}${onDisk ? '' : `\n${self}\0${selfHash}`}`),
      closureKey: keyOf('closure', needed),
      // Decided alone, a file's verdicts depend on it and on what it imports, transitively.
      localKey: keyOf('local', reachable(self, importsOf, project, new Map())),
    };
    return (this.lastView = view);
  }

  private base(input: ProjectInput): string {
    // Besides the source files, the analysis reads the Prisma schema (model names to tables).
    return stableHash([VERSION, FORMAT, codeStamp(), modelHash(input.model), input.loaded.config, input.config.strict, prismaModels(this.root)]);
  }

  /** Verdicts an earlier lint (in this process or one before it) found for the same content; undefined otherwise. */
  cached(input: ProjectInput): CoreFinding[] | undefined {
    const deadline = performance.now() + input.budgetMs;
    const view = this.view(input, () => performance.now() > deadline);
    if (!('self' in view)) return undefined;
    const hit = this.results.get(view.self);
    return hit && (hit.key === view.localKey || hit.key === view.closureKey || hit.key === view.fullKey) ? hit.findings : undefined;
  }

  /** Keeps the verdicts of a file that was decided alone, keyed by it and what it imports. */
  storeLocal(input: ProjectInput, findings: CoreFinding[]): void {
    const view = this.view(input, () => false);
    if (!('self' in view)) return;
    this.results.set(view.self, { key: view.localKey, findings });
    this.dirty = true;
    this.saveSoon();
  }

  query(input: ProjectInput): ProjectOutcome {
    const deadline = performance.now() + input.budgetMs;
    const late = (): boolean => performance.now() > deadline;
    const view = this.view(input, late);
    if (!('self' in view)) return this.stop(input, view.read, view.total);
    const { self, project, needed } = view;
    const hit = this.results.get(self);
    if (hit && (hit.key === view.fullKey || hit.key === view.closureKey)) return { status: 'ready', findings: hit.findings, analysed: 0, cached: true };

    // Most of the project: analyse it all once (a CLI run then answers every file from it).
    const whole = needed.size * 2 > project.size && !Number.isFinite(input.budgetMs);
    const set = whole ? project : needed;
    const files: ts.SourceFile[] = [];
    for (const rel of [...set].sort()) {
      const sf = rel === self ? parseSource(input.file, input.text) : this.parse(rel);
      if (sf) files.push(sf);
      if (late()) return this.stop(input, files.length, set.size);
    }
    const result = analyze({ root: this.root, files, host: new FileSystemSourceHost(files, input.loaded.config.libraries, input.loaded.config.maxFileBytes), model: input.model, config: input.config, wholeProgram: true });
    const byFile = new Map<string, CoreFinding[]>();
    for (const f of result.findings) (byFile.get(f.file) ?? byFile.set(f.file, []).get(f.file)!).push(f);
    // A partial set decides only the linted file: the others' callers may lie outside it.
    for (const rel of whole ? set : [self]) this.results.set(rel, { key: whole ? view.fullKey : view.closureKey, findings: byFile.get(rel) ?? [] });
    this.dirty = true;
    this.saveSoon();
    return { status: 'ready', findings: byFile.get(self) ?? [], analysed: files.length, cached: false };
  }

  /** The digest of every listed file's hash and who imports whom: recomputed only after a change. */
  private currentGraph(): Graph {
    if (this.graph) return this.graph;
    const listed = new Set(this.list);
    const importers = new Map<string, string[]>();
    const lines: string[] = [];
    for (const rel of [...listed].sort()) {
      const entry = this.entries.get(rel);
      lines.push(`${rel}\0${entry?.hash ?? 'missing'}`);
      for (const to of entry?.imports ?? []) (importers.get(to) ?? importers.set(to, []).get(to)!).push(rel);
    }
    return (this.graph = { listed, importers, digest: sha(lines.join('\n')) });
  }

  private stop(input: ProjectInput, read: number, total = this.list.length): ProjectOutcome {
    this.save();
    this.buildInBackground(input);
    return { status: 'building', read, total };
  }

  /**
   * Past the budget, a detached child process finishes the work (the same query without a
   * budget, with the linted text) and writes it to the index on disk, where the next lint
   * finds it: the editor is never blocked by a large project. At most one per file content
   * a minute.
   */
  private buildInBackground(input: ProjectInput): void {
    const key = `${input.file}\0${sha(input.text)}`;
    const started = this.builds.get(key);
    if (started !== undefined && performance.now() - started < 60_000) return;
    this.builds.set(key, performance.now());
    startBuilder({ file: input.file, text: input.text, strict: input.config.strict });
  }

  private relist(loaded: LoadedConfig): void {
    if (performance.now() - this.listedAt < RELIST_MS) return;
    const walked = walkFiles([this.root], { extensions: SOURCE_EXTENSIONS, ignore: loaded.config.ignore ?? [] }, this.root);
    const list = walked.files.filter((f) => SOURCE_EXTENSIONS.some((e) => f.endsWith(e))).map((f) => relative(this.root, f));
    if (list.join('\n') !== this.list.join('\n')) this.graph = this.lastView = undefined;
    this.list = list;
    this.listedAt = performance.now();
  }

  /** Brings one file's entry up to date: 'read' when it had to be read, false when it cannot be (the walker skips it too). */
  private refresh(rel: string): 'known' | 'read' | false {
    const abs = path.join(this.root, rel);
    let st: fs.Stats;
    try {
      st = fs.statSync(abs);
    } catch {
      if (this.entries.delete(rel)) this.graph = undefined;
      return false;
    }
    const known = this.entries.get(rel);
    if (known && known.mtimeMs === st.mtimeMs && known.size === st.size) return 'known';
    const read = readSource(abs);
    if (!read.ok) {
      if (this.entries.delete(rel)) this.graph = undefined;
      return false;
    }
    this.entries.set(rel, { mtimeMs: st.mtimeMs, size: st.size, hash: sha(read.text), imports: this.importsOf(abs, read.text) });
    this.dirty = true;
    this.graph = undefined;
    return 'read';
  }

  /** Module edges from the scanner alone (imports, re-exports, require, import()): no parse. */
  private importsOf(abs: string, text: string): string[] {
    const out = new Set<string>();
    for (const ref of ts.preProcessFile(text, true, true).importedFiles) {
      const target = this.host.resolveModule(abs, ref.fileName);
      if (target) out.add(relative(this.root, target));
    }
    return [...out];
  }

  private parse(rel: string): ts.SourceFile | undefined {
    const entry = this.entries.get(rel);
    if (!entry) return undefined;
    const hit = this.parsed.get(rel);
    if (hit && hit.hash === entry.hash) return hit.sf;
    const abs = path.join(this.root, rel);
    const read = readSource(abs);
    if (!read.ok) return undefined;
    const sf = parseSource(abs, read.text);
    this.parsed.set(rel, { hash: sha(read.text), sf });
    return sf;
  }

  private load(): void {
    this.syncFromDisk();
  }

  /**
   * Takes in what another process wrote to the index on disk since this one last looked (a
   * background build, another ESLint process): entries and verdicts this one lacks. Both
   * are keyed by content, so either copy is right for its key.
   */
  private syncFromDisk(): void {
    let mtimeMs: number;
    try {
      mtimeMs = fs.statSync(this.cacheFile).mtimeMs;
    } catch {
      return;
    }
    if (mtimeMs === this.syncedMtimeMs) return;
    this.syncedMtimeMs = mtimeMs;
    try {
      const data = JSON.parse(fs.readFileSync(this.cacheFile, 'utf8')) as Persisted;
      if (data.format !== FORMAT || data.version !== VERSION) return;
      for (const [rel, entry] of Object.entries(data.files)) {
        if (!this.entries.has(rel)) {
          this.entries.set(rel, entry);
          this.graph = this.lastView = undefined;
        }
      }
      for (const [rel, stored] of Object.entries(data.results)) if (!this.results.has(rel) || this.results.get(rel)!.key !== stored.key) this.results.set(rel, stored);
    } catch {
      // no index yet, or an unreadable one: build afresh
    }
  }

  /**
   * Writes the index after the current burst of lints (a CLI run stores a verdict per file:
   * one write, not one per file). The timer does not keep the process alive, so the exit
   * hook writes what is left.
   */
  private saveSoon(): void {
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => this.save(), 500);
    this.saveTimer.unref();
    pending.add(this);
  }

  save(): void {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    pending.delete(this);
    if (!this.dirty) return;
    this.dirty = false;
    this.syncFromDisk(); // keep what a background build wrote meanwhile
    const live = new Set(this.list);
    const data: Persisted = {
      format: FORMAT,
      version: VERSION,
      files: Object.fromEntries([...this.entries].filter(([rel]) => live.has(rel))),
      results: Object.fromEntries([...this.results].filter(([rel]) => live.has(rel))),
    };
    try {
      fs.mkdirSync(path.dirname(this.cacheFile), { recursive: true });
      // Write then rename: a concurrent linter never reads half a file.
      const tmp = `${this.cacheFile}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(data));
      fs.renameSync(tmp, this.cacheFile);
      this.syncedMtimeMs = fs.statSync(this.cacheFile).mtimeMs;
    } catch {
      // a read-only checkout: the in-process index still works
    }
  }
}

/**
 * The files whose analysis decides `start`'s verdicts: everything that imports it,
 * transitively (its callers, and theirs), then everything those import (the helpers).
 */
export function reachable(start: string, importsOf: (rel: string) => string[], project: ReadonlySet<string>, known?: ReadonlyMap<string, readonly string[]>): Set<string> {
  let importers = known;
  if (!importers) {
    const built = new Map<string, string[]>();
    for (const rel of project) for (const to of importsOf(rel)) (built.get(to) ?? built.set(to, []).get(to)!).push(rel);
    importers = built;
  }
  const walk = (from: Iterable<string>, next: (rel: string) => readonly string[]): Set<string> => {
    const seen = new Set(from);
    const queue = [...seen];
    while (queue.length) for (const n of next(queue.pop()!)) if (project.has(n) && !seen.has(n)) seen.add(n), queue.push(n);
    return seen;
  };
  return walk(walk([start], (r) => importers.get(r) ?? []), importsOf);
}

const indexes = new Map<string, ProjectIndex>();
const pending = new Set<ProjectIndex>();
process.on('exit', () => {
  for (const index of [...pending]) index.save();
});

function indexFor(root: string): ProjectIndex {
  let index = indexes.get(root);
  if (!index) indexes.set(root, (index = new ProjectIndex(root)));
  return index;
}

/** The linted file's findings as `rls-guard audit` decides them, or how far the index has got. */
export function projectFindings(input: ProjectInput): ProjectOutcome {
  return indexFor(input.loaded.dir).query(input);
}

/** The findings an earlier lint found for the same content of the file and of the files its verdicts depend on. */
export function cachedFindings(input: ProjectInput): CoreFinding[] | undefined {
  return indexFor(input.loaded.dir).cached(input);
}

/** Keeps the findings of a file decided alone (no site other files could change). */
export function storeLocalFindings(input: ProjectInput, findings: CoreFinding[]): void {
  indexFor(input.loaded.dir).storeLocal(input, findings);
}

/** Where the index of a project is cached on disk (docs/eslint.md tells users how to clear it). */
export function indexCacheDir(root: string): string {
  return cacheDir(root);
}

/** Writes every index to disk now and forgets the in-process ones (tests, and the bench's "new process"). */
export function resetProjectIndexes(): void {
  for (const index of indexes.values()) index.save();
  indexes.clear();
}

const modelHashes = new WeakMap<RlsModel, string>();

function modelHash(model: RlsModel): string {
  let h = modelHashes.get(model);
  if (!h) modelHashes.set(model, (h = stableHash(model)));
  return h;
}
