import fs from 'node:fs';
import path from 'node:path';
import type { TSESLint } from '@typescript-eslint/utils';
import type ts from 'typescript';
import {
  analyze,
  type CoreFinding,
  type CoreResult,
  type CoreSite,
  type SourceGap,
  syntaxGap,
} from '../analysis/index.js';
import { type AnalysisConfig, resolveAnalysisConfig } from '../analysis/config.js';
import { libraryFor, type SourceHost, FileSystemSourceHost } from '../code/source-host.js';
import { DEFAULT_MAX_FILE_BYTES, parseSource, readSource, tooLarge } from '../files/source.js';
import { setPrismaSchemaPaths } from '../adapters/prisma-schema.js';
import type { LibraryAliases } from '../adapters/libraries.js';
import { checkerEvidence, type TypeEvidence } from '../analysis/type-evidence.js';
import { ConfigError, configFileIn, configNameIn, defaultRoot, loadConfig, type LoadedConfig } from '../config/load.js';
import { loadModel, SchemaSourceError } from '../schema/load.js';
import { codeMigrationsByShape } from '../schema/migration-shape.js';
import { InputCache } from '../cache/inputs.js';
import { stableHash } from '../cache/stable-hash.js';
import { withSharedWalks } from '../files/walk.js';
import type { RlsModel } from '../schema/types.js';
import { wholeModelGap } from '../schema/model-gaps.js';
import type { IncompleteItem } from '../report/types.js';
import { awaitingIndex } from './awaiting-index.js';
import { pooledParse } from './parse-pool.js';
import { cliBuildFor, type CliBuild } from './cli-build.js';
import {
  cachedFindings,
  indexCacheDir,
  prepareProjectSession,
  projectFindings,
  projectIndexCold,
  projectWarm,
  type ProjectInput,
  type ProjectOutcome,
  storeLocalFindings,
  takeInProjectIndex,
} from './project-index.js';
import { afterLint, chores, cpuMs, Recheck } from './recheck.js';
import { indexBudgetMs, longLivedProcess, noteLint, type PluginSettings } from './settings.js';
import { type DeploymentRoles, readDeploymentRoles } from '../schema/deploy-roles.js';
import { toPosixRelative } from '../files/paths.js';
import { routeDecidesSetAside } from '../report/set-aside.js';

// The ESLint front end's bridge to the core: the file being linted (from the parser's
// TypeScript AST when there is one, so nothing is parsed twice), the config and the
// migration model (both cached per process), and imported modules read from disk. Sites
// whose verdict other files could change are decided by the project index, as the walker
// decides them.

/** What the rules of one file report: the core's findings and sites, or why rls-guard cannot check it. */
export type LintResult = ({ ok: true } & FileAnalysis) | { ok: false; problem: string };

/**
 * A file's findings, its write sites as decided (for the rules' checks) and the parts of it rls-guard could not read.
 */
type FileAnalysis = { findings: CoreFinding[]; sites: CoreSite[]; incomplete: SourceGap[] };

/** The whole model's gap (no migrations, or none gates a table), once per model: every write is then unchecked. */
const modelGapsOf = new WeakMap<RlsModel, IncompleteItem | null>();

/** The gap of the whole RLS model of the project a file belongs to, if any (report/model-gaps.ts). */
export function projectModelGap(filename: string): IncompleteItem | undefined {
  const model = modelFor(configFor(path.dirname(filename)));
  let gap = modelGapsOf.get(model);
  if (gap === undefined) modelGapsOf.set(model, (gap = wholeModelGap(model) ?? null));
  return gap ?? undefined;
}

const results = new WeakMap<object, LintResult>();

