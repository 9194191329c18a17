import fs from 'node:fs';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { toPosixRelative } from './paths.js';
import { trackedBelow, type Tracked, workTreeOf } from './git-tracked.js';

// Finds the files an audit reads: skips dependency and build folders, honours .gitignore
// at every level (for what git does not track: a committed file under an ignored path is read, git-tracked.ts),
// survives symlink loops, and reports what it skipped instead of failing.

export const ALWAYS_SKIPPED = new Set([
  'node_modules',
  '.git',
  'dist',
  'build',
  'out',
  'coverage',
  '.next',
  '.turbo',
  '.cache',
  '.rls-guard-cache',
  '.rls-guard',
]);

/**
 * Of those, the names a source folder may have too (a Next.js route segment `app/api/coverage/`, a `build/` feature
 * folder): in a git work tree, one holding a committed TypeScript source (no build writes one) is read.
 */
const OUTPUT_NAMES = new Set(['dist', 'build', 'out', 'coverage']);

export interface WalkOptions {
  /** File name suffixes to collect, e.g. ['.ts', '.sql']. */
  extensions: readonly string[];
  /** Extra gitignore-style patterns, relative to the root. */
  ignore?: readonly string[];
  /** Honour .gitignore files (default true); the config's `ignore` always applies. */
  gitignore?: boolean;
}

export interface WalkDiagnostic {
  file: string;
  message: string;
  /** Files below it may have been missed (an unreadable folder): the audit is incomplete. */
  incomplete?: boolean;
}

export interface WalkResult {
  /** Absolute paths, sorted. */
  files: string[];
  diagnostics: WalkDiagnostic[];
}

interface Rules {
  base: string;
  ig: Ignore;
  /** From a .gitignore (what git tracks is read whatever it says), not the config's `ignore`. */
  git?: true;
}

/** One listing of a tree: each file found with the name it was found by (a root named as a file: null). */
interface Listing {
  found: { file: string; name: string | null }[];
  diagnostics: WalkDiagnostic[];
}

/**
 * What a folder held when it was listed, kept between runs (rememberListings): reused while the folder's modification
 * time and inode are the same (adding, removing or renaming an entry changes the time; editing a file does not) and its
 * .gitignore, if it had one, has the same stat.
 */
export interface FolderRecord {
  /** The folder's modification time and inode. */
  m: number;
  i: number;
  /** Its .gitignore (size, modification time, inode); null when it had none: adding one changes the folder's time. */
  g: FileStamp | null;
  /** The subfolders walked into and the files listed, by name. */
  d: string[];
  f: string[];
}

type FileStamp = [size: number, mtimeMs: number, ino: number];

/** Where the records of one listing are kept between runs (the input cache). */
export interface ListingMemory {
  recall(key: string): Record<string, FolderRecord> | undefined;
  record(key: string, folders: Record<string, FolderRecord>): void;
}

/** A folder modified this close to its listing may be modified again within the clock's resolution, unseen. */
const RACY_MS = 3000;

let shared: Map<string, Listing> | undefined;
let memory: ListingMemory | undefined;
/** Per listing and extensions: what walkFiles returned (a run asks for the same files several times). */
let collected: Map<string, WalkResult> | undefined;
/** Folders read (not known from the last run's listing) within withSharedWalks: for the tests and the bench. */
let foldersRead = 0;
/** The run withSharedWalks is in, numbered: answers looked up on disk within it can be kept for its span. */
let run = 0;

/**
 * Runs `fn` with the tree's listings shared: within it, walks of the same roots, ignores and
 * .gitignore choice list the tree once, whatever extensions each collects (an audit walked
 * it five times: sources, migrations, Drizzle schemas and configs, deployment files). Only
 * for the span of one run: the tree may change after it.
 */
export function withSharedWalks<T>(fn: () => T): T {
  if (shared) return fn();
  shared = new Map();
  collected = new Map();
  foldersRead = 0;
  run++;
  try {
    return fn();
  } finally {
    shared = undefined;
    memory = undefined;
    collected = undefined;
  }
}

