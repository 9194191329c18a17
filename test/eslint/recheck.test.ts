import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFor, modelFor } from '../../src/eslint/lint-analysis.js';
import { MIN_RECHECK_MS, Recheck } from '../../src/eslint/recheck.js';

// What the plugin reads from the whole project is read once per process and looked at again
// on a schedule, never per linted file or per folder.

describe('the recheck schedule', () => {
  const at = (wall: number, cpu: number) => ({ wall, cpu });

  it('on the command line, is due at first, then after the shortest wall interval and 500 times the last look\'s CPU cost in CPU time', () => {
    const r = new Recheck();
    expect(r.due(at(0, 0), false)).toBe(true);
    r.done(1, at(1000, 100)); // a cheap look: 500 ms of CPU, and at least the shortest wall interval
    expect(r.due(at(1000 + MIN_RECHECK_MS - 1, 10_000), false)).toBe(false);
    expect(r.due(at(1000 + MIN_RECHECK_MS, 599), false)).toBe(false);
    expect(r.due(at(1000 + MIN_RECHECK_MS, 600), false)).toBe(true);
    r.done(40, at(5000, 1000)); // a look that cost 40 ms of CPU waits 20 s of CPU
    expect(r.interval(false)).toBe(20_000);
    expect(r.due(at(5000 + 60_000, 1000 + 19_999), false)).toBe(false);
    expect(r.due(at(5000 + 60_000, 1000 + 20_000), false)).toBe(true);
  });

  it('does not look more often on a loaded machine: wall time passing without CPU time spent is not enough', () => {
    // At load 30 on two cores a command-line run gets about a fifteenth of a core: 30 s of wall
    // time is 2 s of CPU. A look costing 10 ms of CPU waits 5 s of CPU, however long that takes.
    const r = new Recheck();
    r.done(10, at(0, 0));
    expect(r.due(at(30_000, 2_000), false)).toBe(false);
    expect(r.due(at(75_000, 5_000), false)).toBe(true);
  });

  it('in an editor (a process that waits for its user between lints), counts wall time: waiting costs nothing', () => {
    const r = new Recheck();
    r.done(10, at(0, 0));
    expect(r.due(at(MIN_RECHECK_MS - 1, 0), true)).toBe(false);
    expect(r.due(at(MIN_RECHECK_MS, 0), true)).toBe(true);
    r.done(100, at(10_000, 0)); // 5 s of wall time, whatever the CPU did
    expect(r.due(at(14_999, 0), true)).toBe(false);
    expect(r.due(at(15_000, 0), true)).toBe(true);
  });
});

describe('the config and the RLS model', () => {
  const app = path.resolve(import.meta.dirname, '../../fixtures/example-app');

  it('are shared by every folder under one config file (the model was once re-read per folder)', () => {
    const a = configFor(path.join(app, 'src'));
    const b = configFor(path.join(app, 'src/routes'));
    expect(a.file).not.toBeNull();
    expect(b).toBe(a);
    expect(modelFor(b)).toBe(modelFor(a));
  });
});
