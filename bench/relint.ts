// The editor's re-lint of one file of a real repository (`npm run bench -- --dir PATH --relint
// FILE`), apart from the whole-project rows (which take most of an hour on a 500 KLOC
// repository): a long-lived ESLint process lints FILE without a budget (the warm state an
// editor reaches once the background build is done), then edits of its unsaved text are
// linted with the editor's budget, each timed in CPU. The edits are the kinds an editor sees:
// a comment at the end, a line inside the body of the file's first function (every line below
// it moves), and the same text again. `--repeat N` (env RELINT_REPEAT) adds N more edits, each a
// distinct text (a comment at the end, then a line inside the first function, alternately), and
// a summary of them: CPU and wall per edit, least and median, and the load average.
//
// `--relint-sample N [--seed S]` (relintSampleBench): the same over N files of the project instead of one, chosen by
// bench/sample.ts among the TypeScript files holding a write site (at least half of them with a site that needs other
// files), each opened (an unbounded lint, the warm state) and edited twice, with the distribution of the edits.
//
// "ESLint alone" is the bench's baseline (bench/args.ts): typescript-eslint's `recommended` (no types) unless
// `--warm-base parser`; the plugin's lints run the same configuration with rls-guard's `recommended` added.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import inspector from 'node:inspector';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import { ESLint } from 'eslint';
import { lastLintAnalysedAlone } from '../src/eslint/lint-analysis.js';
import { indexChores, lastIndexWork, resetProjectIndexes } from '../src/eslint/project-index.js';
import { lastCallerIndex } from '../src/analysis/caller-index.js';
import { typedGatherWork } from '../src/analysis/function-types.js';
import { lastRoutesWork } from '../src/analysis/roots/entry-points.js';
import { forgetProcessKind } from '../src/eslint/settings.js';
import { baseLabel, type EslintBase } from './args.js';
import { eslint, freshIndexDir, idleMoment, timed } from './eslint.js';
import {
  chooseSample,
  distribution,
  type Distribution,
  insideFirstFunction,
  insideFunctionAt,
  type SampleCandidate,
} from './sample.js';

export interface RelintEdit {
  edit: string;
  cpuMs: number;
  wallMs: number;
  /** The same text linted by ESLint alone (the baseline, see RelintBench.base; warm, the least of three): the floor under cpuMs. */
  eslintAloneMs: number;
  /**
   * How much the old generation grew during the lint, MB, and during the first of ESLint alone's lints of the same
   * text (what they promoted, less what a collection in them freed: a mark-compact makes it negative).
   */
  promotedMb: number;
  alonePromotedMb: number;
  /** Files the index analysed for it (the edited file and those whose facts had read it), and the files dropped. */
  analysed: number;
  dropped: number;
  /** False when a cross-file site of the file was still "being built" after this lint. */
  decided: boolean;
  /** CPU of the idle moment before the edit (bench/eslint.ts `idleMoment`), counted apart from cpuMs. */
  idleMs: number;
  /** Whether the file was analysed on its own first (in a fresh engine), besides the project's analysis. */
  alone: boolean;
  /** ESLint could not parse the edited text (the edit measures nothing then): never expected, shown if it happens. */
  parseError?: true;
  /**
   * The garbage collections that began during the lint (scavenges, and mark-compacts or their incremental steps)
   * and the milliseconds they took on the main thread: counts, less noisy than CPU time on a loaded machine.
   */
  gc: { minor: number; major: number; ms: number };
  /**
   * The session's call graph at this lint (caller-index.ts): files whose part was built again, unchanged files whose
   * value or typed edges were found again; and the functions by declared type gathered (function-types.ts: files
   * looked at, functions added), deterministic where CPU at load is not.
   */
  graph?: { fresh: boolean; files: number; relinked: number; typedFiles: number; typedFunctions: number };
  /**
   * The entry-point scan's walks of the apps' routes at this lint (roots/entry-points.ts `RoutesWalk`): walked, kept
   * from the last lint, and the registrations the walked ones went through.
   */
  walks?: { walked: number; kept: number; registrations: number };
  /**
   * The looks at the project's files and at the model's inputs, and the writes of the index to disk, made during the
   * lint (recheck.ts `chores`).
   */
  chores: { looks: number; models: number; writes: number };
  /** RELINT_HEAP_GROWTH=1: the heap in use after the lint and a full collection, MB (what the process holds on to). */
  heldMb?: number;
  /**
   * RELINT_PROFILE: the CPU profile's samples taken during this lint, ms by where they fell (`profileParts`): what a
   * slow edit did that a fast one did not.
   */
  sampled?: Record<string, number>;
}

