import type ts from 'typescript';
import type { Operation } from '../report/types.js';
import { type AnalysisConfig, type WriteKind, writePolicies } from './config.js';
import type { QueryNode, RawSite, RawWrite, UnresolvedProblem } from './facts.js';
import type { Handle } from './handles.js';
import { judge, otherDatabase } from './verdict.js';

// The write sites the flow records: one per query call that writes, one standing for SQL or a
// function the analysis could not resolve (fail closed), and each site's verdict.

/** A site whose writes are unknown: unresolved, with the problem and the evidence saying why (fail closed). */
function unresolvedSite(
  call: QueryNode,
  api: string,
  handle: Handle,
  problem: UnresolvedProblem,
  evidence: string,
): RawSite {
  return {
    call,
    api,
    handle,
    operation: 'insert',
    tables: [],
    gatedTables: [],
    definerCalls: [],
    sql: null,
    sqlVariants: [],
    through: {},
    truncated: [],
    verdict: { coverage: 'unresolved', via: null, evidence, problem },
  };
}

/** The site standing for the writes of a function the analysis could not finish (fail closed). */
export function gaveUpSite(node: ts.Node, reason: string): RawSite {
  const handle: Handle = { kind: 'unknown', reason };
  const evidence = `${reason}: its writes cannot all be found or judged`;
  return unresolvedSite(node as QueryNode, 'other', handle, 'budgetExceeded', evidence);
}

/**
 * A write whose statement cannot be resolved: its SQL is not constant or does not parse, or
 * (`what` the write) its builder's table cannot be traced.
 */
export function unresolvedSqlSite(
  call: QueryNode,
  handle: Handle,
  api: string,
  problem: UnresolvedProblem,
  reason: string,
  what = 'the SQL text',
): RawSite {
  return unresolvedSite(call, api, handle, problem, `${what} cannot be resolved statically: ${reason}`);
}

/** The evidence of a draft site's placeholder verdict, before siteVerdict judges it. */
export const DRAFT_EVIDENCE = 'not yet judged';

/** A write site with its tables; its verdict comes once the whole file is walked (siteVerdict). */
export function draftSite(
  config: AnalysisConfig,
  call: QueryNode,
  handle: Handle,
  api: string,
  writes: RawWrite[],
  definer: string[],
  sql: string,
  sqlVariants: string[],
): RawSite {
  const tables = unique(writes.map((w) => w.table));
  // Another database's tables are not the Postgres tables of the same name.
  const other = handle.kind === 'executor' && handle.otherDatabase;
  const gated = other ? [] : tables.filter((t) => config.gatedTables.has(t));
  const operation: Operation = writes.find((w) => !w.through)?.operation ?? 'call';
  // A placeholder siteVerdict replaces once the whole file is walked.
  const verdict: RawSite['verdict'] = {
    coverage: 'unresolved',
    via: null,
    evidence: DRAFT_EVIDENCE,
    problem: 'connectionUnknown',
  };
  const through: Record<string, string> = {};
  for (const w of writes) {
    if (w.through && !writes.some((d) => !d.through && d.table === w.table)) through[w.table] ??= w.through;
  }
  const truncating = writes.filter((w) => w.operation === 'truncate' && gated.includes(w.table));
  const truncated = unique(truncating.map((w) => w.table));
  const written: Record<string, WriteKind[]> = {};
  for (const t of gated) written[t] = kindsOf(writes.filter((w) => w.table === t));
  return {
    call,
    api,
    handle,
    operation,
    tables,
    gatedTables: gated,
    definerCalls: definer,
    sql,
    sqlVariants,
    verdict,
    through,
    truncated,
    ...(gated.length ? { written } : {}),
  };
}

/** The distinct kinds of some writes (operation, and an upsert's conflictUpdate), in their order. */
export function kindsOf(writes: readonly RawWrite[]): WriteKind[] {
  const out = new Map<string, WriteKind>();
  for (const w of writes)
    out.set(kindKey(w), {
      operation: w.operation,
      ...(w.conflictUpdate ? { conflictUpdate: true } : {}),
      ...(w.returning ? { returning: true } : {}),
      ...(w.mergeActions ? { mergeActions: w.mergeActions } : {}),
    });
  return [...out.values()];
}

/** A write kind as a key: its operation, `+update` for an upsert, `+returning` for RETURNING. */
export function kindKey(k: Omit<WriteKind, 'operation'> & { operation: string }): string {
  const actions = k.mergeActions ? `(${k.mergeActions.join('+')})` : '';
  return `${k.operation}${actions}${k.conflictUpdate ? '+update' : ''}${k.returning ? '+returning' : ''}`;
}

/** The worst verdict among a site's writes to gated tables, else why it needs none. */
export function siteVerdict(
  deps: { config: AnalysisConfig; root: string },
  site: RawSite,
  writes: RawWrite[],
): RawSite['verdict'] {
  const { handle, tables, definerCalls: definer } = site;
  if (handle.kind === 'executor' && handle.otherDatabase) return otherDatabase(handle.label, handle.otherDatabase);
  const gatedWrites = writes.filter((w) => deps.config.gatedTables.has(w.table));
  let verdict: RawSite['verdict'];
  if (gatedWrites.length === 0) {
    const ungated = tables.length
      ? `${tables.join(', ')} ${tables.length > 1 ? 'have' : 'has'} no row-level security`
      : 'no table written';
    verdict = definer.length > 0 && writes.length === 0
      ? {
          coverage: 'security-definer',
          via: definer[0]!,
          evidence: `calls SECURITY DEFINER function ${definer[0]}, which runs with its owner's rights`,
        }
      : { coverage: 'not-gated', via: null, evidence: ungated };
  } else {
    // Every gated write must be covered; the site takes the worst verdict among them.
    const { bypassRoles, roleKeyedTables } = deps.config;
    const verdicts = gatedWrites.map((w) =>
      judge(
        handle,
        w.state,
        deps.root,
        w.table,
        writePolicies(deps.config, w.table, kindsOf([w])),
        bypassRoles,
        roleKeyedTables.get(w.table),
      ),
    );
    verdict = verdicts.reduce((worst, v) => (rank(v) < rank(worst) ? v : worst));
  }
  return verdict;
}

/**
 * The settings a write's connection is known to carry from how it was made (a Prisma client
 * extension whose every query first runs set_config on them): set by the code, even though
 * no query call in view spells the set, so no-unset-policy-setting must not call them unset.
 */
export function settingsProvided(site: RawSite): readonly string[] {
  return site.handle.kind === 'scoped' && site.handle.settings ? [...site.handle.settings] : [];
}

const RANK: Record<string, number> = {
  unscoped: 0,
  unresolved: 1,
  'not-gated': 5,
  'org-scope': 4,
  'security-definer': 4,
  'admin-pool': 4,
};

export function rank(v: RawSite['verdict']): number {
  if ('pending' in v) return 2;
  return RANK[v.coverage] ?? 3;
}

export function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}
