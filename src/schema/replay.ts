import { parseSql, recoverPieces } from '../sql/parser.js';
import { bootCluster } from './cluster-cache.js';
import { type Catalog, type CatalogLocations, readCatalog } from './catalog.js';
import { buildModel, lineIndex, type MigrationFile } from './model.js';

// Replays migrations in an embedded Postgres (PGlite: real Postgres compiled to WASM, no
// server) and reads the resulting catalog. This sees what a static reading cannot: DO
// blocks that EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t), functions
// created by other functions, defaults and owners as Postgres resolves them.

export interface ReplayFailure {
  file: string;
  line: number;
  /** The statement, shortened for messages. */
  statement: string;
  reason: string;
  /** Tables and functions the statement touches (by a static reading): their facts fall back to it. */
  objects: string[];
}

export interface ReplayResult {
  catalog: Catalog;
  locations: CatalogLocations;
  failures: ReplayFailure[];
  /**
   * Statements that failed for want of an object (a table, function, schema or type) a later migration creates, and
   * ran when retried after every migration: the replay's dependency order.
   */
  retried: { file: string; line: number }[];
  /**
   * Statements that create a table, index or column another migration already created (a baseline of table files
   * beside alterations that bring an older database to it): what they ask for exists, nothing of RLS is lost.
   */
  existing: { file: string; line: number }[];
  /** Roles the migrations referenced that the environment would provide; created NOLOGIN to go on. */
  providedRoles: string[];
  durationMs: number;
}

interface Db {
  exec(sql: string): Promise<unknown>;
  query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
  close(): Promise<void>;
}

/** A fresh PGlite with the contrib extensions migrations commonly create (booted from the machine's dump). */
export async function openEmbeddedPostgres(): Promise<Db> {
  const { PGlite } = await import('@electric-sql/pglite');
  const extensions: Record<string, unknown> = {};
  for (const [name, mod] of [
    ['pgcrypto', 'pgcrypto'],
    ['uuid_ossp', 'uuid_ossp'],
    ['citext', 'citext'],
    ['pg_trgm', 'pg_trgm'],
    ['btree_gist', 'btree_gist'],
    ['hstore', 'hstore'],
  ] as const) {
    try {
      extensions[name] = ((await import(`@electric-sql/pglite/contrib/${mod}`)) as Record<string, unknown>)[name];
    } catch {
      // an extension this PGlite build lacks: CREATE EXTENSION fails and is reported
    }
  }
  return bootCluster<Db & { dumpDataDir(compression: 'gzip'): Promise<Blob> }>(PGlite as never, extensions);
}

const INERT = new Set([
  'InsertStmt',
  'UpdateStmt',
  'DeleteStmt',
  'CopyStmt',
  'IndexStmt',
  'GrantStmt',
  'GrantRoleStmt',
  'CommentStmt',
  'VacuumStmt',
  'ExplainStmt',
  'NotifyStmt',
  'CreateSeqStmt',
  'AlterSeqStmt',
  'ViewStmt',
]);

/**
 * Errors that say an object the statement needs does not exist yet: undefined table (42P01), column (42703),
 * function (42883), object (42704: a type), schema (3F000). Such a statement is retried after the other migrations.
 */
const MISSING = new Set(['42P01', '42703', '42883', '42704', '3F000']);

/**
 * Errors that say what the statement creates exists already: a relation (42P07: a table, an index, a sequence) or a
 * column (42701). Neither carries RLS facts (ENABLE, FORCE, policies and functions are statements of their own), so the
 * statement is noted, not a gap. A policy or function that exists already (42710, 42723) may differ: still a failure.
 */
const EXISTS = new Set(['42P07', '42701']);

/** Retry rounds: each runs the statements still missing something, in their order, while one of them succeeds. */
const MAX_ROUNDS = 8;

interface Deferred {
  at: { file: string; line: number };
  text: string;
  inert: boolean;
  reason?: string;
}

const TRACK_TABLES = `SELECT n.nspname || '.' || c.relname AS name, c.relrowsecurity AS rls,
    c.relforcerowsecurity AS force
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')`;
const TRACK_FUNCTIONS = `SELECT n.nspname || '.' || p.proname AS name, p.xmin::text AS version
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')`;