/** Analyses the file once per lint run, whichever rule asks first. Never throws. */
export function lintAnalysis(context: Readonly<TSESLint.RuleContext<string, readonly unknown[]>>): LintResult {
  const sourceCode = context.sourceCode;
  const hit = results.get(sourceCode);
  if (hit) return hit;
  let result: LintResult;
  try {
    result = { ok: true, ...analyseFile(context) };
  } catch (error) {
    result = { ok: false, problem: setupProblem(error) };
  }
  results.set(sourceCode, result);
  return result;
}

function analyseFile(context: Readonly<TSESLint.RuleContext<string, readonly unknown[]>>): FileAnalysis {
  const sourceCode = context.sourceCode;
  const filename = path.resolve(context.physicalFilename ?? context.filename);
  noteLint(filename);
  const loaded = configFor(path.dirname(filename));
  setPrismaSchemaPaths(loaded.dir, loaded.config.prismaSchema?.map((p) => path.resolve(loaded.dir, p)));
  // The same limit as the walker's, so the two front ends agree on what they skip.
  const limit = loaded.config.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const size = Buffer.byteLength(sourceCode.text);
  if (size > limit) {
    return {
      findings: [],
      sites: [],
      incomplete: [{ file: path.relative(loaded.dir, filename), reason: tooLarge(size, limit) }],
    };
  }
  const sf = tsSourceFile(sourceCode, filename);
  const incomplete = syntaxGap(sf, loaded.dir);
  const model = modelFor(loaded);
  const settings = (context.settings?.['rls-guard'] ?? {}) as PluginSettings;
  const config = analysisConfigFor(model, loaded, settings.strict === true);
  // With typed linting, the checker adds evidence; the AST is the program's, so nodes match.
  const program = sourceCode.parserServices?.program as ts.Program | null | undefined;
  const types =
    program && program.getSourceFile(sf.fileName) === sf ? checkerEvidence(program.getTypeChecker()) : undefined;
  const deployment = deploymentFor(model, loaded);
  const budgetMs = indexBudgetMs(settings);
  const input = { loaded, model, config, deployment, file: filename, text: sourceCode.text, sf, budgetMs };
  // On the command line, a cold index is built by a child process while ESLint parses (cli-build.ts); until it is
  // done this process decides alone the files it can, without storing them (the child stores every file's verdicts).
  const build = types ? undefined : commandLineBuild(input);
  const childBuilding = build !== undefined && build.poll().state !== 'done';
  if (build && !childBuilding) childDone(build, loaded.dir);
  // Without a child (disabled, or another project's build running in this thread), a cold index on the command line is
  // built here, whole, at the project's first file: the files after it are lookups, and no file is analysed both on
  // its own (on ESLint's AST) and again in the project's analysis, as the files before the first that needed the
  // project were.
  if (!types && !build && commandLine(input) && !builtHere.has(loaded.dir) && projectIndexCold(loaded.dir)) {
    builtHere.add(loaded.dir);
    try {
      projectFindings({ ...input, wholeProject: true });
    } catch {
      // the query below fails the same way, closed
    }
  }
  // An unchanged file (and unchanged imports, callers and helpers) costs a lookup, not an
  // analysis. The index holds verdicts without type evidence: with types, analyse afresh.
  const cached = types || childBuilding ? undefined : cachedFindings(input);
  lastAlone = false;
  if (cached) {
    // An editor's first lint of a file is mostly a lookup (the index built in the background): a file whose sites the
    // project decides has its session made ready in the idle moment after it, so that its first edit is analysed once,
    // in a warm session, as the edits after it are, instead of alone and then in a session built within the edit.
    if (!types && longLivedProcess() && leftToProject(loaded.dir, filename, cached.sites)) {
      needsProject.add(filename);
      prepareAhead(input);
    }
    return { ...cached, incomplete };
  }
  // A file whose last analysis here needed the project, with the project's analysis session holding every file its
  // verdicts need (an editor's re-lint after an edit): the project's analysis first, which analyses the file once, in
  // the session, instead of first alone on ESLint's parse in a fresh engine (about as much again: performance.md,
  // eleventh session). Its verdicts are the walker's, which the file's own analysis agrees with for every site it
  // decides alone (the parity contract, test/parity.test.ts); what the file could not be read of is the session's
  // analysis of it. When the project cannot answer now (past the budget, a file it cannot read, a failure), the file's
  // own analysis runs as below, and the answer already got is used.
  let early: { outcome: ProjectOutcome } | { error: unknown } | undefined;
  if (!types && !childBuilding && needsProject.has(filename) && projectWarm(input)) {
    try {
      early = { outcome: projectFindings(input) };
    } catch (error) {
      early = { error };
    }
    const got = 'outcome' in early ? early.outcome : undefined;
    if (got?.status === 'ready' && !got.unseen && got.incomplete) {
      // No site left that the file's own analysis would leave to the project: the next lint starts with it again.
      if (!leftToProject(loaded.dir, filename, got.sites)) needsProject.delete(filename);
      else prepareAhead(input);
      return { findings: got.findings, sites: got.sites, incomplete: got.incomplete };
    }
  }
  lastAlone = true;
  const local = ownAnalysis(loaded, model, config, sf, types);
  // Most files are decided alone; only sites other files could change need the project.
  // (An admin write no route of this file reaches may be reached from a route in a file that imports it.)
  if (decidedAlone(local)) {
    needsProject.delete(filename);
    if (childBuilding) aloneWhileBuilding++;
    // (While the child builds, it stores every file's verdicts.)
    if (!types && !childBuilding) storeLocalFindings(input, { findings: local.findings, sites: local.sites });
    return { findings: local.findings, sites: local.sites, incomplete: local.incomplete };
  }
  // While the child builds, the first file with a site that needs other files waits for it, however small the part of
  // the project it needs: the child analyses every file, so deciding such a file here too (its importers' analysis, and
  // the look at the project that finds them) was work done twice, by the lint process, which is the slower of the two,
  // and whose memory every later garbage collection walked (performance.md, tenth session). A child that failed leaves
  // the sites that needed it unresolved, with the reason.
  if (build && childBuilding) {
    const end = build.wait();
    if (end.state === 'failed') {
      const failed = {
        messageId: 'indexFailed' as const,
        data: { error: `its build in a child process failed: ${end.reason}` },
      };
      return { findings: awaitingIndex(local, failed), sites: decidedHere(local.sites), incomplete: local.incomplete };
    }
    // Done: the index on disk holds every file's verdicts, which the query below reads.
    childDone(build, loaded.dir);
  }
  needsProject.add(filename);
  prepareAhead(input);
  let project: ProjectOutcome;
  try {
    if (early && 'error' in early) throw early.error;
    project = early?.outcome ?? projectFindings(input);
  } catch (error) {
    // The file's own findings stand; the sites the index would decide fail closed, with the reason.
    const failed = {
      messageId: 'indexFailed' as const,
      data: { error: error instanceof Error ? error.message : String(error) },
    };
    return { findings: awaitingIndex(local, failed), sites: decidedHere(local.sites), incomplete: local.incomplete };
  }
  if (project.status === 'ready' && project.unseen) {
    // Callers in a file nobody can read could make a passing verdict fail (never the reverse).
    const unseen = { messageId: 'indexUnseen' as const, data: { unseen: project.unseen } };
    return {
      findings: awaitingIndex(local, unseen, project.findings),
      sites: decidedHere(local.sites),
      incomplete: local.incomplete,
    };
  }
  if (project.status === 'ready')
    return { findings: project.findings, sites: project.sites, incomplete: local.incomplete };
  const builder = project.builderFailed
    ? `; its background build failed (${project.builderFailed}), so each lint goes on building it within its time ` +
      `budget`
    : '';
  const building = {
    messageId: 'indexBuilding' as const,
    data: { read: String(project.read), total: String(project.total), builder },
  };
  return { findings: awaitingIndex(local, building), sites: decidedHere(local.sites), incomplete: local.incomplete };
}

