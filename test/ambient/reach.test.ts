import { describe, expect, it } from 'vitest';
import { auditProject, verdicts } from '../support/project.js';

// Ambient accessors of every shape, and the roots and paths that decide them.

const CONTEXT = `import { AsyncLocalStorage } from 'node:async_hooks';
import { Pool } from 'pg';
export const pool = new Pool();
export const store = new AsyncLocalStorage<{ tx: any }>();
export function getDb() {
  return store.getStore()?.tx ?? pool;
}
`;

describe('ambient writes settled over the roots that reach them', () => {
  it('a getter function: covered inside store.run with a scoped transaction, unscoped from a timer loop', () => {
    const report = auditProject({
      'src/context.ts': CONTEXT,
      'src/work.ts': `import { withOrgScope } from '@acme/tenancy';
import { getDb, pool, store } from './context';
async function write() { await getDb().query('DELETE FROM projects'); }
async function scopedOnly() { await getDb().query('DELETE FROM audit_logs'); }
export async function handle(orgId: string) {
  await withOrgScope(null, pool, orgId, (tx) => store.run({ tx }, async () => { await write(); await scopedOnly(); }));
}
setInterval(() => { void write(); }, 1000);
`,
    });
    expect(verdicts(report)).toEqual(['src/work.ts:3 unscoped', 'src/work.ts:4 org-scope via withOrgScope']);
    const unscoped = report.writeSites[0]!;
    expect(unscoped.evidence).toContain('the setInterval loop');
    expect(unscoped.evidence).toContain('org-scope from 1 exported function');
  });

  it('a middleware that calls next() both inside and outside store.run scopes nothing for sure', () => {
    const report = auditProject({
      'src/context.ts': CONTEXT,
      'src/app.ts': `import { Hono } from 'hono';
import { withOrgScope } from '@acme/tenancy';
import { getDb, pool, store } from './context';
const app = new Hono();
async function leaky(c: any, next: () => Promise<void>) {
  const org = c.req.header('x-org');
  if (!org) return next();
  await withOrgScope(null, pool, org, (tx) => store.run({ tx }, next));
}
async function strict(c: any, next: () => Promise<void>) {
  await withOrgScope(null, pool, c.req.header('x-org'), (tx) => store.run({ tx }, () => next()));
}
app.use('/a/*', leaky);
app.use('/b/*', strict);
app.post('/a/x', async (c) => { await getDb().query('DELETE FROM projects'); return c.body(null); });
app.post('/b/x', async (c) => { await getDb().query('DELETE FROM audit_logs'); return c.body(null); });
`,
    });
    expect(verdicts(report)).toEqual(['src/app.ts:15 unscoped', 'src/app.ts:16 org-scope via withOrgScope']);
    expect(report.writeSites[0]!.evidence).toContain('the route POST /a/x');
    // The branch that lets the request through bare, and the middleware that enters the store on the other.
    expect(report.writeSites[0]!.evidence).toContain(
      'nothing on this path entered `store`: `leaky` enters it at src/app.ts:8 but calls next() without it at src/app.ts:7,',
    );
    expect(report.writeSites[0]!.evidence).toContain(
      'org-scope from 1 route (the route POST /a/x (src/app.ts:15)) where `leaky` enters `store` (src/app.ts:8)',
    );
  });

  it('mutual recursion settles by fixed point, each context once', () => {
    const report = auditProject({
      'src/context.ts': CONTEXT,
      'src/walk.ts': `import { getDb } from './context';
async function a(n: number): Promise<void> { if (n > 0) await b(n - 1); await getDb().query('DELETE FROM projects'); }
async function b(n: number): Promise<void> { if (n > 0) await a(n - 1); }
export async function main() { await a(3); }
`,
    });
    expect(verdicts(report)).toEqual(['src/walk.ts:2 unscoped']);
    expect(report.writeSites[0]!.evidence).toContain('the exported function main');
  });

  it('fails closed: a store entered with an untraceable value, and a function passed around as a value', () => {
    const report = auditProject({
      'src/context.ts': CONTEXT,
      'src/odd.ts': `import { getDb, store } from './context';
async function inside() { await getDb().query('DELETE FROM projects'); }
export async function enter(ctx: any) { await store.run(ctx, inside); }
async function hidden() { await getDb().query('DELETE FROM audit_logs'); }
export const registry = { hidden };
`,
    });
    expect(verdicts(report)).toEqual(['src/odd.ts:2 unresolved', 'src/odd.ts:4 unresolved']);
    expect(report.writeSites[0]!.evidence).toContain('cannot be traced');
    expect(report.writeSites[1]!.evidence).toContain('no caller of `hidden` was found in the audited files');
    // It says how to fix it, and names the function once in the trail, not the whole reason twice.
    expect(report.writeSites[1]!.evidence).toContain('audit the package that calls it together with this one');
    expect(report.writeSites[1]!.evidence.split('was found').length).toBe(2);
  });

  it('a system job entering the store with an admin connection is admin; a queue worker without it is unscoped', () => {
    const report = auditProject({
      'rls-guard.config.json': '{"adminProviders":["adminPool"]}',
      'src/context.ts': `${CONTEXT}export const adminPool = new Pool();\n`,
      'src/jobs.ts': `import { Worker } from 'bullmq';
import { adminPool, getDb, store } from './context';
async function purge() { await getDb().query('DELETE FROM projects'); }
async function sweep() { await getDb().query('DELETE FROM audit_logs'); }
new Worker('purge', () => store.run({ tx: adminPool }, purge));
new Worker('sweep', sweep);
`,
    });
    expect(verdicts(report)).toEqual(['src/jobs.ts:3 admin-pool via adminPool', 'src/jobs.ts:4 unscoped']);
    expect(report.writeSites[1]!.evidence).toContain("the job 'sweep' (sweep, src/jobs.ts:6)");
  });

  it('routes registered by a helper that receives the app: the middleware registered before the helper call applies', () => {
    const report = auditProject({
      'src/context.ts': CONTEXT,
      'src/routes.ts': `import { getDb } from './context';
export function publicRoutes(app: any) {
  app.post('/ping', async (_req: any, res: any) => { await getDb().query('DELETE FROM projects'); res.end(); });
}
export function privateRoutes(app: any) {
  app.post('/notes', async (_req: any, res: any) => { await getDb().query('DELETE FROM audit_logs'); res.end(); });
}
`,
      'src/app.ts': `import express from 'express';
import { withOrgScope } from '@acme/tenancy';
import { pool, store } from './context';
import { privateRoutes, publicRoutes } from './routes';
const app = express();
publicRoutes(app);
app.use((req: any, _res: any, next: () => void) => withOrgScope(req, pool, req.org, (tx) => store.run({ tx }, next)));
privateRoutes(app);
`,
    });
    expect(verdicts(report)).toEqual(['src/routes.ts:3 unscoped', 'src/routes.ts:6 org-scope via withOrgScope']);
    expect(report.writeSites[0]!.evidence).toContain('the route POST /ping (src/routes.ts:3)');
  });

  it('a Proxy trap that holds the store in a const and reads its member', () => {
    const report = auditProject({
      'src/db.ts': `import { AsyncLocalStorage } from 'node:async_hooks';
import { Pool } from 'pg';
import { withOrgScope } from '@acme/tenancy';
const pool = new Pool();
const als = new AsyncLocalStorage<{ tx: any }>();
export const db = new Proxy(pool, {
  get(target, prop) {
    const ctx = als.getStore();
    const active = ctx ? ctx.tx : target;
    return Reflect.get(active, prop);
  },
});
export async function inOrg(orgId: string) {
  await withOrgScope(null, pool, orgId, (tx) => als.run({ tx }, () => db.query('DELETE FROM projects')));
}
export async function outside() {
  await db.query('DELETE FROM audit_logs');
}
`,
    });
    expect(verdicts(report)).toEqual(['src/db.ts:14 org-scope via withOrgScope', 'src/db.ts:17 unscoped']);
  });

  it('store.enterWith(v) covers what runs after it in the function: next() in a middleware, later calls, later writes; not from inside a branch', () => {
    const report = auditProject({
      'rls-guard.config.json': '{"adminProviders":["adminPool"]}',
      'src/context.ts': `${CONTEXT}export const adminPool = new Pool();
`,
      'src/app.ts': `import express from 'express';
import { adminPool, getDb, store } from './context';
const app = express();
async function helper() { await getDb().query('DELETE FROM projects'); }
export async function system() {
  store.enterWith({ tx: adminPool });
  await helper();
  await getDb().query('DELETE FROM audit_logs WHERE action = $1', ['a']);
}
export async function maybe(flag: boolean) {
  if (flag) {
    store.enterWith({ tx: adminPool });
  }
  await getDb().query('DELETE FROM audit_logs WHERE action = $1', ['b']);
}
app.use((req: any, _res: any, next: () => void) => {
  store.enterWith({ tx: adminPool });
  next();
});
app.post('/x', async (_req: any, res: any) => { await getDb().query('DELETE FROM audit_logs WHERE action = $1', ['c']); res.end(); });
`,
    });
    expect(verdicts(report)).toEqual(['src/app.ts:4 admin-pool via adminPool', 'src/app.ts:8 admin-pool via adminPool', 'src/app.ts:14 unscoped', 'src/app.ts:20 admin-pool via adminPool']);
  });

  it('Koa: a router mounted after a middleware that awaits next() inside store.run is scoped; one mounted before is not', () => {
    const report = auditProject({
      'src/context.ts': CONTEXT,
      'src/server.ts': `import Koa from 'koa';
import Router from '@koa/router';
import { withOrgScope } from '@acme/tenancy';
import { getDb, pool, store } from './context';
const app = new Koa();
const open = new Router();
const api = new Router();
open.post('/hook', async (ctx: any) => { await getDb().query('DELETE FROM projects'); ctx.status = 204; });
api.post('/notes', async (ctx: any) => { await getDb().query('DELETE FROM audit_logs'); ctx.status = 204; });
app.use(open.routes());
app.use(async (ctx: any, next: () => Promise<void>) => {
  await withOrgScope(ctx, pool, ctx.get('x-org'), (tx) => store.run({ tx }, () => next()));
});
app.use(api.routes());
`,
    });
    expect(verdicts(report)).toEqual(['src/server.ts:8 unscoped', 'src/server.ts:9 org-scope via withOrgScope']);
  });
});

