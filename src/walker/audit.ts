import path from 'node:path';
import type ts from 'typescript';
import { analyze, type CoreResult } from '../analysis/index.js';
import { DEFAULT_CONTEXT_SETTING, resolveAnalysisConfig } from '../analysis/config.js';
import { FileSystemSourceHost } from '../code/source-host.js';
import { parseSource, readSource, SOURCE_EXTENSIONS } from '../files/source.js';
import { loadConfig } from '../config/load.js';
import { auditRoots } from '../config/roots.js';
import { setPrismaSchemaPaths } from '../adapters/prisma-schema.js';
import { schemaFindings } from '../analysis/schema-findings.js';
import { realPath, walkFiles } from '../files/walk.js';
import type { AuditReport, Diagnostic } from '../report/audit-report.js';
import type { Finding, IncompleteItem, Report, WriteSite } from '../report/types.js';
import { incompleteFindings, sortIncomplete } from '../report/incomplete.js';
import type { RuleFinding, SuppressedFinding } from '../report/rule-finding.js';
import { siteFindings } from '../analysis/site-checks.js';
import { applySuppressions, findSuppressions, type Suppression } from '../report/suppressions.js';
import { RULES, severityOf } from '../../rules/index.js';
import { renderFinding } from '../../rules/render.js';
import { packAudit, type PackAuditResult } from '../packs/audit.js';
import type { RlsGuardConfig } from '../config/types.js';
import { loadPacks } from '../packs/load.js';
import { loadModel, type SchemaSourceChoice } from '../schema/load.js';
import { definerFunctions, forcedTables, gatedTables } from '../schema/model.js';
import type { RlsModel } from '../schema/types.js';
import type { BaselineOutcome } from '../report/baseline.js';
import { VERSION } from '../version.js';
import { otherDatabaseOf } from '../report/other-database.js';
import { partitionSetAside, setAsideNote, type SetAsideKind } from '../report/set-aside.js';
import type { TypeEvidence } from '../analysis/type-evidence.js';
import { createTypedProgram, hasInstalledTypes } from './typed-program.js';
import { toPosixRelative } from '../files/paths.js';

// The walker: every source file under the audited paths, parsed once, analysed as one
// program so helpers' callers are followed across files.

export interface AuditOptions {
  /** Files or folders to audit. Default: the current directory. */
  paths?: string[];
  /** An explicit config file; otherwise found by walking up from the first path. */
  configFile?: string;
  /** Unresolved writes are errors, not warnings. */
  strict?: boolean;
  /** Use the type checker as extra evidence: 'auto' (default) when the project's database types are installed. */
  types?: 'auto' | boolean;
  /** Where the RLS model comes from (default: the config's schemaSource, else "auto"). */
  schemaSource?: SchemaSourceChoice;
  /** Introspect this live database (read-only) for the RLS model. */
  databaseUrl?: string;
  /** Gaps (inputs skipped or read in part) are warnings, not errors: the run can pass with them. */
  allowIncomplete?: boolean;
  /** The audited tree is not trusted: no code from it runs (a .ts/.mjs config there is refused). */
  untrusted?: boolean;
  /** Called as the audit goes, for progress displays. */
  onProgress?: (event: ProgressEvent) => void;
  /**
   * `rls-guard init`: audit with this configuration (the proposal) instead of a config file,
   * skip the pack pass, and hand over the parsed files, so init costs one audit, not two.
   */
  proposal?: { config: RlsGuardConfig; onParsed: (files: readonly ts.SourceFile[]) => void };
}

export type ProgressEvent =
  | { phase: 'parse'; parsed: number; total: number }
  | { phase: 'analyze'; files: number }
  | { phase: 'done'; files: number; writeSites: number; /** Deterministic work counters (facts computed, bodies interpreted, steps). */ work?: CoreResult['work'] };

export async function audit(options: AuditOptions = {}): Promise<AuditReport> {
  return auditSync(options);
}

