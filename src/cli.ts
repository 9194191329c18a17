#!/usr/bin/env node
import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { schemaCommand } from './commands/schema.js';
import { ConfigError } from './config/load.js';
import { SchemaSourceError, type SchemaSourceChoice } from './schema/load.js';
import { formatters, type FormatterOptions } from './formatters/index.js';
import { writeStepSummary } from './formatters/github.js';
import { describeDetection, detect, existingConfig, renderConfig } from './init.js';
import { progressReporter } from './progress.js';
import {
  applyBaseline,
  BaselineError,
  baselineRefs,
  createBaseline,
  pruneBaseline,
  readBaseline,
  serializeBaseline,
} from './report/baseline.js';
import { VERSION } from './version.js';
import { auditSync } from './walker/audit.js';
import type { AuditReport } from './report/audit-report.js';
import { MergeError, mergeReports } from './walker/merge.js';
import { ScopeError } from './walker/scope.js';

// Exit codes, as ESLint: 0 no finding the exit policy fails on, 1 such findings, 2 the run itself failed.

export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
  /** stdout is a terminal (colours). */
  isTTY: boolean;
  /** stderr is a terminal (progress). */
  errIsTTY?: boolean;
  /** How long an audit runs before progress shows (default 400 ms). */
  progressDelayMs?: number;
  env?: NodeJS.ProcessEnv;
}

const processIO: CliIO = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  isTTY: process.stdout.isTTY === true,
  errIsTTY: process.stderr.isTTY === true,
  env: process.env,
};

interface AuditFlags {
  format: string[];
  output?: string;
  strict: boolean;
  config?: string;
  color: boolean;
  baseline?: string;
  writeBaseline?: string;
  pruneBaseline: boolean;
  failOn: 'error' | 'warning' | 'none';
  maxWarnings?: number;
  quiet: boolean;
  databaseUrl?: string;
  schemaSource?: string;
  allowIncomplete: boolean;
  untrusted: boolean;
  cache?: boolean;
  cacheLocation?: string;
  shard?: { index: number; count: number };
  changedSince?: string;
}

