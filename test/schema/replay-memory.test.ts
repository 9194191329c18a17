import { describe, expect, it } from 'vitest';
import { walCheckpoints } from '../../src/schema/pglite-settings.js';
import { openEmbeddedPostgres, replayMigrations } from '../../src/schema/replay.js';

// The replay's memory (docs/schema.md, "The replay's memory"): single-user Postgres never checkpoints by WAL volume,
// and PGlite keeps the WAL in the process's memory, so the replay asks for checkpoints itself as the WAL grows. The
// migrations' seed rows below write about 55 MB of WAL; without the checkpoints every segment of it stays.

const SEED = (n: number): string =>
  `INSERT INTO events (org_id, body) SELECT gen_random_uuid(), repeat('x', 200) FROM generate_series(1, ${n});`;

describe('the replay\'s WAL', () => {
  it('is checkpointed as it grows, between files and within a file, and the catalog is read as before', async () => {
    const db = await openEmbeddedPostgres();
    const asked = walCheckpoints.asked;
    try {
      const result = await replayMigrations(
        [
          {
            path: 'db/001_events.sql',
            text:
              'CREATE TABLE events (id bigserial PRIMARY KEY, org_id uuid NOT NULL, body text);\n' +
              'ALTER TABLE events ENABLE ROW LEVEL SECURITY;\n' +
              "CREATE POLICY events_org ON events USING (org_id = current_setting('app.org', true)::uuid);\n",
          },
          // One file of many statements: checked every 100 statements, not only at its end.
          { path: 'db/002_seed.sql', text: Array.from({ length: 600 }, () => SEED(200)).join('\n') },
          { path: 'db/003_more.sql', text: SEED(40_000) },
        ],
        db,
      );
      expect(result.failures).toEqual([]);
      // 002 writes about 40 MB in 600 statements, checked every 100: three checkpoints at least inside it (one only,
      // at its end, if it were checked between files alone), and 003 one more.
      expect(walCheckpoints.asked - asked).toBeGreaterThanOrEqual(4);
      expect(result.catalog.tables).toEqual([expect.objectContaining({ schema: 'public', name: 'events', rls: true })]);
      const { rows } = await db.query<{ mb: number }>(
        'SELECT (sum(size) / 1048576)::int AS mb FROM pg_ls_waldir()',
      );
      // 1 MB segments: what is left is what came after the last checkpoint, at most 8 MB, and the recycled ones.
      expect(rows[0]!.mb).toBeLessThanOrEqual(12);
    } finally {
      await db.close();
    }
  }, 120_000);

  it('is checkpointed during the retries in dependency order too', async () => {
    const db = await openEmbeddedPostgres();
    const asked = walCheckpoints.asked;
    try {
      // Every seed statement of 001 needs the table 002 creates: all 400 run as retries, after the files.
      const result = await replayMigrations(
        [
          { path: 'db/001_seed.sql', text: Array.from({ length: 400 }, () => SEED(400)).join('\n') },
          { path: 'db/002_events.sql', text: 'CREATE TABLE events (id bigserial, org_id uuid NOT NULL, body text);' },
        ],
        db,
      );
      expect(result.failures).toEqual([]);
      expect(result.retried).toHaveLength(400);
      // About 40 MB of WAL in the retries, checked every 100 of them: two checkpoints at least (none without).
      expect(walCheckpoints.asked - asked).toBeGreaterThanOrEqual(2);
    } finally {
      await db.close();
    }
  }, 120_000);
});
