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
  /** Its place in the files' order, what kind of effect it has and the objects it names (effect order, below). */
  seq?: number;
  effect?: Effect;
  names?: readonly string[];
  aspects?: readonly string[];
}

/**
 * What a statement does to the catalog, for the order of effects: `data` (rows, comments: no RLS fact), `create` (makes
 * what did not exist: a retry cannot undo or override a later statement's effect), `remove` (DROP, REVOKE, RENAME,
 * DISABLE, NO FORCE, DROP COLUMN or CONSTRAINT), `change` (anything else: GRANT, ENABLE, FORCE, ALTER POLICY, a
 * function replaced, a DO block).
 */
type Effect = 'data' | 'create' | 'remove' | 'change';

const DATA_KINDS = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'TruncateStmt', 'CopyStmt', 'CommentStmt',
  'VacuumStmt', 'ExplainStmt', 'NotifyStmt', 'VariableSetStmt']);
const CREATE_KINDS = new Set(['CreateStmt', 'IndexStmt', 'CreateSeqStmt', 'CreateSchemaStmt', 'CreateExtensionStmt',
  'CreatePolicyStmt', 'CreateEnumStmt', 'CompositeTypeStmt', 'DefineStmt', 'CreateDomainStmt', 'CreateTableAsStmt',
  'CreateRoleStmt', 'CreateRangeStmt']);
const REMOVE_KINDS = new Set(['DropStmt', 'RenameStmt', 'DropOwnedStmt', 'ReassignOwnedStmt', 'DropRoleStmt']);
const ADDING_SUBTYPES = new Set(['AT_AddColumn', 'AT_AddConstraint', 'AT_AddIndex', 'AT_AddIndexConstraint']);
const REMOVING_SUBTYPES = new Set(['AT_DropColumn', 'AT_DropConstraint', 'AT_DisableRowSecurity',
  'AT_NoForceRowSecurity', 'AT_DisableTrig', 'AT_DisableTrigAll', 'AT_DisableTrigUser', 'AT_DropNotNull',
  'AT_DropExpression', 'AT_DropIdentity', 'AT_DropInherit', 'AT_DropOf']);
const RANK: Record<Effect, number> = { data: 0, create: 1, change: 2, remove: 3 };

type PgNode = Record<string, unknown>;

/** Parts of a statement that name no object it acts on: values, columns, types, options, expressions, a query. */
const SKIPPED_KEYS = new Set(['A_Const', 'ColumnRef', 'ColumnDef', 'TypeName', 'typeName', 'DefElem', 'RoleSpec',
  'returnType', 'names', 'name', 'qual', 'with_check', 'whereClause', 'FuncCall', 'query', 'selectStmt', 'options',
  'privileges', 'grantees', 'roles', 'parameters', 'args', 'tableElts', 'constraints', 'def']);

/** The effect of one parsed statement; `exists` says whether a function it would replace exists already. */
function effectOf(node: PgNode, exists: (name: string) => boolean): Effect {
  const kind = Object.keys(node)[0]!;
  const body = node[kind] as PgNode;
  if (DATA_KINDS.has(kind)) return 'data';
  // A query changes nothing unless it calls a function of the migrations (SELECT enable_rls_everywhere()).
  if (kind === 'SelectStmt') return callsUserFunction(body, exists) ? 'change' : 'data';
  if (CREATE_KINDS.has(kind)) return 'create';
  if (REMOVE_KINDS.has(kind)) return 'remove';
  if (kind === 'GrantStmt') return body.is_grant ? 'change' : 'remove';
  if (kind === 'CreateFunctionStmt' || kind === 'CreateTrigStmt') {
    const name = kind === 'CreateFunctionStmt' ? qualified(body.funcname) : undefined;
    return !body.replace || (name !== undefined && !exists(name)) ? 'create' : 'change';
  }
  if (kind === 'AlterTableStmt') {
    const subtypes = ((body.cmds as PgNode[] | undefined) ?? []).map(
      (c) => ((c.AlterTableCmd as PgNode | undefined)?.subtype as string | undefined) ?? '',
    );
    if (subtypes.some((t) => REMOVING_SUBTYPES.has(t))) return 'remove';
    return subtypes.length > 0 && subtypes.every((t) => ADDING_SUBTYPES.has(t)) ? 'create' : 'change';
  }
  return 'change';
}

/**
 * Which facts of its objects a statement sets, so that only statements setting the same fact are ordered against each
 * other (a GRANT and a later ENABLE on one table commute): `rls` (ENABLE, DISABLE), `rls-force` (FORCE, NO FORCE),
 * `acl` (GRANT, REVOKE), `policy`, `function`, `owner`, `trigger`, `table` (other ALTER TABLE); `*` any of them (a
 * DROP, a RENAME, a DO block, what is not read).
 */
