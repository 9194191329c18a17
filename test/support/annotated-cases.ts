import { expect, it } from 'vitest';
import { annotatedProviders, annotatedVerdicts, type Expectation } from './annotations.js';

type AnnotatedReport = Parameters<typeof annotatedVerdicts>[0] & Parameters<typeof annotatedProviders>[0];

/**
 * The checks every annotated fixture app runs, registered in the calling `describe`: each
 * write site gets its `// expect:` verdict (and no site is unannotated), and each `via=`
 * names the provider the report names.
 */
export function itMatchesAnnotations(report: AnnotatedReport, expectations: Expectation[]): void {
  it('gets the annotated verdict at every write site, and no site that is not annotated', () => {
    const { actual, wanted } = annotatedVerdicts(report, expectations);
    expect(actual).toEqual(wanted);
  });

  it('names the provider that covers each site, where the annotation says', () => {
    for (const [got, wanted, at] of annotatedProviders(report, expectations)) expect(got, at).toBe(wanted);
  });
}
