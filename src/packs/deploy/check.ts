import { FingerprintCounter } from '../../report/fingerprint.js';
import type { RuleFinding } from '../../report/rule-finding.js';
import type { Location } from '../../report/types.js';
import { findingFor, ruleOf, type PackMatcher } from '../matcher.js';
import { valueMatches, type ActiveEntry } from '../types.js';
import type { DeployScan, DeployVar, Span } from './types.js';

// Pack entries against what one deployment file sets: removed and deprecated variables
// (with their values where the pack says values matter), cross-variable requirements
// within the file, and removed client ids or deprecated header names as values.

export function deployFindings(file: string, input: DeployScan, m: PackMatcher): RuleFinding[] {
  // Spring properties bind loosely: security.oauth2.service-account.admin.client-id is
  // SECURITY_OAUTH2_SERVICE_ACCOUNT_ADMIN_CLIENT_ID.
  const scan = { ...input, vars: input.vars.map((v) => (v.written ? { ...v, name: m.canonicalEnv(v.name) } : v)) };
  const out: RuleFinding[] = [];
  const ids = new FingerprintCounter();
  const seen = new Set<string>();
  const add = (entry: ActiveEntry, span: Span, subject: string): void => {
    const rule = ruleOf(entry);
    const key = `${rule}:${span.line}:${span.column}:${entry.name}`;
    if (seen.has(key)) return;
    seen.add(key);
    const loc: Location = { file, ...span };
    const fingerprint = ids.next([rule, file, entry.name, subject]);
    out.push({ ruleId: rule, ...findingFor(entry, subject), ...loc, fingerprint });
  };

  for (const v of scan.vars) {
    const entry = m.envEntry(v.name, v.value);
    if (entry)
      add(entry, entry.when ? through(v) : v.nameSpan, entry.when ? `${spelled(v)}=${v.value ?? ''}` : spelled(v));
  }
  for (const r of m.requirements) {
    const triggers = scan.vars.filter((v) => v.name === r.name && valueMatches(r.when?.values ?? [], v.value));
    if (triggers.length === 0) continue;
    const satisfied = scan.vars.some((v) => v.name === r.requires && (v.fromRef || (v.value ?? '').trim() !== ''));
    const exempt = r.unless
      ? scan.vars.some((v) => v.name === r.unless!.name && valueMatches(r.unless!.values, v.value))
      : false;
    if (satisfied || exempt) continue;
    for (const t of triggers) add(r, through(t), `${spelled(t)}=${t.value ?? ''}`);
  }
  for (const v of scan.values) {
    const client = m.client(v.value);
    if (client) add(client, v.span, v.value.trim());
    for (const h of m.headersIn(v.value.trim())) add(h.entry, v.span, v.value.trim().slice(h.start, h.end));
  }
  return out.sort((a, b) => a.line - b.line || a.column - b.column || a.ruleId.localeCompare(b.ruleId));
}

function spelled(v: DeployVar): string {
  return v.written && v.written !== v.name ? `${v.written} (${v.name})` : v.name;
}

/** From the name to the end of the value: the finding is about both. */
function through(v: DeployVar): Span {
  const end = v.valueSpan ?? v.nameSpan;
  return { line: v.nameSpan.line, column: v.nameSpan.column, endLine: end.endLine, endColumn: end.endColumn };
}
