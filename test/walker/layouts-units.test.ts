import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { discoverPrismaSchemas } from '../../src/resolve/prisma-discover.js';
import { aliasedLibrary } from '../../src/adapters/libraries.js';
import { auditSync } from '../../src/walker/audit.js';
import { runCli } from '../support/cli.js';
import { auditProject, SCHEMA, verdicts, writeProject } from '../support/project.js';

// The pieces behind the layout fixtures, one shape at a time: library aliases, Prisma schema
// discovery, and which folder a config's paths mean.

const PRISMA_MODELS = 'model AuditLog {\n  id Int @id\n  @@map("audit_logs")\n}\nmodel FeatureFlag {\n  key String @id\n  @@map("feature_flags")\n}\n';
const PRISMA_WRITES = "import { PrismaClient } from '@prisma/client';\nconst p = new PrismaClient();\nexport async function f() {\n  await p.auditLog.create({ data: {} });\n  await p.featureFlag.create({ data: {} });\n}\n";

describe('library aliases', () => {
  it('maps a module and its subpaths, and nothing else', () => {
    const aliases = { '@acme/slonik': 'slonik', 'pg-fork': 'pg' };
    expect(aliasedLibrary(aliases, '@acme/slonik')).toBe('slonik');
    expect(aliasedLibrary(aliases, '@acme/slonik/utils')).toBe('slonik/utils');
    expect(aliasedLibrary(aliases, '@acme/slonik-other')).toBeUndefined();
    expect(aliasedLibrary(aliases, 'pg')).toBeUndefined();
    expect(aliasedLibrary(undefined, 'pg-fork')).toBeUndefined();
  });

  it('reads a forked package as the library only when the config says so', () => {
    const files = { 'src/a.ts': "import { Pool } from 'pg-fork';\nconst pool = new Pool();\nexport async function f() {\n  await pool.query('DELETE FROM projects');\n}\n" };
    expect(verdicts(auditProject(files))).toEqual([]);
    expect(verdicts(auditProject({ ...files, 'rls-guard.config.json': '{ "libraries": { "pg-fork": "pg" } }' }))).toEqual(['src/a.ts:4 unscoped']);
  });

  it('follows a wrapper module that re-exports a library with export *', () => {
    const report = auditProject({
      'src/db/index.ts': "export * from 'pg';\n",
      'src/a.ts': "import { Pool } from './db/index.js';\nconst pool = new Pool();\nexport async function f() {\n  await pool.query('DELETE FROM projects');\n}\n",
    });
    expect(verdicts(report)).toEqual(['src/a.ts:4 unscoped']);
  });

  it('rejects an alias to a library rls-guard does not support', () => {
    expect(() => auditProject({ 'rls-guard.config.json': '{ "libraries": { "x": "sequelize" } }' })).toThrow(/libraries/);
  });
});

describe('Prisma schema discovery', () => {
  it("finds each workspace package's schema where Prisma looks: package.json, prisma.config.ts, prisma/schema/ folders", () => {
    const dir = writeProject({
      'package.json': JSON.stringify({ name: 'root', workspaces: ['apps/*'] }),
      'apps/a/package.json': JSON.stringify({ name: 'a', prisma: { schema: 'db/main.prisma' } }),
      'apps/a/db/main.prisma': PRISMA_MODELS,
      'apps/a/prisma/schema.prisma': '// shadowed by package.json',
      'apps/b/package.json': JSON.stringify({ name: 'b' }),
      'apps/b/prisma.config.ts': "export default { schema: './orm/schema.prisma' };\n",
      'apps/b/orm/schema.prisma': PRISMA_MODELS,
      'apps/c/package.json': JSON.stringify({ name: 'c' }),
      'apps/c/prisma/schema/models.prisma': PRISMA_MODELS,
      'apps/c/prisma/schema/base.prisma': 'datasource db { provider = "postgresql" }',
    });
    const found = discoverPrismaSchemas(dir).map((s) => s.files.map((f) => path.relative(dir, f)));
    expect(found).toEqual([['apps/a/db/main.prisma'], ['apps/b/orm/schema.prisma'], ['apps/c/prisma/schema/base.prisma', 'apps/c/prisma/schema/models.prisma']]);
  });

  it("finds a schema in no usual place by the --schema its package's scripts hand the Prisma CLI", () => {
    const dir = writeProject({
      'package.json': JSON.stringify({
        name: 'root',
        scripts: { build: 'tsc && prisma generate --schema=./db/main.prisma', other: 'echo --schema=nope.prisma' },
      }),
      'db/main.prisma': PRISMA_MODELS,
      'nope.prisma': PRISMA_MODELS,
      'src/a.ts': PRISMA_WRITES,
    });
    expect(discoverPrismaSchemas(dir).map((s) => s.files.map((f) => path.relative(dir, f)))).toEqual([['db/main.prisma']]);
  });

  it('reads the schema the config names (prismaSchema), relative to the config', () => {
    const files = { 'orm/models.prisma': PRISMA_MODELS, 'src/a.ts': PRISMA_WRITES };
    expect(auditProject(files).writeSites.map((s) => s.coverage)).toEqual(['unresolved', 'unresolved']);
    expect(verdicts(auditProject({ ...files, 'rls-guard.config.json': '{ "prismaSchema": ["orm/models.prisma"] }' }))).toEqual(['src/a.ts:4 unscoped', 'src/a.ts:5 not-gated']);
  });

  it('leaves a model two schemas map to different tables unresolved, with the reason', () => {
    const report = auditProject({
      'package.json': JSON.stringify({ name: 'root', workspaces: ['apps/*'] }),
      'apps/a/package.json': JSON.stringify({ name: 'a' }),
      'apps/a/prisma/schema.prisma': PRISMA_MODELS,
      'apps/b/package.json': JSON.stringify({ name: 'b' }),
      'apps/b/prisma/schema.prisma': 'model AuditLog {\n  id Int @id\n  @@map("other_logs")\n}\n',
      'src/a.ts': PRISMA_WRITES,
    });
    expect(report.writeSites.map((s) => s.coverage)).toEqual(['unresolved', 'not-gated']);
    expect(report.writeSites[0]!.evidence).toContain('two Prisma schemas');
  });
});

