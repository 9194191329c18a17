// How often the plugin looks again at what it read from the whole project (the file list,
// every file's stamp, the migrations behind the RLS model). An editor session outlives edits
// made by other tools, so it must look again; a command-line run lints hundreds of files a
// second, so looking again per file would cost more than the lint (a walk of the project per
// file). The interval grows with what the last look cost: at most about 2 % of the time each
// (the plugin has two: the file list with every stamp, and the migrations).

/** The shortest interval: a change saved by another tool shows within it on a small project. */
export const MIN_RECHECK_MS = 2000;
/** Looking again costs at most 1/COST_FACTOR of the time between looks. */
const COST_FACTOR = 50;

export class Recheck {
  private at = -Infinity;
  private costMs = 0;

  /** True when the last look is older than its interval (or there was none). */
  due(now = performance.now()): boolean {
    return now - this.at >= this.interval();
  }

  /** The current interval: MIN_RECHECK_MS, or 50 times what the last look cost if more. */
  interval(): number {
    return Math.max(MIN_RECHECK_MS, this.costMs * COST_FACTOR);
  }

  /** Records a look that has just finished and cost `costMs` (the work, not the waits between lints it spanned). */
  done(costMs: number, now = performance.now()): void {
    this.at = now;
    this.costMs = costMs;
  }

  /** Forgets the last look: the next `due()` is true. */
  reset(): void {
    this.at = -Infinity;
  }
}