/**
 * Within withSharedWalks: the listings of this run are checked against, and kept in, `store` for the next run. A warm
 * audit then stats each folder instead of reading it and matching every entry against the .gitignore rules (on a
 * 525 KLOC repository, 0.2 s of a run with one file changed).
 */
export function rememberListings(store: ListingMemory | undefined): void {
  if (shared) memory = store;
}

/** How many folders this run has read so far (within withSharedWalks), the others known from the last run. */
export function foldersReadThisRun(): number {
  return foldersRead;
}

/**
 * The number of the run under way (withSharedWalks), or undefined outside one. A lookup that
 * re-reads the disk now and then for a long-lived process (ESLint) keeps an answer it got in
 * the same run for the rest of it: the tree is taken as it was when the run looked.
 */
export function currentRun(): number | undefined {
  return shared ? run : undefined;
}

export function walkFiles(roots: readonly string[], options: WalkOptions, ignoreRoot?: string): WalkResult {
  if (!shared) return collect(list(roots, options, ignoreRoot, options.extensions));
  const base = path.resolve(ignoreRoot ?? roots[0] ?? '.');
  const gitignore = options.gitignore ?? true;
  const key = JSON.stringify([roots.map((r) => path.resolve(r)), base, options.ignore ?? [], gitignore]);
  let listing = shared.get(key);
  if (!listing) {
    // The .gitignore files above the roots decide too: part of the key, by their stat.
    // And, in a git work tree, what git tracks: the index's stat (committing or adding a file changes it; a folder's
    // time does not change when a file in it becomes tracked).
    const above = gitignore
      ? roots.map((r) => [
          ...ancestorDirs(path.resolve(r), base).map((d) => stampOf(path.join(d, '.gitignore'))),
          ((wt) => (wt ? stampOf(wt.index) : null))(workTreeOf(path.resolve(r))),
        ])
      : [];
    const memoryKey = JSON.stringify([key, above]);
    const previous = memory?.recall(memoryKey);
    const records = memory
      ? { previous, next: Object.create(null) as Record<string, FolderRecord>, changed: false }
      : undefined;
    listing = list(roots, options, ignoreRoot, [''], records);
    shared.set(key, listing);
    // Folders gone since leave no record: the counts differ.
    if (records && (records.changed || Object.keys(records.next).length !== Object.keys(previous ?? {}).length))
      memory!.record(memoryKey, records.next);
  }
  const wantedKey = `${key}\0${options.extensions.join('\0')}`;
  let out = collected!.get(wantedKey);
  if (!out) collected!.set(wantedKey, (out = { files: wantedFiles(listing, options.extensions), diagnostics: [] }));
  return { files: [...out.files], diagnostics: [...listing.diagnostics] };
}

/** Per listing, its entries sorted by file once, each with its name's last extension (a run filters them ten times). */
const byFile = new WeakMap<Listing, { file: string; name: string | null; ext: string }[]>();

/** The files (sorted, each once) found by a name ending in one of `extensions`. */
function wantedFiles(listing: Listing, extensions: readonly string[]): string[] {
  let entries = byFile.get(listing);
  if (!entries) {
    entries = listing.found
      .map((f) => ({
        file: f.file,
        name: f.name,
        ext: f.name === null ? '' : f.name.slice(Math.max(0, f.name.lastIndexOf('.'))),
      }))
      .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
    byFile.set(listing, entries);
  }
  // `.ts` ends a name exactly when it is the name's last extension: a set lookup instead of a test per extension.
  const simple = new Set(extensions.filter((e) => /^\.[^.]+$/.test(e)));
  const other = extensions.filter((e) => !simple.has(e));
  const files: string[] = [];
  for (const f of entries) {
    const wanted = f.name === null || simple.has(f.ext) || other.some((e) => f.name!.endsWith(e));
    // Sorted: a file found twice (through a link) is found next to itself.
    if (wanted && files[files.length - 1] !== f.file) files.push(f.file);
  }
  return files;
}

function collect(listing: Listing): WalkResult {
  return { files: [...new Set(listing.found.map((f) => f.file))].sort(), diagnostics: [...listing.diagnostics] };
}

