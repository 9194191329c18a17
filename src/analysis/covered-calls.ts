import type { Coverage } from '../report/types.js';

/** One call of a helper that passed it a covered connection: where the call is, and how it was covered. */
export interface CoveredCall {
  /** `file:line` of the call. */
  at: string;
  coverage: Coverage;
  /** The provider that covers it (an admin pool, a scope helper), when one is named. */
  via: string | null;
  /** Where the config declares that admin provider: admin by declaration, not by a role the database shows. */
  declaredIn?: string;
}

/**
 * The evidence of a write in a helper whose every caller passes a covered connection. It says what covers it (an
 * admin connection is not an org context: a user reading "covered" on an admin-pool verdict took it for scoped),
 * names one call as an example so the claim can be checked, and agrees in number with how many calls there are.
 */
export function coveredCallsEvidence(subject: string, calls: readonly CoveredCall[], stubs: number): string {
  const groups = new Map<Coverage, CoveredCall[]>();
  for (const c of calls) {
    const group = groups.get(c.coverage);
    if (group) group.push(c);
    else groups.set(c.coverage, [c]);
  }
  const stubText = stubs
    ? ` (and ${stubs} more pass${stubs === 1 ? 'es' : ''} an empty object, a stub that cannot write)`
    : '';
  if (groups.size === 1) {
    const [coverage, group] = [...groups][0]!;
    if (calls.length === 1)
      return `runs on ${subject}; its one call, at ${calls[0]!.at}, passes ${connection(coverage)}${vias(group)}` +
        stubText;
    return `runs on ${subject}; its ${calls.length} calls all pass ${connection(coverage)}${vias(group)}, ` +
      `${example(group)}${stubText}`;
  }
  const parts = [...groups].map(
    ([coverage, group]) => `${group.length} ${connection(coverage)}${vias(group)}, ${example(group)}`,
  );
  return `runs on ${subject}; its ${calls.length} calls all pass a covered connection: ${parts.join('; ')}${stubText}`;
}

function connection(coverage: Coverage): string {
  switch (coverage) {
    case 'admin-pool':
      return 'an admin connection';
    case 'org-scope':
      return 'a connection in org context';
    case 'security-definer':
      return 'a connection whose write runs in a security-definer function';
    default:
      return 'a covered connection';
  }
}

/** The providers that cover the calls, as the site's `via` joins them (a provider may name its own place). */
function vias(group: readonly CoveredCall[]): string {
  const named = [...new Set(group.map((c) => c.via).filter((v): v is string => !!v))];
  if (!named.length) return '';
  const declared = [...new Set(group.map((c) => c.declaredIn).filter((d): d is string => !!d))];
  const how = declared.length ? ` (declared admin: ${declared.join(', ')})` : '';
  return ` via ${named.length === 1 ? named[0] : `${named.slice(0, -1).join(', ')} and ${named.at(-1)}`}${how}`;
}

function example(group: readonly CoveredCall[]): string {
  return `${group.length === 1 ? 'the call at' : 'e.g. the call at'} ${group[0]!.at}`;
}
