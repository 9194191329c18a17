import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

// What a cached result must be keyed by besides its inputs: the build of rls-guard that
// computed it. The version alone does not change in development, so the code's own files
// (by size and time) are part of every key: a result of one build is never read by another.

// Kept on the global object, by folder: the CLI's launcher (src/bin.ts) checks its bundle
// against the stamp, and the bundle holds its own copy of this module, which then need not
// stat every file again.
const STAMPS = Symbol.for('rls-guard.code-stamps');
const stamps = ((globalThis as { [STAMPS]?: Map<string, string> })[STAMPS] ??= new Map<string, string>());

/**
 * rls-guard's own code (src/ and the rule catalogue beside it), by file sizes and times: a stat per module, once per
 * process.
 */
export function codeStamp(): string {
  const src = path.dirname(import.meta.dirname);
  const known = stamps.get(src);
  if (known) return known;
  const parts: string[] = [];
  for (const dir of [src, path.join(path.dirname(src), 'rules')]) {
    let names: string[];
    try {
      names = codeFiles(dir, '').sort();
    } catch {
      continue;
    }
    for (const name of names) {
      try {
        const st = fs.statSync(dir + path.sep + name);
        parts.push(`${name}:${st.size}:${st.mtimeMs}`);
      } catch {
        // a file removed while listing: leave it out
      }
    }
  }
  const stamp = sha(parts.join('\n'));
  stamps.set(src, stamp);
  return stamp;
}

/**
 * The code files below `dir`, by their path relative to it (`prefix` the part already walked). Not the declaration
 * files: a change to them alone changes no code that runs, and they were half the stats. Listed by hand rather than by
 * `readdirSync`'s `recursive`, which resolves and stats every entry again (a third of the stamp's time).
 */
function codeFiles(dir: string, prefix: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(prefix ? dir + path.sep + prefix : dir, { withFileTypes: true })) {
    const rel = prefix ? prefix + path.sep + entry.name : entry.name;
    if (entry.isDirectory()) out.push(...codeFiles(dir, rel));
    else if (/\.[cm]?[jt]s$/.test(entry.name) && !/\.d\.[cm]?ts$/.test(entry.name)) out.push(rel);
  }
  return out;
}

/** A short content hash (128 bits of SHA-256). */
export function sha(text: string): string {
  // The one-shot hash (every Node this package supports, >= 20.19): no Hash object per call (a warm lint hashes every
  // linted file's text).
  return crypto.hash('sha256', text, 'hex').slice(0, 32);
}
