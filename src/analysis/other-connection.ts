import type { CallEdge, ContextEvidence } from './facts.js';
import { type Handle, where } from './handles.js';

// A caller that set the org context on one connection (its checked-out client) but passed
// another (the pool) to the function that writes: the write is unscoped, and the evidence
// names both lines, so the fix (pass the client) is plain.

/** What the caller set on another connection, when the call passed a pool: for the unscoped evidence. */
export function scopedElsewhere(edge: CallEdge, passed: Handle, root: string): string {
  if (passed.kind !== 'executor' || passed.exec !== 'pool') return '';
  let found: ContextEvidence | undefined;
  for (const [key, state] of edge.states) {
    if (key === passed.key) continue;
    const set = state.ctx && state.ctx !== 'inherited' ? state.ctx : state.session;
    if (set) {
      found = set;
      break;
    }
  }
  if (!found) return '';
  return `; the caller set the org context on another connection (${found.via} at ${where(found.at, root)}), ` +
    'not on the pool it passed';
}
