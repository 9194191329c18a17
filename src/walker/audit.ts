import fs from 'node:fs';
import type ts from 'typescript';
import type { AmbientProvider, CoreResult } from '../analysis/index.js';
import { DEFAULT_CONTEXT_SETTING, resolveAnalysisConfig } from '../analysis/config.js';
import { parseAhead, SOURCE_EXTENSIONS, withSharedParses } from '../files/source.js';
import { bindAndIndex } from '../code/file-nodes.js';
import { phase, phaseReport } from '../files/phase-timer.js';
import { configNameIn, loadConfig } from '../config/load.js';
import { auditRoots } from '../config/roots.js';
import { modelGaps } from '../schema/model-gaps.js';
import { setPrismaSchemaPaths } from '../adapters/prisma-schema.js';
import { schemaFindings } from '../analysis/schema-findings.js';
import { foldersReadThisRun, realPath, rememberListings, walkFiles, withSharedWalks } from '../files/walk.js';
import type { AuditReport, Diagnostic } from '../report/audit-report.js';
import type { IncompleteItem, Report } from '../report/types.js';
import type { RlsGuardConfig } from '../config/types.js';
import { packAudit, type PackAuditResult } from '../packs/audit.js';
import { loadPacks } from '../packs/load.js';
import { platformUse } from '../packs/platform-use.js';
import { whileChildRuns, type Meanwhile } from '../schema/beside.js';
import { loadModel, type SchemaSourceChoice } from '../schema/load.js';
import { codeMigrationsByShape } from '../schema/migration-shape.js';
import { forgetSqlParses } from '../sql/parser.js';
import { definerFunctions, forcedTables, gatedTables } from '../schema/model.js';
import type { RlsModel } from '../schema/types.js';
import { VERSION } from '../version.js';
import { cachePlace } from '../cache/location.js';
import { InputCache } from '../cache/inputs.js';
import { listSources, type ListedSource } from '../cache/sources.js';
import { incrementalAudit, type CacheReport } from '../cache/audit-cache.js';
import { auditCacheFile, type FileResult } from '../cache/store.js';
import { fileParts, type ReportHeader } from './assemble.js';
import { analyseFiles } from './file-results.js';
import { auditScope, scopedReport, scopeRequest, type AuditScope } from './scope.js';
import { hasInstalledTypes } from './typed-program.js';
import { stableHash } from '../cache/stable-hash.js';
import { toPosixRelative } from '../files/paths.js';
import { readDeploymentRoles } from '../schema/deploy-roles.js';

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
  /**
   * `rls-guard init`: audit with this configuration (the proposal) instead of a config file,
   * skip the pack pass, and hand over the parsed files, so init costs one audit, not two.
   */
  proposal?: {
    config: RlsGuardConfig;
    onParsed: (files: readonly ts.SourceFile[]) => void;
    onAmbient?: (providers: AmbientProvider[]) => void;
  };
  /** Called as the audit goes, for progress displays. */
  onProgress?: (event: ProgressEvent) => void;
  /** The on-disk cache of per-file results (see docs/cache.md). Off unless enabled; the CLI enables it. */
  cache?: { enabled: boolean; location?: string };
  /** Analyse and report only shard `index` (1-based) of `count`: a partial report for `rls-guard merge`. */
  shard?: { index: number; count: number };
  /** Report only the files changed since this git ref (committed on HEAD since their merge base, or uncommitted). */
  changedSince?: string;
  /** Told how many files the cache answered. */
  onCache?: (stats: CacheReport) => void;
}

export type ProgressEvent =
  | { phase: 'parse'; parsed: number; total: number }
  | { phase: 'analyze'; files: number }
  | {
      phase: 'done';
      files: number;
      writeSites: number;
      /** Files whose results came from the cache. */ cached?: number;
      /** Deterministic work counters (facts computed, bodies interpreted, steps). */ work?: CoreResult['work'];
    };

export async function audit(options: AuditOptions = {}): Promise<AuditReport> {
  return auditSync(options);
}

/**
 * The sources to parse while the schema worker runs (the migrations' replay): all of them when the whole tree is
 * analysed from scratch (no cache of earlier results, every file a target) without the type checker (ts-morph parses
 * its own trees); else none: a cached run parses only what changed, a shard only what its files need.
 */
