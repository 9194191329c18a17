// The RLS model: what the audited database enforces, as read from migrations
// (and, later, from a live database or an embedded replay).

export interface SchemaLocation {
  /** Path relative to the audited root, '/' separators. */
  file: string;
  /** 1-based line of the statement's first token. */
  line: number;
}

export type PolicyCommand = 'all' | 'select' | 'insert' | 'update' | 'delete';

export interface PolicyState {
  name: string;
  /** Qualified table name, e.g. "public.audit_logs". */
  table: string;
  command: PolicyCommand;
  permissive: boolean;
  roles: string[];
  /** Settings read through current_setting('…') in USING / WITH CHECK, e.g. "app.current_org_id". */
  settings: string[];
  /** Functions called in USING / WITH CHECK (qualified when written qualified, else as written, lower-cased). */
  functions: string[];
  /**
   * USING / WITH CHECK read the role the statement runs as: `current_user` (also current_role, user: SET ROLE
   * changes it) or only `session_user` (the role the connection logged in as). That role decides which rows the
   * connection may write, not a setting.
   */
  loginRole?: 'current_user' | 'session_user';
  /**
   * Settings USING / WITH CHECK read without reading the row (`current_setting('app.bypass_rls', true) = 'on'`): set to
   * the value the policy wants, every row passes, so setting one is a bypass, not an org context.
   */
  switches?: string[];
  /**
   * Switches on one value: an OR branch of USING / WITH CHECK (of each one present) that reads no row and compares a
   * setting with a constant (`current_setting('app.tenant_id', true) = '__SERVICE__'`), or calls a function whose
   * body does (`is_service_mode()`: the function's `switchValue`). Set to that value, every row passes; set to another,
   * that branch is false and the rest of the policy decides.
   */
  switchValues?: SwitchValue[];
  /** Functions such a branch calls (no arguments): a switch on a value when the body is one (`switchValue`). */
  switchCalls?: string[];
  /**
   * Settings whose absence opens the policy: an OR branch of USING / WITH CHECK (of each one present) that reads no
   * row and is true while the setting is unset (`COALESCE(current_setting('s', true), '') = ''`, `… IS NULL`). A
   * connection that sets nothing passes it for every row.
   */
  openWhenUnset?: string[];
  /**
   * Settings USING / WITH CHECK read through `current_setting('s')` without `missing_ok` (or with it false): on a
   * connection where nothing has set one, Postgres raises "unrecognized configuration parameter" when the policy is
   * evaluated, rather than letting the row through or not.
   */
  raisesWhenUnset?: string[];
  at: SchemaLocation;
}

/** A setting compared with a constant. */
export interface SwitchValue {
  setting: string;
  value: string;
}

export interface TableState {
  /**
   * Qualified, case-folded like Postgres does: "public.audit_logs", "app.\"Mixed\"" keeps quotes' case without quotes.
   */
  name: string;
  rlsEnabled: boolean;
  forced: boolean;
  /** Where RLS was (last) enabled; the evidence a finding cites. */
  enabledAt: SchemaLocation | null;
  forcedAt: SchemaLocation | null;
  /**
   * Where a migration last disabled RLS (static reading): the migrations then state the table's RLS, so a Drizzle
   * declaration does not override it.
   */
  disabledAt?: SchemaLocation;
  createdAt: SchemaLocation | null;
  owner: string | null;
  policies: PolicyState[];
  /** Triggers attached to the table: their functions run for the statements that fire them. */
  triggers?: TriggerState[];
}

export interface DroppedTable {
  /** The table as it stood when it was dropped. */
  before: TableState;
  droppedAt: SchemaLocation;
  /** The statement's kind: `DROP TABLE` or `DROP SCHEMA … CASCADE`. */
  by: 'table' | 'schema';
}

export interface ContextSet {
  setting: string;
  /** is_local argument: true, false, or null when not a constant. */
  local: boolean | null;
}

