// Issue 13 on a real repository: lints the whole folder with the plugin's `strict` config (typescript-eslint's parser,
// no types, a fresh project index outside the folder) and compares every finding with a `rls-guard audit` JSON report
// of the same tree. test/parity.test.ts holds the two front ends to this on the fixture apps; this is the same
// comparison where nobody wrote the code for it (docs/real-world.md, parity30).
//
//   node --import tsx bench/parity-real.ts DIR REPORT.json [--out FILE.json]
//
// Prints the counts, then every finding one side has and the other has not, each with the cause the script can tell
// from the file alone (not linted by ESLint, a schema rule); the rest are "unexplained" and need a look. Exits 0 either way: it measures, it does not judge. Read-only: nothing is written into DIR.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tsParser from '@typescript-eslint/parser';
import { ESLint } from 'eslint';
import plugin from '../src/eslint-plugin.js';

interface ReportFinding {
  ruleId: string;
  file: string;
  line: number;
  column: number;
  message: string;
}

/** One finding as both sides can name it: where, which rule, what it says. */
export interface Finding {
  file: string;
  line: number;
  column: number;
  rule: string;
  message: string;
}

const key = (f: Finding): string => `${f.file}:${f.line}:${f.column} ${f.rule} ${f.message}`;
const site = (f: Finding): string => `${f.file}:${f.line}:${f.column} ${f.rule}`;

// Findings about the schema: the plugin reports those that rest on the model alone (src/eslint/schema-on-file.ts).
const SCHEMA_RULES = new Set(['no-owner-bypass', 'no-unset-policy-setting']);

export interface Comparison {
  cli: number;
  plugin: number;
  agree: number;
  /** The same file, position and rule with another message. */
  reworded: { cli: Finding; plugin: Finding }[];
  cliOnly: (Finding & { cause: string })[];
  pluginOnly: (Finding & { cause: string })[];
}

/** Pairs the two sides' findings; what is left on one side gets the cause its file shows, or "unexplained". */
export function compareFindings(cli: Finding[], lint: Finding[], linted: Set<string>): Comparison {
  const left = new Map<string, Finding[]>();
  for (const f of lint) left.set(key(f), [...(left.get(key(f)) ?? []), f]);
  let agree = 0;
  const cliLeft: Finding[] = [];
  for (const f of cli) {
    const same = left.get(key(f));
    if (same?.length) {
      same.pop();
      agree++;
    } else cliLeft.push(f);
  }
  const pluginLeft = [...left.values()].flat();
  const reworded: Comparison['reworded'] = [];
  const bySite = new Map(pluginLeft.map((f) => [site(f), f]));
  const cliOnly: Comparison['cliOnly'] = [];
  for (const f of cliLeft) {
    const other = bySite.get(site(f));
    if (other) {
      reworded.push({ cli: f, plugin: other });
      bySite.delete(site(f));
      continue;
    }
    // A file ESLint did not lint: the configs do not name it (a .sql migration, a .jsx file), or it is ignored.
    const cause = !linted.has(f.file)
      ? `file set: ESLint did not lint it (${path.extname(f.file) || 'no extension'})`
      : SCHEMA_RULES.has(f.rule)
        ? 'schema rule on a linted file'
        : 'unexplained';
    cliOnly.push({ ...f, cause });
  }
  const pluginOnly = [...bySite.values()].map((f) => ({ ...f, cause: 'unexplained' }));
  return { cli: cli.length, plugin: lint.length, agree, reworded, cliOnly, pluginOnly };
}

async function lintAll(dir: string): Promise<{ findings: Finding[]; linted: Set<string>; fatal: string[] }> {
  const strict = plugin.configs.strict;
  const eslint = new ESLint({
    cwd: dir,
    overrideConfigFile: true,
    overrideConfig: [
      { files: strict.files, languageOptions: { parser: tsParser }, plugins: strict.plugins, rules: strict.rules },
    ] as ESLint.Options['overrideConfig'],
    cache: false,
    errorOnUnmatchedPattern: false,
  });
  const results = await eslint.lintFiles(['.']);
  const findings: Finding[] = [];
  const fatal: string[] = [];
  const linted = new Set<string>();
  for (const r of results) {
    const file = path.relative(dir, r.filePath);
    linted.add(file);
    for (const m of r.messages) {
      if (m.fatal) fatal.push(`${file}:${m.line}:${m.column} ${m.message}`);
      // ESLint's own (an unused eslint-disable of a rule this config does not load) and other plugins' are not ours.
      if (!m.ruleId?.startsWith('rls-guard/')) continue;
      findings.push({ file, line: m.line, column: m.column, rule: m.ruleId.slice('rls-guard/'.length), message: m.message });
    }
  }
  return { findings, linted, fatal };
}

async function main(argv: string[]): Promise<void> {
  const [dirArg, reportArg] = argv;
  if (!dirArg || !reportArg) throw new Error('usage: parity-real.ts DIR REPORT.json [--out FILE.json]');
  const out = argv.includes('--out') ? argv[argv.indexOf('--out') + 1] : undefined;
  const dir = path.resolve(dirArg);
  const report = JSON.parse(fs.readFileSync(reportArg, 'utf8')) as { findings: ReportFinding[] };
  const cli = report.findings.map((f) => ({ ...f, rule: f.ruleId }));
  // A cold index of its own, outside the folder (as a clean clone's CI has).
  const indexDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-parity-real-'));
  process.env.RLS_GUARD_INDEX_DIR = indexDir;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const { findings, linted, fatal } = await lintAll(dir);
  const wallMs = Math.round(performance.now() - t0);
  const cpu = process.cpuUsage(cpu0);
  const cmp = compareFindings(cli, findings, linted);
  const rssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  fs.rmSync(indexDir, { recursive: true, force: true });
  const counts = (xs: { cause: string }[]): Record<string, number> =>
    xs.reduce<Record<string, number>>((n, x) => ((n[x.cause] = (n[x.cause] ?? 0) + 1), n), {});
  console.log(
    `${path.basename(dir)}: files linted ${linted.size}, CLI ${cmp.cli}, plugin ${cmp.plugin}, agree ${cmp.agree}, ` +
      `reworded ${cmp.reworded.length}, CLI only ${cmp.cliOnly.length}, plugin only ${cmp.pluginOnly.length}, ` +
      `parse errors ${fatal.length}; lint ${wallMs} ms wall, ${Math.round((cpu.user + cpu.system) / 1000)} ms CPU ` +
      `(this process), max RSS ${rssMb} MB (this process)`,
  );
  console.log('CLI only by cause:', JSON.stringify(counts(cmp.cliOnly)));
  for (const r of cmp.reworded) console.log(`~ ${site(r.cli)}\n  CLI:    ${r.cli.message}\n  plugin: ${r.plugin.message}`);
  for (const f of cmp.cliOnly.filter((x) => x.cause === 'unexplained')) console.log(`- ${key(f)}`);
  for (const f of cmp.pluginOnly) console.log(`+ ${key(f)}`);
  for (const f of fatal.slice(0, 20)) console.log(`! ${f}`);
  if (out) fs.writeFileSync(out, JSON.stringify({ dir, wallMs, rssMb, linted: linted.size, fatal, ...cmp }, null, 2));
}

if (import.meta.url === `file://${process.argv[1]}`) await main(process.argv.slice(2));