/**
 * The file's own analysis: the file on ESLint's parse, what it imports read from disk (OverlayHost), the project's
 * model and config. What it can read is the file and its imports, transitively (the key it is stored under:
 * local-keys.ts).
 */
function ownAnalysis(
  loaded: LoadedConfig,
  model: RlsModel,
  config: AnalysisConfig,
  sf: ts.SourceFile,
  types: TypeEvidence | undefined,
): CoreResult {
  return analyze({
    root: loaded.dir,
    files: [sf],
    host: new OverlayHost(sharedHost, sf, loaded.config.libraries),
    model,
    config,
    wholeProgram: false,
    ...(types ? { types } : {}),
  });
}

/**
 * Whether the file's own analysis decides the file: no site marked as needing the project (`crossFile`: its verdict
 * read something outside the file and its imports, such as callers, a helper, a context factory or a provider found in
 * other files; `routesElsewhere`: a route in another file may reach it). The contract (test/decided-alone.test.ts):
 * every other site has the walker's verdict, rule and message, so a file decided alone is decided as the walker decides
 * it, whether or not the project's index is ready.
 */
export function decidedAlone(local: Pick<CoreResult, 'sites'>): boolean {
  return !local.sites.some((s) => s.crossFile || s.routesElsewhere);
}

/**
 * Whether the file's own analysis could leave one of these sites (the project's answer for the file) to the project:
 * a site other files decide (`crossFile`), or one whose verdict a route in another file may change, which a
 * whole-program answer never marks (`routesElsewhere` is the file's own analysis's): an admin write to a gated table,
 * or any write of a seed or migration file. Judged from the project's answer, it told a seed file decided by the routes
 * apart from one decided alone wrongly (it looked at `crossFile` only): every other edit of such a file was analysed
 * alone first, for nothing (performance.md, lint32). Over-answering costs a lint the project's query, never a verdict.
 */
