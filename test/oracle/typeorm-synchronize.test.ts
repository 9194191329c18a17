import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditSync } from '../../src/walker/audit.js';
import { readMigrations } from '../../src/schema/load.js';
import { openEmbeddedPostgres, replayMigrations } from '../../src/schema/replay.js';
import { annotatedVerdicts, readExpectations, sourceFiles } from '../support/annotations.js';

// A schema TypeORM's synchronize makes (fixtures/layouts/typeorm-synchronize): the tables come from the entities, and
// the SQL file the setup script runs after synchronize() gates every table with a workspace_id column by a DO block
// over information_schema.columns. Postgres, given what rls-guard replays, says which writes the policies stop.

const ROOT = path.resolve(import.meta.dirname, '../../fixtures/layouts/typeorm-synchronize');
const WS = '00000000-0000-4000-8000-000000000001';

type Db = Awaited<ReturnType<typeof openEmbeddedPostgres>>;

describe('a synchronized TypeORM schema in Postgres', () => {
  let db: Db;
  beforeAll(async () => {
    db = await openEmbeddedPostgres();
    const replay = await replayMigrations(readMigrations(ROOT, {}).files, db);
    expect(replay.failures).toEqual([]);
    await db.exec('CREATE ROLE app NOLOGIN NOBYPASSRLS; GRANT ALL ON ALL TABLES IN SCHEMA public TO app;');
  }, 120_000);
  afterAll(async () => db?.close());

  /** One statement as the app, after the settings the write's function makes; rolled back. */
  const run = async (settings: boolean, sql: string): Promise<string> => {
    await db.exec('BEGIN; SET LOCAL ROLE app;');
    try {
      if (settings) await db.query("SELECT set_config('app.workspace_id', $1, true)", [WS]);
      const r = await db.query(sql, [WS]);
      return `ok ${(r as { affectedRows?: number }).affectedRows ?? r.rows.length}`;
    } catch (error) {
      return `failed: ${(error as Error).message}`;
    } finally {
      await db.exec('ROLLBACK');
    }
  };

  it('gates the entities with a workspace_id column, not the others', async () => {
    const insert = "INSERT INTO tickets (id, workspace_id, subject) VALUES (gen_random_uuid(), $1, 's')";
    expect(await run(true, insert)).toBe('ok 1');
    // Without the setting the policy's cast of '' to uuid fails: the write is refused either way.
    expect(await run(false, insert)).toMatch(/^failed: (new row violates row-level security|invalid input syntax)/);
    expect(await run(false, "INSERT INTO workspace (id, title) VALUES (gen_random_uuid(), $1::text)")).toBe('ok 1');
  });

  it('agrees with the verdicts', () => {
    const report = auditSync({ paths: [ROOT], types: false, schemaSource: 'replay' });
    const { actual, wanted } = annotatedVerdicts(report, readExpectations(ROOT, sourceFiles(ROOT)));
    expect(actual).toEqual(wanted);
    expect(report.writeSites.map((s) => `${s.tables.join()} ${s.coverage}`)).toEqual([
      'public.tickets org-scope',
      'public.queues unscoped',
      'public.workspace not-gated',
    ]);
  });
});
