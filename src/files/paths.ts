import path from 'node:path';

/**
 * `file` relative to `root` with forward slashes, on every platform: how reports,
 * fingerprints, baselines and evidence name a file, so they agree between a Windows
 * checkout and CI.
 */
export function toPosixRelative(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}
