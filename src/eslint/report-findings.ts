import path from 'node:path';
import type { TSESLint } from '@typescript-eslint/utils';
import type ts from 'typescript';
import type { CodeMatch } from '../packs/code.js';
import { incompleteFindings } from '../report/incomplete.js';
import type { RuleFinding } from '../report/rule-finding.js';
import { siteFindings, type SiteCheck } from '../analysis/site-checks.js';
import type { CoreSite } from '../analysis/index.js';
import { applySuppressions, findSuppressions } from '../report/suppressions.js';
import { codeMigrationsFor, configFor, lintAnalysis, projectModelGap, tsSourceFile } from './lint-analysis.js';
import { leavesReport, setAsideUnder } from '../report/set-aside.js';
import { otherDatabaseOf } from '../report/other-database.js';
import { toPosixRelative } from '../files/paths.js';
import { packScan } from './pack-scan.js';
import { schemaFindingsOn } from './schema-on-file.js';
import { reportSetupProblem } from './setup-problem.js';

// Every rls-guard rule's `create`: the linted file's findings of every pass (the core, the
// pack scan, the rules' checks, the parts not read), with the file's suppressions applied
// once, computed by whichever rule is created first; each rule reports its own.
//
// A rule registers a listener only when it has something to report on the file. Most files of
// a project have no database code and name no pack entry: there the file's findings are known
// when the first rule is created (one shared check, answered once for the fifteen rules), and
// every rule returns no listener, so ESLint has nothing of rls-guard's to call during its
// traversal. Only a file with write sites waits for Program:exit, since the rules' checks of
// those sites are registered as ESLint creates each rule, all before any Program:exit.

type Context = Readonly<TSESLint.RuleContext<string, readonly unknown[]>>;


export interface ReportOptions {
  /** Names (a pack entry's `name`) the project keeps on purpose: the pack rules' `allow` option. */
  allow?: readonly string[] | undefined;
  /** The rule judges the core's write sites. */
  check?: SiteCheck;
}

type FileFindings = { ok: true; findings: RuleFinding[] } | { ok: false; problem: string };

/**
 * What is known of a file when its first rule is created: its findings, final when it has no write site for a check to
 * judge ("final"), or the parts that do not depend on the checks, to be completed at Program:exit.
 */
type Early = { ok: false; problem: string } | { ok: true; final: true; findings: RuleFinding[]; rules: Set<string> } | {
  ok: true;
  final: false;
  parts: Parts;
};

interface Parts {
  file: string;
  filename: string;
  sf: ts.SourceFile;
  found: RuleFinding[];
  sites: CoreSite[];
}

// ESLint calls every enabled rule's create before any Program:exit: by then each rule with a
// check has registered it, so the file's findings (and its unused suppressions) count them.
const checks = new WeakMap<object, Map<string, SiteCheck>>();
const early = new WeakMap<object, Early>();
const results = new WeakMap<object, FileFindings>();

/** The rule's name without the plugin's prefix, once per configured id (not once per file and rule). */
const shortIds = new Map<string, string>();

function shortId(id: string): string {
  let short = shortIds.get(id);
  if (short === undefined) shortIds.set(id, (short = id.slice(id.lastIndexOf('/') + 1)));
  return short;
}

/** The `allow` option as a set, once per options object (ESLint hands a rule the same one for every file). */
const allowSets = new WeakMap<readonly string[], Set<string>>();
const NONE = new Set<string>();

function allowSet(allow: readonly string[] | undefined): Set<string> {
  if (!allow?.length) return NONE;
  let set = allowSets.get(allow);
  if (!set) allowSets.set(allow, (set = new Set(allow.map((a) => a.toLowerCase()))));
  return set;
}

const NO_LISTENERS: TSESLint.RuleListener = Object.freeze({});

/**
 * Rule contexts the rules were created with, and the listeners they returned (the bench's warm profile): only ever
 * `Program:exit`, so one counter, reported by its key.
 */
const counts = { created: 0, programExit: 0 };

