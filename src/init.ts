import fs from 'node:fs';
import path from 'node:path';
import ts from './ts.js';
import { adapters } from './adapters/index.js';
import { resolveAnalysisConfig } from './analysis/config.js';
import type { AmbientProvider } from './analysis/index.js';
import { CONFIG_FILES } from './config/load.js';
import type { RlsGuardConfig } from './config/types.js';
import { walkFiles } from './files/walk.js';
import { loadModel } from './schema/load.js';
import { unrunSql } from './schema/loose-sql.js';
import { gatedTables } from './schema/model.js';
import { auditSync } from './walker/audit.js';
import { foldersEnablingRls, proposeLibraryAliases, proposeMigrations } from './init-proposals.js';
import { inferProviders, type ProposedProvider } from './init-providers.js';
import { readManifest, workspaceOf } from './resolve/workspaces.js';
import { toPosixRelative } from './files/paths.js';

// `rls-guard init`: looks at a project (its package.json, imports, .sql files and helper
// functions) and writes a starting configuration, so the ESLint plugin, which sees one file
// at a time, knows the scope helpers the walker infers across files.

/** Database libraries worth naming; those with an adapter are analysed, the rest are reported. */
const KNOWN_LIBRARIES = [
  'pg',
  'pg-pool',
  'postgres',
  'slonik',
  'knex',
  'kysely',
  'drizzle-orm',
  '@prisma/client',
  'typeorm',
  'pg-promise',
  'sequelize',
  '@neondatabase/serverless',
  '@vercel/postgres',
];
const BUILT_IN_HELPERS = new Set(['withOrgScope', 'withRequestOrgScope']);

/**
 * Packages whose middleware handles the request's transport (CORS, headers, logging, parsing, compression, limits,
 * uploads) and never opens a database context: suggesting an `ambientScopes` entry for `cors` or `logger` is noise
 * a newcomer would have to read past (AgConnect's routes run behind hono/cors and hono/logger).
 */
const TRANSPORT_MIDDLEWARE = new Set([
  'body-parser', 'compression', 'connect-timeout', 'cookie-parser', 'cors', 'express-rate-limit', 'helmet', 'hpp',
  'method-override', 'morgan', 'multer', 'pino-http', 'response-time', 'serve-static', '@fastify/compress',
  '@fastify/cookie', '@fastify/cors', '@fastify/helmet', '@fastify/multipart', '@fastify/rate-limit',
  'hono/body-limit', 'hono/compress', 'hono/cors', 'hono/etag', 'hono/logger', 'hono/pretty-json',
  'hono/request-id', 'hono/secure-headers', 'hono/timeout', 'hono/timing', 'koa-bodyparser', '@koa/cors',
]);

export interface Detection {
  root: string;
  libraries: { name: string; supported: boolean; seenIn: ('package.json' | 'imports')[] }[];
  migrationFolders: string[];
  /** Gated tables the proposed migrations replay to. */
  gatedTables: number;
  /**
   * The `.sql` folders not proposed as `migrations` because, alone, they gate fewer tables than discovery without
   * configuration (which also reads schema made by code); `gatedAlone` is what they gate.
   */
  discovery?: { folders: string[]; gatedAlone: number };
  /** A Prisma project's `.sql` files outside its migrations folder that nothing in the repository runs. */
  unrunSql: string[];
  /** When the proposal gates nothing: folders whose files switch RLS on. */
  rlsFolders: string[];
  scopeHelpers: ProposedProvider[];
  /** Functions that set the org context on the connection they are given (`setterHelpers`). */
  setterHelpers: ProposedProvider[];
  /** Helpers not proposed, and why (one that resets the role to the owner is never a scope helper). */
  rejected: ProposedProvider[];
  /** Callback helpers that switch to a role bypassing RLS (`adminProviders`, with their callback's position). */
  adminHelpers: (ProposedProvider & { callbackArg: number })[];
  /** Pools the audit found logging in as a role that bypasses RLS: admin without any declaration. */
  adminPools: ProposedProvider[];
  /**
   * Middleware routes run behind, as the audit inferred them: those that enter a store (read
   * from their code: nothing to declare), and package middleware whose code the audit cannot
   * see (declare one under `ambientScopes` only if it enters an org-scoped context).
   */
  ambient: { inferred: AmbientProvider[]; packages: AmbientProvider[]; transport: AmbientProvider[] };
  config: RlsGuardConfig;
}

