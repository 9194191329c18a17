import { createHash } from 'node:crypto';

// What the audit keeps between runs besides per-file results, as the readers of the model
// and of deployment files see it (implemented by src/cache/inputs.ts): a file's content
// hash without reading it while its stat is unchanged, and values remembered under a key
// that names every input they were computed from.

export interface InputStore {
  /** The content hash and size of a file, undefined when it cannot be read. */
  digest(abs: string): { hash: string; size: number } | undefined;
  /**
   * The value stored under `section` and `key`, else `compute()`, stored when `keep` allows; `valid` checks what the
   * key could not name.
   */
  remember<T>(
    section: string,
    key: string,
    compute: () => T,
    keep?: (value: T) => boolean,
    valid?: (value: T) => boolean,
  ): T;
  /** Keeps the values stored under `section` and these keys for later runs, without reading them. */
  retain?(section: string, keys: readonly string[]): void;
}

/**
 * A scan of every file for what each holds, kept in `inputs`: the whole as one entry, keyed by every file's path and
 * content hash, so that a warm run revives one small value instead of looking up an entry per file (3,372 on a 525
 * KLOC repository, each a JSON revival of `[]`). The entries per file (`section`) stay beside it, kept unread while
 * the whole holds, so that after an edit only the changed files are scanned. Files over `maxBytes` are not scanned.
 */
export function rememberedFileScan<T>(
  files: readonly string[],
  inputs: InputStore,
  options: { section: string; maxBytes: number; relative: (file: string) => string },
  scanFile: (file: string) => T[],
): T[] {
  const scanned: { file: string; key: string }[] = [];
  for (const file of files) {
    const d = inputs.digest(file);
    if (d && d.size <= options.maxBytes) scanned.push({ file, key: `${options.relative(file)}\0${d.hash}` });
  }
  const keys = scanned.map((s) => s.key);
  const whole = createHash('sha256').update(keys.join('\n')).digest('hex');
  let computed = false;
  const found = inputs.remember(`${options.section}-scan`, whole, () => {
    computed = true;
    return scanned.flatMap((s) => inputs.remember(options.section, s.key, () => scanFile(s.file)));
  });
  if (!computed) inputs.retain?.(options.section, keys);
  return found;
}