export function leftToProject(root: string, file: string, sites: readonly CoreSite[]): boolean {
  if (sites.some((s) => s.crossFile || (s.gated && s.coverage === 'admin-pool'))) return true;
  return sites.length > 0 && routeDecidesSetAside(toPosixRelative(root, file));
}

/**
 * A file's own analysis as a lint runs it when the project's index cannot answer (a command line's child build still
 * running): the same config, model, analysis config and host. For the decided-alone contract's test.
 */
export function analyseAlone(file: string, text: string, strict: boolean): { root: string; result: CoreResult } {
  const filename = path.resolve(file);
  const loaded = configFor(path.dirname(filename));
  setPrismaSchemaPaths(loaded.dir, loaded.config.prismaSchema?.map((p) => path.resolve(loaded.dir, p)));
  const model = modelFor(loaded);
  const config = analysisConfigFor(model, loaded, strict);
  return { root: loaded.dir, result: ownAnalysis(loaded, model, config, parseSource(filename, text), undefined) };
}

/**
 * The child-process build of the linted file's project, on the command line only (no time budget, not an editor's or
 * another long-lived process, which have the background build of background-build.ts) and only for a cold index.
 */
function commandLineBuild(input: {
  loaded: LoadedConfig;
  config: AnalysisConfig;
  file: string;
  text: string;
  budgetMs: number;
}): CliBuild | undefined {
  if (!commandLine(input) || process.env.RLS_GUARD_INDEX_CHILD === '0') return undefined;
  const root = input.loaded.dir;
  return cliBuildFor(
    root,
    indexCacheDir(root),
    () => projectIndexCold(root),
    () => ({ file: input.file, text: input.text, strict: input.config.strict }),
  );
}

/** The command line: no time budget, and not an editor's or another long-lived process. */
function commandLine(input: { budgetMs: number }): boolean {
  return !Number.isFinite(input.budgetMs) && !longLivedProcess();
}

