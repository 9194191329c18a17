// The cached re-audit, each run in its own process (bench/measure.ts cached): a cold audit
// filling an empty cache, a warm one with nothing changed, and one after a single file was
// edited (a line appended to the first file with a write site, as a developer's edit would);
// optionally (--verify-cache) a cold audit of the edited tree without the cache, whose report
// must be the same as the warm one's (the digest of each report without its timing).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface CachedRun {
  ms: number;
  peakRssMb: number;
  digest: string;
  firstWriteFile?: string;
  cache?: { reused: number; analysed: number; context: number };
}

export type Measure = (mode: 'audit' | 'cached', dir: string, cacheDir?: string) => CachedRun | { failed: string };

export interface CachedBench {
  cold?: CachedRun | { failed: string };
  warm?: CachedRun | { failed: string };
  oneChanged?: CachedRun | { failed: string } & { file?: string };
  changedFile?: string;
  /** With --verify-cache: a cold audit (no cache) of the edited tree, and whether its report is the warm one's. */
  coldOfChanged?: CachedRun | { failed: string };
  same?: boolean;
}

/** `dir` is edited: give a copy (copyTree) for a directory that must stay as it is. */
export function cachedBench(dir: string, measure: Measure, verify: boolean): CachedBench {
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-bench-cache-'));
  try {
    const out: CachedBench = {};
    const cold = (out.cold = measure('cached', dir, cacheDir));
    out.warm = measure('cached', dir, cacheDir);
    if ('failed' in cold || !cold.firstWriteFile) return out;
    const file = (out.changedFile = cold.firstWriteFile);
    fs.appendFileSync(path.join(dir, file), '\n// edited: the cached re-audit bench\nexport const benchEdited = 1;\n');
    out.oneChanged = measure('cached', dir, cacheDir);
    if (verify) {
      out.coldOfChanged = measure('audit', dir);
      if (!('failed' in out.coldOfChanged) && !('failed' in out.oneChanged)) out.same = out.coldOfChanged.digest === out.oneChanged.digest;
    }
    return out;
  } finally {
    fs.rmSync(cacheDir, { recursive: true, force: true });
  }
}

/** A copy of a repository's tree without node_modules and .git (the audit reads neither). */
export function copyTree(from: string, to: string): void {
  fs.cpSync(from, to, { recursive: true, filter: (src) => !/[\\/](node_modules|\.git)$/.test(src), verbatimSymlinks: true });
}
