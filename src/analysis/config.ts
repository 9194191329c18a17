import type { RoleKey } from './login-verdict.js';
import type { RlsGuardConfig, ScopeHelperSpec, Specifier } from '../config/types.js';
import type { Operation } from '../report/types.js';
import type {
  DroppedTable,
  FunctionWrite,
  PolicyCommand,
  PolicyState,
  RlsModel,
  SchemaLocation,
  SwitchValue,
} from '../schema/types.js';
import { droppedTables } from '../schema/dropped.js';
import { readsSessionJwt } from './session-jwt.js';
import type { DeploymentRoles } from '../schema/deploy-roles.js';
import { type DeployedLogins, deployedLogins } from './deploy-login.js';
import type { RoleSwitches } from '../schema/role-switches.js';

// The configuration with defaults applied, in the shapes the analysis looks things up in.

/** A policy that lets a connection through to every row when a setting holds a value, whatever the row holds. */
export interface BypassSwitch {
  policy: string;
  at: SchemaLocation;
  /**
   * The value the policy compares the setting with (`= '__SERVICE__'`, also in a function it calls): only that value
   * lets every row through. Absent: any value set is taken for the bypass.
   */
  value?: string;
  /** Some policy of the table also compares the row with the setting: another value is an org context. */
  rowRead?: true;
  /** A switch only on its value (a branch beside the row's test): a value set that cannot be read is no bypass. */
  valueOnly?: true;
}

/** A bypass switch with the command of the policy that reads it: it lets through only that command's writes. */
interface CommandSwitch extends BypassSwitch {
  setting: string;
  command: PolicyCommand;
}

/**
 * A write as the policies see it: its operation, and for an INSERT whether it is `ON CONFLICT DO UPDATE` (then the
 * UPDATE policies apply too).
 */
export interface WriteKind {
  operation: Exclude<Operation, 'call'>;
  conflictUpdate?: boolean;
  /** `INSERT … RETURNING` (or a builder call that sends one): the SELECT policies must accept the new row too. */
  returning?: boolean;
  /** A MERGE's actions (INSERT, UPDATE, DELETE), when its SQL was read: each is judged by its command's policies. */
  mergeActions?: readonly ('insert' | 'update' | 'delete')[];
}

/** One condition Postgres puts on a write: some setting of `settings` must be set (none: nothing passes). */
export interface PolicyGroup {
  /** The policies whose settings these are, named in the evidence. */
  policies: string[];
  /** One restrictive policy (AND-ed with the rest), not the command's permissive ones (OR-ed). */
  restrictive?: true;
  /** The command whose policies these are, in capitals. */
  command: string;
  settings: ReadonlySet<string>;
  /** No permissive policy applies to the command: Postgres lets no row through for a role subject to RLS. */
  none?: true;
  /** A SELECT group asked only by an `INSERT … RETURNING` (the row it hands back), for the evidence. */
  returning?: true;
  /** The table has RLS enabled and no policy at all: every command is denied outside a role that bypasses RLS. */
  noPolicy?: true;
  /**
   * The group's policies that apply only `TO` some roles (not PUBLIC), with those roles: they apply to the app only
   * if it runs as (a member of) one of them. The config names no app role, so they count, and the evidence says so.
   */
  roleBound?: readonly { name: string; roles: readonly string[]; settings: ReadonlySet<string> }[];
  /** With `roleBound` on a permissive group: the settings its policies for every role read. */
  anyRole?: ReadonlySet<string>;
}

/**
 * What the policies of a table ask of a write of some kinds: the settings every policy reads (the table-wide reading)
 * and, per command, the groups one of whose settings the connection must carry; and the bypass switches of the
 * policies that apply.
 */
export interface WritePolicies {
  settings: ReadonlySet<string>;
  /** Absent: the table-wide reading alone (no policies, or a MERGE or TRUNCATE). */
  groups?: readonly PolicyGroup[];
  switches?: ReadonlyMap<string, BypassSwitch>;
  /**
   * Where some policy of the table reads the connection's JWT (session-jwt.ts), per command the write is checked by:
   * the permissive policies that read it, all the permissive ones, and the restrictive ones that read a setting but
   * not the JWT.
   */
  jwt?: readonly JwtCommand[];
  /** The table has RLS without FORCE and the migrations' own role owns it (`migratorOwned`): where RLS is enabled. */
  migratorOwned?: SchemaLocation;
}