describe('Prisma schemas of packages side by side, no workspace', () => {
  // A checkout holding several apps, each with its own package.json and schema, none listing the others: Prisma reads
  // the schema of the package it runs in, so each app's client maps its models its own way.
  const LOGS_AS = (table: string): string => `model AuditLog {\n  id Int @id\n  @@map("${table}")\n}\n`;
  const WRITE = (client: string): string =>
    `import { PrismaClient } from '${client}';\nconst p = new PrismaClient();\nexport async function f() {\n` +
    '  await p.auditLog.create({ data: {} });\n}\n';

  it("maps a write to its own package's schema, where two packages map a model two ways", () => {
    const report = auditProject({
      'apps/tickets/suite/api/package.json': JSON.stringify({ name: 'api' }),
      'apps/tickets/suite/api/prisma/schema.prisma': LOGS_AS('audit_logs'),
      'apps/tickets/suite/api/src/a.ts': WRITE('@prisma/client'),
      'apps/tracker/package.json': JSON.stringify({ name: 'tracker' }),
      'apps/tracker/prisma/schema.prisma': LOGS_AS('feature_flags'),
      'apps/tracker/src/b.ts': WRITE('@prisma/client'),
      // Outside both packages: which client it uses is not told by where it sits.
      'tools/c.ts': WRITE('@prisma/client'),
    });
    expect(verdicts(report)).toEqual([
      'apps/tickets/suite/api/src/a.ts:4 unscoped',
      'apps/tracker/src/b.ts:4 not-gated',
      'tools/c.ts:4 unresolved',
    ]);
    expect(report.writeSites[2]!.evidence).toContain('two Prisma schemas');
  });

  it('reads a model only one nested package maps, from anywhere', () => {
    const report = auditProject({
      'services/api/package.json': JSON.stringify({ name: 'api' }),
      'services/api/prisma/schema.prisma': LOGS_AS('audit_logs'),
      'scripts/c.ts': WRITE('@prisma/client'),
    });
    expect(verdicts(report)).toEqual(['scripts/c.ts:4 unscoped']);
  });

  it("maps the root's files by the root's schema, a nested package's by its own, neither ambiguous", () => {
    const report = auditProject({
      'package.json': JSON.stringify({ name: 'root' }),
      'prisma/schema.prisma': LOGS_AS('audit_logs'),
      'src/a.ts': WRITE('@prisma/client'),
      'examples/demo/package.json': JSON.stringify({ name: 'demo' }),
      'examples/demo/prisma/schema.prisma': LOGS_AS('feature_flags'),
      'examples/demo/src/b.ts': WRITE('@prisma/client'),
    });
    expect(verdicts(report)).toEqual(['examples/demo/src/b.ts:4 not-gated', 'src/a.ts:4 unscoped']);
  });
});

