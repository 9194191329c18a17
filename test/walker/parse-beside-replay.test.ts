import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import { auditSync } from '../../src/walker/audit.js';
import { untimed } from '../support/fixture-apps.js';

// The sources are parsed while the migrations replay (beside.ts, audit.ts `ahead`): the replay is seconds of PGlite
// in a child process, and the parse needs no model. The trees the analysis then uses are those parsed meanwhile, so
// the report is the same whether the replay was run (and the parse went beside it) or read from its cache (and the
// parse came after it).

const EXAMPLE = path.resolve(import.meta.dirname, '../../fixtures/example-app');

afterEach(() => {
  delete process.env['RLS_GUARD_PHASES'];
  vi.restoreAllMocks();
});

/** The audit's report and the phase timer's rows, with the phase timer on. */
function audited(root: string): { report: string; phases: string[] } {
  process.env['RLS_GUARD_PHASES'] = '1';
  let err = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err += String(chunk);
    return true;
  });
  const report = untimed(auditSync({ paths: [root], types: false }));
  vi.restoreAllMocks();
  const phases = err
    .split('\n')
    .map((line) => /^\s*(\d+\.\d\d) s {2}(.*)$/.exec(line)?.[2])
    .filter((name): name is string => !!name);
  return { report, phases };
}

it('parses the sources while the migrations replay, to the same report as after a cached replay', () => {
  // A copy whose migrations no earlier run replayed: one comment more makes a new replay cache key.
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-beside-audit-'));
  fs.cpSync(EXAMPLE, root, { recursive: true });
  const migrations = path.join(root, 'db', 'migrations');
  const first = fs.readdirSync(migrations).sort()[0]!;
  fs.appendFileSync(path.join(migrations, first), `\n-- ${path.basename(root)}\n`);
  const replayed = audited(root);
  expect(replayed.phases).toContain('parse, while the schema worker runs');
  expect(replayed.phases).toContain('RLS model, after the schema worker');
  // The replay is now cached: no child, so the parse comes in its own phase, after the model.
  const cached = audited(root);
  expect(cached.phases).not.toContain('parse, while the schema worker runs');
  expect(cached.report).toBe(replayed.report);
  expect(JSON.parse(cached.report).writeSites.length).toBeGreaterThan(5);
});
