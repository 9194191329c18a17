import fs from 'node:fs';
import path from 'node:path';
import type * as Yaml from 'yaml';
import { lazyRequire } from '../lazy-require.js';
import { ALWAYS_SKIPPED } from '../files/walk.js';
import { toPosixRelative } from '../files/paths.js';

const yamlModule = lazyRequire<typeof Yaml>('yaml');

// npm, yarn and pnpm workspaces: which folders are packages of the repository and what
// each is called. A bare checkout has no node_modules, so an import of a sibling package
// (`@acme/db`) can only be followed by knowing the workspace the way the package manager does.

export interface WorkspacePackage {
  name: string;
  dir: string;
  /** The parsed package.json (exports, main, imports, prisma…). */
  manifest: PackageManifest;
}

export interface PackageManifest {
  name?: string;
  main?: string;
  types?: string;
  exports?: unknown;
  imports?: unknown;
  workspaces?: string[] | { packages?: string[] };
  prisma?: { schema?: string };
  scripts?: Record<string, unknown>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

export interface Workspace {
  /** The folder holding pnpm-workspace.yaml or the package.json that lists workspaces. */
  root: string;
  packages: WorkspacePackage[];
}

const byDir = new Map<string, Workspace | null>();

/** The workspace a folder belongs to (found upward), or null outside any workspace. Cached per folder. */
export function workspaceOf(dir: string): Workspace | null {
  const hit = byDir.get(dir);
  if (hit !== undefined) return hit;
  const patterns = workspacePatterns(dir);
  let found: Workspace | null;
  if (patterns) found = { root: dir, packages: expand(dir, patterns) };
  else {
    const parent = path.dirname(dir);
    found = parent === dir ? null : workspaceOf(parent);
  }
  byDir.set(dir, found);
  return found;
}

export function readManifest(dir: string): PackageManifest | null {
  try {
    const parsed = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as PackageManifest) : null;
  } catch {
    return null;
  }
}

/** The package globs a folder declares, if it is a workspace root. */
function workspacePatterns(dir: string): string[] | null {
  try {
    // Read first: the YAML parser is loaded only for a folder that has the file (loading it was 35 ms of every run).
    const text = fs.readFileSync(path.join(dir, 'pnpm-workspace.yaml'), 'utf8');
    const yaml = yamlModule().parse(text) as { packages?: unknown } | null;
    const list = Array.isArray(yaml?.packages) ? yaml.packages.filter((p): p is string => typeof p === 'string') : [];
    return list;
  } catch {
    // no (readable) pnpm-workspace.yaml: package.json workspaces below
  }
  const manifest = readManifest(dir);
  const ws = manifest?.workspaces;
  if (Array.isArray(ws)) return ws.filter((p) => typeof p === 'string');
  if (ws && Array.isArray(ws.packages)) return ws.packages.filter((p) => typeof p === 'string');
  return null;
}

const MAX_GLOB_DEPTH = 6;

/** Expands workspace globs (`packages/*`, `apps/**`, `!**\/test/**`) to the folders holding a named package.json. */
function expand(root: string, patterns: string[]): WorkspacePackage[] {
  const include = patterns.filter((p) => !p.startsWith('!'));
  const exclude = patterns.filter((p) => p.startsWith('!')).map((p) => globRegExp(p.slice(1)));
  const dirs = new Set<string>();
  for (const pattern of include)
    for (const d of matchDirs(root, pattern.replace(/^\.\//, '').replace(/\/+$/, '').split('/'), 0)) dirs.add(d);
  const out: WorkspacePackage[] = [];
  for (const dir of [...dirs].sort()) {
    const rel = toPosixRelative(root, dir);
    if (exclude.some((re) => re.test(rel))) continue;
    const manifest = readManifest(dir);
    if (manifest?.name) out.push({ name: manifest.name, dir, manifest });
  }
  return out;
}

function matchDirs(base: string, segments: string[], depth: number): string[] {
  if (segments.length === 0) return [base];
  if (depth > MAX_GLOB_DEPTH) return [];
  const [head, ...rest] = segments as [string, ...string[]];
  if (head === '**') {
    const here = matchDirs(base, rest, depth);
    const deeper = subdirs(base).flatMap((d) => matchDirs(d, segments, depth + 1));
    return [...here, ...deeper];
  }
  if (!head.includes('*')) {
    const next = path.join(base, head);
    return isDir(next) ? matchDirs(next, rest, depth + 1) : [];
  }
  const re = globRegExp(head);
  return subdirs(base)
    .filter((d) => re.test(path.basename(d)))
    .flatMap((d) => matchDirs(d, rest, depth + 1));
}

function subdirs(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && !ALWAYS_SKIPPED.has(d.name) && !d.name.startsWith('.'))
      .map((d) => path.join(dir, d.name));
  } catch {
    return [];
  }
}

export function isDir(p: string): boolean {
  try {
    // A missing path answers undefined, not an exception (see isFile in files/walk.ts).
    return fs.statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;
  } catch {
    return false;
  }
}

/** A glob over `/`-separated paths: `*` within a segment, `**` across segments. */
function globRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else re += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re.replace(/\/+$/, '')}$`);
}

const projectRoots = new Map<string, string>();

/**
 * Where a folder's project starts: its workspace root, else the nearest folder with a package.json, else itself. Cached
 * per folder.
 */
export function projectRootOf(dir: string): string {
  let root = projectRoots.get(dir);
  if (root === undefined) {
    root = workspaceOf(dir)?.root ?? nearestPackageDir(dir) ?? dir;
    projectRoots.set(dir, root);
  }
  return root;
}

function nearestPackageDir(dir: string): string | undefined {
  for (let d = dir; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, 'package.json'))) return d;
    if (path.dirname(d) === d) return undefined;
  }
}
