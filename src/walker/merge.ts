import { buildReport, type ReportParts } from './assemble.js';
import type { AuditReport } from '../report/audit-report.js';
import type { PartialReport } from './scope.js';

// `rls-guard merge`: the partial reports of `audit --shard i/n` back into the report of the
// whole audit. Each shard kept the parts of the report its files own (src/walker/assemble.ts);
// the merge joins the parts and builds the report as an unsharded audit does, so the result
// is the same report (its duration aside: the longest shard's). It refuses anything that is
// not every shard of one audit exactly once.

export class MergeError extends Error {}

export function mergeReports(inputs: readonly { file: string; report: unknown }[]): AuditReport {
  if (inputs.length === 0) throw new MergeError('merge needs the partial reports of every shard');
  const shards = inputs.map(({ file, report }) => {
    const r = report as Partial<AuditReport> | null;
    const p = r?.partial as Partial<PartialReport> | undefined;
    if (
      !r ||
      typeof r !== 'object' ||
      !p ||
      typeof p !== 'object' ||
      !p.shard ||
      !p.parts ||
      typeof p.key !== 'string'
    ) {
      throw new MergeError(
        `${file} is not a shard's report (write it with \`rls-guard audit --shard i/n --format json\`)`,
      );
    }
    return { file, report: r as AuditReport, partial: p as PartialReport };
  });
  const first = shards[0]!;
  const count = first.partial.shard.count;
  for (const s of shards) {
    if (s.report.tool?.version !== first.report.tool?.version)
      throw new MergeError(
        `${s.file} was written by rls-guard ${s.report.tool?.version}, ${first.file} by ` +
        `${first.report.tool?.version}: shards of one audit come from one version`,
      );
    if (s.partial.key !== first.partial.key)
      throw new MergeError(
        `${s.file} and ${first.file} audited with a different config, RLS model or options: they are not shards of ` +
        `one audit`,
      );
    if (s.partial.shard.count !== count)
      throw new MergeError(
        `${s.file} is shard ${s.partial.shard.index}/${s.partial.shard.count}, ${first.file} is one of ${count}: ` +
        `shards of one audit share n`,
      );
  }
  const seen = new Map<number, string>();
  for (const s of shards) {
    const at = seen.get(s.partial.shard.index);
    if (at) throw new MergeError(`shard ${s.partial.shard.index}/${count} is given twice (${at} and ${s.file})`);
    seen.set(s.partial.shard.index, s.file);
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !seen.has(i));
  if (missing.length)
    throw new MergeError(
      `missing shard${missing.length === 1 ? '' : 's'} ${missing.map((i) => `${i}/${count}`).join(', ')}: every ` +
      `shard's report is needed`,
    );

  const ordered = shards.sort((a, b) => a.partial.shard.index - b.partial.shard.index).map((s) => s.partial.parts);
  const joined: ReportParts = {
    ...ordered[0]!,
    files: ordered.flatMap((p) => p.files),
    sites: ordered.flatMap((p) => p.sites),
    findings: ordered.flatMap((p) => p.findings),
    packFindings: ordered.flatMap((p) => p.packFindings),
    suppressions: ordered.flatMap((p) => p.suppressions),
    incomplete: ordered.flatMap((p) => p.incomplete),
    diagnostics: ordered.flatMap((p) => p.diagnostics),
    otherDatabase: ordered.flatMap((p) => p.otherDatabase),
    settings: [...new Set(ordered.flatMap((p) => p.settings))].sort(),
    orgScoped: ordered.some((p) => p.orgScoped),
    schemaCandidates: ordered.flatMap((p) => p.schemaCandidates),
  };
  const header = { tool: first.report.tool, root: first.report.root, schema: first.report.schema };
  return buildReport(header, joined, Math.max(...shards.map((s) => s.report.summary?.durationMs ?? 0)));
}
