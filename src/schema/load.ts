import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseJson } from '../files/json.js';
import type { RlsGuardConfig } from '../config/types.js';
import { readSource, recordingReads, sharedRead, SOURCE_EXTENSIONS } from '../files/source.js';
import type { InputStore } from '../files/input-store.js';
import { walkFiles } from '../files/walk.js';
import { readCodeMigration } from './code-migrations.js';
import { discoverMigrations } from './discover.js';
import { type LeftOutFolder, leftOutNote, mergeLeftOut } from './left-out.js';
import { drizzleConfigFiles, type ForeignFolder, foreignMigrationFolders, within } from './foreign-migrations.js';
import { drizzleRlsTables } from './drizzle.js';
import { type SetupShape, synchronizedTables } from './synchronize.js';
import { mergeDrizzleRls, rlsStatedBy } from './drizzle-merge.js';
import { applyConfig, buildModel, type MigrationFile } from './model.js';
import { psqlMigration } from './psql-files.js';
import type { ReplayResult } from './replay.js';
import { migrationsHash, readCache, replayCacheKey, runWorker, writeCache } from './run-worker.js';
import { fromSnapshot, type Snapshot } from './snapshot.js';
import { databaseModel, replayedModel } from './sources.js';
import type { RlsModel, SchemaDiagnostic } from './types.js';
import { toPosixRelative } from '../files/paths.js';

// The model for an audit root. Sources, best first under "auto": a snapshot file that still
// matches the migrations; the migrations replayed in embedded Postgres (cached on disk by
// their hash); their static reading. A database URL, when given, wins over all of them.
// Cached per process too: the ESLint plugin asks once per linted file.

export type SchemaSourceChoice = NonNullable<RlsGuardConfig['schemaSource']>;

export interface ModelOptions {
  source?: SchemaSourceChoice;
  databaseUrl?: string;
  /** The audited tree is not trusted: its config's databaseUrl and on-disk replay caches are not used. */
  untrusted?: boolean;
  /** The audit's cache: the model is kept by the content of its inputs (not for a database, which changes unseen). */
  inputs?: InputStore;
}

export class SchemaSourceError extends Error {}

const cache = new Map<string, { key: string; model: RlsModel }>();

export interface Migrations {
  files: MigrationFile[];
  diagnostics: SchemaDiagnostic[];
  /** Folders unconfigured discovery left out (archived, documentation), with their files' up SQL: never applied. */
  leftOut: LeftOutFolder[];
  stamp: string;
  /** A hash of what was read (the SQL of every migration, the diagnostics): what models are cached by in a process. */
  content: string;
}

