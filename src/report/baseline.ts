import { readJsonFile } from '../files/json.js';
import type { Finding, Report } from './types.js';

// A baseline records the findings a team accepts for now, so CI fails only on new ones.
// Entries are fingerprints (which survive line moves), grouped by file and rule with a
// count, sorted so the file diffs and merges cleanly, and never hold a line number.
// A baseline only shrinks: entries that no longer occur are reported and pruned, and
// nothing is ever added except by writing a new baseline on purpose.

export const BASELINE_VERSION = 1;

export interface BaselineEntry {
  count: number;
  fingerprints: string[];
}

export interface Baseline {
  version: typeof BASELINE_VERSION;
  /** file → rule id → the accepted findings. */
  files: Record<string, Record<string, BaselineEntry>>;
}

export interface BaselineRef {
  file: string;
  ruleId: string;
  fingerprint: string;
}

export interface BaselineOutcome {
  /** The baseline file applied. */
  file: string;
  /** Findings the baseline hid (left out of the report's findings). */
  hidden: Finding[];
  /** Baseline entries that no longer occur: fixed, so `--prune-baseline` can drop them. */
  stale: BaselineRef[];
}

export class BaselineError extends Error {}

/**
 * A gap in the audit is not a finding a team can accept for later: what it hides is unknown,
 * so `no-incomplete-audit` is never recorded, and never hidden by an old entry. Accepting
 * gaps takes --allow-incomplete, on the command line, every run.
 */
const NEVER_BASELINED = 'no-incomplete-audit';

export function createBaseline(findings: readonly Pick<Finding, 'file' | 'ruleId' | 'fingerprint'>[]): Baseline {
  return fromRefs(findings.filter((f) => f.ruleId !== NEVER_BASELINED));
}

// Built through Maps and Object.fromEntries: file names come from the baseline file, and a
// file named "__proto__" must stay a file, not reach Object.prototype.
function fromRefs(refs: readonly BaselineRef[]): Baseline {
  const files = new Map<string, Map<string, Set<string>>>();
  for (const r of refs) {
    let rules = files.get(r.file);
    if (!rules) files.set(r.file, (rules = new Map()));
    let prints = rules.get(r.ruleId);
    if (!prints) rules.set(r.ruleId, (prints = new Set()));
    prints.add(r.fingerprint);
  }
  const sorted = <T>(m: Map<string, T>): [string, T][] => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    version: BASELINE_VERSION,
    files: Object.fromEntries(
      sorted(files).map(([file, rules]) => [
        file,
        Object.fromEntries(
          sorted(rules).map(([rule, prints]) => [rule, { count: prints.size, fingerprints: [...prints].sort() }]),
        ),
      ]),
    ),
  };
}

export function baselineRefs(baseline: Baseline): BaselineRef[] {
  return Object.entries(baseline.files).flatMap(([file, rules]) =>
    Object.entries(rules).flatMap(([ruleId, e]) =>
      e.fingerprints.map((fingerprint) => ({ file, ruleId, fingerprint })),
    ),
  );
}

export function serializeBaseline(baseline: Baseline): string {
  return `${JSON.stringify(fromRefs(baselineRefs(baseline)), null, 2)}\n`;
}

export function readBaseline(file: string): Baseline {
  return parseBaseline(readJsonFile(file, 'baseline', BaselineError), file);
}

/** Checks a baseline's shape, naming the path to the first bad value. */
export function parseBaseline(raw: unknown, file: string): Baseline {
  const bad = (at: string, what: string): never => {
    throw new BaselineError(`${file}: ${at} ${what} (write a new baseline with --write-baseline)`);
  };
  if (!isObject(raw)) return bad('the baseline', 'must be a JSON object');
  if (raw.version !== BASELINE_VERSION) bad('version', `must be ${BASELINE_VERSION}`);
  if (!isObject(raw.files)) return bad('files', 'must be an object of file → rule → entry');
  const refs: BaselineRef[] = [];
  for (const [f, rules] of Object.entries(raw.files)) {
    if (!isObject(rules)) return bad(`files["${f}"]`, 'must be an object of rule → entry');
    for (const [ruleId, entry] of Object.entries(rules)) {
      const at = `files["${f}"]["${ruleId}"]`;
      if (
        !isObject(entry) ||
        !Array.isArray(entry.fingerprints) ||
        entry.fingerprints.some((x) => typeof x !== 'string')
      ) {
        return bad(`${at}.fingerprints`, 'must be an array of strings');
      }
      if (
        entry.count !== undefined &&
        (typeof entry.count !== 'number' || !Number.isInteger(entry.count) || entry.count < 0)
      )
        bad(`${at}.count`, 'must be a whole number ≥ 0');
      for (const fingerprint of entry.fingerprints as string[]) refs.push({ file: f, ruleId, fingerprint });
    }
  }
  return fromRefs(refs);
}

/**
 * Splits findings into the new ones and those the baseline records. A finding matches an
 * entry of its own file and rule with its fingerprint; each entry hides one finding.
 */
export function matchBaseline<F extends Finding>(
  findings: readonly F[],
  baseline: Baseline,
  file: string,
): { fresh: F[]; outcome: BaselineOutcome } {
  const remaining = new Set(baselineRefs(baseline).map(key));
  const fresh: F[] = [];
  const hidden: Finding[] = [];
  for (const f of findings) {
    const k = key(f);
    if (f.ruleId !== NEVER_BASELINED && remaining.delete(k)) hidden.push(f);
    else fresh.push(f);
  }
  const stale = baselineRefs(baseline).filter((r) => remaining.has(key(r)));
  return { fresh, outcome: { file, hidden, stale } };
}

/** The baseline without the entries that no longer occur; never adds one. */
export function pruneBaseline(baseline: Baseline, stale: readonly BaselineRef[]): Baseline {
  const drop = new Set(stale.map(key));
  return fromRefs(baselineRefs(baseline).filter((r) => !drop.has(key(r))));
}

function key(r: BaselineRef): string {
  return `${r.file}\u0001${r.ruleId}\u0001${r.fingerprint}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The report with the baseline's findings moved out of `findings` into `summary.baselined` and `baseline`. */
export function applyBaseline<R extends Report & { baseline?: BaselineOutcome }>(
  report: R,
  baseline: Baseline,
  file: string,
): R {
  const { fresh, outcome } = matchBaseline(report.findings, baseline, file);
  return {
    ...report,
    findings: fresh,
    summary: {
      ...report.summary,
      errors: fresh.filter((f) => f.severity === 'error').length,
      warnings: fresh.filter((f) => f.severity === 'warning').length,
      baselined: outcome.hidden.length,
    },
    baseline: outcome,
  };
}