export function auditSync(options: AuditOptions = {}): AuditReport {
  const started = performance.now();
  // Real paths, so the root and every file agree however links lead to them.
  const paths = (options.paths?.length ? options.paths : ['.']).map(realPath);
  const loaded = options.proposal ? { config: options.proposal.config, file: null, dir: paths[0]! } : loadConfig({ start: paths[0]!, ...(options.configFile ? { configFile: options.configFile } : {}), ...(options.untrusted ? { untrusted: true } : {}) });
  const { root, config: rooted } = auditRoots(loaded, paths[0]!, !!options.configFile);
  setPrismaSchemaPaths(root, rooted.prismaSchema);
  const incomplete: IncompleteItem[] = [];
  if (loaded.refused) incomplete.push({ file: toPosixRelative(root, loaded.refused.file), kind: 'config', reason: loaded.refused.reason });
  const model = loadModel(root, rooted, {
    ...(options.schemaSource ? { source: options.schemaSource } : {}),
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
    ...(options.untrusted ? { untrusted: true } : {}),
  });
  incomplete.push(...modelGaps(model));
  const config = resolveAnalysisConfig(model, rooted, { strict: options.strict ?? false });
  const packSet = loadPacks(root, rooted.packs);
  const maxBytes = rooted.maxFileBytes;

  const walked = walkFiles(paths, { extensions: SOURCE_EXTENSIONS, ignore: loaded.config.ignore ?? [] }, root);
  const diagnostics: Diagnostic[] = walked.diagnostics.map((d) => ({ file: toPosixRelative(root, d.file), message: d.message }));
  for (const d of walked.diagnostics) if (d.incomplete) incomplete.push({ file: toPosixRelative(root, d.file), kind: 'source', reason: d.message });
  // Migration discovery walks the same tree: a link it trips over is listed once.
  const walkedAlready = new Set(diagnostics.map((d) => `${d.file}\0${d.message}`));
  for (const d of model.diagnostics) if (!walkedAlready.has(`${d.file}\0${d.message}`)) diagnostics.push({ file: d.file, message: `line ${d.line}: ${d.message}` });
  const readable: { file: string; text: string }[] = [];
  // A deployment file named on the command line is read by the pack pass, not parsed as source;
  // the config file is read as configuration, not audited as source.
  for (const file of walked.files.filter((f) => SOURCE_EXTENSIONS.some((e) => f.endsWith(e)) && f !== loaded.file)) {
    const read = readSource(file, maxBytes);
    if (read.ok) readable.push({ file, text: read.text });
    else {
      diagnostics.push({ file: toPosixRelative(root, file), message: read.reason });
      incomplete.push({ file: toPosixRelative(root, file), kind: 'source', reason: read.reason });
    }
  }
  // Each file is parsed once: by ts-morph when the checker is wanted, else directly.
  let files: ts.SourceFile[];
  let types: TypeEvidence | undefined;
  const typed = options.types === true || ((options.types ?? 'auto') === 'auto' && hasInstalledTypes(root)) ? typedOrNot(root, readable.map((r) => r.file), diagnostics) : undefined;
  if (typed) {
    files = typed.files;
    options.onProgress?.({ phase: 'parse', parsed: files.length, total: readable.length });
    types = typed.types;
  } else {
    files = readable.flatMap((r, i) => {
      options.onProgress?.({ phase: 'parse', parsed: i + 1, total: readable.length });
      try {
        return [parseSource(r.file, r.text)];
      } catch (error) {
        // The parser recurses: code nested deeply enough overflows the stack.
        // TypeScript's own parser recurses: a few thousand nested brackets overflow its stack.
        const reason = error instanceof RangeError ? 'cannot be parsed: it nests deeper than the TypeScript parser can follow; none of its writes were checked' : `not parsed (${(error as Error).message}); none of its writes were checked`;
        diagnostics.push({ file: toPosixRelative(root, r.file), message: reason });
        incomplete.push({ file: toPosixRelative(root, r.file), kind: 'source', reason });
        return [];
      }
    });
  }

  options.proposal?.onParsed(files);
  const host = new FileSystemSourceHost(files, rooted.libraries, maxBytes);
  options.onProgress?.({ phase: 'analyze', files: files.length });
  const result = analyze({ root, files, host, model, config, wholeProgram: true, ...(types ? { types } : {}) });
  for (const gap of result.incomplete) {
    diagnostics.push({ file: gap.file, message: gap.reason });
    incomplete.push({ ...gap, kind: 'source' });
  }
  // A write covered by a scope helper proves the context settings are set, even when the
  // helper itself lives outside the audited paths.
  const settingsSet = new Set(result.settingsSet);
  if (result.sites.some((s) => s.coverage === 'org-scope')) settingsSet.add(primaryContextSetting(loaded.config.contextSettings, model.policySettings));
  const schema = schemaFindings(model, rooted, settingsSet);
  options.onProgress?.({ phase: 'done', files: files.length, writeSites: result.sites.length, work: result.work });
  const packs = options.proposal ? NO_PACKS : packAudit({ root, paths, ignore: loaded.config.ignore ?? [], packs: packSet, sourceFiles: files });
  // The pack pass walks the same tree: a link it trips over is already listed.
  const listed = new Set(diagnostics.map((d) => `${d.file}\0${d.message}`));
  diagnostics.push(...packs.diagnostics.filter((d) => !listed.has(`${d.file}\0${d.message}`)).map((d) => ({ file: d.file, message: d.message })));
  for (const d of packs.diagnostics) if (d.incomplete) incomplete.push({ file: d.file, kind: 'source', reason: d.message });
  const otherDatabase = new Map<string, string>();
  for (const sf of files) {
    const other = otherDatabaseOf(sf);
    if (other) otherDatabase.set(toPosixRelative(root, sf.fileName), other);
  }
  const strict = options.strict ?? false;
  const findings = allFindings({ root, result, schema, packs, sourceFiles: files, incomplete, strict, allowIncomplete: options.allowIncomplete ?? false });
  return buildReport({ root, model, result, findings, packs, files: files.map((f) => toPosixRelative(root, f.fileName)), include: rooted.includeWritesFrom ?? [], otherDatabase, diagnostics, incomplete, configFile: loaded.file, durationMs: performance.now() - started });
}

