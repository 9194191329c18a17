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

export interface RlsGuardConfig {
  /** Folders or files holding migrations, relative to the config file. Default: every .sql file under the root. */
  migrations?: string[];
  /** Settings whose transaction-local value carries the org context. Default: those the policies read, else app.current_org_id. */
  contextSettings?: string[];
  /** Callback helpers that run their callback in an org-scoped transaction. */
  scopeHelpers?: (string | ScopeHelperSpec)[];
  /** Functions returning, or variables holding, a BYPASSRLS connection. */
  adminProviders?: Specifier[];
  /** SQL functions to treat as SECURITY DEFINER even if no migration declares them. */
  definerFunctions?: string[];
  /** SQL functions that set the org context (like set_org_id(uuid)) beyond those found in migrations. */
  setterFunctions?: string[];
  gatedTables?: { add?: string[]; remove?: string[] };
  /** Globs (relative to the root) of files to leave out of the audit. */
  ignore?: string[];
  /** Schema used for unqualified table names. Default "public". */
  defaultSchema?: string;
  /** Extra data packs (removed APIs, deprecated env vars and headers), paths relative to the config file; added to the built-in packs. */
  packs?: string[];
}

export function defineConfig(config: RlsGuardConfig): RlsGuardConfig {
  return config;
}
