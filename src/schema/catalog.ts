import { parseSql } from '../sql/parser.js';
import { expressionReads, functionState, valueFields } from './model.js';
import type { PolicyCommand, RlsModel, SchemaLocation, TableState, TriggerEvent } from './types.js';

// The RLS model as Postgres itself records it. The same read-only catalog queries serve the
// embedded replay (PGlite) and a live database (pg), so both sources mean the same thing.

export interface CatalogTable {
  schema: string;
  name: string;
  rls: boolean;
  force: boolean;
  owner: string;
}

export interface CatalogPolicy {
  schema: string;
  table: string;
  name: string;
  permissive: string;
  roles: string[];
  cmd: string;
  qual: string | null;
  withCheck: string | null;
}

export interface CatalogFunction {
  schema: string;
  name: string;
  securityDefiner: boolean;
  /** proconfig: settings pinned on the function, e.g. "search_path=public". */
  config: string[] | null;
  language: string;
  source: string | null;
  owner: string;
  /** pg_get_function_arguments / _result: the body is parsed with its parameters and result declared. */
  arguments?: string | null;
  result?: string | null;
}

export interface CatalogTrigger {
  schema: string;
  table: string;
  name: string;
  functionSchema: string;
  functionName: string;
  /** pg_trigger.tgtype bit mask. */
  type: number;
}

export interface CatalogRole {
  name: string;
  superuser: boolean;
  bypassRls: boolean;
}

export interface Catalog {
  tables: CatalogTable[];
  policies: CatalogPolicy[];
  functions: CatalogFunction[];
  triggers: CatalogTrigger[];
  roles: CatalogRole[];
  currentUser: string;
}