export function readMigrations(root: string, config: RlsGuardConfig): Migrations {
  const discovered = discoverMigrations(root, {
    ...(config.migrations ? { migrations: config.migrations } : {}),
    ...(config.ignore ? { ignore: config.ignore } : {}),
  });
  const diagnostics = [...discovered.diagnostics];
  const stamps: string[] = [];
  const read = (list: readonly string[], notes: SchemaDiagnostic[]): MigrationFile[] => {
    const out: MigrationFile[] = [];
    for (const f of list) {
      const rel = toPosixRelative(root, f);
      try {
        // Within an audit run the listing's stat of a source file (files/source.ts `sharedRead`), not a second one.
        const st = sharedRead(f) ?? fs.statSync(f);
        stamps.push(`${f}:${st.size}:${st.mtimeMs}`);
      } catch {
        stamps.push(`${f}:missing`);
      }
      const setup = discovered.setup.get(f);
      if (setup) {
        out.push({ path: rel, text: '' }); // the entities' tables, once the migrations' own tables are known
        continue;
      }
      const text = readSource(f, config.maxFileBytes);
      if (!text.ok) notes.push({ file: rel, line: 1, message: text.reason, incomplete: true });
      else if (f.endsWith('.sql')) {
        const psql = psqlMigration(root, f, upSection(text.text), config.maxFileBytes);
        out.push(...psql.files);
        notes.push(...psql.notes);
      }
      else {
        const migration = readCodeMigration(f, text.text);
        // A helper module beside the migrations may run no SQL of its own.
        if (migration.sql.trim() !== '') out.push({ path: rel, text: migration.sql });
        for (const d of migration.diagnostics) notes.push({ file: rel, ...d });
      }
    }
    return out;
  };
  const files = read(discovered.files, diagnostics);
  if (discovered.setup.size > 0) synchronizeSetups(root, config, discovered.setup, files, diagnostics);
  // Left-out files are read only for what they gate (schema/left-out.ts): what they fail to say is not the audit's gap.
  const leftOut = discovered.leftOut.map((x) => ({
    folder: x.folder,
    files: read(x.files, []),
    ...(x.ungated ? { ungated: true as const } : {}),
  }));
  // A setup script nothing runs has its own diagnostic (loose-sql.ts).
  for (const x of discovered.leftOut) if (!x.unrun) diagnostics.push(leftOutNote(x.folder, x.files.length));
  // Another database's migrations (SQLite, MySQL) never feed the Postgres model.
  const foreign = foreignFolders(root, config, files, stamps.join('\n'));
  const kept = files.filter((f) => !foreign.some((x) => within(f.path, x.folder)));
  for (const x of foreign) {
    const count = files.filter((f) => within(f.path, x.folder)).length;
    if (count)
      diagnostics.push({
        file: x.folder,
        line: 1,
        message: `set aside from the Postgres RLS model: ${count} migration file(s) in ${x.folder} are for ` +
          `${x.dialect} (${x.evidence})`,
      });
  }
  // By content, not stamps: a code migration's SQL can come from a file it imports, which no stamp here covers.
  const content = createHash('sha256').update(JSON.stringify([kept, diagnostics, leftOut])).digest('hex');
  return { files: kept, diagnostics, leftOut, stamp: stamps.join('\n'), content };
}

/**
 * Fills in the tables TypeORM's synchronize makes (schema/synchronize.ts) at each setup script's line: every entity's
 * table that no migration creates (read statically), with its columns.
 */
function synchronizeSetups(
  root: string,
  config: RlsGuardConfig,
  setup: Map<string, SetupShape>,
  files: MigrationFile[],
  diagnostics: SchemaDiagnostic[],
): void {
  const scripts = new Set([...setup.keys()].map((f) => toPosixRelative(root, f)));
  const created = buildModel(
    files.filter((f) => !scripts.has(f.path)),
    config.defaultSchema ? { defaultSchema: config.defaultSchema } : {},
  ).tables;
  for (const [script, shape] of setup) {
    const rel = toPosixRelative(root, script);
    const file = files.find((f) => f.path === rel);
    if (!file) continue;
    const made = synchronizedTables(root, config.ignore ?? [], script, shape.line, (t) => !!created.get(t)?.createdAt);
    file.text = made.sql;
    for (const u of made.unread) diagnostics.push({ file: rel, ...u, incomplete: true });
  }
}

const foreignCache = new Map<string, { key: string; folders: ForeignFolder[] }>();

/** Memoised per root on the migrations' stamp: the ESLint plugin asks once per linted file. */
function foreignFolders(root: string, config: RlsGuardConfig, files: MigrationFile[], stamp: string): ForeignFolder[] {
  const key = `${JSON.stringify(config.ignore ?? [])}\n${stamp}`;
  const hit = foreignCache.get(root);
  if (hit && hit.key === key) return hit.folders;
  const folders = foreignMigrationFolders(root, files.filter((f) => f.path.endsWith('.sql')), config.ignore ?? []);
  foreignCache.set(root, { key, folders });
  return folders;
}

