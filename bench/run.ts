// npm run bench [-- --files N] [-- --dir PATH] [-- --sizes 1,2,4] [-- --no-shapes] [-- --no-cache-bench] [-- --verify-cache] [-- --replay] [-- --timeout S] [-- --write]
// npm run bench -- --dir PATH --relint FILE: only the editor's re-lint of FILE (bench/relint.ts).
// npm run bench -- --dir PATH --relint-sample N [--seed S]: only the editor's re-lint of N files of PATH holding a write
// site, chosen with seed S (1 unless told; bench/sample.ts), two edits each, and their distribution.
// npm run bench -- --dir PATH --warm-overhead ROUNDS: only the plugin's warm overhead over the same ESLint run without it
// (bench/eslint.ts).
// npm run bench -- --dir PATH --warm-profile: only the plugin's share of one warm lint, from a CPU profile and an
// allocation profile of it (bench/warm-profile.ts), the figure that does not depend on the machine's load.
// --warm-base parser|typescript-eslint: what every ESLint row takes for "ESLint without the plugin" (bench/args.ts):
// typescript-eslint's `recommended` (no types) unless told; `parser` is the parser with no rule, every row's baseline
// before 2026-12-03 (twelfth session). Arguments are read by bench/args.ts.
// Measures, each in its own process (so peak memory is its own):
// - the floor: reading and parsing every source file once with ts.createSourceFile, one thread;
// - the audit: the whole pipeline as the CLI runs it (no types, static schema reading);
// their ratio, and each one's peak RSS; the cached re-audit (bench/cached.ts: cold, warm,
// one file changed); on a synthetic multi-tenant codebase (services,
// helpers, SQL constants, decoys), or on any directory given with --dir.
// Then the worst shapes (bench/worst-shapes.ts) at growing sizes: time and counted work
// per size, which must grow linearly. On the synthetic corpus, the ESLint plugin too
// (bench/eslint.ts; --no-eslint skips it).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/load.js';
import { readMigrations, replayed } from '../src/schema/load.js';
import { replayMigrations } from '../src/schema/replay.js';
import { worstShapes, writeCorpus } from './worst-shapes.js';
import {
  appendEslintDirRow,
  appendEslintRow,
  type EslintBench,
  eslintBench,
  type EslintDirBench,
  eslintDirBench,
  eslintWarmOverhead,
} from './eslint.js';
import { generateAmbientApp } from './ambient.js';
import { cachedBench, copyTree, type Measure } from './cached.js';
import { relintBench, relintSampleBench, sampleSummary } from './relint.js';
import { baseLabel, benchArgs } from './args.js';
import { warmProfile, warmProfileLines } from './warm-profile.js';

const parsed = benchArgs(process.argv.slice(2));
const { files, sizes, timeoutMs, write, base } = parsed;
const dirOption = parsed.dir;
const args = { includes: (flag: string): boolean => parsed.flags.has(flag) };
if (parsed.warmOverhead !== undefined && dirOption) {
  const measured = await eslintWarmOverhead(path.resolve(dirOption), parsed.warmOverhead, base);
  console.log(`base: ${baseLabel(base)}`);
  for (const r of measured.rounds)
    console.log(`${r.first} first: ESLint ${r.eslint.cpuMs} ms (heap ${r.eslint.heapMb} MB, live ${r.eslint.liveHeapMb} MB), ` +
      `+ rls-guard ${r.plugin.cpuMs} ms (heap ${r.plugin.heapMb} MB, live ${r.plugin.liveHeapMb} MB): ${r.overheadPct} %`);
  console.log(JSON.stringify(measured, null, 2));
  process.exit(0);
}
if (parsed.warmProfile && dirOption) {
  const profiled = await warmProfile(path.resolve(dirOption), base);
  console.log(`base: ${baseLabel(base)}`);
  for (const line of warmProfileLines(profiled)) console.log(line);
  console.log(JSON.stringify(profiled, null, 2));
  process.exit(0);
}
if (parsed.relint !== undefined && dirOption) {
  const repeat = Number(process.env.RELINT_REPEAT) || 0;
  console.log(JSON.stringify(await relintBench(path.resolve(dirOption), parsed.relint, repeat, base), null, 2));
  process.exit(0);
}
if (parsed.relintSample && dirOption) {
  const { n, seed } = parsed.relintSample;
  const sample = await relintSampleBench(path.resolve(dirOption), n, seed, base, (line) => console.log(line));
  for (const line of sampleSummary(sample)) console.log(line);
  console.log(JSON.stringify(sample, null, 2));
  process.exit(0);
}

interface Measured {
  ms: number;
  peakRssMb: number;
  files: number;
  [k: string]: unknown;
}