/** One command's policies as a connection that sends the user's JWT meets them. */
export interface JwtCommand {
  command: string;
  reading: readonly string[];
  permissive: readonly string[];
  restrictiveUnread: readonly string[];
}

/** A table's policies by the command they apply to (FOR ALL under each), read once. */
export interface TablePolicies {
  /** Per command: the permissive policies that apply (names) and the settings they read. */
  permissive: Map<CheckedCommand, PermissiveSide>;
  /** Per command: each restrictive policy that applies, with the settings it reads with the row. */
  restrictive: Map<CheckedCommand, { name: string; settings: Set<string>; roles?: string[] }[]>;
  /** RLS is enabled and the table has no policy at all. */
  noPolicy?: true;
  /** The table's bypass switches (as `switchSettings`), each with its policy's command. */
  switches: CommandSwitch[];
  /** Some policy reads the connection's JWT: per command, the permissive ones that do, restrictive ones that not. */
  jwt?: Map<CheckedCommand, { reading: string[]; restrictiveUnread: string[] }>;
}

type CheckedCommand = Exclude<PolicyCommand, 'all'>;
/** A command's permissive policies: their names, the settings they read, and those limited to some roles. */
interface PermissiveSide {
  names: string[];
  settings: Set<string>;
  roleBound: RoleBound[];
  /** The settings the policies for every role read. */
  anyRole: Set<string>;
}

/** A policy `TO` named roles only (not PUBLIC), with the settings it reads. */
interface RoleBound {
  name: string;
  roles: string[];
  settings: Set<string>;
}

/** The roles a policy is limited to, or undefined when it applies to every role (no TO, or TO PUBLIC). */
function roleLimit(p: PolicyState): string[] | undefined {
  return p.roles.length && !p.roles.includes('public') ? p.roles : undefined;
}
const CHECKED: CheckedCommand[] = ['select', 'insert', 'update', 'delete'];
/** The order the evidence names a write's commands in: its own first, SELECT's visibility last. */
const ORDER: CheckedCommand[] = ['insert', 'update', 'delete', 'select'];

export interface NamedSpec {
  name: string;
  from?: string;
}

/**
 * An admin provider; as a callback helper, which argument is the callback and which of its parameters the connection.
 */
export interface ResolvedAdminProvider extends NamedSpec {
  callbackArg: number;
  executorParam: number;
  /**
   * Where the configuration declares it ("`adminProviders` in rls-guard.config.ts"); absent for the built-in
   * `openPlatformAdminConnection`, whose name is the convention for a BYPASSRLS connection. A declared provider is
   * admin because the config says so, not because a role attribute shows it: its evidence says which.
   */
  declaredIn?: string;
}

export interface ResolvedScopeHelper extends NamedSpec {
  callbackArg: number;
  executorParam: number;
}

/** A TypeScript setter declared in the config: which argument's connection, which setting, how long. */
export interface ResolvedSetterHelper extends NamedSpec {
  connectionArg: number;
  setting: string | null;
  local: boolean;
}

