import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import ts from '../ts.js';
import { prismaModels } from '../adapters/prisma-schema.js';
import type { CoreFinding, CoreSite, SourceGap } from '../analysis/index.js';
import { AnalysisSession } from '../analysis/session.js';
import { toPosixRelative } from '../files/paths.js';
import type { AnalysisConfig } from '../analysis/config.js';
import { FileSystemSourceHost } from '../code/source-host.js';
import { parseSource, readSource, SOURCE_EXTENSIONS } from '../files/source.js';
import type { LoadedConfig } from '../config/load.js';
import { walkFiles } from '../files/walk.js';
import { moduleReferences } from '../files/module-references.js';
import { cacheDir } from '../schema/run-worker.js';
import type { RlsModel } from '../schema/types.js';
import type { DeploymentRoles } from '../schema/deploy-roles.js';
import { VERSION } from '../version.js';
import { runningBuilds, startBuilder } from './background-build.js';
import { globLiterals, globMayMatch, jsNameOf } from './glob-edges.js';
import { LocalKeys } from './local-keys.js';
import { pooledParse } from './parse-pool.js';
import { afterLint, chores, cpuMs, Recheck } from './recheck.js';
import { longLivedProcess } from './settings.js';
import { stableHash } from '../cache/stable-hash.js';
import { codeStamp, sha } from '../files/code-stamp.js';

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

// 3: entries hold write sites (the rule checks judge them) and the look schedule changed.
// 4: verdicts are stored as JSON text, parsed when looked up (see Stored); entries hold the pack scan's answer.
// 5: entries hold the globs a file may register others by (an entry of 4 lacks them, and would lack the edges).
// 6: entries' imports read by module-references.ts (the scanner alone missed import() calls after some constructs).
const FORMAT = 6;

interface Entry {
  mtimeMs: number;
  size: number;
  hash: string;
  /** Project files this one imports or re-exports from (root-relative). */
  imports: string[];
  /**
   * The key of the packs (packPrefilterKey) under which this content was scanned and named no pack entry: the pack
   * rules then have nothing to say about it, and a later lint of the same text skips the scan (pack-scan.ts).
   */
  packFree?: string;
  /** Globs in its text by which it may register other files (glob-edges.ts): edges no import makes. */
  globs?: string[];
}

interface Graph {
  listed: Set<string>;
  /** Who imports each file: the way to its callers. */
  importers: Map<string, string[]>;
  digest: string;
  /** Local keys of the files as on disk, per base (local-keys.ts). */
  localKeys?: { base: string; keys: LocalKeys };
}

interface View {
  self: string;
  selfHash: string;
  base: string;
  project: ReadonlySet<string>;
  /** The files whose whole-program analysis decides the linted file's cross-file verdicts. */
  needed: Set<string>;
  fullKey: string;
  closureKey: string;
  localKey: string;
  /** Content hash and module edges of a project file as this lint sees it (the linted file's unsaved text). */
  hashOf: (rel: string) => string;
  importsOf: (rel: string) => string[];
}

/**
 * A file's verdicts under their key. The verdicts are kept as the JSON text they are written as, and parsed only when a
 * lint looks them up: a warm command-line run reads every file's entry once, and holding them all as objects (5 MB of
 * JSON on a large project, several times that as a heap) made every garbage collection of ESLint's own work dearer.
 */
interface Stored {
  key: string;
  json: string;
}

/** What the index keeps of a file: its findings and its write sites as the walker decides them. */
export interface Decided {
  findings: CoreFinding[];
  sites: CoreSite[];
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
  /**
   * What the deployment files (env, compose, CI) said when the model was read (lint-analysis.ts `deploymentFor`): a
   * verdict can rest on the role they give a DSN variable, so they are part of every key. Absent: none were read.
   */
  deployment?: DeploymentRoles;
  /** The linted file (absolute) and its text, which may be unsaved. */
  file: string;
  text: string;
  /** Its parse, when the linter has one (ESLint's own TypeScript AST): not parsed again. */
  sf?: ts.SourceFile;
  /** Milliseconds this call may spend reading and parsing before giving up until the next lint. */
  budgetMs: number;
  /**
   * Analyse the whole project and keep every file's verdicts, whatever the linted file needs (cli-build.ts's
   * child).
   */
  wholeProject?: boolean;
  /** Called as the work goes on (per file listed, read, parsed or analysed): the child's heartbeat. */
  progress?: () => void;
  /**
   * Only make the analysis session hold what the file's verdicts need (an editor's idle moment, lint-analysis.ts
   * `prepareAhead`): analysed even when a verdict is stored for the text, nothing stored or written, and no background
   * build started when the budget runs out (the next step, or the next lint, goes on from what was done).
   */
  prepare?: boolean;
}

export type ProjectOutcome =
  /**
   * `unseen`: project files the index could not read (binary, too large, unreadable), which
   * may call the file's functions: a verdict that found no problem is not a pass.
   */
  | ({
      status: 'ready';
      analysed: number;
      cached: boolean;
      unseen?: string;
      /**
       * Of an analysis done by this query: the parts of the linted file it read only in part (a syntax error, a walk
       * that gave up), from the session's own analysis of the file.
       */
      incomplete?: SourceGap[];
    } & Decided)
  /**
   * Past the budget: `read` of the `total` files this step needs were read (the next lint
   * goes on); `builderFailed` says why the background build for this text will not finish it.
   */
  | { status: 'building'; read: number; total: number; builderFailed?: string };

