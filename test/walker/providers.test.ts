import { describe, expect, it } from 'vitest';
import { auditProject, verdicts } from '../support/project.js';

// Scope providers of every shape, recognised from what their bodies do, for any library:
// callback helpers, factories that return a scoped connection, and their traps.

const DB = "import knex from 'knex';\nimport { drizzle } from 'drizzle-orm/node-postgres';\nimport { Pool } from 'pg';\nexport const db = knex({});\nexport const orm = drizzle(process.env.URL!);\nexport const pool = new Pool();\n";

describe('scope providers inferred from their bodies', () => {
  it('a callback helper over a library transaction (knex, drizzle) that sets the context first', () => {
    const report = auditProject({
      'src/db.ts': DB,
      'src/tenancy.ts': `import { sql } from 'drizzle-orm';
import { db, orm } from './db';
export function withOrg<T>(orgId: string, fn: (trx: any) => Promise<T>) {
  return db.transaction(async (trx) => {
    await trx.raw("SELECT set_config('app.current_org_id', ?, true)", [orgId]);
    return fn(trx);
  });
}
export function inTenant<T>(orgId: string, fn: (tx: any) => Promise<T>) {
  return orm.transaction(async (tx) => {
    await tx.execute(sql\`SELECT set_config('app.current_org_id', \${orgId}, true)\`);
    return fn(tx);
  });
}
export function forgetful<T>(orgId: string, fn: (trx: any) => Promise<T>) {
  return db.transaction(async (trx) => fn(trx));
}
`,
      'src/app.ts': `import { sql } from 'drizzle-orm';
import { inTenant, withOrg, forgetful } from './tenancy';
export const a = (org: string) => withOrg(org, (trx) => trx('projects').insert({ org_id: org }));
export const b = (org: string) => forgetful(org, (trx) => trx('projects').insert({ org_id: org }));
export const c = (org: string) => withOrg(org, async () => { const { db } = await import('./db'); return db('projects').del(); });
export const d = (org: string) => inTenant(org, (tx) => tx.execute(sql\`DELETE FROM projects\`));
`,
    });
    // c: the outer knex instance inside the helper's callback is another connection.
    expect(verdicts(report)).toEqual(['src/app.ts:3 org-scope via withOrg', 'src/app.ts:4 unscoped', 'src/app.ts:5 unscoped', 'src/app.ts:6 org-scope via inTenant']);
  });

  it('a factory that returns a connection inside a transaction that set the context', () => {
    const report = auditProject({
      'src/db.ts': DB,
      'src/tenancy.ts': `import { pool } from './db';
export async function orgClient(orgId: string) {
  const c = await pool.connect();
  await c.query('BEGIN');
  await c.query("SELECT set_config('app.current_org_id', $1, true)", [orgId]);
  return c;
}
export async function committedClient(orgId: string) {
  const c = await pool.connect();
  await c.query('BEGIN');
  await c.query("SELECT set_config('app.current_org_id', $1, true)", [orgId]);
  await c.query('COMMIT');
  return c;
}
/** The trap: called without an org, the same factory hands out the bare pool. */
export async function getDb(orgId?: string) {
  if (!orgId) return pool;
  const c = await pool.connect();
  await c.query('BEGIN');
  await c.query("SELECT set_config('app.current_org_id', $1, true)", [orgId]);
  return c;
}
`,
      'src/app.ts': `import { committedClient, getDb, orgClient } from './tenancy';
export async function a(org: string) {
  const c = await orgClient(org);
  await c.query('DELETE FROM projects');
  const d = await committedClient(org);
  await d.query('DELETE FROM projects');
  const e = await getDb();
  await e.query('DELETE FROM projects');
  const f = await getDb(org);
  await f.query('DELETE FROM projects');
}
`,
    });
    // The trap: getDb() without the org returns the bare pool; with it, a scoped connection.
    // committedClient() hands out its checkout after COMMIT, when the local setting has lapsed.
    expect(verdicts(report).map((v) => v.replace(/ via .*/, ''))).toEqual(['src/app.ts:4 org-scope', 'src/app.ts:6 unscoped', 'src/app.ts:8 unscoped', 'src/app.ts:10 org-scope']);
    expect(report.writeSites[1]!.evidence).toContain('outside any transaction that sets the org context');
    expect(report.writeSites[3]!.via).toBe('getDb');
    expect(report.writeSites[0]!.via).toBe('orgClient');
  });
});

