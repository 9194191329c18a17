// The ESLint plugin on the synthetic corpus (called by bench/run.ts, kept apart so each
// measurement has one home), plus jobs whose verdicts need other files: a cold lint of the whole project (no index on disk) against
// `rls-guard audit` of the same files; the same lint with the index warm (a new process
// reading it from disk); a re-lint of one changed file in a warm process (an editor after an
// edit); and ESLint without the rls-guard rules, for the plugin's overhead: the bench's one baseline
// (bench/args.ts), typescript-eslint's `recommended` (no types) unless `--warm-base parser`, in every row; the
// plugin's runs are the same configuration with rls-guard's `recommended` added.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import tsParser from '@typescript-eslint/parser';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import plugin from '../src/eslint-plugin.js';
import { resetProjectIndexes } from '../src/eslint/project-index.js';
import { settleCliBuilds } from '../src/eslint/cli-build.js';
import { forgetProcessKind } from '../src/eslint/settings.js';
import { preparationPending } from '../src/eslint/lint-analysis.js';
import { auditSync } from '../src/walker/audit.js';
import { baseLabel, type EslintBase } from './args.js';

/** What both benches measure (CPU milliseconds, see `timed`). */
export interface LintFigures {
  /** What ESLint alone ran (and the plugin's runs under it): the baseline of every figure below. */
  eslintBase: string;
  auditMs: number;
  eslintBaselineMs: number;
  eslintColdMs: number;
  coldVsAudit: number;
  /** The plugin's own share of the cold lint (cold minus ESLint alone), against the audit. */
  pluginColdVsAudit: number;
  eslintWarmIndexMs: number;
  overheadWarmPct: number;
  relintChangedFileMs: number;
  indexKb: number;
  /** The cold lint a user who adds only rls-guard runs (see pluginAlone); absent when the baseline is the parser. */
  pluginAlone?: PluginAloneFigures;
}

/**
 * The cold lint with rls-guard's `recommended` alone: the parser it needs and no other rule (docs/eslint.md, "Without
 * typescript-eslint"), against ESLint with the parser and no rule at all, and against the audit.
 */
export interface PluginAloneFigures {
  eslintParserMs: number;
  coldMs: number;
  coldVsAudit: number;
  pluginColdVsAudit: number;
}

/** Measures `PluginAloneFigures` over `patterns` of `dir`, the index cold in a folder of its own (then removed). */
async function pluginAlone(dir: string, patterns: string[], auditMs: number): Promise<PluginAloneFigures> {
  const kept = process.env.RLS_GUARD_INDEX_DIR;
  await eslint(dir, false, undefined, 'parser').lintFiles(patterns); // warm-up, untimed
  const baseline = await timed(() => eslint(dir, false, undefined, 'parser').lintFiles(patterns));
  const indexDir = freshIndexDir();
  resetProjectIndexes();
  const cold = await timed(() => eslint(dir, true, undefined, 'parser').lintFiles(patterns));
  resetProjectIndexes();
  fs.rmSync(indexDir, { recursive: true, force: true });
  if (kept === undefined) delete process.env.RLS_GUARD_INDEX_DIR;
  else process.env.RLS_GUARD_INDEX_DIR = kept;
  const ratio = (n: number): number => Math.round((n / auditMs) * 100) / 100;
  return {
    eslintParserMs: Math.round(baseline),
    coldMs: Math.round(cold),
    coldVsAudit: ratio(cold),
    pluginColdVsAudit: ratio(cold - baseline),
  };
}

/** The plugin-alone cell of a table row ("—" when the row's baseline is already the parser). */
function pluginAloneCell(r: LintFigures): string {
  const a = r.pluginAlone;
  return a ? `${a.eslintParserMs} / ${a.coldMs}: ${a.coldVsAudit}× (plugin ${a.pluginColdVsAudit}×)` : '—';
}

export type EslintBench = LintFigures & {
  /** Files added for cross-file verdicts (jobs calling a helper that writes through its parameter). */
  crossFileJobs: number;
  relintCrossFileMs: number;
};

function figures(m: { base: EslintBase; audit: number; baseline: number; cold: number; warm: number; relint: number; indexBytes: number }): LintFigures {
  return {
    eslintBase: baseLabel(m.base),
    auditMs: Math.round(m.audit),
    eslintBaselineMs: Math.round(m.baseline),
    eslintColdMs: Math.round(m.cold),
    coldVsAudit: Math.round((m.cold / m.audit) * 100) / 100,
    pluginColdVsAudit: Math.round(((m.cold - m.baseline) / m.audit) * 100) / 100,
    eslintWarmIndexMs: Math.round(m.warm),
    overheadWarmPct: Math.round(((m.warm - m.baseline) / m.baseline) * 100),
    relintChangedFileMs: Math.round(m.relint),
    indexKb: Math.round(m.indexBytes / 1024),
  };
}