class ProjectIndex {
  readonly root: string;
  private readonly cacheFile: string;
  private entries = new Map<string, Entry>();
  private results = new Map<string, Stored>();
  private list: string[] = [];
  /** When to look at the project again (recheck.ts), and the cost so far of a look the budget cut short. */
  private readonly look = new Recheck();
  private lookCostMs: number | undefined;
  /** A look due in an editor's process, to be made once the lint that found it due is done (recheck.ts `afterLint`). */
  private readonly lookLater: { later?: NodeJS.Timeout } = {};
  private baseMemo:
    | { model: RlsModel; config: object; strict: boolean; prisma: unknown; deployment?: DeploymentRoles; value: string }
    | undefined;
  private graph: Graph | undefined;
  private lastView: View | undefined;
  private saveTimer: NodeJS.Timeout | undefined;
  private syncedMtimeMs = -1;
  /** Background builds started, by file and content hash, and when; and why those that failed did. */
  private readonly builds = new Map<string, number>();
  private readonly buildFailures = new Map<string, string>();
  /** The process id of this index's background build, while it may still run. */
  private builder: number | undefined;
  /**
   * Project files that exist but cannot be read (binary, too large, unreadable), and why: callers the index cannot see.
   */
  private readonly unreadable = new Map<string, string>();
  private readonly parsed = new Map<string, { hash: string; sf: ts.SourceFile }>();
  private readonly host = new FileSystemSourceHost();
  private dirty = false;
  /** Whether the project was listed (a look began): only then is the index written. */
  private listed = false;
  /** Files analysed so far for sets smaller than the project (see query). */
  private closureWork = 0;
  /**
   * The analysis kept between queries (src/analysis/session.ts): an edit re-analyses the edited
   * file and its importers, not the whole set. Replaced when the model, config or file list
   * changes, or when it is worn.
   */
  private session: { base: string; list: string[]; analysis: AnalysisSession } | undefined;
  private listSet: { list: string[]; set: Set<string> } | undefined;
  /**
   * The linted file's closure (the files its cross-file verdicts need) for a graph, file list and set of its imports,
   * and its key's text around the file's own line (see view).
   */
  private closureMemo:
    | {
        graph: Graph;
        project: ReadonlySet<string>;
        base: string;
        self: string;
        imports: string;
        needed: Set<string>;
        head: string;
        tail: string;
      }
    | undefined;

  constructor(root: string) {
    this.root = root;
    this.cacheFile = path.join(
      indexCacheDir(root),
      `eslint-index-${crypto.createHash('sha256').update(root).digest('hex').slice(0, 16)}.json`,
    );
    this.load();
  }

  /**
   * The linted file's keys, with every project file's hash and imports brought up to date
   * first (stat-only for unchanged files, at most every few seconds, recheck.ts: a CLI run lints many
   * files in that time); how far it got when the deadline passed.
   */
  private view(input: ProjectInput, late: () => boolean): View | { read: number; total: number } {
    const self = toPosixRelative(this.root, input.file);
    let looking = this.lookCostMs !== undefined || this.look.due();
    // In an editor's process a look that falls due is made after this lint (recheck.ts), unless it is the first one
    // or one a budget cut short: the lint goes on with what the last look saw, and the files edited here.
    if (looking && this.lookCostMs === undefined && this.listed && longLivedProcess()) {
      const loaded = input.loaded;
      afterLint(this.lookLater, () => {
        if (indexes.get(this.root) !== this || this.lookCostMs !== undefined || !this.look.due()) return;
        try {
          this.syncFromDisk();
          this.lookAtProject(loaded, () => false);
        } catch {
          // Made again within the next lint, whose caller reports what failed.
          this.lookCostMs = undefined;
          this.look.reset();
        }
      });
      looking = false;
    }
    // What another process wrote to the index on disk: per lint where a background build may be writing it (an
    // editor's server, or a process that started one), else with each look (a stat per linted file otherwise).
    if (looking || this.builder !== undefined || longLivedProcess()) this.syncFromDisk();
    if (looking) {
      const cut = this.lookAtProject(input.loaded, late);
      if (cut) return cut;
    } else this.refreshEdited();
    const selfHash = textHash(input.text);
    this.noteEdited(self, selfHash);
    const base = this.base(input);
    const last = this.lastView;
    if (last && last.self === self && last.selfHash === selfHash && last.base === base) return last;
    const graph = this.currentGraph();
    // The saved file's edges are known; unsaved text is scanned for its own.
    const savedEntry = this.entries.get(self);
    const selfImports = savedEntry?.hash === selfHash ? savedEntry.imports : this.importsOf(input.file, input.text);
    const hashOf = (rel: string): string => (rel === self ? selfHash : this.entries.get(rel)?.hash ?? 'missing');
    const importsOf = (rel: string): string[] => (rel === self ? selfImports : this.entries.get(rel)?.imports ?? []);
    // One set per file list (a command-line run builds a view per file).
    if (this.listSet?.list !== this.list) this.listSet = { list: this.list, set: new Set(this.list) };
    const project = this.listSet.set.has(self) ? this.listSet.set : new Set([...this.list, self]);
    // The project as on disk, or with the linted file's unsaved text in place of its saved one.
    const onDisk = this.entries.get(self)?.hash === selfHash && graph.listed.has(self);
    // The keys are computed when asked for: a file decided alone is answered by its local key
    // (it and what it imports), without walking everything that imports it, which for a
    // widely imported file is most of the project, per lint (per file of a command-line run).
    const once = <T>(make: () => T): (() => T) => {
      let value: { v: T } | undefined;
      return () => (value ??= { v: make() }).v;
    };
    // The set and its key's text but the linted file's line depend on the graph and on the file's imports, not on its
    // text: an editor's edits that keep the imports reuse them, and hash only the joined text again.
    const imports = selfImports.join('\0');
    const closure = once(() => {
      const memo = this.closureMemo;
      const same = memo?.graph === graph && memo.project === project && memo.base === base && memo.self === self;
      if (same && memo.imports === imports) return memo;
      closureWalks++;
      const set = reachable(self, importsOf, project, graph.importers); // the linted file among them
      const lines = [...set].sort().map((f) => (f === self ? undefined : `${f}\0${hashOf(f)}`));
      const at = lines.indexOf(undefined);
      const head = `closure\n${base}\n${lines.slice(0, at).map((l) => `${l}\n`).join('')}`;
      const tail = lines.slice(at + 1).map((l) => `\n${l}`).join('');
      return (this.closureMemo = { graph, project, base, self, imports, needed: set, head, tail });
    });
    const needed = once(() => closure().needed);
    const closureKey = once(() => {
      const { head, tail } = closure();
      return sha(`${head}${self}\0${selfHash}${tail}`);
    });
    const localKey = once(() => {
      const keys = this.localKeys(graph, base);
      return onDisk ? keys.of(self) : keys.unsaved(self, selfHash, selfImports);
    });
    const view: View = {
      self,
      selfHash,
      base,
      project,
      get needed() {
        return needed();
      },
      fullKey: sha(`whole\n${base}\n${graph.digest}${onDisk ? '' : `\n${self}\0${selfHash}`}`),
      get closureKey() {
        return closureKey();
      },
      get localKey() {
        return localKey();
      },
      hashOf,
      importsOf,
    };
    return (this.lastView = view);
  }