export interface RelintBench {
  file: string;
  /** What "ESLint alone" ran (bench/args.ts), and the plugin's lints under it. */
  base: string;
  /** The first lint, unbounded (the whole set its cross-file sites need). */
  openMs: number;
  edits: RelintEdit[];
  /** The heap in use after the open and a full collection, MB: what the editor's process holds between lints. */
  openHeldMb: number;
  /**
   * Over the repeated edits: least, median and most per edit, how many were decided, the mark-compacts (or their
   * incremental steps) that began in them, and the load average around them.
   */
  repeated?: {
    n: number;
    cpuMs: [number, number, number];
    wallMs: [number, number, number];
    decided: number;
    major: number;
    load: [number, number];
  };
}

export async function relintBench(
  dir: string,
  file: string,
  repeat = Number(process.env.RELINT_REPEAT) || 0,
  base: EslintBase = 'typescript-eslint',
): Promise<RelintBench> {
  const target = path.resolve(dir, file);
  const session = editorSession(dir, base);
  const text = fs.readFileSync(target, 'utf8');
  // RELINT_OPEN_HEAP=FILE: a sampling heap profile of what the open allocates and still holds after it (live objects
  // only, by allocation stack): what the editor's process keeps for its re-lints.
  const openHeap = process.env.RELINT_OPEN_HEAP ? await startHeapSampling(true) : undefined;
  const openMs = await timed(() => session.open.lintText(text, { filePath: target }));
  await session.alone.lintText(text, { filePath: target }); // warm-up, untimed
  const openHeldMb = liveHeapMb();
  if (openHeap) fs.writeFileSync(process.env.RELINT_OPEN_HEAP!, JSON.stringify(await openHeap()));
  const body = insideFirstFunction(text, target);
  const edits: [string, string][] = [
    ['comment at the end', `${text}\n// edited\n`],
    ['comment at the end, again', `${text}\n// edited again\n`],
    ['line inside the first function', body],
    ['the same text again', body],
    ['back to the saved text', text],
  ];
  // RELINT_KINDS=comment,body,write,import: the repeated edits cycle through these kinds (default comment,body): a
  // comment at the end; a line inside the first function; a line inside the function around RELINT_WRITE_LINE (a
  // write site's line: a function with writes); an import of a package added, or taken out again (alternately: the
  // other kinds keep what the last import edit left, so only an import edit changes the file's imports).
  const kinds = (process.env.RELINT_KINDS ?? 'comment,body').split(',');
  const writeLine = Number(process.env.RELINT_WRITE_LINE) || 0;
  const importLine = "import { randomUUID as editedImport } from 'node:crypto';\n";
  let imported = false;
  for (let i = 0; i < repeat; i++) {
    const kind = kinds[i % kinds.length];
    const head = (): string => (imported ? importLine : '');
    if (kind === 'comment') edits.push([`repeat ${i}: comment at the end`, `${head()}${text}\n// edit ${i}\n`]);
    else if (kind === 'body')
      edits.push([
        `repeat ${i}: line inside the first function`,
        head() + body.replace('const editedHere = 1;', `const editedHere = ${i};`),
      ]);
    else if (kind === 'write') {
      const edited = insideFunctionAt(text, target, writeLine, `const editedHere = ${i};`);
      if (!edited) throw new Error(`no function body around line ${writeLine} of ${file} (RELINT_WRITE_LINE)`);
      edits.push([`repeat ${i}: line inside the function around line ${writeLine}`, head() + edited]);
    } else if (kind === 'import') {
      imported = !imported;
      edits.push([`repeat ${i}: import ${imported ? 'added' : 'taken out'}`, `${head()}${text}\n// import edit ${i}\n`]);
    } else throw new Error(`RELINT_KINDS: unknown kind ${kind}`);
  }
  const loadBefore = os.loadavg()[0]!;
  // RELINT_PROFILE=FILE: a CPU profile of the edits only (not the open), for finding where an edit goes.
  const profile = process.env.RELINT_PROFILE ? await startProfile() : undefined;
  // RELINT_HEAP=FILE: a sampling heap profile of what the edits allocate, collected objects included (the garbage).
  const heap = process.env.RELINT_HEAP ? await startHeapSampling() : undefined;
  const collections = watchCollections();
  const out: RelintEdit[] = [];
  const spans: [bigint, bigint][] = [];
  for (const [edit, next] of edits) out.push(await timedEdit(session, target, edit, next, collections.windows, spans));
  await collections.assign(out);
  const load: [number, number] = [loadBefore, os.loadavg()[0]!];
  if (profile) {
    const stopped = (await profile()) as CpuProfile;
    fs.writeFileSync(process.env.RELINT_PROFILE!, JSON.stringify(stopped));
    out.forEach((e, i) => (e.sampled = profileParts(stopped, spans[i]!)));
  }
  if (heap) fs.writeFileSync(process.env.RELINT_HEAP!, JSON.stringify(await heap()));
  session.close();
  const rep = out.slice(out.length - repeat);
  const stat = (xs: number[]): [number, number, number] => {
    const sorted = [...xs].sort((a, b) => a - b);
    return [sorted[0] ?? 0, sorted[Math.floor(sorted.length / 2)] ?? 0, sorted[sorted.length - 1] ?? 0];
  };
  return {
    file,
    base: baseLabel(base),
    openMs: Math.round(openMs),
    openHeldMb,
    edits: out,
    ...(repeat
      ? {
          repeated: {
            n: repeat,
            cpuMs: stat(rep.map((e) => e.cpuMs)),
            wallMs: stat(rep.map((e) => e.wallMs)),
            decided: rep.filter((e) => e.decided).length,
            major: rep.reduce((n, e) => n + e.gc.major, 0),
            load: load.map((l) => Math.round(l * 10) / 10) as [number, number],
          },
        }
      : {}),
  };
}

