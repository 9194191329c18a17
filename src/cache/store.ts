import fs from 'node:fs';
import path from 'node:path';
import type { CoreFinding, CoreSite, SourceGap } from '../analysis/index.js';
import type { RuleFinding } from '../report/rule-finding.js';
import type { Suppression } from '../report/suppressions.js';
import { sha } from '../files/code-stamp.js';
import { CONTAINER, knownState, stateOf, type ModuleGraph } from './graph.js';
import { appendChange, readJournal, shouldFold, writeSnapshot, type Journal } from './journal.js';
import { removeLegacy } from './inputs.js';

// The audit cache on disk: per file, its results and the files they were computed from.
// One JSON file per audited root, holding the key it was written under (tool build, config,
// RLS model, …): a different key discards it whole. An entry is reused only when its file
// and every file it depends on are unchanged (see validEntries).

// 2: findings are rule facts (message ids, data) before suppressions, kept with the file's suppression comments.
// 3: a journal (journal.ts): a snapshot line, then one line per run of what it changed.
const FORMAT = 3;

/** Everything the audit reports about one file, as the analysis of a whole program left it. */
export interface FileResult {
  sites: CoreSite[];
  findings: CoreFinding[];
  gaps: SourceGap[];
  settings: string[];
  /** Some write waited for its callers or roots: its results depend on who imports the file. */
  pending: boolean;
  /** The pack pass's findings in this file (before suppressions), its gaps. */
  packFindings: RuleFinding[];
  /** The file's `// rls-guard-ignore-next-line` comments: the report applies them to every pass's findings. */
  suppressions: Suppression[];
  packGaps: { message: string; incomplete?: boolean }[];
  otherDatabase?: string;
  /** The file could not be parsed: the reason (a diagnostic and a gap), and nothing else. */
  parseError?: string;
  /**
   * The run that computed it read the NestJS container: its results depend on the files that declare providers
   * (ModuleGraph.containerFiles) and what they import, besides its own imports.
   */
  container?: boolean;
  /**
   * The container it read held nothing, with every file it is read from in the run (or known to hold nothing since):
   * no file is needed as its context, and only a changed or new file that may declare something (CONTAINER among its
   * imports) can change its answer (src/cache/incremental.ts sets it only when that evidence holds).
   */
  containerEmpty?: boolean;
}

interface Entry {
  hash: string;
  result: FileResult;
  /**
   * Indexes into `groups`: the files its results were computed from; for a pending file, also the ones that import it
   * (its callers).
   */
  deps: number;
  callers?: number;
  /** For a result whose run read the NestJS container: the files it is read from and what they import (one group). */
  container?: number;
}

interface Persisted {
  format: number;
  key: string;
  /**
   * What module resolution depended on (the file list, tsconfig and package.json files): cached edges hold while it
   * does.
   */
  resolution: string;
  paths: string[];
  /** Per path index: its state (content and imports) when written. */
  states: string[];
  /** Per path: the content hash its import edges were read from, and the edges. */
  imports: Record<string, { hash: string; to: string[] }>;
  groups: number[][];
  files: Record<string, Entry>;
}

/**
 * One run's changes to the snapshot, written while the list of files is the snapshot's: states and import edges of the
 * files that changed, groups added (by their index), entries set or dropped (null).
 */
interface Change {
  resolution?: string;
  states?: Record<string, string>;
  imports?: Record<string, { hash: string; to: string[] }>;
  groups?: Record<string, number[]>;
  files?: Record<string, Entry | null>;
}

export interface CacheStats {
  /** Files whose results came from the cache. */
  reused: number;
  /** Files analysed this run for their own results. */
  analysed: number;
  /** Files analysed only because those needed them. */
  context: number;
  /**
   * Files whose flow was walked: the analysed and context files, or only the analysed ones when none of them has a
   * write waiting on callers (the context files are then read as their imports: src/cache/incremental.ts).
   */
  walked?: number;
}

/** The file the audit's cache of `root` is kept in, under the cache folder `dir`. */
export function auditCacheFile(dir: string, root: string): string {
  return path.join(dir, `audit-${sha(root).slice(0, 16)}.jsonl`);
}

export class AuditCache {
  private data: Persisted | undefined;
  private readonly file: string;
  /** Nothing changed since the cache was written and every entry held: no need to write it again. */
  private untouched = false;
  /**
   * Entries found valid: every file in their groups is unchanged (content and imports), and no changed file imports
   * their callers, so the groups worked out anew would be the same; saving copies them instead of walking the graph
   * once per file again.
   */
  private readonly kept = new Map<string, Entry>();
  private journal: Journal<Persisted, Change> | undefined;

