import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { codeStamp } from './files/code-stamp.js';
import { codeCacheDir, loadWithCodeCache } from './code-cache.js';

// The CLI from its bundle, dist/bundle/cli.cjs (scripts/bundle.ts, written by `npm run build`
// after tsc), compiled from V8's code cache: loading the 230 ES modules of dist/src one by one
// (resolving, reading, linking and compiling each) was about a third of a warm audit's CPU
// beside the analysis, and the code cache also holds the functions an earlier audit compiled,
// so they are not compiled again at their first call. The bundle runs only if it was built
// from the files now in dist/ (the code stamp on its first line, src/files/code-stamp.ts, or
// where only the files' dates differ, as in an installed package, their contents): after a
// plain `tsc` build the CLI is imported as modules, as it is from source.
// RLS_GUARD_BUNDLE=0 does that too (to compare the two).

export interface Cli {
  main: (argv: string[]) => number;
}

/** The bundle's first line, before the code stamp and the content stamp, as scripts/bundle.ts writes it. */
export const BUNDLE_HEADER = '// rls-guard bundle ';

/**
 * The JavaScript files of dist/src and dist/rules by path and content: what the bundle was built from, when the code
 * stamp (sizes and times) differs only because the files were installed (npm dates every file of a package alike).
 */
export function distContentStamp(dist: string): string {
  const hash = createHash('sha256');
  for (const dir of ['src', 'rules']) {
    let names: string[];
    try {
      names = (fs.readdirSync(path.join(dist, dir), { recursive: true }) as string[])
        .filter((n) => /\.[cm]?js$/.test(n))
        .sort();
    } catch {
      continue;
    }
    for (const name of names) hash.update(`${dir}/${name}\0`).update(fs.readFileSync(path.join(dist, dir, name)));
  }
  return hash.digest('hex').slice(0, 32);
}

/**
 * Whether `file` was built from the code now in dist/: its header names `stamp` (the code stamp), or else the content
 * stamp `content()` computes (read only when the first differs).
 */
export function bundleMatches(file: string, stamp: string, content: () => string): boolean {
  const head = Buffer.alloc(BUNDLE_HEADER.length + 2 * 64 + 2);
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return false; // not built (tsc alone)
  }
  let line: string;
  try {
    const n = fs.readSync(fd, head, 0, head.length, 0);
    line = head.toString('latin1', 0, n).split('\n', 1)[0]!;
  } catch {
    return false;
  } finally {
    fs.closeSync(fd);
  }
  if (!line.startsWith(BUNDLE_HEADER)) return false;
  const [built, builtContent] = line.slice(BUNDLE_HEADER.length).split(' ');
  if (built === stamp) return true;
  try {
    return builtContent !== undefined && builtContent === content();
  } catch {
    return false;
  }
}

/**
 * The CLI's bundle `file` when it matches `stamp` (undefined otherwise), loaded through V8's code cache. `argv`: the
 * cache is written after an audit, so that it holds the analysis's functions too (a `--version` would hold only
 * those of starting up); a cache V8 accepted is kept as it is.
 */
export async function loadBundledCli(
  file: string,
  argv: readonly string[],
  stamp: string = codeStamp(),
): Promise<Cli | undefined> {
  if (process.env['RLS_GUARD_BUNDLE'] === '0') return undefined;
  if (!bundleMatches(file, stamp, () => distContentStamp(path.dirname(path.dirname(file))))) return undefined;
  const dir = codeCacheDir()?.dir ?? path.join(path.dirname(file), '.cache');
  const load = loadWithCodeCache(file, dir, true, { dynamicImport: true });
  if (load.status !== 'cached' && argv[0] === 'audit') process.once('exit', () => load.flush());
  return load.exports as Cli;
}
