// One measurement in its own process, so its peak memory is its own:
//   measure.ts floor DIR   read and parse every source file the audit would, one thread
//   measure.ts audit DIR   the whole audit as the CLI runs it (no types, static schema)
//   measure.ts cached DIR CACHE   the same with the on-disk cache in CACHE (cold when empty)
// Prints one JSON line: { ms, peakRssMb, files, ... }.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseSource, SOURCE_EXTENSIONS } from '../src/analysis/source-host.js';
import type { CoreResult } from '../src/analysis/index.js';
import { loadConfig } from '../src/config/load.js';
import { walkFiles } from '../src/files/walk.js';
import { auditSync } from '../src/walker/audit.js';
import type { CacheReport } from '../src/cache/audit-cache.js';

const [mode, dirArg, cacheArg] = process.argv.slice(2);
if (!dirArg || (mode !== 'floor' && mode !== 'audit' && mode !== 'cached') || (mode === 'cached' && !cacheArg)) throw new Error('usage: measure.ts floor|audit DIR | cached DIR CACHE');
const dir = path.resolve(dirArg);
const peakRssMb = (): number => Math.round(process.resourceUsage().maxRSS / 1024);

if (mode === 'floor') {
  // The same files the audit reads (its walker, its ignores); the walk itself is not timed.
  const config = loadConfig({ start: dir }).config;
  const files = walkFiles([dir], { extensions: SOURCE_EXTENSIONS, ignore: config.ignore ?? [] }, dir).files.filter((f) => SOURCE_EXTENSIONS.some((e) => f.endsWith(e)));
  let lines = 0;
  let unparsable = 0;
  const t = performance.now();
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
  console.log(JSON.stringify({ ms: Math.round(ms), peakRssMb: peakRssMb(), files: files.length, kloc: Math.round(lines / 1000), unparsable }));
} else {
  let work: CoreResult['work'] | undefined;
  let cache: CacheReport | undefined;
  const t = performance.now();
  const cpu = process.cpuUsage();
  const report = auditSync({
    paths: [dir],
    types: false,
    schemaSource: 'static',
    onProgress: (e) => {
      if (e.phase === 'done') work = e.work;
    },
    ...(mode === 'cached' ? { cache: { enabled: true, location: path.resolve(cacheArg!) }, onCache: (s: CacheReport) => (cache = s) } : {}),
  });
  const ms = performance.now() - t;
  // On a machine shared with other work, CPU time says what the audit cost when wall time cannot.
  const used = process.cpuUsage(cpu);
  const cpuMs = Math.round((used.user + used.system) / 1000);
  const budget = report.writeSites.filter((s) => /analysis budget exceeded|nests too deeply/.test(s.evidence)).length;
  // The report without its timing: two runs that agree print the same digest.
  const digest = crypto.createHash('sha256').update(JSON.stringify({ ...report, summary: { ...report.summary, durationMs: 0 } })).digest('hex').slice(0, 16);
  console.log(JSON.stringify({ ms: Math.round(ms), cpuMs, peakRssMb: peakRssMb(), files: report.summary.files, writeSites: report.summary.writeSites, unresolved: report.writeSites.filter((s) => s.coverage === 'unresolved').length, gaveUp: budget, diagnostics: report.diagnostics.length, work, digest, firstWriteFile: report.writeSites[0]?.file, ...(cache ? { cache } : {}) }));
}
