import { execFileSync } from 'node:child_process';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { BEAT_FD_ENV } from './heartbeat.js';

// The audit waits for the schema worker (the migrations' replay in PGlite: seconds, on a core of its own) before it
// can judge anything, but the sources' parse needs no model. So the child is run from a worker thread, and when the
// caller has work that can go on meanwhile the main thread does it until the child is done, then waits for the rest.
// Everything stays synchronous for the caller: the answer comes back through `receiveMessageOnPort` once a shared flag
// says it is there, so ESLint's synchronous rules and the audit's synchronous pipeline are unchanged; only the wall
// time moves.
//
// The thread also watches the child (heartbeat.ts): it is stopped when it has spent `stall.cpuMs` of CPU (read from
// /proc where there is one) or `stall.wallMs` of wall time since its last sign of progress, never after a fixed time.
// A busy machine slows a replay without making it fail, so the report does not depend on the load.

/** How a child is run: what `execFileSync` was given, with a watch on its progress in place of a timeout. */
export interface ChildOptions {
  cwd: string;
  /** Written to its stdin. */
  input: string;
  /** The most bytes its answer (stdout) may take. */
  maxBuffer: number;
  /** Its stderr shown (the phase timer's figures) or kept for the error. */
  stderr: 'inherit' | 'pipe';
  /** How much CPU (ms, where it can be read) and wall time (ms) it may spend without a sign of progress. */
  stall: { cpuMs: number; wallMs: number };
}

/** What `execFileSync` gave back: its output, or what its error said. */
export type ChildOutcome = { out: string } | { error: { stderr: string; message: string } };

/** Work that can run while a child runs: it should stop soon after `done()` says the child has answered. */
export type Meanwhile = (done: () => boolean) => void;

let meanwhile: Meanwhile | undefined;

/**
 * Runs `fn`; the first child it runs through `runBeside` runs beside `work` (once: a second child within `fn` runs
 * as before). Without a child, `work` does not run at all: it is work the caller does anyway, later. No `work`: `fn`.
 */
export function whileChildRuns<T>(work: Meanwhile | undefined, fn: () => T): T {
  const outer = meanwhile;
  meanwhile = work;
  try {
    return fn();
  } finally {
    meanwhile = outer;
  }
}

/** How long the thread may go without showing it is alive (its watch ticks every 250 ms) before the wait ends. */
const THREAD_SILENT_MS = 60_000;

// The thread's code, CommonJS for `eval`: it loads nothing of rls-guard's (so it runs the same from the sources under
// vitest and from dist), and sets the flag however the child ends, so the main thread's wait always ends. Slot 1 of
// the flag counts the watch's ticks: the main thread's proof that the thread is alive; slot 2 holds the child's pid.
const THREAD = `
const { workerData } = require('node:worker_threads');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const { file, args, options, flag, port, beatEnv } = workerData;
let finished = false;
let timer;
function finish(message) {
  if (finished) return;
  finished = true;
  clearInterval(timer);
  port.postMessage(message);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}
// A process's CPU time (user + system, ms) from /proc/<pid>/stat, in ticks of 10 ms; undefined where there is none.
function cpuMs(pid) {
  try {
    const stat = fs.readFileSync('/proc/' + pid + '/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ms = (Number(fields[11]) + Number(fields[12])) * 10;
    return Number.isFinite(ms) ? ms : undefined;
  } catch {
    return undefined;
  }
}
const seconds = (ms) => Math.round(ms / 1000);
try {
  const child = spawn(file, args, {
    cwd: options.cwd,
    env: { ...process.env, [beatEnv]: '3' },
    stdio: ['pipe', 'pipe', options.stderr, 'pipe'],
  });
  if (child.pid !== undefined) Atomics.store(flag, 2, child.pid);
  const out = [];
  const err = [];
  let outBytes = 0;
  let stopped;
  const stop = (reason) => {
    if (stopped) return;
    stopped = reason;
    child.kill('SIGKILL');
  };
  child.stdout.on('data', (chunk) => {
    outBytes += chunk.length;
    if (outBytes > options.maxBuffer) stop('wrote more than ' + options.maxBuffer + ' bytes of answer');
    else out.push(chunk);
  });
  if (child.stderr) child.stderr.on('data', (chunk) => err.push(chunk));
  let beatAt = Date.now();
  let beatCpu = 0;
  child.stdio[3].on('data', () => {
    beatAt = Date.now();
    beatCpu = cpuMs(child.pid) ?? beatCpu;
  });
  child.stdio[3].on('error', () => undefined);
  child.stdin.on('error', () => undefined);
  child.stdin.end(options.input);
  timer = setInterval(() => {
    Atomics.add(flag, 1, 1);
    const cpu = child.pid === undefined ? undefined : cpuMs(child.pid);
    if (cpu !== undefined && cpu - beatCpu > options.stall.cpuMs)
      stop('made no progress in ' + seconds(cpu - beatCpu) + ' s of CPU (no statement finished)');
    else if (Date.now() - beatAt > options.stall.wallMs)
      stop('made no progress in ' + seconds(Date.now() - beatAt) + ' s (no statement finished)');
  }, 250);
  child.on('error', (e) =>
    finish({ error: { stderr: Buffer.concat(err).toString('utf8'), message: String(e.message) } }),
  );
  child.on('close', (code, signal) => {
    if (stopped) finish({ error: { stderr: '', message: 'stopped: it ' + stopped } });
    else if (code === 0) finish({ out: Buffer.concat(out).toString('utf8') });
    else
      finish({
        error: {
          stderr: Buffer.concat(err).toString('utf8'),
          message: 'it exited with ' + (signal ? 'signal ' + signal : 'code ' + code),
        },
      });
  });
} catch (e) {
  finish({ error: { stderr: '', message: String(e?.message ?? e) } });
}
`;

