// The replay's PGlite memory settings (docs/schema.md, "The replay's memory"). PGlite is Postgres in one WebAssembly
// process: single-user mode, its data directory held in the process's memory (Emscripten's MEMFS), fsync already off.
// None of these settings can change what the catalog says (they are memory and WAL knobs, read by no migration and no
// catalog query); they change how much memory the replay's process touches. WebAssembly memory never shrinks, so what
// counts is the peak (measured in docs/performance.md, replay28).

/**
 * `-c` settings after PGlite's own start parameters (a later `-c` of the same name wins):
 * - shared_buffers: Postgres allocates and zeroes its shared memory at start inside the WebAssembly heap, so the buffer
 *   pool is resident from the boot on; PGlite's 128 MB default grew the heap to 189 MB. A page evicted from 16 MB goes
 *   to the data directory, which is memory too: a copy, not a disk read.
 * - full_page_writes, wal_level=minimal (with max_wal_senders=0, which minimal requires): the WAL of a single-user
 *   Postgres is never checkpointed by volume (only a postmaster's checkpointer does that), so every segment written
 *   stays in memory until the end; no crash recovery is ever asked of this throwaway cluster.
 * - maintenance_work_mem: CREATE INDEX on a migration's seed rows sorts in it, and the heap it grows stays grown.
 * - min_wal_size, max_wal_size: how much WAL a checkpoint keeps for reuse; the replay asks for the checkpoints itself
 *   (`walCheckpointer`): single-user Postgres never does by volume.
 */
export const REPLAY_SETTINGS: readonly (readonly [string, string])[] = [
  ['shared_buffers', '16MB'],
  ['full_page_writes', 'off'],
  ['wal_level', 'minimal'],
  ['max_wal_senders', '0'],
  ['maintenance_work_mem', '8MB'],
  // What a checkpoint keeps of the WAL for reuse (below): the least Postgres allows, two segments.
  ['min_wal_size', '2MB'],
  ['max_wal_size', '8MB'],
];

/**
 * initdb's arguments (after PGlite's own): 1 MB WAL segments instead of 16 MB (the fresh cluster's one segment is 16 MB
 * of a 40 MB data directory, copied four or five times while a dump loads: ours, the Blob, PGlite's ArrayBuffer, the
 * untarred entries, the in-memory files), and the same buffer pool for the bootstrap backend initdb runs in a second
 * PGlite instance. They shape the cluster, so they are part of the machine's dump key (cluster-cache.ts).
 */
export const INITDB_ARGS: readonly string[] = ['--wal-segsize=1', '-c', 'shared_buffers=16MB'];

/** PGlite's start parameters with ours after them. */
export function replayStartParams(defaults: readonly string[]): string[] {
  return [...defaults, ...REPLAY_SETTINGS.flatMap(([name, value]) => ['-c', `${name}=${value}`])];
}

/** WAL written since the last checkpoint that makes the replay ask for one. */
export const CHECKPOINT_AFTER_BYTES = 8 * 1024 * 1024;

interface Queryable {
  query<T>(sql: string): Promise<{ rows: T[] }>;
  exec(sql: string): Promise<unknown>;
}

/** Where the WAL is, in bytes from its start. */
const WAL_POSITION = `SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::text AS at`;

/** The checkpoints the replays of this process asked for: for tests. */
export const walCheckpoints = { asked: 0 };

/**
 * A check the replay runs between statements: when the WAL has grown by CHECKPOINT_AFTER_BYTES since the last
 * checkpoint, CHECKPOINT, so Postgres removes the segments before it (kept in memory otherwise: Oppsera's 349
 * migrations left 74 MB of WAL). A checkpoint writes dirty buffers to the data directory and changes no catalog row;
 * it also runs inside a transaction block. Counted in `checkpoints` for the figures.
 */
export function walCheckpointer(pg: Queryable): { check(): Promise<void>; checkpoints: number } {
  let since: bigint | undefined;
  const state = {
    checkpoints: 0,
    async check(): Promise<void> {
      // A memory lever only: whatever fails here (a transaction a migration left aborted) must not fail the replay.
      try {
        const { rows } = await pg.query<{ at: string }>(WAL_POSITION);
        const at = BigInt(rows[0]!.at.split('.')[0]!);
        if (since === undefined) since = at;
        if (at - since < BigInt(CHECKPOINT_AFTER_BYTES)) return;
        await pg.exec('CHECKPOINT');
        state.checkpoints++;
        walCheckpoints.asked++;
        since = at;
      } catch {
        // no checkpoint: the WAL stays, as before
      }
    },
  };
  return state;
}
