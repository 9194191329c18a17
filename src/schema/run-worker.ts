import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { codeStamp } from '../files/code-stamp.js';
import { PACKAGE_ROOT, VERSION } from '../version.js';
import { runBeside } from './beside.js';
import type { WorkerRequest, WorkerResponse } from './worker-protocol.js';

// Runs the schema worker synchronously and caches replays on disk by a hash of the
// migrations, so the ESLint plugin and repeated audits pay for PGlite once per change.

export function runWorker(request: WorkerRequest): WorkerResponse {
  const fromSource = import.meta.url.endsWith('.ts');
  const worker = fileURLToPath(new URL(fromSource ? './worker.ts' : './worker.js', import.meta.url));
  // Beside the caller's own work when it registered some (beside.ts: the audit parses its sources meanwhile).
  const outcome = runBeside(process.execPath, [...(fromSource ? ['--import', 'tsx'] : []), worker], {
    cwd: PACKAGE_ROOT || process.cwd(),
    input: JSON.stringify(request),
    maxBuffer: 512 * 1024 * 1024,
    stall: replayStall(),
    // The phase timer's figures of the replay (replay-stats.ts) are the child's to print.
    stderr: process.env['RLS_GUARD_PHASES'] ? 'inherit' : 'pipe',
  });
  if ('out' in outcome) {
    try {
      return JSON.parse(outcome.out) as WorkerResponse;
    } catch (error) {
      return { ok: false, error: `the schema worker failed: its answer is not JSON (${(error as Error).message})` };
    }
  }
  const e = outcome.error;
  return {
    ok: false,
    error: `the schema worker failed: ${(e.stderr || e.message).trim().split('\n').slice(0, 3).join(' ')}`,
  };
}

/**
 * How long the schema worker may go without finishing a statement (heartbeat.ts): 120 s of its CPU (no statement of
 * a migration takes that; a DO block that loops for ever does), or 10 minutes of wall time where its CPU cannot be read
 * or it waits on something (a live database past its own timeouts). `RLS_GUARD_REPLAY_STALL_CPU_MS` and
 * `RLS_GUARD_REPLAY_STALL_MS` change them.
 */
export function replayStall(env: NodeJS.ProcessEnv = process.env): { cpuMs: number; wallMs: number } {
  const ms = (name: string, fallback: number): number => {
    const set = Number(env[name]);
    return Number.isFinite(set) && set > 0 ? set : fallback;
  };
  return { cpuMs: ms('RLS_GUARD_REPLAY_STALL_CPU_MS', 120_000), wallMs: ms('RLS_GUARD_REPLAY_STALL_MS', 600_000) };
}

/** A hash of the migrations' paths and contents: what a snapshot records to detect staleness. */
export function migrationsHash(files: readonly { path: string; text: string }[]): string {
  const hash = crypto.createHash('sha256');
  for (const f of files) hash.update(`${f.path}\0${f.text}\0`);
  return hash.digest('hex').slice(0, 32);
}

/**
 * The replay cache key also changes with rls-guard's build (its catalog reading may change): the version alone does
 * not change in development, and a catalog cached by an older build (before trigger functions' arguments were read)
 * made one build's reports depend on the machine's cache (signacare's trigger-written tables, sixteenth session).
 */
export function replayCacheKey(files: readonly { path: string; text: string }[]): string {
  return crypto
    .createHash('sha256')
    .update(`rls-guard ${VERSION} ${codeStamp()} replay v5\n${migrationsHash(files)}`)
    .digest('hex')
    .slice(0, 32);
}

export function cacheDir(root: string): string {
  const local = path.join(root, 'node_modules');
  if (fs.existsSync(local)) return path.join(local, '.cache', 'rls-guard');
  return machineCacheDir();
}

/** The cache of a tree without node_modules, and of what belongs to no project (the fresh PGlite cluster). */
export function machineCacheDir(): string {
  return path.join(os.tmpdir(), `rls-guard-cache-${os.userInfo().uid}`);
}

export function readCache<T>(root: string, key: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(cacheDir(root), `${key}.json`), 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export function writeCache(root: string, key: string, value: unknown): void {
  try {
    const dir = cacheDir(root);
    fs.mkdirSync(dir, { recursive: true });
    // Write then rename: concurrent linters never read half a file.
    const tmp = path.join(dir, `${key}.${process.pid}.tmp`);
    fs.writeFileSync(tmp, JSON.stringify(value));
    fs.renameSync(tmp, path.join(dir, `${key}.json`));
  } catch {
    // a read-only checkout: no cache, still correct
  }
}
