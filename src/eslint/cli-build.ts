import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PACKAGE_ROOT } from '../version.js';

// The command line's project index build, in a child process (index-builder.ts, `whole`), started at the first lint
// of a project whose index on disk is cold. A cold `eslint .` is ESLint's own parse of every file plus one analysis
// of the project; on one core they add up (2.5x `rls-guard audit` on a 300 KLOC package), on two they overlap: the
// child reads, parses and analyses the whole project while ESLint parses file after file. The lint process analyses
// each file whose writes it decides alone on ESLint's own AST meanwhile (as it always did), and blocks only at the
// first file with a site that needs other files, until the child has written every file's verdicts to the index on
// disk; from then on each file is a lookup.
//
// Failing closed: a child that exits without finishing (an exception, killed, out of memory) or stops making progress
// for STALL_MS leaves the sites that needed it unresolved with the reason (lint-analysis.ts); nothing waits forever.
//
// Sharing: the build is announced in a status file named for the project and this process (ESLint's `--concurrency`
// workers are threads of one process: the first to create the file with O_EXCL starts the child, the others wait on
// the same file), and the child writes its progress, its end and why it failed there. Only one build runs per lint
// thread at a time (a workspace has many projects; each further one is built in the lint process, as without a child).

/** What the child writes to its status file. */
export interface BuildStatus {
  /** The lint process (its pid) that announced the build, and when (epoch ms). */
  owner: number;
  started: number;
  /** The child's pid, once started. */
  pid?: number;
  state: 'running' | 'done' | 'failed';
  reason?: string;
  /** When the child last showed progress (epoch ms). */
  beat: number;
  /** The child's CPU time (user + system, ms) when it ended: a measurement of the lint counts it. */
  cpuMs?: number;
}

export type BuildPoll = { state: 'running' } | { state: 'done' } | { state: 'failed'; reason: string };

/** How long a build may go without progress (a file listed, read, parsed or analysed) before it is stopped. */
export function stallMs(env: NodeJS.ProcessEnv = process.env): number {
  const set = Number(env.RLS_GUARD_BUILD_STALL_MS);
  return Number.isFinite(set) && set > 0 ? set : 120_000;
}

/** How often a waiting lint looks at the status file. */
const POLL_MS = 25;
/** Between lints, the status file is read at most this often (a command-line run lints hundreds of files a second). */
const CHECK_MS = 200;

export class CliBuild {
  private last: BuildPoll = { state: 'running' };
  private checkedAt = -Infinity;
  private exited: string | undefined;
  /** The child's CPU time, once it is done (its status says). */
  childCpuMs = 0;
  /** Files linted while this build was known (one poll each), and how many before the first wait (measurements). */
  files = 0;
  filesBeforeWait: number | undefined;

  constructor(
    readonly statusFile: string,
    private readonly logFile: string,
  ) {}

  /** The child's own exit, when this thread started it and its event loop saw the exit. */
  noteExit(why: string): void {
    this.exited = why;
  }

