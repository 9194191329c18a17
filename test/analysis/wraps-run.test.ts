import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { AmbientProviders } from '../../src/analysis/ambient/providers.js';
import { OriginResolver } from '../../src/code/origins.js';
import { FileSystemSourceHost } from '../../src/code/source-host.js';
import { parseSource } from '../../src/files/source.js';

// A call of a function of the codebase enters a store when a run call is within three calls of its body (`entersThrough`,
// read by the flow at each call). The answer is the function's own: it must not depend on which call was asked first.

const CHAIN = `
import { AsyncLocalStorage } from 'node:async_hooks';
const store = new AsyncLocalStorage<{ tx: unknown }>();
function e(work: () => void) { store.run({ tx: 1 }, work); }
function d(w: () => void) { e(w); }
function c(w: () => void) { d(w); }
function b(w: () => void) { c(w); }
function a(w: () => void) { b(w); }
a(() => {});
b(() => {});
d(() => {});
`;

/** entersThrough for the top-level calls of a, b and d, asked in `order`; answers by name. */
function asked(order: string[]): Record<string, boolean> {
  const sf = parseSource('/virtual/src/chain.ts', CHAIN);
  const origins = new OriginResolver(new FileSystemSourceHost([sf]));
  const ambient = new AmbientProviders(origins, '/virtual', () => '');
  const calls = new Map<string, ts.CallExpression>();
  for (const st of sf.statements)
    if (ts.isExpressionStatement(st) && ts.isCallExpression(st.expression))
      calls.set(st.expression.expression.getText(sf), st.expression);
  const out: Record<string, boolean> = {};
  for (const name of order) out[name] = ambient.entersThrough(calls.get(name)!);
  return out;
}

describe('a call that enters a store through functions of the codebase', () => {
  it('counts a run call up to three calls below the function, and no further', () => {
    expect(asked(['d', 'b', 'a'])).toEqual({ d: true, b: true, a: false });
  });

  it('gives each function the same answer whichever call is asked first', () => {
    expect(asked(['a', 'b', 'd'])).toEqual({ a: false, b: true, d: true });
    expect(asked(['a', 'd', 'b'])).toEqual({ a: false, d: true, b: true });
  });
});