function aspectsOf(node: PgNode): string[] {
  const kind = Object.keys(node)[0]!;
  const body = node[kind] as PgNode;
  switch (kind) {
    case 'GrantStmt':
      return ['acl'];
    case 'CreatePolicyStmt':
    case 'AlterPolicyStmt':
      return ['policy'];
    case 'CreateFunctionStmt':
    case 'AlterFunctionStmt':
      return ['function'];
    case 'AlterOwnerStmt':
      return ['owner'];
    case 'CreateTrigStmt':
      return ['trigger'];
    case 'AlterTableStmt':
      return ((body.cmds as PgNode[] | undefined) ?? []).map((c) => {
        const t = ((c.AlterTableCmd as PgNode | undefined)?.subtype as string | undefined) ?? '';
        if (t.endsWith('ForceRowSecurity')) return 'rls-force';
        if (t.endsWith('RowSecurity')) return 'rls';
        if (t === 'AT_ChangeOwner') return 'owner';
        if (t.includes('Trig')) return 'trigger';
        return 'table';
      });
    default:
      return ['*'];
  }
}

/**
 * The last statement, by its place in the files' order, that set each fact (aspect) of each named object; `*` stands
 * for any aspect or any object. Four maxima, so that a look-up is constant per aspect and name.
 */
class LastChanges {
  private readonly exact = new Map<string, Hit>();
  private readonly byName = new Map<string, Hit>();
  private readonly byAspect = new Map<string, Hit>();
  private all: Hit | undefined;

  record(aspects: readonly string[], names: readonly string[], hit: Hit): void {
    const raise = (map: Map<string, Hit>, key: string): void => {
      const last = map.get(key);
      if (!last || last.seq < hit.seq) map.set(key, hit);
    };
    for (const a of aspects)
      for (const n of names) {
        raise(this.exact, `${a}|${n}`);
        raise(this.byName, n);
        raise(this.byAspect, a);
      }
    if (!this.all || this.all.seq < hit.seq) this.all = hit;
  }

  /** The latest statement after place `seq` that set a fact `aspects` × `names` also sets. */
  after(seq: number, aspects: readonly string[], names: readonly string[]): Hit | undefined {
    let found: Hit | undefined;
    const consider = (hit: Hit | undefined): void => {
      if (hit && hit.seq > seq && (!found || hit.seq > found.seq)) found = hit;
    };
    for (const a of aspects)
      for (const n of names) {
        if (a === '*' && n === '*') consider(this.all);
        else if (a === '*') for (const x of [n, '*']) consider(this.byName.get(x));
        else if (n === '*') for (const x of [a, '*']) consider(this.byAspect.get(x));
        else for (const key of [`${a}|${n}`, `*|${n}`, `${a}|*`, '*|*']) consider(this.exact.get(key));
      }
    return found;
  }
}

interface Hit {
  seq: number;
  at: { file: string; line: number };
}

/** Whether a query calls a function the migrations created (one `exists` knows). */
function callsUserFunction(node: unknown, exists: (name: string) => boolean): boolean {
  if (Array.isArray(node)) return node.some((n) => callsUserFunction(n, exists));
  if (!node || typeof node !== 'object') return false;
  for (const [key, value] of Object.entries(node as PgNode)) {
    if (key === 'FuncCall') {
      const name = qualified((value as PgNode).funcname);
      if (name && exists(name)) return true;
    }
    if (callsUserFunction(value, exists)) return true;
  }
  return false;
}

/** `schema.name` of a list of String nodes (`public` when unqualified). */
function qualified(list: unknown): string | undefined {
  const parts = ((list as PgNode[] | undefined) ?? []).map((n) => (n.String as PgNode | undefined)?.sval as string);
  if (parts.length === 0 || parts.some((p) => typeof p !== 'string')) return undefined;
  return parts.length === 1 ? `public.${parts[0]}` : parts.slice(-2).join('.');
}

/**
 * The bare names a statement acts on: relations (RangeVar), and the names in object, function and drop lists; not
 * columns, types, constants or options (a function's or DO block's body among them). Bare, so that `app.f` and `f`
 * meet: two statements that may touch one object are taken to touch it.
 */