/**
 * Runs `file` with `args` (as `execFileSync` would, watched for progress instead of timed out), with the work
 * registered by `whileChildRuns` done while the child runs when there is any. The outcome, never a throw.
 */
export function runBeside(file: string, args: string[], options: ChildOptions): ChildOutcome {
  const work = meanwhile;
  meanwhile = undefined;
  const started = startThread(file, args, options);
  if (!started) return runHere(file, args, options);
  // However the work ends, the child is waited for before anything propagates: it is never left running unanswered.
  let thrown: { error: unknown } | undefined;
  try {
    work?.(started.done);
  } catch (error) {
    thrown = { error };
  }
  const outcome = started.wait();
  if (thrown) throw thrown.error;
  return outcome;
}

/** Where no thread can be started: `execFileSync`, whose only watch is a timeout of the stall's wall time. */
function runHere(file: string, args: string[], options: ChildOptions): ChildOutcome {
  try {
    const out = execFileSync(file, args, {
      cwd: options.cwd,
      input: options.input,
      encoding: 'utf8',
      maxBuffer: options.maxBuffer,
      timeout: options.stall.wallMs,
      stdio: ['pipe', 'pipe', options.stderr],
    });
    return { out };
  } catch (e) {
    const err = e as { stderr?: unknown; message?: unknown };
    return { error: { stderr: typeof err.stderr === 'string' ? err.stderr : '', message: String(err.message ?? e) } };
  }
}

interface Started {
  done: () => boolean;
  wait: () => ChildOutcome;
}

function startThread(file: string, args: string[], options: ChildOptions): Started | undefined {
  const flag = new Int32Array(new SharedArrayBuffer(12));
  const { port1, port2 } = new MessageChannel();
  let worker: Worker;
  try {
    worker = new Worker(THREAD, {
      eval: true,
      workerData: { file, args, options, flag, port: port2, beatEnv: BEAT_FD_ENV },
      transferList: [port2],
    });
  } catch {
    port1.close();
    return undefined;
  }
  // The thread ends by itself once it has answered; it must not keep the process alive if the caller throws first.
  worker.unref();
  const done = (): boolean => Atomics.load(flag, 0) === 1;
  return {
    done,
    wait: () => {
      let ticks = Atomics.load(flag, 1);
      let aliveAt = Date.now();
      while (!done()) {
        Atomics.wait(flag, 0, 0, 1000);
        const now = Atomics.load(flag, 1);
        if (now !== ticks) {
          ticks = now;
          aliveAt = Date.now();
        } else if (Date.now() - aliveAt > THREAD_SILENT_MS && !done()) {
          // The thread died without answering (out of memory, killed): its child is stopped here.
          const pid = Atomics.load(flag, 2);
          if (pid > 0) killQuietly(pid);
          void worker.terminate();
          port1.close();
          return { error: { stderr: '', message: 'the thread watching it stopped without an answer' } };
        }
      }
      const received = receiveMessageOnPort(port1)?.message as ChildOutcome | undefined;
      port1.close();
      return received ?? { error: { stderr: '', message: 'the thread running it ended without an answer' } };
    },
  };
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}
