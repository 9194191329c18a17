import type { Finding } from './types.js';

// The places a finding's evidence points at (the migration line that gates the table, where
// the connection was made, where the org context was set, the calls on an uncovered path),
// for formats that link them (SARIF relatedLocations, the HTML report). The core writes
// each such place as `path:line` (src/analysis/handles.ts `where`); this reads them back.

export interface EvidenceLocation {
  file: string;
  line: number;
  /** What is at that place, in the words of the finding. */
  message: string;
}

interface SiteLike {
  file: string;
  line: number;
  column: number;
  callPath?: string[];
}

const REFERENCE = /([\w@.~+-]+(?:\/[\w@.~+-]+)*\.(?:sql|[cm]?[jt]sx?)):(\d+)/g;
const CLAUSE_BREAK = /\((?!\))|(?<!\()\)|[,;]|\. |: |—/g;

/** Every `path:line` the text mentions, each labelled with the clause that names it. */
export function referencesIn(text: string): EvidenceLocation[] {
  const out: EvidenceLocation[] = [];
  for (const m of text.matchAll(REFERENCE)) {
    const start = m.index;
    const before = text.slice(0, start);
    let clauseStart = 0;
    for (const b of before.matchAll(CLAUSE_BREAK)) clauseStart = b.index + b[0].length;
    let label = before.slice(clauseStart).trim().replace(/\s+(at|in|from)$/, '');
    const gated = /(\S+) \(RLS enabled at $/.exec(before);
    if (gated) label = `RLS enabled on ${gated[1]}`;
    const after = /^ ([\w$.]+\([^)]*\))/.exec(text.slice(start + m[0].length));
    if (after) label = `${label ? `${label} ` : ''}${after[1]}`;
    out.push({ file: m[1]!, line: Number(m[2]), message: label || 'evidence' });
  }
  return out;
}

/** The evidence locations of a finding: its call path first, then what its message cites. */
export function evidenceFor(finding: Finding, sites: readonly SiteLike[]): EvidenceLocation[] {
  const site = sites.find((s) => s.file === finding.file && s.line === finding.line && s.column === finding.column);
  const found: EvidenceLocation[] = [];
  for (const step of site?.callPath ?? []) {
    const [ref] = referencesIn(step);
    if (ref) found.push({ ...ref, message: `on the uncovered call path: ${step.slice(step.indexOf(' ') + 1)}` });
  }
  found.push(...referencesIn(finding.message));
  const seen = new Set<string>([`${finding.file}:${finding.line}`]);
  return found.filter((e) => {
    const k = `${e.file}:${e.line}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