/** The child builds this thread has taken in (once each: see childDone). */
const takenIn = new WeakSet<CliBuild>();

/**
 * The child's build of a project is done: its verdicts are taken in from the index on disk (the files linted from here
 * on are lookups, whether or not a file had to wait for it), and what this process analysed meanwhile is let go (the
 * index's session, the imported modules' parses kept for the files decided alone), so that ESLint's garbage
 * collections for the rest of the run no longer walk it.
 */
function childDone(build: CliBuild, root: string): void {
  if (takenIn.has(build)) return;
  takenIn.add(build);
  takeInProjectIndex(root);
  sharedHost.forget();
}

/**
 * Files (absolute) whose last analysis of their own in this thread had a site other files decide: their next lint asks
 * the project first when its session is warm (see analyseFile).
 */
const needsProject = new Set<string>();

let lastAlone = false;

/**
 * The last lint whose file needs the project, for the idle moment after it (recheck.ts `afterLint`): its session is
 * made ready then, not within the next edit. In an editor's process only (a command-line run lints each file once).
 */
const preparing: { later?: NodeJS.Timeout; input?: ProjectInput } = {};

function prepareAhead(input: ProjectInput): void {
  if (!Number.isFinite(input.budgetMs) || !longLivedProcess()) return;
  preparing.input = input;
  afterLint(preparing, () => prepareStep(0));
}

/** Whether an idle moment's preparation is still to run or to go on (the bench and tests wait for it). */
export function preparationPending(): boolean {
  return preparing.input !== undefined;
}

/** How much of an idle moment one step of the preparation may take (ms): an edit that comes meanwhile waits for it. */
const PREPARE_STEP_MS = 200;
/**
 * Steps at most per idle moment: a project too large to prepare in them is left to the lints and the background build.
 */
const PREPARE_STEPS = 100;

function prepareStep(step: number): void {
  const input = preparing.input;
  if (!input || !needsProject.has(input.file)) return;
  let done = true;
  try {
    // Already warm (an edit's query left it so): nothing to do. Worn, or missing files: made ready, a step at a time.
    done = projectWarm(input, true) || prepareProjectSession({ ...input, budgetMs: PREPARE_STEP_MS });
  } catch {
    // The next lint asks the project itself, and reports what failed.
  }
  if (done || step + 1 >= PREPARE_STEPS) {
    preparing.input = undefined;
    return;
  }
  // The next step in another idle moment: a lint that comes first finds what this one did kept in the session.
  afterLint(preparing, () => prepareStep(step + 1));
}
let aloneWhileBuilding = 0;

/** How many files this thread decided alone while a command line's child built their project's index (measurements). */
export function filesDecidedAloneWhileBuilding(): number {
  return aloneWhileBuilding;
}

/** Whether the last lint analysed the file on its own (in a fresh engine, on ESLint's parse): the bench and tests. */
export function lastLintAnalysedAlone(): boolean {
  return lastAlone;
}

/** Projects whose cold index this thread built in its own process (once each: see analyseFile). */
const builtHere = new Set<string>();

/** The sites this file decides alone: the ones waiting for the index are judged by no check yet. */
function decidedHere(sites: CoreSite[]): CoreSite[] {
  return sites.filter((s) => !s.crossFile);
}

/** One sentence for a problem that stops rls-guard checking a file (a bad config, a schema it cannot read). */
export function setupProblem(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const known = error instanceof ConfigError || error instanceof SchemaSourceError;
  return known
    ? `rls-guard cannot check this file: ${message}. Fix it; until then no rls-guard rule runs (other ESLint rules ` +
      `are unaffected).`
    : `rls-guard failed on this file (${message}); no rls-guard rule ran on it. Please report this with the file.`;
}

