import { parseSql, recoverPieces } from '../sql/parser.js';
import { bootCluster } from './cluster-cache.js';
import { type Catalog, type CatalogLocations, readCatalog } from './catalog.js';
import { beat } from './heartbeat.js';
import { buildModel, lineIndex, type MigrationFile } from './model.js';
import { walCheckpointer } from './pglite-settings.js';
import { replayNote, replayStatsOn, replayStep, replayStepsReport } from './replay-stats.js';

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
  /**
   * `COPY` statements, not run: a dump's `COPY t FROM stdin` is followed by its rows in the psql script, which a
   * statement on its own does not carry, and PGlite then waits for them without end (kurrier's baikal.sql held the
   * schema worker until its 120 s guard). They move rows; no row level security fact is in them.
   */
  copies?: { file: string; line: number }[];
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

/** Statements between two checks of the WAL's growth (walCheckpointer), within a file. */
const CHECK_EVERY = 100;

/** Retry rounds: each runs the statements still missing something, in their order, while one of them succeeds. */
const MAX_ROUNDS = 8;

interface Deferred {
  at: { file: string; line: number };
  text: string;
  inert: boolean;
  reason?: string;
  /** Its place in the files' order. */
  seq: number;
  /** It undoes something (below). */
  removes: boolean;
}

/**
 * Statements that undo: DROP, RENAME, REVOKE, ALTER TABLE … DISABLE ROW LEVEL SECURITY / NO FORCE / DROP COLUMN or
 * CONSTRAINT and the like. Retried after the migrations, such a statement removes what a later one made.
 */
const REMOVE_KINDS = new Set(['DropStmt', 'RenameStmt', 'DropOwnedStmt', 'ReassignOwnedStmt', 'DropRoleStmt']);
const REMOVING_SUBTYPES = new Set(['AT_DropColumn', 'AT_DropConstraint', 'AT_DisableRowSecurity',
  'AT_NoForceRowSecurity', 'AT_DropNotNull', 'AT_DropExpression', 'AT_DropIdentity', 'AT_DropInherit', 'AT_DropOf']);

function removes(node: Record<string, unknown>): boolean {
  const kind = Object.keys(node)[0]!;
  const body = node[kind] as Record<string, unknown>;
  if (REMOVE_KINDS.has(kind)) return true;
  if (kind === 'GrantStmt' || kind === 'GrantRoleStmt') return !body.is_grant;
  if (kind !== 'AlterTableStmt') return false;
  return ((body.cmds as Record<string, unknown>[] | undefined) ?? []).some((c) =>
    REMOVING_SUBTYPES.has(((c.AlterTableCmd as Record<string, unknown> | undefined)?.subtype as string) ?? ''),
  );
}

/**
 * The RLS flags an ALTER TABLE sets, as `rls|schema.table` / `force|schema.table` → value (an unqualified table is
 * read in `public`), whether or not the flag had that value already.
 */
function flagSets(node: Record<string, unknown>): [string, boolean][] {
  const body = node.AlterTableStmt as Record<string, unknown> | undefined;
  const rel = body?.relation as { schemaname?: string; relname?: string } | undefined;
  if (!body || !rel?.relname) return [];
  const table = `${rel.schemaname ?? 'public'}.${rel.relname}`;
  const out: [string, boolean][] = [];
  for (const c of (body.cmds as Record<string, unknown>[] | undefined) ?? []) {
    const subtype = (c.AlterTableCmd as Record<string, unknown> | undefined)?.subtype;
    if (subtype === 'AT_EnableRowSecurity' || subtype === 'AT_DisableRowSecurity')
      out.push([`rls|${table}`, subtype === 'AT_EnableRowSecurity']);
    if (subtype === 'AT_ForceRowSecurity' || subtype === 'AT_NoForceRowSecurity')
      out.push([`force|${table}`, subtype === 'AT_ForceRowSecurity']);
  }
  return out;
}

/** Errors of a statement that cannot run inside a transaction block: retried outside one. */
const NO_TRANSACTION = new Set(['25001', '2D000']);

const TRACK_TABLES = `SELECT n.nspname || '.' || c.relname AS name, c.relrowsecurity AS rls,
    c.relforcerowsecurity AS force
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')`;
const TRACK_FUNCTIONS = `SELECT n.nspname || '.' || p.proname AS name, p.xmin::text AS version
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')`;