export interface AnalysisConfig {
  defaultSchema: string;
  contextSettings: Set<string>;
  scopeHelpers: ResolvedScopeHelper[];
  /** Name prefixes that also count as scope helpers ("variants" such as withOrgScopeReadOnly). */
  scopeHelperPrefixes: string[];
  adminProviders: ResolvedAdminProvider[];
  /** Middleware that enters an org-scoped context the code cannot show (ambient/settle.ts). */
  ambientScopes: NamedSpec[];
  setterHelpers: ResolvedSetterHelper[];
  setterFunctions: Map<string, { setting: string; local: boolean | null }[]>;
  definerFunctions: Set<string>;
  /**
   * SECURITY DEFINER functions whose body is known and writes nothing (nor do the functions it calls): a call of one is
   * a read.
   */
  readOnlyDefiners: Set<string>;
  gatedTables: Set<string>;
  /**
   * Every table the schema model knows (gated or not): tells a Kysely CamelCasePlugin rename from the name as written
   * when only one exists.
   */
  knownTables?: ReadonlySet<string>;
  /** Tables a migration dropped with RLS on and none creates again, judged as they stood (schema/dropped.ts). */
  droppedTables?: ReadonlyMap<string, DroppedTable>;
  /** Tables gated only by a migration file discovery left out (archived, documentation: schema/left-out.ts). */
  leftOutGated?: ReadonlyMap<string, SchemaLocation>;
  /**
   * Gated tables the role that runs the migrations owns and nothing forces (no FORCE ROW LEVEL SECURITY, no owner
   * another migration names, no FORCE over a list the reading cannot attribute): a connection that runs the
   * migrations itself passes their policies. Keyed by table, with where their RLS is enabled.
   */
  migratorOwned?: ReadonlyMap<string, SchemaLocation>;
  /** Tables not gated that only a SQL file nothing runs would gate (schema/loose-sql.ts, `unappliedGates`). */
  unappliedGates?: ReadonlyMap<string, SchemaLocation>;
  /** Tables an invoker SQL function writes when called, following nested calls and triggers. */
  functionWrites: Map<string, ThroughWrite[]>;
  /** Writes that triggers on a table add to a statement writing it, keyed by "table event". */
  triggerWrites: Map<string, ThroughWrite[]>;
  /** Roles that bypass RLS (superusers and BYPASSRLS roles the replay or database knows). */
  bypassRoles: Set<string>;
  /**
   * The role a connection logs in as when its DSN comes from an environment variable, read from the repository's
   * deployment files (deploy-login.ts); absent when the audit reads none.
   */
  deployedLogins?: DeployedLogins;
  /**
   * Scope helpers of the app that switch the role transaction-locally before they call their callback, and the
   * packages of the repository (schema/role-switches.ts): an unscoped write's message names them
   * (role-switch-note.ts); absent when the audit reads no deployment files.
   */
  roleSwitches?: RoleSwitches;
  /** The settings each gated table's policies read (directly or through functions), lower-cased. */
  tableSettings: Map<string, Set<string>>;
  /** Each gated table's policies by command (a table with none has `noPolicy`): `writePolicies` reads it. */
  commandPolicies: Map<string, TablePolicies>;
  /** Some gated table's policy reads the connection's JWT (session-jwt.ts): only then is an `authToken` read. */
  sessionJwt?: boolean;
  /**
   * Gated tables a policy of which reads the role the statement runs as (current_user, session_user), with that
   * policy: on them the connection's login role (or SET ROLE) decides, not only a setting.
   */
  roleKeyedTables: Map<string, RoleKey>;
  /**
   * Per gated table, the settings its policies read only without reading the row (a bypass switch such as
   * `current_setting('app.bypass_rls', true) = 'on'`), each with the policy that reads it: a connection that sets one
   * is let through to every row, so its writes are admin writes, not org-scoped ones.
   */
  switchSettings: Map<string, Map<string, BypassSwitch>>;
  /**
   * Per gated table, the settings its policies compare the row with: read directly beside a column, or through a
   * function called where the row is read (not a no-argument call in a branch that reads no row, `OR is_admin()`).
   */
  rowSettings: Map<string, Set<string>>;
  /** SECURITY DEFINER functions without a pinned search_path, and where they are declared. */
  unpinnedDefiners: Map<string, SchemaLocation>;
  strict: boolean;
}

/** A write a statement causes indirectly: through a function it calls or a trigger it fires. */
export interface ThroughWrite extends FunctionWrite {
  through: string;
}

export const DEFAULT_CONTEXT_SETTING = 'app.current_org_id';
const DEFAULT_SCOPE_HELPERS = ['withOrgScope', 'withRequestOrgScope'];
const DEFAULT_ADMIN_PROVIDERS = ['openPlatformAdminConnection'];

function spec(s: Specifier): NamedSpec {
  return typeof s === 'string' ? { name: s } : s.from ? { name: s.name, from: s.from } : { name: s.name };
}

function helper(s: string | ScopeHelperSpec): ResolvedScopeHelper {
  const h = typeof s === 'string' ? { name: s } : s;
  return { ...spec(h), callbackArg: h.callbackArg ?? -1, executorParam: h.executorParam ?? 0 };
}