export function tsSourceFile(sourceCode: TSESLint.SourceCode, filename: string): ts.SourceFile {
  const map = sourceCode.parserServices?.esTreeNodeToTSNodeMap;
  const fromParser = map?.get(sourceCode.ast as never) as ts.Node | undefined;
  if (
    fromParser &&
    (fromParser as ts.SourceFile).statements !== undefined &&
    (fromParser as ts.SourceFile).text === sourceCode.text
  )
    return fromParser as ts.SourceFile;
  // Without the parser's tree (another parser, or a text the tree does not match), one parse per linted text: the
  // analysis, the pack scan and the suppressions all ask for it.
  const hit = ownParses.get(sourceCode);
  if (hit?.filename === filename) return hit.sf;
  const sf = parseSource(filename, sourceCode.text);
  ownParses.set(sourceCode, { filename, sf });
  return sf;
}

const ownParses = new WeakMap<object, { filename: string; sf: ts.SourceFile }>();

const configs = new Map<string, { checkedAt: number; stamp: string; loaded: LoadedConfig }>();
/** The config is looked for again at most this often: an editor session outlives edits to it. */
const RECHECK_MS = 1000;

/**
 * Whether a folder's answer looked up at `checkedAt` still holds. On the command line it holds for the run: a run lints
 * a snapshot, and looking again once a wall second made a loaded machine (a run spanning many times its CPU time) look
 * at every folder's ancestors, and read their package.json, again and again (performance.md, eleventh session). In an
 * editor's server, or another process that lints a file again later (settings.ts), once a second, so a fixed config
 * shows without a restart.
 */
function stillHolds(checkedAt: number, now: number): boolean {
  return now - checkedAt < RECHECK_MS || !longLivedProcess();
}

/** The config that applies to a folder; throws ConfigError when it is invalid. */
export function configFor(dir: string): LoadedConfig {
  const hit = configs.get(dir);
  const now = performance.now();
  if (hit && stillHolds(hit.checkedAt, now)) return hit.loaded;
  const file = configFileAbove(dir, now);
  const stamp = file ? fileStamp(file) : 'none';
  if (hit && hit.stamp === stamp) {
    hit.checkedAt = now;
    return hit.loaded;
  }
  // Not cached when invalid: every lint reports it until it is fixed.
  configs.delete(dir);
  // One LoadedConfig per config file (or, without one, per project root), shared by every
  // folder under it: the model and the analysis config are cached by it, once per project.
  const known = file ? sharedConfigs.get(`${file}\0${stamp}`) : undefined;
  // Without a config file, what loadConfig would find without looking up the folders again.
  const fresh = known ?? (file ? loadConfig({ start: dir }) : { config: {}, file: null, dir: defaultRoot(dir) });
  const key = `${fresh.file ?? `none:${fresh.dir}`}\0${stamp}`;
  const loaded = sharedConfigs.get(key) ?? fresh;
  sharedConfigs.set(key, loaded);
  configs.set(dir, { checkedAt: now, stamp, loaded });
  return loaded;
}

const sharedConfigs = new Map<string, LoadedConfig>();

const lookedUp = new Map<string, { at: number; file: string | null }>();

/**
 * `findConfigFile` with each folder's answer kept for RECHECK_MS: the folders of a project share their ancestors, and
 * looking at every ancestor (six names and a package.json read each) again for every folder, every second, was a
 * tenth of a warm lint's overhead. A config that cannot be read (several in one folder) throws, and is not kept.
 */
function configFileAbove(dir: string, now: number): string | null {
  const hit = lookedUp.get(dir);
  if (hit && stillHolds(hit.at, now)) return hit.file;
  const parent = path.dirname(dir);
  const file = configFileIn(dir) ?? (parent === dir ? null : configFileAbove(parent, now));
  lookedUp.set(dir, { at: now, file });
  return file;
}

interface ModelEntry {
  recheck: Recheck;
  model: RlsModel;
  hash: string;
  migrations: ReadonlySet<string>;
  /** What the deployment files say of the roles connections log in as, read with the model (deploy-roles.ts). */
  deployment: DeploymentRoles;
  /** A look due in an editor's process, made after the lint (recheck.ts `afterLint`). */
  later?: NodeJS.Timeout;
}