/**
 * Every pass's findings (the core's, the rules' checks, the schema's, the packs', the gaps),
 * with each file's suppressions applied once, in the rules' words and severities. A site is
 * suppressed when its finding is.
 */
function allFindings(input: {
  root: string;
  result: CoreResult;
  schema: RuleFinding[];
  packs: PackAuditResult;
  sourceFiles: readonly ts.SourceFile[];
  incomplete: IncompleteItem[];
  strict: boolean;
  allowIncomplete: boolean;
}): { findings: Finding[]; suppressed: (Finding & { suppressed: { reason: string } })[] } {
  const checks = new Map(RULES.flatMap((r) => (r.check && severityOf(r.id, input.strict) !== 'off' ? [[r.id, r.check] as const] : [])));
  const facts: RuleFinding[] = [
    ...input.result.findings,
    ...siteFindings(input.result.sites, checks),
    ...input.schema,
    ...input.packs.findings,
    ...incompleteFindings(sortIncomplete(input.incomplete), { acceptHint: !input.allowIncomplete }),
  ];
  const byFile = new Map<string, RuleFinding[]>();
  for (const f of facts) (byFile.get(f.file) ?? byFile.set(f.file, []).get(f.file)!).push(f);
  const suppressions = new Map<string, { list: Suppression[]; marker: '//' | '#' }>();
  for (const sf of input.sourceFiles) suppressions.set(toPosixRelative(input.root, sf.fileName), { list: findSuppressions(sf), marker: '//' });
  for (const [file, list] of input.packs.deploySuppressions) suppressions.set(file, { list, marker: '#' });
  const kept: RuleFinding[] = [];
  const silenced: SuppressedFinding[] = [];
  for (const file of new Set([...byFile.keys(), ...suppressions.keys()])) {
    const s = suppressions.get(file);
    const outcome = applySuppressions(file, byFile.get(file) ?? [], s?.list ?? [], s?.marker ?? '//');
    kept.push(...outcome.findings);
    silenced.push(...outcome.suppressed);
  }
  // The site takes the suppression of its last finding (the unscoped one after a truncate's).
  const reasons = new Map(silenced.map((f) => [`${f.ruleId}\0${f.fingerprint}`, f.suppressed]));
  const bySite = new Map<string, { reason: string } | null>();
  for (const f of facts) if (f.site) bySite.set(f.site, reasons.get(`${f.ruleId}\0${f.fingerprint}`) ?? null);
  for (const site of input.result.sites) site.suppressed = bySite.get(site.fingerprint) ?? null;
  const render = (f: RuleFinding): Finding | undefined => {
    const out = renderFinding(f, input.strict);
    // --allow-incomplete accepts the gaps: they stay in the report, as warnings.
    return out && input.allowIncomplete && f.ruleId === 'no-incomplete-audit' ? { ...out, severity: 'warning' } : out;
  };
  return {
    findings: kept.flatMap((f) => render(f) ?? []),
    suppressed: silenced.flatMap((f) => {
      const out = render(f);
      return out ? [{ ...out, suppressed: f.suppressed }] : [];
    }),
  };
}

