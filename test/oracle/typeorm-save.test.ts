import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditSync } from '../../src/walker/audit.js';
import { openEmbeddedPostgres, replayMigrations } from '../../src/schema/replay.js';
import { annotatedVerdicts, readExpectations, sourceFiles } from '../support/annotations.js';

// TypeORM's `save` (fixtures/precision/typeorm-save): an entity that may exist is SELECTed by its key and UPDATEd, so
// a save is judged by the INSERT, UPDATE and SELECT policies unless the entity is provably new. The fixture's UPDATE
// policy reads another setting than its INSERT and SELECT policies; Postgres says what each side of a save does.

const ROOT = path.resolve(import.meta.dirname, '../../fixtures/precision/typeorm-save');
const ORG = '00000000-0000-4000-8000-000000000001';
const ROW = '00000000-0000-4000-8000-0000000000aa';

type Db = Awaited<ReturnType<typeof openEmbeddedPostgres>>;

describe('TypeORM save in Postgres', () => {
  let db: Db;
  beforeAll(async () => {
    db = await openEmbeddedPostgres();
    const text = fs.readFileSync(path.join(ROOT, 'db/migrations/001_schema.sql'), 'utf8');
    const replay = await replayMigrations([{ path: 'db/migrations/001_schema.sql', text }], db);
    expect(replay.failures).toEqual([]);
    await db.exec(`CREATE ROLE app NOLOGIN NOBYPASSRLS; GRANT ALL ON invoices TO app;
      ALTER TABLE invoices FORCE ROW LEVEL SECURITY;
      INSERT INTO invoices (id, org_id, status) VALUES ('${ROW}', '${ORG}', 'draft');`);
  }, 120_000);
  afterAll(async () => db?.close());

  /** The statements TypeORM sends for one side of a save, after the function's sets, as the app; rolled back. */
  const run = async (settings: string[], side: 'insert' | 'update'): Promise<string> => {
    await db.exec('BEGIN; SET LOCAL ROLE app;');
    try {
      for (const s of settings) await db.query('SELECT set_config($1, $2, true)', [s, ORG]);
      if (side === 'insert') {
        const r = await db.query(`INSERT INTO invoices (org_id, status) VALUES ($1, 'draft') RETURNING id`, [ORG]);
        return `inserted ${r.rows.length}`;
      }
      const found = await db.query('SELECT id FROM invoices WHERE id = $1', [ROW]);
      const r = await db.query(`UPDATE invoices SET status = 'sent' WHERE id = $1 RETURNING id`, [ROW]);
      return `found ${found.rows.length}, updated ${r.rows.length}`;
    } catch (error) {
      return `failed: ${(error as Error).message}`;
    } finally {
      await db.exec('ROLLBACK');
    }
  };

  it('a new entity is an INSERT: the org alone lets it through', async () => {
    expect(await run(['app.org_id'], 'insert')).toBe('inserted 1');
  });

  it('an entity that exists is a SELECT and an UPDATE: the org alone updates nothing, both settings update it', async () => {
    expect(await run(['app.org_id'], 'update')).toBe('found 1, updated 0');
    expect(await run(['app.org_id', 'app.editor_org_id'], 'update')).toBe('found 1, updated 1');
  });

  it('agrees with the verdicts: covered only where both sides are, or where the entity is provably new', () => {
    const report = auditSync({ paths: [ROOT], types: false, schemaSource: 'static' });
    const { actual, wanted } = annotatedVerdicts(report, readExpectations(ROOT, sourceFiles(ROOT)));
    expect(actual).toEqual(wanted);
    expect(report.writeSites.map((s) => `${s.line} ${s.coverage}`)).toEqual([
      '18 org-scope',
      '23 org-scope',
      '34 unscoped',
      '46 org-scope',
      '56 unscoped',
      '61 unscoped',
      '63 unscoped',
    ]);
    const sent = report.findings.find((f) => f.line === 34)!;
    expect(sent.message).toContain('app.editor_org_id');
  });
});
