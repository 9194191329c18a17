import v8 from 'node:v8';

// How far the command line's process lets V8's old generation grow past what its last full collection kept, before
// the next one (docs/performance.md, "mem25"). V8 chooses that factor itself, from the collector's speed against the
// program's allocation rate, and for an audit it chose large: signacare's heap grew from what the parse left to about
// 950 MB with no full collection in between, 150–250 MB of it garbage the flows and the settlement had let go of,
// and the peak resident set followed. Twenty percent keeps the heap near what is live at the cost of a few more full
// collections (measured: the peak 6–8 % lower, the CPU within its noise). Set for the CLI's own process only, at its
// start, by `src/bin.ts`; the flag is read at every full collection, so it needs no second process. A value given on
// the command line (`node --heap-growing-percent=N`, or NODE_OPTIONS) or RLS_GUARD_HEAP_GROWING (0: V8's own choice)
// wins.

export const HEAP_GROWING_PERCENT = 20;

/** The flag the CLI sets for its process, or undefined when the user chose (or asked for V8's default). */
export function heapGrowingFlag(
  env: NodeJS.ProcessEnv = process.env,
  execArgv: readonly string[] = process.execArgv,
): string | undefined {
  const given = [...execArgv, ...(env['NODE_OPTIONS'] ?? '').split(/\s+/)];
  if (given.some((a) => /^--heap[-_]growing[-_]percent(=|$)/.test(a))) return undefined;
  const asked = env['RLS_GUARD_HEAP_GROWING'];
  const percent = asked !== undefined && /^\d+$/.test(asked) ? Number(asked) : HEAP_GROWING_PERCENT;
  return percent > 0 ? `--heap-growing-percent=${percent}` : undefined;
}

/** Sets the flag for this process (the CLI's start). */
export function setHeapGrowing(): void {
  const flag = heapGrowingFlag();
  if (flag) v8.setFlagsFromString(flag);
}