  /**
   * A look at the project: list it, stat every file, read the changed ones. It may span several lints when the budget
   * runs out (how far it got is returned); only its own work counts as its cost (CPU time, recheck.ts).
   */
  private lookAtProject(loaded: LoadedConfig, late: () => boolean): { read: number; total: number } | undefined {
    const started = cpuMs();
    if (this.lookCostMs === undefined) {
      this.lookCostMs = 0;
      this.relist(loaded);
      prismaModels(this.root);
    }
    let read = 0;
    // What a look costs again is the listing and the stats: reading changed files is not repeated. (Reading is timed
    // on the wall clock: asking for the CPU time per file would cost more than the stat.)
    let readingMs = 0;
    for (const rel of this.list) {
      const before = performance.now();
      const done = this.refresh(rel);
      if (!done) continue;
      read++;
      // A stat is cheap, but thousands of them on a slow disk are not: checked every 256.
      if (done !== 'read' && (read & 255) === 0 && late()) {
        this.lookCostMs += Math.max(0, cpuMs() - started - readingMs);
        return { read, total: this.list.length };
      }
      if (done !== 'read') continue;
      readingMs += performance.now() - before;
      // Stats are cheap; only reading a file counts against the budget.
      if (late()) {
        this.lookCostMs += Math.max(0, cpuMs() - started - readingMs);
        return { read, total: this.list.length };
      }
    }
    this.look.done(this.lookCostMs + Math.max(0, cpuMs() - started - readingMs));
    this.lookCostMs = undefined;
    chores.looks++;
    this.lastView = undefined;
    return undefined;
  }

  private localKeys(graph: Graph, base: string): LocalKeys {
    if (graph.localKeys?.base !== base) {
      const keys = new LocalKeys(
        base,
        (rel) => this.entries.get(rel)?.hash ?? 'missing',
        (rel) => this.entries.get(rel)?.imports ?? [],
        (rel) => graph.listed.has(rel),
      );
      graph.localKeys = { base, keys };
    }
    return graph.localKeys.keys;
  }

  private base(input: ProjectInput): string {
    // Besides the source files, the analysis reads the Prisma schema (model names to tables): looked at with the
    // project (view), the last answer between looks. (An analysis that reads a newer one makes it the last answer.)
    const prisma = prismaModels(this.root, Infinity);
    const memo = this.baseMemo;
    if (
      memo &&
      memo.model === input.model &&
      memo.config === input.loaded.config &&
      memo.strict === input.config.strict &&
      memo.prisma === prisma &&
      memo.deployment === input.deployment
    )
      return memo.value;
    const value = stableHash([
      VERSION,
      FORMAT,
      codeStamp(),
      modelHash(input.model),
      input.loaded.config,
      input.config.strict,
      prisma,
      input.deployment ?? null,
    ]);
    const { model, deployment } = input;
    this.baseMemo = { model, config: input.loaded.config, strict: input.config.strict, prisma, deployment, value };
    return value;
  }

  cold(): boolean {
    return this.entries.size === 0 || this.results.size * 2 < this.entries.size;
  }

