import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { buildReport, type ReportHeader, type ReportParts, unsetSetting } from './assemble.js';
import type { AuditReport } from '../report/audit-report.js';

// What part of the project an audit reports: everything, one shard of it (`--shard i/n`,
// for `rls-guard merge`), or the files changed since a git ref (`--changed-since`). The
// analysis still reads whatever those files' verdicts depend on (src/cache/incremental.ts).

export interface AuditScope {
  /** Source files (root-relative) whose sites and findings are reported. */
  targets: Set<string>;
  shard?: { index: number; count: number };
  changed?: { ref: string; files: Set<string> };
  sources: Set<string>;
}

/** What `rls-guard merge` checks and reads back from each shard's report. */
export interface PartialReport {
  shard: { index: number; count: number };
  /** Tool version, config, RLS model and options: shards of one audit share it. */
  key: string;
  parts: ReportParts;
}

export class ScopeError extends Error {}

/** Checked before any work: a wrong --shard or --changed-since fails at once (exit 2). */
export function scopeRequest(
  root: string,
  options: { shard?: { index: number; count: number }; changedSince?: string },
): { shard?: { index: number; count: number }; changed?: { ref: string; files: Set<string> } } {
  if (options.shard && options.changedSince !== undefined)
    throw new ScopeError('--shard and --changed-since cannot be used together');
  if (options.shard) {
    const { index, count } = options.shard;
    if (!Number.isInteger(count) || count < 1 || !Number.isInteger(index) || index < 1 || index > count)
      throw new ScopeError(`--shard ${index}/${count}: give i/n with 1 ≤ i ≤ n`);
    return { shard: { index, count } };
  }
  if (options.changedSince !== undefined)
    return { changed: { ref: options.changedSince, files: changedFiles(root, options.changedSince) } };
  return {};
}

export function auditScope(sources: readonly string[], request: ReturnType<typeof scopeRequest>): AuditScope {
  const all = new Set(sources);
  if (request.shard) {
    const { index, count } = request.shard;
    return { targets: new Set(sources.filter((f) => shardOf(f, count) === index)), shard: request.shard, sources: all };
  }
  if (request.changed)
    return {
      targets: new Set(sources.filter((f) => request.changed!.files.has(f))),
      changed: request.changed,
      sources: all,
    };
  return { targets: all, sources: all };
}

/**
 * The shard (1-based) a path belongs to: a hash of its POSIX path relative to the root, so
 * every machine puts every file in the same shard and shards come out about equal.
 */
export function shardOf(file: string, count: number): number {
  return (crypto.createHash('sha256').update(file).digest().readUInt32BE(0) % count) + 1;
}

/** The report of the scope's files: the parts are cut to what the scope owns. */
export function scopedReport(
  header: ReportHeader,
  parts: ReportParts,
  scope: AuditScope,
  key: string,
  durationMs: number,
): AuditReport {
  if (scope.shard) {
    const { count, index } = scope.shard;
    // Everything that is not a source file (the model's gaps, migrations, deployment files) belongs to a shard by its
    // path too, so it appears once after the merge.
    const mine = (file: string): boolean => shardOf(file, count) === index;
    const own: ReportParts = {
      ...parts,
      diagnostics: parts.diagnostics.filter((d) => mine(d.file)),
      incomplete: parts.incomplete.filter((g) => mine(g.file)),
      packFindings: parts.packFindings.filter((f) => mine(f.file)),
      suppressions: parts.suppressions.filter(([file]) => mine(file)),
      schemaCandidates: parts.schemaCandidates.filter((f) => mine(f.file)),
    };
    // A setting another shard's code sets is only known after the merge: the shard reports no such finding.
    const report = buildReport(
      header,
      { ...own, schemaCandidates: own.schemaCandidates.filter((f) => !unsetSetting(f)) },
      durationMs,
    );
    return { ...report, partial: { shard: { index, count }, key, parts: own } };
  }
  if (scope.changed) {
    const { files, ref } = scope.changed;
    // Gaps outside the source files (the model, the config) stay: a run that did not see everything says so.
    const keep = (file: string): boolean => files.has(file) || !scope.sources.has(file);
    const own: ReportParts = {
      ...parts,
      diagnostics: parts.diagnostics.filter((d) => keep(d.file)),
      incomplete: parts.incomplete.filter((g) => keep(g.file)),
      packFindings: parts.packFindings.filter((f) => files.has(f.file)),
      schemaCandidates: parts.schemaCandidates.filter((f) => files.has(f.file)),
    };
    return { ...buildReport(header, own, durationMs), changedSince: { ref, files: [...scope.targets].sort() } };
  }
  return buildReport(header, parts, durationMs);
}

/**
 * Files changed since `ref`: committed on HEAD since the merge base (`ref...HEAD`), staged,
 * unstaged and untracked, as root-relative POSIX paths.
 */
export function changedFiles(root: string, ref: string): Set<string> {
  if (!ref || ref.startsWith('-')) throw new ScopeError(`--changed-since: "${ref}" is not a git ref`);
  const git = (args: string[]): string =>
    execFileSync('git', args, {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 256 * 1024 * 1024,
    });
  let top: string;
  try {
    top = git(['rev-parse', '--show-toplevel']).trim();
  } catch {
    throw new ScopeError(`--changed-since: ${root} is not inside a git repository (or git is not installed)`);
  }
  try {
    git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  } catch {
    throw new ScopeError(
      `--changed-since: unknown git ref "${ref}" (fetch it first: shallow CI checkouts need fetch-depth: 0 or a ` +
      `fetch of the base branch)`,
    );
  }
  const names = (args: string[]): string[] => git(args).split('\0').filter(Boolean);
  let listed: string[];
  try {
    // Paths relative to the repository's top: diff names them so, ls-files with --full-name.
    listed = [
      ...names(['diff', '--name-only', '-z', '--no-renames', `${ref}...HEAD`, '--']),
      ...names(['diff', '--name-only', '-z', '--no-renames', 'HEAD', '--']),
      ...names(['ls-files', '--others', '--exclude-standard', '-z', '--full-name']),
    ];
  } catch (error) {
    throw new ScopeError(
      `--changed-since: git could not list the changes since "${ref}" (${(error as Error).message.split('\n')[0]})`,
    );
  }
  return new Set(listed.map((name) => path.relative(root, path.join(top, name)).split(path.sep).join('/')));
}