/** The ESLint instances of an editor's process over `dir`, with a fresh index folder; close() undoes it all. */
interface EditorSession {
  /** Lints without a budget (a file's first lint once the background build is done). */
  open: ESLint;
  /** Lints with the editor's budget. */
  editor: ESLint;
  /** The baseline alone. */
  alone: ESLint;
  close(): void;
}

function editorSession(dir: string, base: EslintBase): EditorSession {
  const indexDir = freshIndexDir();
  resetProjectIndexes();
  // An editor's process from the start (as VS Code's ESLint server is recognised): the analysis
  // session keeps the dependency graph an edit needs (session.ts), which a CLI run does not build.
  const editorEnv = process.env.VSCODE_PID;
  // RELINT_CLI=1: as a command-line run instead (no graph), to compare the open's cost.
  if (!process.env.RELINT_CLI) process.env.VSCODE_PID ??= String(process.pid);
  forgetProcessKind();
  return {
    open: eslint(dir, true, { indexBudgetMs: Infinity }, base),
    editor: eslint(dir, true, { indexBudgetMs: 1500 }, base),
    alone: eslint(dir, false, undefined, base),
    close: () => {
      resetProjectIndexes();
      fs.rmSync(indexDir, { recursive: true, force: true });
      delete process.env.RLS_GUARD_INDEX_DIR;
      if (editorEnv === undefined) delete process.env.VSCODE_PID;
      forgetProcessKind();
    },
  };
}

const building = (r: ESLint.LintResult[]): boolean =>
  r.some((f) => f.messages.some((m) => m.messageId === 'indexBuilding'));