function list(
  roots: readonly string[],
  options: WalkOptions,
  ignoreRoot: string | undefined,
  extensions: readonly string[],
  /** The folders' records from the last run, and this run's (each folder reused, or listed anew and fit to keep). */
  records?: {
    previous: Record<string, FolderRecord> | undefined;
    next: Record<string, FolderRecord>;
    changed: boolean;
  },
): Listing {
  const found: Listing['found'] = [];
  const diagnostics: WalkDiagnostic[] = [];
  const visited = new Set<string>();
  const base = path.resolve(ignoreRoot ?? roots[0] ?? '.');
  const gitignore = options.gitignore !== false;
  // No patterns, no rule set: matching is most of a walk's time, paid per entry and per set.
  const userRules: Rules[] = options.ignore?.length ? [{ base, ig: ignore().add([...options.ignore]) }] : [];

  const matchesExt = (name: string): boolean => extensions.some((e) => name.endsWith(e)) && !name.endsWith('.d.ts');
  // What git tracks below each root (real paths), asked once a .gitignore rule hides something there.
  let tracking: { root: string; tracked?: Tracked; said?: boolean } | undefined;
  const isTracked = (abs: string, real: string, kind: 'file' | 'dir' | 'source'): boolean => {
    if (!tracking) return false;
    if (!tracking.tracked) {
      const tree = workTreeOf(tracking.root);
      const none = { files: new Set<string>(), dirs: new Set<string>(), sourceDirs: new Set<string>() };
      tracking.tracked = tree ? trackedBelow(tracking.root, tree) : none;
    }
    const t = tracking.tracked;
    if ('files' in t) return (kind === 'file' ? t.files : kind === 'dir' ? t.dirs : t.sourceDirs).has(real);
    // An output folder's name alone is no reason to say anything: most are output.
    if (kind === 'source') return false;
    if (!tracking.said) {
      tracking.said = true;
      diagnostics.push({
        file: abs,
        message:
          `.gitignore hides this, and ${t.error}, so which hidden files are committed is not known: a committed ` +
          'file a .gitignore hides is not read (in a container, `git config --global --add safe.directory <folder>` ' +
          'lets git read a checkout another user owns)',
        incomplete: true,
      });
    }
    return false;
  };
  /** Hidden by the config's patterns, or by a .gitignore unless git tracks it (a folder: holds a tracked file). */
  const ignored = (abs: string, isDir: boolean, rules: Rules[], real: string = abs): boolean => {
    let byGitignore = false;
    for (const r of rules) {
      if (byGitignore && r.git) continue;
      const rel = relativeBelow(r.base, abs);
      if (!rel || rel.startsWith('..') || !r.ig.ignores(isDir ? `${rel}/` : rel)) continue;
      if (!r.git) return true;
      byGitignore = true;
    }
    if (!byGitignore) return false;
    if (isDir) return !isTracked(abs, real, 'dir');
    // Committed JavaScript beside its TypeScript source is the build's output the rule meant to hide (a package's
    // `src/**/*.js`): read, it would be every write again.
    return !isTracked(abs, real, 'file') || compiledBeside(abs);
  };
  /** A folder skipped by its name: always, but for an output name holding a committed source. */
  const skipped = (name: string, abs: string, real: string): boolean =>
    ALWAYS_SKIPPED.has(name) && !(OUTPUT_NAMES.has(name) && isTracked(abs, real, 'source'));
  /** The rules in force in a folder: its parent's and its own .gitignore, read only if some entry must be matched. */
  const within = (parent: () => Rules[], dir: string, has: boolean): (() => Rules[]) => {
    if (!has) return parent;
    let rules: Rules[] | undefined;
    return () => {
      if (!rules) {
        const here = gitignoreAt(dir, diagnostics);
        rules = here ? [...parent(), here] : parent();
      }
      return rules;
    };
  };

  // Folders and files are known by their real path: each real file is audited once, and its
  // imports resolve from where it really is, whichever links lead to it. A folder reached by a
  // plain entry of a folder whose real path is known is that path joined with its name: only
  // roots and links need the file system asked.
  const visitDir = (
    dir: string,
    knownReal: string | undefined,
    rules: () => Rules[],
    chain: readonly string[],
    /** A .gitignore above changed (or its stat is not known): records below were made under other rules. */
    rulesChanged: boolean,
  ): void => {
    let real: string;
    try {
      real = knownReal ?? fs.realpathSync(dir);
    } catch (error) {
      diagnostics.push({
        file: dir,
        message: `cannot read directory: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        incomplete: true,
      });
      return;
    }
    if (chain.includes(real)) {
      diagnostics.push({
        file: dir,
        message: `symbolic link loop: leads back to ${real}, which is already being read; not followed`,
      });
      return;
    }
    if (visited.has(real)) return; // a folder reached twice through links: its files are already in
    visited.add(real);
    const before = records?.previous?.[real];
    const st = records ? statOf(real) : undefined;
    const ignoreFile = path.join(dir, '.gitignore');
    if (before && st && before.m === st.mtimeMs && before.i === st.ino && !rulesChanged) {
      // No .gitignore then means none now (adding one would have changed the folder's time).
      const g = gitignore && before.g ? stampOf(ignoreFile) : null;
      if (sameStamp(g, gitignore ? before.g : null)) {
        records!.next[real] = before;
        // An entry's name is one path segment and `real` a normalised absolute path: joined without path.join's
        // normalising, which was most of a warm listing's time (4,000 files, twice a run).
        const into = real.endsWith(path.sep) ? real : real + path.sep;
        for (const name of before.f) found.push({ file: into + name, name });
        const active = within(rules, dir, !!g);
        const chained = [...chain, real];
        for (const name of before.d) visitDir(path.join(dir, name), into + name, active, chained, false);
        return;
      }
    }
    let entries: fs.Dirent[];
    foldersRead++;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (error) {
      diagnostics.push({
        file: dir,
        message: `cannot read directory: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        incomplete: true,
      });
      return;
    }
    let ownProblems = diagnostics.length;
    const g = gitignore ? stampOf(ignoreFile) : null;
    const here = g ? gitignoreAt(dir, diagnostics) : undefined;
    ownProblems = diagnostics.length - ownProblems;
    const parentRules = rules();
    const active = here ? [...parentRules, here] : parentRules;
    const activeRules = (): Rules[] => active;
    const childRulesChanged = rulesChanged || (gitignore && (!before || !sameStamp(g, before.g)));
    const record: FolderRecord | undefined = st ? { m: st.mtimeMs, i: st.ino, g, d: [], f: [] } : undefined;
    let links = false;
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const abs = path.join(dir, entry.name);
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        links = true;
        try {
          const st = fs.statSync(abs);
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch (error) {
          const loop = (error as NodeJS.ErrnoException).code === 'ELOOP';
          ownProblems++;
          diagnostics.push({
            file: abs,
            message: loop
              ? 'symbolic link loop: the link leads back to itself through other links'
              : 'broken symbolic link: its target does not exist',
          });
          continue;
        }
      }
      if (isDir) {
        const realDir = path.join(real, entry.name);
        if (skipped(entry.name, abs, realDir) || ignored(abs, true, active, realDir)) continue;
        record?.d.push(entry.name);
        visitDir(
          abs,
          entry.isSymbolicLink() ? undefined : path.join(real, entry.name),
          activeRules,
          [...chain, real],
          childRulesChanged,
        );
      } else if (isFile && matchesExt(entry.name) && !ignored(abs, false, active, path.join(real, entry.name))) {
        record?.f.push(entry.name);
        // A realpath per file was a third of a walk: only links need one.
        found.push({ file: entry.isSymbolicLink() ? realFile(abs) : path.join(real, entry.name), name: entry.name });
      }
    }
    if (!records || !record) return;
    // Kept for the next run unless it could change unseen: links (their targets are not this folder's), a problem
    // reported, or a folder or .gitignore modified within the clock's resolution of now.
    const now = Date.now();
    const keep = !links && ownProblems === 0 && now - record.m > RACY_MS && (!g || now - g[1] > RACY_MS);
    if (keep) records.next[real] = record;
    if (keep ? !before || !sameRecord(before, record) : !!before) records.changed = true;
  };

  for (const r of roots) {
    const abs = path.resolve(r);
    let st: fs.Stats;
    try {
      st = fs.statSync(abs);
    } catch {
      diagnostics.push({ file: abs, message: 'no such file or directory' });
      continue;
    }
    if (st.isDirectory()) {
      const rules = [...userRules, ...(gitignore ? ancestorGitignores(abs, base, diagnostics) : [])];
      tracking = gitignore ? { root: realFile(abs) } : undefined;
      visitDir(abs, undefined, () => rules, [], false);
    } else found.push({ file: realFile(abs), name: null });
  }
  return { found, diagnostics };
}

