// `npm run bench -- --dir PATH --warm-profile`: the plugin's own share of a warm lint, measured inside one lint rather
// than as the difference of two (issue 13: ≤ 10 %). The end-to-end rounds of `--warm-overhead` compare two whole ESLint
// runs, whose own spread on a shared machine (0–16 % between rounds of the same build) is larger than the plugin's
// cost; a profile's shares are not moved by the load (every sample is taken on the lint's thread, whoever else runs).
//
// One warm lint with rls-guard's `recommended` (the index read from disk, as a new process reads it) runs under V8's CPU
// profiler and its sampling heap profiler, in this process (node:inspector). A CPU sample is the plugin's when a frame
// of its stack runs rls-guard's own code (this package's src/ and rules/, not node_modules): its rules' create and
// listeners, its start (config, model, packs), the index's read and each file's lookup, all inclusive of what they call
// (TypeScript's scanner, node's hashing). An allocation sample is the plugin's by the same test: its share of the bytes
// allocated is its share of what the run's garbage collections have to do. What ESLint does because rls-guard's rules
// are configured, outside their code (a rule context per rule and file, `fileContext.extend`), is counted as the
// samples of ESLint's rule set-up times rls-guard's share of the rules configured; the listeners the rules return are
// counted by kind (`listenerCounts` in src/eslint/report-findings.ts): a node type or selector the plugin listens to
// would make ESLint's traversal call it on every file.
import fs from 'node:fs';
import inspector from 'node:inspector/promises';
import path from 'node:path';
import { resetProjectIndexes } from '../src/eslint/project-index.js';
import { forgetProcessKind } from '../src/eslint/settings.js';
import { listenerCounts, resetListenerCounts } from '../src/eslint/report-findings.js';
import { eslint, warmIndexOf } from './eslint.js';
import type { EslintBase } from './args.js';

/** Profile nodes as V8's inspector returns them (the fields read here). */
interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface CpuNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: CpuNode[];
  samples: number[];
}
interface HeapNode {
  callFrame: CallFrame;
  selfSize: number;
  children: HeapNode[];
}

export interface WarmProfile {
  base: EslintBase;
  files: number;
  messages: number;
  /** CPU ms (user + system) of the profiled lint, and the sampling interval (µs). */
  cpuMs: number;
  intervalUs: number;
  samples: number;
  /** Samples with rls-guard's code on the stack, and their share of the lint's samples (%). */
  pluginSamples: number;
  pluginPct: number;
  /** ESLint's rule set-up (`runRules` creating the contexts) times rls-guard's share of the rules configured. */
  eslintForPluginPct: number;
  /** Samples in V8's garbage collector (of all), and rls-guard's share of the bytes allocated (%). */
  gcPct: number;
  pluginAllocPct: number;
  allocatedMb: number;
  /** GC samples in proportion to rls-guard's allocation share (%, of all samples). */
  gcForPluginPct: number;
  /** The plugin's share, its set-up in ESLint and its part of the GC together (%). */
  totalPct: number;
  /** The plugin's samples by what they were doing (inclusive, % of all samples; a sample counts once per part). */
  parts: Record<string, number>;
  /** The plugin's functions with the most samples under them (inclusive, % of all samples). */
  top: { fn: string; pct: number }[];
  /** Listeners rls-guard's rules returned over the lint, by key (`Program:exit`…), and rule contexts created. */
  listeners: Record<string, number>;
  rulesCreated: number;
}

/** What a plugin sample was doing: the first part whose function is on its stack (innermost first). */
const PARTS: [string, RegExp][] = [
  ['index read from disk', /^(load|takeInDisk|syncFromDisk|ProjectIndex)$/],
  ['look at the project', /^(lookAtProject|relist|refresh)$/],
  ['config, model, packs', /^(configFor|modelFor|lookAtModel|readModel|packsFor|packsKeyFor|usesFor|loadPacks)$/],
  ['index lookup (hash, keys)', /^(cached|cachedFindings|view|textHash|localKeys|base)$/],
  ['pack scan', /^(packScan|scanFile|scanCode)$/],
  ['suppressions and set-aside', /^(judge|findSuppressions|applySuppressions)$/],
  ['file analysis', /^(ownAnalysis|analyze|projectFindings)$/],
  // A file ESLint's parser gave no TypeScript tree (ESLint's own parser on `.js`): parsed for its syntax gaps.
  ['TypeScript parse of the linted text', /^(tsSourceFile|parseSource)$/],
];

/** One warm lint of `dir` under the profilers; the index built first by a cold lint (untimed), read from disk. */
export async function warmProfile(dir: string, base: EslintBase = 'typescript-eslint'): Promise<WarmProfile> {
  const indexDir = await warmIndexOf(dir, base);
  forgetProcessKind();
  resetListenerCounts();
  const session = new inspector.Session();
  session.connect();
  const intervalUs = 500;
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: intervalUs });
  await session.post('HeapProfiler.enable');
  const linter = eslint(dir, true, undefined, base);
  // Every sampled allocation, collected or not (without the flags, the profile holds only what is alive at its end).
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 16384,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  await session.post('Profiler.start');
  const start = process.cpuUsage();
  const results = await linter.lintFiles(['.']);
  const used = process.cpuUsage(start);
  const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
  const heap = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: HeapNode } };
  session.disconnect();
  // The raw profiles, for a closer look (chrome://inspect, /work/notes/lead33/prof.py).
  const keep = process.env.WARM_PROFILE_OUT;
  if (keep) {
    fs.writeFileSync(`${keep}.cpuprofile`, JSON.stringify(profile));
    fs.writeFileSync(`${keep}.heapprofile`, JSON.stringify(heap.profile));
  }
  const counts = listenerCounts();
  resetProjectIndexes();
  fs.rmSync(indexDir, { recursive: true, force: true });
  delete process.env.RLS_GUARD_INDEX_DIR;
  const configured = await linter.calculateConfigForFile(results[0]?.filePath ?? path.join(dir, 'x.ts'));
  const rules = Object.entries((configured as { rules?: Record<string, unknown> }).rules ?? {}).filter(
    ([, v]) => (Array.isArray(v) ? v[0] : v) !== 0 && (Array.isArray(v) ? v[0] : v) !== 'off',
  );
  const ours = rules.filter(([id]) => id.startsWith('rls-guard/')).length;
  return attribute(profile, heap.profile.head, {
    base,
    files: results.length,
    messages: results.reduce((n, r) => n + r.messages.length, 0),
    cpuMs: Math.round((used.user + used.system) / 1000),
    intervalUs,
    ruleShare: rules.length ? ours / rules.length : 0,
    listeners: counts.listeners,
    rulesCreated: counts.created,
  });
}