const models = new WeakMap<LoadedConfig, ModelEntry>();

/**
 * The RLS model for a config, once per process and looked at again only on the recheck schedule
 * (recheck.ts: 50 times the look's CPU cost): `loadModel` lists the project's migrations to see whether they changed, a
 * walk of the project that per linted file cost more than the lint. A config that changed is
 * a new LoadedConfig, so its model is read afresh. A model that cannot be read is not kept:
 * every lint reports it until it is fixed.
 */
export function modelFor(loaded: LoadedConfig): RlsModel {
  const hit = models.get(loaded);
  if (hit && !hit.recheck.due()) return hit.model;
  // In an editor's process the look is made once the lint is done (recheck.ts): this lint keeps the model it has.
  if (hit && longLivedProcess()) {
    afterLint(hit, () => {
      if (models.get(loaded) !== hit || !hit.recheck.due()) return;
      try {
        lookAtModel(loaded, hit);
      } catch {
        // Unreadable now: forgotten, so the next lint reads it within the lint and reports why, as before.
        models.delete(loaded);
      }
    });
    return hit.model;
  }
  return lookAtModel(loaded, hit);
}

/** Reads the model's inputs again (or for the first time): the model, the same object while its content is. */
function lookAtModel(loaded: LoadedConfig, hit: ModelEntry | undefined): RlsModel {
  const started = cpuMs();
  const { model: read, migrations, deployment } = readModel(loaded);
  // The same model keeps its identity: the analysis config, the index's keys and the analysis
  // session are kept per model object, and a look that found nothing changed must not drop them. The deployment
  // files are part of that identity: a verdict can rest on the role an env or compose file gives a DSN variable
  // (deploy-login.ts), so a change there alone must give a new analysis config and new index keys.
  const hash = stableHash([read, deployment]);
  const model = hit && hit.hash === hash ? hit.model : read;
  const entry = hit ?? { recheck: new Recheck(), model, hash, migrations, deployment };
  entry.model = model;
  entry.hash = hash;
  entry.migrations = migrations;
  entry.deployment = deployment;
  deployments.set(model, deployment);
  entry.recheck.done(cpuMs() - started);
  models.set(loaded, entry);
  chores.models++;
  return model;
}

/**
 * The model through an input cache beside the index (src/cache/inputs.ts, its own file): a new lint process reads it
 * back while the migrations, drizzle-kit configs and Drizzle schemas are unchanged (their stats say so) instead of
 * reading every migration and scanning every source file for Drizzle tables, which on a large project cost more than a
 * second per process. One listing of the tree serves the model's walks.
 */
function readModel(loaded: LoadedConfig): {
  model: RlsModel;
  migrations: ReadonlySet<string>;
  deployment: DeploymentRoles;
} {
  const inputs = new InputCache(indexCacheDir(loaded.dir), loaded.dir, 'eslint-inputs');
  const ignore = loaded.config.ignore ?? [];
  // With it, code migrations by their shape, as the audit sets them aside (walker/audit.ts): the same remembered scan
  // the model's discovery made (schema/migration-shape.ts), from the same inputs and listing, once per project. And the
  // deployment files (env, compose, CI, shell scripts), from the same listing, on the model's recheck schedule.
  const read = withSharedWalks(() => ({
    model: loadModel(loaded.dir, loaded.config, { inputs }),
    migrations: codeMigrationsByShape(loaded.dir, ignore, inputs),
    deployment: readDeploymentRoles(loaded.dir, ignore, { inputs }),
  }));
  inputs.save();
  return read;
}

/** The deployment files' roles read with each model (lookAtModel). */
const deployments = new WeakMap<RlsModel, DeploymentRoles>();

