// The JSON Schema of rls-guard.config.*: the validator's source of truth, published as
// docs/config.schema.json (a test keeps that file, docs/config.md and the TypeScript types
// in src/config/types.ts in step with this object).

import { adapters } from '../adapters/index.js';

/** The module names `libraries` may map to: every supported library's own import name. */
const SUPPORTED_MODULES = [...new Set(adapters.flatMap((a) => a.modules))].sort();

const names = { type: 'array', items: { type: 'string', minLength: 1 } } as const;

/** A name, or an object naming it with more detail: how specifiers and helpers are written. */
function nameOr<P extends Record<string, object>>(nameDescription: string, properties: P) {
  return {
    oneOf: [
      { type: 'string', minLength: 1, description: nameDescription },
      { type: 'object', additionalProperties: false, required: ['name'], properties },
    ],
  } as const;
}

const helperProperties = {
  name: { type: 'string', minLength: 1, description: 'The helper name.' },
  from: {
    type: 'string',
    minLength: 1,
    description: 'Module the helper is imported from; when given, only that import matches.',
  },
  callbackArg: {
    type: 'integer',
    description: 'Index of the callback argument; negative counts from the end. Default -1 (the last argument).',
  },
  executorParam: {
    type: 'integer',
    minimum: 0,
    description: "Index of the callback's parameter that receives the scoped executor. Default 0.",
  },
} as const;

const scopeHelper = nameOr(
  'A helper name; its callback is the last argument and receives the scoped executor first.',
  helperProperties,
);

// An admin provider is a connection, a function returning one, or a callback helper handing one out.
const adminProvider = nameOr(
  'An exported name, matched wherever it is imported from: a connection, a function returning one, or a callback ' +
  'helper handing one to its last argument.',
  {
    ...helperProperties,
    executorParam: {
      type: 'integer',
      minimum: 0,
      description: "Index of the callback's parameter that receives the admin connection. Default 0.",
    },
  } as const,
);

const setterHelper = nameOr('A function name; it sets the org context transaction-locally on its first argument.', {
  name: { type: 'string', minLength: 1, description: 'The function name.' },
  from: {
    type: 'string',
    minLength: 1,
    description: 'Module the helper is imported from; when given, only that import matches.',
  },
  connectionArg: {
    type: 'integer',
    minimum: 0,
    description: 'Index of the argument holding the connection it sets the context on. Default 0.',
  },
  setting: {
    type: 'string',
    minLength: 1,
    description: 'The setting it sets. Default: every context setting (the org context).',
  },
  local: {
    type: 'boolean',
    description:
      'Whether it sets it transaction-locally (set_config(…, true), SET LOCAL) or for the session. Default true.',
  },
} as const);