export function resolveAnalysisConfig(
  model: RlsModel,
  config: RlsGuardConfig,
  options: {
    strict?: boolean;
    /** The config file as the report names it. */
    configFile?: string;
    /** The audited root and its deployment files' roles (schema/deploy-roles.ts), when read. */
    deployment?: { root: string; roles: DeploymentRoles };
  } = {},
): AnalysisConfig {
  const defaultSchema = config.defaultSchema ?? 'public';
  const deployed = options.deployment &&
    deployedLogins(model, options.deployment.roles, options.deployment.root);
  const contextSettings = new Set((config.contextSettings ?? []).map((s) => s.toLowerCase()));
  if (contextSettings.size === 0) {
    for (const s of model.policySettings) contextSettings.add(s.toLowerCase());
    if (contextSettings.size === 0) contextSettings.add(DEFAULT_CONTEXT_SETTING);
  }
  const setterFunctions = new Map<string, { setting: string; local: boolean | null }[]>();
  const definerFunctions = new Set<string>();
  for (const fn of model.functions.values()) {
    if (fn.setsContext.length > 0)
      setterFunctions.set(
        fn.name,
        fn.setsContext.map((c) => ({ setting: c.setting.toLowerCase(), local: c.local })),
      );
    if (fn.securityDefiner) definerFunctions.add(fn.name);
  }
  // A table a migration dropped with its RLS enabled and that the code still writes is judged as it stood before the
  // drop (a teardown script among the migrations would otherwise make every table it drops ungated: fail open).
  const dropped = droppedTables(model);
  const judged = [...model.tables.values(), ...[...dropped.values()].map((d) => d.before)];
  const gatedTables = new Set<string>();
  for (const t of judged) if (t.rlsEnabled) gatedTables.add(t.name);
  const unpinnedDefiners = new Map<string, SchemaLocation>();
  for (const fn of model.functions.values())
    if (fn.securityDefiner && !fn.searchPathPinned && fn.language !== 'internal' && fn.language !== 'c')
      unpinnedDefiners.set(fn.name, fn.at);
  const indirect = indirectWrites(model);
  const tableSettings = new Map<string, Set<string>>();
  const commandPolicies = new Map<string, TablePolicies>();
  const roleKeyedTables = new Map<string, RoleKey>();
  const switchSettings = new Map<string, Map<string, BypassSwitch>>();
  const rowSettings = new Map<string, Set<string>>();
  for (const t of judged) {
    if (!t.rlsEnabled) continue;
    const byRow = t.policies.flatMap((p) => [
      ...p.settings.filter((x) => !p.switches?.includes(x)),
      ...p.functions
        .filter((f) => !p.switchCalls?.includes(f))
        .flatMap((f) => model.functions.get(f)?.bodyReadsSettings ?? []),
    ]);
    rowSettings.set(t.name, new Set(byRow.map((x) => x.toLowerCase())));
    const settings = new Set<string>();
    const read = (p: PolicyState, rowOnly: boolean): string[] => [
      ...p.settings.filter((x) => !rowOnly || !p.switches?.includes(x)).map((x) => x.toLowerCase()),
      ...p.functions.flatMap((f) => model.functions.get(f)?.bodyReadsSettings ?? []).map((x) => x.toLowerCase()),
    ];
    for (const p of t.policies) for (const st of read(p, false)) settings.add(st);
    tableSettings.set(t.name, settings);
    const keyed = t.policies.filter((p) => p.loginRole);
    const first = keyed.find((p) => p.loginRole === 'current_user') ?? keyed[0];
    // SET ROLE counts only where some policy reads current_user; session_user is the login's.
    const setRoleCounts = first?.loginRole === 'current_user';
    if (first) roleKeyedTables.set(t.name, { policy: first.name, at: first.at, setRoleCounts });
    const rowRead = new Set(t.policies.flatMap((p) => p.settings.filter((x) => !p.switches?.includes(x))));
    const switches = new Map<string, BypassSwitch>();
    const bySwitch: CommandSwitch[] = [];
    const values = (p: PolicyState): SwitchValue[] => [
      ...(p.switchValues ?? []),
      ...(p.switchCalls ?? []).flatMap((f) => model.functions.get(f)?.switchValue ?? []),
    ];
    // Settings some policy compares the row with, directly or through a function that is no switch.
    const withRow = new Set([
      ...rowRead,
      ...t.policies.flatMap((p) =>
        p.functions
          .filter((f) => !model.functions.get(f)?.switchValue)
          .flatMap((f) => model.functions.get(f)?.bodyReadsSettings ?? []),
      ),
    ].map((x) => x.toLowerCase()));
    const add = (p: PolicyState, x: string, sw: BypassSwitch): void => {
      if (!sw.valueOnly || !switches.has(x)) switches.set(x, sw);
      bySwitch.push({ setting: x, command: p.command, ...sw });
    };
    // A restrictive policy only takes rows away (AND-ed with the rest): a setting it reads without the row can deny
    // every row (`current_setting('app.principal') IS DISTINCT FROM 'contact'`), never let one through.
    for (const p of t.policies) {
      if (!p.permissive) continue;
      const own = values(p);
      for (const x of p.switches ?? [])
        if (!rowRead.has(x)) {
          const value = own.find((v) => v.setting === x)?.value;
          add(p, x, {
            policy: p.name,
            at: p.at,
            ...(value !== undefined ? { value } : {}),
            ...(value !== undefined && withRow.has(x) ? { rowRead: true as const } : {}),
          });
        }
      for (const v of own)
        if (!(p.switches?.includes(v.setting) && !rowRead.has(v.setting)))
          add(p, v.setting, {
            policy: p.name,
            at: p.at,
            value: v.value,
            ...(withRow.has(v.setting) ? { rowRead: true as const } : {}),
            valueOnly: true,
          });
    }
    if (switches.size) switchSettings.set(t.name, switches);
    // With no policy at all, Postgres denies every row to a role subject to RLS: each command is judged unmet.
    commandPolicies.set(t.name, byCommand(t.policies, read, bySwitch));
  }
  return {
    defaultSchema,
    contextSettings,
    scopeHelpers: [...DEFAULT_SCOPE_HELPERS, ...(config.scopeHelpers ?? [])].map(helper),
    scopeHelperPrefixes: DEFAULT_SCOPE_HELPERS,
    adminProviders: [
      ...DEFAULT_ADMIN_PROVIDERS.map((s) => ({ s, declaredIn: undefined })),
      ...(config.adminProviders ?? []).map((s) => ({
        s,
        declaredIn: `\`adminProviders\` in ${options.configFile ?? 'the configuration'}`,
      })),
    ].map(({ s, declaredIn }) => {
      const h = typeof s === 'string' ? { name: s } : s;
      return {
        ...spec(h),
        callbackArg: h.callbackArg ?? -1,
        executorParam: h.executorParam ?? 0,
        ...(declaredIn ? { declaredIn } : {}),
      };
    }),
    ambientScopes: (config.ambientScopes ?? []).map((a) =>
      spec({ name: a.middleware, ...(a.from ? { from: a.from } : {}) }),
    ),
    setterHelpers: (config.setterHelpers ?? []).map((s) => {
      const h = typeof s === 'string' ? { name: s } : s;
      return {
        ...spec(h),
        connectionArg: h.connectionArg ?? 0,
        setting: h.setting?.toLowerCase() ?? null,
        local: h.local ?? true,
      };
    }),
    setterFunctions,
    definerFunctions,
    readOnlyDefiners: readOnlyDefiners(model, definerFunctions),
    gatedTables,
    knownTables: new Set(model.tables.keys()),
    droppedTables: dropped,
    leftOutGated: new Map([...(model.leftOutGated ?? [])].filter(([t]) => gatedTables.has(t))),
    unappliedGates: new Map([...(model.unappliedGates ?? [])].filter(([t]) => !gatedTables.has(t))),
    migratorOwned: migratorOwned(model, gatedTables),
    functionWrites: indirect.functionWrites,
    triggerWrites: indirect.triggerWrites,
    unpinnedDefiners,
    tableSettings,
    commandPolicies,
    ...([...commandPolicies.values()].some((x) => x.jwt) ? { sessionJwt: true } : {}),
    roleKeyedTables,
    switchSettings,
    rowSettings,
    bypassRoles: new Set((model.roles ?? []).filter((r) => r.superuser || r.bypassRls).map((r) => r.name)),
    ...(deployed ? { deployedLogins: deployed } : {}),
    ...(options.deployment?.roles.switches ? { roleSwitches: options.deployment.roles.switches } : {}),
    strict: options.strict ?? false,
  };
}

