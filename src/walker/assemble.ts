import type { CoreFinding, CoreSite } from '../analysis/index.js';
import { viaSessionJwt } from '../analysis/session-jwt.js';
import { incompleteFindings, sortIncomplete } from '../report/incomplete.js';
import type { RuleFinding, SuppressedFinding } from '../report/rule-finding.js';
import { partitionSetAside, setAsideNote, type SetAsideKind } from '../report/set-aside.js';
import { applySuppressions, type Suppression } from '../report/suppressions.js';
import type { Finding, IncompleteItem, Report } from '../report/types.js';
import { severityOf } from '../../rules/index.js';
import { renderFinding } from '../../rules/render.js';
import type { FileResult } from '../cache/store.js';
import type { AuditReport, Diagnostic } from '../report/audit-report.js';

// The report, from the parts of an audit: the same function builds a full audit's report, a
// cached one's, a shard's, and the merge of shards' (from the parts each shard kept), so
// they agree by construction. Everything here is plain data: a shard writes its parts into
// its partial report and `rls-guard merge` reads them back.

export interface ReportParts {
  /** Source files audited (root-relative). */
  files: string[];
  sites: CoreSite[];
  /** The core's findings (before suppressions), without the schema findings. */
  findings: CoreFinding[];
  /** Pack findings (source and deployment files), before suppressions. */
  packFindings: RuleFinding[];
  /**
   * Each file's suppression comments (`//` in source, `#` in deployment files), applied once to every pass's findings.
   */
  suppressions: [file: string, list: Suppression[], marker: '//' | '#'][];
  incomplete: IncompleteItem[];
  /** Before the report's own notes (other databases, set-aside counts). */
  diagnostics: Diagnostic[];
  otherDatabase: [string, string][];
  /** Settings the audited code sets. */
  settings: string[];
  /**
   * A write was covered by a scope helper: the primary context setting counts as set (the helper may live outside the
   * audited paths).
   */
  orgScoped: boolean;
  primarySetting: string;
  /** Schema findings before the settings are known: those with a `setting` are dropped when some code sets it. */
  schemaCandidates: RuleFinding[];
  include: SetAsideKind[];
  /**
   * Source files that are code migrations by their shape (schema/migration-shape.ts), root-relative: set aside as
   * migrations whatever their path says. Absent from a partial report written before it existed.
   */
  codeMigrations?: string[];
  allowIncomplete: boolean;
  /** --strict: the strict config's severities. */
  strict: boolean;
}

/** The setting a "no code sets it" finding is about (settled once every file's settings are known). */
export function unsetSetting(f: RuleFinding): string | undefined {
  return f.ruleId === 'no-unset-policy-setting' ? f.data.setting : undefined;
}

export type ReportHeader = Pick<Report, 'tool' | 'root' | 'schema'>;

export function buildReport(header: ReportHeader, parts: ReportParts, durationMs: number): AuditReport {
  const diagnostics = parts.diagnostics.map((d) => ({ ...d }));
  const byPosition = <T extends { file: string; line: number; column: number }>(a: T, b: T): number =>
    a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column;
  const incomplete = sortIncomplete(parts.incomplete);
  const ordered = [...parts.sites].sort(byPosition);
  const sites = ordered.map(({ deferred: _deferred, reachedFrom: _reachedFrom, testsOnly: _only, ...site }) => site);
  // Writes of seed and migration files that a route reaches stay with the app's (src/analysis/index.ts).
  const onAppPath = new Set(ordered.filter((s) => s.reachedFrom).map((s) => `${s.file}\u0001${s.line}`));
  // Writes only the tests reach (test support they alone call) go with the tests' (src/analysis/program.ts).
  const onTestPath = new Set(ordered.filter((s) => s.testsOnly).map((s) => `${s.file}\u0001${s.line}`));
  const byFinding = (a: Finding, b: Finding): number => byPosition(a, b) || a.ruleId.localeCompare(b.ruleId);
  const settingsSet = new Set(parts.settings);
  if (parts.orgScoped) settingsSet.add(parts.primarySetting);
  const { findings: rendered, suppressed, siteSuppressions } = judged(parts, incomplete, settingsSet);
  const allSites = sites.map((site) => ({ ...site, suppressed: siteSuppressions.get(site.fingerprint) ?? null }));
  const allFindings: Finding[] = rendered.sort(byFinding);
  const otherDatabase = new Map([...parts.otherDatabase].sort(([a], [b]) => a.localeCompare(b)));
  const aside = partitionSetAside({
    files: parts.files,
    sites: allSites,
    findings: allFindings,
    include: parts.include,
    otherDatabase,
    migrations: new Set(parts.codeMigrations ?? []),
    onAppPath,
    onTestPath,
  });
  for (const [file, other] of otherDatabase) {
    const n = aside.setAsideSites.filter((s) => s.file === file).length;
    if (n)
      diagnostics.push({
        file,
        message: `${n} write site(s) set aside: this file writes to another database (${other}), not to Postgres`,
      });
  }
  const writeSites = aside.sites;
  const findings = aside.findings;
  const note = setAsideNote(aside.summary);
  if (note) diagnostics.push({ file: '.', message: note });
  const suppressedFindings = suppressed.sort(byFinding);
  // Unresolved writes may touch gated tables and SECURITY DEFINER calls write them on the
  // caller's behalf: both count, so coverage cannot look better by failing to resolve.
  const gatedSites = writeSites.filter((s) => s.coverage !== 'not-gated');
  const covered = gatedSites.filter(
    (s) => s.coverage === 'org-scope' || s.coverage === 'security-definer' || s.coverage === 'admin-pool',
  ).length;
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
    diagnostics: diagnostics
      .map((d, i) => ({ d, i }))
      .sort((a, b) => (a.d.file < b.d.file ? -1 : a.d.file > b.d.file ? 1 : a.i - b.i))
      .map(({ d }) => d),
  };
}