  /** Verdicts an earlier lint (in this process or one before it) found for the same content; undefined otherwise. */
  cached(input: ProjectInput): Decided | undefined {
    lastWork = { analysed: 0, dropped: 0 };
    if (this.quiet(input)) return { findings: [], sites: [] };
    const deadline = performance.now() + input.budgetMs;
    const view = this.view(input, () => performance.now() > deadline);
    // With a project file unreadable, a cross-file verdict needs the query's caveat.
    if (!('self' in view) || this.unseen(view.self).unseen) return undefined;
    const hit = this.results.get(view.self);
    // The cheap keys first: the whole project's (computed with the view; what a build of the whole project stored every
    // verdict under, as the command line's child does), then the file's own (its imports' closure, computed when
    // asked), and the closure's only for a verdict stored under neither.
    const fresh = hit && (hit.key === view.fullKey || hit.key === view.localKey || hit.key === view.closureKey);
    return fresh ? this.decided(view.self, hit) : undefined;
  }

  /** The whole project's key for the graph and base it was computed for (the same for every saved file of a run). */
  private wholeMemo: { graph: Graph; base: string; key: string } | undefined;

  /**
   * Whether the linted text is a saved file whose verdict, stored under the whole project's key, is nothing: what
   * `cached` then answers through the view, answered without building one. Most files of a project have no database
   * code, and a warm command-line lint's work for each was the view (its closures and keys, a hash of the key's text),
   * not the verdict (performance.md, lint36): here it is the text's hash and three lookups. Only where the view would
   * neither look at the project nor read the index on disk first (not due, no background build, not an editor's
   * process, which reads it per lint); every other case goes through the view, as before.
   */
  private quiet(input: ProjectInput): boolean {
    if (this.lookCostMs !== undefined || this.builder !== undefined || !this.listed || longLivedProcess()) return false;
    if (this.look.due()) return false;
    this.refreshEdited();
    const self = toPosixRelative(this.root, input.file);
    const hit = this.results.get(self);
    if (hit?.json !== NOTHING_JSON) return false;
    const entry = this.entries.get(self);
    const selfHash = textHash(input.text);
    if (entry?.hash !== selfHash) return false;
    const graph = this.currentGraph();
    if (!graph.listed.has(self) || this.unreadable.size > (this.unreadable.has(self) ? 1 : 0)) return false;
    const base = this.base(input);
    let whole = this.wholeMemo;
    if (whole?.graph !== graph || whole.base !== base)
      whole = this.wholeMemo = { graph, base, key: sha(`whole\n${base}\n${graph.digest}`) };
    if (hit.key !== whole.key) return false;
    quietAnswers++;
    return true;
  }

  /** A stored verdict, parsed; a damaged one (not JSON, or not what a report reads) is dropped and counts as a miss. */
  private decided(rel: string, stored: Stored): Decided | undefined {
    // Most files of a project have no database code: their verdict is this text (1,178 of signacare's 1,650 files),
    // answered by comparing it, with no JSON.parse and no shape check per lint.
    if (stored.json === NOTHING_JSON) return { findings: [], sites: [] };
    let parsed: unknown;
    try {
      parsed = JSON.parse(stored.json);
    } catch {
      parsed = undefined;
    }
    if (isDecided(parsed)) return parsed;
    if (this.results.get(rel) === stored) this.results.delete(rel);
    return undefined;
  }

  private store(rel: string, key: string, decided: Decided): void {
    this.results.set(rel, { key, json: JSON.stringify(decided) });
  }

  /**
   * Whether the linted text, as saved, was scanned under `packsKey` and named no pack entry (pack-scan.ts). Only the
   * saved content is remembered (the entry's hash): unsaved text in an editor is scanned, which is one file.
   */
  packFree(file: string, text: string, packsKey: string): boolean {
    const entry = this.entries.get(toPosixRelative(this.root, file));
    return entry !== undefined && entry.packFree === packsKey && entry.hash === textHash(text);
  }

  /** Records that the linted text, when it is the saved one, named no pack entry under `packsKey`. */
  notePackFree(file: string, text: string, packsKey: string): void {
    const entry = this.entries.get(toPosixRelative(this.root, file));
    if (!entry || entry.packFree === packsKey || entry.hash !== textHash(text)) return;
    entry.packFree = packsKey;
    this.dirty = true;
    // On the command line a note only spares the next run a scan, and a run notes most of its files: written once, by
    // the exit hook, not by a write of the whole index every few seconds of the run (a cold lint of signacare wrote its
    // 10 MB index 8 times for them, 290 MB of strings and objects, all of it in the lookups' collections: lint33).
    if (longLivedProcess() || this.saveTimer) this.saveSoon();
    else pending.add(this);
  }

  /**
   * Files this process linted with text other than their saved content (an editor's unsaved buffers), most recent last.
   * An editor saves them, and the next lint of another file should see the save without waiting for the next look at
   * the project, whose interval grows with the project (recheck.ts): each is stat'ed again at every lint.
   */
  private readonly edited = new Set<string>();

  private noteEdited(self: string, selfHash: string): void {
    const entry = this.entries.get(self);
    if (!entry || entry.hash === selfHash) return;
    this.edited.delete(self);
    this.edited.add(self);
    if (this.edited.size > EDITED_KEPT) this.edited.delete(this.edited.values().next().value!);
  }

  private isListed(rel: string): boolean {
    if (this.listSet?.list !== this.list) this.listSet = { list: this.list, set: new Set(this.list) };
    return this.listSet.set.has(rel);
  }

  private refreshEdited(): void {
    if (!this.edited.size) return;
    for (const rel of this.edited) {
      if (!this.isListed(rel)) continue;
      if (this.refresh(rel) === 'read') this.lastView = undefined;
    }
  }