describe('framework entry points', () => {
  const STORE = `import { AsyncLocalStorage } from 'node:async_hooks';
import { Pool } from 'pg';
import { withOrgScope } from '@acme/tenancy';
export const pool = new Pool();
export const store = new AsyncLocalStorage<{ tx: any }>();
export const db = () => store.getStore()?.tx ?? pool;
`;

  it('a NestJS global interceptor covers every controller; one that never calls next.handle() inside the store does not', () => {
    const report = auditProject({
      'src/context.ts': STORE,
      'src/main.ts': `import { NestFactory } from '@nestjs/core';
import { Controller, Post } from '@nestjs/common';
import { withOrgScope } from '@acme/tenancy';
import { db, pool, store } from './context';
class Scoping {
  intercept(ctx: any, next: any) { return withOrgScope(null, pool, 'o', (tx) => store.run({ tx }, () => next.handle())); }
}
@Controller('a')
export class A {
  @Post('x') async x() { await db().query('DELETE FROM projects'); }
}
async function main() {
  const app = await NestFactory.create({});
  app.useGlobalInterceptors(new Scoping());
}
void main();
`,
    });
    expect(verdicts(report)).toEqual(['src/main.ts:10 org-scope via withOrgScope']);
    expect(report.writeSites[0]!.evidence).toContain('NestJS route POST /a/x, A.x');
  });

  it("Fastify's app.route({ preHandler, handler }) runs the hook first; an async hook enters with enterWith", () => {
    const report = auditProject({
      'src/context.ts': STORE,
      'src/server.ts': `import fastify from 'fastify';
import { withOrgScope } from '@acme/tenancy';
import { db, pool, store } from './context';
const app = fastify();
async function enter(req: any) { store.enterWith({ tx: await pool.connect() }); }
function scoped(req: any, reply: any, done: () => void) { void withOrgScope(null, pool, 'o', (tx) => store.run({ tx }, done)); }
app.route({ method: 'POST', url: '/a', preHandler: scoped, handler: async () => { await db().query('DELETE FROM projects'); } });
app.route({ method: 'POST', url: '/b', onRequest: [enter], handler: async () => { await db().query('DELETE FROM audit_logs'); } });
`,
    });
    expect(verdicts(report)).toEqual(['src/server.ts:7 org-scope via withOrgScope', 'src/server.ts:8 unscoped']);
  });

  it("a Next.js server action declared inline with 'use server' is a root", () => {
    const report = auditProject({
      'src/context.ts': STORE,
      'src/app/page.ts': `import { db } from '../context';
export default function Page() {
  async function save() {
    'use server';
    await db().query('DELETE FROM projects');
  }
  return save;
}
`,
    });
    expect(verdicts(report)).toEqual(['src/app/page.ts:5 unscoped']);
    expect(report.writeSites[0]!.evidence).toContain('the server action save');
  });
});

