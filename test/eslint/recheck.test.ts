import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFor, modelFor } from '../../src/eslint/lint-analysis.js';
import { MIN_RECHECK_MS, Recheck } from '../../src/eslint/recheck.js';

// What the plugin reads from the whole project is read once per process and looked at again
// on a schedule, never per linted file or per folder.

describe('the recheck schedule', () => {
  it('is due at first, then after the shortest interval, or 50 times what the last look cost', () => {
    const r = new Recheck();
    expect(r.due(0)).toBe(true);
    r.done(10, 1000); // a cheap look: the shortest interval
    expect(r.due(1000 + MIN_RECHECK_MS - 1)).toBe(false);
    expect(r.due(1000 + MIN_RECHECK_MS)).toBe(true);
    r.done(400, 5000); // a look that cost 400 ms waits 20 s
    expect(r.interval()).toBe(20_000);
    expect(r.due(5000 + 19_999)).toBe(false);
    expect(r.due(5000 + 20_000)).toBe(true);
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