  /** Keeps the verdicts of a file that was decided alone, keyed by it and what it imports. */
  storeLocal(input: ProjectInput, decided: Decided): void {
    // Within the lint's budget: when the look at the project is not done, the verdict is not
    // stored (it was found; storing it only saves a later lint the analysis), and the look
    // goes on at the next lint. Unbounded here, an editor's first lint of a large project
    // read every file of it after `cached` had stopped at the budget.
    const deadline = performance.now() + input.budgetMs;
    const view = this.view(input, () => performance.now() > deadline);
    if (!('self' in view)) return;
    // A linted file the project's listing leaves out (a declaration file, which ESLint lints and the audit does not
    // read) is never saved (save keeps listed files only): storing it marked the index dirty at every lint, and each
    // warm command-line run re-analysed it and rewrote the whole index (5.4 MB on signacare's API) on exit.
    if (!this.isListed(view.self)) return;
    this.store(view.self, view.localKey, decided);
    this.dirty = true;
    this.saveSoon();
  }

  /**
   * Takes in what another process wrote to the index on disk now (the command line's child, once it is done), and lets
   * go of any analysis this process holds (a session, parses): from here on every file of the run is a lookup, and what
   * it holds would only make each of ESLint's garbage collections for the rest of the run dearer.
   */
  takeInDisk(): void {
    this.syncFromDisk();
    this.lastView = undefined;
    this.session = undefined;
    this.parsed.clear();
  }

  query(input: ProjectInput): ProjectOutcome {
    lastWork = { analysed: 0, dropped: 0 };
    const deadline = performance.now() + input.budgetMs;
    const progress = input.progress;
    const late = progress
      ? (): boolean => (progress(), performance.now() > deadline)
      : (): boolean => performance.now() > deadline;
    const view = this.view(input, late);
    if (!('self' in view)) return this.stop(input, view.read, view.total);
    const { self, project, needed } = view;
    const unseen = this.unseen(self);
    const hit = this.results.get(self);
    const current = hit && !input.prepare && (hit.key === view.fullKey || hit.key === view.closureKey);
    const stored = current ? this.decided(self, hit) : undefined;
    if (stored) return { status: 'ready', ...stored, analysed: 0, cached: true, ...unseen };

    // Without a budget (the command line, the background build), a small set is analysed
    // alone (the other files keep the cheaper analysis on ESLint's own AST), but once the
    // sets analysed so far add up to half the project, or this one is most of it, the whole
    // project is analysed once and every file's verdicts kept: the files after it answer from
    // the index instead of each analysing its own overlapping set, so a run costs at most
    // about one and a half audits' analysis, never one per importer set. Within a budget (an
    // editor), only the set the file needs.
    const unbounded = !Number.isFinite(input.budgetMs);
    const whole =
      (unbounded && input.wholeProject === true) ||
      (unbounded && (needed.size * 2 > project.size || (this.closureWork + needed.size) * 2 > project.size));
    if (unbounded && !whole) this.closureWork += needed.size;
    const set = whole ? project : needed;
    const session = this.sessionFor(input, view.base);
    const files = [...set].sort();
    let parsed = 0;
    for (const rel of files) {
      // Files the session holds are not parsed again; only parsing counts against the budget.
      if (rel === self || session.knows(rel, view.hashOf(rel))) continue;
      this.parse(rel);
      parsed++;
      if (late()) return this.stop(input, parsed, set.size);
    }
    const selfSf = input.sf ?? parseSource(input.file, input.text);
    // The flow facts of each file count against the budget too (the session keeps those done,
    // so the next lint goes on from there); settling the verdicts at the end does not.
    const result = session.analyse({
      files,
      current: (rel) => {
        if (rel === self) return { hash: view.selfHash, sf: () => selfSf };
        const entry = this.entries.get(rel);
        return entry ? { hash: entry.hash, sf: () => this.parse(rel) } : undefined;
      },
      // A partial set decides only the linted file: the others' callers may lie outside it.
      ...(whole ? {} : { report: new Set([self]) }),
      late,
    });
    lastWork = { analysed: session.lastAnalysed.length, dropped: session.lastDropped.length };
    if (!result) return this.stop(input, session.knownOf(files), set.size);
    const byFile = new Map<string, Decided>();
    const of = (file: string): Decided => byFile.get(file) ?? byFile.set(file, { findings: [], sites: [] }).get(file)!;
    for (const f of result.findings) of(f.file).findings.push(f);
    for (const site of result.sites) of(site.file).sites.push(site);
    // A partial set decides only the linted file: the others' callers may lie outside it.
    if (!input.prepare) {
      for (const rel of whole ? set : [self]) this.store(rel, whole ? view.fullKey : view.closureKey, of(rel));
      this.dirty = true;
      this.saveSoon();
    }
    const analysed = session.lastAnalysed.length;
    // On the command line every file's verdicts are now stored: the session (every file's parse and facts, a gigabyte
    // on a 300 KLOC project) would only make each of ESLint's garbage collections for the rest of the run dearer. An
    // editor keeps it for the next edit.
    if (whole && unbounded && !longLivedProcess()) {
      this.session = undefined;
      this.parsed.clear();
    }
    const incomplete = result.incomplete.filter((g) => g.file === self);
    return { status: 'ready', ...of(self), analysed, cached: false, ...unseen, incomplete };
  }