function namesOf(node: unknown, into: Set<string>): void {
  if (Array.isArray(node)) {
    for (const n of node) namesOf(n, into);
    return;
  }
  if (!node || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node as PgNode)) {
    if (SKIPPED_KEYS.has(key)) continue;
    if (key === 'relname' && typeof value === 'string') into.add(value);
    if (key === 'String') {
      const sval = (value as PgNode).sval;
      if (typeof sval === 'string' && sval !== 'public') into.add(sval);
      continue;
    }
    namesOf(value, into);
  }
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
    // The order of effects. A statement retried after the migrations runs after statements that followed it in the
    // files: right when it only needed what they create, wrong when it undoes what they made (a DROP or REVOKE of an
    // object a later file creates: in the files' order it finds nothing) or when one of them changed the same object
    // (an ENABLE a later file DISABLEs). Such a retry is not replayed: it is a failure, its objects read statically.
    const lastChange = new LastChanges();
    let seq = 0;
    const exists = (name: string): boolean => functions.has(name);
    const classify = (text: string, statements: readonly { stmt: unknown }[] | undefined) => {
      if (!statements) return { effect: 'change' as Effect, names: ['*'], aspects: ['*'] };
      let effect: Effect = 'data';
      const names = new Set<string>();
      const aspects = new Set<string>();
      for (const st of statements) {
        const node = st.stmt as PgNode;
        const e = effectOf(node, exists);
        if (RANK[e] > RANK[effect]) effect = e;
        for (const a of aspectsOf(node)) aspects.add(a);
        if (Object.keys(node)[0] === 'DoStmt') {
          // A DO block's objects are those its static reading finds; none found: any object.
          const read = buildModel([{ path: 'do.sql', text }]);
          const found = [...read.tables.keys(), ...read.functions.keys()].map((n) => n.split('.').pop()!);
          for (const n of found.length > 0 ? found : ['*']) names.add(n);
        } else namesOf(node, names);
      }
      return { effect, names: [...names], aspects: [...aspects] };
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
        const place = ++seq;
        const { effect, names, aspects } = classify(piece.text, parsed.ok ? parsed.statements : undefined);
        const error = await execWithProvidedRoles(pg, piece.text, providedRoles);
        if (error) {
          // A statement that needs an object a later migration creates is retried after them (dependency order).
          // A query calling a function no migration has made yet may be one that changes anything.
          const unknownCall = error.code === '42883' && effect === 'data' && !inert;
          if (MISSING.has(error.code ?? ''))
            deferred.push({
              at, text: piece.text, inert, reason: error.message, seq: place,
              ...(unknownCall ? { effect: 'change', names: ['*'], aspects: ['*'] } : { effect, names, aspects }),
            });
          else if (EXISTS.has(error.code ?? '')) existing.push(at);
          else failed({ at, text: piece.text, inert }, error.message);
          continue;
        }
        if (effect === 'change' || effect === 'remove') lastChange.record(aspects, names, { seq: place, at });
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
        const later = d.effect === 'change' ? lastChange.after(d.seq!, d.aspects!, d.names!)?.at : undefined;
        if (d.effect === 'remove' || later) {
          // Would it run now? Tried in a transaction rolled back: if so, its effect would land out of order.
          const trial = await tryRolledBack(pg, d.text, providedRoles);
          if (!trial) {
            failed(d, d.effect === 'remove'
              ? 'it undoes what a later migration makes: in the files\' order it finds nothing to act on, retried ' +
                'after them it would remove or rename what they made, and which order the deployment runs is not ' +
                'known: not replayed (order the files so that it runs where it should)'
              : `retried after the migrations it would run after ${later!.file}:${later!.line}, which follows it ` +
                'and changes the same object: Postgres\' order of their effects cannot be kept, so it is not replayed');
            continue;
          }
          if (!MISSING.has(trial.code ?? '') && !EXISTS.has(trial.code ?? '')) {
            failed(d, trial.message);
            continue;
          }
        }
        const error = await execWithProvidedRoles(pg, d.text, providedRoles);
        if (error && EXISTS.has(error.code ?? '')) {
          existing.push(d.at);
        } else if (error) {
          d.reason = error.message;
          still.push(d);
        } else {
          retried.push(d.at);
          ran++;
          if (d.effect === 'change' || d.effect === 'remove')
            lastChange.record(d.aspects!, d.names!, { seq: d.seq!, at: d.at });
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

/**
 * Runs one statement in a transaction rolled back: null when it succeeds (or cannot run in a transaction block, 25001,
 * 2D000: taken as running), its error otherwise. Roles it needs are created inside, and rolled back with it.
 */
async function tryRolledBack(
  pg: Db,
  sql: string,
  provided: ReadonlySet<string>,
): Promise<{ message: string; code?: string } | null> {
  await pg.exec('BEGIN');
  try {
    const error = await execWithProvidedRoles(pg, sql, new Set(provided));
    return error && error.code !== '25001' && error.code !== '2D000' ? error : null;
  } finally {
    await pg.exec('ROLLBACK');
  }
}

function shorten(sql: string): string {
  // pg_dump heads every statement with `-- Name: …; Type: …` lines: the message quotes the statement.
  const lines = sql.trim().split('\n');
  const start = lines.findIndex((l) => l.trim() !== '' && !l.trim().startsWith('--'));
  const one = (start < 0 ? lines : lines.slice(start)).join('\n').trim().split(/\s+/).join(' ');
  return one.length > 160 ? `${one.slice(0, 157)}…` : one;
}
