import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditSync } from '../../src/walker/audit.js';
import { readExpectations, sourceFiles } from '../support/annotations.js';
import { itMatchesAnnotations } from '../support/annotated-cases.js';
import { expectValidReport } from '../support/report-schema.js';

const ROOT = path.resolve(import.meta.dirname, '../../fixtures/example-app');
const report = auditSync({ paths: [ROOT], types: false });
const expectations = readExpectations(ROOT, sourceFiles(ROOT));

describe('the example app', () => {
  it('has at least 40 annotated write sites', () => {
    expect(expectations.filter((e) => e.kind === 'site').length).toBeGreaterThanOrEqual(40);
  });

  itMatchesAnnotations(report, expectations);

  it('finds no write site on decoy lines', () => {
    for (const e of expectations.filter((x) => x.kind === 'none')) {
      expect(report.writeSites.filter((s) => s.file === e.file && s.line === e.line), `${e.file}:${e.line}`).toEqual([]);
    }
  });

  it('reports the annotated findings in source files (beyond write verdicts), and no others', () => {
    const siteRules = ['no-unscoped-write', 'no-unresolved-write'];
    const actual = report.findings.filter((f) => !siteRules.includes(f.ruleId) && f.file.startsWith('src/')).map((f) => `${f.ruleId} ${f.file}:${f.line}`);
    const wanted = expectations.filter((e) => e.kind === 'finding').map((e) => `${e.ruleId} ${e.file}:${e.line}`);
    expect(actual.sort()).toEqual(wanted.sort());
    expect(wanted).toContain('no-unpinned-definer src/services/comments.ts:36');
  });

  it('raises one finding per unscoped or unresolved, unsuppressed site, with the evidence in the message', () => {
    for (const s of report.writeSites) {
      const findings = report.findings.filter((f) => f.file === s.file && f.line === s.line && f.column === s.column && ['no-unscoped-write', 'no-unresolved-write'].includes(f.ruleId));
      const expected = s.suppressed || !['unscoped', 'unresolved'].includes(s.coverage) ? 0 : 1;
      expect(findings.length, `${s.file}:${s.line}`).toBe(expected);
      if (s.coverage === 'unscoped' && !s.suppressed) expect(findings[0]!.message).toMatch(/RLS enabled at db\/migrations\/\S+\.sql:\d+/);
    }
  });

  it('matches the expected report committed beside the app', () => {
    const expected = JSON.parse(fs.readFileSync(path.join(ROOT, 'expected-report.json'), 'utf8'));
    const comparable = (r: typeof report) => ({ schema: r.schema, writeSites: r.writeSites, findings: r.findings, incomplete: r.incomplete, summary: { ...r.summary, durationMs: 0 } });
    expect(comparable(report)).toEqual(comparable({ ...expected, root: ROOT }));
  });

  it('produces JSON that validates against the public report schema', () => {
    expectValidReport(report);
  });
});

describe('the example app’s schema, as Postgres sees it', () => {
  it('models the DO-block-gated tables, the re-disabled table and the INVOKER-function write', () => {
    expect(report.schema.sources[0]).toEqual({ kind: 'migrations', ref: 'db/migrations', method: 'replay' });
    expect(report.schema.gatedTables).toEqual(expect.arrayContaining(['public.comments', 'public.attachments']));
    expect(report.schema.forcedTables).toEqual(expect.arrayContaining(['public.comments', 'public.attachments']));
    expect(report.schema.gatedTables).not.toContain('public.webhook_deliveries');
    const archive = report.writeSites.filter((s) => s.sql.some((q) => q.includes('archive_project')));
    expect(archive.map((s) => `${s.operation} ${s.tables.join()} ${s.coverage}`)).toEqual(['call public.projects org-scope', 'call public.projects unscoped']);
    expect(report.schema.securityDefinerFunctions).not.toContain('public.archive_project');
  });
});