/**
 * Every pass's findings (the core's, the rules' checks on the sites, the schema's, the packs',
 * the gaps), with each file's suppressions applied once, in the rules' words and severities.
 * A site is suppressed when its finding is (the last finding about it decides).
 */
function judged(
  parts: ReportParts,
  incomplete: readonly IncompleteItem[],
  settingsSet: ReadonlySet<string>,
): {
  findings: Finding[];
  suppressed: (Finding & { suppressed: { reason: string } })[];
  siteSuppressions: Map<string, { reason: string } | null>;
} {
  const schema = parts.schemaCandidates.filter((f) => {
    const setting = unsetSetting(f);
    return !setting || !settingsSet.has(setting);
  });
  const facts: RuleFinding[] = [
    // The findings of the rules that judge a decided site are among each file's (walker/file-results.ts).
    ...parts.findings,
    ...schema,
    ...parts.packFindings,
    ...incompleteFindings(incomplete, { acceptHint: !parts.allowIncomplete }),
  ];
  const byFile = new Map<string, RuleFinding[]>();
  for (const f of facts) (byFile.get(f.file) ?? byFile.set(f.file, []).get(f.file)!).push(f);
  const suppressions = new Map(parts.suppressions.map(([file, list, marker]) => [file, { list, marker }] as const));
  const kept: RuleFinding[] = [];
  const silenced: SuppressedFinding[] = [];
  for (const file of [...new Set([...byFile.keys(), ...suppressions.keys()])].sort()) {
    const s = suppressions.get(file);
    const outcome = applySuppressions(file, byFile.get(file) ?? [], s?.list ?? [], s?.marker ?? '//');
    kept.push(...outcome.findings);
    silenced.push(...outcome.suppressed);
  }
  const reasons = new Map(silenced.map((f) => [`${f.ruleId}\0${f.fingerprint}`, f.suppressed]));
  const siteSuppressions = new Map<string, { reason: string } | null>();
  for (const f of facts) if (f.site) siteSuppressions.set(f.site, reasons.get(`${f.ruleId}\0${f.fingerprint}`) ?? null);
  const render = (f: RuleFinding): Finding | undefined => {
    const out = renderFinding(f, parts.strict);
    // --allow-incomplete accepts the gaps: they stay in the report, as warnings.
    return out && parts.allowIncomplete && f.ruleId === 'no-incomplete-audit' ? { ...out, severity: 'warning' } : out;
  };
  return {
    findings: kept.flatMap((f) => render(f) ?? []),
    suppressed: silenced.flatMap((f) => {
      const out = render(f);
      return out ? [{ ...out, suppressed: f.suppressed }] : [];
    }),
    siteSuppressions,
  };
}

/**
 * The parts the given files contributed, in their order; the run's own parts (walk, model, deployment files) are added
 * by the caller.
 */
export function fileParts(files: readonly string[], results: ReadonlyMap<string, FileResult>): ReportParts {
  const parts: ReportParts = {
    files: [],
    sites: [],
    findings: [],
    packFindings: [],
    suppressions: [],
    incomplete: [],
    diagnostics: [],
    otherDatabase: [],
    settings: [],
    orgScoped: false,
    primarySetting: '',
    schemaCandidates: [],
    include: [],
    allowIncomplete: false,
    strict: false,
  };
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
    if (r.suppressions.length) parts.suppressions.push([file, r.suppressions, '//']);
    if (r.otherDatabase) parts.otherDatabase.push([file, r.otherDatabase]);
    for (const s of r.settings) settings.add(s);
    // An org-scoped write suggests some helper sets the primary setting; one the JWT a driver sends covers does not.
    if (r.sites.some((s) => s.coverage === 'org-scope' && !viaSessionJwt(s.via))) parts.orgScoped = true;
  }
  parts.settings = [...settings].sort();
  return parts;
}
