// The command line of `npm run bench` (bench/run.ts), read in one place so that a test can check it
// (test/bench.test.ts) without running a measurement.

/**
 * What "ESLint without the plugin" is in every ESLint row of the bench: typescript-eslint's `recommended` (no types),
 * the configuration issue 13 measured and what a project runs (the default since 2026-12-03), or the parser with no
 * rule at all (`--warm-base parser`, every row before that date).
 */
export type EslintBase = 'parser' | 'typescript-eslint';

/** How a row names its baseline. */
export function baseLabel(base: EslintBase): string {
  return base === 'parser' ? 'the parser, no rule' : "typescript-eslint's recommended (no types)";
}

export interface BenchArgs {
  /** The synthetic corpus's services (`--files`, 1000). */
  files: number;
  /** A real repository instead (`--dir`), read-only. */
  dir: string | undefined;
  sizes: number[];
  timeoutMs: number;
  write: boolean;
  /** `--relint FILE`: only the editor's re-lint of FILE. */
  relint: string | undefined;
  /** `--relint-sample N [--seed S]`: only the re-lint of N files of the project chosen with seed S. */
  relintSample: { n: number; seed: number } | undefined;
  /** `--warm-overhead ROUNDS`: only the plugin's warm overhead. */
  warmOverhead: number | undefined;
  /** `--warm-profile`: only the plugin's share of one warm lint, from a CPU and an allocation profile. */
  warmProfile: boolean;
  /** `--warm-base parser|typescript-eslint`: the baseline of every ESLint row. */
  base: EslintBase;
  /** The flags without a value (`--no-shapes`, `--keep`, …). */
  flags: Set<string>;
}

/** Reads the bench's arguments; throws on a value it cannot use (a mistyped option is not measured as another). */
export function benchArgs(args: readonly string[]): BenchArgs {
  const option = (name: string): string | undefined => {
    const at = args.indexOf(name);
    if (at < 0) return undefined;
    const value = args[at + 1];
    if (value === undefined || value.startsWith('--')) throw new Error(`${name} needs a value`);
    return value;
  };
  const count = (name: string, what: string): number | undefined => {
    const value = option(name);
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} takes ${what} (a positive whole number), not ${value}`);
    return n;
  };
  const dir = option('--dir');
  const base = option('--warm-base') ?? 'typescript-eslint';
  if (base !== 'parser' && base !== 'typescript-eslint') throw new Error('--warm-base is parser or typescript-eslint');
  const warmOverhead = count('--warm-overhead', 'ROUNDS');
  if (warmOverhead !== undefined && !dir) throw new Error('--warm-overhead ROUNDS needs --dir PATH');
  const warmProfile = args.includes('--warm-profile');
  if (warmProfile && !dir) throw new Error('--warm-profile needs --dir PATH');
  if (warmProfile && warmOverhead !== undefined) throw new Error('--warm-profile and --warm-overhead: one or the other');
  const relint = option('--relint');
  if (relint !== undefined && !dir) throw new Error('--relint FILE needs --dir PATH');
  const sampleN = count('--relint-sample', 'N');
  const seedText = option('--seed');
  const seed = seedText === undefined ? 1 : Number(seedText);
  if (!Number.isInteger(seed)) throw new Error(`--seed takes a whole number, not ${seedText}`);
  if (seedText !== undefined && sampleN === undefined) throw new Error('--seed S goes with --relint-sample N');
  if (sampleN !== undefined && !dir) throw new Error('--relint-sample N needs --dir PATH');
  if (sampleN !== undefined && relint !== undefined) throw new Error('--relint FILE and --relint-sample N: one or the other');
  return {
    files: count('--files', 'N') ?? 1000,
    dir,
    sizes: (option('--sizes') ?? '1,2,4').split(',').map(Number).filter((n) => n > 0),
    timeoutMs: (count('--timeout', 'S') ?? 600) * 1000,
    write: args.includes('--write'),
    relint,
    relintSample: sampleN === undefined ? undefined : { n: sampleN, seed },
    warmOverhead,
    warmProfile,
    base,
    flags: new Set(args.filter((a) => a.startsWith('--'))),
  };
}
