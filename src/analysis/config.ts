import type { RlsGuardConfig, ScopeHelperSpec, Specifier } from '../config/types.js';
import type { RlsModel } from '../schema/types.js';

// The configuration with defaults applied, in the shapes the analysis looks things up in.

export interface NamedSpec {
  name: string;
  from?: string;
}

export interface ResolvedScopeHelper extends NamedSpec {
  callbackArg: number;
  executorParam: number;
}

export interface AnalysisConfig {
  defaultSchema: string;
  contextSettings: Set<string>;
  scopeHelpers: ResolvedScopeHelper[];
  /** Name prefixes that also count as scope helpers ("variants" such as withOrgScopeReadOnly). */
  scopeHelperPrefixes: string[];
  adminProviders: NamedSpec[];
  setterFunctions: Map<string, { setting: string; local: boolean | null }[]>;
  definerFunctions: Set<string>;
  gatedTables: Set<string>;
  strict: boolean;
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

export function resolveAnalysisConfig(model: RlsModel, config: RlsGuardConfig, options: { strict?: boolean } = {}): AnalysisConfig {
  const defaultSchema = config.defaultSchema ?? 'public';
  const contextSettings = new Set((config.contextSettings ?? []).map((s) => s.toLowerCase()));
  if (contextSettings.size === 0) {
    for (const s of model.policySettings) contextSettings.add(s.toLowerCase());
    if (contextSettings.size === 0) contextSettings.add(DEFAULT_CONTEXT_SETTING);
  }
  const setterFunctions = new Map<string, { setting: string; local: boolean | null }[]>();
  const definerFunctions = new Set<string>();
  for (const fn of model.functions.values()) {
    if (fn.setsContext.length > 0) setterFunctions.set(fn.name, fn.setsContext.map((c) => ({ setting: c.setting.toLowerCase(), local: c.local })));
    if (fn.securityDefiner) definerFunctions.add(fn.name);
  }
  const gatedTables = new Set<string>();
  for (const t of model.tables.values()) if (t.rlsEnabled) gatedTables.add(t.name);
  return {
    defaultSchema,
    contextSettings,
    scopeHelpers: [...DEFAULT_SCOPE_HELPERS, ...(config.scopeHelpers ?? [])].map(helper),
    scopeHelperPrefixes: DEFAULT_SCOPE_HELPERS,
    adminProviders: [...DEFAULT_ADMIN_PROVIDERS, ...(config.adminProviders ?? [])].map(spec),
    setterFunctions,
    definerFunctions,
    gatedTables,
    strict: options.strict ?? false,
  };
}

/** Does an imported or declared name match a specifier? `from` matches the import's module specifier or its tail. */
export function matchesSpec(specs: readonly NamedSpec[], name: string, module: string | undefined): NamedSpec | undefined {
  return specs.find((s) => s.name === name && (!s.from || (module !== undefined && sameModule(s.from, module))));
}

function sameModule(configured: string, actual: string): boolean {
  const strip = (m: string): string => m.replace(/\.(m|c)?(t|j)sx?$/, '').replace(/\/index$/, '').replace(/^\.\//, '');
  const a = strip(configured);
  const b = strip(actual);
  return a === b || b.endsWith(`/${a}`) || a.endsWith(`/${b}`);
}