/** Runs bench/measure.ts in a child process; undefined (with a message) when it times out or fails. */
function measure(mode: 'floor' | 'audit' | 'cached', dir: string, cacheDir?: string): Measured | { failed: string } {
  const script = path.join(import.meta.dirname, 'measure.ts');
  const child = spawnSync(process.execPath, ['--import', 'tsx', script, mode, dir, ...(cacheDir ? [cacheDir] : [])], { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 2 ** 20 });
  if (child.error || child.status !== 0) {
    const why = child.signal === 'SIGTERM' ? `timed out after ${timeoutMs / 1000} s` : `${child.error?.message ?? `exit ${child.status}`}: ${child.stderr.split('\n').slice(-5).join(' ')}`;
    return { failed: why };
  }
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as Measured;
}

const ok = (m: Measured | { failed: string }): m is Measured => !('failed' in m);

// ---- the synthetic corpus ----

const MIGRATION = `
CREATE TABLE audit_logs (id bigserial PRIMARY KEY, org_id uuid NOT NULL, action text);
ALTER TABLE audit_logs ENABLE ROW LEVEL SECURITY;
CREATE POLICY a ON audit_logs USING (org_id = current_setting('app.current_org_id', true)::uuid);
CREATE TABLE projects (id uuid PRIMARY KEY, org_id uuid NOT NULL, name text);
ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
CREATE POLICY p ON projects USING (org_id = current_setting('app.current_org_id', true)::uuid);
`;

function service(i: number): string {
  const lines: string[] = [
    `import type { PoolClient } from 'pg';`,
    `import { pool } from '../../db/pool';`,
    `import { withOrgScope } from '../../db/scope';`,
    `import { INSERT_AUDIT } from '../../db/queries';`,
    ``,
    `export interface Item${i} { id: string; name: string; tags: string[] }`,
    ``,
  ];
  for (let f = 0; f < 12; f++) {
    lines.push(
      `export async function op${i}_${f}(ctx: unknown, orgId: string, items: Item${i}[]): Promise<number> {`,
      `  const names = items.map((it) => it.name.trim().toLowerCase()).filter((n) => n.length > 0);`,
      `  if (names.length === 0) return 0;`,
      `  let total = 0;`,
      `  for (const n of names) { total += n.length; }`,
      `  await withOrgScope(ctx, pool, orgId, async (tx) => {`,
      `    await tx.query(INSERT_AUDIT, [orgId, 'op${f}']);`,
      `    await write${i}_${f}(tx, orgId, names);`,
      `  });`,
      `  const { rows } = await pool.query('SELECT id FROM projects WHERE org_id = $1', [orgId]);`,
      `  return total + rows.length;`,
      `}`,
      ``,
      `async function write${i}_${f}(client: PoolClient, orgId: string, names: string[]): Promise<void> {`,
      `  for (const name of names) {`,
      `    await client.query('UPDATE projects SET name = $2 WHERE org_id = $1', [orgId, name]);`,
      `  }`,
      `}`,
      ``,
    );
  }
  // Most of a real codebase never touches the database: plain logic around the writes.
  for (let u = 0; u < 36; u++) {
    lines.push(
      `export function util${i}_${u}(input: Item${i}[], limit = ${u + 1}): Map<string, number> {`,
      `  const out = new Map<string, number>();`,
      `  for (const item of input.slice(0, limit)) {`,
      `    const key = item.tags.length > 0 ? item.tags.join(':') : item.id;`,
      `    out.set(key, (out.get(key) ?? 0) + item.name.length * ${u});`,
      `  }`,
      `  return out;`,
      `}`,
      ``,
    );
  }
  return `${lines.join('\n')}\n`;
}

function generate(dir: string): void {
  const put = (file: string, text: string): void => {
    const abs = path.join(dir, file);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, text);
  };
  put('package.json', '{"name":"bench","private":true}');
  put('db/migrations/001.sql', MIGRATION);
  put('src/db/pool.ts', `import { Pool } from 'pg';\nexport const pool = new Pool();\n`);
  put('src/db/queries.ts', `export const INSERT_AUDIT = 'INSERT INTO audit_logs (org_id, action) VALUES ($1, $2)';\n`);
  for (let i = 0; i < files; i++) put(`src/services/s${Math.floor(i / 100)}/service${i}.ts`, service(i));
}

const temp: string[] = [];
const tempDir = (prefix: string): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temp.push(d);
  return d;
};

const target = dirOption ? path.resolve(dirOption) : tempDir('rls-guard-bench-');
if (!dirOption) generate(target);