/** A table's policies grouped by the command each applies to (a FOR ALL policy to every one). */
function byCommand(
  policies: readonly PolicyState[],
  read: (p: PolicyState, rowOnly: boolean) => string[],
  switches: CommandSwitch[],
): TablePolicies {
  const out: TablePolicies = {
    permissive: new Map(),
    restrictive: new Map(),
    switches,
    ...(policies.length === 0 ? { noPolicy: true as const } : {}),
    ...(policies.some(readsSessionJwt) ? { jwt: new Map() } : {}),
  };
  for (const c of CHECKED) {
    const applying = policies.filter((p) => p.command === c || p.command === 'all');
    const permissive = applying.filter((p) => p.permissive);
    const settings = new Set(permissive.flatMap((p) => read(p, false)));
    const roleBound = permissive.flatMap((p) => {
      const roles = roleLimit(p);
      return roles ? [{ name: p.name, roles, settings: new Set(read(p, false)) }] : [];
    });
    const anyRole = new Set(permissive.filter((p) => !roleLimit(p)).flatMap((p) => read(p, false)));
    out.permissive.set(c, { names: permissive.map((p) => p.name), settings, roleBound, anyRole });
    out.restrictive.set(
      c,
      applying.filter((p) => !p.permissive).map((p) => {
        const roles = roleLimit(p);
        return { name: p.name, settings: new Set(read(p, true)), ...(roles ? { roles } : {}) };
      }),
    );
    out.jwt?.set(c, {
      reading: permissive.filter(readsSessionJwt).map((p) => p.name),
      restrictiveUnread: applying
        .filter((p) => !p.permissive && !readsSessionJwt(p) && read(p, true).length > 0)
        .map((p) => p.name),
    });
  }
  return out;
}

