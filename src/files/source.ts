import fs from 'node:fs';
import path from 'node:path';
import ts from '../ts.js';

// Reading and parsing one source file, the same way for every reader (the walker, the
// source host, the packs' scan, the ESLint index): huge, binary and unreadable files become
// a reason instead of an exception, and text is decoded as TypeScript decodes it.

export const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];
/**
 * Files larger than this are skipped (and reported as incomplete) unless the config's `maxFileBytes` says otherwise.
 */
export const DEFAULT_MAX_FILE_BYTES = 2 * 1024 * 1024;

export function scriptKind(file: string): ts.ScriptKind {
  if (file.endsWith('.tsx')) return ts.ScriptKind.TSX;
  if (file.endsWith('.jsx')) return ts.ScriptKind.JSX;
  if (/\.[mc]?js$/.test(file)) return ts.ScriptKind.JS;
  return ts.ScriptKind.TS;
}

/**
 * Parses a file; within `withSharedParses`, the same file with the same text is parsed once however many readers ask
 * (the code migrations and the Drizzle scan read source files the audit parses again afterwards).
 */
export function parseSource(file: string, text: string): ts.SourceFile {
  if (!parses) return parseNow(file, text);
  const key = path.resolve(file);
  const known = parses.get(key);
  if (known && known.text === text) return known;
  const sf = parseNow(file, text);
  parses.set(key, sf);
  return sf;
}

let parses: Map<string, ts.SourceFile> | undefined;

/**
 * The text of the shared parse of `file` when it equals `text`, else `text`: a file the migrations' discovery parsed
 * and the audit reads again as source is then one string, the tree's, not two equal ones (the listing keeps its text
 * for the whole audit, the tree keeps its own).
 */
function parsedText(file: string, text: string): string {
  const known = parses?.get(path.resolve(file));
  return known && known.text === text ? known.text : text;
}

/**
 * Runs `fn` with parses shared by path and text, for the span of one run (a tree is immutable, and every reader keys
 * what it derives from it by node, so one tree serves all); `bind`, when given, sets each new tree's parents. Not for
 * a reader that needs a new tree of the same text (the analysis session replaces retired parses): it runs outside.
 */
export function withSharedParses<T>(fn: () => T, bind?: (sf: ts.SourceFile) => void): T {
  if (parses) return fn();
  parses = new Map();
  reads = new Map();
  binder = bind;
  try {
    return fn();
  } finally {
    parses = undefined;
    reads = undefined;
    binder = undefined;
  }
}

/**
 * What sets a new tree's parents within the run, in place of `setParents`: the audit's also takes the tree's index in
 * the same walk (code/file-nodes.ts `bindAndIndex`), while the tree is still in the processor's caches.
 */
let binder: ((sf: ts.SourceFile) => void) | undefined;

/** A file as `readSource` read it within the run: its stat's size and time, and its text. */
export interface SharedRead {
  size: number;
  mtimeMs: number;
  text: string;
}

let reads: Map<string, SharedRead> | undefined;

/**
 * What `readSource` read of `file` within this run (see `withSharedParses`), when its bytes were plain UTF-8 (no byte
 * order mark), so that the text is what `fs.readFileSync(file, 'utf8')` gives: the scans that read every source file
 * by themselves (migrations by shape, the Drizzle schemas) take it instead of a second stat and read of each file.
 * Undefined outside a run, or for a file not read (or not plain): the caller reads it as before.
 */
export function sharedRead(file: string): SharedRead | undefined {
  return reads?.get(path.resolve(file));
}

/**
 * Parses `files` in order into the shared parses (see `withSharedParses`) until `done()` says to stop, and returns how
 * many it parsed: work done ahead, while the audit waits for something else (the migrations' replay), that the
 * analysis then finds parsed. A file that cannot be parsed is left for the analysis, which says why.
 */
export function parseAhead(files: readonly { file: string; text: string }[], done: () => boolean): number {
  if (!parses) return 0;
  let parsed = 0;
  for (const f of files) {
    if (done()) break;
    try {
      parseSource(f.file, f.text);
      parsed++;
    } catch {
      // the analysis parses it again and reports it
    }
  }
  return parsed;
}

function parseNow(file: string, text: string): ts.SourceFile {
  const sf = ts.createSourceFile(
    file,
    text,
    { languageVersion: ts.ScriptTarget.Latest, jsDocParsingMode: ts.JSDocParsingMode.ParseNone },
    false,
    scriptKind(file),
  );
  if (binder) binder(sf);
  else setParents(sf);
  return sf;
}