/** One edit linted with the editor's budget (CPU and wall), then the same text by the baseline alone (least of 3). */
async function timedEdit(
  session: EditorSession,
  target: string,
  edit: string,
  next: string,
  windows?: [number, number][],
  spans?: [bigint, bigint][],
): Promise<RelintEdit> {
  let results: ESLint.LintResult[] = [];
  const idleMs = await timed(idleMoment);
  const typedBefore = { ...typedGatherWork };
  const wallStart = performance.now();
  const spanStart = process.hrtime.bigint();
  const choresBefore = indexChores();
  const oldBefore = oldSpaceMb();
  const cpuMs = await timed(async () => (results = await session.editor.lintText(next, { filePath: target })));
  const wallMs = performance.now() - wallStart;
  const promotedMb = oldSpaceMb() - oldBefore;
  spans?.push([spanStart, process.hrtime.bigint()]);
  const choresAfter = indexChores();
  const chores = {
    looks: choresAfter.looks - choresBefore.looks,
    models: choresAfter.models - choresBefore.models,
    writes: choresAfter.writes - choresBefore.writes,
  };
  windows?.push([wallStart, wallStart + wallMs]);
  const work = lastIndexWork();
  const ranAlone = lastLintAnalysedAlone();
  const index = lastCallerIndex();
  const graph = index && {
    fresh: index.last.fresh,
    files: index.last.files,
    relinked: index.last.relinked,
    typedFiles: typedGatherWork.files - typedBefore.files,
    typedFunctions: typedGatherWork.functions - typedBefore.functions,
  };
  const walks = { ...lastRoutesWork() };
  let eslintAloneMs = Infinity;
  let alonePromotedMb = 0;
  for (let i = 0; i < 3; i++) {
    const before = oldSpaceMb();
    eslintAloneMs = Math.min(eslintAloneMs, await timed(() => session.alone.lintText(next, { filePath: target })));
    if (i === 0) alonePromotedMb = oldSpaceMb() - before;
  }
  return {
    edit,
    cpuMs: Math.round(cpuMs),
    wallMs: Math.round(wallMs),
    eslintAloneMs: Math.round(eslintAloneMs),
    promotedMb: Math.round(promotedMb * 10) / 10,
    alonePromotedMb: Math.round(alonePromotedMb * 10) / 10,
    ...work,
    decided: !building(results),
    idleMs: Math.round(idleMs),
    alone: ranAlone,
    ...(graph ? { graph } : {}),
    walks,
    chores,
    ...(results.some((r) => r.fatalErrorCount > 0) ? { parseError: true as const } : {}),
    gc: { minor: 0, major: 0, ms: 0 },
    ...held(),
  };
}

/**
 * Every collection during the edits, bucketed afterwards by the lint it began in (entries arrive asynchronously):
 * `windows` collects each edit's wall interval, `assign` fills each edit's `gc`.
 */
function watchCollections(): { windows: [number, number][]; assign(out: RelintEdit[]): Promise<void> } {
  const collections: { start: number; kind: number; ms: number }[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      collections.push({ start: e.startTime, kind: (e as unknown as { detail: { kind: number } }).detail.kind, ms: e.duration });
  });
  observer.observe({ entryTypes: ['gc'] });
  const windows: [number, number][] = [];
  return {
    windows,
    async assign(out) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      observer.disconnect();
      for (const c of collections) {
        const i = windows.findIndex(([from, to]) => c.start >= from && c.start <= to);
        if (i < 0) continue;
        const gc = out[i]!.gc;
        if (c.kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) gc.minor++;
        else if (c.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR || c.kind === perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL) gc.major++;
        gc.ms += c.ms;
      }
      for (const e of out) e.gc.ms = Math.round(e.gc.ms);
    },
  };
}

/** One re-linted file of the sample. */
export interface SampleFile extends SampleCandidate {
  /** The file's first lint, without a budget (CPU ms; the first file's opens the index). */
  openMs: number;
  edits: RelintEdit[];
}

export interface RelintSample {
  dir: string;
  seed: number;
  base: string;
  /** Files with a write site (TypeScript), and how many of them have a site that needs other files. */
  candidates: number;
  crossFileCandidates: number;
  files: SampleFile[];
  /** The sampled files' line counts. */
  lines: Distribution;
  /** Over every edit of every file, in ms, with the share under 300 ms. */
  cpuMs: Distribution;
  wallMs: Distribution;
  eslintAloneMs: Distribution;
  /** Edits whose cross-file sites were decided within the editor's budget. */
  decided: number;
  load: [number, number];
}

