import { isAscii } from 'node:buffer';
import crypto from 'node:crypto';
import fs from 'node:fs';
import Module, { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

// TypeScript's 9 MB CommonJS file, compiled from V8's code cache instead of from its source.
// Compiling it was the largest single cost of starting rls-guard (about 0.15 s of CPU on
// every run, a sixth of a warm audit with one file changed); V8 deserialises the same code,
// with the functions a previous run compiled lazily, in about a third of that. Node 22 does
// this itself (`module.enableCompileCache`); on Node 20 the file is compiled here with
// `vm.Script`'s `cachedData` and put in `require`'s cache, so every later
// `require('typescript')` (src/ts.ts, ts-morph, typescript-eslint) gets this instance.
//
// V8 checks a code cache against the source's length and its own version and flags, not the
// source's content: the cache file is named by the file's path, size, modification time and
// inode, and by Node's version, so an edited or reinstalled TypeScript is compiled afresh.
// It lives beside the package (`node_modules/.cache/rls-guard/`, whoever can write there can
// already change the package itself); a folder that cannot be written only costs the compile.

export type CodeCacheStatus =
  /** Compiled from source; the cache is written when the process exits. */
  | 'compiled'
  /** Deserialised from the cache file. */
  | 'cached'
  /** The cache file was refused by V8 (another V8, other flags): compiled, and written again at exit. */
  | 'rejected'
  /** Node's own compile cache (Node 22.1 and later) does it. */
  | 'node'
  /** Already loaded by someone else, or loaded the usual way (no file to key a cache by). */
  | 'skipped';

export interface CodeCacheLoad {
  exports: unknown;
  status: CodeCacheStatus;
  /** Where the code cache is kept for this file (undefined when none is used). */
  cacheFile?: string;
  /** Writes the code cache now, if this load has one to write (at exit otherwise); returns whether it did. */
  flush: () => boolean;
}

/**
 * Loads the CommonJS file `file` as `require` would, through a V8 code cache kept in `cacheDir`. `register`: put the
 * module in `require`'s cache (off in tests, which load the same file more than once).
 */
export function loadWithCodeCache(
  file: string,
  cacheDir: string,
  register = true,
  options: { dynamicImport?: boolean } = {},
): CodeCacheLoad {
  const cache = (Module as unknown as { _cache: Record<string, Module> })._cache;
  const known = register ? cache[file] : undefined;
  if (known) return { exports: known.exports, status: 'skipped', flush: () => false };
  let st: fs.Stats;
  let source: string;
  try {
    st = fs.statSync(file);
    // TypeScript's 9 MB are ASCII: decoded as Latin-1 (a copy of the bytes) in a sixth of the time UTF-8 takes.
    const bytes = fs.readFileSync(file);
    source = bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
  } catch {
    return { exports: createRequire(file)(file), status: 'skipped', flush: () => false };
  }
  const key = [file, st.size, st.mtimeMs, st.ino, process.version, process.arch].join('\0');
  // Named by the file's path too: builds of rls-guard in other folders sharing node_modules keep their own.
  const prefix = `v8-${path.basename(file).replace(/\.c?js$/, '')}-${digest(file).slice(0, 8)}-`;
  const cacheFile = path.join(cacheDir, `${prefix}${digest(key)}.bin`);
  let cachedData: Buffer | undefined;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    // no cache yet
  }
  const script = new vm.Script(Module.wrap(source), {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
    // `import()` in the file (the CLI's bundle keeps those of packages) as in a module loaded by `require`.
    ...(options.dynamicImport ? { importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER } : {}),
  });
  const status: CodeCacheStatus = !cachedData ? 'compiled' : script.cachedDataRejected ? 'rejected' : 'cached';
  const mod = new Module(file);
  mod.filename = file;
  mod.paths = (Module as unknown as { _nodeModulePaths: (dir: string) => string[] })._nodeModulePaths(
    path.dirname(file),
  );
  if (register) cache[file] = mod;
  const wrapper = script.runInThisContext() as (
    exports: unknown,
    require: NodeJS.Require,
    module: Module,
    filename: string,
    dirname: string,
  ) => void;
  try {
    wrapper.call(mod.exports, mod.exports, createRequire(file), mod, file, path.dirname(file));
  } catch (error) {
    if (register) delete cache[file];
    throw error;
  }
  mod.loaded = true;
  let pending = status !== 'cached';
  const flush = (): boolean => {
    if (!pending) return false;
    pending = false;
    try {
      // After the run: the functions it compiled lazily are in the cache too.
      const data = script.createCachedData();
      fs.mkdirSync(cacheDir, { recursive: true });
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, data);
      fs.renameSync(tmp, cacheFile);
      // Caches of other builds of the same file are dead weight.
      for (const name of fs.readdirSync(cacheDir))
        if (name.startsWith(prefix) && name.endsWith('.bin') && path.join(cacheDir, name) !== cacheFile)
          fs.rmSync(path.join(cacheDir, name), { force: true });
      return true;
    } catch {
      return false; // a read-only install: compiled every run, as without the cache
    }
  };
  return { exports: mod.exports, status, cacheFile, flush };
}

