import path from 'node:path';

/**
 * `file` relative to `root` with forward slashes, on every platform: how reports,
 * fingerprints, baselines and evidence name a file, so they agree between a Windows
 * checkout and CI.
 */
export function toPosixRelative(root: string, file: string): string {
  // Evidence names a file at every step it quotes (`src/a.ts:12`): the answer is kept per
  // (root, file) for absolute paths, whose answer does not depend on the working directory.
  if (!path.isAbsolute(root) || !path.isAbsolute(file)) return path.relative(root, file).split(path.sep).join('/');
  let byFile = relatives.get(root);
  if (!byFile) {
    if (relatives.size >= MAX_ROOTS) relatives.clear();
    relatives.set(root, (byFile = new Map()));
  }
  let rel = byFile.get(file);
  if (rel === undefined) {
    if (byFile.size >= MAX_FILES) byFile.clear();
    rel = path.relative(root, file).split(path.sep).join('/');
    byFile.set(file, rel);
  }
  return rel;
}

/** Bounds for a long-lived process (the ESLint plugin) that sees many roots and files. */
const MAX_ROOTS = 64;
const MAX_FILES = 200_000;
const relatives = new Map<string, Map<string, string>>();