export function loadModel(root: string, config: RlsGuardConfig, options: ModelOptions = {}): RlsModel {
  const source = options.source ?? config.schemaSource ?? 'auto';
  if (options.untrusted && source === 'database' && !options.databaseUrl && config.databaseUrl) {
    throw new SchemaSourceError(
      'the configuration reads the RLS model from a database, but under --untrusted its databaseUrl is ignored; pass ' +
      '--database-url yourself, or --schema-source replay to read the migrations',
    );
  }
  // An untrusted config could point the introspection at a server of its choosing.
  const url = databaseUrl(options.databaseUrl ?? (options.untrusted ? undefined : config.databaseUrl));
  const snapshotFile = path.resolve(root, config.schemaSnapshot ?? 'rls-guard.schema.json');
  if (options.inputs && source !== 'database' && !(source === 'auto' && url))
    return persistedModel(root, config, source, snapshotFile, !!options.untrusted, options.inputs);
  const migrations = readMigrations(root, config);
  const snapshotStamp = fileStamp(snapshotFile);
  const key =
    `${source}\n${url ?? ''}\n${options.untrusted ? 'untrusted' : ''}\n` +
    `${snapshotStamp}\n${JSON.stringify(config)}\n${migrations.content}`;
  const hit = cache.get(root);
  if (hit && hit.key === key) return hit.model;
  const stated = rlsStatedBy(staticReading(migrations, config));
  const model = applyConfig(
    mergeDrizzleRls(
      modelFrom(root, config, source, url, snapshotFile, migrations, !options.untrusted),
      drizzleRlsTables(root, config.ignore ?? []),
      stated,
    ),
    config,
  );
  cache.set(root, { key, model });
  return model;
}

interface PersistedModel {
  model: RlsModel;
  /** Tables whose RLS the migrations state (enable, disable, a policy): Drizzle declarations do not override them. */
  stated: string[];
  /** Files read while computing it besides the keyed ones (what code migrations import), with their hashes. */
  deps: [string, string][];
  /** Where imports resolved, when any file was followed through one. */
  resolution: string;
}

/**
 * The model from the audit's cache when none of its inputs changed: the migrations found (paths and contents), the
 * snapshot, the drizzle-kit configs, the config, the source chosen; and what code migrations imported. Unchanged
 * migrations are not even read (their stat says so). The Drizzle schemas are scanned per file, by content.
 */
function persistedModel(
  root: string,
  config: RlsGuardConfig,
  source: SchemaSourceChoice,
  snapshotFile: string,
  untrusted: boolean,
  inputs: InputStore,
): RlsModel {
  const digest = (f: string): string => inputs.digest(f)?.hash ?? 'unreadable';
  const discovered = discoverMigrations(root, {
    ...(config.migrations ? { migrations: config.migrations } : {}),
    ...(config.ignore ? { ignore: config.ignore } : {}),
    inputs,
  });
  const configs = drizzleConfigFiles(root, config.ignore ?? []);
  const keyed = [...discovered.files, ...discovered.leftOut.flatMap((x) => x.files), ...configs, snapshotFile];
  const key = createHash('sha256')
    .update(
      JSON.stringify([
        source,
        untrusted,
        config,
        discovered.diagnostics,
        keyed.map((f) => [toPosixRelative(root, f), digest(f)]),
      ]),
    )
    .digest('hex');
  const base = inputs.remember<PersistedModel>(
    'model',
    key,
    () => {
      const { value, read } = recordingReads(() => {
        const migrations = readMigrations(root, config);
        const staticModel = staticReading(migrations, config);
        const stated = rlsStatedBy(staticModel);
        return {
          model: modelFrom(root, config, source, undefined, snapshotFile, migrations, !untrusted),
          stated: [...staticModel.tables.keys()].filter(stated),
        };
      });
      const primary = new Set(keyed.map((f) => path.resolve(f)));
      const deps = [...read].filter((f) => !primary.has(f)).sort().map((f): [string, string] => [f, digest(f)]);
      return { ...value, deps, resolution: deps.length ? resolutionStamp(root, config, digest) : '' };
    },
    // A replay that failed (the worker, not the migrations) may succeed next time.
    (v) => !v.model.diagnostics.some((d) => d.message.startsWith('migrations were not replayed')),
    (v) =>
      v.deps.every(([f, h]) => digest(f) === h) &&
      (v.deps.length === 0 || v.resolution === resolutionStamp(root, config, digest)),
  );
  const stated = new Set(base.stated);
  return applyConfig(
    mergeDrizzleRls(base.model, drizzleRlsTables(root, config.ignore ?? [], inputs), (t) => stated.has(t)),
    config,
  );
}