/** Whether a frame runs rls-guard's own code (its sources or build, not a dependency's). */
export function ownFrame(url: string, root: string): boolean {
  if (!url) return false;
  const file = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  if (!file.startsWith(root + path.sep) || file.includes(`${path.sep}node_modules${path.sep}`)) return false;
  const rel = path.relative(root, file).split(path.sep);
  const top = rel[0] === 'dist' ? rel[1] : rel[0];
  return top === 'src' || top === 'rules';
}

interface Facts {
  base: EslintBase;
  files: number;
  messages: number;
  cpuMs: number;
  intervalUs: number;
  ruleShare: number;
  listeners: Record<string, number>;
  rulesCreated: number;
}

/** The shares of one profile (exported for the test, which feeds it profiles made by hand). */
export function attribute(profile: CpuProfile, heapHead: HeapNode, facts: Facts, root = packageRoot()): WarmProfile {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const sampled = new Map<number, number>();
  for (const id of profile.samples) sampled.set(id, (sampled.get(id) ?? 0) + 1);
  let plugin = 0;
  let gc = 0;
  let setUp = 0;
  const parts = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, count] of sampled) {
    const stack: CallFrame[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) stack.push(byId.get(at)!.callFrame);
    if (stack[0]?.functionName === '(garbage collector)') gc += count;
    const own = stack.filter((f) => ownFrame(f.url, root));
    if (!own.length) {
      // ESLint creating a rule context for each configured rule (runRules → extend), outside any rule's code.
      const names = stack.map((f) => f.functionName);
      if (names.includes('runRules') && names.includes('extend')) setUp += count;
      continue;
    }
    plugin += count;
    const names = new Set(own.map((f) => f.functionName));
    const part = PARTS.find(([, re]) => [...names].some((n) => re.test(n)))?.[0] ?? 'rule create and listeners';
    parts.set(part, (parts.get(part) ?? 0) + count);
    const keys = new Set(own.map((f) => `${f.functionName || '(anonymous)'} ${path.basename(f.url)}`));
    for (const k of keys) inclusive.set(k, (inclusive.get(k) ?? 0) + count);
  }
  let allocated = 0;
  let ours = 0;
  const walk = (node: HeapNode, inOwn: boolean): void => {
    const own = inOwn || ownFrame(node.callFrame.url, root);
    allocated += node.selfSize;
    if (own) ours += node.selfSize;
    for (const c of node.children) walk(c, own);
  };
  walk(heapHead, false);
  const total = profile.samples.length || 1;
  const pct = (n: number): number => Math.round((n / total) * 1000) / 10;
  const pluginAllocPct = allocated ? Math.round((ours / allocated) * 1000) / 10 : 0;
  const gcForPlugin = (gc * ours) / (allocated || 1);
  const forPlugin = setUp * facts.ruleShare;
  return {
    base: facts.base,
    files: facts.files,
    messages: facts.messages,
    cpuMs: facts.cpuMs,
    intervalUs: facts.intervalUs,
    samples: profile.samples.length,
    pluginSamples: plugin,
    pluginPct: pct(plugin),
    eslintForPluginPct: pct(forPlugin),
    gcPct: pct(gc),
    pluginAllocPct,
    allocatedMb: Math.round(allocated / 2 ** 20),
    gcForPluginPct: pct(gcForPlugin),
    totalPct: pct(plugin + forPlugin + gcForPlugin),
    parts: Object.fromEntries([...parts].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, pct(v)])),
    top: [...inclusive]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 20)
      .map(([fn, n]) => ({ fn, pct: pct(n) })),
    listeners: facts.listeners,
    rulesCreated: facts.rulesCreated,
  };
}

function packageRoot(): string {
  return path.resolve(import.meta.dirname, '..');
}

/** The lines `npm run bench -- --warm-profile` prints before the JSON. */
export function warmProfileLines(p: WarmProfile): string[] {
  const listeners = Object.entries(p.listeners).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  return [
    `warm lint of ${p.files} files (${p.messages} messages), ${p.cpuMs} ms CPU, ${p.samples} samples of ${p.intervalUs} µs`,
    `rls-guard's code on the stack: ${p.pluginPct} % of the samples; ESLint's rule set-up for its rules ` +
      `${p.eslintForPluginPct} %; GC ${p.gcPct} % of the samples, rls-guard's share of the bytes allocated ` +
      `${p.pluginAllocPct} % (of ${p.allocatedMb} MB), so ${p.gcForPluginPct} %`,
    `the plugin's warm share: ${p.totalPct} % (target ≤ 10 %)`,
    `by part: ${Object.entries(p.parts).map(([k, v]) => `${k} ${v} %`).join(', ')}`,
    `rule contexts created ${p.rulesCreated}; listeners returned: ${listeners}`,
  ];
}