describe('functions passed by name', () => {
  it('run during the call of the codebase function they are passed to; one also kept as a value stays unresolved', () => {
    const report = auditProject({
      'src/context.ts': CONTEXT,
      'src/script.ts': `import { getDb } from './context';
async function chunk(): Promise<number> { await getDb().query('DELETE FROM projects'); return 0; }
async function kept(): Promise<number> { await getDb().query('DELETE FROM audit_logs'); return 0; }
async function runChunked(label: string, step: () => Promise<number>) { while ((await step()) > 0) console.log(label); }
export const registry = { kept };
async function main() { await runChunked('a', chunk); await runChunked('b', kept); }
void main();
`,
    });
    expect(verdicts(report)).toEqual(['src/script.ts:2 unscoped', 'src/script.ts:3 unresolved']);
    expect(report.writeSites[0]!.evidence).toContain('the module code of src/script.ts (run at startup) → main()');
  });
});

describe('inferred ambient providers, for rls-guard init', () => {
  it('lists the middleware that enter a store with where they are defined, and package middleware with their module', async () => {
    const { vi } = await import('vitest');
    const { AmbientSettler } = await import('../../src/analysis/ambient/settle.js');
    let settler: InstanceType<typeof AmbientSettler> | undefined;
    const original = AmbientSettler.prototype.settle;
    const spy = vi.spyOn(AmbientSettler.prototype, 'settle').mockImplementation(function (this: InstanceType<typeof AmbientSettler>, ...args) {
      settler = this;
      return original.apply(this, args);
    });
    try {
      auditProject({
        'src/context.ts': CONTEXT,
        'src/app.ts': `import express from 'express';
import { requireTenant } from '@acme/platform';
import { withOrgScope } from '@acme/tenancy';
import { getDb, pool, store } from './context';
const app = express();
function scope(req: any, res: any, next: any) { void withOrgScope(req, pool, 'o', (tx) => store.run({ tx }, () => next())); }
app.use('/a', scope);
app.use('/b', requireTenant());
app.post('/a/x', async () => { await getDb().query('DELETE FROM projects'); });
app.post('/b/x', async () => { await getDb().query('DELETE FROM projects'); });
`,
      });
    } finally {
      spy.mockRestore();
    }
    const providers = settler!.inferredProviders().map((p) => `${p.name} ${p.at} ${p.module ?? '-'} ${p.enters.join(',') || '-'} ${p.routes}`);
    expect(providers).toEqual(['scope src/app.ts:6 - store 1', 'requireTenant src/app.ts:8 @acme/platform - 1']);
  });
});