const RESOLUTION_INPUT = /^(?:(?:tsconfig|jsconfig)(?:\..+)?\.json|package\.json)$/;

/** Where an import leads depends on which files exist and on the tsconfig and package.json files. */
function resolutionStamp(root: string, config: RlsGuardConfig, digest: (f: string) => string): string {
  const walked = walkFiles([root], { extensions: [...SOURCE_EXTENSIONS, '.json'], ignore: config.ignore ?? [] }, root);
  const parts = walked.files.map((f) => (RESOLUTION_INPUT.test(path.basename(f)) ? `${f}\0${digest(f)}` : f));
  return createHash('sha256').update(parts.join('\n')).digest('hex');
}

/**
 * The model as its source reports it, before the config's additions: what a snapshot holds.
 * Never read from a snapshot itself, so `schema --check` compares against the real source.
 */
export function sourceModel(
  root: string,
  config: RlsGuardConfig,
  options: { source: 'replay' | 'static' | 'database'; databaseUrl?: string },
): { model: RlsModel; migrationsHash: string | null } {
  const migrations = readMigrations(root, config);
  const url = databaseUrl(options.databaseUrl ?? config.databaseUrl);
  const model = modelFrom(root, config, options.source, url, '', migrations, true);
  return { model, migrationsHash: options.source === 'database' ? null : migrationsHash(migrations.files) };
}

function modelFrom(
  root: string,
  config: RlsGuardConfig,
  source: SchemaSourceChoice,
  url: string | undefined,
  snapshotFile: string,
  migrations: Migrations,
  useCache: boolean,
): RlsModel {
  const staticModel = staticReading(migrations, config);
  const ref = migrationsRef(staticModel.files);
  if (source === 'database' || (source === 'auto' && url)) {
    if (!url)
      throw new SchemaSourceError(
        'schemaSource is "database" but no databaseUrl is configured (or its environment variable is empty)',
      );
    const response = runWorker({ kind: 'database', url });
    if (!response.ok || response.kind !== 'database')
      throw new SchemaSourceError(
        `cannot introspect the database: ${response.ok ? 'unexpected response' : response.error}`,
      );
    return databaseModel(response.result.catalog, staticModel, redact(url));
  }
  const notes: SchemaDiagnostic[] = [];
  if (source === 'snapshot' || source === 'auto') {
    const snapshot = readSnapshot(snapshotFile);
    const rel = toPosixRelative(root, snapshotFile);
    if (snapshot instanceof Error) {
      if (source === 'snapshot' || fs.existsSync(snapshotFile))
        notes.push({ file: rel, line: 1, message: `schema snapshot not used: ${snapshot.message}` });
      if (source === 'snapshot') throw new SchemaSourceError(`${rel}: ${snapshot.message}`);
    } else if (
      snapshot.migrationsHash === null ||
      snapshot.migrationsHash === migrationsHash(migrations.files) ||
      source === 'snapshot'
    ) {
      const model = fromSnapshot(snapshot, staticModel.files);
      if (snapshot.migrationsHash !== null && snapshot.migrationsHash !== migrationsHash(migrations.files)) {
        model.diagnostics.push({
          file: rel,
          line: 1,
          message:
            'schema snapshot is stale: the migrations changed since it was written; run `rls-guard schema --write`',
        });
      }
      return model;
    } else {
      notes.push({
        file: rel,
        line: 1,
        message:
          'schema snapshot is stale (the migrations changed since it was written) and was not used; run `rls-guard ' +
          'schema --write`',
      });
    }
  }
  if ((source === 'replay' || source === 'auto') && migrations.files.length > 0) {
    const replay = replayed(root, migrations.files, useCache);
    if (replay.ok) {
      const model = replayedModel(replay.result, staticModel, ref);
      model.diagnostics.unshift(...notes);
      return mergeLeftOut(model, migrations.leftOut, rlsStatedBy(staticModel), config.defaultSchema);
    }
    notes.push({
      file: ref,
      line: 1,
      message: `migrations were not replayed (${replay.error}); the model comes from their static reading`,
    });
  }
  return mergeLeftOut(
    {
      ...staticModel,
      diagnostics: [...notes, ...staticModel.diagnostics],
      sources: [{ kind: 'migrations', ref, method: 'static' }],
    },
    migrations.leftOut,
    rlsStatedBy(staticModel),
    config.defaultSchema,
  );
}