export async function replayMigrations(files: readonly MigrationFile[], db?: Db): Promise<ReplayResult> {
  const started = performance.now();
  const pg = db ?? (await openEmbeddedPostgres());
  const failures: ReplayFailure[] = [];
  const retried: { file: string; line: number }[] = [];
  const existing: { file: string; line: number }[] = [];
  const providedRoles = new Set<string>();
  const locations: CatalogLocations = { tables: {}, functions: {} };
  let tables = new Map<string, { rls: boolean; force: boolean }>();
  let functions = new Map<string, string>();
  try {
    /** What changed, and where: the evidence a finding cites, even for a DO block. */
    const track = async (at: { file: string; line: number }): Promise<void> => {
      const nowTables = new Map(
        (await pg.query<{ name: string; rls: boolean; force: boolean }>(TRACK_TABLES)).rows.map((r) => [r.name, r]),
      );
      for (const [name, t] of nowTables) {
        const before = tables.get(name);
        const loc = (locations.tables[name] ??= {});
        if (!before) loc.createdAt = at;
        if (t.rls && !before?.rls) loc.enabledAt = at;
        if (t.force && !before?.force) loc.forcedAt = at;
      }
      tables = nowTables;
      const nowFunctions = new Map(
        (await pg.query<{ name: string; version: string }>(TRACK_FUNCTIONS)).rows.map((r) => [r.name, r.version]),
      );
      for (const [name, version] of nowFunctions) if (functions.get(name) !== version) locations.functions[name] = at;
      functions = nowFunctions;
    };
    const failed = (d: Deferred, reason: string): void => {
      const touched = buildModel([{ path: d.at.file, text: d.text }]);
      failures.push({
        ...d.at,
        statement: shorten(d.text),
        reason,
        objects: [...touched.tables.keys(), ...touched.functions.keys()],
      });
    };
    const deferred: Deferred[] = [];
    for (const file of files) {
      const lineAt = lineIndex(file.text);
      // A lexing error loses only its own statements (the static reading reports them).
      for (const piece of recoverPieces(file.text).pieces) {
        const at = { file: file.path, line: lineAt(piece.offset) };
        const parsed = parseSql(piece.text);
        // Each statement runs on its own so that one failure cannot abort the rest; the
        // migrations' own BEGIN/COMMIT would only stretch an aborted transaction.
        if (parsed.ok && parsed.statements.every((s) => 'TransactionStmt' in s.stmt)) continue;
        const inert = parsed.ok && parsed.statements.every((st) => INERT.has(Object.keys(st.stmt)[0]!));
        const error = await execWithProvidedRoles(pg, piece.text, providedRoles);
        if (error) {
          // A statement that needs an object a later migration creates is retried after them (dependency order).
          if (MISSING.has(error.code ?? '')) deferred.push({ at, text: piece.text, inert, reason: error.message });
          else if (EXISTS.has(error.code ?? '')) existing.push(at);
          else failed({ at, text: piece.text, inert }, error.message);
          continue;
        }
        // Statements that cannot change tables' RLS or functions (seed data, indexes, grants,
        // comments) skip the catalog check: migrations can hold thousands of them. A SELECT
        // is checked: it may call a function that runs DDL (SELECT enable_rls_everywhere()).
        if (!inert) await track(at);
      }
    }
    // Rounds over what is still missing while a round runs something: a chain of N files in the wrong order needs N.
    // (Each round keeps what still fails in a new list: removing from the list in place was quadratic in its length.)
    let waiting = deferred;
    for (let round = 0; round < MAX_ROUNDS && waiting.length > 0; round++) {
      const still: Deferred[] = [];
      let ran = 0;
      for (const d of waiting) {
        const error = await execWithProvidedRoles(pg, d.text, providedRoles);
        if (error && EXISTS.has(error.code ?? '')) {
          existing.push(d.at);
        } else if (error) {
          d.reason = error.message;
          still.push(d);
        } else {
          retried.push(d.at);
          ran++;
          if (!d.inert) await track(d.at);
        }
      }
      waiting = still;
      if (ran === 0) break;
    }
    for (const d of waiting) failed(d, d.reason!);
    const catalog = await readCatalog((text) => pg.query(text));
    return {
      catalog,
      locations,
      failures,
      retried,
      existing,
      providedRoles: [...providedRoles].sort(),
      durationMs: performance.now() - started,
    };
  } finally {
    if (!db) await pg.close();
  }
}

/**
 * Runs one statement. A role the deployment provides (GRANT … TO app_user) does not exist in
 * a fresh database: create it without login and retry, rather than losing the statement.
 */
async function execWithProvidedRoles(
  pg: Db,
  sql: string,
  provided: Set<string>,
): Promise<{ message: string; code?: string } | null> {
  for (let attempt = 0; attempt < 8; attempt++) {
    try {
      await pg.exec(sql);
      return null;
    } catch (error) {
      const e = error as { message?: string; code?: string };
      const role = e.code === '42704' ? /^role "(.+)" does not exist$/.exec(e.message ?? '')?.[1] : undefined;
      if (!role || provided.has(role))
        return { message: e.message ?? String(error), ...(e.code && !role ? { code: e.code } : {}) };
      provided.add(role);
      await pg.query(`CREATE ROLE "${role.replace(/"/g, '""')}" NOLOGIN`);
    }
  }
  return { message: 'too many missing roles' };
}

function shorten(sql: string): string {
  // pg_dump heads every statement with `-- Name: …; Type: …` lines: the message quotes the statement.
  const lines = sql.trim().split('\n');
  const start = lines.findIndex((l) => l.trim() !== '' && !l.trim().startsWith('--'));
  const one = (start < 0 ? lines : lines.slice(start)).join('\n').trim().split(/\s+/).join(' ');
  return one.length > 160 ? `${one.slice(0, 157)}…` : one;
}