/**
 * The setting a fix should tell the code to set for a write of `kinds` on `tables` (its gated tables, in order): one
 * the permissive policies of the write's own command read with the row, on the first table that has one; else one any
 * of its policies reads with the row. Never a bypass switch (`app.bypass_rls = 'on'`), which no org context is. The
 * configured org setting when it is among them, and when no table names one.
 */
export function fixSetting(
  config: AnalysisConfig,
  tables: readonly string[],
  kindsOf: (table: string) => readonly WriteKind[],
): string {
  const main = [...config.contextSettings][0] ?? '';
  for (const t of tables) {
    const switches = config.switchSettings.get(t);
    const byRow = config.rowSettings.get(t);
    const rowRead = (s: string): boolean =>
      (!switches?.has(s) || switches.get(s)!.rowRead === true) && (!byRow || byRow.has(s));
    const wp = writePolicies(config, t, kindsOf(t));
    const permissive = (wp.groups ?? []).filter((g) => !g.restrictive && !g.none);
    const own = permissive.filter((g) => g.command !== 'SELECT');
    for (const groups of [own, permissive]) {
      const found = groups.flatMap((g) => [...g.settings]).filter(rowRead);
      if (found.length) return found.includes(main) ? main : found[0]!;
    }
    const any = [...(config.tableSettings.get(t) ?? [])].filter(rowRead);
    if (any.length) return any.includes(main) ? main : any[0]!;
  }
  return main;
}

/**
 * The commands whose policies Postgres checks for a write (the CREATE POLICY page's table): an INSERT the INSERT
 * policies; an UPDATE the UPDATE policies and, for the rows it reads (its WHERE, its SET's columns, RETURNING), the
 * SELECT policies; a DELETE the DELETE and SELECT policies; `INSERT … ON CONFLICT DO UPDATE` the INSERT, UPDATE and
 * SELECT policies. An UPDATE or DELETE is taken to read rows (a WHERE is nearly always there: fail closed). A MERGE
 * (its actions are not read here), a TRUNCATE (no policy applies) and a COPY FROM (refused under RLS) keep the
 * table-wide reading. A function's or trigger's write is checked by its own command's policies, as the caller's
 * would be.
 */
function commandsOf(kind: WriteKind, noPolicy: boolean): CheckedCommand[] | undefined {
  switch (kind.operation) {
    case 'insert':
      return kind.conflictUpdate ? ['insert', 'update', 'select'] : kind.returning ? ['insert', 'select'] : ['insert'];
    case 'update':
      return ['update', 'select'];
    case 'delete':
      return ['delete', 'select'];
    case 'merge':
      // Each action as its command (an UPDATE or DELETE action reads the target's rows: SELECT's too). A MERGE whose
      // SQL was not read (a builder's mergeInto) keeps the table-wide reading, but on a table with no policy at all
      // every action is denied.
      if (kind.mergeActions)
        return CHECKED.filter((c) =>
          kind.mergeActions!.some((a) => commandsOf({ operation: a }, noPolicy)!.includes(c)),
        );
      return noPolicy ? ['insert', 'update', 'delete', 'select'] : undefined;
    default:
      return undefined;
  }
}

