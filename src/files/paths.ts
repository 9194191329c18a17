import path from 'node:path';

/**
 * `file` relative to `root` with forward slashes, on every platform: how reports,
 * fingerprints, baselines and evidence name a file, so they agree between a Windows
 * checkout and CI.
 */
export function toPosixRelative(root: string, file: string): string {
  // The common case, a plain path below a plain root, is a slice: path.relative resolves both
  // paths every time (it was a fifth of listing the sources of a warm audit).
  if (
    path.sep === '/' &&
    file.length > root.length + 1 &&
    file.charCodeAt(root.length) === 47 &&
    file.startsWith(root) &&
    plainRoot(root)
  ) {
    const rest = file.slice(root.length + 1);
    if (!UNPLAIN.test(rest)) return rest;
  }
  return path.relative(root, file).split(path.sep).join('/');
}

/** A segment `.` or `..`, an empty segment, a trailing slash: path.relative would normalise these. */
const UNPLAIN_ROOT = /(?:^|\/)\.{1,2}(?:\/|$)|\/\/|\/$/;
/** The same below the root, where a leading slash is an empty segment too. */
const UNPLAIN = /(?:^|\/)\.{1,2}(?:\/|$)|\/\/|^\/|\/$/;

const plainRoots = new Map<string, boolean>();

/** An absolute root without `.`/`..` segments, doubled or trailing slashes. */
function plainRoot(root: string): boolean {
  let plain = plainRoots.get(root);
  if (plain === undefined) {
    plain = path.isAbsolute(root) && root.length > 1 && !UNPLAIN_ROOT.test(root);
    if (plainRoots.size > 1000) plainRoots.clear();
    plainRoots.set(root, plain);
  }
  return plain;
}
