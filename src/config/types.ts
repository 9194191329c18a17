// The configuration shared by the walker and the ESLint plugin.

/** A named export, optionally pinned to the module it comes from (like typescript-eslint's TypeOrValueSpecifier). */
export type Specifier = string | { name: string; from?: string };

export interface ScopeHelperSpec {
  name: string;
  /** Module the helper is imported from; when given, only that import matches. */
  from?: string;
  /** Index of the callback argument; negative counts from the end. Default -1 (the last argument). */
  callbackArg?: number;
  /** Index of the callback's parameter that receives the scoped executor. Default 0. */
  executorParam?: number;
}

export interface AmbientScopeSpec {
  /** The middleware's exported name, as the routes use it. */
  middleware: string;
  /** Module it is imported from; when given, only that import matches. */
  from?: string;
}

export interface AdminProviderSpec {
  name: string;
  /** Module the helper is imported from; when given, only that import matches. */
  from?: string;
  /** Index of the callback argument; negative counts from the end. Default -1 (the last argument). */
  callbackArg?: number;
  /** Index of the callback's parameter that receives the admin connection. Default 0. */
  executorParam?: number;
}

export interface SetterHelperSpec {
  name: string;
  /** Module the helper is imported from; when given, only that import matches. */
  from?: string;
  /** Index of the argument holding the connection it sets the context on. Default 0. */
  connectionArg?: number;
  /** The setting it sets. Default: every context setting (the org context). */
  setting?: string;
  /** Whether it sets it transaction-locally (set_config(…, true), SET LOCAL) or for the session. Default true. */
  local?: boolean;
}

export interface RlsGuardConfig {
  /** The JSON Schema this file follows, for editors. */
  $schema?: string;
  /**
   * Folders or files holding migrations, relative to the config file. Default: every .sql file under the root and code
   * migrations (under a migrations folder, or a folder of modules exporting up and down), except under folders named
   * as archived or documentation (archive, backup, deprecated, docs, old, …), which are reported and read only for
   * the tables they gate.
   */
  migrations?: string[];
  /**
   * Settings whose transaction-local value carries the org context. Default: those the policies read, else
   * app.current_org_id.
   */
  contextSettings?: string[];
  /**
   * Callback helpers that run their callback in an org-scoped transaction, added to withOrgScope and
   * withRequestOrgScope.
   */
  scopeHelpers?: (string | ScopeHelperSpec)[];
  /** Functions returning, or variables holding, a BYPASSRLS connection, added to openPlatformAdminConnection. */
  adminProviders?: (string | AdminProviderSpec)[];
  /**
   * Middleware that runs next() inside an org-scoped context the code cannot show (defined in a package you do not
   * have): every handler behind it is org-scoped.
   */
  ambientScopes?: AmbientScopeSpec[];
  /**
   * TypeScript functions that set the org context on the connection they are passed (applyTenant(tx, orgId)), for those
   * whose body rls-guard cannot read.
   */
  setterHelpers?: (string | SetterHelperSpec)[];
  /** SQL functions to treat as SECURITY DEFINER even if no migration declares them. */
  definerFunctions?: string[];
  /** SQL functions that set the org context (like set_org_id(uuid)) beyond those found in migrations. */
  setterFunctions?: string[];
  /** Tables to treat as RLS-gated, or not, whatever the migrations say. */
  gatedTables?: {
    /** Schema-qualified tables to treat as gated. */
    add?: string[];
    /** Schema-qualified tables to treat as not gated. */
    remove?: string[];
  };
  /**
   * Globs (relative to the root) of files to leave out of the audit (unlike `.gitignore`, which hides only what git
   * does not track, these hide committed files too).
   */
  ignore?: string[];
  /**
   * Non-app code whose writes are judged as app code: "tests", "seeds", "migrations". Default none: their writes are
   * set aside and counted in summary.setAside.
   */
  includeWritesFrom?: ('tests' | 'seeds' | 'migrations')[];
  /** Schema used for unqualified table names. Default "public". */
  defaultSchema?: string;
  /**
   * Where the RLS model comes from. "auto" (default): a fresh snapshot file if there is one, else the migrations
   * replayed in embedded Postgres (cached), else their static reading.
   */
  schemaSource?: 'auto' | 'replay' | 'static' | 'snapshot' | 'database';
  /** A live database to introspect (read-only) instead of the migrations; "$NAME" reads an environment variable. */
  databaseUrl?: string;
  /** The snapshot file written by `rls-guard schema --write`. Default "rls-guard.schema.json". */
  schemaSnapshot?: string;
  /** The role the app connects as, for owner-bypass checks. Default: the role that runs the migrations. */
  appRole?: string;
  /**
   * Source and migration files larger than this many bytes are skipped and reported as incomplete (the audit then
   * fails). Default 2097152 (2 MiB).
   */
  maxFileBytes?: number;
  /**
   * Extra data packs (removed APIs, deprecated env vars and headers), paths relative to the config file; added to the
   * built-in packs.
   */
  packs?: string[];
  /**
   * Modules to read as a supported database library: a fork or wrapper package name mapped to the library it stands
   * for, e.g. { "@acme/slonik": "slonik" }. Subpaths follow (`@acme/slonik/utils` reads as `slonik/utils`).
   */
  libraries?: Record<string, string>;
  /**
   * Prisma schema files or multi-file schema folders, relative to the config file, read before those found in the usual
   * places of every workspace package.
   */
  prismaSchema?: string[];
}

/** Types a configuration in rls-guard.config.ts: `export default defineConfig({ … })`. */
export function defineConfig(config: RlsGuardConfig): RlsGuardConfig {
  return config;
}