function ahead(
  cacheDir: string | null,
  root: string,
  typed: boolean,
  scope: AuditScope,
  sources: readonly ListedSource[],
): readonly ListedSource[] {
  if (typed || scope.targets.size !== sources.length) return [];
  if (cacheDir && fs.existsSync(auditCacheFile(cacheDir, root))) return [];
  return sources;
}

/** The parse of `files` as work beside the schema worker, with its own phases (it stops when the worker answers). */
function parseWhileReplaying(files: readonly ListedSource[]): Meanwhile | undefined {
  if (files.length === 0) return undefined;
  return (done) => {
    phase('parse, while the schema worker runs');
    // The migrations' SQL parses (the static reading's) are not kept beside the trees: a text the model asks again is
    // parsed again, and the old generation does not grow to hold both (Community-Canvas: +54 MB at the CLI's peak).
    forgetSqlParses();
    parseAhead(files, done);
    phase('RLS model, after the schema worker');
  };
}

export function auditSync(options: AuditOptions = {}): AuditReport {
  // One listing of the tree for the sources, the migrations, the Drizzle scan and the pack pass; one parse of a file
  // that is both a code migration (or a Drizzle schema) and a source.
  // Each tree's parents and index are taken by one walk as it is parsed (code/file-nodes.ts `bindAndIndex`).
  return withSharedWalks(() => withSharedParses(() => auditOnce(options), bindAndIndex));
}

