import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditSync } from '../../src/walker/audit.js';
import { readExpectations, sourceFiles } from '../support/annotations.js';
import { expectValidReport } from '../support/report-schema.js';

const ROOT = path.resolve(import.meta.dirname, '../../fixtures/example-app');
const report = auditSync({ paths: [ROOT], types: false });
const expectations = readExpectations(ROOT, sourceFiles(ROOT));

describe('the example app', () => {
  it('has at least 40 annotated write sites', () => {
    expect(expectations.filter((e) => e.kind === 'site').length).toBeGreaterThanOrEqual(40);
  });

  it('gets the annotated verdict at every write site, and no site that is not annotated', () => {
    const actual = report.writeSites.map((s) => `${s.file}:${s.line} ${s.coverage}${s.suppressed ? ' suppressed' : ''}`);
    const wanted = expectations
      .filter((e) => e.kind === 'site')
      .map((e) => `${e.file}:${e.line} ${e.coverage}${e.suppressed ? ' suppressed' : ''}`);
    expect(actual.sort()).toEqual(wanted.sort());
  });

  it('names the provider that covers each site, where the annotation says', () => {
    for (const e of expectations.filter((x) => x.kind === 'site' && x.via)) {
      const site = report.writeSites.find((s) => s.file === e.file && s.line === e.line);
      expect(site?.via, `${e.file}:${e.line}`).toBe(e.via);
    }
  });

  it('finds no write site on decoy lines', () => {
    for (const e of expectations.filter((x) => x.kind === 'none')) {
      expect(report.writeSites.filter((s) => s.file === e.file && s.line === e.line), `${e.file}:${e.line}`).toEqual([]);
    }
  });

  it('reports the annotated context findings, and no others', () => {
    const actual = report.findings.filter((f) => f.ruleId === 'no-pool-scoped-context').map((f) => `${f.file}:${f.line}`);
    const wanted = expectations.filter((e) => e.kind === 'finding' && e.ruleId === 'no-pool-scoped-context').map((e) => `${e.file}:${e.line}`);
    expect(actual.sort()).toEqual(wanted.sort());
  });

  it('raises one finding per unscoped or unresolved, unsuppressed site, with the evidence in the message', () => {
    for (const s of report.writeSites) {
      const findings = report.findings.filter((f) => f.file === s.file && f.line === s.line && f.column === s.column && f.ruleId !== 'no-pool-scoped-context');
      const expected = s.suppressed || !['unscoped', 'unresolved'].includes(s.coverage) ? 0 : 1;
      expect(findings.length, `${s.file}:${s.line}`).toBe(expected);
      if (s.coverage === 'unscoped' && !s.suppressed) expect(findings[0]!.message).toMatch(/RLS enabled at db\/migrations\/\S+\.sql:\d+/);
    }
  });

  it('matches the expected report committed beside the app', () => {
    const expected = JSON.parse(fs.readFileSync(path.join(ROOT, 'expected-report.json'), 'utf8'));
    const comparable = (r: typeof report) => ({ schema: r.schema, writeSites: r.writeSites, findings: r.findings, summary: { ...r.summary, durationMs: 0 } });
    expect(comparable(report)).toEqual(comparable({ ...expected, root: ROOT }));
  });

  it('produces JSON that validates against the public report schema', () => {
    expectValidReport(report);
  });
});