const USER_SCHEMAS = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND ` +
  `n.nspname NOT LIKE 'pg\\_temp%'`;
// Objects an extension created are the extension's business, not the app's.
const NOT_EXTENSION = (cls: string, oid: string): string =>
  `NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '${cls}'::regclass AND d.objid = ${oid} ` +
  `AND d.deptype = 'e')`;

export const CATALOG_QUERIES = {
  tables: `SELECT n.nspname AS schema, c.relname AS name, c.relrowsecurity AS rls, c.relforcerowsecurity AS force,
      pg_get_userbyid(c.relowner) AS owner
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND ${USER_SCHEMAS} AND ${NOT_EXTENSION('pg_class', 'c.oid')}
    ORDER BY 1, 2`,
  policies: `SELECT schemaname AS schema, tablename AS table, policyname AS name, permissive, roles::text[] AS roles,
      cmd, qual, with_check AS "withCheck"
    FROM pg_policies ORDER BY 1, 2, 3`,
  functions: `SELECT n.nspname AS schema, p.proname AS name, p.prosecdef AS "securityDefiner", p.proconfig AS config,
      l.lanname AS language,
      CASE WHEN l.lanname IN ('sql', 'plpgsql') THEN p.prosrc END AS source, pg_get_userbyid(p.proowner) AS owner,
      pg_get_function_arguments(p.oid) AS arguments, pg_get_function_result(p.oid) AS result
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
    WHERE ${USER_SCHEMAS} AND ${NOT_EXTENSION('pg_proc', 'p.oid')}
    ORDER BY 1, 2`,
  triggers: `SELECT n.nspname AS schema, c.relname AS table, t.tgname AS name, fn.nspname AS "functionSchema",
      p.proname AS "functionName", t.tgtype::int AS type
    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_namespace fn ON fn.oid = p.pronamespace
    WHERE NOT t.tgisinternal AND t.tgenabled <> 'D' AND ${USER_SCHEMAS}
    ORDER BY 1, 2, 3`,
  roles: `SELECT rolname AS name, rolsuper AS superuser, rolbypassrls AS "bypassRls"
    FROM pg_roles WHERE rolname NOT LIKE 'pg\\_%' ORDER BY 1`,
  currentUser: `SELECT current_user AS "currentUser"`,
} as const;

/** Runs the catalog queries through any client with a `query(text) → { rows }` method. */
export async function readCatalog(query: (text: string) => Promise<{ rows: unknown[] }>): Promise<Catalog> {
  const rows = async <T>(text: string): Promise<T[]> => (await query(text)).rows as T[];
  const [user] = await rows<{ currentUser: string }>(CATALOG_QUERIES.currentUser);
  return {
    tables: await rows<CatalogTable>(CATALOG_QUERIES.tables),
    policies: (await rows<CatalogPolicy>(CATALOG_QUERIES.policies)).map((p) => ({ ...p, roles: pgArray(p.roles) })),
    functions: (await rows<CatalogFunction>(CATALOG_QUERIES.functions)).map((f) => ({
      ...f,
      config: f.config === null ? null : pgArray(f.config),
    })),
    triggers: await rows<CatalogTrigger>(CATALOG_QUERIES.triggers),
    roles: await rows<CatalogRole>(CATALOG_QUERIES.roles),
    currentUser: user?.currentUser ?? '',
  };
}

/** Drivers return text[] as arrays, or as '{a,b}' literals when they do not know the type. */
function pgArray(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  if (typeof v !== 'string') return [];
  const inner = v.replace(/^\{|\}$/g, '');
  return inner === '' ? [] : inner.split(',').map((s) => s.replace(/^"|"$/g, ''));
}

export interface CatalogLocations {
  /** Where each table (qualified) was created, and last had RLS enabled / forced, in the migrations. */
  tables: Record<string, { createdAt?: SchemaLocation; enabledAt?: SchemaLocation; forcedAt?: SchemaLocation }>;
  /** Where each function (qualified) was last defined. */
  functions: Record<string, SchemaLocation>;
}

const TRIGGER_BITS: [number, TriggerEvent][] = [
  [4, 'insert'],
  [8, 'delete'],
  [16, 'update'],
  [32, 'truncate'],
];
const COMMANDS: Record<string, PolicyCommand> = {
  ALL: 'all',
  SELECT: 'select',
  INSERT: 'insert',
  UPDATE: 'update',
  DELETE: 'delete',
};

/**
 * The model from catalog rows. Locations come from the replay when it tracked them, else
 * from the static reading (`fallback`), else point at the source itself.
 */
export function modelFromCatalog(
  catalog: Catalog,
  options: { locations?: CatalogLocations; fallback?: RlsModel; sourceRef: string; files?: string[] },
): RlsModel {
  const { locations, fallback } = options;
  const nowhere: SchemaLocation = { file: options.sourceRef, line: 1 };
  const model: RlsModel = {
    tables: new Map(),
    functions: new Map(),
    policySettings: new Set(),
    files: options.files ?? [],
    diagnostics: [],
  };
  for (const t of catalog.tables) {
    const name = `${t.schema}.${t.name}`;
    const loc = locations?.tables[name];
    const known = fallback?.tables.get(name);
    const state: TableState = {
      name,
      rlsEnabled: t.rls,
      forced: t.force,
      enabledAt: t.rls ? (loc?.enabledAt ?? known?.enabledAt ?? nowhere) : null,
      forcedAt: t.force ? (loc?.forcedAt ?? known?.forcedAt ?? nowhere) : null,
      createdAt: loc?.createdAt ?? known?.createdAt ?? null,
      owner: t.owner,
      policies: [],
      triggers: [],
    };
    model.tables.set(name, state);
  }
  for (const p of catalog.policies) {
    const table = model.tables.get(`${p.schema}.${p.table}`);
    if (!table) continue;
    const exprs: unknown[] = [];
    for (const text of [p.qual, p.withCheck]) {
      if (!text) continue;
      const parsed = parseSql(`SELECT 1 WHERE ${text}`);
      if (parsed.ok)
        exprs.push((parsed.statements[0]?.stmt as { SelectStmt?: { whereClause?: unknown } }).SelectStmt?.whereClause);
    }
    const reads = expressionReads(exprs, { searchPath: p.schema });
    table.policies.push({
      name: p.name,
      table: table.name,
      command: COMMANDS[p.cmd] ?? 'all',
      permissive: p.permissive.toUpperCase() !== 'RESTRICTIVE',
      roles: p.roles,
      settings: reads.settings,
      functions: reads.functions,
      ...(reads.loginRole ? { loginRole: reads.loginRole } : {}),
      ...(reads.switches.length ? { switches: reads.switches } : {}),
      ...valueFields(reads),
      at: fallback?.tables.get(table.name)?.policies.find((x) => x.name === p.name)?.at ?? table.enabledAt ?? nowhere,
    });
  }
  for (const f of catalog.functions) {
    const name = `${f.schema}.${f.name}`;
    const pinned = (f.config ?? []).find((c) => c.toLowerCase().startsWith('search_path='));
    model.functions.set(
      name,
      functionState({
        name,
        securityDefiner: f.securityDefiner,
        language: f.language,
        searchPathPinned: pinned !== undefined,
        body: f.source,
        bodySchema: pinned
          ? pinned.slice('search_path='.length).split(',')[0]?.trim().replace(/^"|"$/g, '') || f.schema
          : f.schema,
        at: locations?.functions[name] ?? fallback?.functions.get(name)?.at ?? nowhere,
        signature: f.arguments != null && f.result != null ? { args: f.arguments, result: f.result } : undefined,
      }),
    );
  }
  for (const tr of catalog.triggers) {
    const table = model.tables.get(`${tr.schema}.${tr.table}`);
    if (!table) continue;
    table.triggers!.push({
      name: tr.name,
      function: `${tr.functionSchema}.${tr.functionName}`,
      events: TRIGGER_BITS.filter(([bit]) => (tr.type & bit) !== 0).map(([, e]) => e),
      at: fallback?.tables.get(table.name)?.triggers?.find((x) => x.name === tr.name)?.at ?? table.createdAt ?? nowhere,
    });
  }
  return model;
}
