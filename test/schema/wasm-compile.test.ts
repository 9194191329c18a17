import v8 from 'node:v8';
import { afterEach, expect, it, vi } from 'vitest';
import { BASELINE_WASM_ONLY, compileWasmOnce } from '../../src/schema/wasm-compile.js';

// The replay child keeps PGlite's WebAssembly on V8's baseline compiler (wasm-compile.ts: a second, optimising
// compilation cost a short replay ~40 % more CPU and ~110 MB more peak memory). The flag is set at run time, where a
// name V8 does not know is ignored rather than fatal.

afterEach(() => vi.restoreAllMocks());

it('asks V8 for the baseline WebAssembly compiler only', () => {
  const set = vi.spyOn(v8, 'setFlagsFromString').mockImplementation(() => undefined);
  compileWasmOnce();
  expect(set).toHaveBeenCalledWith('--liftoff-only');
  expect(BASELINE_WASM_ONLY).toBe('--liftoff-only');
});

it('is a flag this V8 accepts on the command line too (so it names something V8 has)', async () => {
  const { execFileSync } = await import('node:child_process');
  expect(execFileSync(process.execPath, [BASELINE_WASM_ONLY, '-e', "process.stdout.write('ok')"], { encoding: 'utf8' }))
    .toBe('ok');
});
