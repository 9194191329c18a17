import { isAscii } from 'node:buffer';
import fs from 'node:fs';
import { writeCacheFile } from './write-file.js';

// A cache file as a journal: its first line is a whole snapshot (JSON), each later line the
// changes one run made to it. A run that changed a few entries appends them (a few hundred
// bytes) instead of writing the whole file again (8 MB of results on a 525 KLOC repository:
// serialising and writing it was a tenth of a warm audit with one file changed). Once the
// changes outgrow a share of the snapshot, the next run writes a new snapshot in their place.
//
// A line is appended with one write. Should one be cut short (the process killed while
// writing), it does not parse: it and every line after it are ignored, and the next run
// writes a new snapshot. Ignoring changes can only lose entries or keep older ones, which the
// caches check against the files before use (an entry is keyed by the content it was computed
// from): it costs work, never a wrong result.

/** Past this share of the snapshot's size, the changes are folded into a new snapshot. */
const FOLD_SHARE = 0.25;

export interface Journal<S, D> {
  snapshot: S;
  /** The changes since, in order. */
  changes: D[];
  /** Bytes of the snapshot and of the changes, to decide when to fold them. */
  snapshotBytes: number;
  changeBytes: number;
  /** A line did not parse: write a new snapshot at the next save. */
  damaged: boolean;
}

export function readJournal<S, D>(file: string): Journal<S, D> | undefined {
  let text: string;
  try {
    const bytes = fs.readFileSync(file);
    // Written as ASCII (asciiJson): decoded as Latin-1, a copy of the bytes, where decoding UTF-8 was half of reading
    // the 8 MB results file of a 525 KLOC repository. A file with other bytes (an older one) is decoded as UTF-8.
    text = bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
  } catch {
    return undefined;
  }
  let end = text.indexOf('\n');
  if (end < 0) end = text.length;
  let snapshot: S;
  try {
    snapshot = JSON.parse(text.slice(0, end)) as S;
  } catch {
    return undefined;
  }
  const journal: Journal<S, D> = { snapshot, changes: [], snapshotBytes: end, changeBytes: 0, damaged: false };
  for (let at = end + 1; at < text.length; ) {
    let next = text.indexOf('\n', at);
    if (next < 0) next = text.length;
    try {
      journal.changes.push(JSON.parse(text.slice(at, next)) as D);
    } catch {
      journal.damaged = true;
      break;
    }
    journal.changeBytes += next - at + 1;
    at = next + 1;
  }
  return journal;
}

/** Whether the changes read, plus `adding` bytes more, should be folded into a new snapshot instead. */
export function shouldFold(journal: Journal<unknown, unknown> | undefined, adding: number): boolean {
  return !journal || journal.damaged || journal.changeBytes + adding > journal.snapshotBytes * FOLD_SHARE;
}

/** A new snapshot, replacing the file whole (write and rename: a concurrent reader sees the old file or the new). */
export function writeSnapshot(file: string, snapshot: unknown): void {
  writeCacheFile(file, asciiJson(snapshot));
}

/** One run's changes, appended as a line. A folder that cannot be written is no error. */
export function appendChange(file: string, change: unknown): void {
  try {
    fs.appendFileSync(file, '\n' + asciiJson(change));
  } catch {
    // a read-only checkout: the next run works from the snapshot
  }
}

/** JSON with every character past ASCII escaped (`\u2192`): the same value, read back as Latin-1 (see readJournal). */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