/**
 * The part of a migration file that runs on the way up: dbmate (`-- migrate:down`), goose
 * (`-- +goose Down`) and sql-migrate (`-- +migrate Down`) keep the undo in the same file.
 * Lines after the marker are blanked, so line numbers stay true.
 */
export function upSection(text: string): string {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => /^\s*--\s*(migrate:down|\+goose\s+down|\+migrate\s+down)\b/i.test(l));
  return at < 0 ? text : [...lines.slice(0, at), ...lines.slice(at).map(() => '')].join('\n');
}

const statics = new Map<string, { key: string; model: RlsModel }>();

/** The migrations read statically: always computed, it is the fallback for facts a replay misses. */
export function staticReading(migrations: Migrations, config: RlsGuardConfig): RlsModel {
  const key = `${config.defaultSchema ?? ''}\n${migrations.content}`;
  const hit = statics.get(key);
  if (hit) return hit.model;
  const built = buildModel(migrations.files, config.defaultSchema ? { defaultSchema: config.defaultSchema } : {});
  const model = { ...built, diagnostics: [...migrations.diagnostics, ...built.diagnostics] };
  statics.set(key, { key, model });
  return model;
}

export function replayed(
  root: string,
  files: MigrationFile[],
  useCache = true,
): { ok: true; result: ReplayResult } | { ok: false; error: string } {
  const key = `replay-${replayCacheKey(files)}`;
  // The cache may live in the audited tree's node_modules: an untrusted tree could plant one.
  const cached = useCache ? readCache<ReplayResult>(root, key) : undefined;
  if (cached) return { ok: true, result: cached };
  const response = runWorker({ kind: 'replay', files });
  if (!response.ok) return response;
  if (response.kind !== 'replay') return { ok: false, error: 'unexpected worker response' };
  writeCache(root, key, response.result);
  return { ok: true, result: response.result };
}

function readSnapshot(file: string): Snapshot | Error {
  try {
    return parseJson(fs.readFileSync(file, 'utf8')) as Snapshot;
  } catch (error) {
    return new Error(
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'no snapshot file'
        : `cannot read it: ${(error as Error).message}`,
    );
  }
}

function fileStamp(file: string): string {
  try {
    const st = fs.statSync(file);
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return 'missing';
  }
}

export function migrationsRef(files: readonly string[]): string {
  const dirs = [...new Set(files.map((f) => path.posix.dirname(f)))];
  return dirs.length === 1 ? dirs[0]! : dirs.length === 0 ? '.' : dirs.join(', ');
}

/**
 * The database URL to introspect, checked before any connection is tried: a variable that
 * is not set, or text that is no postgres:// URL, is an error rather than a silent fallback
 * to the migrations or a DNS error about a folder name.
 */
export function databaseUrl(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const variable = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/.exec(value)?.[1];
  const url = expandEnv(value);
  if (variable && !url)
    throw new SchemaSourceError(
      `databaseUrl is "${value}" but the environment variable ${variable} is not set (or empty); set it, or remove ` +
      `databaseUrl to read the RLS model from the migrations`,
    );
  let parsed: URL | undefined;
  try {
    parsed = new URL(url!);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:')) {
    throw new SchemaSourceError(
      `the database URL ${variable ? `in ${variable} ` : ''}is not a PostgreSQL URL; write it as ` +
      `postgres://user:password@host:5432/database`,
    );
  }
  return url;
}

/** "$DATABASE_URL" or "${DATABASE_URL}" reads the environment, so configs never hold secrets. */
export function expandEnv(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const m = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/.exec(value);
  return m ? process.env[m[1]!] || undefined : value;
}

/** A URL without its password, for reports. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'the configured database';
  }
}
