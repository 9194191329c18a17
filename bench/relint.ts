// The editor's re-lint of one file of a real repository (`npm run bench -- --dir PATH --relint
// FILE`), apart from the whole-project rows (which take most of an hour on a 500 KLOC
// repository): a long-lived ESLint process lints FILE without a budget (the warm state an
// editor reaches once the background build is done), then edits of its unsaved text are
// linted with the editor's budget, each timed in CPU. The edits are the kinds an editor sees:
// a comment at the end, a line inside the body of the file's first function (every line below
// it moves), and the same text again. `--repeat N` (env RELINT_REPEAT) adds N more edits, each a
// distinct text (a comment at the end, then a line inside the first function, alternately), and
// a summary of them: CPU and wall per edit, least and median, and the load average.
import fs from 'node:fs';
import inspector from 'node:inspector';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import { ESLint } from 'eslint';
import { lastLintAnalysedAlone } from '../src/eslint/lint-analysis.js';
import { lastIndexWork, resetProjectIndexes } from '../src/eslint/project-index.js';
import { forgetProcessKind } from '../src/eslint/settings.js';
import { eslint, freshIndexDir, timed } from './eslint.js';

export interface RelintEdit {
  edit: string;
  cpuMs: number;
  wallMs: number;
  /** The same text linted by ESLint alone (the parser, no rules; warm, the least of three): the floor under cpuMs. */
  eslintAloneMs: number;
  /** Files the index analysed for it (the edited file and those whose facts had read it), and the files dropped. */
  analysed: number;
  dropped: number;
  /** False when a cross-file site of the file was still "being built" after this lint. */
  decided: boolean;
  /** Whether the file was analysed on its own first (in a fresh engine), besides the project's analysis. */
  alone: boolean;
  /**
   * The garbage collections that began during the lint (scavenges, and mark-compacts or their incremental steps)
   * and the milliseconds they took on the main thread: counts, less noisy than CPU time on a loaded machine.
   */
  gc: { minor: number; major: number; ms: number };
  /** RELINT_HEAP_GROWTH=1: the heap in use after the lint and a full collection, MB (what the process holds on to). */
  heldMb?: number;
}

export interface RelintBench {
  file: string;
  /** The first lint, unbounded (the whole set its cross-file sites need). */
  openMs: number;
  edits: RelintEdit[];
  /** Over the repeated edits: least and median per edit, how many were decided, and the load average around them. */
  repeated?: { n: number; cpuMs: [number, number]; wallMs: [number, number]; decided: number; load: [number, number] };
}