/**
 * Where code caches are kept: `node_modules/.cache/rls-guard` of the node_modules holding TypeScript (the package's own
 * in a checkout, the project's when rls-guard is installed in one); undefined when TypeScript cannot be resolved.
 */
export function codeCacheDir(): { dir: string; typescript: string } | undefined {
  try {
    const typescript = createRequire(import.meta.url).resolve('typescript');
    // node_modules/typescript/lib/typescript.js → node_modules/.cache/rls-guard
    return { dir: path.join(path.dirname(path.dirname(path.dirname(typescript))), '.cache', 'rls-guard'), typescript };
  } catch {
    return undefined;
  }
}

let typescriptLoad: { exports: unknown; status: CodeCacheStatus } | undefined;

/** TypeScript through the code cache (or Node's compile cache), once per process; see src/ts.ts. */
export function loadTypeScript(): { exports: unknown; status: CodeCacheStatus } {
  if (typescriptLoad) return typescriptLoad;
  const require = createRequire(import.meta.url);
  const where = codeCacheDir();
  if (!where) return (typescriptLoad = { exports: require('typescript'), status: 'skipped' });
  const { dir, typescript: file } = where;
  const enable = (Module as unknown as { enableCompileCache?: (dir: string) => unknown }).enableCompileCache;
  if (enable) {
    try {
      enable(dir);
      return (typescriptLoad = { exports: require(file), status: 'node' });
    } catch {
      // fall through to ours
    }
  }
  const load = loadWithCodeCache(file, dir);
  if (load.status !== 'cached' && load.status !== 'skipped') process.once('exit', () => load.flush());
  return (typescriptLoad = load);
}

/**
 * TypeScript's exports with its functions and enums as plain properties. Its CommonJS file exports every name through
 * a getter (`__export(ts_exports, { SyntaxKind: () => SyntaxKind, … })`), so each `ts.SyntaxKind.Block` or
 * `ts.isIdentifier(n)` the analysis makes calls one: about 3 % of a cold audit's CPU on signacare (the `SyntaxKind`
 * getter alone was the profile's 11th function by self time). A function or an enum is never reassigned after
 * TypeScript is loaded, so it is read once here; every other export (`sys`, `objectAllocator`, tables it may replace)
 * stays a getter of TypeScript's own, as live as before. Used by the CLI's bundle (scripts/bundle.ts), whose `ts` is a
 * value; src/ts.ts exports TypeScript's namespace itself (its types).
 */
export function flatExports<T extends object>(real: T): T {
  const out: Record<string, unknown> = {};
  const from = real as Record<string, unknown>;
  for (const key of Object.keys(from)) {
    const value = from[key];
    if (typeof value === 'function' || isEnum(value)) out[key] = value;
    else Object.defineProperty(out, key, { get: () => from[key], enumerable: true });
  }
  return out as T;
}

/**
 * An object as TypeScript compiles an enum: each number's name mapped back (`SyntaxKind[80] === 'Identifier'`), or
 * strings only (a string enum, `Extension.Ts === '.ts'`). A table of numbers without the mapping back
 * (`unchangedPollThresholds`, which `setCustomPollingValues` replaces) is not one.
 */
function isEnum(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const o = value as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 0) return false;
  for (const k of keys) {
    const v = o[k];
    if (typeof v === 'number') {
      if (typeof o[v] !== 'string') return false;
    } else if (typeof v !== 'string') return false;
  }
  return true;
}

/** A short hash of the cache's key for its file name. */
function digest(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex').slice(0, 16);
}
