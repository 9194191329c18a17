// The ESLint plugin on the synthetic corpus (called by bench/run.ts, kept apart so each
// measurement has one home), plus jobs whose verdicts need other files: a cold lint of the whole project (no index on disk) against
// `rls-guard audit` of the same files; the same lint with the index warm (a new process
// reading it from disk); a re-lint of one changed file in a warm process (an editor after an
// edit); and ESLint with the same parser and no rls-guard rules, for the plugin's overhead.
import fs from 'node:fs';
import path from 'node:path';
import tsParser from '@typescript-eslint/parser';
import { ESLint } from 'eslint';
import plugin from '../src/eslint-plugin.js';
import { resetProjectIndexes } from '../src/eslint/project-index.js';
import { auditSync } from '../src/walker/audit.js';

export interface EslintBench {
  /** Files added for cross-file verdicts (jobs calling a helper that writes through its parameter). */
  crossFileJobs: number;
  auditMs: number;
  eslintBaselineMs: number;
  eslintColdMs: number;
  coldVsAudit: number;
  /** The plugin's own share of the cold lint (cold minus ESLint alone), against the audit. */
  pluginColdVsAudit: number;
  eslintWarmIndexMs: number;
  overheadWarmPct: number;
  relintChangedFileMs: number;
  relintCrossFileMs: number;
  indexKb: number;
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

function eslint(dir: string, withPlugin: boolean): ESLint {
  const config = [{ files: ['**/*.ts'], languageOptions: { parser: tsParser } }, ...(withPlugin ? [plugin.configs.recommended] : [])];
  return new ESLint({ cwd: dir, overrideConfigFile: true, overrideConfig: config as ESLint.Options['overrideConfig'] });
}

/**
 * CPU milliseconds (user + system) of this process: on a shared machine wall time measures
 * the neighbours (the same lint has taken 2× to 5× longer under load); everything here runs
 * on the main thread, so CPU time is the cost.
 */
async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.cpuUsage();
  await fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

export async function eslintBench(dir: string, sources: string[]): Promise<EslintBench> {
  // The static schema reading, as the audit row; node_modules so the index is cached inside the corpus.
  fs.writeFileSync(path.join(dir, 'rls-guard.config.json'), '{"schemaSource": "static"}');
  fs.mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
  const jobs = Math.max(10, Math.round(sources.length / 10));
  addCrossFileJobs(dir, jobs);
  const auditMs = await timed(async () => auditSync({ paths: [dir], types: false }));
  // One untimed run first: otherwise the baseline alone pays for warming up ESLint's and the
  // parser's code, and the plugin looks cheaper than it is.
  await eslint(dir, false).lintFiles(['src']);
  const baseline = await timed(() => eslint(dir, false).lintFiles(['src']));
  resetProjectIndexes();
  const cold = await timed(() => eslint(dir, true).lintFiles(['src']));
  resetProjectIndexes(); // a new lint process: the index comes from disk
  const warm = await timed(() => eslint(dir, true).lintFiles(['src']));
  // An edit in the editor: the same process, one file's unsaved text changed.
  const file = sources[Math.floor(sources.length / 2)]!;
  const edited = fs.readFileSync(file, 'utf8').replace("'op0'", "'op0-edited'");
  const editor = eslint(dir, true);
  const relint = await timed(() => editor.lintText(edited, { filePath: file }));
  // The helper's importers are every job: its re-lint analyses them all.
  const helper = path.join(dir, 'src/db/audit-helper.ts');
  const relintCrossFile = await timed(() => editor.lintText(fs.readFileSync(helper, 'utf8').replace('$2)', '$2) '), { filePath: helper }));
  const cache = path.join(dir, 'node_modules/.cache/rls-guard');
  const indexBytes = (fs.existsSync(cache) ? fs.readdirSync(cache) : []).filter((f) => f.startsWith('eslint-index-')).reduce((n, f) => n + fs.statSync(path.join(cache, f)).size, 0);
  return {
    crossFileJobs: jobs,
    auditMs: Math.round(auditMs),
    eslintBaselineMs: Math.round(baseline),
    eslintColdMs: Math.round(cold),
    coldVsAudit: Math.round((cold / auditMs) * 100) / 100,
    pluginColdVsAudit: Math.round(((cold - baseline) / auditMs) * 100) / 100,
    eslintWarmIndexMs: Math.round(warm),
    overheadWarmPct: Math.round(((warm - baseline) / baseline) * 100),
    relintChangedFileMs: Math.round(relint),
    relintCrossFileMs: Math.round(relintCrossFile),
    indexKb: Math.round(indexBytes / 1024),
  };
}

/** Appends a row to the "ESLint plugin" table of docs/performance.md. */
export function appendEslintRow(docs: string, date: string, files: number, kloc: number, r: EslintBench): void {
  const row = `| ${date} | ${files} + ${r.crossFileJobs} jobs | ${kloc} | ${r.auditMs} | ${r.eslintBaselineMs} | ${r.eslintColdMs} | ${r.coldVsAudit}× | ${r.pluginColdVsAudit}× | ${r.eslintWarmIndexMs} | ${r.overheadWarmPct} % | ${r.relintChangedFileMs} | ${r.relintCrossFileMs} | ${r.indexKb} |`;
  const text = fs.readFileSync(docs, 'utf8');
  fs.writeFileSync(docs, text.replace('<!-- eslint bench rows -->', `<!-- eslint bench rows -->\n${row}`));
}
