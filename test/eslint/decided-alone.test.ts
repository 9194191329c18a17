import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderFinding } from '../../rules/render.js';
import type { CoreResult, CoreSite } from '../../src/analysis/index.js';
import { analyseAlone, decidedAlone } from '../../src/eslint/lint-analysis.js';
import type { AuditSite } from '../../src/report/audit-report.js';
import type { Finding } from '../../src/report/types.js';
import { auditSync } from '../../src/walker/audit.js';
import { fixtureApps } from '../support/fixture-apps.js';
import { sourcesUnder } from '../support/fixture-sources.js';

// The "decided alone" contract (docs/eslint.md), without timing: a lint that cannot ask the project's index (a command
// line's child build still running, the first lints of an editor) runs the file's own analysis and keeps every site it
// does not mark as needing the project (`crossFile`, `routesElsewhere`). Each such site must have exactly the walker's
// verdict, rule and message; a file with no such mark is decided alone, so it must have the walker's sites, no fewer
// and no more. Over every fixture app the parity test lints (test/parity.test.ts), every file it lints.

const APPS = fixtureApps()
  .filter((app) => !app.options.configFile)
  .map((app) => app.options.paths[0]!);
const inSources = (file: string): boolean => /(^|\/)src\//.test(file) && file.endsWith('.ts');

/** The rules the core reports on a write site (the rules' own checks of a site follow from the site's verdict). */
const SITE_RULES = new Set(['no-unscoped-write', 'no-unresolved-write', 'no-truncate-gated', 'no-admin-on-request-path']);

const at = (s: { file: string; line: number; column: number; endLine?: number; endColumn?: number }): string =>
  `${s.file}:${s.line}:${s.column}-${s.endLine}:${s.endColumn}`;
const verdict = (s: Pick<AuditSite, 'operation' | 'coverage' | 'via' | 'evidence'>): string =>
  `${s.operation} ${s.coverage} via ${s.via ?? '-'}: ${s.evidence}`;
const said = (f: Pick<Finding, 'ruleId' | 'message'>): string => `${f.ruleId} ${f.message}`;

/** What the file's own analysis decides differently from the walker, one line per difference (none expected). */
export function aloneMismatches(root: string): string[] {
  const report = auditSync({ paths: [root], types: false, strict: true });
  const walkerSites = new Map<string, string[]>();
  for (const s of [...report.writeSites, ...(report.setAsideWriteSites ?? [])])
    (walkerSites.get(at(s)) ?? walkerSites.set(at(s), []).get(at(s))!).push(verdict(s));
  const reported = new Set(report.writeSites.map(at));
  const walkerFindings = new Map<string, string[]>();
  for (const f of [...report.findings, ...report.suppressedFindings]) {
    if (!SITE_RULES.has(f.ruleId)) continue;
    (walkerFindings.get(at(f)) ?? walkerFindings.set(at(f), []).get(at(f))!).push(said(f));
  }
  const out: string[] = [];
  for (const abs of sourcesUnder(root).filter((f) => inSources(path.relative(root, f))).sort()) {
    const file = path.relative(root, abs);
    const alone = analyseAlone(abs, fs.readFileSync(abs, 'utf8'), true);
    // The file's own analysis names files from its config's folder; the walker's from the audited root.
    const local: CoreResult = alone.result;
    const rebase = <T extends { file: string }>(x: T): T => ({
      ...x,
      file: path.relative(root, path.join(alone.root, x.file)),
    });
    const sites = local.sites.map(rebase);
    const decided = (s: CoreSite): boolean => !s.crossFile && !s.routesElsewhere;
    for (const s of sites.filter(decided)) {
      const walker = walkerSites.get(at(s)) ?? [];
      if (!walker.includes(verdict(s))) {
        out.push(`${at(s)} decided alone as\n    ${verdict(s)}\n  the walker:\n    ${walker.join('\n    ') || '(none)'}`);
        continue;
      }
      if (!reported.has(at(s))) continue; // set aside by the walker: its findings leave the report
      const mine = local.findings
        .filter((f) => f.site === s.fingerprint && SITE_RULES.has(f.ruleId))
        .flatMap((f) => renderFinding(rebase(f), true) ?? [])
        .map(said)
        .sort();
      const theirs = [...(walkerFindings.get(at(s)) ?? [])].sort();
      if (JSON.stringify(mine) !== JSON.stringify(theirs))
        out.push(`${at(s)} findings alone:\n    ${mine.join('\n    ') || '(none)'}\n  the walker's:\n    ` +
          `${theirs.join('\n    ') || '(none)'}`);
    }
    // A file decided alone has the walker's sites, all of them.
    if (decidedAlone(local)) {
      const mine = sites.map(at).sort();
      const theirs = [...walkerSites.keys()].filter((k) => k.startsWith(`${file}:`)).sort();
      if (JSON.stringify(mine) !== JSON.stringify(theirs))
        out.push(`${file} decided alone with sites ${mine.join(', ') || '(none)'}; the walker's: ` +
          `${theirs.join(', ') || '(none)'}`);
    }
  }
  return out;
}

describe.each(APPS)('a file decided alone is decided as the walker decides it: %s', (root) => {
  it('every site its own analysis does not defer has the walker verdict, rule and message', () => {
    expect(aloneMismatches(root)).toEqual([]);
  });
});

it('the contract covers tRPC resolvers whose context factory is in another file', () => {
  // The CI failure of main d1fe911 (issue 13): fixtures/context/trpc-drizzle's resolvers were decided alone.
  const root = path.resolve(import.meta.dirname, '../../fixtures/context/trpc-drizzle');
  const router = path.join(root, 'src/trpc/router.ts');
  const { result } = analyseAlone(router, fs.readFileSync(router, 'utf8'), true);
  expect(result.sites.length).toBeGreaterThan(0);
  expect(decidedAlone(result)).toBe(false);
});
