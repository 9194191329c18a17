import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBeside, whileChildRuns } from '../../src/schema/beside.js';

// The schema worker (the migrations' replay) runs beside work the caller registered: the audit parses its sources
// while PGlite replays. What the caller gets back must be what `execFileSync` gave, however the child ends.

const NODE = process.execPath;
const OPTIONS = { encoding: 'utf8' as const, stdio: ['pipe', 'pipe', 'pipe'] as ['pipe', 'pipe', 'pipe'] };

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

  it("keeps the child's timeout", () => {
    const outcome = whileChildRuns(
      () => undefined,
      () => runBeside(NODE, ['-e', 'setTimeout(() => {}, 10000)'], { ...OPTIONS, timeout: 300 }),
    );
    expect('error' in outcome && outcome.error.message).toMatch(/ETIMEDOUT|timed out/);
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
