import fs from 'node:fs';
import path from 'node:path';
import { scanSync } from '../../src/sql/libpg.js';
import { afterAll, beforeAll } from 'vitest';
import type { AuditReport } from '../../src/report/audit-report.js';
import { auditSync } from '../../src/walker/audit.js';
import { openEmbeddedPostgres, replayMigrations } from '../../src/schema/replay.js';
import type { MigrationFile } from '../../src/schema/model.js';
import { parseSql } from '../../src/sql/parser.js';
import { sqlName } from '../../src/schema/names.js';
import { loadConfig } from '../../src/config/load.js';
import { readMigrations } from '../../src/schema/load.js';

// The runtime oracle: run each write site's SQL in real Postgres (PGlite) the way the app
// would, as a NOBYPASSRLS role under FORCE RLS, and see what Postgres does. Each run is one
// transaction, rolled back, over a freshly seeded row per table, so sites cannot interfere.

export const ORG = '00000000-0000-4000-8000-000000000001';
export const APP_ROLE = 'rls_oracle_app';
const ADMIN_ROLE = 'rls_oracle_admin';

type Db = Awaited<ReturnType<typeof openEmbeddedPostgres>> & {
  query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[]; affectedRows?: number }>;
  describeQuery(sql: string): Promise<{ queryParams: { dataTypeID: number }[] }>;
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
};

export type Shape = 'org-scope' | 'bypass' | 'none';

export interface Run {
  error: string | null;
  /** Gated tables whose rows changed (a row added, removed or rewritten). */
  changed: string[];
}

export interface Column {
  name: string;
  type: string;
  nullable: boolean;
  hasDefault: boolean;
  primaryKey: boolean;
  foreignKey: boolean;
}

export class Oracle {
  private constructor(
    private readonly db: Db,
    readonly tables: Map<string, Column[]>,
    readonly settings: readonly string[],
  ) {}

  static async create(migrations: MigrationFile[], gated: readonly string[]): Promise<Oracle> {
    const db = (await openEmbeddedPostgres()) as Db;
    const replay = await replayMigrations(migrations, db);
    if (replay.failures.length) throw new Error(`migrations did not replay: ${JSON.stringify(replay.failures)}`);
    const schemas = (await db.query<{ s: string }>(`SELECT DISTINCT table_schema AS s FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')`)).rows.map((r) => r.s);
    await db.exec(`CREATE ROLE ${APP_ROLE} NOLOGIN NOBYPASSRLS NOSUPERUSER; CREATE ROLE ${ADMIN_ROLE} NOLOGIN BYPASSRLS NOSUPERUSER;`);
    for (const s of schemas) {
      const q = sqlName(s);
      await db.exec(`GRANT USAGE ON SCHEMA ${q} TO ${APP_ROLE}, ${ADMIN_ROLE};
        GRANT ALL ON ALL TABLES IN SCHEMA ${q} TO ${APP_ROLE}, ${ADMIN_ROLE};
        GRANT ALL ON ALL SEQUENCES IN SCHEMA ${q} TO ${APP_ROLE}, ${ADMIN_ROLE};
        GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ${q} TO ${APP_ROLE}, ${ADMIN_ROLE};`);
    }
    // FORCE everywhere: even an owner could not slip past the policies.
    for (const t of gated) await db.exec(`ALTER TABLE ${sqlName(t)} FORCE ROW LEVEL SECURITY`);
    const cols = await db.query<{ t: string; name: string; type: string; nullable: boolean; has_default: boolean; pk: boolean; fk: boolean }>(`
      SELECT n.nspname || '.' || c.relname AS t, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
             NOT a.attnotnull AS nullable, a.atthasdef AS has_default,
             EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary AND a.attnum = ANY (i.indkey)) AS pk,
             EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'f' AND a.attnum = ANY (k.conkey)) AS fk
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid
      WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY c.oid, a.attnum`);
    const tables = new Map<string, Column[]>();
    for (const r of cols.rows) {
      const list = tables.get(r.t) ?? [];
      list.push({ name: r.name, type: r.type, nullable: r.nullable, hasDefault: r.has_default, primaryKey: r.pk, foreignKey: r.fk });
      tables.set(r.t, list);
    }
    // Every setting a policy reads: an org-scoped run sets them all (a verdict of org-scope
    // says the app set the one the written table's policies read).
    const read = await db.query<{ s: string }>(`SELECT DISTINCT lower((regexp_matches(coalesce(qual, '') || ' ' || coalesce(with_check, ''), 'current_setting\\(''([^'']+)''', 'g'))[1]) AS s FROM pg_policies`);
    const settings = [...new Set(['app.current_org_id', ...read.rows.map((r) => r.s)])].sort();
    return new Oracle(db, tables, settings);
  }