  constructor(
    dir: string,
    root: string,
    private readonly key: string,
    private readonly resolution: string,
  ) {
    this.file = auditCacheFile(dir, root);
    try {
      const journal = readJournal<Persisted, Change>(this.file);
      const data = journal?.snapshot;
      if (
        data &&
        data.format === FORMAT &&
        data.key === key &&
        Array.isArray(data.paths) &&
        Array.isArray(data.states) &&
        Array.isArray(data.groups) &&
        data.files &&
        typeof data.files === 'object'
      ) {
        for (const change of journal.changes) applyChange(data, change);
        this.data = data;
        this.journal = journal;
      }
    } catch {
      // no cache yet, or one that cannot be read: everything is analysed
    }
  }

  /**
   * Whether the file's writes waited for callers when it was last analysed (a guess of what it needs, checked after the
   * analysis).
   */
  wasPending(rel: string): boolean {
    return this.data?.files[rel]?.result.pending ?? false;
  }

  /** Whether the run that last analysed the file read the NestJS container (a guess, checked after the analysis). */
  readContainer(rel: string): boolean {
    const result = this.data?.files[rel]?.result;
    return !!result?.container && !result.containerEmpty;
  }

  /**
   * Whether the container the file's last run read held nothing, and no file that may declare providers changed
   * since: it still holds nothing, whichever files a run of this one includes.
   */
  containerStillEmpty(rel: string): boolean {
    const result = this.data?.files[rel]?.result;
    return !!result?.container && !!result.containerEmpty && !this.containerChanged;
  }

  /** A changed or new file may declare providers (set by check; true until a check says otherwise). */
  private containerChanged = true;

  /** Import edges recorded for this content, while resolution's inputs are unchanged. */
  knownImports(rel: string, hash: string): string[] | undefined {
    const d = this.data;
    if (!d || d.resolution !== this.resolution) return undefined;
    const known = d.imports?.[rel];
    return known?.hash === hash && Array.isArray(known.to) && known.to.every((t) => typeof t === 'string')
      ? known.to
      : undefined;
  }

  /**
   * The cached results still valid against the current graph: the file's content is the same,
   * no file its results were computed from changed (content or imports) or disappeared, and,
   * for a file whose writes waited for callers, no changed or new file now imports one of the
   * files that could call it.
   */
  valid(graph: ModuleGraph): Map<string, FileResult> {
    try {
      return this.check(graph);
    } catch {
      // A cache file of the right key but the wrong shape (edited, truncated by hand): none of it is used.
      this.data = undefined;
      return new Map();
    }
  }

  private check(graph: ModuleGraph): Map<string, FileResult> {
    const out = new Map<string, FileResult>();
    const d = this.data;
    if (!d) return out;
    const before = new Map(d.paths.map((p, i) => [p, d.states[i]]));
    const current = new Map<string, string>();
    for (const [rel, node] of graph.nodes) {
      // A node whose edges are the very list the cache recorded (knownImports: same content, same resolution) has the
      // state recorded with them: states and edges are written from the same node, and changed together.
      const recorded = d.imports?.[rel];
      const state = before.get(rel);
      if (recorded && recorded.to === node.imports && recorded.hash === node.hash && typeof state === 'string')
        knownState(node, state);
      current.set(rel, stateOf(node));
    }
    // Changed, new or removed: a few files after a small edit.
    const changed = new Set<string>();
    for (const [rel, state] of current) if (before.get(rel) !== state) changed.add(rel);
    for (const rel of before.keys()) if (!current.has(rel)) changed.add(rel);
    // Files a changed or new file imports: a new caller of theirs may have appeared.
    const newlyImported = new Set<string>();
    for (const rel of changed) for (const to of graph.nodes.get(rel)?.imports ?? []) newlyImported.add(to);
    // A changed or new file that may declare providers: every result that read the container may read it differently
    // (one that declared them before and changed is in those results' dependencies already).
    const containerChanged = newlyImported.has(CONTAINER);
    this.containerChanged = containerChanged;
    // By index into the paths the groups name: a group (369,000 indexes in all on a 525 KLOC repository) is checked
    // with an array read per member instead of a path looked up in a set. An index the paths do not have reads
    // undefined: not intact, as a missing path was.
    const changedAt = new Uint8Array(d.paths.length);
    const importedAt = new Uint8Array(d.paths.length);
    for (let i = 0; i < d.paths.length; i++) {
      if (changed.has(d.paths[i]!)) changedAt[i] = 1;
      if (newlyImported.has(d.paths[i]!)) importedAt[i] = 1;
    }
    const groupOk = new Map<number, boolean>();
    const intact = (g: number): boolean => {
      let ok = groupOk.get(g);
      if (ok === undefined) groupOk.set(g, (ok = (d.groups[g] ?? [-1]).every((i) => changedAt[i] === 0)));
      return ok;
    };
    const calledAnew = new Map<number, boolean>();
    const touched = (g: number): boolean => {
      if (newlyImported.size === 0) return false;
      let hit = calledAnew.get(g);
      if (hit === undefined) calledAnew.set(g, (hit = (d.groups[g] ?? []).some((i) => importedAt[i] === 1)));
      return hit;
    };
    for (const [rel, entry] of Object.entries(d.files)) {
      if (graph.nodes.get(rel)?.hash !== entry.hash || !intact(entry.deps)) continue;
      if (entry.callers !== undefined && (!intact(entry.callers) || touched(entry.callers))) continue;
      const groupGone = entry.container === undefined || !intact(entry.container);
      if (entry.result?.container && (containerChanged || (!entry.result.containerEmpty && groupGone))) continue;
      if (!wellFormed(entry.result)) throw new Error(`malformed cache entry for ${rel}`);
      out.set(rel, entry.result);
      this.kept.set(rel, entry);
    }
    this.untouched = changed.size === 0 && d.resolution === this.resolution && out.size === Object.keys(d.files).length;
    return out;
  }

