import type { PolicyCommand, PolicyState, RlsModel } from '../schema/types.js';
import type { WriteKind } from './config.js';
import type { UnscopedProblem } from './facts.js';

/** The problems where nothing is set on the connection when the write runs. */
const NOTHING_SET: ReadonlySet<UnscopedProblem> = new Set<UnscopedProblem>([
  'onPool',
  'notScoped',
  'transactionWithoutContext',
  'beforeContext',
  'autocommitSetting',
  'outerPoolInScope',
  'outerPoolInTransaction',
  'afterTransaction',
]);

/** The commands whose policies a write of this kind meets (config.ts commandsOf); none for MERGE, TRUNCATE, COPY. */
function commands(k: WriteKind): PolicyCommand[] | null {
  if (k.operation === 'insert')
    return k.conflictUpdate ? ['insert', 'update', 'select'] : k.returning ? ['insert', 'select'] : ['insert'];
  if (k.operation === 'update') return ['update', 'select'];
  if (k.operation === 'delete') return ['delete', 'select'];
  return null;
}

/**
 * A policy that lets a write with no org context through (`openWhenUnset`): for every gated table, every command the
 * write meets has a permissive policy open while its setting is unset, and no restrictive policy. The first table's
 * policy for the write's own command, with the setting; null when any command is closed or cannot be named.
 */
export function openWithoutContext(
  model: RlsModel,
  problem: UnscopedProblem,
  tables: readonly string[],
  kindsOf: (table: string) => readonly WriteKind[],
): { table: string; policy: PolicyState; setting: string } | null {
  if (!NOTHING_SET.has(problem) || tables.length === 0) return null;
  let first: { table: string; policy: PolicyState; setting: string } | null = null;
  for (const table of tables) {
    const policies = model.tables.get(table)?.policies ?? [];
    const kinds = kindsOf(table);
    if (policies.length === 0 || kinds.length === 0) return null;
    for (const k of kinds) {
      const cs = commands(k);
      if (!cs) return null;
      for (const c of cs) {
        const applying = policies.filter((p) => p.command === c || p.command === 'all');
        if (applying.some((p) => !p.permissive)) return null;
        const open = applying.find((p) => p.openWhenUnset?.length);
        if (!open) return null;
        first ??= { table, policy: open, setting: open.openWhenUnset![0]! };
      }
    }
  }
  return first;
}

/**
 * A permissive policy that, with nothing set, lets no row through and raises nothing, so Postgres goes on to check the
 * others (arda-vibe's `tenant_id = current_tenant_id()` beside its per-command policies): it compares the row with a
 * setting or a function's value (read with `missing_ok`, NULL), is no switch, not open while unset, reads no role.
 */
function quietWhenUnset(p: PolicyState): boolean {
  return p.permissive && (p.settings.length > 0 || p.functions.length > 0) && !p.openWhenUnset?.length &&
    !p.switches?.length && !p.switchValues?.length && !p.switchCalls?.length && !p.loginRole;
}

/**
 * A policy that makes a write with no org context fail rather than be filtered (`raisesWhenUnset`): for some gated
 * table, every command the write meets has a policy that reads a setting through `current_setting('s')` without
 * `missing_ok`, and its other policies are quiet while unset (NULL, no error), so Postgres reaches the raising one:
 * "unrecognized configuration parameter" on a connection where nothing set it. The table's raising policy for the
 * write's own command, with the setting; null otherwise.
 */
export function raisingWithoutContext(
  model: RlsModel,
  problem: UnscopedProblem,
  tables: readonly string[],
  kindsOf: (table: string) => readonly WriteKind[],
): { table: string; policy: PolicyState; setting: string } | null {
  if (!NOTHING_SET.has(problem)) return null;
  for (const table of tables) {
    const policies = model.tables.get(table)?.policies ?? [];
    const kinds = kindsOf(table);
    const all = kinds.flatMap((k) => commands(k) ?? [null]);
    if (kinds.length === 0 || all.includes(null)) continue;
    const applying = (c: PolicyCommand | null) => policies.filter((p) => p.command === c || p.command === 'all');
    const raising = (p: PolicyState): boolean => !!p.raisesWhenUnset?.length;
    const raises = (c: PolicyCommand | null) =>
      applying(c).some(raising) && applying(c).every((p) => raising(p) || quietWhenUnset(p));
    if (!all.every(raises)) continue;
    const own = applying(all[0]!).find((p) => p.raisesWhenUnset?.length)!;
    return { table, policy: own, setting: own.raisesWhenUnset![0]! };
  }
  return null;
}
