import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditSync } from '../../src/walker/audit.js';
import { annotatedVerdicts, readExpectations, sourceFiles } from '../support/annotations.js';

// Callbacks a timer or an event runs later are past the end of the transaction they were
// registered in; microtasks run at the next await or return (src/analysis/deferred-callbacks.ts).

const ROOT = path.resolve(import.meta.dirname, '../../fixtures/precision/deferred-callbacks');

describe('callbacks run later than where they are written', () => {
  const report = auditSync({ paths: [ROOT], types: false, schemaSource: 'static' });

  it('judges each write where its callback runs', () => {
    const { actual, wanted } = annotatedVerdicts(report, readExpectations(ROOT, sourceFiles(ROOT)));
    expect(wanted.length).toBe(12);
    expect(actual).toEqual(wanted);
  });

  it('says the write runs after the transaction ends, and what deferred it', () => {
    const late = report.writeSites.filter((s) => s.evidence.includes('after the transaction ends'));
    expect(late.map((s) => s.line)).toEqual([18, 22, 26, 30]);
    expect(late[0]!.evidence).toContain("in a callback that `on('finish', …)` registers at src/visits.ts:16");
    expect(late[2]!.evidence).toContain('in a callback that setImmediate() schedules at src/visits.ts:24');
    const finding = report.findings.find((f) => f.line === 18)!;
    expect(finding.message).toContain('a timer or event callback runs after the transaction that set the org context');
  });
});