export async function replayMigrations(files: readonly MigrationFile[], db?: Db): Promise<ReplayResult> {
  const started = performance.now();
  replayStep('boot (PGlite, from the cluster dump or initdb)');
  const pg = db ?? (await openEmbeddedPostgres());
  beat();
  replayStep('the migrations, statement by statement');
  const failures: ReplayFailure[] = [];
  const retried: { file: string; line: number }[] = [];
  const existing: { file: string; line: number }[] = [];
  const copies: { file: string; line: number }[] = [];
  const providedRoles = new Set<string>();
  const locations: CatalogLocations = { tables: {}, functions: {} };
  let tables = new Map<string, { rls: boolean; force: boolean }>();
  let functions = new Map<string, string>();
  try {
    // The order of effects: a statement retried after the migrations runs after statements that followed it in the
    // files. Right when it only needed what they create; wrong when a later statement already set an RLS flag it sets
    // to the other value (an ENABLE a later file DISABLEs), or when it undoes (a DROP or REVOKE of what a later file
    // creates: in the files' order it finds nothing). Flags are compared as observed in the catalog, DO blocks too.
    /** The last statement, by its place in the files' order, that changed each table's flag (`rls|t`, `force|t`). */
    const flagSetBy = new Map<string, { seq: number; at: { file: string; line: number }; on: boolean }>();
    const readTables = async () =>
      new Map(
        (await pg.query<{ name: string; rls: boolean; force: boolean }>(TRACK_TABLES)).rows.map((r) => [r.name, r]),
      );
    /** The flags of tables that existed before that `now` sets otherwise, as `rls|t` / `force|t` → value. */
    const flagChanges = (now: Map<string, { rls: boolean; force: boolean }>): Map<string, boolean> => {
      const out = new Map<string, boolean>();
      for (const [name, t] of now) {
        const before = tables.get(name);
        if (!before) continue;
        if (before.rls !== t.rls) out.set(`rls|${name}`, t.rls);
        if (before.force !== t.force) out.set(`force|${name}`, t.force);
      }
      return out;
    };
    const setFlag = (key: string, on: boolean, place: number, at: { file: string; line: number }): void => {
      const last = flagSetBy.get(key);
      if (!last || last.seq <= place) flagSetBy.set(key, { seq: place, at, on });
    };
    /** What changed, and where: the evidence a finding cites, even for a DO block. */
    const track = async (at: { file: string; line: number }, place: number, text: string): Promise<void> => {
      const nowTables = await readTables();
      // The flags it sets: as observed (a DO block's too), and as an ALTER TABLE says (a DISABLE of a table not
      // enabled changes nothing, yet an ENABLE retried after it must not end enabled).
      for (const [key, on] of flagChanges(nowTables)) setFlag(key, on, place, at);
      const parsed = parseSql(text);
      if (parsed.ok)
        for (const st of parsed.statements)
          for (const [key, on] of flagSets(st.stmt as Record<string, unknown>)) setFlag(key, on, place, at);
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
    let seq = 0;
    // The WAL is checked after each file and every CHECK_EVERY statements (a file of seed rows can be megabytes).
    const wal = walCheckpointer(pg);
    await wal.check();
    let session: string | undefined;
    for (const file of files) {
      // psql runs each file in a session of its own: what one file SETs (a dump's set_config('search_path', '', false),
      // a SET ROLE) must not reach the next one's statements. A file another includes runs in the including file's.
      const key = file.session ?? file.path;
      if (session !== undefined && key !== session) await newSession(pg);
      session = key;
      const lineAt = lineIndex(file.text);
      // A lexing error loses only its own statements (the static reading reports them).
      for (const piece of recoverPieces(file.text).pieces) {
        const at = { file: file.path, line: lineAt(piece.offset) };
        const parsed = parseSql(piece.text);
        // Each statement runs on its own so that one failure cannot abort the rest; the
        // migrations' own BEGIN/COMMIT would only stretch an aborted transaction.
        if (parsed.ok && parsed.statements.every((s) => 'TransactionStmt' in s.stmt)) continue;
        if (parsed.ok && parsed.statements.length && parsed.statements.every((st) => 'CopyStmt' in st.stmt)) {
          copies.push(at);
          continue;
        }
        const inert = parsed.ok && parsed.statements.every((st) => INERT.has(Object.keys(st.stmt)[0]!));
        const place = ++seq;
        const error = await execWithProvidedRoles(pg, piece.text, providedRoles);
        if (error) {
          // A statement that needs an object a later migration creates is retried after them (dependency order).
          if (MISSING.has(error.code ?? '')) {
            const undoes = parsed.ok && parsed.statements.some((st) => removes(st.stmt as Record<string, unknown>));
            deferred.push({ at, text: piece.text, inert, reason: error.message, seq: place, removes: undoes });
          } else if (EXISTS.has(error.code ?? '')) existing.push(at);
          else failed({ at, text: piece.text, inert, seq: place, removes: false }, error.message);
          continue;
        }
        // Statements that cannot change tables' RLS or functions (seed data, indexes, grants,
        // comments) skip the catalog check: migrations can hold thousands of them. A SELECT
        // is checked: it may call a function that runs DDL (SELECT enable_rls_everywhere()).
        if (!inert) await track(at, place, piece.text);
        if (place % CHECK_EVERY === 0) await wal.check();
      }
      await wal.check();
    }
    /**
     * Runs a retried statement in a transaction and keeps its effect only when it is in order: one that undoes, or that
     * sets an RLS flag a statement after it in the files set to the other value last, is rolled back and a failure
     * (`overtaken`, the reason). One that cannot run in a transaction block runs outside (it sets no flag).
     */
    type Ordered = { error: { message: string; code?: string } | null } | { overtaken: string };
    const inOrder = async (d: Deferred): Promise<Ordered> => {
      await pg.exec('BEGIN');
      let keep = false;
      const roles = new Set(providedRoles);
      try {
        const error = await execWithProvidedRoles(pg, d.text, roles);
        if (error) {
          if (!NO_TRANSACTION.has(error.code ?? '')) return { error };
        } else if (d.removes) {
          return {
            overtaken:
              'it undoes what a later migration makes: in the files\' order it finds nothing to act on, retried ' +
              'after them it would remove what they made, and which order the deployment runs is not known, so it ' +
              'is not replayed (order the files so that it runs where it should)',
          };
        } else {
          for (const [key, on] of flagChanges(await readTables())) {
            const last = flagSetBy.get(key);
            if (last && last.seq > d.seq && last.on !== on) {
              const [flag, table] = key.split('|') as [string, string];
              const what = flag === 'rls' ? (on ? 'ENABLEs' : 'DISABLEs') : on ? 'FORCEs' : 'sets NO FORCE on';
              return {
                overtaken:
                  `retried after the migrations it ${what} row-level security of ${table}, which ${last.at.file}:` +
                  `${last.at.line}, after it in the files, set the other way: Postgres' order of their effects ` +
                  'cannot be kept, so it is not replayed',
              };
            }
          }
          keep = true;
          for (const role of roles) providedRoles.add(role);
          return { error: null };
        }
      } finally {
        await pg.exec(keep ? 'COMMIT' : 'ROLLBACK');
      }
      return { error: await execWithProvidedRoles(pg, d.text, providedRoles) };
    };
    // Rounds over what is still missing while a round runs something: a chain of N files in the wrong order needs N.
    // (Each round keeps what still fails in a new list: removing from the list in place was quadratic in its length.)
    replayStep(`retries in dependency order (${deferred.length} statement(s))`);
    // The retries (and the catalog read after them) run in a fresh session's settings, not the last file's.
    await newSession(pg);
    let waiting = deferred;
    for (let round = 0; round < MAX_ROUNDS && waiting.length > 0; round++) {
      const still: Deferred[] = [];
      let ran = 0;
      for (const [i, d] of waiting.entries()) {
        // Between two retries, never inside one's transaction: the retries write WAL too (thousands of them, each in
        // its own transaction, on Community-Canvas).
        if (i > 0 && i % CHECK_EVERY === 0) await wal.check();
        const ordered =
          d.inert && !d.removes ? { error: await execWithProvidedRoles(pg, d.text, providedRoles) } : await inOrder(d);
        if ('overtaken' in ordered) {
          failed(d, ordered.overtaken);
          continue;
        }
        const error = ordered.error;
        if (error && EXISTS.has(error.code ?? '')) {
          existing.push(d.at);
        } else if (error) {
          d.reason = error.message;
          still.push(d);
        } else {
          retried.push(d.at);
          ran++;
          if (!d.inert) await track(d.at, d.seq, d.text);
        }
      }
      waiting = still;
      if (ran === 0) break;
    }
    for (const d of waiting) failed(d, d.reason!);
    replayNote(`WAL checkpoints asked: ${wal.checkpoints}`);
    replayStep('the catalog read');
    const catalog = await readCatalog(async (text) => {
      const result = await pg.query(text);
      beat();
      return result;
    });
    if (replayStatsOn()) await noteDataDirectory(pg);
    replayStep('close');
    return {
      catalog,
      locations,
      failures,
      retried,
      existing,
      copies,
      providedRoles: [...providedRoles].sort(),
      durationMs: performance.now() - started,
    };
  } finally {
    if (!db) await pg.close();
    replayStepsReport();
  }
}

/**
 * The settings of a new psql session: the session's role back to the one that connected, every setting (search_path,
 * role, check_function_bodies …) back to its default (what the server was started with).
 */
async function newSession(pg: Db): Promise<void> {
  await pg.exec('SET SESSION AUTHORIZATION DEFAULT; RESET ALL');
  beat();
}

/** The figures' note (RLS_GUARD_PHASES): what the data directory, held in the process's memory, ends with. */
async function noteDataDirectory(pg: Db): Promise<void> {
  try {
    const { rows } = await pg.query<{ segments: number; wal: string; db: string }>(
      `SELECT (SELECT count(*) FROM pg_ls_waldir())::int AS segments,
        (SELECT coalesce(sum(size), 0) FROM pg_ls_waldir())::text AS wal,
        (SELECT sum(pg_database_size(oid)) FROM pg_database)::text AS db`,
    );
    const mb = (n: string | undefined): string => (Number(n ?? 0) / 1048576).toFixed(0);
    replayNote(`data directory at the end: WAL ${rows[0]?.segments} segment(s), ${mb(rows[0]?.wal)} MB; ` +
      `databases ${mb(rows[0]?.db)} MB`);
  } catch (error) {
    replayNote(`data directory not measured: ${(error as Error).message}`);
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
      beat();
      return null;
    } catch (error) {
      beat();
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
