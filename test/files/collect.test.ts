import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { afterEach, expect, it, vi } from 'vitest';
import { COLLECT_FROM_CHARS, collectAfterAnalysis } from '../../src/files/collect.js';
import { auditSync } from '../../src/walker/audit.js';

// Issue 15's peak RSS (docs/performance.md, mem31): once a large analysis is done, its engine and the garbage the old
// generation carries are collected before the report's phases grow the heap on top of them.

const APP = path.resolve(import.meta.dirname, '../../fixtures/example-app');

afterEach(() => {
  delete process.env['RLS_GUARD_PHASES'];
  delete process.env['RLS_GUARD_COLLECT_FROM_CHARS'];
  vi.restoreAllMocks();
});

/** The phase timer's rows of an audit of the example app, every analysis counted as large. */
function phasesOfAudit(): string[] {
  process.env['RLS_GUARD_COLLECT_FROM_CHARS'] = '0';
  process.env['RLS_GUARD_PHASES'] = '1';
  let err = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err += String(chunk);
    return true;
  });
  auditSync({ paths: [APP], types: false, schemaSource: 'static' });
  vi.restoreAllMocks();
  return err
    .split('\n')
    .map((line) => /^\s*\d+\.\d\d s {2}(.*)$/.exec(line)?.[1])
    .filter((name): name is string => !!name);
}

// First in the file: the collector is made once per process, and V8's flags are the process's.
it("leaves V8's flags as they were, so the code cache written after it is accepted by the next run", () => {
  // V8 keys cached code by a hash of its flags: data made after a flag was left set is rejected by a process started
  // without it (the CLI writes its bundle's code cache at its end, code-cache.ts).
  expect(collectAfterAnalysis(COLLECT_FROM_CHARS)).toBe(true);
  const source = 'function f(a, b) { return a + b; } f(1, 2);';
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-collect-')), 'code.bin');
  fs.writeFileSync(file, new vm.Script(source, { filename: 'code.js' }).createCachedData());
  const check =
    `const vm = require('node:vm'); const data = require('node:fs').readFileSync(${JSON.stringify(file)});` +
    `process.stdout.write(String(new vm.Script(${JSON.stringify(source)}, { filename: 'code.js', cachedData: data })` +
    `.cachedDataRejected));`;
  expect(execFileSync(process.execPath, ['-e', check], { encoding: 'utf8' })).toBe('false');
});

it('collects once, after the analysis returns and before the report phases', () => {
  const phases = phasesOfAudit();
  expect(phases.filter((p) => p === 'full collection after the analysis')).toHaveLength(1);
  const at = phases.indexOf('full collection after the analysis');
  expect(phases[at - 1]).toBe('findings per file');
  expect(phases[at + 1]).toBe('site checks, suppressions, source packs');
});

it('frees, inside the synchronous audit, an object nothing holds any more', async () => {
  // Held weakly only, and made in an earlier turn (a WeakRef keeps its target for the turn that made or read it).
  let held: { rows: number[] } | undefined = { rows: new Array<number>(400_000).fill(7) };
  const weak = new WeakRef(held);
  await new Promise((resolve) => setImmediate(resolve));
  held = undefined;
  process.env['RLS_GUARD_COLLECT_FROM_CHARS'] = '0';
  auditSync({ paths: [APP], types: false, schemaSource: 'static' });
  expect(weak.deref()).toBeUndefined();
});

it('collects only from the threshold on, and not where no collection can be asked', () => {
  const gc = vi.fn();
  expect(collectAfterAnalysis(COLLECT_FROM_CHARS - 1, () => gc)).toBe(false);
  expect(gc).not.toHaveBeenCalled();
  expect(collectAfterAnalysis(COLLECT_FROM_CHARS, () => gc)).toBe(true);
  expect(gc).toHaveBeenCalledTimes(1);
  expect(collectAfterAnalysis(COLLECT_FROM_CHARS, () => undefined)).toBe(false);
  process.env['RLS_GUARD_COLLECT_FROM_CHARS'] = '10';
  expect(collectAfterAnalysis(10, () => gc)).toBe(true);
  expect(gc).toHaveBeenCalledTimes(2);
});