  /** Where the build is, from the status file (read at most every CHECK_MS unless `now`). */
  poll(now = false): BuildPoll {
    if (!now) this.files++;
    if (heldRunning && !now && this.last.state !== 'failed') return RUNNING;
    if (this.last.state !== 'running') return this.last;
    const t = performance.now();
    if (!now && t - this.checkedAt < CHECK_MS) return this.last;
    this.checkedAt = t;
    const status = readStatus(this.statusFile);
    this.childCpuMs = status?.cpuMs ?? this.childCpuMs;
    if (status?.state === 'done') return (this.last = { state: 'done' });
    if (status?.state === 'failed') return (this.last = { state: 'failed', reason: status.reason ?? 'it failed' });
    const gone = this.exited ?? (status?.pid !== undefined && !alive(status.pid) ? 'it exited' : undefined);
    if (gone || !status) {
      // It may have written its end just before exiting.
      const again = readStatus(this.statusFile);
      if (again?.state === 'done') return (this.last = { state: 'done' });
      const said = lastLine(this.logFile);
      const reason = `${gone ?? 'its status file is gone'}${said ? `: ${said}` : ''}`;
      return (this.last = { state: 'failed', reason });
    }
    if (Date.now() - status.beat > stallMs()) {
      if (status.pid !== undefined) {
        try {
          process.kill(status.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      return (this.last = {
        state: 'failed',
        reason: `it made no progress for ${duration(stallMs())} and was stopped`,
      });
    }
    return this.last;
  }

  /** Blocks until the build is done or has failed (never longer than a stall: see poll). */
  wait(): BuildPoll {
    const started = performance.now();
    this.filesBeforeWait ??= this.files;
    try {
      for (;;) {
        const state = this.poll(true);
        if (state.state !== 'running') return state;
        sleep(POLL_MS);
      }
    } finally {
      waitedMs += performance.now() - started;
    }
  }
}

function duration(ms: number): string {
  return ms < 10_000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** A synchronous pause: rules are synchronous, and the child runs on its own. */
function sleep(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

export function readStatus(file: string): BuildStatus | undefined {
  try {
    const status = JSON.parse(fs.readFileSync(file, 'utf8')) as BuildStatus;
    return typeof status === 'object' && status !== null && typeof status.state === 'string' ? status : undefined;
  } catch {
    return undefined;
  }
}

/** Replaces the status file at once (write, then rename): a reader never sees half of it. */
export function writeStatus(file: string, status: BuildStatus): void {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(status));
  fs.renameSync(tmp, file);
}

/**
 * Whether a process still runs. A child that exited while its parent's thread was blocked is a zombie until the
 * parent's event loop reaps it: `kill(pid, 0)` still succeeds, so on Linux its state is read from /proc.
 */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true; // no /proc: the stall timeout still ends the wait
  }
}

/** What the child said last about its failure: its last error line (node ends a crash with its own version). */
function lastLine(file: string): string | undefined {
  try {
    const lines = fs
      .readFileSync(file, 'utf8')
      .slice(-4000)
      .split('\n')
      .filter((l) => l.trim() && !/^\s/.test(l) && !/^Node\.js v/.test(l));
    return (lines.filter((l) => /error|failed/i.test(l)).pop() ?? lines.pop())?.trim().slice(0, 300) || undefined;
  } catch {
    return undefined;
  }
}

/** The request the child reads: the project's first linted file (the project is its package root) and strictness. */
export interface WholeBuildRequest {
  file: string;
  text: string;
  strict: boolean;
  whole: true;
  statusFile: string;
}

const builds = new Map<string, CliBuild | null>();
let waitedMs = 0;

/** How long this thread's lints have waited for builds, in wall milliseconds (the bench reports it). */
export function cliBuildWaitedMs(): number {
  return waitedMs;
}

/** For measurements: per build of this thread, the files linted before its first wait. */
export function cliBuildWaits(): (number | undefined)[] {
  return [...builds.values()].map((b) => b?.filesBeforeWait);
}
let running: CliBuild | undefined;

/**
 * Waits for the builds this thread started or followed and returns their children's CPU time (ms): a measurement of a
 * lint process's CPU (bench/eslint.ts) counts the child it started.
 */
export function settleCliBuilds(): number {
  let cpu = 0;
  for (const build of builds.values()) if (build) cpu += (build.wait(), build.childCpuMs);
  return cpu;
}

let heldRunning = false;
const RUNNING: BuildPoll = { state: 'running' };

/**
 * Tests: a build is still running at every lint (a waiting lint sees its true end), however fast the child is: every
 * file is linted as the first file of a run is on a loaded machine, whatever the order ESLint lints them in, without a
 * sleep or a race.
 */
export function holdCliBuildsRunning(on: boolean): void {
  heldRunning = on;
}

/** Forgets the builds of this thread (tests). */
export function forgetCliBuilds(): void {
  builds.clear();
  running = undefined;
}

/**
 * The build of this project for this lint run: started here when the index on disk is cold (`cold()`), followed when
 * another thread of this process started it; undefined when the project is linted without one (warm, another project's
 * build running in this thread, or the child could not start: then the lint process builds, as without a child).
 */
export function cliBuildFor(
  root: string,
  cacheDir: string,
  cold: () => boolean,
  request: () => Omit<WholeBuildRequest, 'statusFile' | 'whole'>,
): CliBuild | undefined {
  const known = builds.get(root);
  if (known !== undefined) return known ?? undefined;
  const name = `eslint-build-${crypto.createHash('sha256').update(root).digest('hex').slice(0, 16)}-${process.pid}`;
  const statusFile = path.join(cacheDir, `${name}.json`);
  const logFile = path.join(cacheDir, `${name}.log`);
  let build: CliBuild | null = null;
  try {
    build = follow(statusFile, logFile) ?? start(statusFile, logFile, cold, request);
  } catch {
    build = null; // a read-only cache folder: the lint process builds
  }
  builds.set(root, build);
  return build ?? undefined;
}

/** A build another thread of this process announced (ESLint's workers), to wait on rather than start again. */
function follow(statusFile: string, logFile: string): CliBuild | undefined {
  const status = readStatus(statusFile);
  // A file left by an earlier process that had this pid is older than this process.
  if (!status || status.started < Date.now() - process.uptime() * 1000 - 1000) return undefined;
  return new CliBuild(statusFile, logFile);
}

function start(
  statusFile: string,
  logFile: string,
  cold: () => boolean,
  request: () => Omit<WholeBuildRequest, 'statusFile' | 'whole'>,
): CliBuild | null {
  if (running && running.poll().state === 'running') return null;
  if (!cold()) return null;
  fs.mkdirSync(path.dirname(statusFile), { recursive: true });
  sweepEnded(statusFile);
  const announced: BuildStatus = { owner: process.pid, started: Date.now(), state: 'running', beat: Date.now() };
  try {
    // O_EXCL: of the threads of this process that get here at once, one starts the child.
    fs.writeFileSync(statusFile, JSON.stringify(announced), { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const stale = readStatus(statusFile);
    if (stale && stale.started >= Date.now() - process.uptime() * 1000 - 1000) return new CliBuild(statusFile, logFile);
    writeStatus(statusFile, announced); // left by an earlier process with this pid
  }
  const requestFile = path.join(path.dirname(statusFile), `${path.basename(statusFile, '.json')}.request.json`);
  fs.writeFileSync(requestFile, JSON.stringify({ ...request(), whole: true, statusFile } satisfies WholeBuildRequest));
  const fromSource = import.meta.url.endsWith('.ts');
  const builder = fileURLToPath(new URL(fromSource ? './index-builder.ts' : './index-builder.js', import.meta.url));
  const log = fs.openSync(logFile, 'w');
  const build = new CliBuild(statusFile, logFile);
  try {
    // The heap limit the lint runs with (a large project's analysis needs it); nothing else of its flags (a profiler).
    const heap = process.execArgv.filter((a) => a.startsWith('--max-old-space-size') || a.startsWith('--stack-size'));
    const child = spawn(process.execPath, [...heap, ...(fromSource ? ['--import', 'tsx'] : []), builder, requestFile], {
      cwd: PACKAGE_ROOT || process.cwd(),
      stdio: ['ignore', 'ignore', log],
    });
    child.on('error', (error) => build.noteExit(`it could not start: ${error.message}`));
    child.on('exit', (code, signal) => {
      if (code !== 0) build.noteExit(signal ? `it was killed (${signal})` : `it exited with code ${code}`);
    });
    // The lint process does not wait for the child to exit: once the index is written, it is no longer needed.
    child.unref();
    if (child.pid === undefined) {
      fs.rmSync(statusFile, { force: true });
      return null;
    }
    writeStatus(statusFile, { ...announced, pid: child.pid, beat: Date.now() });
  } finally {
    fs.closeSync(log);
  }
  running = build;
  return build;
}

/**
 * Removes the status, request and log files of this project's earlier builds whose lint process and child have both
 * ended: each cold lint leaves its own (named for its pid, so that ESLint's threads share one), and nothing else
 * removes them (a test suite's thousands of cold lints had left 19,000 files in the cache folder).
 */
function sweepEnded(statusFile: string): void {
  const dir = path.dirname(statusFile);
  const own = path.basename(statusFile, '.json');
  const prefix = own.slice(0, own.lastIndexOf('-') + 1);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  const ended = new Map<string, boolean>();
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const id = /^(\d+)\.(?:json|log|request\.json)$/.exec(name.slice(prefix.length))?.[1];
    if (id === undefined || `${prefix}${id}` === own) continue;
    let gone = ended.get(id);
    if (gone === undefined) {
      const status = readStatus(path.join(dir, `${prefix}${id}.json`));
      gone = !alive(Number(id)) && (status?.pid === undefined || !alive(status.pid));
      ended.set(id, gone);
    }
    if (gone) fs.rmSync(path.join(dir, name), { force: true });
  }
}
