import { describe, expect, it } from 'vitest';
import { coveredCallsEvidence } from '../../src/analysis/covered-calls.js';

// The evidence of a helper's write covered at every call (docs/real-world.md, "Evidence a user would misread"): it
// names what covers it, one call, and agrees in number.
describe('the evidence of a write covered at every call of its helper', () => {
  const subject = 'parameter `db` of `updateTag`';

  it('names an admin connection as admin, with the call, for one call', () => {
    expect(coveredCallsEvidence(subject, [{ at: 'src/tags.ts:37', coverage: 'admin-pool', via: 'primaryDb' }], 0)).toBe(
      'runs on parameter `db` of `updateTag`; its one call, at src/tags.ts:37, passes an admin connection via primaryDb',
    );
  });

  it('says an admin provider the config declares is admin by that declaration', () => {
    const calls = [
      { at: 'src/a.ts:3', coverage: 'admin-pool' as const, via: 'primaryDb', declaredIn: '`adminProviders` in rls-guard.config.json' },
      { at: 'src/b.ts:9', coverage: 'admin-pool' as const, via: 'primaryDb', declaredIn: '`adminProviders` in rls-guard.config.json' },
    ];
    expect(coveredCallsEvidence(subject, calls, 0)).toBe(
      'runs on parameter `db` of `updateTag`; its 2 calls all pass an admin connection via primaryDb ' +
        '(declared admin: `adminProviders` in rls-guard.config.json), e.g. the call at src/a.ts:3',
    );
  });

  it('counts several calls and names the first as an example', () => {
    const calls = [
      { at: 'src/a.ts:3', coverage: 'org-scope' as const, via: 'withOrg' },
      { at: 'src/b.ts:9', coverage: 'org-scope' as const, via: 'withOrg' },
    ];
    expect(coveredCallsEvidence(subject, calls, 1)).toBe(
      'runs on parameter `db` of `updateTag`; its 2 calls all pass a connection in org context via withOrg, ' +
        'e.g. the call at src/a.ts:3 (and 1 more passes an empty object, a stub that cannot write)',
    );
  });

  it('counts calls covered in different ways per way', () => {
    const calls = [
      { at: 'src/a.ts:3', coverage: 'admin-pool' as const, via: 'primaryDb' },
      { at: 'src/b.ts:9', coverage: 'org-scope' as const, via: 'withOrg' },
      { at: 'src/c.ts:1', coverage: 'admin-pool' as const, via: 'ownerDb' },
    ];
    expect(coveredCallsEvidence(subject, calls, 0)).toBe(
      'runs on parameter `db` of `updateTag`; its 3 calls all pass a covered connection: 2 an admin connection via ' +
        'primaryDb and ownerDb, e.g. the call at src/a.ts:3; 1 a connection in org context via withOrg, the call at src/b.ts:9',
    );
  });
});
