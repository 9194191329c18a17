import { type CliIO, main } from '../../src/cli.js';

/** Runs the CLI in-process (fast), capturing what it prints and its exit code. */
export function runCli(args: string[], io: Partial<CliIO> = {}): { code: number; stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  const code = main(args, { out: (t) => (stdout += t), err: (t) => (stderr += t), isTTY: false, ...io });
  return { code, stdout, stderr };
}