  /** The oracle of one fixture app: its migrations (as its config finds them) and the tables its report gates. */
  static async forApp(root: string, report: AuditReport): Promise<Oracle> {
    const loaded = loadConfig({ start: root });
    return Oracle.create(readMigrations(root, loaded.config).files, report.schema.gatedTables);
  }

  /** Runs setup SQL as the superuser (roles a fixture's connections log in as, their grants). */
  async prepare(sql: string): Promise<void> {
    await this.db.exec(sql);
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  /**
   * Runs one SQL text in a rolled-back transaction: seed a row per table (the inserted
   * tables excepted, so an insert cannot collide with its seed), switch to the role, set
   * the org context when the shape says so, run, and compare the gated tables' row versions.
   */
  async run(sql: string, shape: Shape, options: { skipSeed: readonly string[]; watch: readonly string[]; constants: readonly string[] }): Promise<Run> {
    const text = renumberHoles(sql);
    const single = (parseSql(text).ok && (parseSql(text) as { statements: unknown[] }).statements.length === 1) || false;
    let outcome: Run = { error: null, changed: [] };
    let params: unknown[] = [];
    try {
      params = single ? await this.paramValues(text) : [];
    } catch (error) {
      return { error: `cannot describe the statement: ${(error as Error).message}`, changed: [] };
    }
    try {
      await this.db.exec('BEGIN');
      await this.db.exec('SET LOCAL session_replication_role = replica'); // seeds skip FK checks and triggers
      for (const [table, columns] of this.tables) {
        if (options.skipSeed.includes(table)) continue;
        for (const [i, text] of ['x', ...options.constants].entries()) await this.seed(table, columns, text, i);
      }
      await this.db.exec('SET LOCAL session_replication_role = origin');
      const before = await this.versions(options.watch);
      await this.db.exec(`SET LOCAL ROLE ${shape === 'bypass' ? ADMIN_ROLE : APP_ROLE}`);
      if (shape === 'org-scope') for (const setting of this.settings) await this.db.query(`SELECT set_config($1, $2, true)`, [setting, ORG]);
      try {
        await this.db.exec('SAVEPOINT site');
        if (single) await this.db.query(text, params);
        else await this.db.exec(text);
      } catch (error) {
        outcome = { error: (error as Error).message, changed: [] };
        await this.db.exec('ROLLBACK TO SAVEPOINT site');
      }
      await this.db.exec('RESET ROLE');
      if (!outcome.error) {
        const after = await this.versions(options.watch);
        outcome.changed = options.watch.filter((t) => before.get(t) !== after.get(t));
      }
    } finally {
      await this.db.exec('ROLLBACK');
    }
    return outcome;
  }

  /**
   * Runs the statements one connection runs, in order, each as its own statement the way a
   * client with no BEGIN runs them (autocommit: a transaction-local setting dies with its
   * statement), as the app role or (`bypass`) the BYPASSRLS one. Seeds are committed first and
   * every table emptied after, so nothing outlives the run.
   */
  async runOnConnection(
    statements: readonly string[],
    shape: 'app' | 'bypass',
    options: { watch: readonly string[]; constants: readonly string[]; login?: string; setup?: readonly string[] },
  ): Promise<Run> {
    let outcome: Run = { error: null, changed: [] };
    await this.db.exec('BEGIN; SET LOCAL session_replication_role = replica');
    for (const [table, columns] of this.tables) for (const [i, text] of ['x', ...options.constants].entries()) await this.seed(table, columns, text, i);
    for (const st of options.setup ?? []) await this.db.exec(st);
    await this.db.exec('COMMIT');
    const before = await this.versions(options.watch);
    try {
      // `login`: the role the connection runs as, for policies on current_user (PGlite cannot undo
      // SET SESSION AUTHORIZATION, so session_user stays the superuser's).
      const role = options.login && shape === 'app' ? `"${options.login.replace(/"/g, '""')}"` : shape === 'bypass' ? ADMIN_ROLE : APP_ROLE;
      await this.db.exec(`SET ROLE ${role}`);
      for (const st of statements) await this.db.exec(st);
    } catch (error) {
      outcome = { error: (error as Error).message, changed: [] };
      await this.db.exec('ROLLBACK').catch(() => undefined);
    } finally {
      await this.db.exec('RESET ROLE');
    }
    if (!outcome.error) {
      const after = await this.versions(options.watch);
      outcome.changed = options.watch.filter((t) => before.get(t) !== after.get(t));
    }
    await this.db.exec(`RESET ALL; TRUNCATE ${[...this.tables.keys()].map(sqlName).join(', ')} CASCADE`);
    return outcome;
  }

  /** One row per type-uniform world: uuids are the org (or fresh for keys of extra rows), texts the given text. */
  private async seed(table: string, columns: Column[], text: string, index: number): Promise<void> {
    const names: string[] = [];
    const values: string[] = [];
    for (const c of columns) {
      // Nullable references stay empty, so deleting a parent row is not blocked by a seed.
      if ((c.hasDefault && !c.primaryKey && c.nullable) || (c.foreignKey && c.nullable)) continue;
      const v = seedValue(c, text, index);
      if (v === null) continue;
      names.push(`"${c.name}"`);
      values.push(v);
    }
    try {
      await this.db.exec('SAVEPOINT seed');
      await this.db.exec(`INSERT INTO ${sqlName(table)} (${names.join(', ')}) VALUES (${values.join(', ')}) ON CONFLICT DO NOTHING`);
    } catch {
      await this.db.exec('ROLLBACK TO SAVEPOINT seed'); // a check constraint the uniform row breaks: the table stays empty
    }
  }

  private async versions(tables: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const t of tables) {
      const r = await this.db.query<{ v: string | null }>(`SELECT count(*)::text || ':' || coalesce(string_agg(ctid::text || xmin::text, ',' ORDER BY ctid), '') AS v FROM ${sqlName(t)}`);
      out.set(t, r.rows[0]?.v ?? '');
    }
    return out;
  }