/**
 * Cross-file work for the index: a helper that writes through its connection parameter, and
 * jobs in other files calling it, half inside the scope helper and half on the pool.
 */
function addCrossFileJobs(dir: string, count: number): void {
  const put = (rel: string, text: string): void => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  };
  put('src/db/audit-helper.ts', `export async function recordAudit(client: { query(sql: string, values: unknown[]): Promise<unknown> }, orgId: string, action: string): Promise<void> {\n  await client.query('INSERT INTO audit_logs (org_id, action) VALUES ($1, $2)', [orgId, action]);\n}\n`);
  for (let k = 0; k < count; k++) {
    const call = k % 2 ? `withOrgScope(ctx, pool, orgId, (tx) => recordAudit(tx, orgId, 'job${k}'))` : `recordAudit(pool, orgId, 'job${k}')`;
    put(`src/jobs/job${k}.ts`, `import { pool } from '../db/pool';\nimport { withOrgScope } from '../db/scope';\nimport { recordAudit } from '../db/audit-helper';\n\nexport async function job${k}(ctx: unknown, orgId: string): Promise<void> {\n  await ${call};\n}\n`);
  }
}

// A command-line run unless told otherwise: the bench lints the same files in one process, which
// the plugin would otherwise take for a long-lived one (src/eslint/settings.ts) and budget.
export function eslint(dir: string, withPlugin: boolean, settings: Record<string, unknown> = { indexBudgetMs: Infinity }, base: EslintBase = 'typescript-eslint'): ESLint {
  const files = ['**/*.{ts,tsx,mts,cts}'];
  const baseRules = base === 'typescript-eslint' ? tseslint.configs.recommended.map((c) => ({ ...c, files })) : [];
  const config = [...baseRules, { files, languageOptions: { parser: tsParser }, settings: { 'rls-guard': settings } }, ...(withPlugin ? [plugin.configs.recommended] : [])];
  // No config file of the project is read, and nothing is written into it (--dir is read-only).
  return new ESLint({ cwd: dir, overrideConfigFile: true, overrideConfig: config as ESLint.Options['overrideConfig'], cache: false });
}

/** Where the index goes for a measurement: a fresh folder, outside the project (RLS_GUARD_INDEX_DIR). */
export function freshIndexDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-bench-index-'));
  process.env.RLS_GUARD_INDEX_DIR = dir;
  return dir;
}

export type EslintDirBench = LintFigures & {
  files: number;
  /** The file re-linted after an edit (the largest one with a database write in it). */
  relintFile: string;
  /** Its first edit in the warm process (what its cross-file sites need analysed within the budget); an edit once they are decided is `relintChangedFileMs`. */
  firstEditMs: number;
  /** Lints of the edited file until its cross-file verdicts were decided (1: the first edit decided them). */
  lintsToDecide: number;
  /**
   * CPU of the idle moments before the first edit and before the re-lint (`idleMoment`: what the plugin prepares
   * there, lint-analysis.ts `prepareAhead`), counted apart from the lints.
   */
  idleMs: [number, number];
};

/**
 * An editor's idle moment between two lints (a person reads, then types): until the work the plugin leaves for it
 * (lint-analysis.ts `prepareAhead`, recheck.ts `afterLint`) is done, 30 s at most.
 */
export async function idleMoment(): Promise<void> {
  const until = performance.now() + 30_000;
  do await new Promise((resolve) => setTimeout(resolve, 10));
  while (preparationPending() && performance.now() < until);
}

/**
 * The same rows on a real repository, read-only: the audit of the folder, then ESLint over
 * it without and with the plugin (cold: an empty index folder; warm: a new index read from
 * it), and a re-lint of one edited file in the warm process with an editor's budget. The
 * index lives in a temporary folder (RLS_GUARD_INDEX_DIR); nothing is written into `dir`.
 */