export function main(argv: string[], io: CliIO = processIO): number {
  const program = new Command('rls-guard')
    .description('Checks that every write to an RLS-gated Postgres table runs in org context.')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  let code = 0;
  program
    .command('audit')
    .description('audit a codebase: every database write, its coverage, and the findings')
    .argument('[paths...]', 'files or folders to audit', ['.'])
    .option(
      '-f, --format <name[=file]>',
      `output format, repeatable; NAME=FILE writes that format to FILE (${Object.keys(formatters).join(', ')})`,
      collect,
      [],
    )
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option(
      '--strict',
      "the strict severities (as the plugin's strict config): unresolved writes, unused suppressions, deprecated " +
      "headers are errors",
      false,
    )
    .option('-c, --config <file>', 'configuration file (default: rls-guard.config.{ts,mjs,json} found upward)')
    .option('--baseline <file>', 'hide the findings this baseline records; fail only on new ones')
    .option('--write-baseline <file>', 'record the current findings as the baseline')
    .option('--prune-baseline', 'with --baseline: drop the entries that no longer occur', false)
    .addOption(
      new Option('--fail-on <level>', 'lowest severity that fails the run')
        .choices(['error', 'warning', 'none'])
        .default('error'),
    )
    .option('--max-warnings <n>', 'also fail when there are more than N warnings', nonNegativeInt)
    .option('-q, --quiet', 'no progress display', false)
    .option('--no-color', 'disable colours')
    .option('--database-url <url>', 'read the RLS model from a live database (read-only) instead of the migrations')
    .option('--schema-source <source>', 'where the RLS model comes from: auto, replay, static, snapshot, database')
    .option(
      '--allow-incomplete',
      'report inputs skipped or read in part as warnings, not errors (the audit can then pass)',
      false,
    )
    .option(
      '--untrusted',
      'audit a repository you do not trust (a fork): run no code from it; a .ts/.mjs config there is refused, JSON ' +
      'is read',
      false,
    )
    .option('--cache', 'reuse per-file results cached on disk while nothing they depend on changed (default)')
    .option('--no-cache', 'neither read nor write the cache of per-file results')
    .option(
      '--cache-location <dir>',
      'the cache folder (default: node_modules/.cache/rls-guard, else .rls-guard/cache)',
    )
    .option(
      '--shard <i/n>',
      'analyse and report the i-th of n shards of the files; combine the reports with `rls-guard merge`',
      shardSpec,
    )
    .option(
      '--changed-since <ref>',
      'report only the files changed since this git ref (and uncommitted changes); what they depend on is still ' +
      'analysed',
    )
    .action((paths: string[], opts: AuditFlags) => {
      code = runAudit(paths, opts, io);
    });
  program
    .command('merge')
    .description('combine the partial reports of `audit --shard i/n` (JSON) into the report of the whole audit')
    .argument('<reports...>', "the shards' JSON reports, one per shard")
    .option(
      '-f, --format <name[=file]>',
      `output format, repeatable (${Object.keys(formatters).join(', ')}); default json`,
      collect,
      [],
    )
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .addOption(
      new Option('--fail-on <level>', 'lowest severity that fails the run')
        .choices(['error', 'warning', 'none'])
        .default('error'),
    )
    .option('--max-warnings <n>', 'also fail when there are more than N warnings', nonNegativeInt)
    .option('--no-color', 'disable colours')
    .action((files: string[], opts: MergeFlags) => {
      code = runMerge(files, opts, io);
    });
  program
    .command('init')
    .description(
      'detect database libraries, migrations and scope helpers; write a starting config and print the ESLint snippet',
    )
    .argument('[path]', 'the project folder', '.')
    .option('--ts', 'write rls-guard.config.ts (with defineConfig) instead of rls-guard.config.json', false)
    .option('--force', 'overwrite an existing configuration file', false)
    .action((dir: string, opts: { ts: boolean; force: boolean }) => {
      code = runInit(dir, opts, io);
    });
  program
    .command('schema')
    .description('show the RLS model; write it as a snapshot (--write) or check a snapshot is current (--check)')
    .argument('[path]', 'the project (its config and migrations are found from here)', '.')
    .option(
      '--from <source>',
      'migrations (replayed in embedded Postgres; same as replay), static (migrations read without running them) or ' +
      'database',
    )
    .option('--database-url <url>', 'introspect a live database (read-only)')
    .option('-c, --config <file>', 'configuration file')
    .option('--write [file]', 'write the snapshot (default: rls-guard.schema.json)')
    .option('--check [file]', 'exit 1 when the snapshot no longer matches its source')
    .option('-f, --format <format>', 'text or json', 'text')
    .action(
      (
        p: string,
        opts: {
          from?: string;
          databaseUrl?: string;
          config?: string;
          write?: string | boolean;
          check?: string | boolean;
          format: string;
        },
      ) => {
        if (opts.from !== undefined && !['migrations', 'replay', 'static', 'database'].includes(opts.from))
          throw new UsageError(`unknown source "${opts.from}" (known: migrations, replay, static, database)`);
        if (opts.format !== 'text' && opts.format !== 'json')
          throw new UsageError(`unknown format "${opts.format}" (known: text, json)`);
        const { from: given, ...rest } = opts;
        // "migrations" is the migrations as Postgres runs them: the replay (static where it cannot).
        const from = given === 'migrations' ? 'replay' : given;
        if (!fs.existsSync(p) || !fs.statSync(p).isDirectory()) throw new UsageError(`no such folder: ${p}`);
        code = schemaCommand(
          {
            ...rest,
            path: p,
            format: opts.format,
            ...(from ? { from: from as 'replay' | 'static' | 'database' } : {}),
          },
          io.out,
        );
      },
    );
  try {
    program.parse(argv, { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (
      error instanceof UsageError ||
      error instanceof ConfigError ||
      error instanceof BaselineError ||
      error instanceof SchemaSourceError ||
      error instanceof ScopeError ||
      error instanceof MergeError
    ) {
      io.err(`rls-guard: ${error.message}\n`);
      return 2;
    }
    io.err(`rls-guard: internal error: ${(error as Error).stack ?? String(error)}\n`);
    return 2;
  }
}

function runAudit(paths: string[], opts: AuditFlags, io: CliIO): number {
  const outputs = planOutputs(opts);
  for (const p of paths) if (!fs.existsSync(p)) throw new UsageError(`no such file or directory: ${p}`);
  if (opts.pruneBaseline && !opts.baseline) throw new UsageError('--prune-baseline needs --baseline FILE');
  if (opts.baseline && opts.writeBaseline)
    throw new UsageError('--baseline and --write-baseline cannot be used together');
  const baseline = opts.baseline ? loadBaseline(opts.baseline) : undefined;

  const progress =
    io.errIsTTY && !opts.quiet
      ? progressReporter({
          write: io.err,
          ...(io.progressDelayMs !== undefined ? { delayMs: io.progressDelayMs } : {}),
        })
      : undefined;
  let report: AuditReport = auditSync({
    paths,
    strict: opts.strict,
    allowIncomplete: opts.allowIncomplete,
    untrusted: opts.untrusted,
    ...(opts.config ? { configFile: opts.config } : {}),
    ...schemaOptions(opts),
    ...(progress ? { onProgress: progress } : {}),
    // Commander leaves `cache` unset unless --cache or --no-cache is given: on unless refused.
    cache: { enabled: opts.cache !== false, ...(opts.cacheLocation ? { location: opts.cacheLocation } : {}) },
    ...(opts.shard ? { shard: opts.shard } : {}),
    ...(opts.changedSince !== undefined ? { changedSince: opts.changedSince } : {}),
  });
  for (const gap of report.incomplete) if (gap.kind === 'config') io.err(`rls-guard: ${gap.file}: ${gap.reason}\n`);

  if (opts.writeBaseline) {
    const written = createBaseline(report.findings);
    writeFile(opts.writeBaseline, serializeBaseline(written));
    const recorded = baselineRefs(written).length;
    io.err(
      `rls-guard: wrote ${recorded} finding${recorded === 1 ? '' : 's'} to the baseline ${opts.writeBaseline}` +
        (report.incomplete.length ? ' (gaps in the audit are never recorded: they still fail the run)' : '') +
        '\n',
    );
    report = applyBaseline(report, written, opts.writeBaseline);
  } else if (baseline && opts.baseline) {
    report = applyBaseline(report, baseline, opts.baseline);
    const stale = report.baseline!.stale;
    if (opts.pruneBaseline && stale.length > 0) {
      writeFile(opts.baseline, serializeBaseline(pruneBaseline(baseline, stale)));
      io.err(`rls-guard: pruned ${stale.length} fixed entr${stale.length === 1 ? 'y' : 'ies'} from ${opts.baseline}\n`);
      report = { ...report, baseline: { ...report.baseline!, stale: [] } };
    }
  }

  return writeOutputs(report, outputs, opts, io);
}

interface MergeFlags {
  format: string[];
  output?: string;
  failOn: 'error' | 'warning' | 'none';
  maxWarnings?: number;
  color: boolean;
}

function runMerge(files: string[], opts: MergeFlags, io: CliIO): number {
  const outputs = planOutputs({ ...opts, format: opts.format.length ? opts.format : ['json'] });
  const reports = files.map((file) => {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    try {
      return { file, report: JSON.parse(text) as unknown };
    } catch {
      throw new MergeError(`${file} is not a JSON report (write shards with --format json)`);
    }
  });
  return writeOutputs(mergeReports(reports), outputs, { ...opts, quiet: false }, io);
}

/** Each output in its format, then the exit policy. */
function writeOutputs(
  report: AuditReport,
  outputs: { format: string; file?: string }[],
  opts: { color: boolean; quiet: boolean; failOn: 'error' | 'warning' | 'none'; maxWarnings?: number },
  io: CliIO,
): number {
  const env = io.env ?? {};
  const color = opts.color && io.isTTY && !env.NO_COLOR;
  const base: FormatterOptions = {
    color: false,
    cwd: process.cwd(),
    readSource: (file) => {
      try {
        return fs.readFileSync(path.join(report.root, file), 'utf8');
      } catch {
        return undefined;
      }
    },
  };
  for (const o of outputs) {
    const text = formatters[o.format]!(report, { ...base, color: color && !o.file });
    if (o.file) {
      writeFile(o.file, text);
      if (!opts.quiet) io.err(`rls-guard: wrote the ${o.format} report to ${o.file}\n`);
    } else io.out(text);
    if (o.format === 'github') {
      try {
        writeStepSummary(report, base, env);
      } catch (error) {
        // The annotations are out already; a missing job summary should not fail the audit.
        io.err(
          `rls-guard: cannot append the job summary to ${env.GITHUB_STEP_SUMMARY}: ` +
          `${(error as NodeJS.ErrnoException).code ?? (error as Error).message}\n`,
        );
      }
    }
  }
  return exitCode(report, opts);
}

function runInit(dir: string, opts: { ts: boolean; force: boolean }, io: CliIO): number {
  const root = path.resolve(dir);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new UsageError(`no such folder: ${dir}`);
  const existing = existingConfig(root);
  if (existing && !opts.force) throw new UsageError(`${existing} exists; rerun with --force to replace it`);
  const detection = detect(root);
  const file = path.join(root, opts.ts ? 'rls-guard.config.ts' : 'rls-guard.config.json');
  if (existing && existing !== file) fs.rmSync(existing);
  writeFile(file, renderConfig(detection.config, opts.ts ? 'ts' : 'json'));
  const shown = path.relative(process.cwd(), file);
  io.out(describeDetection(detection, shown.startsWith('..') ? file : shown));
  return 0;
}

/** The exit policy: --fail-on picks the severities that fail; --max-warnings caps warnings on top. */
export function exitCode(
  report: Pick<AuditReport, 'summary'>,
  policy: { failOn: 'error' | 'warning' | 'none'; maxWarnings?: number },
): number {
  const { errors, warnings } = report.summary;
  if (policy.failOn === 'error' && errors > 0) return 1;
  if (policy.failOn === 'warning' && errors + warnings > 0) return 1;
  if (policy.maxWarnings !== undefined && warnings > policy.maxWarnings) return 1;
  return 0;
}

/** `--format a --format b=file`: at most one format without a file goes to --output or stdout. */
function planOutputs(opts: { format: string[]; output?: string }): { format: string; file?: string }[] {
  const specs = opts.format.length ? opts.format : ['text'];
  const outputs = specs.map((spec) => {
    const eq = spec.indexOf('=');
    const format = eq < 0 ? spec : spec.slice(0, eq);
    const file = eq < 0 ? undefined : spec.slice(eq + 1);
    if (!formatters[format])
      throw new UsageError(`unknown format "${format}" (known: ${Object.keys(formatters).join(', ')})`);
    if (file === '') throw new UsageError(`--format ${spec}: missing file name after "="`);
    return { format, file: file ?? opts.output };
  });
  const toStdout = outputs.filter((o) => !o.file);
  const toOutput = outputs.filter((o) => o.file !== undefined && o.file === opts.output);
  if (toStdout.length > 1 || toOutput.length > 1)
    throw new UsageError(
      'several formats would be written to the same place; give each its own file with --format NAME=FILE',
    );
  return outputs;
}

function loadBaseline(file: string) {
  if (!fs.existsSync(file)) throw new UsageError(`no baseline at ${file}; create one with --write-baseline ${file}`);
  return readBaseline(file);
}

/** A file the user asked for; failing to write it is their problem to fix, not a crash. */
function writeFile(file: string, text: string): void {
  try {
    fs.writeFileSync(file, text);
  } catch (error) {
    throw new UsageError(`cannot write ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function shardSpec(value: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(value.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count)
    throw new InvalidArgumentError('give i/n with 1 ≤ i ≤ n, e.g. 2/8');
  return { index, count };
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number ≥ 0');
  return n;
}

class UsageError extends Error {}

const SCHEMA_SOURCES = ['auto', 'replay', 'static', 'snapshot', 'database'] as const;

function schemaOptions(opts: { databaseUrl?: string; schemaSource?: string }): {
  schemaSource?: SchemaSourceChoice;
  databaseUrl?: string;
} {
  if (opts.schemaSource !== undefined && !(SCHEMA_SOURCES as readonly string[]).includes(opts.schemaSource)) {
    throw new UsageError(`unknown schema source "${opts.schemaSource}" (known: ${SCHEMA_SOURCES.join(', ')})`);
  }
  return {
    ...(opts.schemaSource ? { schemaSource: opts.schemaSource as SchemaSourceChoice } : {}),
    ...(opts.databaseUrl ? { databaseUrl: opts.databaseUrl } : {}),
  };
}

const invokedDirectly =
  process.argv[1] && fs.realpathSync(process.argv[1]) === fs.realpathSync(new URL(import.meta.url).pathname);
if (invokedDirectly) process.exitCode = main(process.argv.slice(2));