export async function relintBench(dir: string, file: string, repeat = Number(process.env.RELINT_REPEAT) || 0): Promise<RelintBench> {
  const target = path.resolve(dir, file);
  const indexDir = freshIndexDir();
  resetProjectIndexes();
  // An editor's process from the start (as VS Code's ESLint server is recognised): the analysis
  // session keeps the dependency graph an edit needs (session.ts), which a CLI run does not build.
  const editorEnv = process.env.VSCODE_PID;
  // RELINT_CLI=1: as a command-line run instead (no graph), to compare the open's cost.
  if (!process.env.RELINT_CLI) process.env.VSCODE_PID ??= String(process.pid);
  forgetProcessKind();
  const text = fs.readFileSync(target, 'utf8');
  const open = eslint(dir, true, { indexBudgetMs: Infinity });
  const openMs = await timed(() => open.lintText(text, { filePath: target }));
  const editor = eslint(dir, true, { indexBudgetMs: 1500 });
  const alone = eslint(dir, false);
  await alone.lintText(text, { filePath: target }); // warm-up, untimed
  const building = (r: ESLint.LintResult[]): boolean =>
    r.some((f) => f.messages.some((m) => m.messageId === 'indexBuilding'));
  const body = insideFirstFunction(text);
  const edits: [string, string][] = [
    ['comment at the end', `${text}\n// edited\n`],
    ['comment at the end, again', `${text}\n// edited again\n`],
    ['line inside the first function', body],
    ['the same text again', body],
    ['back to the saved text', text],
  ];
  for (let i = 0; i < repeat; i++)
    edits.push(
      i % 2 === 0
        ? [`repeat ${i}: comment at the end`, `${text}\n// edit ${i}\n`]
        : [`repeat ${i}: line inside the first function`, body.replace('const editedHere = 1;', `const editedHere = ${i};`)],
    );
  const loadBefore = os.loadavg()[0]!;
  // RELINT_PROFILE=FILE: a CPU profile of the edits only (not the open), for finding where an edit goes.
  const profile = process.env.RELINT_PROFILE ? await startProfile() : undefined;
  // RELINT_HEAP=FILE: a sampling heap profile of what the edits allocate, collected objects included (the garbage).
  const heap = process.env.RELINT_HEAP ? await startHeapSampling() : undefined;
  // Every collection of the edits, bucketed afterwards by the lint it began in (entries arrive asynchronously).
  const collections: { start: number; kind: number; ms: number }[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      collections.push({ start: e.startTime, kind: (e as unknown as { detail: { kind: number } }).detail.kind, ms: e.duration });
  });
  observer.observe({ entryTypes: ['gc'] });
  const windows: [number, number][] = [];
  const out: RelintEdit[] = [];
  for (const [edit, next] of edits) {
    let results: ESLint.LintResult[] = [];
    const wallStart = performance.now();
    const cpuMs = await timed(async () => (results = await editor.lintText(next, { filePath: target })));
    const wallMs = performance.now() - wallStart;
    windows.push([wallStart, wallStart + wallMs]);
    const work = lastIndexWork();
    const ranAlone = lastLintAnalysedAlone();
    let eslintAloneMs = Infinity;
    for (let i = 0; i < 3; i++) eslintAloneMs = Math.min(eslintAloneMs, await timed(() => alone.lintText(next, { filePath: target })));
    out.push({ edit, cpuMs: Math.round(cpuMs), wallMs: Math.round(wallMs), eslintAloneMs: Math.round(eslintAloneMs), ...work, decided: !building(results), alone: ranAlone, gc: { minor: 0, major: 0, ms: 0 }, ...held() });
  }
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
  const load: [number, number] = [loadBefore, os.loadavg()[0]!];
  if (profile) fs.writeFileSync(process.env.RELINT_PROFILE!, JSON.stringify(await profile()));
  if (heap) fs.writeFileSync(process.env.RELINT_HEAP!, JSON.stringify(await heap()));
  resetProjectIndexes();
  fs.rmSync(indexDir, { recursive: true, force: true });
  delete process.env.RLS_GUARD_INDEX_DIR;
  if (editorEnv === undefined) delete process.env.VSCODE_PID;
  forgetProcessKind();
  const rep = out.slice(out.length - repeat);
  const stat = (xs: number[]): [number, number] => {
    const sorted = [...xs].sort((a, b) => a - b);
    return [sorted[0] ?? 0, sorted[Math.floor(sorted.length / 2)] ?? 0];
  };
  return {
    file,
    openMs: Math.round(openMs),
    edits: out,
    ...(repeat
      ? {
          repeated: {
            n: repeat,
            cpuMs: stat(rep.map((e) => e.cpuMs)),
            wallMs: stat(rep.map((e) => e.wallMs)),
            decided: rep.filter((e) => e.decided).length,
            load: load.map((l) => Math.round(l * 10) / 10) as [number, number],
          },
        }
      : {}),
  };
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

async function startProfile(): Promise<() => Promise<object>> {
  const post = inspectorPost();
  await post('Profiler.enable');
  await post('Profiler.start');
  return async () => (await post('Profiler.stop')).profile;
}

async function startHeapSampling(): Promise<() => Promise<object>> {
  const post = inspectorPost();
  await post('HeapProfiler.enable');
  // RELINT_HEAP_LIVE=1: what is still held when the edits are done (what they added to the heap) instead.
  const all = !process.env.RELINT_HEAP_LIVE;
  const flags = { includeObjectsCollectedByMajorGC: all, includeObjectsCollectedByMinorGC: all };
  await post('HeapProfiler.startSampling', { samplingInterval: 32768, ...flags });
  return async () => (await post('HeapProfiler.stopSampling')).profile;
}

/** The text with a line added after the opening brace of the first function body (every line below moves). */
function insideFirstFunction(text: string): string {
  const at = text.search(/(=>|\))\s*(:\s*[^{=]+)?\{\n/);
  if (at < 0) return `// edited\n${text}`;
  const brace = text.indexOf('{\n', at);
  return `${text.slice(0, brace + 2)}  const editedHere = 1;\n${text.slice(brace + 2)}`;
}
