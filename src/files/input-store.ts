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
