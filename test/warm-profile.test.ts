import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchArgs } from '../bench/args.js';
import { attribute, ownFrame, warmProfileLines } from '../bench/warm-profile.js';

// The bench's `--warm-profile` (lint36): the plugin's share of a warm lint read from a CPU profile and an allocation
// profile, here fed profiles made by hand, so what counts as the plugin's is checked without running a lint.

const ROOT = '/pkg';
const frame = (functionName: string, file: string) => ({ functionName, url: `file://${file}`, lineNumber: 0 });

describe('the warm profile', () => {
  it("counts a sample as the plugin's when its own code is on the stack, not a dependency's", () => {
    expect(ownFrame('file:///pkg/src/eslint/project-index.ts', ROOT)).toBe(true);
    expect(ownFrame('file:///pkg/dist/rules/no-unscoped-write.js', ROOT)).toBe(true);
    expect(ownFrame('file:///pkg/node_modules/eslint/lib/linter/linter.js', ROOT)).toBe(false);
    expect(ownFrame('file:///pkg/bench/warm-profile.ts', ROOT)).toBe(false);
    expect(ownFrame('node:fs', ROOT)).toBe(false);
    expect(ownFrame('', ROOT)).toBe(false);
  });

  it('shares the samples, ESLint\'s rule set-up and the GC by what ran them', () => {
    const eslintJs = path.join(ROOT, 'node_modules/eslint/lib/linter/linter.js');
    const nodes = [
      { id: 1, callFrame: frame('(root)', ''), children: [2, 5, 7] },
      { id: 2, callFrame: frame('runRules', eslintJs), children: [3, 4, 8] },
      { id: 3, callFrame: frame('extend', eslintJs) },
      { id: 4, callFrame: frame('create', '/pkg/rules/rule.ts'), children: [6] },
      { id: 5, callFrame: frame('(garbage collector)', '') },
      { id: 6, callFrame: frame('cached', '/pkg/src/eslint/project-index.ts') },
      { id: 7, callFrame: frame('parse', path.join(ROOT, 'node_modules/x/parser.js')) },
      { id: 8, callFrame: frame('createRuleListeners', eslintJs) },
    ];
    // 100 samples: 10 in the index lookup, 5 in a rule's create, 20 creating rule contexts, 25 GC, 40 parsing.
    const samples = [
      ...Array<number>(10).fill(6), ...Array<number>(5).fill(4), ...Array<number>(20).fill(3),
      ...Array<number>(25).fill(5), ...Array<number>(40).fill(7),
    ];
    const heap = {
      callFrame: frame('(root)', ''), selfSize: 0,
      children: [
        { callFrame: frame('create', '/pkg/rules/rule.ts'), selfSize: 100, children: [
          { callFrame: frame('slice', 'node:buffer'), selfSize: 100, children: [] },
        ] },
        { callFrame: frame('parse', path.join(ROOT, 'node_modules/x/parser.js')), selfSize: 800, children: [] },
      ],
    };
    const facts = {
      base: 'typescript-eslint' as const, files: 2, messages: 0, cpuMs: 50, intervalUs: 500, ruleShare: 0.25,
      listeners: {}, rulesCreated: 4,
    };
    const p = attribute({ nodes, samples }, heap, facts, ROOT);
    expect(p.pluginSamples).toBe(15);
    expect(p.pluginPct).toBe(15);
    expect(p.parts).toEqual({ 'index lookup (hash, keys)': 10, 'rule create and listeners': 5 });
    // A quarter of the rules configured are rls-guard's: a quarter of the 20 samples creating rule contexts.
    expect(p.eslintForPluginPct).toBe(5);
    expect(p.gcPct).toBe(25);
    // 200 of 1,000 bytes allocated under rls-guard's code (a node built-in it called counts): a fifth of the GC.
    expect(p.pluginAllocPct).toBe(20);
    expect(p.gcForPluginPct).toBe(5);
    expect(p.totalPct).toBe(25);
    expect(warmProfileLines(p)[2]).toBe("the plugin's warm share: 25 % (target ≤ 10 %)");
  });

  it('is a mode of the bench of its own, on a folder', () => {
    expect(benchArgs(['--dir', 'x', '--warm-profile']).warmProfile).toBe(true);
    expect(benchArgs(['--dir', 'x']).warmProfile).toBe(false);
    expect(() => benchArgs(['--warm-profile'])).toThrow(/needs --dir/);
    expect(() => benchArgs(['--dir', 'x', '--warm-profile', '--warm-overhead', '3'])).toThrow(/one or the other/);
  });
});