/** What the pack pass yields when it does not run (init's proposal audit). */
const NO_PACKS: PackAuditResult = { findings: [], diagnostics: [], deploySuppressions: new Map(), deployFiles: 0, sources: [] };

/**
 * The ts-morph program, or undefined when building it failed (code nested too deeply for its
 * recursive parser): the files are then parsed one by one, and a file that still fails is
 * reported on its own.
 */
function typedOrNot(root: string, files: string[], diagnostics: Diagnostic[]): ReturnType<typeof createTypedProgram> | undefined {
  try {
    return createTypedProgram(root, files);
  } catch (error) {
    diagnostics.push({ file: '.', message: `the type checker could not be used (${error instanceof RangeError ? 'some code is nested too deeply' : (error as Error).message}); the files were analysed without types` });
    return undefined;
  }
}

/** What the RLS model could not see: migration input read in part, no migrations, no gated tables. */
function modelGaps(model: RlsModel): IncompleteItem[] {
  const fromDatabase = model.sources?.some((s) => s.method === 'database') ?? false;
  const fromSnapshot = model.sources?.some((s) => s.method === 'snapshot') ?? false;
  const gaps: IncompleteItem[] = model.diagnostics.filter((d) => d.incomplete).map((d) => ({ file: d.file, line: d.line, kind: fromDatabase ? 'database' : 'migration', reason: d.message }));
  const gated = [...model.tables.values()].some((t) => t.rlsEnabled);
  if (!fromDatabase && !fromSnapshot && model.files.length === 0) {
    gaps.push({ file: '.', kind: 'migration', reason: 'no migrations found, so no table is known to be RLS-gated and no write can be judged; name the migration folders with `migrations` in the config, or read the model from a database with --database-url' });
  } else if (!gated) {
    const ref = model.sources?.[0]?.ref ?? '.';
    gaps.push({ file: fromDatabase ? '.' : ref, kind: fromDatabase ? 'database' : 'migration', reason: `no RLS-gated tables in the model (${fromDatabase ? 'the database' : `the migrations in ${ref}`} enable row level security on no table), so no write can be judged; check that these are the right ${fromDatabase ? 'database' : 'migrations'}` });
  }
  return gaps;
}

