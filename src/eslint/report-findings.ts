import path from 'node:path';
import type { TSESLint } from '@typescript-eslint/utils';
import type ts from 'typescript';
import type { CodeMatch } from '../packs/code.js';
import { incompleteFindings } from '../report/incomplete.js';
import type { RuleFinding } from '../report/rule-finding.js';
import { siteFindings, type SiteCheck } from '../analysis/site-checks.js';
import { applySuppressions, findSuppressions } from '../report/suppressions.js';
import { configFor, lintAnalysis, tsSourceFile } from './lint-analysis.js';
import { setAsideUnder, survivesSetAside } from '../report/set-aside.js';
import { toPosixRelative } from '../files/paths.js';
import { packScan } from './pack-scan.js';
import { reportSetupProblem } from './setup-problem.js';

// Every rls-guard rule's `create`: the linted file's findings of every pass (the core, the
// pack scan, the rules' checks, the parts not read), with the file's suppressions applied
// once, computed by whichever rule reaches Program:exit first; each rule reports its own.

type Context = Readonly<TSESLint.RuleContext<string, readonly unknown[]>>;


export interface ReportOptions {
  /** Names (a pack entry's `name`) the project keeps on purpose: the pack rules' `allow` option. */
  allow?: readonly string[] | undefined;
  /** The rule judges the core's write sites. */
  check?: SiteCheck;
}

type FileFindings = { ok: true; findings: RuleFinding[] } | { ok: false; problem: string };

// ESLint calls every enabled rule's create before any Program:exit: by then each rule with a
// check has registered it, so the file's findings (and its unused suppressions) count them.
const checks = new WeakMap<object, Map<string, SiteCheck>>();
const results = new WeakMap<object, FileFindings>();

export function reportFindings(context: Context, options: ReportOptions = {}): TSESLint.RuleListener {
  const id = context.id.slice(context.id.lastIndexOf('/') + 1);
  if (options.check) {
    const registered = checks.get(context.sourceCode) ?? new Map<string, SiteCheck>();
    checks.set(context.sourceCode, registered.set(id, options.check));
  }
  const allow = new Set((options.allow ?? []).map((a) => a.toLowerCase()));
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

function replace(edit: { start: number; end: number; text: string }): TSESLint.ReportFixFunction {
  return (fixer) => fixer.replaceTextRange([edit.start, edit.end], edit.text);
}

function fileFindings(context: Context): FileFindings {
  const hit = results.get(context.sourceCode);
  if (hit) return hit;
  const result = collect(context);
  results.set(context.sourceCode, result);
  return result;
}

function collect(context: Context): FileFindings {
  const analysis = lintAnalysis(context);
  if (!analysis.ok) return analysis;
  const scan = packScan(context);
  if (!scan.ok) return scan;
  const filename = path.resolve(context.physicalFilename ?? context.filename);
  const sf = tsSourceFile(context.sourceCode, filename);
  const file = analysis.incomplete[0]?.file ?? path.basename(filename);
  const all: RuleFinding[] = [
    ...analysis.findings,
    ...scan.matches.map((m) => packFinding(sf, file, m)),
    ...siteFindings(analysis.sites, checks.get(context.sourceCode) ?? new Map()),
    // ESLint has no --allow-incomplete: the message does not offer it.
    ...incompleteFindings(analysis.incomplete.map((g) => ({ ...g, kind: 'source' as const })), { acceptHint: false }),
  ];
  // A test, seed or migration file's write findings are set aside from the audit's verdicts (report/set-aside.ts):
  // the editor shows what CI fails on, no more.
  const loaded = configFor(path.dirname(filename));
  const aside = setAsideUnder(toPosixRelative(loaded.dir, filename), loaded.config.includeWritesFrom);
  // Filtered after the suppressions, as the walker does: a suppression of a set-aside finding is not "unused".
  const judged = applySuppressions(file, all, findSuppressions(sf), '//').findings;
  const shown = aside ? judged.filter((f) => survivesSetAside({ file: filename, ruleId: f.ruleId })) : judged;
  return { ok: true, findings: shown };
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