describe('a write on a scope helper\'s executor whose library its shape does not name', () => {
  // The executor a scope helper hands its callback is a connection for sure; with no Prisma schema found, the
  // delegate `auditLog` names no table, and the call's shape alone does not say it is Prisma's.
  it('is unresolved, with the reason, never dropped', () => {
    const report = auditProject({
      'package.json': JSON.stringify({ name: 't', dependencies: { '@prisma/client': '^5' } }),
      'src/db.ts':
        "import { PrismaClient } from '@prisma/client';\nexport const db = new PrismaClient();\n" +
        'export async function withOrgScope<T>(ctx: unknown, c: PrismaClient, orgId: string, ' +
        'fn: (tx: any) => Promise<T>) {\n  return c.$transaction(async (tx) => {\n' +
        "    await tx.$executeRaw`SELECT set_config('app.current_org_id', ${orgId}, true)`;\n    return fn(tx);\n  });\n}\n",
      'src/a.ts':
        "import { db, withOrgScope } from './db';\nexport async function add(orgId: string) {\n" +
        '  await withOrgScope(null, db, orgId, async (tx) => {\n    await tx.auditLog.create({ data: {} });\n  });\n}\n',
    });
    expect(verdicts(report)).toEqual(['src/a.ts:4 unresolved']);
    expect(report.writeSites[0]!.evidence).toContain('no schema.prisma was found');
  });
});

describe('roots and config paths', () => {
  it('resolves a config named with --config inside the audited tree against its own folder', () => {
    const dir = writeProject({ 'tools/rls/rls-guard.config.json': '{ "migrations": ["sql"] }', 'tools/rls/sql/001.sql': SCHEMA, 'src/a.ts': "import pg from 'pg';\nconst pool = new pg.Pool();\nexport async function f() {\n  await pool.query('DELETE FROM projects');\n}\n" });
    const report = auditSync({ paths: [dir], configFile: path.join(dir, 'tools/rls/rls-guard.config.json'), types: false, schemaSource: 'static' });
    expect(report.root).toBe(dir);
    expect(verdicts(report)).toEqual(['src/a.ts:4 unscoped']);
  });

  it('keeps the folder of a --config that holds the audited path as the root (auditing one package of a repository)', () => {
    const dir = writeProject({ 'rls-guard.config.json': '{ "migrations": ["db"] }', 'db/001.sql': SCHEMA, 'apps/api/a.ts': "import pg from 'pg';\nconst pool = new pg.Pool();\nexport async function f() {\n  await pool.query('DELETE FROM projects');\n}\n" });
    const report = auditSync({ paths: [path.join(dir, 'apps/api')], configFile: path.join(dir, 'rls-guard.config.json'), types: false, schemaSource: 'static' });
    expect(report.root).toBe(dir);
    expect(verdicts(report)).toEqual(['apps/api/a.ts:4 unscoped']);
  });

  it('resolves a config outside the audited tree against the audited folder, which stays the root', () => {
    const outside = writeProject({ 'rls-guard.config.json': '{ "migrations": ["db/migrations"] }' });
    const fork = writeProject({ 'db/migrations/001.sql': SCHEMA, 'src/a.ts': "import pg from 'pg';\nconst pool = new pg.Pool();\nexport async function f() {\n  await pool.query('DELETE FROM projects');\n}\n" });
    const report = auditSync({ paths: [fork], configFile: path.join(outside, 'rls-guard.config.json'), types: false, schemaSource: 'static' });
    expect(report.root).toBe(fork);
    expect(report.schema.gatedTables).toContain('public.projects');
    expect(verdicts(report)).toEqual(['src/a.ts:4 unscoped']);
    expect(fs.existsSync(path.join(outside, 'db'))).toBe(false);
  });

  it('the CLI audits the fork of the outside-config layout as the README shows', () => {
    const layout = path.resolve(import.meta.dirname, '../../fixtures/layouts/outside-config');
    const r = runCli(['audit', path.join(layout, 'audit-root'), '--config', path.join(layout, 'outside-config/rls-guard.config.json'), '--format', 'json', '--schema-source', 'static']);
    const report = JSON.parse(r.stdout) as { root: string; schema: { gatedTables: string[] }; findings: { file: string; ruleId: string }[] };
    expect(report.root).toBe(path.join(layout, 'audit-root'));
    expect(report.schema.gatedTables).toEqual(['public.documents', 'public.members']);
    expect(report.findings.map((f) => `${f.file} ${f.ruleId}`)).toEqual(['src/documents.ts no-unscoped-write']);
    expect(r.code).toBe(1);
  });
});