describe('per-tenant pools', () => {
  it('covers writes on a pool whose connection options or connect hook set the org setting', () => {
    const report = auditProject({
      'src/pools.ts': `import { Pool } from 'pg';
export function tenantPool(orgId: string) {
  return new Pool({ connectionString: process.env.DATABASE_URL, options: \`-c app.current_org_id=\${orgId}\` });
}
export function hookedPool(orgId: string) {
  const pool = new Pool();
  pool.on('connect', (client) => client.query("SELECT set_config('app.current_org_id', $1, false)", [orgId]));
  return pool;
}
export function timeoutPool() {
  return new Pool({ options: '-c statement_timeout=5000' });
}
`,
      'src/app.ts': `import { hookedPool, tenantPool, timeoutPool } from './pools';
export async function a(org: string) {
  await tenantPool(org).query('DELETE FROM projects');
  await hookedPool(org).query('DELETE FROM audit_logs');
  await timeoutPool().query('DELETE FROM projects');
}
`,
    });
    expect(verdicts(report)).toEqual([
      'src/app.ts:3 org-scope via tenant pool (options -c app.current_org_id)',
      'src/app.ts:4 org-scope via tenant pool (connect hook at src/pools.ts:7)',
      'src/app.ts:5 unscoped',
    ]);
    // The hook's session-wide set is the point of a per-tenant pool, not a leak.
    expect(report.findings.filter((f) => f.ruleId === 'no-pool-scoped-context')).toEqual([]);
  });
});

describe('clients injected by a container', () => {
  const NEST = {
    'prisma/schema.prisma': 'model Project {\n  id String @id\n  @@map("projects")\n}\n',
    'src/prisma.service.ts': "import { Injectable } from '@nestjs/common';\nimport { PrismaClient } from '@prisma/client';\n@Injectable()\nexport class PrismaService extends PrismaClient {}\n",
  };

  it('judges a constructor-injected client that extends the library class as the app pool', () => {
    const report = auditProject({
      ...NEST,
      'src/projects.service.ts': `import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service';
@Injectable()
export class ProjectsService {
  constructor(private readonly prisma: PrismaService) {}
  async remove(id: string) {
    return this.prisma.project.delete({ where: { id } });
  }
  async removeScoped(orgId: string, id: string) {
    return this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw\`SELECT set_config('app.current_org_id', \${orgId}, true)\`;
      return tx.project.delete({ where: { id } });
    });
  }
}
`,
    });
    expect(verdicts(report).map((v) => v.replace(/ via .*/, ''))).toEqual(['src/projects.service.ts:7 unscoped', 'src/projects.service.ts:12 org-scope']);
    expect(report.writeSites[0]!.evidence).toContain('injected into ProjectsService');
  });

  it('follows the callers instead when the code constructs the class itself', () => {
    const report = auditProject({
      ...NEST,
      'src/repo.ts': `import type { Prisma } from '@prisma/client';
export class Repo {
  constructor(private readonly tx: Prisma.TransactionClient) {}
  remove(id: string) {
    return this.tx.project.delete({ where: { id } });
  }
}
`,
      'src/use.ts': `import { PrismaClient } from '@prisma/client';
import { Repo } from './repo';
const prisma = new PrismaClient();
export const run = (orgId: string, id: string) => prisma.$transaction(async (tx) => {
  await tx.$executeRaw\`SELECT set_config('app.current_org_id', \${orgId}, true)\`;
  return new Repo(tx).remove(id);
});
`,
    });
    expect(verdicts(report).map((v) => v.replace(/ via .*/, ''))).toEqual(['src/repo.ts:5 org-scope']);
  });
});