  /**
   * Whether the analysis session holds every file the linted file's cross-file verdicts need, the file itself aside,
   * for the same model, config and file list: a query then parses nothing and analyses only the file and the files
   * whose facts read it (an editor's re-lint after an edit). Within the lint's budget, like `cached`.
   */
  warm(input: ProjectInput, analysed = false): boolean {
    const kept = this.session;
    if (!kept || kept.list !== this.list || kept.analysis.worn) return false;
    const deadline = performance.now() + input.budgetMs;
    const view = this.view(input, () => performance.now() > deadline);
    if (!('self' in view) || view.base !== kept.base) return false;
    // `analysed`: the files' facts too, not only their parses (what an idle moment's preparation makes sure of).
    const holds = (rel: string): boolean =>
      analysed ? kept.analysis.analysed(rel, view.hashOf(rel)) : kept.analysis.knows(rel, view.hashOf(rel));
    for (const rel of view.needed) if (rel !== view.self && !holds(rel)) return false;
    return true;
  }

  /** The analysis session for this model, config and file list (a new one when any changed, or it is worn). */
  private sessionFor(input: ProjectInput, base: string): AnalysisSession {
    const kept = this.session;
    if (kept && kept.base === base && kept.list === this.list && !kept.analysis.worn) return kept.analysis;
    const analysis = new AnalysisSession({
      root: this.root,
      host: new FileSystemSourceHost([], input.loaded.config.libraries, input.loaded.config.maxFileBytes),
      model: input.model,
      config: input.config,
      wholeProgram: true,
      // The per-fact dependency graph only where edits come (session.ts): not in a CLI run.
      track: longLivedProcess,
    });
    this.session = { base, list: this.list, analysis };
    return analysis;
  }

  /**
   * The project files that exist but cannot be read: callers the analysis cannot see, so the
   * linted file's cross-file verdicts may be better than they are (the audit lists them as incomplete).
   */
  private unseen(self: string): { unseen?: string } {
    const files = [...this.unreadable].filter(([rel]) => rel !== self);
    if (!files.length) return {};
    const [rel, why] = files[0]!;
    return {
      unseen: `${rel} cannot be read ` +
        `(${why})${files.length > 1 ? ` and neither can ${files.length - 1} other project file(s)` : ''}`,
    };
  }

  /** The digest of every listed file's hash and who imports whom: recomputed only after a change. */
  private currentGraph(): Graph {
    if (this.graph) return this.graph;
    const listed = new Set(this.list);
    const importers = new Map<string, string[]>();
    const lines: string[] = [];
    const registering: [string, string[]][] = [];
    const edge = (to: string, from: string): void => {
      (importers.get(to) ?? importers.set(to, []).get(to)!).push(from);
    };
    for (const rel of [...listed].sort()) {
      const entry = this.entries.get(rel);
      lines.push(`${rel}\0${entry?.hash ?? 'missing'}`);
      for (const to of entry?.imports ?? []) edge(to, rel);
      if (entry?.globs) registering.push([rel, entry.globs]);
    }
    // A file registering others by a glob reaches them as an importer does (glob-edges.ts).
    // Each file's `.js` name once, not once per literal.
    const targets = registering.length ? [...listed].map((to) => [to, jsNameOf(to)] as const) : [];
    for (const [from, globs] of registering)
      for (const [to, js] of targets) if (to !== from && globs.some((g) => globMayMatch(g, to, js))) edge(to, from);
    return (this.graph = { listed, importers, digest: sha(lines.join('\n')) });
  }

  private stop(input: ProjectInput, read: number, total = this.list.length): ProjectOutcome {
    if (input.prepare) return { status: 'building', read, total };
    this.save();
    const key = this.buildInBackground(input);
    const failed = this.buildFailures.get(key);
    return failed ? { status: 'building', read, total, builderFailed: failed } : { status: 'building', read, total };
  }

  /**
   * Past the budget, a detached child process finishes the work (the same query without a
   * budget, with the linted text) and writes it to the index on disk, where the next lint
   * finds it: the editor is never blocked by a large project. At most one per file content
   * a minute.
   */
  private buildInBackground(input: ProjectInput): string {
    const key = `${input.file}\0${sha(input.text)}`;
    const started = this.builds.get(key);
    if (started !== undefined && performance.now() - started < 60_000) return key;
    // One build at a time: an editor lints a new text after every edit, and a build per text
    // would run as many whole-project analyses side by side. The lints go on within their
    // budget meanwhile (the analysis session keeps their progress).
    if (this.builder !== undefined && runningBuilds().includes(this.builder)) return key;
    this.builds.set(key, performance.now());
    this.builder = startBuilder({ file: input.file, text: input.text, strict: input.config.strict }, (why) => {
      this.buildFailures.set(key, why);
      // Tried again after the minute; meanwhile the lints go on within their budget.
    });
    return key;
  }

  private relist(loaded: LoadedConfig): void {
    const walked = walkFiles(
      [this.root],
      { extensions: SOURCE_EXTENSIONS, ignore: loaded.config.ignore ?? [] },
      this.root,
    );
    const list = walked.files
      .filter((f) => SOURCE_EXTENSIONS.some((e) => f.endsWith(e)))
      .map((f) => toPosixRelative(this.root, f));
    this.listed = true;
    // The same array while the list is the same: the analysis session is kept for it.
    if (list.join('\n') === this.list.join('\n')) return;
    this.graph = this.lastView = undefined;
    this.list = list;
  }

