import { expect, it } from 'vitest';
import { annotatedProviders, annotatedVerdicts, type Expectation } from './annotations.js';

type AnnotatedReport = Parameters<typeof annotatedVerdicts>[0] &
  Parameters<typeof annotatedProviders>[0] & { findings: { ruleId: string; file: string; line: number }[] };

/**
 * The checks every annotated fixture app runs, registered in the calling `describe`: each
 * write site gets its `// expect:` verdict (and no site is unannotated), and each `via=`
 * names the provider the report names; every `// expect-finding:` is reported, and a
 * no-admin-on-request-path finding (which judges a covered site) only where annotated.
 */
export function itMatchesAnnotations(report: AnnotatedReport, expectations: Expectation[]): void {
  it('gets the annotated verdict at every write site, and no site that is not annotated', () => {
    const { actual, wanted } = annotatedVerdicts(report, expectations);
    expect(actual).toEqual(wanted);
  });

  it('names the provider that covers each site, where the annotation says', () => {
    for (const [got, wanted, at] of annotatedProviders(report, expectations)) expect(got, at).toBe(wanted);
  });

  it('reports every annotated finding, and a no-admin-on-request-path finding only where annotated', () => {
    const at = (f: { ruleId: string; file: string; line: number }): string => `${f.ruleId} ${f.file}:${f.line}`;
    const wanted = expectations.filter((e) => e.kind === 'finding').map((e) => `${e.ruleId} ${e.file}:${e.line}`);
    const found = new Set(report.findings.map(at));
    expect(wanted.filter((w) => !found.has(w))).toEqual([]);
    const admin = report.findings.filter((f) => f.ruleId === 'no-admin-on-request-path').map(at);
    expect(admin.filter((a) => !wanted.includes(a))).toEqual([]);
  });
}
