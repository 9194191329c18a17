import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ChildOptions, runBeside, whileChildRuns } from '../../src/schema/beside.js';

// The schema worker (the migrations' replay) runs beside work the caller registered: the audit parses its sources
// while PGlite replays. What the caller gets back must be what `execFileSync` gave, however the child ends.

const NODE = process.execPath;
const OPTIONS: ChildOptions = {
  cwd: process.cwd(),
  input: '',
  maxBuffer: 1 << 20,
  stderr: 'pipe',
  stall: { cpuMs: 60_000, wallMs: 60_000 },
};
const stall = (cpuMs: number, wallMs: number): ChildOptions => ({ ...OPTIONS, stall: { cpuMs, wallMs } });

/** A child that answers after `ms`, having written `marker` just before. */
function slowChild(ms: number, marker: string, answer = 'answered'): string[] {
  return [
    '-e',
    `setTimeout(() => { require('fs').writeFileSync(${JSON.stringify(marker)}, 'x'); ` +
      `process.stdout.write(${JSON.stringify(answer)}); }, ${ms})`,
  ];
}

function marker(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-beside-')), 'done');
}

describe('runBeside', () => {
  it('does the registered work while the child runs, then waits for its answer', () => {
    const done = marker();
    let turns = 0;
    let childWasRunning = false;
    const outcome = whileChildRuns(
      (childDone) => {
        // The work sees the child still running at first: it is beside the child, not before or after it.
        childWasRunning = !childDone() && !fs.existsSync(done);
        while (!childDone()) {
          turns++;
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        }
      },
      () => runBeside(NODE, slowChild(400, done), OPTIONS),
    );
    expect(outcome).toEqual({ out: 'answered' });
    expect(childWasRunning).toBe(true);
    expect(turns).toBeGreaterThan(10);
  });

  it('waits for the rest of the answer when the work ends first', () => {
    const done = marker();
    const outcome = whileChildRuns(
      () => undefined,
      () => runBeside(NODE, slowChild(300, done, 'late'), OPTIONS),
    );
    expect(outcome).toEqual({ out: 'late' });
    expect(fs.existsSync(done)).toBe(true);
  });

  it("gives a failing child's stderr, as execFileSync's error has it", () => {
    const args = ['-e', "process.stderr.write('the replay broke'); process.exit(3)"];
    const beside = whileChildRuns(() => undefined, () => runBeside(NODE, args, OPTIONS));
    const alone = runBeside(NODE, args, OPTIONS);
    expect(beside).toMatchObject({ error: { stderr: 'the replay broke' } });
    expect(alone).toMatchObject({ error: { stderr: 'the replay broke' } });
  });

  it('stops a child that spends its CPU budget without a sign of progress', () => {
    const outcome = runBeside(NODE, ['-e', 'for (;;) {}'], stall(400, 60_000));
    expect('error' in outcome && outcome.error.message).toMatch(/made no progress in \d+ s of CPU/);
  });

  it('lets a child that shows progress run well past that budget', () => {
    // Beats every 40 ms while it spins for 1.5 s: more than three budgets of CPU in all, none between two beats.
    const beating =
      'const fd = Number(process.env.RLS_GUARD_BEAT_FD); const end = Date.now() + 1500; let last = 0; ' +
      "while (Date.now() < end) if (Date.now() - last > 40) { require('fs').writeSync(fd, '.'); last = Date.now(); } " +
      "process.stdout.write('answered')";
    expect(runBeside(NODE, ['-e', beating], stall(400, 60_000))).toEqual({ out: 'answered' });
  });

  it.runIf(process.platform === 'linux')('counts CPU, not wall time: a child slowed down is not stopped', () => {
    // A machine under load stretches a replay's wall time, not its CPU: 1.5 s of waiting costs no budget.
    const waiting = ['-e', "setTimeout(() => process.stdout.write('answered'), 1500)"];
    expect(runBeside(NODE, waiting, stall(300, 60_000))).toEqual({ out: 'answered' });
  });

  it('stops a child that shows no progress for its wall budget, whatever its CPU', () => {
    const outcome = runBeside(NODE, ['-e', 'setTimeout(() => {}, 20000)'], stall(60_000, 500));
    expect('error' in outcome && outcome.error.message).toMatch(/made no progress in \d+ s \(no statement finished\)/);
  });

  it('stops a child whose answer passes the most it may write', () => {
    const outcome = runBeside(NODE, ['-e', "process.stdout.write('x'.repeat(4096))"], { ...OPTIONS, maxBuffer: 1024 });
    expect('error' in outcome && outcome.error.message).toMatch(/more than 1024 bytes/);
  });

  it('gives the child its input and the same answer beside work', () => {
    const echo = ['-e', "let s = ''; process.stdin.on('data', (c) => (s += c)).on('end', () => process.stdout.write(s))"];
    const options = { ...OPTIONS, input: 'the request' };
    expect(runBeside(NODE, echo, options)).toEqual({ out: 'the request' });
    expect(whileChildRuns(() => undefined, () => runBeside(NODE, echo, options))).toEqual({ out: 'the request' });
  });

  it('waits for the child before an exception of the work goes on', () => {
    const done = marker();
    expect(() =>
      whileChildRuns(
        () => {
          throw new Error('the work failed');
        },
        () => runBeside(NODE, slowChild(300, done), OPTIONS),
      ),
    ).toThrow('the work failed');
    // The child had answered before the exception left runBeside: it is not left running.
    expect(fs.existsSync(done)).toBe(true);
  });

  it('runs the work once, for the first child only, and not at all without one', () => {
    let calls = 0;
    const work = (): void => {
      calls++;
    };
    whileChildRuns(work, () => {
      runBeside(NODE, ['-e', "process.stdout.write('1')"], OPTIONS);
      runBeside(NODE, ['-e', "process.stdout.write('2')"], OPTIONS);
    });
    expect(calls).toBe(1);
    whileChildRuns(work, () => undefined);
    expect(calls).toBe(1);
  });
});
