import fs from 'node:fs';
import path from 'node:path';

// Where the audit cache lives: beside the project's other tool caches when it has a
// node_modules (cleared with it, ignored by every .gitignore), else in .rls-guard/cache.

export interface CacheChoice {
  /** --no-cache: neither read nor written. */
  enabled: boolean;
  /** --cache-location: a folder. */
  location?: string;
  /** --untrusted: a cache inside the audited tree is the tree's author's to forge. */
  untrusted?: boolean;
}

export type CachePlace = { dir: string } | { dir: null; why: string };

export function cachePlace(root: string, choice: CacheChoice): CachePlace {
  if (!choice.enabled) return { dir: null, why: 'disabled (--no-cache)' };
  const dir = choice.location ? path.resolve(choice.location) : defaultCacheDir(root);
  // Under --untrusted a cache inside the audited tree could have been written by whoever
  // wrote the tree, with results that pass their writes: it is neither read nor written.
  if (choice.untrusted && isInside(dir, root))
    return {
      dir: null,
      why: `not used under --untrusted: ${dir} is inside the audited tree (give --cache-location outside it)`,
    };
  return { dir };
}

export function defaultCacheDir(root: string): string {
  const modules = path.join(root, 'node_modules');
  return fs.existsSync(modules) ? path.join(modules, '.cache', 'rls-guard') : path.join(root, '.rls-guard', 'cache');
}

function isInside(dir: string, root: string): boolean {
  const real = (p: string): string => {
    // The folder may not exist yet: its nearest existing ancestor decides where it really is.
    let at = p;
    const rest: string[] = [];
    while (!fs.existsSync(at) && path.dirname(at) !== at) {
      rest.unshift(path.basename(at));
      at = path.dirname(at);
    }
    try {
      return path.join(fs.realpathSync(at), ...rest);
    } catch {
      return p;
    }
  };
  const r = path.relative(real(root), real(dir));
  return r === '' || (!r.startsWith('..') && !path.isAbsolute(r));
}
