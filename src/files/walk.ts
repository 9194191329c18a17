import fs from 'node:fs';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';

// Finds the files an audit reads: skips dependency and build folders, honours .gitignore
// at every level, survives symlink loops, and reports what it skipped instead of failing.

export const ALWAYS_SKIPPED = new Set(['node_modules', '.git', 'dist', 'build', 'out', 'coverage', '.next', '.turbo', '.cache', '.rls-guard-cache']);

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

export function walkFiles(roots: readonly string[], options: WalkOptions, ignoreRoot?: string): WalkResult {
  const files = new Set<string>();
  const diagnostics: WalkDiagnostic[] = [];
  const visited = new Set<string>();
  const base = path.resolve(ignoreRoot ?? roots[0] ?? '.');
  const userRules: Rules = { base, ig: ignore().add([...(options.ignore ?? [])]) };

  const matchesExt = (name: string): boolean => options.extensions.some((e) => name.endsWith(e)) && !name.endsWith('.d.ts');
  const ignored = (abs: string, isDir: boolean, rules: Rules[]): boolean =>
    rules.some((r) => {
      const rel = path.relative(r.base, abs).split(path.sep).join('/');
      if (!rel || rel.startsWith('..')) return false;
      return r.ig.ignores(isDir ? `${rel}/` : rel);
    });

  const visitDir = (dir: string, rules: Rules[]): void => {
    let real: string;
    try {
      real = fs.realpathSync(dir);
    } catch (error) {
      diagnostics.push({ file: dir, message: `cannot read directory: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, incomplete: true });
      return;
    }
    if (visited.has(real)) return; // a symlink loop, or a folder reached twice
    visited.add(real);
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (error) {
      diagnostics.push({ file: dir, message: `cannot read directory: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, incomplete: true });
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
        } catch {
          diagnostics.push({ file: abs, message: 'broken symbolic link' });
          continue;
        }
      }
      if (isDir) {
        if (ALWAYS_SKIPPED.has(entry.name) || ignored(abs, true, active)) continue;
        visitDir(abs, active);
      } else if (isFile && matchesExt(entry.name) && !ignored(abs, false, active)) {
        files.add(abs);
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
    if (st.isDirectory()) visitDir(abs, [userRules, ...(options.gitignore === false ? [] : ancestorGitignores(abs, base, diagnostics))]);
    else files.add(abs);
  }
  return { files: [...files].sort(), diagnostics };
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