  private async paramValues(text: string): Promise<unknown[]> {
    const described = await this.db.describeQuery(text);
    return described.queryParams.map((p) => paramValue(p.dataTypeID));
  }
}

function seedValue(c: Column, text: string, index: number): string | null {
  const t = c.type;
  if (t === 'uuid') return c.primaryKey && index > 0 ? `'00000000-0000-4000-8000-${String(100 + index).padStart(12, '0')}'` : `'${ORG}'`;
  if (/^(big)?serial|^(small|big)?int|^integer|^numeric|^real|^double/.test(t)) return c.primaryKey && c.hasDefault ? null : c.primaryKey ? String(1 + index) : '1';
  if (t === 'boolean') return 'false';
  if (t === 'jsonb' || t === 'json') return `'{"seed": 1}'`;
  if (t.startsWith('timestamp') || t === 'date') return `'2000-01-01'`;
  if (t === 'text' || t.startsWith('character')) return `'${text.replace(/'/g, "''")}'`;
  return null;
}

// pg type OIDs of the parameters the oracle knows how to fill.
function paramValue(oid: number): unknown {
  switch (oid) {
    case 2950:
      return ORG;
    case 16:
      return true;
    case 20:
    case 21:
    case 23:
    case 1700:
    case 700:
    case 701:
      return 1;
    case 114:
    case 3802:
      return '{}';
    case 1082:
    case 1114:
    case 1184:
      return '2001-01-01';
    default:
      return 'x';
  }
}

/** Holes ($901…) become the next free parameter numbers, found with the Postgres scanner. */
export function renumberHoles(sql: string): string {
  const bytes = Buffer.from(sql);
  const tokens = scanSync(sql).tokens as { start: number; end: number; text: string }[];
  const params = tokens.filter((t) => /^\$\d+$/.test(t.text)).map((t) => ({ ...t, n: Number(t.text.slice(1)) }));
  let next = Math.max(0, ...params.filter((p) => p.n < 900).map((p) => p.n));
  const mapping = new Map<number, number>();
  let out = '';
  let at = 0;
  for (const t of tokens) {
    const p = params.find((x) => x.start === t.start);
    if (p && p.n >= 900) {
      if (!mapping.has(p.n)) mapping.set(p.n, ++next);
      out += bytes.subarray(at, p.start).toString() + `$${mapping.get(p.n)}`;
      at = p.end;
    } else if (t.text.startsWith("'") && t.text.includes('$90')) {
      // A value interpolated inside a string literal: the app fills it with a value, here the org.
      out += bytes.subarray(at, t.start).toString() + t.text.split(/\$9\d\d/).join(ORG);
      at = t.end;
    }
  }
  return out + bytes.subarray(at).toString();
}

/** String constants in the statement, so a seeded row can match `WHERE status = 'draft'`. */
export function stringConstants(sql: string): string[] {
  const tokens = scanSync(renumberHoles(sql)).tokens as { text: string }[];
  return [...new Set(tokens.filter((t) => t.text.startsWith("'") && t.text.endsWith("'")).map((t) => t.text.slice(1, -1).replace(/''/g, "'")))].filter((c) => c.length < 40 && !c.startsWith('app.') && !c.startsWith('{'));
}

export type Site = AuditReport['writeSites'][number];

/**
 * The SQL a fixture function sends before its write, in order (`c.query('SELECT set_config(…)')` lines from the
 * function's `export async function` to the write's line), each bind parameter replaced by `bound(line)`.
 */