/**
 * Sets every node's `parent`, as `createSourceFile`'s `setParentNodes` does, on one explicit stack (deep trees cannot
 * overflow it) with one callback for the whole tree: TypeScript's own pass (`setParentRecursive`) allocates two work
 * arrays' entries per node and a closure per level, 3 % of a cold audit's CPU and a tenth of its parse garbage.
 */
export function setParents(root: ts.Node): void {
  const work: ts.Node[] = [root];
  let parent: ts.Node = root;
  // Returns nothing: a truthy result would stop forEachChild.
  const bind = (child: ts.Node): void => {
    (child as { parent: ts.Node }).parent = parent;
    work.push(child);
  };
  while (work.length > 0) {
    parent = work.pop()!;
    ts.forEachChild(parent, bind);
    // JSDoc comments are not children (forEachChild skips them); with JSDoc parsing off there are none.
    const docs = (parent as { jsDoc?: ts.Node[] }).jsDoc;
    if (docs) for (const doc of docs) bind(doc);
  }
}

export type ReadOutcome = { ok: true; text: string } | { ok: false; reason: string };

let recording: Set<string> | undefined;

/**
 * Runs `fn` and lists every file `readSource` was asked for meanwhile: what a value computed from code (a code
 * migration following an imported constant) depends on besides its own file, so a cached copy can be checked against
 * them.
 */
export function recordingReads<T>(fn: () => T): { value: T; read: Set<string> } {
  const outer = recording;
  const read = new Set<string>();
  recording = read;
  try {
    return { value: fn(), read };
  } finally {
    recording = outer;
    if (outer) for (const f of read) outer.add(f);
  }
}

/** Reads a source file, refusing huge and binary files with a reason instead of throwing. */
export function readSource(file: string, maxBytes: number = DEFAULT_MAX_FILE_BYTES): ReadOutcome {
  recording?.add(path.resolve(file));
  // Read already within this run (the listing, then a migration or an import asks again): the same text, one read.
  const known = reads?.get(path.resolve(file));
  if (known && known.size <= maxBytes) return { ok: true, text: known.text };
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) return { ok: false, reason: 'not a regular file' };
    if (stat.size > maxBytes) return { ok: false, reason: tooLarge(stat.size, maxBytes) };
    const bytes = fs.readFileSync(file);
    const text = decodeSource(bytes);
    // Only after decoding: UTF-16 text is full of NUL bytes and is still source.
    if (text.includes('\0')) return { ok: false, reason: 'skipped: binary file (NUL characters after decoding)' };
    const kept = parsedText(file, text);
    // The scans of every source file read it from here (`sharedRead`): only where their own UTF-8 read gives this text.
    if (reads && !markedBytes(bytes))
      reads.set(path.resolve(file), { size: stat.size, mtimeMs: stat.mtimeMs, text: kept });
    return { ok: true, text: kept };
  } catch (error) {
    // Node reads directory entries as UTF-8: a name that is not UTF-8 comes back with U+FFFD
    // in it and no longer names the file.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && path.basename(file).includes('\uFFFD'))
      return {
        ok: false,
        reason: 'unreadable: its name is not valid UTF-8, so it cannot be opened by that name; rename it',
      };
    return { ok: false, reason: `unreadable: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
  }
}

export function tooLarge(size: number, maxBytes: number): string {
  return `skipped: ${size} bytes is over the maxFileBytes limit of ${maxBytes} bytes`;
}

/**
 * Bytes to text as TypeScript's own `sys.readFile` does: a UTF-16 BOM (either byte order)
 * selects UTF-16, a UTF-8 BOM is dropped, anything else is UTF-8.
 */
export function decodeSource(buffer: Buffer): string {
  if (buffer.length >= 2 && buffer[0] === 0xfe && buffer[1] === 0xff) {
    // swap16 needs an even length; a dangling last byte is no character anyway.
    const swapped = Buffer.from(buffer.subarray(2, 2 + ((buffer.length - 2) & ~1)));
    return swapped.swap16().toString('utf16le');
  }
  if (buffer.length >= 2 && buffer[0] === 0xff && buffer[1] === 0xfe) return buffer.toString('utf16le', 2);
  if (buffer.length >= 3 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf)
    return buffer.toString('utf8', 3);
  return buffer.toString('utf8');
}

/** Whether `decodeSource` reads `buffer` by a byte order mark (else its text is the buffer's plain UTF-8). */
function markedBytes(buffer: Buffer): boolean {
  return (
    (buffer.length >= 2 && buffer[0] === 0xfe && buffer[1] === 0xff) ||
    (buffer.length >= 2 && buffer[0] === 0xff && buffer[1] === 0xfe) ||
    (buffer.length >= 3 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf)
  );
}