  /**
   * Brings one file's entry up to date: 'read' when it had to be read, false when it cannot be (the walker skips it
   * too).
   */
  private refresh(rel: string): 'known' | 'read' | false {
    const abs = path.join(this.root, rel);
    let st: fs.Stats;
    try {
      st = fs.statSync(abs);
    } catch {
      this.unreadable.delete(rel);
      if (this.entries.delete(rel)) this.graph = undefined;
      return false;
    }
    const known = this.entries.get(rel);
    if (known && known.mtimeMs === st.mtimeMs && known.size === st.size) return 'known';
    const read = readSource(abs);
    if (!read.ok) {
      this.unreadable.set(rel, read.reason);
      if (this.entries.delete(rel)) this.graph = undefined;
      return false;
    }
    this.unreadable.delete(rel);
    const globs = globLiterals(read.text);
    this.entries.set(rel, {
      mtimeMs: st.mtimeMs,
      size: st.size,
      hash: sha(read.text),
      imports: this.importsOf(abs, read.text),
      ...(globs.length ? { globs } : {}),
    });
    this.dirty = true;
    this.graph = undefined;
    return 'read';
  }

  /** Module edges (imports, re-exports, require, import()): module-references.ts. */
  private importsOf(abs: string, text: string): string[] {
    const out = new Set<string>();
    for (const specifier of moduleReferences(abs, text)) {
      // The scanner's specifier is a slice of the file's text: as a key of the resolution caches (this host's and
      // TypeScript's) it held the whole text of every scanned file for the process's life (17 MB on signacare's
      // workspace, relint25). A copy of its own is kept instead.
      const target = this.host.resolveModule(abs, ownCopy(specifier));
      if (target) out.add(toPosixRelative(this.root, target));
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
    const sf = pooledParse(abs, read.text);
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
      if (data?.format !== FORMAT || data.version !== VERSION) return;
      // Only well-formed entries: a damaged file (a crash mid-write by another tool, an edit)
      // must cost a rebuild of what it lost, never a wrong verdict or a crash in a rule.
      for (const [rel, entry] of Object.entries(data.files ?? {})) {
        if (!isEntry(entry)) continue;
        if (!this.entries.has(rel)) {
          this.entries.set(rel, entry);
          this.graph = this.lastView = undefined;
        }
      }
      for (const [rel, stored] of Object.entries(data.results ?? {}))
        if (isStored(stored) && (!this.results.has(rel) || this.results.get(rel)!.key !== stored.key))
          // One string for every "nothing here" verdict (most files), not one copy each from the parse.
          this.results.set(rel, stored.json === NOTHING_JSON ? { key: stored.key, json: NOTHING_JSON } : stored);
    } catch {
      // no index yet, or an unreadable one: build afresh
    }
  }

  /**
   * Writes the index after the current burst of lints (a CLI run stores a verdict per file:
   * one write, not one per file). The timer does not keep the process alive, so the exit
   * hook writes what is left. On the command line a burst is the whole run, and each write is the whole index (5 MB on
   * a 1,600-file project): written again no sooner than 50 times what the last write took, where every 500 ms cost a
   * cold lint 2 s of CPU (performance.md, tenth session). An editor's burst is the edits that follow one another:
   * the index is written once they pause for EDITOR_WRITE_PAUSE_MS (each lint of an edit stores the verdict of its
   * text, and a write every half second while the user typed was a whole index made and written per edit, some 10 ms
   * of CPU and a string of 5 MB straight into the old generation each time, in the next edit's lint when it came).
   */
  private saveSoon(): void {
    const waits = longLivedProcess();
    if (this.saveTimer) {
      if (!waits) return;
      clearTimeout(this.saveTimer);
    }
    const delay = waits ? EDITOR_WRITE_PAUSE_MS : Math.max(500, 50 * this.lastSaveMs);
    this.saveTimer = setTimeout(() => this.save(), delay);
    this.saveTimer.unref();
    pending.add(this);
  }

  save(): void {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    pending.delete(this);
    // Never listed: what it would write is filtered by an empty list (a note made before any look at the project).
    if (!this.dirty || !this.listed) return;
    this.dirty = false;
    const started = performance.now();
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
    this.lastSaveMs = performance.now() - started;
    chores.writes++;
  }

  /** What the last write of the index took (wall ms): the command line's interval between writes grows with it. */
  private lastSaveMs = 0;
}

/**
 * The files whose analysis decides `start`'s verdicts: everything that imports it,
 * transitively (its callers, and theirs), then everything those import (the helpers).
 */
export function reachable(
  start: string,
  importsOf: (rel: string) => string[],
  project: ReadonlySet<string>,
  known?: ReadonlyMap<string, readonly string[]>,
): Set<string> {
  let importers = known;
  if (!importers) {
    const built = new Map<string, string[]>();
    for (const rel of project) for (const to of importsOf(rel)) (built.get(to) ?? built.set(to, []).get(to)!).push(rel);
    importers = built;
  }
  const walk = (from: Iterable<string>, next: (rel: string) => readonly string[]): Set<string> => {
    const seen = new Set(from);
    const queue = [...seen];
    while (queue.length)
      for (const n of next(queue.pop()!)) if (project.has(n) && !seen.has(n)) (seen.add(n), queue.push(n));
    return seen;
  };
  return walk(walk([start], (r) => importers.get(r) ?? []), importsOf);
}

function isEntry(x: unknown): x is Entry {
  const e = x as Entry;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof e.mtimeMs === 'number' &&
    typeof e.size === 'number' &&
    typeof e.hash === 'string' &&
    Array.isArray(e.imports) &&
    e.imports.every((i) => typeof i === 'string') &&
    (e.packFree === undefined || typeof e.packFree === 'string') &&
    (e.globs === undefined || (Array.isArray(e.globs) && e.globs.every((g) => typeof g === 'string')))
  );
}

