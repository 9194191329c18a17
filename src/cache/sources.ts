import fs from 'node:fs';
import { readSource } from '../files/source.js';
import { toPosixRelative } from '../files/paths.js';
import { sha } from '../files/code-stamp.js';
import type { InputCache } from './inputs.js';

// The audited source files, read only when something needs their text. A warm audit needs
// every file's content hash (the cache's entries are keyed by it) but the text only of the
// files it analyses again: with the input cache, a file whose size, modification time and
// inode are those recorded with its hash is not read at all (the stat pre-check, as for
// migrations and deployment files); its text is read if and when the module graph or the
// analysis asks for it.

export interface ListedSource {
  /** Absolute path. */
  readonly file: string;
  /** Root-relative POSIX path. */
  readonly rel: string;
  /** Hash of the decoded text. */
  readonly hash: string;
  /** The decoded text, read on first use. */
  readonly text: string;
}

export interface ListedSources {
  sources: ListedSource[];
  /** Files that cannot be read as source (too large, binary, unreadable), with the reason. */
  failed: { file: string; reason: string }[];
  /** Files whose text was read while listing (the others' stat matched what was recorded). */
  read: number;
}

/** Reads the files eagerly without an input cache; with one, only those whose stat changed. */
export function listSources(
  root: string,
  files: readonly string[],
  maxBytes: number | undefined,
  inputs: InputCache | undefined,
): ListedSources {
  const out: ListedSources = { sources: [], failed: [], read: 0 };
  for (const file of files) {
    const rel = toPosixRelative(root, file);
    const st = inputs ? fileStat(inputs, file) : undefined;
    const known = st && inputs!.sourceHash(file, st);
    // A size over the limit is refused before any read, whatever was recorded (the limit is the config's).
    if (known && (maxBytes === undefined || st.size <= maxBytes)) {
      out.sources.push(new LazySource(file, rel, known, maxBytes));
      continue;
    }
    const read = readSource(file, maxBytes);
    if (!read.ok) {
      out.failed.push({ file, reason: read.reason });
      continue;
    }
    out.read++;
    const source = new ReadSource(file, rel, read.text);
    if (st && inputs) inputs.noteSource(file, st, source.hash);
    out.sources.push(source);
  }
  return out;
}

function fileStat(inputs: InputCache, file: string): fs.Stats | undefined {
  const st = inputs.stat(file);
  return st?.isFile() ? st : undefined;
}

/** A file read while listing: its hash is taken when first asked for. */
class ReadSource implements ListedSource {
  private digest: string | undefined;
  constructor(
    readonly file: string,
    readonly rel: string,
    readonly text: string,
  ) {}
  get hash(): string {
    return (this.digest ??= sha(this.text));
  }
}

/**
 * A file known by its stat: read when its text is first asked for. Should it have become unreadable meanwhile (removed
 * during the audit), it reads as empty; its recorded hash no longer matches its stat next run, so it is read again.
 */
class LazySource implements ListedSource {
  private content: string | undefined;
  constructor(
    readonly file: string,
    readonly rel: string,
    readonly hash: string,
    private readonly maxBytes: number | undefined,
  ) {}
  get text(): string {
    if (this.content === undefined) {
      const read = readSource(this.file, this.maxBytes);
      this.content = read.ok ? read.text : '';
    }
    return this.content;
  }
}
