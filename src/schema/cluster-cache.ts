import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import zlib from 'node:zlib';
import { INITDB_ARGS, replayStartParams } from './pglite-settings.js';
import { machineCacheDir } from './run-worker.js';

// A fresh PGlite cluster, kept on disk once per machine: booting PGlite is initdb (~6 s of CPU),
// loading a dump of the fresh cluster ~1 s. The dump is taken before any migration runs, so a
// replay from it starts from the same database as a replay from initdb. Machine-level (the
// temporary directory's rls-guard-cache-<uid>), never in the audited tree (an untrusted tree
// could plant a cluster there); keyed by PGlite's version and the extensions loaded. A dump
// that fails to read or to load is removed and the boot falls back to initdb.

/** What the boots of this process did: for tests. */
export const clusterBoots = { initdb: 0, loaded: 0, dumped: 0, rejected: 0 };

interface Booting {
  create(options: BootOptions & { loadDataDir?: Blob }): Promise<Cluster>;
  /** PGlite's own start parameters (`--single`, fsync off, …): ours are added after them. */
  defaultStartParams?: string[];
}

interface BootOptions {
  extensions: never;
  startParams?: string[];
  initDbStartParams?: string[];
}

interface Cluster {
  dumpDataDir(compression: 'gzip'): Promise<Blob>;
  close(): Promise<void>;
}

/** The dump's file for this PGlite and these extensions; undefined when PGlite's version is unknown. */
export function clusterFile(extensions: readonly string[]): string | undefined {
  const version = pgliteVersion();
  if (!version) return undefined;
  const key = crypto
    .createHash('sha256')
    .update(`pglite ${version}\n${[...extensions].sort().join(',')}\n${INITDB_ARGS.join(' ')}\ncluster v1`)
    .digest('hex')
    .slice(0, 24);
  return path.join(machineCacheDir(), `pglite-cluster-${key}.tar.gz`);
}

/** A fresh cluster: from the dump when one loads, else initdb (then dumped for the next boot). */
export async function bootCluster<T extends Cluster>(
  PGlite: Booting,
  extensions: Record<string, unknown>,
  file = clusterFile(Object.keys(extensions)),
): Promise<T> {
  const options: BootOptions = { extensions: extensions as never };
  if (PGlite.defaultStartParams) {
    options.startParams = replayStartParams(PGlite.defaultStartParams);
    options.initDbStartParams = [...INITDB_ARGS];
  }
  const tar = file ? readDump(file) : undefined;
  if (file && tar) {
    try {
      const db = await PGlite.create({ ...options, loadDataDir: tar });
      clusterBoots.loaded++;
      return db as T;
    } catch {
      clusterBoots.rejected++;
      fs.rmSync(file, { force: true });
    }
  }
  const db = await PGlite.create(options);
  clusterBoots.initdb++;
  if (file) await writeDump(db, file);
  return db as T;
}

/**
 * The dump's tar, checked: gzip's CRC and length catch a truncated or damaged file (PGlite's own
 * gunzip of a damaged file rejects a promise nobody awaits: the process dies). Not ours (another
 * user's), unreadable or damaged: undefined, and a damaged one is removed. Returned as the Blob PGlite
 * reads, so the unzipped Buffer is garbage before PGlite makes its own copies (the replay's peak).
 */
function readDump(file: string): Blob | undefined {
  let bytes: Buffer;
  try {
    if (process.getuid && fs.statSync(file).uid !== process.getuid()) return undefined;
    bytes = fs.readFileSync(file);
  } catch {
    return undefined;
  }
  try {
    // Unzipped in one chunk of the size gzip's trailer states (its ISIZE, the length modulo 2^32): zlib's default 64 KB
    // chunks are concatenated at the end, a second copy of the whole tar at once. A trailer that lies costs chunks.
    const stated = bytes.length >= 18 ? bytes.readUInt32LE(bytes.length - 4) : 0;
    const tar = zlib.gunzipSync(bytes, { chunkSize: Math.max(64 * 1024, stated + 1) });
    // A tar's first header names its format at offset 257; anything else, PGlite would gunzip again.
    if (tar.length < 1024 || !tar.subarray(257, 262).equals(Buffer.from('ustar'))) throw new Error('not a tar');
    return new Blob([tar], { type: 'application/x-tar' });
  } catch {
    clusterBoots.rejected++;
    fs.rmSync(file, { force: true });
    return undefined;
  }
}

async function writeDump(db: Cluster, file: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  try {
    const bytes = Buffer.from(await (await db.dumpDataDir('gzip')).arrayBuffer());
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // Written whole then renamed: a concurrent boot reads the old file or the new one, never half of one.
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, file);
    clusterBoots.dumped++;
  } catch {
    // a read-only or full disk: no dump, the next boot runs initdb again
    fs.rmSync(tmp, { force: true });
  }
}

let version: string | null | undefined;

function pgliteVersion(): string | undefined {
  if (version === undefined) {
    version = null;
    try {
      // The package exports no package.json: walk up from its entry point.
      let dir = path.dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
      for (let i = 0; i < 4 && version === null; i++, dir = path.dirname(dir)) {
        const manifest = path.join(dir, 'package.json');
        if (!fs.existsSync(manifest)) continue;
        const json = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
        if (json.name === '@electric-sql/pglite' && json.version) version = json.version;
      }
    } catch {
      // unknown: no dump (a dump of another version could load as this one)
    }
  }
  return version ?? undefined;
}