export function listenerCounts(): { created: number; listeners: Record<string, number> } {
  return { created: counts.created, listeners: counts.programExit ? { 'Program:exit': counts.programExit } : {} };
}

export function resetListenerCounts(): void {
  counts.created = 0;
  counts.programExit = 0;
}

export function reportFindings(context: Context, options: ReportOptions = {}): TSESLint.RuleListener {
  const id = shortId(context.id);
  const sourceCode = context.sourceCode;
  counts.created++;
  if (options.check) {
    const registered = checks.get(sourceCode) ?? new Map<string, SiteCheck>();
    checks.set(sourceCode, registered.set(id, options.check));
  }
  const known = earlyFindings(context);
  // Nothing for this rule on this file: no listener at all.
  if (known.ok && known.final && !known.rules.has(id)) return NO_LISTENERS;
  const allow = allowSet(options.allow);
  counts.programExit++;
  return {
    'Program:exit'() {
      const file = fileFindings(context);
      if (!file.ok) return reportSetupProblem(context as Readonly<TSESLint.RuleContext<'setup', []>>, file.problem);
      for (const f of file.findings) {
        if (f.ruleId !== id || (f.data.name !== undefined && allow.has(f.data.name.toLowerCase()))) continue;
        context.report({
          loc: { start: { line: f.line, column: f.column - 1 }, end: { line: f.endLine, column: f.endColumn - 1 } },
          messageId: f.messageId,
          data: f.data,
          ...(f.fix ? { fix: replace(f.fix) } : {}),
          ...(f.suggestions ? { suggest: f.suggestions.map((s) => ({ ...s, fix: replace(s.edit) })) } : {}),
        });
      }
    },
  };
}

function modelGapFindings(filename: string, file: string, writes: boolean): RuleFinding[] {
  const gap = writes ? projectModelGap(filename) : undefined;
  return gap ? incompleteFindings([{ ...gap, file, line: 1 }], { acceptHint: false }) : [];
}

function replace(edit: { start: number; end: number; text: string }): TSESLint.ReportFixFunction {
  return (fixer) => fixer.replaceTextRange([edit.start, edit.end], edit.text);
}

function fileFindings(context: Context): FileFindings {
  const hit = results.get(context.sourceCode);
  if (hit) return hit;
  const known = earlyFindings(context);
  const result: FileFindings = !known.ok
    ? known
    : known.final
      ? { ok: true, findings: known.findings }
      : { ok: true, findings: judge(known.parts, checks.get(context.sourceCode) ?? new Map()) };
  results.set(context.sourceCode, result);
  // Every rule was created before this first Program:exit, so the parts are not asked for again: let go of them now.
  // A WeakMap's value is held strongly by V8's young-generation collections even once its key (the file's SourceCode)
  // is garbage, until the next full collection: a file's parts hold its TypeScript tree, which every scavenge in the
  // files linted after it then copied and promoted (performance.md, lint33).
  early.delete(context.sourceCode);
  checks.delete(context.sourceCode);
  return result;
}

/** Whether the plugin still holds a file's parts (its parse among them) for a linted SourceCode (tests). */
export function holdsFileParts(sourceCode: object): boolean {
  return early.has(sourceCode) || checks.has(sourceCode);
}

/** The file's analysis and pack scan, once per linted text, whichever rule is created first. */
function earlyFindings(context: Context): Early {
  const hit = early.get(context.sourceCode);
  if (hit) return hit;
  const result = collect(context);
  early.set(context.sourceCode, result);
  return result;
}

