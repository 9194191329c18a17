import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { readMigrations } from '../../src/schema/load.js';
import { auditSync } from '../../src/walker/audit.js';
import { readExpectations, sourceFiles } from '../support/annotations.js';
import { itMatchesAnnotations } from '../support/annotated-cases.js';
import { Oracle } from '../support/oracle.js';
import { runOracle } from '../support/oracle-verdicts.js';

// Apps whose connection travels in a web framework's request context (fixtures/context/<app>):
// a tRPC context factory and middlewares that swap the context's `db`, Hono middleware that
// `c.set('db', …)` on some paths and not others, read-replica wrappers. Annotated site by
// site with decoys, a committed report, and the raw-SQL sites executed in Postgres.

const ROOT = path.resolve(import.meta.dirname, '../../fixtures/context');
const apps = fs.readdirSync(ROOT, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
const audit = (name: string) => auditSync({ paths: [path.join(ROOT, name)], types: false, schemaSource: 'static' });
const comparable = (r: { writeSites: unknown; findings: unknown }) => ({ writeSites: r.writeSites, findings: r.findings });

describe.each(apps)('the context fixture app %s', (name) => {
  const root = path.join(ROOT, name);
  const report = audit(name);
  const expectations = readExpectations(root, sourceFiles(root));

  it('has org-scoped, admin and unscoped (decoy) writes', () => {
    const coverages = new Set(expectations.filter((e) => e.kind === 'site').map((e) => e.coverage));
    for (const c of ['org-scope', 'unscoped', 'admin-pool']) expect(coverages, c).toContain(c);
  });

  itMatchesAnnotations(report, expectations);

  it('matches the expected report committed beside the app', () => {
    const file = path.join(root, 'expected-report.json');
    if (process.env.UPDATE_EXPECTED) fs.writeFileSync(file, `${JSON.stringify(comparable(report), null, 2)}\n`);
    expect(comparable(report)).toEqual(comparable(JSON.parse(fs.readFileSync(file, 'utf8'))));
  });
});

describe('evidence for a connection carried in a request context', () => {
  const trpc = audit('trpc-drizzle');
  const hono = audit('hono-vars');
  const at = (r: typeof trpc, file: string, line: number) => r.writeSites.find((s) => s.file === file && s.line === line)!;

  it('names the middleware that swapped in the scoped transaction, where the resolver reads it', () => {
    expect(at(trpc, 'src/trpc/router.ts', 16).evidence).toMatch(
      /^runs on `db` set by the tRPC middleware `orgScoped` \(src\/trpc\/init\.ts:27\), which the tRPC context of `orgProcedure/,
    );
  });

  it('judges a transaction a tRPC middleware opens itself in the state its `next(…)` call hands it on in', () => {
    const own = audit('trpc-own-tx');
    // On the imported pool: the set_config before `next` covers the resolver's write (was: unscoped, judged fresh).
    expect(at(own, 'src/trpc/router.ts', 10).evidence).toBe(
      'runs on `db` set by the tRPC middleware `importedTx` (src/trpc/init.ts:21), which the tRPC context of ' +
        '`importedProcedure.input(z.object({ id: …` (src/trpc/router.ts:8) carries: the transaction set the org ' +
        'context with set_config at src/trpc/init.ts:20',
    );
    // On `ctx.db`: a transaction of the value the chain carried in, the factory's pool (was: unresolved).
    expect(at(own, 'src/trpc/router.ts', 17).via).toBe('transaction set_config (src/trpc/init.ts:29)');
    const bare = at(own, 'src/trpc/router.ts', 29);
    expect(bare.coverage).toBe('unscoped');
    expect(bare.evidence).toContain(
      '`bareTx` (src/trpc/init.ts:35), a transaction it opens on `db` returned by the tRPC context factory ' +
        '`createContext` (src/trpc/init.ts:9)',
    );
    expect(bare.evidence).toContain('inside a transaction that has not set the org context');
    // The set after `next`: the resolver ran before it.
    expect(at(own, 'src/trpc/router.ts', 35).coverage).toBe('unscoped');
  });

  it('reads `ctx.db = tx; return next({ ctx })` as handing on the transaction in its state at `next` (unres34)', () => {
    const own = audit('trpc-own-tx');
    // Was unscoped: the factory's pool judged beside `tx`, and `tx` fresh.
    expect(at(own, 'src/trpc/router.ts', 43).evidence).toBe(
      'runs on `db` set by the tRPC middleware `assignedTx` (src/trpc/init.ts:50), a transaction it opens on `db` ' +
        'returned by the tRPC context factory `createContext` (src/trpc/init.ts:9), which the tRPC context of ' +
        '`assignedProcedure.input(z.string()).mut…` (src/trpc/router.ts:41) carries: the transaction set the org ' +
        'context with set_config at src/trpc/init.ts:49',
    );
    // Assigned on one branch: the factory's pool still reaches the resolver.
    expect(at(own, 'src/trpc/router.ts', 49).evidence).toContain('returned by the tRPC context factory `createContext`');
    // Assigned and handed on before the set: the transaction, which has set nothing yet.
    expect(at(own, 'src/trpc/router.ts', 55).evidence).toContain('inside a transaction that has not set the org context');
  });

  it('names the context factory, and the primary of withReplicas, for a procedure built without the scoping middleware', () => {
    const decoy = at(trpc, 'src/queries/projects.ts', 14);
    expect(decoy.coverage).toBe('unscoped');
    expect(decoy.evidence).toContain("the call at src/trpc/router.ts:21 logAction(ctx.db, input.orgId, 'feedback') runs on `db` returned by the tRPC context factory `createContext` (src/trpc/init.ts:9)");
    expect(decoy.evidence).toContain("the primary of drizzle's withReplicas at src/db/client.ts:10");
  });

  it('reads a next-safe-action client chain: the middleware that set `ctx.db`, the merge that keeps it, a package\'s middleware', () => {
    const action = audit('safe-action-drizzle');
    // `.metadata(…).inputSchema(…).stateAction(…)` on `orgAction`, whose inline middleware hands on the scope's `tx`.
    expect(at(action, 'src/actions/projects.ts', 20).evidence).toMatch(
      /^runs on `db` set by the next-safe-action middleware of `orgAction` \(src\/actions\/clients\.ts:23\), which the next-safe-action context of `orgAction/,
    );
    // `authedAction`'s `next({ ctx: { orgId } })` merges: the `db` a later middleware sets is what the action reads.
    expect(at(action, 'src/queries/projects.ts', 8).via).toBe('withOrg');
    // The decoy: `useValidated` hands every action the plain pool; the helper is judged by its worst caller.
    const decoy = at(action, 'src/queries/projects.ts', 14);
    expect(decoy.coverage).toBe('unscoped');
    expect(decoy.evidence).toContain('runs on `db` set by the next-safe-action middleware of `pooledAction` (src/actions/clients.ts:31)');
    // `createMiddleware().define(fn)` is read like an inline middleware.
    expect(at(action, 'src/queries/projects.ts', 21).coverage).toBe('admin-pool');
    expect(at(action, 'src/actions/projects.ts', 37).evidence).toBe(
      'runs on the connection the next-safe-action context of `limitedAction.inputSchema(z.string()).a…` ' +
        '(src/actions/projects.ts:35) carries, and the next-safe-action middleware `rateLimit` (src/actions/clients.ts:34) cannot be read',
    );
  });

  it('judges a Hono context variable per route: the middleware that set it, or nothing on a path without one', () => {
    expect(at(hono, 'src/app.ts', 17).evidence).toMatch(/org-scope from 1 route where `orgDb` enters `c\.var\.db` \(src\/middleware\.ts:10\); e\.g\. from the route POST \/org\/projects \(src\/app\.ts:13\): `c\.var\.db` was entered at src\/middleware\.ts:10/);
    expect(at(hono, 'src/actions.ts', 8).evidence).toContain('unscoped when reached from the route POST /public/feedback (src/app.ts:22): `c.var.db` was entered at src/middleware.ts:17');
    expect(at(hono, 'src/actions.ts', 8).evidence).toContain('the primary of the read-replica wrapper `withReadReplica`');
    expect(at(hono, 'src/app.ts', 36).evidence).toMatch(/^unresolved when reached from the route POST \/health\/touch \(src\/app\.ts:33\): nothing on this path entered `c\.var\.db`/);
    // A builder whose receiver is the getter's result (`c.get('db').insert(t)`) is the same read of the context.
    expect(at(hono, 'src/app.ts', 43).evidence).toMatch(/org-scope from 1 route where `orgDb` enters `c\.var\.db` \(src\/middleware\.ts:10\); e\.g\. from the route POST \/org\/direct/);
    expect(at(hono, 'src/app.ts', 45).evidence).toContain("`shards.for(c.req.header('x-org-id')!)` returns a value this analysis cannot trace");
    expect(at(hono, 'src/app.ts', 52).evidence).toMatch(/^unresolved when reached from the route POST \/elsewhere\/direct/);
  });

  it('judges an Express request property per route: the middleware that assigned it, or nothing where none did', () => {
    const express = audit('express-locals');
    expect(at(express, 'src/app.ts', 15).evidence).toMatch(/org-scope from 1 route where `orgDb` enters `req\.db` \(src\/middleware\.ts:12\); e\.g\. from the route POST \/org\/projects \(src\/app\.ts:12\): `req\.db` was entered at src\/middleware\.ts:12/);
    expect(at(express, 'src/actions.ts', 6).evidence).toContain('unscoped when reached from the route POST /public/feedback (src/app.ts:27): `req.db` was entered at src/middleware.ts:31');
    // The session set on the client before `res.locals.db = client` stays with it.
    expect(at(express, 'src/app.ts', 23).via).toBe('withOrgScope'); // `const { db } = req`
    expect(at(express, 'src/app.ts', 35).via).toBe('session set_config (src/middleware.ts:21)');
    expect(at(express, 'src/app.ts', 49).evidence).toMatch(/^unresolved when reached from the route POST \/reports\/touch \(src\/app\.ts:47\): nothing on this path entered `req\.db`/);
  });

  it('judges a query function a middleware hangs on the request as what the function does with the call\'s text', () => {
    const express = audit('express-query-fn');
    // The builder the arrow calls checks out its own client, sets the org in its transaction, then runs the text.
    expect(at(express, 'src/app.ts', 32).evidence).toContain('`req.orgQuery` was entered at src/middleware.ts:11 with the query function at src/middleware.ts:11, which runs this call\'s text through the table-generic builder `scopedQuery` (src/db.ts:14): the transaction set the org context');
    expect(at(express, 'src/app.ts', 32).tables).toEqual(['public.projects']);
    // The read beside it is no site.
    expect(express.writeSites.some((s) => s.file === 'src/app.ts' && s.line === 37)).toBe(false);
    // A request cast to the codebase's own type is the same request.
    expect(at(express, 'src/app.ts', 45).coverage).toBe('org-scope');
    // The function's two branches: the worse one decides, named.
    const branches = at(express, 'src/app.ts', 52);
    expect(branches.evidence).toContain('whose 2 queries run this call\'s text; the worst decides');
    expect(branches.evidence).toContain('(2) unscoped: `req.runQuery` was entered at src/middleware.ts:12 with the query function at src/middleware.ts:12, which runs this call\'s text through the table-generic builder `plainQuery` (src/db.ts:27)');
    // Another middleware on the path assigns the property again: its function on that path.
    expect(at(express, 'src/app.ts', 60).evidence).toContain('admin-pool from 1 route where `operatorQueries` enters `req.runQuery`');
    // Registered before the middleware, and a property no middleware assigns: unresolved, never dropped.
    expect(at(express, 'src/app.ts', 16).evidence).toMatch(/^unresolved when reached from the route POST \/early\/cleanup \(src\/app\.ts:14\): `req\.orgQuery` is assigned by no middleware registered before this route/);
    expect(at(express, 'src/app.ts', 76).evidence).toContain('`req.auditQuery` is assigned by no middleware registered before this route');
  });

  it('judges a callback handed to a transaction function a middleware hangs on the request as the helper it reaches', () => {
    const tx = audit('express-transaction-fn');
    // The arrow the middleware entered hands the callback to one of two helpers, each setting the org: both named.
    const created = at(tx, 'src/app.ts', 27);
    expect(created.coverage).toBe('org-scope');
    expect(created.via).toBe('withActorTransaction, withOrgTransaction');
    expect(created.evidence).toContain('org-scope from 1 route where `attachTransactions` enters `req.orgTransaction`');
    expect(created.evidence).toContain('(it hands the callback to `withActorTransaction` or `withOrgTransaction`)');
    // Through a cast request, the callback's parameter untyped (the request's declaration types it).
    expect(at(tx, 'src/app.ts', 43).coverage).toBe('org-scope');
    // One branch a transaction that sets nothing: that branch decides, named.
    expect(at(tx, 'src/app.ts', 52).evidence).toContain('passed to `withPlainTransaction` (src/db.ts:40)');
    // Assigned again on `/ops`: the operators' helper there.
    expect(at(tx, 'src/app.ts', 62).evidence).toContain('passed to `withAdminTransaction` (src/db.ts:53)');
    // Before the middleware, and a property nothing assigns: unresolved, never passed.
    expect(at(tx, 'src/app.ts', 16).evidence).toContain('so the function called with the callback at src/app.ts:14 is undefined there');
    expect(at(tx, 'src/app.ts', 71).evidence).toContain('`req.auditTransaction` is assigned by no middleware registered before');
  });

  it('judges a Fastify request property per route: the hook of the instance (or its fastify-plugin) that assigned it', () => {
    const fastify = audit('fastify-request-db');
    // The hook of `orgDb`, a fastify-plugin registered inside the encapsulated `orgRoutes`, precedes its routes.
    expect(at(fastify, 'src/app.ts', 14).via).toBe('session set_config (src/plugins/db.ts:27)');
    expect(at(fastify, 'src/app.ts', 14).evidence).toContain('from the route POST /org/projects (src/app.ts:12): `request.db` was entered at src/plugins/db.ts:28');
    // A later hook of the instance reads it too (the store built over `req.db` there is judged at that construction).
    expect(at(fastify, 'src/notes.ts', 9).coverage).toBe('org-scope');
    // `const { db } = request` in `route({ handler })`.
    expect(at(fastify, 'src/app.ts', 30).evidence).toContain('from the route PUT /org/rename (src/app.ts:24)');
    // `publicRoutes` is its own encapsulated instance: `orgDb`'s hook does not reach it, `plainDb`'s does.
    expect(at(fastify, 'src/app.ts', 42).evidence).toContain('unscoped when reached from the route POST /public/feedback (src/app.ts:40): `request.db` was entered at src/plugins/db.ts:18');
    // A connection class of the codebase (made by its static factory `new this(pool)`) is judged on what its `query` uses.
    expect(at(fastify, 'src/app.ts', 67).evidence).toContain(
      '`request.tenant` was entered at src/plugins/db.ts:39: runs on pg Pool created at src/db.ts:3, through an instance of `TenantConnection` (src/tenant-connection.ts:9), whose `query` (src/tenant-connection.ts:12) hands each statement to `this.pool`',
    );
    expect(at(fastify, 'src/app.ts', 57).evidence).toMatch(/^unresolved when reached from the route POST \/reports\/touch \(src\/app\.ts:55\): nothing on this path entered `request\.db`/);
  });

  it('judges each value a Hono middleware may set again: its own earlier value, that value\'s primary-only variant, a ternary', () => {
    const primary = audit('hono-primary');
    // withDb's replicated set, kept or swapped for its primary-only variant by pinAfterWrite: the owner pool either way.
    const pinned = at(primary, 'src/app.ts', 16);
    expect(pinned.coverage).toBe('admin-pool');
    expect(pinned.evidence).toContain('`c.var.db` is entered at src/middleware.ts:24 with one of 2 values, each admin-pool');
    expect(pinned.evidence).toContain("set again at src/middleware.ts:24 from its own earlier value (`c.get('db')`), which is: `c.var.db` was entered at src/middleware.ts:8");
    expect(pinned.evidence).toContain("(`primaryOnly()`, its `usePrimaryOnly`), which is: `c.var.db` was entered at src/middleware.ts:8 with `db`, whose `usePrimaryOnly` (src/middleware.ts:22) keeps its primary");
    // A bare pool among the values decides; an untraced one leaves it unresolved, naming it.
    expect(at(primary, 'src/app.ts', 39).evidence).toMatch(/with one of 2 values; the worst decides: \(1\) unscoped: .*`reportingDb`.*\(2\) admin-pool/);
    expect(at(primary, 'src/app.ts', 53).evidence).toContain('(1) unresolved: `c.var.db` was entered at src/middleware.ts:59 with `(shards.for(region) as Database)`');
    // Admin on one value and org-scoped on the other: not one coverage.
    expect(at(primary, 'src/app.ts', 75).evidence).toContain('with one of 2 values, which differ (admin-pool, org-scope)');
    // Nothing set before it on this path: its own earlier value is undefined.
    expect(at(primary, 'src/app.ts', 61).evidence).toContain('and nothing on this path entered it before');
  });

  it('traces worker connections from an inherited method and a private field; a package registry stays unresolved', () => {
    const worker = audit('worker-db');
    expect(at(worker, 'src/processors/export.ts', 10).evidence).toContain('runs on `db` from connect() at src/processors/export.ts:8, drizzle pool from drizzle() at src/db.ts:9');
    expect(at(worker, 'src/mailbox.ts', 14).evidence).toBe('runs on parameter `db` of `Mailbox.constructor`; its one call, at src/worker.ts:13, passes an admin connection via ownerDb (declared admin: `adminProviders` in rls-guard.config.json)');
    expect(at(worker, 'src/worker.ts', 23).evidence).toContain("cannot read `db` of `registry.get(DbSlot)`, a value package '@acme/job-runtime' hands back at run time");
    // The warm-up's `{} as Database` adds no case; a function given only stubs stays unresolved.
    expect(at(worker, 'src/digest.ts', 12).evidence).toContain('(and 1 more passes an empty object, a stub that cannot write)');
    expect(at(worker, 'src/digest.ts', 18).evidence).toContain('every call of `writePreview` passes an empty object (a stub) for it');
  });

  it('reads a wrapper that sends a write elsewhere as untraced, never as its spread connection', () => {
    expect(at(hono, 'src/actions.ts', 20).evidence).toBe('the connection that runs this write cannot be traced: `mirrored` spreads `primaryDb` but sends its `insert` elsewhere');
  });
});

describe('the runtime oracle on the context apps', () => {
  let oracle: Oracle;
  const reports = apps.map((name) => ({ name, report: audit(name) }));
  beforeAll(async () => {
    const loaded = loadConfig({ start: path.join(ROOT, apps[0]!) });
    oracle = await Oracle.create(readMigrations(path.join(ROOT, apps[0]!), loaded.config).files, reports[0]!.report.schema.gatedTables);
  }, 120_000);
  afterAll(async () => {
    await oracle?.close();
  });

  it('confirms every raw-SQL verdict in Postgres', async () => {
    let executed = 0;
    for (const { name, report } of reports) {
      const verdicts = await runOracle(oracle, report);
      expect(verdicts.filter((v) => v.outcome !== 'agrees').map((p) => `${name}/${p.site} ${p.outcome}: ${p.detail}`)).toEqual([]);
      executed += verdicts.length;
    }
    expect(executed).toBeGreaterThanOrEqual(3);
  }, 300_000);
});
