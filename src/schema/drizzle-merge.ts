import type { PolicyState, RlsModel, TableState } from './types.js';
import type { DrizzleRls } from './drizzle.js';

// Merging a Drizzle schema's RLS declarations into the model the migrations gave. The
// migrations win only where they *state* a table's RLS: an ENABLE or DISABLE ROW LEVEL
// SECURITY, or a policy on it. A migration that merely mentions the table (creates it, adds a
// column, renames an index) says nothing about RLS, so the schema's `.enableRLS()` or
// `pgPolicy(…)` still gates it: an incremental SQL migration altering a policy-declared
// table must not ungate it.

/**
 * The model with the Drizzle declarations added: tables no migration mentions, and tables
 * whose RLS no migration states (per `stated`, which reads the static reading of the
 * migrations: ENABLE, DISABLE and policies, wherever the final model came from). A live
 * database is the truth about itself: against it only unknown tables are added.
 */
export function mergeDrizzleRls(
  model: RlsModel,
  found: readonly DrizzleRls[],
  stated: (table: string) => boolean,
): RlsModel {
  const fromDatabase = (model.sources ?? []).some((s) => s.kind === 'database');
  const added = found.filter((d) => {
    const known = model.tables.get(d.table);
    if (!known) return true;
    return !fromDatabase && !known.rlsEnabled && known.policies.length === 0 && !stated(d.table);
  });
  if (!added.length) return model;
  const tables = new Map(model.tables);
  for (const d of added) {
    const known = tables.get(d.table);
    const policies: PolicyState[] = d.policies.map((p) => ({
      name: p.name,
      table: d.table,
      command: 'all',
      permissive: true,
      roles: ['public'],
      settings: p.settings,
      functions: p.functions,
      ...(p.switches?.length ? { switches: p.switches } : {}),
      at: d.at,
    }));
    // What the migrations know (creation, owner, FORCE, triggers) stays; RLS and policies come from the schema.
    const state: TableState = known
      ? { ...known, rlsEnabled: true, enabledAt: d.at, policies }
      : {
          name: d.table,
          rlsEnabled: true,
          forced: false,
          enabledAt: d.at,
          forcedAt: null,
          createdAt: d.at,
          owner: null,
          policies,
          triggers: [],
        };
    tables.set(d.table, state);
  }
  const policySettings = new Set(model.policySettings);
  for (const d of added) for (const p of d.policies) for (const s of p.settings) policySettings.add(s);
  const files = [...new Set(added.map((d) => d.at.file))].sort();
  return {
    ...model,
    tables,
    policySettings,
    sources: [
      ...(model.sources ?? []),
      { kind: 'migrations', ref: files.join(', '), method: 'static', facts: added.map((d) => d.table).sort() },
    ],
  };
}

/** Whether the migrations' static reading states the table's RLS (enabled, disabled, or a policy). */
export function rlsStatedBy(staticModel: RlsModel): (table: string) => boolean {
  return (table) => {
    const t = staticModel.tables.get(table);
    return !!t && (t.rlsEnabled || t.enabledAt !== null || t.disabledAt !== undefined || t.policies.length > 0);
  };
}