export const CONFIG_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://github.com/rls-guard/rls-guard/blob/main/docs/config.schema.json',
  title: 'rls-guard configuration',
  description:
    'rls-guard.config.{ts,mjs,json}, or the "rls-guard" key of package.json. Shared by `rls-guard audit` and the ' +
    'ESLint plugin. Every key is optional.',
  type: 'object',
  additionalProperties: false,
  properties: {
    $schema: { type: 'string', description: 'The JSON Schema this file follows, for editors.' },
    migrations: {
      ...names,
      description:
        'Folders or files holding migrations, relative to the config file. Default: every .sql file under the root ' +
        'and code migrations (under a migrations folder, or a folder of modules exporting up and down), except under ' +
        'folders named as archived or documentation (archive, backup, deprecated, docs, old, …), which are reported ' +
        'and read only for the tables they gate.',
    },
    contextSettings: {
      ...names,
      description:
        'Settings whose transaction-local value carries the org context. Default: those the policies read, else ' +
        'app.current_org_id.',
    },
    scopeHelpers: {
      type: 'array',
      items: scopeHelper,
      description:
        'Callback helpers that run their callback in an org-scoped transaction, added to withOrgScope and ' +
        'withRequestOrgScope.',
    },
    adminProviders: {
      type: 'array',
      items: adminProvider,
      description:
        'Functions returning, or variables holding, a BYPASSRLS connection, added to openPlatformAdminConnection.',
    },
    ambientScopes: {
      type: 'array',
      description:
        'Middleware that runs next() inside an org-scoped context the code cannot show (defined in a package you do ' +
        'not have): every handler behind it is org-scoped.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['middleware'],
        properties: {
          middleware: {
            type: 'string',
            minLength: 1,
            description: "The middleware's exported name, as the routes use it.",
          },
          from: {
            type: 'string',
            minLength: 1,
            description: 'Module it is imported from; when given, only that import matches.',
          },
        },
      },
    },
    setterHelpers: {
      type: 'array',
      items: setterHelper,
      description:
        'TypeScript functions that set the org context on the connection they are passed (applyTenant(tx, orgId)), ' +
        'for those whose body rls-guard cannot read.',
    },
    definerFunctions: {
      ...names,
      description: 'SQL functions to treat as SECURITY DEFINER even if no migration declares them.',
    },
    setterFunctions: {
      ...names,
      description: 'SQL functions that set the org context (like set_org_id(uuid)) beyond those found in migrations.',
    },
    gatedTables: {
      type: 'object',
      additionalProperties: false,
      description: 'Tables to treat as RLS-gated, or not, whatever the migrations say.',
      properties: {
        add: { ...names, description: 'Schema-qualified tables to treat as gated.' },
        remove: { ...names, description: 'Schema-qualified tables to treat as not gated.' },
      },
    },
    ignore: {
      ...names,
      description:
        'Globs (relative to the root) of files to leave out of the audit (unlike `.gitignore`, which hides only ' +
        'what git does not track, these hide committed files too).',
    },
    includeWritesFrom: {
      type: 'array',
      uniqueItems: true,
      items: { enum: ['tests', 'seeds', 'migrations'] },
      description:
        'Non-app code whose writes are judged as app code: "tests", "seeds", "migrations". Default none: their ' +
        'writes are set aside and counted in summary.setAside.',
    },
    defaultSchema: {
      type: 'string',
      minLength: 1,
      description: 'Schema used for unqualified table names. Default "public".',
    },
    schemaSource: {
      enum: ['auto', 'replay', 'static', 'snapshot', 'database'],
      description:
        'Where the RLS model comes from. "auto" (default): a fresh snapshot file if there is one, else the ' +
        'migrations replayed in embedded Postgres (cached), else their static reading.',
    },
    databaseUrl: {
      type: 'string',
      minLength: 1,
      description:
        'A live database to introspect (read-only) instead of the migrations; "$NAME" reads an environment variable.',
    },
    schemaSnapshot: {
      type: 'string',
      minLength: 1,
      description: 'The snapshot file written by `rls-guard schema --write`. Default "rls-guard.schema.json".',
    },
    appRole: {
      type: 'string',
      minLength: 1,
      description: 'The role the app connects as, for owner-bypass checks. Default: the role that runs the migrations.',
    },
    maxFileBytes: {
      type: 'integer',
      minimum: 1,
      description:
        'Source and migration files larger than this many bytes are skipped and reported as incomplete (the audit ' +
        'then fails). Default 2097152 (2 MiB).',
    },
    packs: {
      ...names,
      description:
        'Extra data packs (removed APIs, deprecated env vars and headers), paths relative to the config file; added ' +
        'to the built-in packs.',
    },
    libraries: {
      type: 'object',
      additionalProperties: { enum: SUPPORTED_MODULES },
      description:
        'Modules to read as a supported database library: a fork or wrapper package name mapped to the library it ' +
        'stands for, e.g. { "@acme/slonik": "slonik" }. Subpaths follow (`@acme/slonik/utils` reads as ' +
        '`slonik/utils`).',
    },
    prismaSchema: {
      ...names,
      description:
        'Prisma schema files or multi-file schema folders, relative to the config file, read before those found in ' +
        'the usual places of every workspace package.',
    },
  },
} as const;
