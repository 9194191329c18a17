import { type Catalog, modelFromCatalog } from './catalog.js';
import { collectPolicySettings } from './model.js';
import type { ReplayResult } from './replay.js';
import { replayGaps } from './replay-gaps.js';
import type { RlsModel, SchemaSource } from './types.js';

// Assembling the model from the source that saw the most: the catalog of a replay or a live
// database, with the static reading standing in wherever the replay could not go.

/**
 * The replayed catalog, except for objects a failed statement touched: for those the
 * static reading of the migrations is the better witness (the statement never ran).
 */
export function replayedModel(replay: ReplayResult, staticModel: RlsModel, ref: string): RlsModel {
  const model = modelFromCatalog(replay.catalog, {
    locations: replay.locations,
    fallback: staticModel,
    sourceRef: ref,
    files: staticModel.files,
  });
  const fallback = new Set(replay.failures.flatMap((f) => f.objects));
  for (const name of fallback) {
    const table = staticModel.tables.get(name);
    if (table) model.tables.set(name, table);
    else if (!staticModel.functions.has(name)) model.tables.delete(name);
    const fn = staticModel.functions.get(name);
    if (fn) model.functions.set(name, fn);
    else if (!table) model.functions.delete(name);
  }
  // The replay's catalog holds no trace of a dropped table: the static reading's record of it stands.
  if (staticModel.dropped?.size) model.dropped = staticModel.dropped;
  model.policySettings = collectPolicySettings(model);
  // The replay's own superuser (`postgres`, the role it ran as) is a development default no file declares: it counts as
  // bypassing RLS only with the attributes a migration gives it, as the static reading (and deploy-login.ts) reads it.
  const declared = new Map((staticModel.roles ?? []).map((r) => [r.name, r]));
  model.roles = replay.catalog.roles.map((r) =>
    r.name !== replay.catalog.currentUser
      ? r
      : { name: r.name, superuser: declared.get(r.name)?.superuser ?? false,
        bypassRls: declared.get(r.name)?.bypassRls ?? false },
  );
  model.migrationRole = replay.catalog.currentUser;
  model.diagnostics = [
    ...staticModel.diagnostics,
    ...replayGaps(replay.failures),
    ...notesPerFile(replay.retried ?? [], (n, lines) =>
      `replayed in dependency order: ${n} statement(s) (${lines}) need an object a later migration creates, and ran ` +
      `after the other migrations`),
    ...notesPerFile(replay.existing ?? [], (n, lines) =>
      `${n} statement(s) (${lines}) create a table, index or column another migration created already: skipped ` +
      `(no row level security fact is lost)`),
    ...notesPerFile(replay.copies ?? [], (n, lines) =>
      `${n} COPY statement(s) (${lines}) move rows through the client: not run, as their rows are not in the ` +
      `statement (a dump's \`COPY … FROM stdin\` would wait for them); no row level security fact is lost`),
  ];
  const sources: SchemaSource[] = [{ kind: 'migrations', ref, method: 'replay' }];
  if (fallback.size) sources.push({ kind: 'migrations', ref, method: 'static', facts: [...fallback].sort() });
  model.sources = sources;
  return model;
}

export function databaseModel(catalog: Catalog, staticModel: RlsModel, ref: string): RlsModel {
  const model = modelFromCatalog(catalog, { fallback: staticModel, sourceRef: ref });
  model.policySettings = collectPolicySettings(model);
  model.roles = catalog.roles;
  model.connectedAs = catalog.currentUser;
  model.sources = [{ kind: 'database', ref, method: 'database' }];
  return model;
}

/** One note per file for statements the replay ran out of order or skipped, naming their lines. */
function notesPerFile(
  at: readonly { file: string; line: number }[],
  message: (count: number, lines: string) => string,
): RlsModel['diagnostics'] {
  const byFile = new Map<string, number[]>();
  for (const r of at) byFile.set(r.file, [...(byFile.get(r.file) ?? []), r.line]);
  return [...byFile].map(([file, lines]) => ({
    file,
    line: lines[0]!,
    message: message(lines.length, `line ${lines.slice(0, 5).join(', ')}${lines.length > 5 ? ', …' : ''}`),
  }));
}
