// One measurement in its own process, so its peak memory is its own:
//   measure.ts floor DIR   read and parse every source file the audit would, one thread
//   measure.ts audit DIR   the whole audit as the CLI runs it (no types, static schema)
//   measure.ts cached DIR CACHE   the same with the on-disk cache in CACHE (cold when empty)
//   measure.ts sites DIR   the TypeScript files holding a write site, each with its line count and whether a site of it
//                          needs other files (the audit's `crossFile`): what `--relint-sample` chooses from
// Prints one JSON line: { ms, cpuMs, peakRssMb, files, ... }. cpuMs is the process's CPU time
// over the same span: on a shared machine wall time measures the neighbours too, CPU time
// much less so (both measurements are single-threaded, so their CPU ratio is comparable).
// The audit also splits its CPU time by phase, from its progress events: setup (config,
// migrations, file walk, reading), parse, analysis (flow, verdicts, schema findings), and
// the rest (the pack pass and the report).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseSource, SOURCE_EXTENSIONS } from '../src/files/source.js';
import type { CoreResult } from '../src/analysis/index.js';
import { loadConfig } from '../src/config/load.js';
import { walkFiles } from '../src/files/walk.js';
import { auditSync } from '../src/walker/audit.js';
import type { CacheReport } from '../src/cache/audit-cache.js';

const [mode, dirArg, cacheArg] = process.argv.slice(2);
const modes = ['floor', 'audit', 'cached', 'sites'];
if (!dirArg || !modes.includes(mode!) || (mode === 'cached' && !cacheArg)) throw new Error('usage: measure.ts floor|audit|sites DIR | cached DIR CACHE');
const dir = path.resolve(dirArg);
const peakRssMb = (): number => Math.round(process.resourceUsage().maxRSS / 1024);
const cpuNow = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

if (mode === 'sites') {
  const report = auditSync({ paths: [dir], types: false, schemaSource: 'static' });
  const crossFile = new Map<string, boolean>();
  for (const site of report.writeSites) {
    const file = path.resolve(report.root, site.file);
    // The files an ESLint run of the bench lints (bench/eslint.ts: TypeScript only).
    if (/\.(ts|tsx|mts|cts)$/.test(file) && !file.endsWith('.d.ts')) crossFile.set(file, (crossFile.get(file) ?? false) || site.crossFile);
  }
  const sites = [...crossFile].sort(([a], [b]) => (a < b ? -1 : 1)).map(([file, cross]) => ({ file, lines: fs.readFileSync(file, 'utf8').split('\n').length, crossFile: cross }));
  console.log(JSON.stringify(sites));
} else if (mode === 'floor') {
  // The same files the audit reads (its walker, its ignores); the walk itself is not timed.
  const config = loadConfig({ start: dir }).config;
  const files = walkFiles([dir], { extensions: SOURCE_EXTENSIONS, ignore: config.ignore ?? [] }, dir).files.filter((f) => SOURCE_EXTENSIONS.some((e) => f.endsWith(e)));
  let lines = 0;
  let unparsable = 0;
  const t = performance.now();
  const cpu0 = cpuNow();
  for (const f of files) {
    const text = fs.readFileSync(f, 'utf8');
    lines += text.split('\n').length;
    try {
      parseSource(f, text);
    } catch {
      unparsable++; // nests deeper than TypeScript's parser follows; the audit reports it too
    }
  }
  const ms = performance.now() - t;
  const cpuMs = cpuNow() - cpu0;
  console.log(JSON.stringify({ ms: Math.round(ms), cpuMs: Math.round(cpuMs), peakRssMb: peakRssMb(), files: files.length, kloc: Math.round(lines / 1000), unparsable }));
} else {
  let work: CoreResult['work'] | undefined;
  let cache: CacheReport | undefined;
  const t = performance.now();
  const cpu0 = cpuNow();
  // CPU time at each phase boundary the progress events mark.
  const marks: Partial<Record<'parse' | 'analyze' | 'done', number>> = {};
  const report = auditSync({
    paths: [dir],
    types: false,
    schemaSource: 'static',
    onProgress: (e) => {
      if (!(e.phase in marks)) marks[e.phase] = cpuNow();
      if (e.phase === 'done') work = e.work;
    },
    ...(mode === 'cached' ? { cache: { enabled: true, location: path.resolve(cacheArg!) }, onCache: (s: CacheReport) => (cache = s) } : {}),
  });
  const ms = performance.now() - t;
  const cpuMs = cpuNow() - cpu0;
  const end = cpu0 + cpuMs;
  const parseAt = marks.parse ?? marks.analyze ?? end;
  const analyzeAt = marks.analyze ?? end;
  const doneAt = marks.done ?? end;
  const phasesCpuMs = { setup: Math.round(parseAt - cpu0), parse: Math.round(analyzeAt - parseAt), analysis: Math.round(doneAt - analyzeAt), packsAndReport: Math.round(end - doneAt) };
  const budget = report.writeSites.filter((s) => /analysis budget exceeded|nests too deeply/.test(s.evidence)).length;
  // The report without its timing: two runs that agree print the same digest.
  const digest = crypto.createHash('sha256').update(JSON.stringify({ ...report, summary: { ...report.summary, durationMs: 0 } })).digest('hex').slice(0, 16);
  console.log(JSON.stringify({ ms: Math.round(ms), cpuMs: Math.round(cpuMs), phasesCpuMs, peakRssMb: peakRssMb(), files: report.summary.files, writeSites: report.summary.writeSites, unresolved: report.writeSites.filter((s) => s.coverage === 'unresolved').length, gaveUp: budget, diagnostics: report.diagnostics.length, work, digest, firstWriteFile: report.writeSites[0]?.file, ...(cache ? { cache } : {}) }));
}