/** A JavaScript file with a TypeScript file of the same name beside it (`auth.module.js` by `auth.module.ts`). */
function compiledBeside(file: string): boolean {
  const m = /\.(?:js|jsx|mjs|cjs)$/.exec(file);
  if (!m) return false;
  const stem = file.slice(0, m.index);
  return ['.ts', '.tsx', '.mts', '.cts'].some((ext) => isFile(stem + ext));
}

function statOf(file: string): fs.Stats | undefined {
  try {
    // No exception for a missing file (a folder's .gitignore, mostly absent): throwing one costs more than the stat.
    return fs.statSync(file, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

function stampOf(file: string): FileStamp | null {
  const st = statOf(file);
  return st ? [st.size, st.mtimeMs, st.ino] : null;
}

function sameRecord(a: FolderRecord, b: FolderRecord): boolean {
  return (
    a.m === b.m &&
    a.i === b.i &&
    sameStamp(a.g, b.g) &&
    a.d.length === b.d.length &&
    a.d.every((n, i) => n === b.d[i]) &&
    a.f.length === b.f.length &&
    a.f.every((n, i) => n === b.f[i])
  );
}

function sameStamp(a: FileStamp | null, b: FileStamp | null): boolean {
  return a === b || (!!a && !!b && a[0] === b[0] && a[1] === b[1] && a[2] === b[2]);
}

/** `abs` relative to `base` (POSIX): a plain slice for a path below it, the common case of a walk. */
function relativeBelow(base: string, abs: string): string {
  if (abs.length > base.length + 1 && abs.startsWith(base) && abs[base.length] === path.sep) {
    const rel = abs.slice(base.length + 1);
    return path.sep === '/' ? rel : rel.split(path.sep).join('/');
  }
  return toPosixRelative(base, abs);
}

function realFile(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return file;
  }
}

/** A path as the file system knows it (links resolved), or as given when it does not exist. */
export function realPath(file: string): string {
  return realFile(path.resolve(file));
}

function gitignoreAt(dir: string, diagnostics: WalkDiagnostic[]): Rules | undefined {
  const file = path.join(dir, '.gitignore');
  try {
    if (!fs.existsSync(file)) return undefined;
    return { base: dir, ig: ignore().add(fs.readFileSync(file, 'utf8')), git: true };
  } catch (error) {
    diagnostics.push({ file, message: `cannot read .gitignore: ${(error as Error).message}` });
    return undefined;
  }
}

/** .gitignore files between the ignore root and a starting folder below it. */
function ancestorGitignores(start: string, base: string, diagnostics: WalkDiagnostic[]): Rules[] {
  const out: Rules[] = [];
  for (const dir of ancestorDirs(start, base)) {
    const r = gitignoreAt(dir, diagnostics);
    if (r) out.push(r);
  }
  return out;
}

/** The folders from the ignore root down to a starting folder's parent (none when it is the root). */
function ancestorDirs(start: string, base: string): string[] {
  const out: string[] = [];
  let dir = path.dirname(start);
  while (dir.startsWith(base) && dir !== start) {
    out.unshift(dir);
    if (dir === base) break;
    dir = path.dirname(dir);
  }
  return out;
}

export function isFile(file: string): boolean {
  try {
    // A missing path answers undefined, not an exception: most module-resolution probes and the ESLint plugin's
    // config lookup (six names per folder) miss, and a thrown ENOENT costs its error and stack, four times the stat.
    return fs.statSync(file, { throwIfNoEntry: false })?.isFile() ?? false;
  } catch {
    return false;
  }
}