export async function eslintDirBench(dir: string, base: EslintBase = 'typescript-eslint'): Promise<EslintDirBench> {
  const auditMs = await timed(async () => auditSync({ paths: [dir], types: false }));
  await eslint(dir, false, undefined, base).lintFiles(['.']); // warm-up, untimed (as on the synthetic corpus)
  let files = 0;
  const baseline = await timed(async () => (files = (await eslint(dir, false, undefined, base).lintFiles(['.'])).length));
  const indexDir = freshIndexDir();
  resetProjectIndexes();
  const cold = await timed(() => eslint(dir, true, undefined, base).lintFiles(['.']));
  resetProjectIndexes();
  const warm = await timed(() => eslint(dir, true, undefined, base).lintFiles(['.']));
  const target = writingFile(dir);
  const editor = eslint(dir, true, { indexBudgetMs: 1500 }, base);
  const text = fs.readFileSync(target, 'utf8');
  await editor.lintText(text, { filePath: target }); // the file as opened
  const idleAfterOpen = await timed(idleMoment);
  // The first edit analyses, within the editor's budget, the files its cross-file sites need
  // (the analysis session keeps them); the lints after it go on until the verdicts are decided
  // (untimed: a person types meanwhile); then an edit in that steady state.
  const firstEdit = await timed(() => editor.lintText(`${text}\n// edited\n`, { filePath: target }));
  let lintsToDecide = 1;
  const building = (r: ESLint.LintResult[]): boolean => r.some((f) => f.messages.some((m) => m.messageId === 'indexBuilding'));
  while (lintsToDecide < 60 && building(await editor.lintText(`${text}\n// edit ${lintsToDecide}\n`, { filePath: target }))) lintsToDecide++;
  const idleBeforeRelint = await timed(idleMoment);
  const relint = await timed(() => editor.lintText(`${text}\n// edited again\n`, { filePath: target }));
  resetProjectIndexes();
  const indexBytes = fs.readdirSync(indexDir).reduce((n, f) => n + fs.statSync(path.join(indexDir, f)).size, 0);
  fs.rmSync(indexDir, { recursive: true, force: true });
  delete process.env.RLS_GUARD_INDEX_DIR;
  const alone = base === 'parser' ? undefined : await pluginAlone(dir, ['.'], auditMs);
  return {
    files,
    relintFile: path.relative(dir, target),
    firstEditMs: Math.round(firstEdit),
    lintsToDecide,
    idleMs: [Math.round(idleAfterOpen), Math.round(idleBeforeRelint)],
    ...figures({ base, audit: auditMs, baseline, cold, warm, relint, indexBytes }),
    ...(alone ? { pluginAlone: alone } : {}),
  };
}

/** One lint of the whole folder in a warm-overhead round. */
export interface WarmRun {
  /** CPU ms of this process (user + system) for the lint. */
  cpuMs: number;
  /** Heap in use right after the lint, and after a full garbage collection (what the run still holds). */
  heapMb: number;
  liveHeapMb: number;
  messages: number;
}

/**
 * What the plugin's overhead is measured over (bench/args.ts, the same in every row): the parser with no rule at
 * all, or typescript-eslint's `recommended` (no types), the configuration issue 13 measured and what a project runs.
 * ESLint's price for running any rule (one rule that does nothing costs about +20 % over no rule on signacare's API,
 * performance.md) is in the first baseline's overhead and not in the second's.
 */
export type WarmBase = EslintBase;

export interface WarmOverhead {
  base: WarmBase;
  files: number;
  rounds: { first: 'eslint' | 'plugin'; eslint: WarmRun; plugin: WarmRun; overheadPct: number }[];
  /** Summed CPU over the rounds, and the plugin's overhead on it (target ≤ 10 %). */
  eslintCpuMs: number;
  pluginCpuMs: number;
  overheadPct: number;
  /** Median of the rounds' overheads. */
  medianPct: number;
}