  /**
   * Writes the results valid now: those reused and those just computed, each with the files
   * it depends on. Entries that are neither (a shard's other files) are dropped: their
   * dependencies were not checked this run.
   */
  save(graph: ModuleGraph, results: ReadonlyMap<string, FileResult>): void {
    if (this.untouched && results.size === Object.keys(this.data?.files ?? {}).length) return;
    const paths = [...graph.nodes.keys()].sort();
    if (this.appendChanges(graph, paths, results)) return;
    this.writeAll(graph, paths, results);
  }

  /**
   * When the files are those of the snapshot, appends what this run changed: the states and edges of changed files, the
   * entries computed anew with their groups (new indexes after the last), the entries dropped. Kept entries keep their
   * groups as they are. False when a new snapshot is due instead (other files, no journal, or changes that outgrew it).
   */
  private appendChanges(graph: ModuleGraph, paths: string[], results: ReadonlyMap<string, FileResult>): boolean {
    const before = this.data;
    const journal = this.journal;
    if (!before || !journal || before.paths.length !== paths.length || !before.paths.every((p, i) => p === paths[i]))
      return false;
    const change: Change = {};
    if (before.resolution !== this.resolution) change.resolution = this.resolution;
    const index = new Map(paths.map((p, i) => [p, i]));
    for (let i = 0; i < paths.length; i++) {
      const node = graph.nodes.get(paths[i]!)!;
      const state = stateOf(node);
      if (before.states[i] !== state) (change.states ??= Object.create(null) as Record<string, string>)[i] = state;
      const edges = before.imports?.[paths[i]!];
      if (!edges || edges.hash !== node.hash || !sameList(edges.to, node.imports))
        (change.imports ??= Object.create(null) as NonNullable<Change['imports']>)[paths[i]!] = {
          hash: node.hash,
          to: node.imports,
        };
    }
    let nextGroup = before.groups.length;
    const group = (members: Set<string>): number => {
      const list = [...members]
        .map((m) => index.get(m))
        .filter((i): i is number => i !== undefined)
        .sort((a, b) => a - b);
      (change.groups ??= Object.create(null) as Record<string, number[]>)[nextGroup] = list;
      return nextGroup++;
    };
    let containerGroup: number | undefined;
    const container = (result: FileResult): { container?: number } =>
      result.container && !result.containerEmpty
        ? { container: (containerGroup ??= group(graph.containerClosure())) }
        : {};
    const files = Object.create(null) as Record<string, Entry | null>;
    let anyFile = false;
    for (const [rel, result] of results) {
      const node = graph.nodes.get(rel);
      if (!node) continue;
      const old = this.kept.get(rel);
      if (old && old.result === result && before.files[rel] === old) continue;
      anyFile = true;
      files[rel] = newEntry(graph, rel, node.hash, result, group, container);
    }
    for (const rel of Object.keys(before.files))
      if (!results.has(rel) || !graph.nodes.has(rel)) {
        files[rel] = null;
        anyFile = true;
      }
    if (anyFile) change.files = files;
    if (Object.keys(change).length === 0) return true;
    const line = JSON.stringify(change);
    if (shouldFold(journal, line.length + 1)) return false;
    appendChange(this.file, change);
    return true;
  }