const NUMBERS = ['line', 'column', 'endLine', 'endColumn'] as const;

/** The stored verdict of a file with nothing to report and no write site, as `store` writes it. */
export const NOTHING_JSON = JSON.stringify({ findings: [], sites: [] } satisfies Decided);

function isStored(x: unknown): x is Stored {
  const s = x as Stored;
  return typeof s === 'object' && s !== null && typeof s.key === 'string' && typeof s.json === 'string';
}

/** A stored verdict the rules can report as it is: every field a report reads, of its type. */
function isDecided(x: unknown): x is Decided {
  const s = x as Decided;
  if (typeof s !== 'object' || s === null || !Array.isArray(s.findings) || !Array.isArray(s.sites)) return false;
  return s.findings.every(
    (f) =>
      typeof f === 'object' &&
      f !== null &&
      typeof f.ruleId === 'string' &&
      typeof f.messageId === 'string' &&
      typeof f.file === 'string' &&
      NUMBERS.every((k) => Number.isInteger(f[k]) && f[k] > 0),
  );
}

/** In an editor's process, the index is written once the lints that store verdicts pause this long (wall ms). */
export const EDITOR_WRITE_PAUSE_MS = 2000;

/** How many edited files (unsaved text linted) are stat'ed again at each lint. */
const EDITED_KEPT = 32;

let lastText: string | undefined;
let lastTextHash = '';

/**
 * The content hash of a linted text, once per text: the index's lookup and the pack scan's both ask for it (the same
 * string, so the comparison is by reference).
 */
export function textHash(text: string): string {
  if (text !== lastText) {
    lastTextHash = sha(text);
    lastText = text;
  }
  return lastTextHash;
}

const indexes = new Map<string, ProjectIndex>();
let lastWork = { analysed: 0, dropped: 0 };

/** What the last query of an index analysed (files whose facts it computed) and dropped (the bench reports it). */
export function lastIndexWork(): { analysed: number; dropped: number } {
  return lastWork;
}
/** The looks at the project and the model, and the writes of the index, so far (recheck.ts `chores`): a copy. */
export function indexChores(): { looks: number; models: number; writes: number } {
  return { ...chores };
}
/** Lookups answered as a quiet saved file, without a view (tests: a warm lint of files without writes builds none). */
let quietAnswers = 0;
export function quietAnswerCount(): number {
  return quietAnswers;
}
/** How many times a linted file's closure was walked (tests: an edit that keeps the imports walks none). */
let closureWalks = 0;
export function closureWalkCount(): number {
  return closureWalks;
}
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
export function cachedFindings(input: ProjectInput): Decided | undefined {
  return indexFor(input.loaded.dir).cached(input);
}

/** Whether the pack scan of this saved text found nothing under `packsKey` (see ProjectIndex.packFree). */
export function packFreeText(root: string, file: string, text: string, packsKey: string): boolean {
  return indexFor(root).packFree(file, text, packsKey);
}

/** Records that the pack scan of this text found nothing under `packsKey`, when the text is the file's saved one. */
export function notePackFreeText(root: string, file: string, text: string, packsKey: string): void {
  indexFor(root).notePackFree(file, text, packsKey);
}

/**
 * Whether the project's index on disk is cold: no files, or verdicts for under half of them (the command line then
 * builds it in a child process, cli-build.ts). What this process's index holds counts too.
 */
export function projectIndexCold(root: string): boolean {
  return indexFor(root).cold();
}

/** Takes in the index on disk now: what the command line's child build wrote. */
export function takeInProjectIndex(root: string): void {
  indexFor(root).takeInDisk();
}

/**
 * A copy of `text` that shares no storage with the string it was sliced from (V8 slices strings of 13 characters or
 * more by reference; JSON's round trip keeps lone surrogates).
 */
export function ownCopy(text: string): string {
  return text.length < 13 ? text : (JSON.parse(JSON.stringify(text)) as string);
}

/** Whether the project's analysis session holds every file the linted file's verdicts need (ProjectIndex.warm). */
export function projectWarm(input: ProjectInput, analysed = false): boolean {
  return indexFor(input.loaded.dir).warm(input, analysed);
}

/**
 * One step of making the analysis session hold what the linted file's verdicts need, within `input.budgetMs` (an
 * editor's idle moment: lint-analysis.ts `prepareAhead`): true once it does (or the project cannot be analysed for it),
 * false when the budget ran out first. What the last lint's query did (`lastIndexWork`) is left as it was.
 */
export function prepareProjectSession(input: ProjectInput): boolean {
  const work = lastWork;
  try {
    return indexFor(input.loaded.dir).query({ ...input, prepare: true }).status === 'ready';
  } finally {
    lastWork = work;
  }
}

/** Keeps the findings of a file decided alone (no site other files could change). */
export function storeLocalFindings(input: ProjectInput, decided: Decided): void {
  indexFor(input.loaded.dir).storeLocal(input, decided);
}

/**
 * Where the index of a project is cached on disk (docs/eslint.md tells users how to clear
 * it): beside the migration replays, or where RLS_GUARD_INDEX_DIR says (a read-only
 * checkout, a measurement that must not write into the project).
 */
export function indexCacheDir(root: string): string {
  return process.env.RLS_GUARD_INDEX_DIR ? path.resolve(process.env.RLS_GUARD_INDEX_DIR) : cacheDir(root);
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