export function setsBefore(lines: string[], line: number, bound: (l: string) => string = () => `'${ORG}'`): string[] {
  let start = line - 1;
  while (start > 0 && !lines[start]!.includes('export async function')) start--;
  const out: string[] = [];
  for (const l of lines.slice(start, line - 1)) {
    const m = /c\.query\((["'])(SELECT set_config\(.*?\))\1/.exec(l);
    if (m) out.push(m[2]!.replace(/\$\d+/g, bound(l)));
  }
  return out;
}

/**
 * Runs each write of `source` in Postgres in its own transaction after its function's sets (`setsBefore`), as the
 * app's NOBYPASSRLS role and with RLS bypassed, and holds the verdict to what Postgres does: a covered verdict
 * (org-scope, or admin-pool through a switch) changes what the bypassing run changes; an unscoped one fails on a
 * policy or changes less. The sites checked, for the caller to require both kinds of verdict.
 */
export async function eachWriteAlone(
  oracle: Oracle,
  report: AuditReport,
  options: { root: string; source: string; bound?: (l: string) => string },
  expect: (actual: unknown, message?: string) => { toEqual(v: unknown): void; toBeNull(): void; toBeGreaterThan(n: number): void },
): Promise<Site[]> {
  const lines = fs.readFileSync(path.join(options.root, options.source), 'utf8').split('\n');
  const watch = report.schema.gatedTables;
  const sites = report.writeSites.filter((s) => s.file === options.source);
  for (const site of sites) {
    expect(site.sql.length, `${site.line}`).toBeGreaterThan(0);
    const write = renumberHoles(site.sql[0]!).replace(/\$\d+/g, `'${ORG}'`);
    const constants = stringConstants(site.sql[0]!);
    const statements = ['BEGIN', ...setsBefore(lines, site.line, options.bound), write, 'COMMIT'];
    const app = await oracle.runOnConnection(statements, 'app', { watch, constants });
    const bypass = await oracle.runOnConnection(statements, 'bypass', { watch, constants });
    const where = `${options.source}:${site.line} ${statements.slice(1, -1).join('; ')}`;
    expect(bypass.error, where).toBeNull();
    expect(bypass.changed.length, `${where}: the write changes something with RLS bypassed`).toBeGreaterThan(0);
    const covered = app.error === null && app.changed.join() === bypass.changed.join();
    expect({ where, covered }).toEqual({ where, covered: site.coverage !== 'unscoped' });
  }
  return sites;
}

/**
 * A fixture app audited (static schema, no types) and its migrations in Postgres, for one describe block: registers
 * the set-up and the tear-down, and hands back the oracle and the report once set up. `prepare` runs after the
 * oracle is made (a GRANT the fixture's verdicts assume).
 */
export function appOracle(root: string, prepare?: (oracle: Oracle) => Promise<void>): {
  readonly oracle: Oracle;
  readonly report: AuditReport;
} {
  let oracle: Oracle | undefined;
  let report: AuditReport | undefined;
  beforeAll(async () => {
    report = auditSync({ paths: [root], types: false, schemaSource: 'static' });
    oracle = await Oracle.forApp(root, report);
    await prepare?.(oracle);
  }, 120_000);
  afterAll(async () => {
    await oracle?.close();
  });
  return {
    get oracle() {
      if (!oracle) throw new Error('the oracle is used before its set-up ran');
      return oracle;
    },
    get report() {
      if (!report) throw new Error('the report is used before its set-up ran');
      return report;
    },
  };
}

/** A PGlite database as the fixture-level oracles use it: `query` typed by its rows. */
export type FixtureDb = Omit<Awaited<ReturnType<typeof openEmbeddedPostgres>>, 'query'> & {
  query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[]; affectedRows?: number }>;
};

/**
 * A fixture app audited (static model) and its migrations replayed into a fresh PGlite, every statement applied, then
 * `setup` (roles, owners, grants); closed after the tests. Read `report` and `db` inside tests, not at collection.
 */
export function replayedFixture(
  root: string,
  setup: (db: FixtureDb) => Promise<void>,
): { readonly report: AuditReport; readonly db: FixtureDb } {
  let db: FixtureDb | undefined;
  let report: AuditReport | undefined;
  beforeAll(async () => {
    report = auditSync({ paths: [root], types: false, schemaSource: 'static' });
    db = (await openEmbeddedPostgres()) as FixtureDb;
    const replay = await replayMigrations(readMigrations(root, loadConfig({ start: root }).config).files, db);
    if (replay.failures.length)
      throw new Error(`the fixture's migrations did not replay: ${JSON.stringify(replay.failures)}`);
    await setup(db);
  }, 120_000);
  afterAll(async () => {
    await db?.close();
  });
  return {
    get report() {
      return report!;
    },
    get db() {
      return db!;
    },
  };
}