/** A full garbage collection, whether or not node was started with --expose-gc. */
function collectGarbage(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

/**
 * A warm index of `dir` in a fresh folder (returned; RLS_GUARD_INDEX_DIR names it): one cold lint, untimed, whose child
 * build stores every file's verdicts, then dropped from this process so the next lint reads it from disk as a new
 * process does; and one lint without the plugin, untimed, to warm up ESLint's and the parser's code.
 */
export async function warmIndexOf(dir: string, base: EslintBase): Promise<string> {
  const indexDir = freshIndexDir();
  resetProjectIndexes();
  await eslint(dir, true, undefined, base).lintFiles(['.']);
  settleCliBuilds();
  resetProjectIndexes();
  await eslint(dir, false, undefined, base).lintFiles(['.']);
  return indexDir;
}

/**
 * The plugin's warm overhead in one run (issue 13: ≤ 10 %): ESLint with the `base` configuration alone against the
 * same with `rlsGuard.configs.recommended` over the whole folder, the index warm (built by one cold lint first,
 * untimed; before each plugin lint the in-process index is dropped, so it is read from disk as a new lint process
 * reads it), `rounds` rounds alternating which goes first. What it does not count: the per-process start a new `eslint` process pays
 * (reading the config, the model's input cache and the packs), which this process keeps between rounds.
 */
export async function eslintWarmOverhead(dir: string, rounds: number, base: WarmBase = 'typescript-eslint'): Promise<WarmOverhead> {
  const gc = collectGarbage();
  const indexDir = await warmIndexOf(dir, base);
  const run = async (withPlugin: boolean): Promise<WarmRun> => {
    // As a new command-line process: the index read from disk, and no lint history (a file linted again a second
    // later would make the plugin take this process for an editor's, settings.ts).
    if (withPlugin) (resetProjectIndexes(), forgetProcessKind());
    gc();
    const start = process.cpuUsage();
    const results = await eslint(dir, withPlugin, undefined, base).lintFiles(['.']);
    const used = process.cpuUsage(start);
    const heapMb = Math.round(process.memoryUsage().heapUsed / 2 ** 20);
    const messages = results.reduce((n, r) => n + r.messages.length, 0);
    files = results.length;
    gc();
    const liveHeapMb = Math.round(process.memoryUsage().heapUsed / 2 ** 20);
    return { cpuMs: Math.round((used.user + used.system) / 1000), heapMb, liveHeapMb, messages };
  };
  let files = 0;
  const out: WarmOverhead['rounds'] = [];
  for (let r = 0; r < rounds; r++) {
    const first = r % 2 ? 'plugin' : 'eslint';
    const a = await run(first === 'plugin');
    const b = await run(first !== 'plugin');
    const [plain, plugin] = first === 'plugin' ? [b, a] : [a, b];
    out.push({ first, eslint: plain, plugin, overheadPct: pct(plugin.cpuMs, plain.cpuMs) });
  }
  resetProjectIndexes();
  fs.rmSync(indexDir, { recursive: true, force: true });
  delete process.env.RLS_GUARD_INDEX_DIR;
  const eslintCpuMs = out.reduce((n, r) => n + r.eslint.cpuMs, 0);
  const pluginCpuMs = out.reduce((n, r) => n + r.plugin.cpuMs, 0);
  const sorted = out.map((r) => r.overheadPct).sort((x, y) => x - y);
  const medianPct = sorted.length % 2 ? sorted[sorted.length >> 1]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  return { base, files, rounds: out, eslintCpuMs, pluginCpuMs, overheadPct: pct(pluginCpuMs, eslintCpuMs), medianPct };
}

function pct(withPlugin: number, alone: number): number {
  return Math.round(((withPlugin - alone) / alone) * 1000) / 10;
}

/** The largest TypeScript file that writes to the database (by its text), outside node_modules. */
function writingFile(dir: string): string {
  let best: { file: string; size: number } | undefined;
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const file = path.join(entry.parentPath, entry.name);
    if (!entry.isFile() || !/\.(ts|tsx|mts|cts)$/.test(entry.name) || /node_modules|\/dist\/|\.d\.ts$/.test(file)) continue;
    const size = fs.statSync(file).size;
    if (size > 200_000 || (best && size <= best.size)) continue;
    if (/\b(INSERT INTO|UPDATE \w+ SET|DELETE FROM)\b|\.(insert|update|delete)\(/i.test(fs.readFileSync(file, 'utf8'))) best = { file, size };
  }
  if (!best) throw new Error(`no file with a database write under ${dir}`);
  return best.file;
}

/**
 * CPU milliseconds (user + system) of this process: on a shared machine wall time measures
 * the neighbours (the same lint has taken 2× to 5× longer under load); everything here runs
 * on the main thread, so CPU time is the cost, plus the CPU of the child process that builds a cold index on the
 * command line (waited for).
 */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.cpuUsage();
  const children = settleCliBuilds();
  await fn();
  const used = process.cpuUsage(start);
  // A cold command-line lint builds the index in a child process (src/eslint/cli-build.ts): its CPU counts.
  return (used.user + used.system) / 1000 + settleCliBuilds() - children;
}

