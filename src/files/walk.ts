import fs from 'node:fs';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { toPosixRelative } from './paths.js';

// Finds the files an audit reads: skips dependency and build folders, honours .gitignore
// at every level, survives symlink loops, and reports what it skipped instead of failing.

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
}

/** One listing of a tree: each file found with the name it was found by (a root named as a file: null). */
interface Listing {
  found: { file: string; name: string | null }[];
  diagnostics: WalkDiagnostic[];
}

let shared: Map<string, Listing> | undefined;
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
  run++;
  try {
    return fn();
  } finally {
    shared = undefined;
  }
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
  const key = JSON.stringify([
    roots.map((r) => path.resolve(r)),
    base,
    options.ignore ?? [],
    options.gitignore ?? true,
  ]);
  let listing = shared.get(key);
  if (!listing) shared.set(key, (listing = list(roots, options, ignoreRoot, [''])));
  const wanted = (name: string | null): boolean =>
    name === null || options.extensions.some((e) => name.endsWith(e));
  return collect({ found: listing.found.filter((f) => wanted(f.name)), diagnostics: listing.diagnostics });
}

function collect(listing: Listing): WalkResult {
  return { files: [...new Set(listing.found.map((f) => f.file))].sort(), diagnostics: [...listing.diagnostics] };
}

function list(
  roots: readonly string[],
  options: WalkOptions,
  ignoreRoot: string | undefined,
  extensions: readonly string[],
): Listing {
  const found: Listing['found'] = [];
  const diagnostics: WalkDiagnostic[] = [];
  const visited = new Set<string>();
  const base = path.resolve(ignoreRoot ?? roots[0] ?? '.');
  // No patterns, no rule set: matching is most of a walk's time, paid per entry and per set.
  const userRules: Rules[] = options.ignore?.length ? [{ base, ig: ignore().add([...options.ignore]) }] : [];

  const matchesExt = (name: string): boolean => extensions.some((e) => name.endsWith(e)) && !name.endsWith('.d.ts');
  const ignored = (abs: string, isDir: boolean, rules: Rules[]): boolean =>
    rules.some((r) => {
      const rel = relativeBelow(r.base, abs);
      if (!rel || rel.startsWith('..')) return false;
      return r.ig.ignores(isDir ? `${rel}/` : rel);
    });

  // Folders and files are known by their real path: each real file is audited once, and its
  // imports resolve from where it really is, whichever links lead to it.
  const visitDir = (dir: string, rules: Rules[], chain: readonly string[]): void => {
    let real: string;
    try {
      real = fs.realpathSync(dir);
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
    let entries: fs.Dirent[];
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
    const here = options.gitignore === false ? undefined : gitignoreAt(dir, diagnostics);
    const active = here ? [...rules, here] : rules;
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const abs = path.join(dir, entry.name);
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        try {
          const st = fs.statSync(abs);
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch (error) {
          const loop = (error as NodeJS.ErrnoException).code === 'ELOOP';
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
        if (ALWAYS_SKIPPED.has(entry.name) || ignored(abs, true, active)) continue;
        visitDir(abs, active, [...chain, real]);
      } else if (isFile && matchesExt(entry.name) && !ignored(abs, false, active)) {
        // A plain entry of a folder whose real path is known is that path joined with its
        // name: only links need the file system asked (a realpath per file was a third of a walk).
        found.push({ file: entry.isSymbolicLink() ? realFile(abs) : path.join(real, entry.name), name: entry.name });
      }
    }
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
    if (st.isDirectory())
      visitDir(
        abs,
        [...userRules, ...(options.gitignore === false ? [] : ancestorGitignores(abs, base, diagnostics))],
        [],
      );
    else found.push({ file: realFile(abs), name: null });
  }
  return { found, diagnostics };
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
    return { base: dir, ig: ignore().add(fs.readFileSync(file, 'utf8')) };
  } catch (error) {
    diagnostics.push({ file, message: `cannot read .gitignore: ${(error as Error).message}` });
    return undefined;
  }
}

/** .gitignore files between the ignore root and a starting folder below it. */
function ancestorGitignores(start: string, base: string, diagnostics: WalkDiagnostic[]): Rules[] {
  const out: Rules[] = [];
  let dir = path.dirname(start);
  while (dir.startsWith(base) && dir !== start) {
    const r = gitignoreAt(dir, diagnostics);
    if (r) out.unshift(r);
    if (dir === base) break;
    dir = path.dirname(dir);
  }
  return out;
}

export function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
