// How often the plugin looks again at what it read from the whole project (the file list,
// every file's stamp, the migrations behind the RLS model). An editor session outlives edits
// made by other tools, so it must look again; a command-line run lints hundreds of files a
// second, so looking again per file would cost more than the lint (a walk of the project per
// file). The interval grows with what the last look cost: in an editor at most about 2 % of
// the time, on the command line 0.2 % of the CPU time (the plugin has two looks: the file
// list with every stamp, and the migrations).
//
// On the command line and in CI the schedule is in CPU time, not wall time: on a loaded
// machine a run spans many times its CPU time in wall time, and a wall-clock interval then made
// the looks a large share of the run (at load 30 on two cores, a look every 2 s of wall time was
// one per 0.1–0.2 s of CPU: a third of a warm lint). An editor's ESLint server (or another
// long-lived process, settings.ts) waits for its user between lints: there the interval is in
// wall time, since waiting costs nothing and a change saved by another tool should show soon.
// Either way at least MIN_RECHECK_MS of wall time passes between looks.

import os from 'node:os';
import { longLivedProcess } from './settings.js';

// In an editor's process a look that falls due is made after the lint that found it due, not within it: the lint
// answers from what the last look saw (a change saved by another tool shows at the next lint instead), and the look
// runs when the event loop is next free (`afterLint`). A look lists the project and stats every file (1,650 on
// signacare's API: some 5-10 ms of CPU quiet, 15-110 ms of a lint's wall time at load 13, and 9.5 MB allocated per
// edit of the bench; on every few lints of a burst of edits, the shortest interval being 2 s); the model's look lists
// the migrations. Both were the lints' chores, not their work. The first look (no list yet) and one a budget cut
// short are still made in the lint that needs them.

/** The shortest interval (wall time): a change saved by another tool shows within it on a small project. */
export const MIN_RECHECK_MS = 2000;
/** In an editor, looking again costs at most 1/EDITOR_COST_FACTOR of the wall time between looks. */
const EDITOR_COST_FACTOR = 50;
/**
 * On the command line, at most 1/CLI_COST_FACTOR of the CPU time: a run lints a snapshot of the project, and a look
 * during it only matters to a run long enough for files to change under it. There are two looks (the project's files,
 * the model), and the plugin's whole overhead on a warm run should stay under a tenth of ESLint's own cost.
 */
const CLI_COST_FACTOR = 500;

/** A point in time on both clocks, in milliseconds: wall (performance.now) and this process's CPU (user + system). */
export interface Instant {
  wall: number;
  cpu: number;
}

/** This process's CPU time so far (user + system, every thread), in milliseconds. */
export function cpuMs(): number {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1000;
}

export function instant(): Instant {
  return { wall: performance.now(), cpu: cpuMs() };
}

/** The most CPU time this process can spend per unit of wall time: one thread per core at most. */
const CORES = Math.max(1, os.availableParallelism());

export class Recheck {
  private at: Instant = { wall: -Infinity, cpu: -Infinity };
  private costMs = 0;
  /**
   * Wall time before which the CPU clock need not be asked again: the last answer said `remaining` ms of CPU were
   * still to pass, and a process spends at most CORES ms of CPU per ms of wall time. Asked per linted file, the CPU
   * clock (a system call) was otherwise read for every file once the shortest wall interval had passed.
   */
  private cpuNotBefore = -Infinity;

  /**
   * True when the last look is older than its interval (or there was none): in CPU time, or in wall time for a
   * long-lived process (`waits`: an editor's server, whose time between lints is its user's); and at least
   * MIN_RECHECK_MS of wall time.
   */
  due(now?: Instant, waits: boolean = longLivedProcess()): boolean {
    // The wall clock first: it is cheap, and asking for the CPU time is a system call (asked per linted file).
    const wallNow = now?.wall ?? performance.now();
    const wall = wallNow - this.at.wall;
    if (wall < MIN_RECHECK_MS) return false;
    if (waits) return wall >= this.interval(true);
    if (now?.cpu === undefined && wallNow < this.cpuNotBefore) return false;
    const remaining = this.interval(false) - ((now?.cpu ?? cpuMs()) - this.at.cpu);
    if (remaining <= 0) return true;
    this.cpuNotBefore = wallNow + remaining / CORES;
    return false;
  }

  /** The time to let pass between looks: 50 (editor, wall) or 500 (command line, CPU) times what the last look cost. */
  interval(waits: boolean): number {
    return this.costMs * (waits ? EDITOR_COST_FACTOR : CLI_COST_FACTOR);
  }

  /** Records a look that has just finished and cost `costMs` of CPU (the work, not the lints it spanned). */
  done(costMs: number, now: Instant = instant()): void {
    this.at = now;
    this.costMs = costMs;
    this.cpuNotBefore = -Infinity;
  }

  /** Forgets the last look: the next `due()` is true. */
  reset(): void {
    this.at = { wall: -Infinity, cpu: -Infinity };
    this.cpuNotBefore = -Infinity;
  }
}

/**
 * The project's looks and the index's writes so far in this process (the bench counts those that fell within a lint;
 * tests, where a look was made): looks at the project's files, looks at the model's inputs, writes of the index.
 */
export const chores = { looks: 0, models: 0, writes: 0 };

/**
 * Runs `look` once the event loop is free (after the lint that asked: rules run synchronously), once however often
 * it is asked before it runs. The timer does not keep the process alive.
 */
export function afterLint(pending: { later?: NodeJS.Timeout }, look: () => void): void {
  if (pending.later) return;
  pending.later = setTimeout(() => {
    pending.later = undefined;
    look();
  }, 0);
  pending.later.unref();
}
