import type { CoreFinding, CoreSite } from '../analysis/index.js';
import { incompleteFindings, sortIncomplete } from '../report/incomplete.js';
import { partitionSetAside, setAsideNote, type SetAsideKind } from '../report/set-aside.js';
import type { Finding, IncompleteItem, Report } from '../report/types.js';
import type { FileResult } from '../cache/store.js';
import type { AuditReport, Diagnostic } from './audit.js';

// The report, from the parts of an audit: the same function builds a full audit's report, a
// cached one's, a shard's, and the merge of shards' (from the parts each shard kept), so
// they agree by construction. Everything here is plain data: a shard writes its parts into
// its partial report and `rls-guard merge` reads them back.

export interface ReportParts {
  /** Source files audited (root-relative). */
  files: string[];
  sites: CoreSite[];
  /** The core's findings (suppressed ones too), without the schema findings. */
  findings: CoreFinding[];
  /** Pack findings (source and deployment files) and the `file:line` of suppressions they used. */
  packFindings: Finding[];
  packUsed: string[];
  incomplete: IncompleteItem[];
  /** Before the report's own notes (other databases, set-aside counts). */
  diagnostics: Diagnostic[];
  otherDatabase: [string, string][];
  /** Settings the audited code sets. */
  settings: string[];
  /** A write was covered by a scope helper: the primary context setting counts as set (the helper may live outside the audited paths). */
  orgScoped: boolean;
  primarySetting: string;
  /** Schema findings before the settings are known: those with a `setting` are dropped when some code sets it. */
  schemaCandidates: (Finding & { setting?: string })[];
  include: SetAsideKind[];
  allowIncomplete: boolean;
}

export type ReportHeader = Pick<Report, 'tool' | 'root' | 'schema'>;

export function buildReport(header: ReportHeader, parts: ReportParts, durationMs: number): AuditReport {
  const diagnostics = parts.diagnostics.map((d) => ({ ...d }));
  const byPosition = <T extends { file: string; line: number; column: number }>(a: T, b: T): number =>
    a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column;
  const incomplete = sortIncomplete(parts.incomplete);
  const allSites = parts.sites.map(({ deferred: _deferred, ...site }) => site).sort(byPosition);
  const toFinding = (f: Finding): Finding => ({ ruleId: f.ruleId, severity: f.severity, file: f.file, line: f.line, column: f.column, endLine: f.endLine, endColumn: f.endColumn, message: f.message, fingerprint: f.fingerprint });
  const byFinding = (a: Finding, b: Finding): number => byPosition(a, b) || a.ruleId.localeCompare(b.ruleId);
  const settingsSet = new Set(parts.settings);
  if (parts.orgScoped) settingsSet.add(parts.primarySetting);
  const core: (CoreFinding | (Finding & { suppressed: null }))[] = [...parts.findings, ...parts.schemaCandidates.filter((f) => !f.setting || !settingsSet.has(f.setting)).map((f) => ({ ...f, suppressed: null }))];
  const packUsed = new Set(parts.packUsed);
  const allFindings: Finding[] = core
    .filter((f) => !f.suppressed && !(f.ruleId === 'no-unused-suppression' && packUsed.has(`${f.file}:${f.line}`)))
    .map(toFinding)
    .concat(parts.packFindings)
    .concat(incompleteFindings(incomplete, { allow: parts.allowIncomplete }))
    .sort(byFinding);
  const otherDatabase = new Map([...parts.otherDatabase].sort(([a], [b]) => a.localeCompare(b)));
  const aside = partitionSetAside({ files: parts.files, sites: allSites, findings: allFindings, include: parts.include, otherDatabase });
  for (const [file, other] of otherDatabase) {
    const n = aside.setAsideSites.filter((s) => s.file === file).length;
    if (n) diagnostics.push({ file, message: `${n} write site(s) set aside: this file writes to another database (${other}), not to Postgres` });
  }
  const writeSites = aside.sites;
  const findings = aside.findings;
  const note = setAsideNote(aside.summary);
  if (note) diagnostics.push({ file: '.', message: note });
  const suppressedFindings = core.flatMap((f) => (f.suppressed ? [{ ...toFinding(f), suppressed: f.suppressed }] : [])).sort(byFinding);
  // Unresolved writes may touch gated tables and SECURITY DEFINER calls write them on the
  // caller's behalf: both count, so coverage cannot look better by failing to resolve.
  const gatedSites = writeSites.filter((s) => s.coverage !== 'not-gated');
  const covered = gatedSites.filter((s) => s.coverage === 'org-scope' || s.coverage === 'security-definer' || s.coverage === 'admin-pool').length;
  return {
    tool: header.tool,
    root: header.root,
    schema: header.schema,
    writeSites,
    findings,
    incomplete,
    suppressedFindings,
    summary: {
      files: parts.files.length,
      writeSites: writeSites.length,
      gatedWriteSites: gatedSites.length,
      covered,
      // Nothing to cover is not full coverage: with no gated writes there is no ratio.
      coverage: gatedSites.length === 0 ? null : Math.round((covered / gatedSites.length) * 1000) / 1000,
      incomplete: incomplete.length,
      errors: findings.filter((f) => f.severity === 'error').length,
      warnings: findings.filter((f) => f.severity === 'warning').length,
      baselined: 0,
      durationMs: Math.round(durationMs),
      ...(note ? { setAside: aside.summary } : {}),
    },
    ...(aside.setAsideSites.length ? { setAsideWriteSites: aside.setAsideSites } : {}),
    // Sorted by file (stably): a merged report lists them as an unsharded one does.
    diagnostics: diagnostics.map((d, i) => ({ d, i })).sort((a, b) => (a.d.file < b.d.file ? -1 : a.d.file > b.d.file ? 1 : a.i - b.i)).map(({ d }) => d),
  };
}

/** The parts the given files contributed, in their order; the run's own parts (walk, model, deployment files) are added by the caller. */
export function fileParts(files: readonly string[], results: ReadonlyMap<string, FileResult>): ReportParts {
  const parts: ReportParts = { files: [], sites: [], findings: [], packFindings: [], packUsed: [], incomplete: [], diagnostics: [], otherDatabase: [], settings: [], orgScoped: false, primarySetting: '', schemaCandidates: [], include: [], allowIncomplete: false };
  const settings = new Set<string>();
  for (const file of files) {
    const r = results.get(file);
    if (!r) continue;
    if (r.parseError) {
      parts.diagnostics.push({ file, message: r.parseError });
      parts.incomplete.push({ file, kind: 'source', reason: r.parseError });
      continue;
    }
    parts.files.push(file);
    parts.sites.push(...r.sites);
    parts.findings.push(...r.findings);
    for (const gap of r.gaps) {
      parts.diagnostics.push({ file: gap.file, message: gap.reason });
      parts.incomplete.push({ ...gap, kind: 'source' });
    }
    for (const g of r.packGaps) {
      parts.diagnostics.push({ file, message: g.message });
      if (g.incomplete) parts.incomplete.push({ file, kind: 'source', reason: g.message });
    }
    parts.packFindings.push(...r.packFindings);
    parts.packUsed.push(...r.packUsed.map((line) => `${file}:${line}`));
    if (r.otherDatabase) parts.otherDatabase.push([file, r.otherDatabase]);
    for (const s of r.settings) settings.add(s);
    if (r.sites.some((s) => s.coverage === 'org-scope')) parts.orgScoped = true;
  }
  parts.settings = [...settings].sort();
  return parts;
}