const floor = measure('floor', target);
const auditRun = measure('audit', target);
const result: Record<string, unknown> = {
  date: new Date().toISOString().slice(0, 10),
  node: process.version,
  cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}`,
  corpus: dirOption ?? `synthetic (${files} services)`,
  floor,
  audit: auditRun,
  ratio: ok(floor) && ok(auditRun) ? Math.round((auditRun.ms / floor.ms) * 100) / 100 : null,
  // The same ratio in CPU time: steadier than wall time when other processes share the cores.
  cpuRatio: ok(floor) && ok(auditRun) && typeof floor.cpuMs === 'number' && typeof auditRun.cpuMs === 'number' ? Math.round((auditRun.cpuMs / floor.cpuMs) * 100) / 100 : null,
};

// ---- the cached re-audit: cold, warm, one file changed (on a copy of --dir: it is edited) ----

if (!args.includes('--no-cache-bench')) {
  let dir = target;
  if (dirOption) {
    dir = tempDir('rls-guard-bench-copy-');
    copyTree(target, dir);
  }
  result.cached = cachedBench(dir, (mode, d, c) => measure(mode, d, c) as ReturnType<Measure>, args.includes('--verify-cache'));
}

// ---- the ESLint plugin on the same files (it adds a config and cross-file jobs to the corpus) ----

let eslintRow: EslintBench | undefined;
if (!dirOption && !args.includes('--no-eslint')) {
  const sources = fs.readdirSync(path.join(target, 'src/services'), { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => path.join(d.parentPath, d.name));
  eslintRow = await eslintBench(target, sources, base);
  result.eslint = eslintRow;
}

// On a real repository (read-only: the index goes to a temporary folder).
let eslintDirRow: EslintDirBench | undefined;
if (dirOption && !args.includes('--no-eslint')) {
  eslintDirRow = await eslintDirBench(target, base);
  result.eslint = eslintDirRow;
}

// ---- the worst shapes, at growing sizes ----

if (!args.includes('--no-shapes')) {
  const curve: Record<string, unknown>[] = [];
  let base: Measured | undefined;
  for (const scale of sizes) {
    const dir = tempDir(`rls-guard-worst-${scale}x-`);
    writeCorpus(dir, worstShapes(scale));
    const m = measure('audit', dir);
    if (!ok(m)) {
      curve.push({ scale, ...m });
      continue;
    }
    base ??= m;
    const work = m.work as { steps: number; facts: number };
    const baseWork = base.work as { steps: number; facts: number };
    curve.push({ scale, ms: m.ms, peakRssMb: m.peakRssMb, writeSites: m.writeSites, gaveUp: m.gaveUp, facts: work.facts, steps: work.steps, timeVs1x: Math.round((m.ms / base.ms) * 100) / 100, stepsVs1x: Math.round((work.steps / baseWork.steps) * 100) / 100 });
  }
  result.worstShapes = curve;
}

// ---- ambient writes settled per root: 2,000 routes behind a store-entering middleware ----

if (!dirOption && !args.includes('--no-ambient')) {
  const ambientDir = tempDir('rls-guard-bench-ambient-');
  generateAmbientApp(ambientDir, 2000);
  const m = measure('audit', ambientDir);
  result.ambient = ok(m) ? { routes: 2000, ms: m.ms, peakRssMb: m.peakRssMb, writeSites: m.writeSites } : m;
}

// ---- the migration replay (optional: PGlite's start dominates it) ----

if (args.includes('--replay')) {
  const example = path.resolve(import.meta.dirname, '../fixtures/example-app');
  const migrations = readMigrations(example, loadConfig({ start: example }).config).files;
  let t = performance.now();
  await replayMigrations(migrations);
  const replayColdMs = performance.now() - t;
  replayed(example, migrations); // make sure the cache holds it
  t = performance.now();
  replayed(example, migrations);
  result.replay = { coldMs: Math.round(replayColdMs), cachedMs: Math.round((performance.now() - t) * 10) / 10 };
}

console.log(JSON.stringify(result, null, 2));
if (args.includes('--keep')) console.log(`kept ${temp.join(' ')}`);
else for (const d of temp) fs.rmSync(d, { recursive: true, force: true });

if (write && ok(floor) && ok(auditRun)) {
  const docs = path.resolve(import.meta.dirname, '../docs/performance.md');
  const row = `| ${result.date} | ${result.node} | ${result.corpus} | ${floor.files} | ${floor.kloc} | ${auditRun.writeSites} | ${floor.ms} | ${auditRun.ms} | ${result.ratio}× | ${auditRun.peakRssMb} |`;
  const text = fs.readFileSync(docs, 'utf8');
  fs.writeFileSync(docs, text.replace('<!-- bench rows -->', `<!-- bench rows -->\n${row}`));
  if (eslintRow) appendEslintRow(docs, String(result.date), floor.files, Number(floor.kloc), eslintRow);
  if (eslintDirRow) appendEslintDirRow(docs, String(result.date), path.basename(target), Number(floor.kloc), eslintDirRow);
  console.log(`appended to ${docs}`);
}