export function detect(root: string): Detection {
  const supported = new Set(adapters.flatMap((a) => a.modules));
  const libraries = new Map<string, Set<'package.json' | 'imports'>>();
  const seen = (name: string, where: 'package.json' | 'imports'): void => {
    if (KNOWN_LIBRARIES.includes(name)) libraries.set(name, (libraries.get(name) ?? new Set()).add(where));
  };
  const dependencies = packageDependencies(root);
  for (const name of Object.keys(dependencies)) seen(name, 'package.json');

  const sql = walkFiles([root], { extensions: ['.sql'] }, root).files;
  // A Prisma project's SQL files outside its migrations folder that nothing runs are no migrations: the audit leaves
  // them out without configuration (schema/loose-sql.ts), and proposed, they would replay before the tables they alter.
  const unrun = unrunSql(root, sql, {}).map((u) => u.file);
  const proposed = proposeMigrations(root, sql.filter((f) => !unrun.includes(f)));
  const discovery = discoveryGatesMore(root, proposed);
  const migrations = discovery ? [] : proposed;
  const migrationFolders = migrations;
  const config: RlsGuardConfig = {};
  if (migrations.length) config.migrations = migrations;
  const forks = proposeLibraryAliases(root, dependencies, []);
  if (Object.keys(forks).length) config.libraries = forks;

  // One audit of the proposal (one parse, one replay, one analysis): what it finds covered
  // names the helpers, its schema counts the gated tables, its parsed files give the imports.
  let sources: readonly ts.SourceFile[] = [];
  let ambient: AmbientProvider[] = [];
  const proposal = {
    config,
    onParsed: (files: readonly ts.SourceFile[]) => (sources = files),
    onAmbient: (p: AmbientProvider[]) => (ambient = p),
  };
  const report = auditSync({ paths: [root], types: false, proposal });
  const gatedTables = report.schema.gatedTables.length;
  const rlsFolders = gatedTables === 0 ? foldersEnablingRls(root) : [];
  for (const sf of sources) for (const specifier of moduleSpecifiers(sf)) seen(packageName(specifier), 'imports');

  const model = loadModel(root, migrations.length ? { migrations } : {}); // the audit's, from the per-process cache
  const analysis = resolveAnalysisConfig(model, {});
  const found = inferProviders(root, sources, report, {
    setterFunctions: analysis.setterFunctions,
    bypassRoles: analysis.bypassRoles,
    defaultSchema: analysis.defaultSchema,
    builtIn: BUILT_IN_HELPERS,
  });
  const scopeHelpers = found.scopeHelpers;
  if (scopeHelpers.length) config.scopeHelpers = scopeHelpers.map((h) => h.name);
  if (found.setterHelpers.length) config.setterHelpers = found.setterHelpers.map((h) => h.name);
  if (found.adminHelpers.length)
    config.adminProviders = found.adminHelpers.map((h) => ({ name: h.name, callbackArg: h.callbackArg }));
  const aliases = { ...forks, ...proposeLibraryAliases(root, {}, sources) };
  if (Object.keys(aliases).length) config.libraries = aliases;
  else delete config.libraries;
  return {
    root,
    gatedTables,
    rlsFolders,
    ...(discovery ? { discovery } : {}),
    unrunSql: unrun.map((f) => toPosixRelative(root, f)).sort(),
    libraries: [...libraries]
      .map(([name, where]) => ({ name, supported: supported.has(name), seenIn: [...where].sort() }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    migrationFolders,
    scopeHelpers,
    setterHelpers: found.setterHelpers,
    rejected: found.rejected,
    adminHelpers: found.adminHelpers,
    adminPools: found.adminPools,
    ambient: ambientProposal(ambient),
    config,
  };
}

/**
 * The `.sql` folders alone can gate fewer tables than the audit finds with no configuration, which also reads code
 * migrations recognised by their shape, TypeORM's `synchronize` of the entities and start-up scripts: a script that
 * enables RLS on every table with a `tenant_id` column gates nothing when the tables it loops over come from entities
 * (nest-erp-backend: 40 gated tables unconfigured, 0 with its two `.sql` folders). Then no `migrations` is proposed.
 */
function discoveryGatesMore(root: string, folders: string[]): Detection['discovery'] {
  if (!folders.length) return undefined;
  const alone = gatedTables(loadModel(root, { migrations: folders })).length;
  const discovered = gatedTables(loadModel(root, {})).length;
  return discovered > alone ? { folders, gatedAlone: alone } : undefined;
}

/**
 * The middleware the audit found in front of routes. Nothing is added to the config: one read
 * from code is followed better than a declaration would be (a declared middleware counts as
 * scoping every route behind it, even where its code calls next() outside the store), and
 * whether a package's middleware scopes is not something init can see.
 */
function ambientProposal(providers: readonly AmbientProvider[]): Detection['ambient'] {
  const byName = (a: AmbientProvider, b: AmbientProvider): number =>
    a.name.localeCompare(b.name) || a.at.localeCompare(b.at);
  // A package's middleware the routes import by name (`express.json()` and the like are
  // made inline, never org scopes), once per name and module: each router file that uses it is one use.
  const imported = byModule(providers.filter((p) => p.external && p.module !== undefined)).sort(byName);
  const transport = (p: AmbientProvider): boolean => TRANSPORT_MIDDLEWARE.has(p.madeBy?.module ?? p.module ?? '');
  return {
    inferred: providers.filter((p) => !p.external && p.enters.length > 0).sort(byName),
    packages: imported.filter((p) => !transport(p)),
    transport: imported.filter(transport),
  };
}

/**
 * How an `ambientScopes` entry names the module a middleware comes from: a package as it is, a file of the codebase
 * by its path without the leading `./` and `../` and the extension (`middleware/adminClerkAuth`), not the first
 * router file's relative path to it (`../../middleware/adminClerkAuth.js`), which reads as if it were relative to the
 * config. The entry's `from` matches an import whose specifier ends with it, from any depth.
 */
export function ambientFrom(module: string): string {
  if (!module.startsWith('.')) return module;
  return module.replace(/^(\.\.?\/)+/, '').replace(/\.(m|c)?(t|j)sx?$/, '');
}

/** One entry per middleware name and module, its routes summed, at its first use (and how many more there are). */
function byModule(providers: readonly AmbientProvider[]): AmbientProvider[] {
  const out = new Map<string, { first: AmbientProvider; uses: string[]; routes: number }>();
  for (const p of [...providers].sort((a, b) => a.at.localeCompare(b.at))) {
    const key = `${p.name}\0${p.madeBy?.at ?? ambientFrom(p.module ?? '')}`;
    const have = out.get(key);
    if (have) {
      have.uses.push(p.at);
      have.routes += p.routes;
    } else out.set(key, { first: p, uses: [p.at], routes: p.routes });
  }
  return [...out.values()].map(({ first, uses, routes }) => ({
    ...first,
    routes,
    at: uses.length > 1 ? `${uses[0]} and ${uses.length - 1} more` : uses[0]!,
  }));
}

export function renderConfig(config: RlsGuardConfig, kind: 'json' | 'ts'): string {
  if (kind === 'json')
    return `${JSON.stringify({ $schema: './node_modules/rls-guard/docs/config.schema.json', ...config }, null, 2)}\n`;
  // JSON is valid TypeScript, whatever the folder and helper names hold.
  return `import { defineConfig } from 'rls-guard';\n\nexport default ` +
    `defineConfig(${JSON.stringify(config, null, 2)});\n`;
}

export const ESLINT_SNIPPET = `// eslint.config.js
import tseslint from 'typescript-eslint';
import rlsGuard from 'rls-guard/eslint-plugin';

export default [
  ...tseslint.configs.recommended,
  rlsGuard.configs.recommended, // or rlsGuard.configs.strict: unresolved writes become errors
];
`;

export function describeDetection(d: Detection, written: string): string {
  const out: string[] = [];
  const unsupported = '; not analysed yet: its writes will be reported as unresolved';
  const libraries = d.libraries.map((l) => `${l.name} (${l.seenIn.join(', ')}${l.supported ? '' : unsupported})`);
  out.push(
    `Database libraries: ${libraries.length ? libraries.join(', ') : 'none found (rls-guard recognises pg imports)'}`,
  );
  const noMigrations = d.gatedTables
    ? 'none proposed: no .sql migrations found, and the audit finds the schema without configuration (migrations ' +
      'written in code, the schema the code makes)'
    : 'no .sql migrations found; add "migrations" or "gatedTables" by hand';
  if (d.discovery)
    out.push(
      `Migrations: found without configuration (the .sql files and the schema the code makes); ` +
        `not proposed: ${d.discovery.folders.join(', ')}, which alone gate ${d.discovery.gatedAlone} table(s)`,
    );
  else out.push(`Migrations: ${d.migrationFolders.length ? d.migrationFolders.join(', ') : noMigrations}`);
  const found = d.discovery || !d.migrationFolders.length;
  const replayed = found ? 'the migrations found without configuration' : 'the proposed migrations';
  if (d.unrunSql.length)
    out.push(
      `Not migrations: ${d.unrunSql.join(', ')} (outside the Prisma migrations folder, and nothing in the repository ` +
        'runs it; list it under "migrations" if it is applied to the database)',
    );
  if (d.gatedTables > 0) out.push(`Gated tables: ${d.gatedTables} (${replayed}, replayed)`);
  else {
    const where = d.rlsFolders.length
      ? `ENABLE ROW LEVEL SECURITY or pgPolicy appears in: ${d.rlsFolders.join(', ')}; add the folders that create ` +
        `those tables to "migrations"`
      : 'nothing in the repository enables RLS; list gated tables under "gatedTables.add"';
    out.push(`Warning: the proposed migrations give 0 gated tables, so the audit would find no gated writes. ${where}`);
  }
  if (d.config.libraries)
    out.push(
      `Library aliases: ${Object.entries(d.config.libraries)
        .map(([m, lib]) => `${m} read as ${lib}`)
        .join(', ')}`,
    );
  const scopeHelpers = d.scopeHelpers.map((h) => `${h.name} (${h.file}:${h.line}, ${h.why})`);
  const noScopeHelpers = 'none beyond withOrgScope and withRequestOrgScope';
  out.push(`Scope helpers: ${scopeHelpers.length ? scopeHelpers.join('; ') : noScopeHelpers}`);
  if (d.setterHelpers.length)
    out.push(`Setter helpers: ${d.setterHelpers.map((h) => `${h.name} (${h.file}:${h.line}, ${h.why})`).join('; ')}`);
  if (d.adminHelpers.length)
    out.push(`Admin providers: ${d.adminHelpers.map((h) => `${h.name} (${h.file}:${h.line}, ${h.why})`).join('; ')}`);
  for (const p of d.adminPools) out.push(`Admin pool (inferred): ${p.file}:${p.line}, ${p.why}`);
  for (const r of d.rejected) out.push(`Not proposed: ${r.name} (${r.file}:${r.line}): ${r.why}`);
  for (const p of d.ambient.inferred) {
    // A middleware written inline has its source text for a name: the line says where it is instead.
    const name = /^[\w$.]+$/.test(p.name) ? p.name : 'a middleware written inline';
    const where = `${name} (${p.at}) enters ${p.enters.join(', ')} for ${p.routes} route(s)`;
    out.push(`Ambient scope (read from its code, nothing to declare): ${where}`);
  }
  for (const p of d.ambient.packages) {
    const from = ambientFrom(p.module ?? '');
    const spec = JSON.stringify({ middleware: p.name, from });
    // Made in the codebase by a package's call: the package's code decides, so say which package to read.
    const what = p.madeBy
      ? `${p.name} (${p.madeBy.at}, made by ${p.madeBy.name} from ${p.madeBy.module})`
      : `${p.name} from ${p.module}`;
    out.push(
      `Package middleware in front of ${p.routes} route(s): ${what} (${p.at}); ` +
        `if it runs next() inside an org-scoped context, add ${spec} to "ambientScopes"`,
    );
  }
  if (d.ambient.transport.length) {
    const names = d.ambient.transport.map((p) => `${p.name} (${p.madeBy?.module ?? p.module})`);
    out.push(`Package middleware that handles the request's transport, never an org context: ${names.join(', ')}`);
  }
  out.push(
    '',
    `Wrote ${written}. Review it, then run: npx rls-guard audit`,
    '',
    'Add the ESLint plugin to your flat config:',
    '',
    ESLINT_SNIPPET,
  );
  return `${out.join('\n')}\n`;
}

export function existingConfig(root: string): string | undefined {
  return CONFIG_FILES.map((f) => path.join(root, f)).find((f) => fs.existsSync(f));
}

/** Dependency names and versions of the root package and every workspace package. */
function packageDependencies(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const dirs = [root, ...(workspaceOf(root)?.packages.map((p) => p.dir) ?? [])];
  for (const dir of dirs) {
    const pkg = readManifest(dir) as Record<string, unknown> | null;
    for (const k of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies']) {
      const deps = pkg?.[k];
      if (deps && typeof deps === 'object')
        for (const [name, version] of Object.entries(deps)) if (typeof version === 'string') out[name] ??= version;
    }
  }
  return out;
}

function moduleSpecifiers(sf: ts.SourceFile): string[] {
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    )
      out.push(node.moduleSpecifier.text);
    else if (
      ts.isCallExpression(node) &&
      node.arguments.length === 1 &&
      ts.isStringLiteral(node.arguments[0]!) &&
      ((ts.isIdentifier(node.expression) && node.expression.text === 'require') ||
        node.expression.kind === ts.SyntaxKind.ImportKeyword)
    ) {
      out.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}