/** The deployment roles read with `model`, by the look that made it (modelFor first). */
export function deploymentFor(model: RlsModel, loaded: LoadedConfig): DeploymentRoles {
  const known = deployments.get(model);
  if (known) return known;
  // A model this module did not read (none in the plugin's paths): read them now rather than say nothing.
  const read = readDeploymentRoles(loaded.dir, loaded.config.ignore ?? []);
  deployments.set(model, read);
  return read;
}

/**
 * The project's code migrations by their shape (absolute paths), whatever their path says: kept with the model and
 * looked at again on its schedule. The plugin sets their writes aside as the CLI does (report-findings.ts).
 */
export function codeMigrationsFor(loaded: LoadedConfig): ReadonlySet<string> {
  modelFor(loaded);
  return models.get(loaded)?.migrations ?? new Set();
}

const analysisConfigs = new WeakMap<RlsModel, Map<string, { loaded: LoadedConfig; config: AnalysisConfig }>>();

/** The analysis config, once per model, config and strictness (not once per linted file). */
function analysisConfigFor(model: RlsModel, loaded: LoadedConfig, strict: boolean): AnalysisConfig {
  let byStrict = analysisConfigs.get(model);
  if (!byStrict) analysisConfigs.set(model, (byStrict = new Map()));
  const key = String(strict);
  const hit = byStrict.get(key);
  if (hit && hit.loaded === loaded) return hit.config;
  const configFile = configNameIn(loaded.dir, loaded);
  const deployment = { root: loaded.dir, roles: deploymentFor(model, loaded) };
  const config = resolveAnalysisConfig(model, loaded.config, {
    strict,
    ...(configFile ? { configFile } : {}),
    deployment,
  });
  byStrict.set(key, { loaded, config });
  return config;
}

function fileStamp(file: string): string {
  try {
    const st = fs.statSync(file);
    return `${file}:${st.mtimeMs}:${st.size}`;
  } catch {
    return `${file}:missing`;
  }
}

/** Imported modules, re-read when they change on disk (an editor session outlives edits). */
class FreshFileHost implements SourceHost {
  private readonly cache = new Map<string, { stamp: string; sf: ts.SourceFile | undefined }>();
  private readonly fs = new FileSystemSourceHost();

  getSourceFile(absPath: string): ts.SourceFile | undefined {
    let stamp = 'missing';
    try {
      const st = fs.statSync(absPath);
      stamp = `${st.mtimeMs}:${st.size}`;
    } catch {
      // missing files resolve to undefined below
    }
    const hit = this.cache.get(absPath);
    if (hit && hit.stamp === stamp) return hit.sf;
    // The project index's session parses the same files: one tree for both (parse-pool.ts).
    const read = stamp === 'missing' ? undefined : readSource(absPath);
    const sf = read?.ok ? pooledParse(absPath, read.text) : undefined;
    this.cache.set(absPath, { stamp, sf });
    return sf;
  }

  resolveModule(fromFile: string, specifier: string): string | undefined {
    return this.fs.resolveModule(fromFile, specifier);
  }

  /** Lets go of the parses kept (a command-line run whose remaining files are lookups). */
  forget(): void {
    this.cache.clear();
  }
}

const sharedHost = new FreshFileHost();

class OverlayHost implements SourceHost {
  constructor(
    private readonly base: SourceHost,
    private readonly current: ts.SourceFile,
    private readonly libraries: LibraryAliases | undefined,
  ) {}

  libraryFor(fromFile: string, specifier: string): string | undefined {
    return libraryFor(this.libraries, fromFile, specifier, (f, s) => this.base.resolveModule(f, s));
  }

  getSourceFile(absPath: string): ts.SourceFile | undefined {
    return path.resolve(this.current.fileName) === absPath ? this.current : this.base.getSourceFile(absPath);
  }

  resolveModule(fromFile: string, specifier: string): string | undefined {
    return this.base.resolveModule(fromFile, specifier);
  }
}

export type { CoreResult };