function buildReport(input: {
  root: string;
  model: RlsModel;
  result: CoreResult;
  findings: ReturnType<typeof allFindings>;
  packs: PackAuditResult;
  files: string[];
  include: readonly SetAsideKind[];
  otherDatabase: ReadonlyMap<string, string>;
  diagnostics: Diagnostic[];
  incomplete: IncompleteItem[];
  configFile: string | null;
  durationMs: number;
}): AuditReport {
  const { model, result } = input;
  const byPosition = <T extends { file: string; line: number; column: number }>(a: T, b: T): number =>
    a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column;
  const incomplete = sortIncomplete(input.incomplete);
  const allSites = result.sites.map(({ deferred: _deferred, ...site }) => site).sort(byPosition);
  const byFinding = (a: Finding, b: Finding): number => byPosition(a, b) || a.ruleId.localeCompare(b.ruleId);
  const allFindings: Finding[] = [...input.findings.findings].sort(byFinding);
  const aside = partitionSetAside({ files: input.files, sites: allSites, findings: allFindings, include: input.include, otherDatabase: input.otherDatabase });
  for (const [file, other] of input.otherDatabase) {
    const n = aside.setAsideSites.filter((s) => s.file === file).length;
    if (n) input.diagnostics.push({ file, message: `${n} write site(s) set aside: this file writes to another database (${other}), not to Postgres` });
  }
  const writeSites = aside.sites;
  const findings = aside.findings;
  const note = setAsideNote(aside.summary);
  if (note) input.diagnostics.push({ file: '.', message: note });
  const suppressedFindings = [...input.findings.suppressed].sort(byFinding);
  // Unresolved writes may touch gated tables and SECURITY DEFINER calls write them on the
  // caller's behalf: both count, so coverage cannot look better by failing to resolve.
  const gatedSites = writeSites.filter((s) => s.coverage !== 'not-gated');
  const covered = gatedSites.filter((s) => s.coverage === 'org-scope' || s.coverage === 'security-definer' || s.coverage === 'admin-pool').length;
  const sources: Report['schema']['sources'] = (model.sources ?? []).map((s) => ({ ...s }));
  if (input.configFile) sources.push({ kind: 'config', ref: toPosixRelative(input.root, input.configFile) });
  sources.push(...input.packs.sources);
  return {
    tool: { name: 'rls-guard', version: VERSION },
    root: input.root,
    schema: {
      gatedTables: gatedTables(model),
      forcedTables: forcedTables(model),
      securityDefinerFunctions: definerFunctions(model),
      sources,
    },
    writeSites,
    findings,
    incomplete,
    suppressedFindings,
    summary: {
      files: input.files.length,
      writeSites: writeSites.length,
      gatedWriteSites: gatedSites.length,
      covered,
      // Nothing to cover is not full coverage: with no gated writes there is no ratio.
      coverage: gatedSites.length === 0 ? null : Math.round((covered / gatedSites.length) * 1000) / 1000,
      incomplete: incomplete.length,
      errors: findings.filter((f) => f.severity === 'error').length,
      warnings: findings.filter((f) => f.severity === 'warning').length,
      baselined: 0,
      durationMs: Math.round(input.durationMs),
      ...(note ? { setAside: aside.summary } : {}),
    },
    ...(aside.setAsideSites.length ? { setAsideWriteSites: aside.setAsideSites } : {}),
    diagnostics: input.diagnostics,
  };
}

/** The setting a scope helper outside the audited code is assumed to set: the configured one, else the conventional one. */
function primaryContextSetting(configured: string[] | undefined, policySettings: ReadonlySet<string>): string {
  if (configured?.[0]) return configured[0].toLowerCase();
  return policySettings.has(DEFAULT_CONTEXT_SETTING) || policySettings.size === 0 ? DEFAULT_CONTEXT_SETTING : [...policySettings].sort()[0]!;
}

