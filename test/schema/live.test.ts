import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { loadConfig } from '../../src/config/load.js';
import { readMigrations } from '../../src/schema/load.js';
import { auditSync } from '../../src/walker/audit.js';
import { startPostgres } from '../support/postgres-server.js';

// The live-database source against a real PostgreSQL server: the same catalog queries as
// the replay, so a database migrated with the example app's migrations must give the same
// model and the same verdicts; and `schema --check` notices when the database drifts.

const EXAMPLE = path.resolve(import.meta.dirname, '../../fixtures/example-app');
const found = await startPostgres();
if (!found.ok) console.warn(`skipping the live-database tests: ${found.why}`);

describe.skipIf(!found.ok)('a live PostgreSQL database as the schema source', () => {
  let url = '';
  const dbName = `rls_guard_live_${process.pid}`;
  const admin = (): pg.Client => new pg.Client({ connectionString: found.ok ? found.server.url : '' });

  beforeAll(async () => {
    const c = admin();
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${dbName}`);
    await c.query(`CREATE DATABASE ${dbName}`);
    await c.end();
    const u = new URL(found.ok ? found.server.url : '');
    u.pathname = `/${dbName}`;
    url = u.toString();
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    for (const m of readMigrations(EXAMPLE, loadConfig({ start: EXAMPLE }).config).files) await db.query(m.text);
    await db.end();
  }, 60_000);

  afterAll(async () => {
    if (!found.ok) return;
    const c = admin();
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${dbName}`);
    await c.end();
    found.server.stop();
  });

  it('reads the same model and gives the same verdicts as the embedded replay', () => {
    // A password in the URL (the cluster trusts loopback, so any will do) never reaches the report.
    const withPassword = new URL(url);
    withPassword.password = 's3cret';
    const live = auditSync({ paths: [EXAMPLE], types: false, databaseUrl: withPassword.toString() });
    const replayed = auditSync({ paths: [EXAMPLE], types: false, schemaSource: 'replay' });
    expect(live.schema.sources[0]).toMatchObject({ kind: 'database', method: 'database' });
    expect(live.schema.sources[0]!.ref).not.toContain('s3cret');
    expect(live.schema.sources[0]!.ref).toContain(':***@');
    expect(live.schema.gatedTables).toEqual(replayed.schema.gatedTables);
    expect(live.schema.forcedTables).toEqual(replayed.schema.forcedTables);
    expect(live.schema.securityDefinerFunctions).toEqual(replayed.schema.securityDefinerFunctions);
    const verdicts = (r: typeof live) => r.writeSites.map((s) => `${s.file}:${s.line} ${s.coverage}`);
    expect(verdicts(live)).toEqual(verdicts(replayed));
  }, 60_000);

  it('schema --check passes on a fresh snapshot and fails when the database drifts', async () => {
    const snapshot = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-snap-')), 'schema.json');
    const io = { out: (t: string) => (output += t), err: (t: string) => (output += t), isTTY: false };
    let output = '';
    expect(main(['schema', EXAMPLE, '--database-url', url, '--write', snapshot], io)).toBe(0);
    expect(main(['schema', EXAMPLE, '--database-url', url, '--check', snapshot], io)).toBe(0);
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    await db.query('ALTER TABLE notes DISABLE ROW LEVEL SECURITY');
    await db.end();
    output = '';
    expect(main(['schema', EXAMPLE, '--database-url', url, '--check', snapshot], io)).toBe(1);
    expect(output).toContain('~ table public.notes');
  }, 60_000);

  it('fails the run (exit 2) with the reason when the database cannot be reached', () => {
    let err = '';
    const code = main(['audit', EXAMPLE, '--database-url', 'postgres://nobody@127.0.0.1:1/none'], { out: () => {}, err: (t) => (err += t), isTTY: false });
    expect(code).toBe(2);
    expect(err).toMatch(/cannot introspect the database: .*ECONNREFUSED/);
  }, 60_000);
});
