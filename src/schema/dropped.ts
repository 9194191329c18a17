import type { DroppedTable, RlsModel, TableState } from './types.js';

// Tables a migration dropped while their RLS was enabled (model.ts records them). A migrations folder can hold a
// teardown script beside the migrations (`cleanup.sql`: DROP SCHEMA app CASCADE), replayed last in name order; code
// that still writes such a table reaches the table the migrations before the drop describe, so it is judged as it
// stood then, never as a table with no row-level security.

/** Tables dropped with RLS enabled that the model does not hold again (a later migration did not recreate them). */
export function droppedTables(model: RlsModel): Map<string, DroppedTable> {
  return new Map([...(model.dropped ?? [])].filter(([name]) => !model.tables.has(name)));
}

/** Their states as they stood before the drop. */
export function droppedStates(model: RlsModel): TableState[] {
  return [...droppedTables(model).values()].map((d) => d.before);
}
