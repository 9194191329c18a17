import type { FileResult } from './store.js';
import type { AuditCache, CacheStats } from './store.js';
import type { ModuleGraph } from './graph.js';

// Which files to analyse, and with which others, so that the wanted files' results are what
// a whole-program analysis of everything gives them. A file decided on its own needs what it
// imports (transitively); a file with a write waiting for its callers needs every file that
// can call it (those that import it, transitively) and what those import. The analysis runs
// on that set; a file whose writes turn out to wait for callers when that was not expected
// widens the set and runs again (at most twice; then everything). A file whose analysis reads the NestJS container
// (what a constructor parameter injected by token is) also needs the files the container is read from: the modules
// declaring providers, which import the service rather than the other way round (graph.ts, CONTAINER), and what they
// import. Its last run says whether it did; a run that reads the container without them widens the set the same way.

/** Past this share of the files, one run over all of them (every file walked) is cheaper than working out less. */
const MOST = 0.6;

export interface IncrementalInput<F extends { rel: string }> {
  files: readonly F[];
  /** The files whose results are wanted (all of them unless sharded or scoped). */
  targets: ReadonlySet<string>;
  graph: ModuleGraph;
  cache: AuditCache | undefined;
  /** `walkOnlyWanted`: only the wanted files' flow is walked, the others read as their imports. */
  analyse: (files: readonly F[], want: ReadonlySet<string>, walkOnlyWanted: boolean) => Map<string, FileResult>;
}

export interface IncrementalOutput {
  results: Map<string, FileResult>;
  /** Every result valid after this run (reused and computed), for the cache. */
  valid: Map<string, FileResult>;
  stats: CacheStats;
}

export function incremental<F extends { rel: string }>(input: IncrementalInput<F>): IncrementalOutput {
  const { graph, targets } = input;
  const listed = new Set(input.files.map((f) => f.rel));
  const valid = input.cache?.valid(graph) ?? new Map<string, FileResult>();
  for (const rel of valid.keys()) if (!listed.has(rel)) valid.delete(rel);
  const need = new Set([...targets].filter((rel) => !valid.has(rel)));
  const stats: CacheStats = { reused: targets.size - need.size, analysed: 0, context: 0 };
  const results = new Map<string, FileResult>();
  for (const rel of targets) if (valid.has(rel)) results.set(rel, valid.get(rel)!);
  if (need.size === 0) return { results, valid, stats };

  const requirement = (rel: string, pending: boolean): Set<string> =>
    pending ? graph.importClosure(graph.importerClosure([rel])) : graph.importClosure([rel]);
  let container: Set<string> | undefined;
  const containerFiles = (): Set<string> => (container ??= graph.containerClosure());
  const set = new Set<string>();
  for (const rel of need) {
    for (const r of requirement(rel, input.cache?.wasPending(rel) ?? false)) if (listed.has(r)) set.add(r);
    if (input.cache?.readContainer(rel)) for (const r of containerFiles()) if (listed.has(r)) set.add(r);
  }
  // Files none of whose writes wait on callers are decided by their own flow walk: the files they import are read as
  // imports (parsed, their helpers and pools resolved on demand), not walked. Tried first unless the cache says a
  // needed file had such a write; a needed file that turns out to have one is analysed again with every file walked.
  let narrow = ![...need].some((rel) => input.cache?.wasPending(rel) ?? false);
  let fresh = new Map<string, FileResult>();
  for (let round = 0; ; round++) {
    // Kept for narrow runs too, though walking only the needed files would be cheaper: a cost rule, not a correctness
    // one (the NestJS container's files are brought in above and below, test/cache/nest-container.test.ts).
    const all = round >= 2 || set.size >= listed.size * MOST;
    const chosen = all ? input.files : input.files.filter((f) => set.has(f.rel));
    const walkOnlyNeed = narrow && !all;
    // A run over every file decides every file: keep them all.
    fresh = input.analyse(chosen, all ? listed : need, walkOnlyNeed);
    stats.analysed = need.size;
    stats.context = chosen.length - need.size;
    stats.walked = walkOnlyNeed ? need.size : chosen.length;
    if (all) {
      for (const [rel, r] of fresh) valid.set(rel, r);
      break;
    }
    let widened = false;
    let waiting = false;
    // The container was read: the results hold only if every file it is read from was in the program, unless it held
    // nothing and is known to hold nothing in the whole program (the file's last run saw it empty with those files,
    // and no file that may declare providers changed since): a subset's empty container is no evidence by itself.
    const stillEmpty = (rel: string): boolean =>
      !!fresh.get(rel)?.containerEmpty && (input.cache?.containerStillEmpty(rel) ?? false);
    if ([...need].some((rel) => fresh.get(rel)?.container && !stillEmpty(rel))) {
      for (const r of containerFiles()) {
        if (listed.has(r) && !set.has(r)) {
          set.add(r);
          widened = true;
        }
      }
    }
    for (const rel of need) {
      if (!fresh.get(rel)?.pending) continue;
      waiting = true;
      for (const r of requirement(rel, true)) {
        if (listed.has(r) && !set.has(r)) {
          set.add(r);
          widened = true;
        }
      }
    }
    if (walkOnlyNeed && waiting) {
      // Not a round of widening: the same set, every file walked this time.
      narrow = false;
      round--;
      continue;
    }
    if (!widened) {
      for (const rel of need) valid.set(rel, fresh.get(rel)!);
      break;
    }
  }
  for (const rel of need) results.set(rel, fresh.get(rel)!);
  return { results, valid, stats };
}