describe('TypeORM repositories injected by a container', () => {
  it('resolves the entity from Repository<Entity> and judges the injected repository as the pool', () => {
    const report = auditProject({
      'src/project.entity.ts': "import { Entity, PrimaryColumn } from 'typeorm';\n@Entity('projects')\nexport class Project {\n  @PrimaryColumn() id!: string;\n}\n",
      'src/projects.service.ts': `import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Project } from './project.entity';
@Injectable()
export class ProjectsService {
  constructor(@InjectRepository(Project) private readonly projects: Repository<Project>) {}
  remove(id: string) {
    return this.projects.delete({ id });
  }
}
`,
    });
    expect(verdicts(report)).toEqual(['src/projects.service.ts:9 unscoped']);
    expect(report.writeSites[0]!.tables).toEqual(['public.projects']);
  });
});

describe.each(['replay', 'static'] as const)('SET ROLE (schema read by %s)', (schemaSource) => {
  it('takes an admin connection back under the policies, and a bypass role out from under them', () => {
    const report = auditProject(
      {
        'db/migrations/002_roles.sql': 'CREATE ROLE app_user NOLOGIN NOBYPASSRLS;\nCREATE ROLE platform_admin NOLOGIN BYPASSRLS;\n',
        'src/db.ts': "import { Pool } from 'pg';\nexport const pool = new Pool();\nexport function openPlatformAdminConnection() { return new Pool(); }\n",
        'src/app.ts': `import { openPlatformAdminConnection, pool } from './db';
export async function asApp(org: string) {
  const admin = await openPlatformAdminConnection().connect();
  await admin.query('BEGIN');
  await admin.query('SET LOCAL ROLE app_user');
  await admin.query('DELETE FROM projects');
  await admin.query("SELECT set_config('app.current_org_id', $1, true)", [org]);
  await admin.query('DELETE FROM audit_logs');
  await admin.query('COMMIT');
}
export async function asPlatform() {
  const c = await pool.connect();
  await c.query('BEGIN');
  await c.query('SET LOCAL ROLE platform_admin');
  await c.query('DELETE FROM projects');
  await c.query('COMMIT');
}
`,
      },
      { schemaSource },
    );
    expect(verdicts(report).map((v) => v.replace(/ via transaction.*/, ' via transaction'))).toEqual([
      'src/app.ts:6 unscoped',
      'src/app.ts:8 org-scope via transaction',
      'src/app.ts:15 admin-pool via SET ROLE platform_admin',
    ]);
    expect(report.writeSites[0]!.evidence).toContain('after SET ROLE app_user at src/app.ts:5, a role without BYPASSRLS');
  }, 60_000);
});

describe('Prisma client extensions built elsewhere', () => {
  it('recognises the row-level-security example: prisma.$extends(forUser(id)) with Prisma.defineExtension', () => {
    const report = auditProject({
      'prisma/schema.prisma': 'model Project {\n  id String @id\n  @@map("projects")\n}\n',
      'src/db.ts': `import { Prisma, PrismaClient } from '@prisma/client';
export const prisma = new PrismaClient();
export function forOrg(orgId: string) {
  return Prisma.defineExtension((client) =>
    client.$extends({
      query: {
        $allModels: {
          async $allOperations({ args, query }) {
            const [, result] = await client.$transaction([client.$executeRaw\`SELECT set_config('app.current_org_id', \${orgId}, TRUE)\`, query(args)]);
            return result;
          },
        },
      },
    }),
  );
}
`,
      'src/app.ts': `import { forOrg, prisma } from './db';
export async function remove(orgId: string, id: string) {
  const orgPrisma = prisma.$extends(forOrg(orgId));
  await orgPrisma.project.delete({ where: { id } });
  await prisma.project.delete({ where: { id } });
}
`,
    });
    expect(verdicts(report)).toEqual(['src/app.ts:4 org-scope via forOrg', 'src/app.ts:5 unscoped']);
  });
});
