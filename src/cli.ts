#!/usr/bin/env node
import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { schemaCommand } from './commands/schema.js';
import { ConfigError } from './config/load.js';
import { SchemaSourceError, type SchemaSourceChoice } from './schema/load.js';
import { formatters } from './formatters/index.js';
import { VERSION } from './version.js';
import { auditSync } from './walker/audit.js';

// Exit codes, as ESLint: 0 no error finding, 1 error findings, 2 the run itself failed.

export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
  isTTY: boolean;
}

const processIO: CliIO = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t), isTTY: process.stdout.isTTY === true };

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
    .option('-f, --format <name>', `output format: ${Object.keys(formatters).join(', ')}`, 'text')
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--strict', 'treat unresolved writes as errors', false)
    .option('-c, --config <file>', 'configuration file (default: rls-guard.config.json found upward)')
    .option('--no-color', 'disable colours')
    .option('--database-url <url>', 'read the RLS model from a live database (read-only) instead of the migrations')
    .option('--schema-source <source>', 'where the RLS model comes from: auto, replay, static, snapshot, database')
    .action((paths: string[], opts: { format: string; output?: string; strict: boolean; config?: string; color: boolean; databaseUrl?: string; schemaSource?: string }) => {
      const formatter = formatters[opts.format];
      if (!formatter) throw new UsageError(`unknown format "${opts.format}" (known: ${Object.keys(formatters).join(', ')})`);
      for (const p of paths) if (!fs.existsSync(p)) throw new UsageError(`no such file or directory: ${p}`);
      const report = auditSync({ paths, strict: opts.strict, ...(opts.config ? { configFile: opts.config } : {}), ...schemaOptions(opts) });
      const color = opts.color && !opts.output && io.isTTY && !process.env.NO_COLOR;
      const output = formatter(report, {
        color,
        readSource: (file) => {
          try {
            return fs.readFileSync(path.join(report.root, file), 'utf8');
          } catch {
            return undefined;
          }
        },
      });
      if (opts.output) fs.writeFileSync(opts.output, output);
      else io.out(output);
      code = report.summary.errors > 0 ? 1 : 0;
    });
  program
    .command('schema')
    .description('show the RLS model; write it as a snapshot (--write) or check a snapshot is current (--check)')
    .argument('[path]', 'the project (its config and migrations are found from here)', '.')
    .option('--from <source>', 'replay (migrations in embedded Postgres), static (migrations read without running them) or database')
    .option('--database-url <url>', 'introspect a live database (read-only)')
    .option('-c, --config <file>', 'configuration file')
    .option('--write [file]', 'write the snapshot (default: rls-guard.schema.json)')
    .option('--check [file]', 'exit 1 when the snapshot no longer matches its source')
    .option('-f, --format <format>', 'text or json', 'text')
    .action((p: string, opts: { from?: string; databaseUrl?: string; config?: string; write?: string | boolean; check?: string | boolean; format: string }) => {
      if (opts.from !== undefined && !['replay', 'static', 'database'].includes(opts.from)) throw new UsageError(`unknown source "${opts.from}" (known: replay, static, database)`);
      if (opts.format !== 'text' && opts.format !== 'json') throw new UsageError(`unknown format "${opts.format}" (known: text, json)`);
      const { from, ...rest } = opts;
      code = schemaCommand({ ...rest, path: p, format: opts.format, ...(from ? { from: from as 'replay' | 'static' | 'database' } : {}) }, io.out);
    });
  try {
    program.parse(argv, { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof UsageError || error instanceof ConfigError || error instanceof SchemaSourceError) {
      io.err(`rls-guard: ${error.message}\n`);
      return 2;
    }
    io.err(`rls-guard: internal error: ${(error as Error).stack ?? String(error)}\n`);
    return 2;
  }
}

class UsageError extends Error {}

const SCHEMA_SOURCES = ['auto', 'replay', 'static', 'snapshot', 'database'] as const;

function schemaOptions(opts: { databaseUrl?: string; schemaSource?: string }): { schemaSource?: SchemaSourceChoice; databaseUrl?: string } {
  if (opts.schemaSource !== undefined && !(SCHEMA_SOURCES as readonly string[]).includes(opts.schemaSource)) {
    throw new UsageError(`unknown schema source "${opts.schemaSource}" (known: ${SCHEMA_SOURCES.join(', ')})`);
  }
  return { ...(opts.schemaSource ? { schemaSource: opts.schemaSource as SchemaSourceChoice } : {}), ...(opts.databaseUrl ? { databaseUrl: opts.databaseUrl } : {}) };
}

const invokedDirectly = process.argv[1] && fs.realpathSync(process.argv[1]) === fs.realpathSync(new URL(import.meta.url).pathname);
if (invokedDirectly) process.exitCode = main(process.argv.slice(2));