/** The gated tables the migrations' own role owns with nothing forcing it to their policies (`migratorOwned`). */
function migratorOwned(model: RlsModel, gatedTables: ReadonlySet<string>): Map<string, SchemaLocation> {
  const out = new Map<string, SchemaLocation>();
  // A FORCE over a list read at run time may cover any table: none is taken as unforced.
  if (model.diagnostics.some((d) => d.force !== undefined)) return out;
  for (const t of model.tables.values()) {
    const ownedByMigrator = !t.owner || t.owner === model.migrationRole;
    if (!gatedTables.has(t.name) || !t.rlsEnabled || t.forced || !ownedByMigrator || !t.enabledAt) continue;
    // Gated only by a left-out file: whether it is applied, and so who owns what it makes, is not known.
    if (model.leftOutGated?.has(t.name)) continue;
    out.set(t.name, t.enabledAt);
  }
  return out;
}

/**
 * What the policies of `table` ask of a write of these kinds (every kind the write's statement makes of it): per
 * command, one setting its permissive policies read (they are OR-ed) and one of each restrictive policy's (AND-ed).
 * A permissive side that reads no setting asks none; one with no policy at all lets nothing through. Where the
 * migrations' own role owns the table and nothing forces it (`migratorOwned`), where its RLS is enabled too.
 */
export function writePolicies(config: AnalysisConfig, table: string, kinds: readonly WriteKind[]): WritePolicies {
  const owned = config.migratorOwned?.get(table);
  const policies = tablePolicies(config, table, kinds);
  return owned ? { ...policies, migratorOwned: owned } : policies;
}

/** The policies' part of writePolicies, for the table's own settings and commands. */
function tablePolicies(config: AnalysisConfig, table: string, kinds: readonly WriteKind[]): WritePolicies {
  const settings = config.tableSettings.get(table) ?? new Set<string>();
  const allSwitches = config.switchSettings.get(table);
  const byCmd = config.commandPolicies.get(table);
  const commands = kinds.map((k) => commandsOf(k, byCmd?.noPolicy === true));
  if (!byCmd || kinds.length === 0 || commands.some((c) => !c))
    return { settings, ...(allSwitches ? { switches: allSwitches } : {}) };
  const wanted = ORDER.filter((c) => commands.some((cs) => cs!.includes(c)));
  // SELECT asked only because of RETURNING on an INSERT: its evidence names the row handed back.
  const onlyInserts = kinds.every((k) => k.operation === 'insert' && !k.conflictUpdate);
  const returning = onlyInserts ? { returning: true as const } : {};
  const groups: PolicyGroup[] = [];
  for (const c of wanted) {
    const command = c.toUpperCase();
    const permissive = byCmd.permissive.get(c)!;
    const policies = permissive.names;
    const roleBound = permissive.roleBound.length
      ? { roleBound: permissive.roleBound, anyRole: permissive.anyRole }
      : {};
    const noPolicy = byCmd.noPolicy ? { noPolicy: true as const } : {};
    if (policies.length === 0) groups.push({ policies, command, settings: new Set(), none: true, ...noPolicy });
    const why = c === 'select' ? returning : {};
    if (permissive.settings.size)
      groups.push({ policies, command, settings: permissive.settings, ...roleBound, ...why });
    for (const r of byCmd.restrictive.get(c) ?? [])
      if (r.settings.size)
        groups.push({
          policies: [r.name],
          restrictive: true,
          command,
          settings: r.settings,
          ...(c === 'select' ? returning : {}),
          ...(r.roles ? { roleBound: [{ name: r.name, roles: r.roles, settings: r.settings }] } : {}),
        });
  }
  // A switch lets through only the commands its policy applies to: those of the write's own verb (not SELECT's).
  const switches = new Map<string, BypassSwitch>();
  for (const { setting, command, ...sw } of byCmd.switches)
    if (command === 'all' || (command !== 'select' && wanted.includes(command))) switches.set(setting, sw);
  const jwt = byCmd.jwt && wanted.map((c): JwtCommand => ({
    command: c.toUpperCase(),
    permissive: byCmd.permissive.get(c)!.names,
    ...byCmd.jwt!.get(c)!,
  }));
  return { settings, groups, ...(switches.size ? { switches } : {}), ...(jwt ? { jwt } : {}) };
}

