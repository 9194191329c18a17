import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

// Which files git tracks, for the walker: .gitignore keeps untracked files out of git, and nothing else, so a file
// committed under an ignored path (a `backups/` line over a committed `app/api/admin/backups/route.ts`) is source like
// any other. The walker honours .gitignore to skip build output and local files; before this, it also skipped such
// committed files, without a word (Oppsera: 11 route files, 5 of them writing).
//
// Asked of git itself (`git ls-files`), once per walk and only when a .gitignore rule hides something: git knows its
// index (versions, split and sparse indexes, worktrees) as no reader of ours would. The repository may be a fork under
// audit: git runs with its file-system monitor off (a repository's `core.fsmonitor` names a program git would run).

/** The work tree a folder belongs to: its top folder and the file holding its index (for a listing's key). */
export interface WorkTree {
  top: string;
  index: string;
}

/** The git work tree a path is in (a `.git` folder, or a `.git` file naming the git folder), if any. */
export function workTreeOf(dir: string): WorkTree | undefined {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    const dotGit = path.join(at, '.git');
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(dotGit, { throwIfNoEntry: false });
    } catch {
      // `at` is a file (a root named as a file), or a folder that cannot be read: its parent is asked
    }
    if (st?.isDirectory()) return { top: at, index: path.join(dotGit, 'index') };
    if (st?.isFile()) {
      // A worktree's or a submodule's `.git` file: `gitdir: <path>`.
      try {
        const named = /^gitdir:\s*(.+?)\s*$/m.exec(fs.readFileSync(dotGit, 'utf8'))?.[1];
        if (named) return { top: at, index: path.join(path.resolve(at, named), 'index') };
      } catch {
        // unreadable: not taken as a work tree; the listing says what it could not do if it needs git
      }
      return { top: at, index: dotGit };
    }
    if (path.dirname(at) === at) return undefined;
  }
}

/**
 * The tracked files below a folder (absolute paths), the folders holding them, and those holding a TypeScript source
 * (not a declaration file: what no build writes); or why git could not say.
 */
export type Tracked = { files: Set<string>; dirs: Set<string>; sourceDirs: Set<string> } | { error: string };

/** Per folder, the last answer and the stat of git's index it was given under (an editor's process asks per look). */
const answers = new Map<string, { stamp: string; tracked: Tracked }>();

/**
 * Asks git for the files it tracks below `dir` (in the work tree `tree`), or answers as the last time while git's index
 * has the same stat: only git's own commands change what it tracks, and each rewrites the index.
 */
export function trackedBelow(dir: string, tree: WorkTree): Tracked {
  const st = fs.statSync(tree.index, { throwIfNoEntry: false });
  const stamp = st ? `${st.size}:${st.mtimeMs}:${st.ino}` : 'none';
  const known = answers.get(dir);
  if (known && known.stamp === stamp && 'files' in known.tracked) return known.tracked;
  const tracked = askGit(dir);
  answers.set(dir, { stamp, tracked });
  return tracked;
}

function askGit(dir: string): Tracked {
  const run = spawnSync('git', ['-c', 'core.fsmonitor=false', 'ls-files', '-z', '--cached'], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (run.error) {
    const code = (run.error as NodeJS.ErrnoException).code ?? run.error.message;
    return { error: `git could not be run: ${code}` };
  }
  if (run.status !== 0) {
    const said = run.stderr.trim().split('\n').pop()?.trim().slice(0, 300);
    return { error: `\`git ls-files\` failed${said ? `: ${said}` : ` (exit ${run.status})`}` };
  }
  const files = new Set<string>();
  const dirs = new Set<string>();
  const sourceDirs = new Set<string>();
  for (const rel of run.stdout.split('\0')) {
    if (!rel) continue;
    const abs = path.join(dir, rel);
    files.add(abs);
    addFolders(dirs, abs, dir);
    if (/\.[cm]?tsx?$/.test(rel) && !/\.d\.[cm]?ts$/.test(rel)) addFolders(sourceDirs, abs, dir);
  }
  return { files, dirs, sourceDirs };
}

/** The folders holding `file`, up to `top` (not included), into `into`; stops at one already there (its own are). */
function addFolders(into: Set<string>, file: string, top: string): void {
  for (let d = path.dirname(file); d.length > top.length && !into.has(d); d = path.dirname(d)) into.add(d);
}