function auditOnce(options: AuditOptions): AuditReport {
  const started = performance.now();
  phase('config');
  // Real paths, so the root and every file agree however links lead to them.
  const paths = (options.paths?.length ? options.paths : ['.']).map(realPath);
  const loaded = options.proposal
    ? { config: options.proposal.config, file: null, dir: paths[0]!, refused: undefined }
    : loadConfig({
        start: paths[0]!,
        ...(options.configFile ? { configFile: options.configFile } : {}),
        ...(options.untrusted ? { untrusted: true } : {}),
      });
  const { root, config: rooted } = auditRoots(loaded, paths[0]!, !!options.configFile);
  setPrismaSchemaPaths(root, rooted.prismaSchema);
  const request = scopeRequest(root, options);
  const incomplete: IncompleteItem[] = [];
  if (loaded.refused)
    incomplete.push({
      file: toPosixRelative(root, loaded.refused.file),
      kind: 'config',
      reason: loaded.refused.reason,
    });
  const place = cachePlace(root, {
    enabled: options.cache?.enabled ?? false,
    ...(options.cache?.location ? { location: options.cache.location } : {}),
    ...(options.untrusted ? { untrusted: true } : {}),
  });
  // The model and the deployment files' scans, kept by the content of what they are computed from.
  const inputs = place.dir ? new InputCache(place.dir, root) : undefined;
  // Every walk of this run lists the tree from the last run's listing, folders whose stat is unchanged not read again.
  rememberListings(inputs?.listings());
  const maxBytes = rooted.maxFileBytes;

  // The sources are listed and read before the model: their parse needs none, and goes on while the migrations replay.
  phase('listing and reading sources');
  const walked = walkFiles(paths, { extensions: SOURCE_EXTENSIONS, ignore: loaded.config.ignore ?? [] }, root);
  // A deployment file named on the command line is read by the pack pass, not parsed as source;
  // the config file is read as configuration, not audited as source. With the cache, files
  // whose stat is unchanged are read only if they are analysed again.
  const listing = listSources(
    root,
    walked.files.filter((f) => SOURCE_EXTENSIONS.some((e) => f.endsWith(e)) && f !== loaded.file),
    maxBytes,
    inputs,
  );
  const typed = options.types === true || ((options.types ?? 'auto') === 'auto' && hasInstalledTypes(root));
  const sources = listing.sources;
  const scope = auditScope(sources.map((s) => s.rel), request);

  phase('RLS model');
  const model = whileChildRuns(parseWhileReplaying(ahead(place.dir, root, typed, scope, sources)), () =>
    loadModel(root, rooted, {
      ...(inputs ? { inputs } : {}),
      ...(options.schemaSource ? { source: options.schemaSource } : {}),
      ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
      ...(options.untrusted ? { untrusted: true } : {}),
    }),
  );
  incomplete.push(...modelGaps(model));
  // The model is plain data: the migrations' SQL parses it was read from need not stay live through the analysis.
  forgetSqlParses();
  // The config file as evidence names it (a declared admin provider's verdict says where it is declared).
  const configFile = configNameIn(root, loaded);
  // The role a connection logs in as where the code reads its DSN from the environment: the deployment files say.
  // The role switches of scope helpers are read from the same sources: their text as listed, kept by content hash.
  const listedText = new Map(sources.map((s) => [s.file, s]));
  const deployment = {
    root,
    roles: readDeploymentRoles(root, loaded.config.ignore ?? [], {
      ...(inputs ? { inputs } : {}),
      text: (abs) => listedText.get(abs)?.text,
    }),
  };
  const config = resolveAnalysisConfig(model, rooted, {
    strict: options.strict ?? false,
    ...(configFile ? { configFile } : {}),
    deployment,
  });
  const packSet = loadPacks(root, rooted.packs, inputs);
  // The model's content hash, once: the cache's key, the report's key and the schema findings' memo all name it.
  const modelHash = stableHash(model);

  const diagnostics: Diagnostic[] = walked.diagnostics.map((d) => ({
    file: toPosixRelative(root, d.file),
    message: d.message,
  }));
  for (const d of walked.diagnostics)
    if (d.incomplete) incomplete.push({ file: toPosixRelative(root, d.file), kind: 'source', reason: d.message });
  // Migration discovery walks the same tree: a link it trips over is listed once.
  const walkedAlready = new Set(diagnostics.map((d) => `${d.file}\0${d.message}`));
  for (const d of model.diagnostics)
    if (!walkedAlready.has(`${d.file}\0${d.message}`))
      diagnostics.push({ file: d.file, message: `line ${d.line}: ${d.message}` });
  for (const { file, reason } of listing.failed) {
    diagnostics.push({ file: toPosixRelative(root, file), message: reason });
    incomplete.push({ file: toPosixRelative(root, file), kind: 'source', reason });
  }
  const runDiagnostics: Diagnostic[] = [];
  let work: CoreResult['work'] | undefined;
  const analyse = (
    set: readonly { file: string; text: string }[],
    want: ReadonlySet<string>,
    walkWantedOnly = false,
  ): Map<string, FileResult> => {
    const out = analyseFiles({
      root,
      files: set,
      want,
      walkWantedOnly,
      model,
      config,
      libraries: rooted.libraries,
      maxBytes,
      typed,
      packs: options.proposal ? undefined : packSet,
      paths,
      ignore: loaded.config.ignore ?? [],
      onParsed: (parsed, total) => options.onProgress?.({ phase: 'parse', parsed, total }),
      onAnalyse: (files) => options.onProgress?.({ phase: 'analyze', files }),
      ...(options.proposal ? proposalHooks(options.proposal) : {}),
    });
    runDiagnostics.push(...out.diagnostics);
    work = out.work;
    return out.results;
  };
  let results: Map<string, FileResult>;
  let cacheReport: CacheReport;
  let cached = 0;
  if (!place.dir && scope.targets.size === sources.length) {
    // Everything, nothing cached: one run, no module graph to work out.
    results = analyse(sources, scope.targets);
    cacheReport = {
      reused: 0,
      analysed: sources.length,
      context: 0,
      location: null,
      why: (place as { why: string }).why,
    };
  } else {
    const run = incrementalAudit({
      root,
      files: sources,
      targets: scope.targets,
      cacheDir: place.dir,
      // The packs as read (a pack file's content can change while the config naming it does not): the source files'
      // pack findings are kept with their results.
      key: [
        VERSION,
        modelHash,
        deployment.roles,
        rooted,
        configFile ?? null,
        config.strict,
        typed,
        options.allowIncomplete ?? false,
        packSet,
      ],
      analyse,
    });
    results = run.results;
    cached = run.stats.reused;
    cacheReport = {
      ...run.stats,
      location: place.dir,
      ...(place.dir ? {} : { why: (place as { why: string }).why }),
    };
  }
  let writeSites = 0;
  for (const rel of scope.targets) writeSites += results.get(rel)?.sites.length ?? 0;
  options.onProgress?.({
    phase: 'done',
    files: scope.targets.size,
    writeSites,
    ...(cached ? { cached } : {}),
    ...(work ? { work } : {}),
  });

  phase('after the analysis: schema findings, code migrations, deployment files, report');
  // Per file, in a fixed order: what it contributed (computed now or read from the cache).
  const parts = fileParts([...scope.targets].sort(), results);
  parts.diagnostics.unshift(...diagnostics, ...runDiagnostics);
  parts.incomplete.unshift(...incomplete);
  parts.primarySetting = primaryContextSetting(loaded.config.contextSettings, model.policySettings);
  // Kept with the inputs by the model and the config: quoting the tables' names asks libpg-query's scanner, which a
  // warm run then need not load.
  const schemaKey = stableHash([modelHash, rooted]);
  parts.schemaCandidates = inputs
    ? inputs.remember('schema-findings', schemaKey, () => schemaFindings(model, rooted, new Set()))
    : schemaFindings(model, rooted, new Set());
  parts.include = [...(rooted.includeWritesFrom ?? [])];
  // Code migrations by their shape, wherever they sit: their writes are the migration role's, not the app's.
  const shaped = codeMigrationsByShape(root, loaded.config.ignore ?? [], inputs);
  parts.codeMigrations = [...shaped].map((f) => toPosixRelative(root, f)).sort();
  parts.allowIncomplete = options.allowIncomplete ?? false;
  parts.strict = options.strict ?? false;
  // Deployment files once per run; source files were scanned with their analysis.
  const deploy = options.proposal
    ? NO_PACKS
    : packAudit({
        root,
        paths,
        ignore: loaded.config.ignore ?? [],
        packs: packSet,
        sourceFiles: [],
        ...(inputs ? { inputs } : {}),
      });
  // A platform's pack applies only to a tree that shows it runs on the platform (platform-use.ts).
  const use = options.proposal
    ? undefined
    : platformUse(packSet, root, paths, loaded.config.ignore ?? [], inputs, deploy.deployScans);
  inputs?.save();
  options.onCache?.({
    ...cacheReport,
    ...(inputs ? { inputsRead: inputs.read, sourcesRead: listing.read, foldersRead: foldersReadThisRun() } : {}),
  });
  // The pack pass walks the same tree: a link it trips over is already listed.
  const listed = new Set(parts.diagnostics.map((d) => `${d.file}\0${d.message}`));
  parts.diagnostics.push(
    ...deploy.diagnostics
      .filter((d) => !listed.has(`${d.file}\0${d.message}`))
      .map((d) => ({ file: d.file, message: d.message })),
  );
  for (const d of deploy.diagnostics)
    if (d.incomplete) parts.incomplete.push({ file: d.file, kind: 'source', reason: d.message });
  parts.packFindings.push(...deploy.findings);
  if (use) parts.packFindings = parts.packFindings.filter((f) => use.applies.has(String(f.data?.['pack'])));
  for (const [file, list] of deploy.deploySuppressions) parts.suppressions.push([file, list, '#']);
  const sourcesOfSchema: Report['schema']['sources'] = (model.sources ?? []).map((s) => ({ ...s }));
  if (loaded.file) sourcesOfSchema.push({ kind: 'config', ref: toPosixRelative(root, loaded.file) });
  sourcesOfSchema.push(...deploy.sources);
  const header: ReportHeader = {
    tool: { name: 'rls-guard', version: VERSION },
    root,
    schema: {
      gatedTables: gatedTables(model),
      forcedTables: forcedTables(model),
      securityDefinerFunctions: definerFunctions(model),
      sources: sourcesOfSchema,
    },
  };
  const report = scopedReport(
    header,
    parts,
    scope,
    stableHash([VERSION, modelHash, rooted, config.strict, typed, parts.allowIncomplete, parts.codeMigrations]),
    performance.now() - started,
  );
  phaseReport();
  return report;
}

/** What the pack pass yields when it does not run (init's proposal audit). */
const NO_PACKS: PackAuditResult = {
  findings: [],
  diagnostics: [],
  deploySuppressions: new Map(),
  deployFiles: 0,
  sources: [],
};

/**
 * The setting a scope helper outside the audited code is assumed to set: the configured one, else the conventional one.
 */
function primaryContextSetting(configured: string[] | undefined, policySettings: ReadonlySet<string>): string {
  if (configured?.[0]) return configured[0].toLowerCase();
  return policySettings.has(DEFAULT_CONTEXT_SETTING) || policySettings.size === 0
    ? DEFAULT_CONTEXT_SETTING
    : [...policySettings].sort()[0]!;
}

/** What init's proposal audit hands back: the parsed files, and the middleware the routes run behind. */
function proposalHooks(proposal: NonNullable<AuditOptions['proposal']>): {
  onFiles: (files: readonly ts.SourceFile[]) => void;
  onAmbient?: (providers: AmbientProvider[]) => void;
} {
  return { onFiles: proposal.onParsed, ...(proposal.onAmbient ? { onAmbient: proposal.onAmbient } : {}) };
}

