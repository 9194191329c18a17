import { buildModel, type MigrationFile } from './model.js';
import type { RlsModel, SchemaDiagnostic, SchemaLocation, TableState } from './types.js';

// Folders unconfigured discovery leaves out because their path says they are archived or documentation
// (schema/discover.ts `leftOutFolder`: `docs/archive/migrations`, `migrations-backup`, …). Their SQL is not the
// schema: replayed, it re-creates superseded tables and fails on half of its statements. But leaving a folder out must
// not fail open: a table whose row level security only a left-out file enables would silently become "not gated", and
// every write to it would pass. So the left-out files are read with the Postgres parser (the static reading,
// libpg-query, never a pattern over the text) for `ALTER TABLE … ENABLE ROW LEVEL SECURITY` and `CREATE POLICY`, and
// a table they gate that the applied migrations neither gate nor state the RLS of (no ENABLE, DISABLE or policy) is
// judged as gated, with the left-out file's line as its evidence and a note on each write: a write in org context is
// right either way; one outside it is a finding that names the archived file, and the user decides.

export interface LeftOutFolder {
  folder: string;
  /** The up SQL of the migration files under it, in the order they would have been applied. */
  files: MigrationFile[];
  /**
   * A setup file nothing runs whose tables no script gates either (loose-sql.ts): they stay not gated, and are read
   * only so that each write to one names the file that would gate it.
   */
  ungated?: true;
}

/** The one diagnostic per folder left out: which, why, and how to include it. */
export function leftOutNote(folder: string, count: number): SchemaDiagnostic {
  return {
    file: folder,
    line: 1,
    message:
      `left out of the migrations: ${count} migration file(s) under ${folder}, a folder whose name says it is ` +
      `archived or documentation, not applied; tables only they enable row level security on are still judged as ` +
      `gated. If these files are applied to the database, list the folder under "migrations" in the config`,
  };
}

/**
 * The model with the tables only left-out files gate added as gated (`leftOutGated` records where), unless the
 * applied migrations gate them already or state their RLS (`stated`). A live database is the truth about itself:
 * this is for models read from migrations only.
 */
export function mergeLeftOut(
  model: RlsModel,
  leftOut: readonly LeftOutFolder[],
  stated: (table: string) => boolean,
  defaultSchema: string | undefined,
): RlsModel {
  const merged = mergeGating(model, leftOut.filter((x) => !x.ungated), stated, defaultSchema);
  return withUnapplied(merged, leftOut.filter((x) => x.ungated), stated, defaultSchema);
}

/**
 * The tables only unapplied setup files would gate (`unappliedGates`): not gated by the model, their RLS not stated by
 * the applied migrations, so each write to one is `not-gated` and names the file, never silently.
 */
function withUnapplied(
  model: RlsModel,
  unapplied: readonly LeftOutFolder[],
  stated: (table: string) => boolean,
  defaultSchema: string | undefined,
): RlsModel {
  const files = unapplied.flatMap((x) => x.files);
  if (files.length === 0) return model;
  const read = buildModel(files, defaultSchema ? { defaultSchema } : {});
  const gates = new Map(model.unappliedGates ?? []);
  for (const t of read.tables.values()) {
    if (!(t.rlsEnabled || t.policies.length) || model.tables.get(t.name)?.rlsEnabled || stated(t.name)) continue;
    const at = t.enabledAt ?? t.policies[0]?.at ?? t.createdAt;
    if (at) gates.set(t.name, at);
  }
  return gates.size ? { ...model, unappliedGates: gates } : model;
}

function mergeGating(
  model: RlsModel,
  leftOut: readonly LeftOutFolder[],
  stated: (table: string) => boolean,
  defaultSchema: string | undefined,
): RlsModel {
  const files = leftOut.flatMap((x) => x.files);
  if (files.length === 0) return model;
  const archived = buildModel(files, defaultSchema ? { defaultSchema } : {});
  const folderOf = (file: string): string => leftOut.find((x) => x.files.some((f) => f.path === file))!.folder;
  // Parts the parser could not read may enable RLS unseen: said once per folder (not an audit gap: never applied).
  const unread = new Map<string, Set<string>>();
  for (const d of archived.diagnostics)
    if (d.incomplete && files.some((f) => f.path === d.file))
      unread.set(folderOf(d.file), (unread.get(folderOf(d.file)) ?? new Set()).add(d.file));
  const diagnostics = [...model.diagnostics];
  for (const [folder, list] of unread)
    diagnostics.push({
      file: folder,
      line: 1,
      message:
        `${list.size} left-out file(s) under ${folder} could not be read in full (${shown(list)}): ` +
        `a table they enable row level security on there is not seen; if the folder is applied, list it under ` +
        `"migrations" in the config`,
    });
  const added: TableState[] = [];
  for (const t of archived.tables.values()) {
    if (!t.rlsEnabled || model.tables.get(t.name)?.rlsEnabled || stated(t.name)) continue;
    added.push(t);
  }
  if (added.length === 0) return unread.size ? { ...model, diagnostics } : model;
  const tables = new Map(model.tables);
  const functions = new Map(model.functions);
  const policySettings = new Set(model.policySettings);
  const leftOutGated = new Map(model.leftOutGated ?? []);
  for (const t of added) {
    const known = tables.get(t.name);
    const at: SchemaLocation = t.enabledAt ?? t.policies[0]?.at ?? t.createdAt!;
    // What the applied migrations know (creation, owner, triggers) stays; RLS, FORCE (unless they force it themselves)
    // and policies come from the file: the table is judged as the left-out file describes it.
    const forced = known?.forced
      ? { forced: true, forcedAt: known.forcedAt }
      : { forced: t.forced, forcedAt: t.forcedAt };
    tables.set(t.name, known ? { ...known, rlsEnabled: true, enabledAt: at, ...forced, policies: t.policies } : t);
    for (const p of t.policies) {
      for (const s of p.settings) policySettings.add(s);
      // A policy that reads its setting through a function only the left-out files define.
      for (const f of p.functions) {
        const fn = archived.functions.get(f);
        if (fn && !functions.has(f)) functions.set(f, fn);
        for (const s of fn?.bodyReadsSettings ?? []) policySettings.add(s);
      }
    }
    leftOutGated.set(t.name, at);
    diagnostics.push({
      file: at.file,
      line: at.line,
      message:
        `${t.name} has row level security enabled only by this file, which is left out of the migrations (under ` +
        `${folderOf(at.file)}): writes to it are judged as gated. List the folder under "migrations" in the config ` +
        `if it is applied, or the table under "gatedTables.remove" if the database does not gate it`,
    });
  }
  return {
    ...model,
    tables,
    functions,
    policySettings,
    leftOutGated,
    diagnostics,
    sources: [
      ...(model.sources ?? []),
      {
        kind: 'migrations',
        ref: leftOut.map((x) => x.folder).join(', '),
        method: 'static',
        facts: added.map((t) => t.name).sort(),
      },
    ],
  };
}

/** The first files of a list, sorted, and how many more. */
function shown(list: ReadonlySet<string>): string {
  const sorted = [...list].sort();
  return sorted.length <= 3 ? sorted.join(', ') : `${sorted.slice(0, 3).join(', ')} and ${sorted.length - 3} more`;
}
