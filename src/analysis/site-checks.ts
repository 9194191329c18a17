import type { CoreSite } from './index.js';
import { FingerprintCounter } from '../report/fingerprint.js';
import type { RuleFinding } from '../report/rule-finding.js';

// Rules that judge the facts the core computed (rules/rule.ts: SiteCheck) run here, over the
// decided write sites, for both front ends: the walker passes every rule's check, the plugin
// the checks of the rules enabled for the linted file.

export type SiteCheck = (site: CoreSite) => Pick<RuleFinding, 'messageId' | 'data'> | undefined;

export function siteFindings(sites: readonly CoreSite[], checks: ReadonlyMap<string, SiteCheck>): RuleFinding[] {
  if (!checks.size) return [];
  const out: RuleFinding[] = [];
  const ids = new FingerprintCounter();
  for (const site of sites) {
    // A deferred site is decided elsewhere (its callers' files): judged there, not twice.
    if (site.deferred) continue;
    for (const [ruleId, check] of checks) {
      const judged = check(site);
      if (!judged) continue;
      const { file, line, column, endLine, endColumn } = site;
      const fingerprint = ids.next([ruleId, site.fingerprint]);
      out.push({ ruleId, ...judged, file, line, column, endLine, endColumn, fingerprint, site: site.fingerprint });
    }
  }
  return out;
}
