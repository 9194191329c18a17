import { execFileSync, type ExecFileSyncOptionsWithStringEncoding } from 'node:child_process';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';

// The audit waits for the schema worker (the migrations' replay in PGlite: seconds, on a core of its own) before it
// can judge anything, but the sources' parse needs no model. So when the caller has work that can go on meanwhile,
// the child is run from a worker thread (which blocks in `execFileSync` as the main thread did) and the main thread
// does that work until the child is done, then waits for the rest. Everything stays synchronous for the caller: the
// answer comes back through `receiveMessageOnPort` once a shared flag says it is there, so ESLint's synchronous rules
// and the audit's synchronous pipeline are unchanged; only the wall time moves.

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

/** How long the thread is waited for past the child's own timeout before the wait gives up. */
const GRACE_MS = 30_000;

// The thread's code, CommonJS for `eval`: it loads nothing of rls-guard's (so it runs the same from the sources under
// vitest and from dist), and sets the flag whatever happens, so the main thread's wait always ends.
const THREAD = `
const { workerData } = require('node:worker_threads');
const { execFileSync } = require('node:child_process');
let message;
try {
  message = { out: execFileSync(workerData.file, workerData.args, workerData.options) };
} catch (e) {
  message = { error: { stderr: typeof e?.stderr === 'string' ? e.stderr : '', message: String(e?.message ?? e) } };
} finally {
  workerData.port.postMessage(message ?? { error: { stderr: '', message: 'no answer' } });
  Atomics.store(workerData.flag, 0, 1);
  Atomics.notify(workerData.flag, 0);
}
`;

/**
 * `execFileSync(file, args, options)`, with the work registered by `whileChildRuns` done while the child runs when
 * there is any (and a thread can be started); else `execFileSync` itself. Either way the outcome, never a throw.
 */
export function runBeside(file: string, args: string[], options: ExecFileSyncOptionsWithStringEncoding): ChildOutcome {
  const work = meanwhile;
  meanwhile = undefined;
  const started = work ? startThread(file, args, options) : undefined;
  if (!started) return runHere(file, args, options);
  // However the work ends, the child is waited for before anything propagates: it is never left running unanswered.
  let thrown: { error: unknown } | undefined;
  try {
    work!(started.done);
  } catch (error) {
    thrown = { error };
  }
  const outcome = started.wait((options.timeout ?? 0) > 0 ? options.timeout! + GRACE_MS : undefined);
  if (thrown) throw thrown.error;
  return outcome;
}

function runHere(file: string, args: string[], options: ExecFileSyncOptionsWithStringEncoding): ChildOutcome {
  try {
    return { out: execFileSync(file, args, options) };
  } catch (e) {
    const err = e as { stderr?: unknown; message?: unknown };
    return { error: { stderr: typeof err.stderr === 'string' ? err.stderr : '', message: String(err.message ?? e) } };
  }
}

interface Started {
  done: () => boolean;
  wait: (limitMs: number | undefined) => ChildOutcome;
}

function startThread(
  file: string,
  args: string[],
  options: ExecFileSyncOptionsWithStringEncoding,
): Started | undefined {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  let worker: Worker;
  try {
    worker = new Worker(THREAD, {
      eval: true,
      workerData: { file, args, options, flag, port: port2 },
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
    wait: (limitMs) => {
      const deadline = limitMs === undefined ? Infinity : Date.now() + limitMs;
      while (!done()) {
        const left = deadline - Date.now();
        if (left <= 0) {
          void worker.terminate();
          port1.close();
          return { error: { stderr: '', message: `no answer within ${Math.round(limitMs! / 1000)} s` } };
        }
        Atomics.wait(flag, 0, 0, Math.min(left, 1000));
      }
      const received = receiveMessageOnPort(port1)?.message as ChildOutcome | undefined;
      port1.close();
      return received ?? { error: { stderr: '', message: 'the thread running it ended without an answer' } };
    },
  };
}
