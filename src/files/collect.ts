// One full collection once a large analysis is done (issue 15, docs/performance.md mem31). After the parse no full
// collection runs in a large audit: V8 lets the old generation grow to hold the flows' and the settlement's floating
// garbage, and when `analyze` returns its engine, resolvers and call graph (160 MB on a 500 KLOC tree) are garbage
// too, but nothing collects them: the report's phases and its formatting then grow the heap further, to the audit's
// peak. One collection there frees those pages before the rest of the audit runs on top of them. It costs one marking
// of what is live (the trees: about 0.6 s of CPU on a 500 KLOC tree), so it runs only when the analysis was large:
// a small one's heap stays small, and an editor or a test suite analysing small files pays nothing.
// Nothing in the analysis observes a collection (no finaliser or weak reference decides a verdict), so reports do not
// move.

import v8 from 'node:v8';
import vm from 'node:vm';
import { phase } from './phase-timer.js';

/** Source characters analysed from which a collection pays for itself (signacare 20.6 M, midday about 10.8 M). */
export const COLLECT_FROM_CHARS = 4_000_000;

/** The threshold, or RLS_GUARD_COLLECT_FROM_CHARS's (a number of characters; 0 always collects; tests use it). */
function threshold(): number {
  const set = process.env['RLS_GUARD_COLLECT_FROM_CHARS'];
  const n = set === undefined || set === '' ? NaN : Number(set);
  return Number.isFinite(n) && n >= 0 ? n : COLLECT_FROM_CHARS;
}

let collector: (() => void) | null | undefined;

/**
 * V8's full collection as a function: node's own under `--expose-gc`, else the one V8 gives a new context once the
 * flag is set at run time (a flag only read when a context is made: the main context keeps no `gc`). Undefined where
 * neither is possible (a runtime without `vm` or the flag): then nothing is collected early, as before.
 */
export function fullCollection(): (() => void) | undefined {
  if (collector === undefined) {
    const own = (globalThis as { gc?: () => void }).gc;
    if (typeof own === 'function') collector = own;
    else {
      try {
        v8.setFlagsFromString('--expose-gc');
        const gc = vm.runInNewContext('gc') as unknown;
        // Set back at once: V8's code cache is keyed by a hash of the flags, so a flag left set would make the cache
        // the CLI writes at its end (code-cache.ts) one the next run rejects, and every run would compile cold.
        v8.setFlagsFromString('--no-expose-gc');
        collector = typeof gc === 'function' ? (gc as () => void) : null;
      } catch {
        collector = null;
      }
    }
  }
  return collector ?? undefined;
}

/**
 * Collects once when `chars` characters of source were analysed and that is at least the threshold, in a phase of its
 * own for the phase timer; true if it did.
 */
export function collectAfterAnalysis(chars: number, collect: () => (() => void) | undefined = fullCollection): boolean {
  if (chars < threshold()) return false;
  const gc = collect();
  if (!gc) return false;
  phase('full collection after the analysis');
  gc();
  return true;
}