function collect(context: Context): Early {
  const analysis = lintAnalysis(context);
  if (!analysis.ok) return analysis;
  const scan = packScan(context);
  if (!scan.ok) return scan;
  const filename = path.resolve(context.physicalFilename ?? context.filename);
  const sf = tsSourceFile(context.sourceCode, filename);
  const file = analysis.incomplete[0]?.file ?? path.basename(filename);
  const found: RuleFinding[] = [
    ...analysis.findings,
    ...scan.matches.map((m) => packFinding(sf, file, m)),
    // ESLint has no --allow-incomplete: the message does not offer it.
    ...incompleteFindings(analysis.incomplete.map((g) => ({ ...g, kind: 'source' as const })), { acceptHint: false }),
    // A model with no gated table leaves every write unchecked: the walker reports it once, on the migrations; the
    // editor shows it where it matters, at the top of each file that writes, instead of a silent all-clear.
    ...modelGapFindings(filename, file, analysis.sites.length > 0),
    // The schema's findings the audit reports on this file (a Drizzle table, a code migration's ENABLE).
    ...schemaFindingsOn(filename, file),
  ];
  const parts: Parts = { file, filename, sf, found, sites: analysis.sites };
  // A site a check could judge: the checks are known only once every rule is created.
  if (analysis.sites.some((s) => !s.deferred)) return { ok: true, final: false, parts };
  const findings = judge(parts, new Map());
  return { ok: true, final: true, findings, rules: new Set(findings.map((f) => f.ruleId)) };
}

/** The file's findings with the checks' and its suppressions applied, as the walker reports them. */
function judge(parts: Parts, fileChecks: ReadonlyMap<string, SiteCheck>): RuleFinding[] {
  const { file, filename, sf } = parts;
  const all = [...parts.found, ...siteFindings(parts.sites, fileChecks)];
  // An unused suppression is a finding too: a file with none of either has nothing to filter (most files).
  const suppressions = findSuppressions(sf);
  if (!all.length && !suppressions.length) return all;
  // A test, seed or migration file's write findings, and every write finding of a file that writes to another
  // database, are set aside from the audit's verdicts (report/set-aside.ts): the editor shows what CI fails on.
  const loaded = configFor(path.dirname(filename));
  // A code migration by its shape (schema/migration-shape.ts) is set aside whatever its path, unless the config
  // brings migrations back (report/set-aside.ts `partitionSetAside`).
  const include = loaded.config.includeWritesFrom ?? [];
  const aside = otherDatabaseOf(sf)
    ? 'other-database'
    : codeMigrationsFor(loaded).has(filename) && !include.includes('migrations')
      ? 'migrations'
      : setAsideUnder(toPosixRelative(loaded.dir, filename), include);
  // Filtered after the suppressions, as the walker does: a suppression of a set-aside finding is not "unused".
  const judged = applySuppressions(file, all, suppressions, '//').findings;
  // A write only the tests reach (test support only tests call, analysis/program.ts) leaves with the tests' writes.
  const onTestPath = include.includes('tests') ? [] : parts.sites.filter((s) => s.testsOnly).map((s) => s.line);
  if (!aside && onTestPath.length) {
    const lines = new Set(onTestPath);
    const leaves = (f: RuleFinding): boolean => leavesReport('tests', { file: filename, ruleId: f.ruleId }, false);
    return judged.filter((f) => !(lines.has(f.line) && leaves(f)));
  }
  if (!aside) return judged;
  // A seed's write a route reaches is app code (analysis/index.ts names the route): its findings stay, as in CI.
  const onAppPath = new Set(parts.sites.filter((s) => s.reachedFrom).map((s) => s.line));
  return judged.filter((f) => !leavesReport(aside, { file: filename, ruleId: f.ruleId }, onAppPath.has(f.line)));
}

function packFinding(sf: ts.SourceFile, file: string, m: CodeMatch): RuleFinding {
  const a = sf.getLineAndCharacterOfPosition(m.start);
  const b = sf.getLineAndCharacterOfPosition(m.end);
  return {
    ruleId: m.ruleId,
    messageId: m.messageId,
    data: m.data,
    file,
    line: a.line + 1,
    column: a.character + 1,
    endLine: b.line + 1,
    endColumn: b.character + 1,
    // ESLint shows no fingerprint; the walker's pack pass makes the report's.
    fingerprint: '',
    ...(m.fix ? { fix: m.fix } : {}),
    ...(m.suggestions ? { suggestions: m.suggestions } : {}),
  };
}
