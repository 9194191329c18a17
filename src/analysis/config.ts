import type { RoleKey } from './login-verdict.js';
import type { RlsGuardConfig, ScopeHelperSpec, Specifier } from '../config/types.js';
import type { DroppedTable, FunctionWrite, RlsModel, SchemaLocation } from '../schema/types.js';
import { droppedTables } from '../schema/dropped.js';

// The configuration with defaults applied, in the shapes the analysis looks things up in.

/** A policy that lets a connection through to every row when a setting holds a value, whatever the row holds. */
export interface BypassSwitch {
  policy: string;
  at: SchemaLocation;
}

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
  /** Tables an invoker SQL function writes when called, following nested calls and triggers. */
  functionWrites: Map<string, ThroughWrite[]>;
  /** Writes that triggers on a table add to a statement writing it, keyed by "table event". */
  triggerWrites: Map<string, ThroughWrite[]>;
  /** Roles that bypass RLS (superusers and BYPASSRLS roles the replay or database knows). */
  bypassRoles: Set<string>;
  /** The settings each gated table's policies read (directly or through functions), lower-cased. */
  tableSettings: Map<string, Set<string>>;
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
  options: { strict?: boolean; /** The config file as the report names it. */ configFile?: string } = {},
): AnalysisConfig {
  const defaultSchema = config.defaultSchema ?? 'public';
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
  const roleKeyedTables = new Map<string, RoleKey>();
  const switchSettings = new Map<string, Map<string, BypassSwitch>>();
  for (const t of judged) {
    if (!t.rlsEnabled) continue;
    const settings = new Set<string>();
    for (const p of t.policies) {
      for (const st of p.settings) settings.add(st.toLowerCase());
      for (const f of p.functions)
        for (const st of model.functions.get(f)?.bodyReadsSettings ?? []) settings.add(st.toLowerCase());
    }
    tableSettings.set(t.name, settings);
    const keyed = t.policies.filter((p) => p.loginRole);
    const first = keyed.find((p) => p.loginRole === 'current_user') ?? keyed[0];
    // SET ROLE counts only where some policy reads current_user; session_user is the login's.
    const setRoleCounts = first?.loginRole === 'current_user';
    if (first) roleKeyedTables.set(t.name, { policy: first.name, at: first.at, setRoleCounts });
    const rowRead = new Set(t.policies.flatMap((p) => p.settings.filter((x) => !p.switches?.includes(x))));
    const switches = new Map<string, BypassSwitch>();
    for (const p of t.policies)
      for (const x of p.switches ?? []) if (!rowRead.has(x)) switches.set(x, { policy: p.name, at: p.at });
    if (switches.size) switchSettings.set(t.name, switches);
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
    functionWrites: indirect.functionWrites,
    triggerWrites: indirect.triggerWrites,
    unpinnedDefiners,
    tableSettings,
    roleKeyedTables,
    switchSettings,
    bypassRoles: new Set((model.roles ?? []).filter((r) => r.superuser || r.bypassRls).map((r) => r.name)),
    strict: options.strict ?? false,
  };
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
