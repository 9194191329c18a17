import type { SiteVerdict } from '../program.js';
import { rank } from '../write-sites.js';
import type { Carried, CarriedValue } from './trpc.js';

// A write on a connection a framework's request context carries is judged once per value the
// context can hold where the callback runs (the factory's, each middleware's), worst first.
// The evidence names the context and where the worst value was put there.

export function carriedVerdict(carried: Carried, judgeValue: (v: CarriedValue) => SiteVerdict): SiteVerdict {
  if ('unresolved' in carried)
    return {
      coverage: 'unresolved',
      problem: 'connectionUnknown',
      via: null,
      evidence: `runs on the connection ${carried.subject} carries, and ${carried.unresolved}`,
      callPath: [],
      deferred: false,
    };
  let worst: { verdict: SiteVerdict; from: string } | undefined;
  const vias = new Set<string>();
  for (const v of carried.values) {
    const verdict = judgeValue(v);
    if (verdict.via) vias.add(verdict.via);
    if (!worst || rank(verdict) < rank(worst.verdict)) worst = { verdict, from: v.from };
  }
  if (!worst)
    return {
      coverage: 'unresolved',
      problem: 'connectionUnknown',
      via: null,
      evidence: `runs on the connection ${carried.subject} carries, which no path sets`,
      callPath: [],
      deferred: false,
    };
  const others = carried.values.length - 1;
  const also = others > 0 ? ` (${others} other value${others === 1 ? '' : 's'} on this chain judged too)` : '';
  const covered = worst.verdict.coverage === 'org-scope' || worst.verdict.coverage === 'admin-pool' ||
    worst.verdict.coverage === 'security-definer';
  return {
    ...worst.verdict,
    via: covered ? [...vias].join(', ') || worst.verdict.via : worst.verdict.via,
    evidence: `runs on ${worst.from}, which ${carried.subject} carries${also}: ${worst.verdict.evidence}`,
  };
}