/**
 * Definer functions that only read, per their bodies. A function rls-guard cannot read in
 * full (opaque body, declared only in the config, or calling one) may write: not in the set.
 * Functions the model does not know (built-ins such as now()) write nothing here.
 */
function readOnlyDefiners(model: RlsModel, definers: Set<string>): Set<string> {
  const memo = new Map<string, boolean>();
  const writesNothing = (name: string): boolean => {
    const known = memo.get(name);
    if (known !== undefined) return known;
    const fn = model.functions.get(name);
    if (!fn) return true;
    memo.set(name, true); // a recursive call adds nothing the body does not already do
    const result =
      fn.writes !== undefined && fn.writes.length === 0 && !fn.opaqueBody && (fn.calls ?? []).every(writesNothing);
    memo.set(name, result);
    return result;
  };
  return new Set([...definers].filter(writesNothing));
}

const EVENTS: Record<FunctionWrite['operation'], string[]> = {
  insert: ['insert'],
  copy: ['insert'],
  update: ['update'],
  delete: ['delete'],
  truncate: ['truncate'],
  merge: ['insert', 'update', 'delete'],
};

/**
 * What calling each function, or firing each table's triggers, writes. A SECURITY DEFINER
 * function runs with its owner's rights, so what it writes (and what that fires) is covered
 * and left out; an invoker function's writes are judged like the caller's own.
 */
function indirectWrites(model: RlsModel): {
  functionWrites: Map<string, ThroughWrite[]>;
  triggerWrites: Map<string, ThroughWrite[]>;
} {
  const functionWrites = new Map<string, ThroughWrite[]>();
  const triggerWrites = new Map<string, ThroughWrite[]>();
  const byFunction = (name: string, through: string, seen: Set<string>): ThroughWrite[] => {
    const fn = model.functions.get(name);
    if (!fn || fn.securityDefiner || seen.has(name)) return [];
    seen.add(name);
    const out: ThroughWrite[] = [];
    for (const w of fn.writes ?? []) {
      out.push({ ...w, through });
      out.push(...byTrigger(w, seen));
    }
    for (const c of fn.calls ?? []) out.push(...byFunction(c, through, seen));
    return out;
  };
  const byTrigger = (w: FunctionWrite, seen: Set<string>): ThroughWrite[] => {
    const out: ThroughWrite[] = [];
    for (const tr of model.tables.get(w.table)?.triggers ?? []) {
      if (!tr.events.some((e) => EVENTS[w.operation].includes(e))) continue;
      out.push(...byFunction(tr.function, `trigger ${tr.name} on ${w.table}`, new Set(seen)));
    }
    return out;
  };
  for (const fn of model.functions.values()) {
    const writes = byFunction(fn.name, `${fn.name}()`, new Set());
    if (writes.length) functionWrites.set(fn.name, writes);
  }
  for (const t of model.tables.values()) {
    for (const operation of Object.keys(EVENTS) as FunctionWrite['operation'][]) {
      const writes = byTrigger({ operation, table: t.name }, new Set());
      if (writes.length) triggerWrites.set(`${t.name} ${operation}`, writes);
    }
  }
  return { functionWrites, triggerWrites };
}

/** Does an imported or declared name match a specifier? `from` matches the import's module specifier or its tail. */
export function matchesSpec(
  specs: readonly NamedSpec[],
  name: string,
  module: string | undefined,
): NamedSpec | undefined {
  return specs.find((s) => s.name === name && (!s.from || (module !== undefined && sameModule(s.from, module))));
}

function sameModule(configured: string, actual: string): boolean {
  const strip = (m: string): string => m.replace(/\.(m|c)?(t|j)sx?$/, '').replace(/\/index$/, '').replace(/^\.\//, '');
  const a = strip(configured);
  const b = strip(actual);
  return a === b || b.endsWith(`/${a}`) || a.endsWith(`/${b}`);
}