/** The files of `dir` the sample chooses from (bench/measure.ts `sites`, in a process of its own). */
export function sampleCandidates(dir: string): SampleCandidate[] {
  const script = path.join(import.meta.dirname, 'measure.ts');
  const child = spawnSync(process.execPath, ['--import', 'tsx', script, 'sites', dir], {
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  if (child.status !== 0) throw new Error(`listing the write sites of ${dir} failed: ${child.stderr.slice(-2000)}`);
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as SampleCandidate[];
}

/**
 * The editor's re-lint over `n` files of `dir` (bench/sample.ts chooses them with `seed`): in one editor's process,
 * each file is opened (an unbounded lint of its saved text; the first one builds the index) and edited twice, a
 * comment at the end and a line inside its first function, each edit linted with the editor's budget.
 */
export async function relintSampleBench(
  dir: string,
  n: number,
  seed: number,
  base: EslintBase = 'typescript-eslint',
  log: (line: string) => void = () => {},
): Promise<RelintSample> {
  const candidates = sampleCandidates(dir);
  const chosen = chooseSample(candidates, n, seed);
  log(`${candidates.length} files with a write site (${candidates.filter((c) => c.crossFile).length} cross-file); ` +
    `seed ${seed}: ${chosen.length} chosen; ESLint alone: ${baseLabel(base)}`);
  const session = editorSession(dir, base);
  const loadBefore = os.loadavg()[0]!;
  const files: SampleFile[] = [];
  for (const c of chosen) {
    const text = fs.readFileSync(c.file, 'utf8');
    const openMs = await timed(() => session.open.lintText(text, { filePath: c.file }));
    await session.alone.lintText(text, { filePath: c.file }); // warm-up, untimed
    const inside = insideFirstFunction(text, c.file);
    const edits = [
      await timedEdit(session, c.file, 'comment at the end', `${text}\n// edited\n`),
      await timedEdit(session, c.file, inside.startsWith('// edited') ? 'a line at the top (no function body)' : 'line inside the first function', inside),
    ];
    const file = { ...c, file: path.relative(dir, c.file), openMs: Math.round(openMs), edits };
    files.push(file);
    log(sampleRow(file));
  }
  const load: [number, number] = [loadBefore, os.loadavg()[0]!];
  session.close();
  const all = files.flatMap((f) => f.edits);
  return {
    dir,
    seed,
    base: baseLabel(base),
    candidates: candidates.length,
    crossFileCandidates: candidates.filter((c) => c.crossFile).length,
    files,
    lines: distribution(files.map((f) => f.lines), 300),
    cpuMs: distribution(all.map((e) => e.cpuMs), 300),
    wallMs: distribution(all.map((e) => e.wallMs), 300),
    eslintAloneMs: distribution(all.map((e) => e.eslintAloneMs), 300),
    decided: all.filter((e) => e.decided).length,
    load: load.map((l) => Math.round(l * 10) / 10) as [number, number],
  };
}

/** One file's line of the sample's table: its size, whether it is cross-file, and per edit CPU / wall / ESLint alone. */
export function sampleRow(f: SampleFile): string {
  const edits = f.edits.map(
    (e) =>
      `${e.cpuMs} / ${e.wallMs} / ${e.eslintAloneMs}${e.decided ? '' : ' (undecided)'}` +
      `${e.parseError ? ' (PARSE ERROR)' : ''}`,
  );
  return `${f.file}  ${f.lines} lines  ${f.crossFile ? 'cross-file' : 'alone'}  open ${f.openMs}  ` +
    `edits (CPU / wall / ESLint alone, ms): ${edits.join(', ')}`;
}

/** The sample's summary lines. */
export function sampleSummary(s: RelintSample): string[] {
  const d = (name: string, x: Distribution): string =>
    `${name}: p50 ${x.p50}, p90 ${x.p90}, max ${x.max} ms; under 300 ms: ${Math.round(x.under * 100)} % of ${x.n}`;
  return [
    `ESLint alone: ${s.base}; load ${s.load[0]} → ${s.load[1]}`,
    `lines of the ${s.lines.n} files: p50 ${s.lines.p50}, p90 ${s.lines.p90}, max ${s.lines.max}; ` +
      `${s.files.filter((f) => f.crossFile).length} cross-file`,
    d('CPU per edit', s.cpuMs),
    d('wall per edit', s.wallMs),
    d('ESLint alone per edit', s.eslintAloneMs),
    `edits decided within the budget: ${s.decided} of ${s.cpuMs.n}`,
  ];
}

/** The heap in use after a full collection (RELINT_HEAP_GROWTH=1; the collection is outside the timed lint). */
function held(): { heldMb?: number } {
  if (!process.env.RELINT_HEAP_GROWTH) return {};
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
  return { heldMb: Math.round(process.memoryUsage().heapUsed / 1e5) / 10 };
}

/** An inspector session of this process: its `post` as a promise. */
function inspectorPost(): (method: string, params?: object) => Promise<any> {
  const session = new inspector.Session();
  session.connect();
  return (method, params) =>
    new Promise((resolve, reject) => session.post(method, params, (e, r) => (e ? reject(e) : resolve(r))));
}

/** The parts of an inspector CPU profile this bench reads. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string }; children?: number[] }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/**
 * Where the samples of `profile` taken within `span` (process.hrtime, ns: the profiler's clock in µs) fell, ms: the
 * first of these frames found walking up from the sampled one names the part (the collector's samples have no stack).
 */
const PARTS: [string, (fn: string, file: string) => boolean][] = [
  ['collector', (fn) => fn === '(garbage collector)'],
  ['index write', (fn, file) => fn === 'save' && file === 'project-index.ts'],
  ['project look', (fn, file) => file === 'project-index.ts' && (fn === 'relist' || fn === 'refresh')],
  ['flow', (fn, file) => fn === 'analyzeFlow' && file === 'flow.ts'],
  ['forget', (fn, file) => fn === 'forgetChanged' && file === 'session.ts'],
  ['conclude', (fn, file) => fn === 'conclude' && file === 'index.ts'],
  ['rls-guard other', (fn, file) => fn === 'lintAnalysis' && file === 'lint-analysis.ts'],
  ['ESLint parse', (fn) => fn === 'parseForESLint'],
];

function profileParts(profile: CpuProfile, span: [bigint, bigint]): Record<string, number> {
  const parent = new Map<number, number>();
  const frames = new Map<number, [string, string]>();
  for (const n of profile.nodes) {
    frames.set(n.id, [n.callFrame.functionName, n.callFrame.url.split('/').pop() ?? '']);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const partOf = new Map<number, string>();
  const part = (id: number): string => {
    let hit = partOf.get(id);
    if (hit !== undefined) return hit;
    hit = 'other';
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const [fn, file] = frames.get(at)!;
      const named = PARTS.find(([, is]) => is(fn, file));
      if (named) {
        hit = named[0];
        break;
      }
    }
    partOf.set(id, hit);
    return hit;
  };
  const [from, to] = [Number(span[0] / 1000n), Number(span[1] / 1000n)];
  const out: Record<string, number> = {};
  let t = profile.startTime;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i + 1] ?? 0;
    t += profile.timeDeltas[i]!;
    if (t < from || t > to) return;
    const name = part(id);
    out[name] = (out[name] ?? 0) + dt / 1000;
  });
  for (const k of Object.keys(out)) out[k] = Math.round(out[k]!);
  return out;
}