export async function eslintBench(dir: string, sources: string[], base: EslintBase = 'typescript-eslint'): Promise<EslintBench> {
  // The static schema reading, as the audit row; node_modules so the index is cached inside the corpus.
  fs.writeFileSync(path.join(dir, 'rls-guard.config.json'), '{"schemaSource": "static"}');
  fs.mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
  const jobs = Math.max(10, Math.round(sources.length / 10));
  addCrossFileJobs(dir, jobs);
  const auditMs = await timed(async () => auditSync({ paths: [dir], types: false }));
  // One untimed run first: otherwise the baseline alone pays for warming up ESLint's and the
  // parser's code, and the plugin looks cheaper than it is.
  await eslint(dir, false, undefined, base).lintFiles(['src']);
  const baseline = await timed(() => eslint(dir, false, undefined, base).lintFiles(['src']));
  resetProjectIndexes();
  const cold = await timed(() => eslint(dir, true, undefined, base).lintFiles(['src']));
  resetProjectIndexes(); // a new lint process: the index comes from disk
  const warm = await timed(() => eslint(dir, true, undefined, base).lintFiles(['src']));
  // An edit in the editor: the same process, one file's unsaved text changed.
  const file = sources[Math.floor(sources.length / 2)]!;
  const edited = fs.readFileSync(file, 'utf8').replace("'op0'", "'op0-edited'");
  const editor = eslint(dir, true, { indexBudgetMs: 1500 }, base);
  const relint = await timed(() => editor.lintText(edited, { filePath: file }));
  // The helper's importers are every job: its re-lint analyses them all.
  const helper = path.join(dir, 'src/db/audit-helper.ts');
  const relintCrossFile = await timed(() => editor.lintText(fs.readFileSync(helper, 'utf8').replace('$2)', '$2) '), { filePath: helper }));
  const cache = path.join(dir, 'node_modules/.cache/rls-guard');
  const indexBytes = (fs.existsSync(cache) ? fs.readdirSync(cache) : []).filter((f) => f.startsWith('eslint-index-')).reduce((n, f) => n + fs.statSync(path.join(cache, f)).size, 0);
  const alone = base === 'parser' ? undefined : await pluginAlone(dir, ['src'], auditMs);
  return {
    crossFileJobs: jobs,
    relintCrossFileMs: Math.round(relintCrossFile),
    ...figures({ base, audit: auditMs, baseline, cold, warm, relint, indexBytes }),
    ...(alone ? { pluginAlone: alone } : {}),
  };
}

/** The baseline in a table's "ESLint alone" cell: `recommended` or `parser`. */
function shortBase(r: LintFigures): string {
  return r.eslintBase === baseLabel('parser') ? 'parser' : 'recommended';
}

/** Appends a row to the "ESLint plugin" table of docs/performance.md. */
export function appendEslintRow(docs: string, date: string, files: number, kloc: number, r: EslintBench): void {
  const row = `| ${date} | ${files} + ${r.crossFileJobs} jobs | ${kloc} | ${r.auditMs} | ${r.eslintBaselineMs} (${shortBase(r)}) | ${r.eslintColdMs} | ${r.coldVsAudit}× | ${r.pluginColdVsAudit}× | ${r.eslintWarmIndexMs} | ${r.overheadWarmPct} % | ${r.relintChangedFileMs} | ${r.relintCrossFileMs} | ${r.indexKb} | ${pluginAloneCell(r)} |`;
  const text = fs.readFileSync(docs, 'utf8');
  fs.writeFileSync(docs, text.replace('<!-- eslint bench rows -->', `<!-- eslint bench rows -->\n${row}`));
}

/** Appends a row to the "ESLint plugin, real repositories" table of docs/performance.md. */
export function appendEslintDirRow(docs: string, date: string, name: string, kloc: number, r: EslintDirBench): void {
  const row = `| ${date} | ${name} | ${r.files} | ${kloc} | ${r.auditMs} | ${r.eslintBaselineMs} (${shortBase(r)}) | ${r.eslintColdMs} | ${r.coldVsAudit}× | ${r.pluginColdVsAudit}× | ${r.eslintWarmIndexMs} | ${r.overheadWarmPct} % | ${r.firstEditMs} / ${r.relintChangedFileMs} (${r.relintFile}) | ${r.indexKb} | ${pluginAloneCell(r)} |`;
  const text = fs.readFileSync(docs, 'utf8');
  fs.writeFileSync(docs, text.replace('<!-- eslint dir bench rows -->', `<!-- eslint dir bench rows -->\n${row}`));
}