  /** A new snapshot of the results valid now: groups numbered afresh, unused ones left out. */
  private writeAll(graph: ModuleGraph, paths: string[], results: ReadonlyMap<string, FileResult>): void {
    const index = new Map(paths.map((p, i) => [p, i]));
    const groups: number[][] = [];
    const groupIds = new Map<string, number>();
    const group = (members: Set<string>): number => {
      const list = [...members]
        .map((m) => index.get(m))
        .filter((i): i is number => i !== undefined)
        .sort((a, b) => a - b);
      const id = list.join(',');
      let g = groupIds.get(id);
      if (g === undefined) {
        groupIds.set(id, (g = groups.length));
        groups.push(list);
      }
      return g;
    };
    let containerGroup: number | undefined;
    const container = (result: FileResult): { container?: number } =>
      result.container && !result.containerEmpty
        ? { container: (containerGroup ??= group(graph.containerClosure())) }
        : {};
    const files: Record<string, Entry> = {};
    const before = this.data;
    // A kept entry's group is carried over once per group, not once per entry: thousands of
    // entries share a few large groups (the importers of a helper waiting for its callers).
    // When the list of files is the one written before, a group's indexes are unchanged and it is
    // copied as it is (not looked up by its members: a carried group may then repeat a new one,
    // which costs space, never a wrong entry).
    const samePaths =
      !!before && before.paths.length === paths.length && before.paths.every((p, i) => p === paths[i]);
    const carried = new Map<number, number>();
    const carry = (g: number): number => {
      let to = carried.get(g);
      if (to === undefined) {
        if (samePaths) to = groups.push(before.groups[g] ?? []) - 1;
        else to = group(new Set((before?.groups[g] ?? []).map((i) => before!.paths[i]!)));
        carried.set(g, to);
      }
      return to;
    };
    for (const [rel, result] of results) {
      const node = graph.nodes.get(rel);
      if (!node) continue;
      const old = this.kept.get(rel);
      if (old && old.result === result) {
        files[rel] = {
          hash: node.hash,
          result,
          deps: carry(old.deps),
          ...(old.callers !== undefined ? { callers: carry(old.callers) } : {}),
          ...(old.container !== undefined ? { container: carry(old.container) } : {}),
        };
      } else files[rel] = newEntry(graph, rel, node.hash, result, group, container);
    }
    const data: Persisted = {
      format: FORMAT,
      key: this.key,
      resolution: this.resolution,
      paths,
      states: paths.map((p) => stateOf(graph.nodes.get(p)!)),
      imports: Object.fromEntries(
        paths.map((p) => [p, { hash: graph.nodes.get(p)!.hash, to: graph.nodes.get(p)!.imports }]),
      ),
      groups,
      files,
    };
    writeSnapshot(this.file, data);
    removeLegacy(this.file);
  }
}

/** One run's changes applied to the snapshot read (the list of files is the snapshot's). */
function applyChange(data: Persisted, change: Change): void {
  if (!change || typeof change !== 'object') return;
  if (typeof change.resolution === 'string') data.resolution = change.resolution;
  for (const [i, state] of Object.entries(change.states ?? {})) data.states[Number(i)] = state;
  if (change.imports) data.imports = Object.assign(data.imports ?? {}, change.imports);
  for (const [g, members] of Object.entries(change.groups ?? {})) data.groups[Number(g)] = members;
  for (const [rel, entry] of Object.entries(change.files ?? {})) {
    if (entry === null) delete data.files[rel];
    else data.files[rel] = entry;
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  // The same list when the graph reused the recorded edges (knownImports): most files of a warm run.
  return a === b || (Array.isArray(a) && a.length === b.length && a.every((x, i) => x === b[i]));
}

/**
 * The arrays the report is assembled from are arrays: enough for a malformed file to be dropped rather than crash the
 * audit.
 */
/**
 * A result's entry with what it depends on: its import closure, or for a result whose writes wait on callers, its
 * importers (callers import what they call) and what they import (what they pass comes from there).
 */
function newEntry(
  graph: ModuleGraph,
  rel: string,
  hash: string,
  result: FileResult,
  group: (members: Set<string>) => number,
  container: (result: FileResult) => { container?: number },
): Entry {
  if (!result.pending) return { hash, result, deps: group(graph.importClosure([rel])), ...container(result) };
  const callers = graph.importerClosure([rel]);
  return { hash, result, deps: group(graph.importClosure(callers)), callers: group(callers), ...container(result) };
}

function wellFormed(r: FileResult | undefined): boolean {
  return (
    !!r &&
    typeof r === 'object' &&
    [r.sites, r.findings, r.gaps, r.settings, r.packFindings, r.suppressions, r.packGaps].every(Array.isArray)
  );
}