async function startProfile(): Promise<() => Promise<object>> {
  const post = inspectorPost();
  await post('Profiler.enable');
  await post('Profiler.start');
  return async () => (await post('Profiler.stop')).profile;
}

/** The old generation's bytes in use (live or not yet collected; its large objects included), MB. */
function oldSpaceMb(): number {
  let used = 0;
  for (const s of v8.getHeapSpaceStatistics())
    if (s.space_name === 'old_space' || s.space_name === 'large_object_space') used += s.space_used_size;
  return used / 2 ** 20;
}

/** The heap in use after a full collection, MB. */
function liveHeapMb(): number {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
  return Math.round(process.memoryUsage().heapUsed / 2 ** 20);
}

async function startHeapSampling(live = false): Promise<() => Promise<object>> {
  const post = inspectorPost();
  await post('HeapProfiler.enable');
  // RELINT_HEAP_LIVE=1: what is still held when the edits are done (what they added to the heap) instead.
  const all = !live && !process.env.RELINT_HEAP_LIVE;
  const flags = { includeObjectsCollectedByMajorGC: all, includeObjectsCollectedByMinorGC: all };
  await post('HeapProfiler.startSampling', { samplingInterval: 32768, ...flags });
  return async () => (await post('HeapProfiler.stopSampling')).profile;
}