export interface FunctionState {
  /** Qualified name, e.g. "public.auth_touch_api_key". */
  name: string;
  securityDefiner: boolean;
  language: string;
  /** SET search_path = … pinned in the function's definition. */
  searchPathPinned: boolean;
  /** Context settings this function sets (set_config calls in its body). */
  setsContext: ContextSet[];
  /** Settings its body reads with current_setting(), for policies that read through a function. */
  bodyReadsSettings?: string[];
  /**
   * The body returns only a setting compared with a constant (`RETURN current_setting('app.tenant_id', true) =
   * '__SERVICE__'`, a constant false or NULL elsewhere): a policy that calls it reads a switch on that value.
   */
  switchValue?: SwitchValue;
  /** Tables its body writes directly (qualified), with the operation. */
  writes?: FunctionWrite[];
  /** Functions its body calls (qualified), to follow writes through nested calls. */
  calls?: string[];
  /**
   * Its body could not be read in full (another language, a parse failure, dynamic EXECUTE): what it writes is unknown.
   */
  opaqueBody?: boolean;
  at: SchemaLocation;
}

export interface FunctionWrite {
  operation: 'insert' | 'update' | 'delete' | 'merge' | 'truncate' | 'copy';
  table: string;
}

export type TriggerEvent = 'insert' | 'update' | 'delete' | 'truncate';

export interface TriggerState {
  name: string;
  /** Qualified name of the trigger function. */
  function: string;
  events: TriggerEvent[];
  at: SchemaLocation;
}

export interface SchemaDiagnostic {
  file: string;
  line: number;
  message: string;
  /** The input was skipped or read only in part: the audit reports it as incomplete. */
  incomplete?: boolean;
  /**
   * The statement sets FORCE (or NO FORCE) ROW LEVEL SECURITY on tables the reading cannot name (a knex
   * `ALTER TABLE ?? FORCE …` over a list read at run time, an EXECUTE in a DO block's loop): a message about a
   * table's owner names it rather than take it either way (analysis/owner-bypass.ts).
   */
  force?: 'force' | 'no-force';
}

export interface RlsModel {
  /** Keyed by qualified name. Dropped tables are absent. */
  tables: Map<string, TableState>;
  /**
   * Tables a migration dropped while their RLS was enabled and that no later migration creates again (static
   * reading), keyed by qualified name, absent from `tables`. Code that still writes one is judged as the table stood
   * before the drop (config.ts): a teardown script among the migrations must not make its tables ungated.
   */
  dropped?: Map<string, DroppedTable>;
  /**
   * Tables gated only by a migration file unconfigured discovery left out (an archived or documentation folder:
   * schema/left-out.ts), keyed by qualified name, with the line that enabled their RLS: judged as gated, and each
   * write to one says so.
   */
  leftOutGated?: Map<string, SchemaLocation>;
  /**
   * Tables judged not gated that only a SQL file nothing in the repository runs would gate (schema/loose-sql.ts:
   * `prisma/rls.sql`), with the line that enables their RLS: each write to one names that file.
   */
  unappliedGates?: Map<string, SchemaLocation>;
  /** Keyed by qualified name; overloads collapse to the last definition. */
  functions: Map<string, FunctionState>;
  /** Settings read by any policy's expressions (e.g. "app.current_org_id"). */
  policySettings: Set<string>;
  /** Migration files read, in the order they were applied (relative paths). */
  files: string[];
  diagnostics: SchemaDiagnostic[];
  /** Where the facts came from; absent for a plain static reading of migrations. */
  sources?: SchemaSource[];
  /** Roles known to the source (a replay or a live database), for owner-bypass checks. */
  roles?: { name: string; superuser: boolean; bypassRls: boolean }[];
  /** The role a live database was introspected as (the app's role when it uses its own URL). */
  connectedAs?: string;
  /** The role that ran the replayed migrations: tables it created are owned by it. */
  migrationRole?: string;
}

export type SchemaMethod = 'replay' | 'static' | 'database' | 'snapshot';

export interface SchemaSource {
  kind: 'migrations' | 'database' | 'config';
  ref: string;
  method: SchemaMethod;
  /** Objects whose facts come from this source when it is a fallback for part of the model. */
  facts?: string[];
}
