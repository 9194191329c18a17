import v8 from 'node:v8';

// The replay child boots PGlite: Postgres compiled to a WebAssembly module of over 10 MB. V8 compiles it at once with
// its baseline compiler (Liftoff) and then, in background threads, compiles the functions that run hot again with its
// optimising compiler (TurboFan). A replay is a few seconds of mostly cold code: the second compilation costs more
// than it saves. Measured on the replay child (docs/performance.md, liftoff29): signacare 3.85–4.01 → 2.22–2.41 s of
// CPU and 450–453 → 339–344 MB peak RSS; Oppsera (a long replay, where optimised code would pay if anywhere) the same
// CPU (46.3 → 46.9 s) and 521 → 414 MB. Same catalogs, same reports.

/** The V8 flag that keeps WebAssembly on the baseline compiler. */
export const BASELINE_WASM_ONLY = '--liftoff-only';

/**
 * Compiles WebAssembly once, with the baseline compiler only: for the replay child, before PGlite is created. Set at
 * run time rather than on the child's command line: a flag a later V8 drops is ignored here, where `node --flag`
 * would refuse to start and every replay would fail.
 */
export function compileWasmOnce(): void {
  v8.setFlagsFromString(BASELINE_WASM_ONLY);
}
