import { describe, expect, it } from 'vitest';
import { auditProject, codeFindings, verdicts } from '../support/project.js';

const pool = `import { Pool } from 'pg';\nexport const pool = new Pool();\n`;
const site = (report: ReturnType<typeof auditProject>, file: string) => report.writeSites.filter((s) => s.file === file);

describe('precision on shapes real code uses', () => {
  it('reads the setting name and scope from bind values: set_config($1, $2, $3)', () => {
    const report = auditProject({
      'src/a.ts': `${pool}
export async function a(orgId: string) {
  const c = await pool.connect();
  await c.query('BEGIN');
  await c.query('SELECT set_config($1, $2, $3)', ['app.current_org_id', orgId, true]);
  await c.query('DELETE FROM projects WHERE id = $1', [1]);
  await c.query('COMMIT');
  await c.query({ text: 'SELECT set_config($1, $2, false)', values: ['app.current_org_id', orgId] });
}
`,
    });
    expect(verdicts(report)).toEqual(['src/a.ts:8 org-scope via transaction set_config (src/a.ts:7)']);
    expect(codeFindings(report).map((f) => `${f.ruleId}:${f.line}`)).toEqual(['no-pool-scoped-context:10']);
  });

  it('keeps an explicit transaction opened inside a multi-statement string', () => {
    const report = auditProject({
      'src/a.ts': `${pool}
export async function a(orgId: string) {
  const c = await pool.connect();
  await c.query("BEGIN; SELECT set_config('app.current_org_id', '00000000-0000-4000-8000-000000000001', true)");
  await c.query('DELETE FROM projects');
  await c.query('COMMIT');
}
`,
    });
    expect(verdicts(report)).toEqual(['src/a.ts:7 org-scope via transaction set_config (src/a.ts:6)']);
  });

  it('judges a closure that captures the client where the closure is called', () => {
    const report = auditProject({
      'src/a.ts': `${pool}
export async function a(orgId: string, rows: string[]) {
  const client = await pool.connect();
  const insert = (name: string) => client.query('INSERT INTO projects (org_id, name) VALUES ($1, $2)', [orgId, name]);
  await client.query('BEGIN');
  await client.query("SELECT set_config('app.current_org_id', $1, true)", [orgId]);
  for (const r of rows) await insert(r);
  await client.query('COMMIT');
}
export async function b(orgId: string) {
  const client = await pool.connect();
  const wipe = () => client.query('DELETE FROM audit_logs');
  await wipe();
  await client.query('BEGIN');
  await client.query("SELECT set_config('app.current_org_id', $1, true)", [orgId]);
  await client.query('COMMIT');
}
`,
    });
    expect(verdicts(report)).toEqual(['src/a.ts:6 org-scope via transaction set_config (src/a.ts:8)', 'src/a.ts:14 unscoped']);
    expect(codeFindings(report)[0]!.message).toContain('src/a.ts:15 wipe()');
  });

  it('follows class repositories: constructor parameter properties and methods', () => {
    const report = auditProject({
      'src/db.ts': pool,
      'src/repo.ts': `import type { PoolClient } from 'pg';
export class ProjectRepo {
  constructor(private readonly db: PoolClient) {}
  async rename(id: string, name: string) {
    await this.db.query('UPDATE projects SET name = $2 WHERE id = $1', [id, name]);
  }
}
export class AuditRepo {
  async record(client: PoolClient, action: string) {
    await client.query('INSERT INTO audit_logs (org_id, action) VALUES ($1, $2)', ['o', action]);
  }
  async recordTwice(client: PoolClient, action: string) {
    await this.record(client, action);
  }
}
`,
      'src/service.ts': `import { pool } from './db';
import { withOrgScope } from './scope';
import { AuditRepo, ProjectRepo } from './repo';
const audit = new AuditRepo();
export const ok = (ctx: unknown, orgId: string) =>
  withOrgScope(ctx, pool, orgId, async (tx) => {
    await new ProjectRepo(tx).rename('p', 'n');
    await audit.recordTwice(tx, 'renamed');
  });
`,
    });
    expect(verdicts(report)).toEqual(['src/repo.ts:5 org-scope via withOrgScope', 'src/repo.ts:10 org-scope via withOrgScope']);
  });

  it('recognises a scope helper defined in the codebase by what it does, and names it', () => {
    const report = auditProject({
      'src/tenancy.ts': `import type { PoolClient } from 'pg';
import { pool } from './db';
export async function runInOrg<T>(orgId: string, work: (c: PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    await c.query("SELECT set_config('app.current_org_id', $1, true)", [orgId]);
    const out = await work(c);
    await c.query('COMMIT');
    return out;
  } finally {
    c.release();
  }
}
export async function runBroken<T>(orgId: string, work: (c: PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  await c.query('BEGIN');
  return work(c);
}
export const runForwarded = <T>(orgId: string, work: (c: PoolClient) => Promise<T>) => withOrgScope({}, pool, orgId, work);
declare function withOrgScope<T>(ctx: unknown, db: unknown, orgId: string, fn: (c: PoolClient) => Promise<T>): Promise<T>;
`,
      'src/db.ts': pool,
      'src/use.ts': `import { runBroken, runForwarded, runInOrg } from './tenancy';
export async function use(orgId: string) {
  await runInOrg(orgId, async (tx) => tx.query('DELETE FROM projects WHERE id = $1', [1]));
  await runBroken(orgId, async (tx) => tx.query('DELETE FROM projects WHERE id = $1', [2]));
  await runForwarded(orgId, (tx) => tx.query('DELETE FROM projects WHERE id = $1', [3]));
}
`,
    });
    expect(verdicts(report)).toEqual(['src/use.ts:3 org-scope via runInOrg', 'src/use.ts:4 unscoped', 'src/use.ts:5 org-scope via withOrgScope']);
    const broken = codeFindings(report).find((f) => f.line === 4)!;
    expect(broken.message).toContain('runBroken');
    expect(broken.message).toContain('inside a transaction that has not set the org context');
  });

  it('checks a helper recognised by name against its definition', () => {
    const report = auditProject({
      'src/db.ts': pool,
      'src/scope.ts': `import type { Pool, PoolClient } from 'pg';
// A copy-pasted helper that lost its set_config line.
export async function withOrgScope<T>(ctx: unknown, db: Pool, orgId: string, fn: (tx: PoolClient) => Promise<T>): Promise<T> {
  const client = await db.connect();
  await client.query('BEGIN');
  try {
    return await fn(client);
  } finally {
    await client.query('COMMIT');
    client.release();
  }
}
`,
      'src/use.ts': `import { pool } from './db';
import { withOrgScope } from './scope';
export const use = (orgId: string) => withOrgScope({}, pool, orgId, (tx) => tx.query('DELETE FROM projects'));
`,
    });
    expect(verdicts(report)).toEqual(['src/use.ts:3 unscoped']);
    expect(codeFindings(report)[0]!.message).toMatch(/withOrgScope.*src\/scope\.ts:3/);
    expect(report.writeSites[0]!.crossFile).toBe(true);
  });

  it('asks for configuration when a callback goes to a function it cannot see into', () => {
    const report = auditProject({
      'src/a.ts': `import { runner } from 'some-job-lib';
export const a = () => runner.run(async (tx) => tx.query('DELETE FROM projects'));
`,
    });
    expect(verdicts(report)).toEqual(['src/a.ts:2 unresolved']);
    expect(codeFindings(report)[0]!.message).toContain('add it to "scopeHelpers"');
  });
});

describe('sites and decoys', () => {
  it('is not fooled by look-alike names', () => {
    const report = auditProject({
      'src/a.ts': `import { createHash } from 'node:crypto';
const query = (s: string) => s;
const db = { query: (s: string) => s.length };
export function f(es: { query(q: unknown): void }, body: string) {
  createHash('sha256').update(body);
  new Map().delete('x');
  query('DELETE FROM projects');
  db.query('DELETE FROM projects');
  es.query({ match: { field: 'INSERT INTO audit_logs' } });
}
`,
    });
    expect(verdicts(report)).toEqual([]);
  });
});

const DB = "import { Pool } from 'pg';\nexport const pool = new Pool();\n";

describe('writes that happen inside the database', () => {
  const FUNCTIONS = `
CREATE FUNCTION rename_project(p_id uuid, p_name text) RETURNS void LANGUAGE sql AS $$ UPDATE projects SET name = p_name WHERE id = p_id $$;
CREATE TABLE webhook_deliveries (id bigserial PRIMARY KEY, org_id uuid NOT NULL);
CREATE FUNCTION audit_delivery() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit_logs (org_id, action) VALUES (NEW.org_id, 'delivered'); RETURN NEW; END $$;
CREATE TRIGGER deliveries_audit AFTER INSERT ON webhook_deliveries FOR EACH ROW EXECUTE FUNCTION audit_delivery();
`;

  it('judges a call of an invoker function by the gated tables it writes, naming the function', () => {
    const report = auditProject({
      'db/migrations/002_functions.sql': FUNCTIONS,
      'src/db.ts': DB,
      'src/a.ts': `import { pool } from './db';
import { withOrgScope } from './scope';
export const bare = (id: string) => pool.query('SELECT rename_project($1, $2)', [id, 'n']);
export const scoped = (ctx: unknown, org: string, id: string) => withOrgScope(ctx, pool, org, (tx) => tx.query('SELECT rename_project($1, $2)', [id, 'n']));
`,
    });
    expect(verdicts(report)).toEqual(['src/a.ts:3 unscoped', 'src/a.ts:4 org-scope via withOrgScope']);
    expect(report.writeSites[0]).toMatchObject({ operation: 'call', tables: ['public.projects'] });
    expect(codeFindings(report)[0]!.message).toMatch(/^A call that writes public\.projects \(RLS enabled at db\/migrations\/001_schema\.sql:\d+; written by public\.rename_project\(\), which runs with the caller's rights \(SECURITY INVOKER\)\)/);
  });

  it('judges an insert into an ungated table by what its triggers write', () => {
    const report = auditProject({
      'db/migrations/002_functions.sql': FUNCTIONS,
      'src/db.ts': DB,
      'src/a.ts': `import { pool } from './db';
export const deliver = (org: string) => pool.query('INSERT INTO webhook_deliveries (org_id) VALUES ($1)', [org]);
export const flag = () => pool.query('INSERT INTO feature_flags (key) VALUES ($1)', ['k']);
`,
    });
    expect(verdicts(report)).toEqual(['src/a.ts:2 unscoped', 'src/a.ts:3 not-gated']);
    expect(codeFindings(report)[0]!.message).toMatch(/^INSERT on public\.webhook_deliveries writes public\.audit_logs \(RLS enabled at [^;]+; written by trigger deliveries_audit on public\.webhook_deliveries/);
  });

  it('stops at a SECURITY DEFINER function: what it writes runs with its owner\'s rights', () => {
    const report = auditProject({
      'db/migrations/002_functions.sql': `CREATE FUNCTION archive(p uuid) RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$ SELECT rename_inner(p) $$;
CREATE FUNCTION rename_inner(p uuid) RETURNS void LANGUAGE sql AS $$ UPDATE projects SET name = 'x' WHERE id = p $$;`,
      'src/db.ts': DB,
      'src/a.ts': `import { pool } from './db';
export const archive = (id: string) => pool.query('SELECT archive($1)', [id]);
`,
    });
    expect(verdicts(report)).toEqual(['src/a.ts:2 security-definer via public.archive']);
    expect(codeFindings(report)).toEqual([]);
  });
});

describe('schema findings', () => {
  it('warns when the app role owns a gated table that does not FORCE row level security', () => {
    const report = auditProject({
      'db/migrations/002_more.sql': `CREATE TABLE notes (id bigserial PRIMARY KEY, org_id uuid NOT NULL);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE notes OWNER TO app;
CREATE TABLE tags (id bigserial PRIMARY KEY, org_id uuid NOT NULL);
ALTER TABLE tags ENABLE ROW LEVEL SECURITY;
ALTER TABLE tags OWNER TO migrator;`,
      'rls-guard.config.json': '{ "appRole": "app" }',
    });
    const owner = report.findings.filter((f) => f.ruleId === 'no-owner-bypass');
    expect(owner.map((f) => `${f.file}:${f.line} ${f.severity}`)).toEqual(['db/migrations/002_more.sql:2 warning']);
    expect(owner[0]!.message).toContain('ALTER TABLE public.notes FORCE ROW LEVEL SECURITY');
  });

  it('warns about a setting a policy reads that no code sets, and not about one the code sets', () => {
    const report = auditProject({
      'db/migrations/002_more.sql': `CREATE TABLE docs (id bigserial PRIMARY KEY, org_id uuid NOT NULL, owner_id uuid);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY docs_owner ON docs USING (owner_id = current_setting('app.current_user_id', true)::uuid);`,
      'src/a.ts': `import { pool } from './db';
import { withOrgScope } from './scope';
export const add = (ctx: unknown, org: string) => withOrgScope(ctx, pool, org, (tx) => tx.query('INSERT INTO projects (id, org_id) VALUES ($1, $2)', [org, org]));
`,
    });
    const unset = report.findings.filter((f) => f.ruleId === 'no-unset-policy-setting');
    expect(unset.map((f) => `${f.file}:${f.line}`)).toEqual(['db/migrations/002_more.sql:3']);
    expect(unset[0]!.message).toContain("current_setting('app.current_user_id')");
  });
});

describe('the policy decides what scoped means', () => {
  it('covers a write only when the setting its table’s policy reads is the one that was set', () => {
    const report = auditProject({
      'db/migrations/002_workspaces.sql': `CREATE TABLE documents (id bigserial PRIMARY KEY, workspace_id uuid NOT NULL);
ALTER TABLE documents ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY documents_ws ON documents USING (workspace_id = current_setting('app.current_workspace_id', true)::uuid);`,
      'src/db.ts': DB,
      'src/a.ts': `import { pool } from './db';
export async function save(org: string, ws: string) {
  const c = await pool.connect();
  await c.query('BEGIN');
  await c.query("SELECT set_config('app.current_org_id', $1, true)", [org]);
  await c.query('INSERT INTO projects (id, org_id) VALUES ($1, $1)', [org]);
  await c.query('INSERT INTO documents (workspace_id) VALUES ($1)', [ws]);
  await c.query("SELECT set_config('app.current_workspace_id', $1, true)", [ws]);
  await c.query('INSERT INTO documents (workspace_id) VALUES ($1)', [ws]);
  await c.query('DELETE FROM projects WHERE id = $1', [org]);
  await c.query('COMMIT');
}
`,
    });
    expect(verdicts(report).map((v) => v.replace(/ via .*/, ''))).toEqual(['src/a.ts:6 org-scope', 'src/a.ts:7 unscoped', 'src/a.ts:9 org-scope', 'src/a.ts:10 org-scope']);
    expect(codeFindings(report)[0]!.message).toContain('sets app.current_org_id (set_config at src/a.ts:5), but the policies on public.documents read app.current_workspace_id');
  });
});

describe('one statement, one site (issue 10: duplicate sites at one line)', () => {
  it('reads a knex.raw fragment made by the value the builder chain starts from as part of that builder, whatever the connection', () => {
    const report = auditProject({
      'package.json': JSON.stringify({ dependencies: { knex: '^3.0.0' } }),
      'src/a.ts': `import type { Knex } from 'knex';
import { db } from '@acme/db';
export async function stamp(orgId: string) {
  await db('audit_logs').insert({ org_id: orgId, action: db.raw("concat('x', gen_random_uuid())") });
}
`,
    });
    // The builder's site (its connection untraced), and no second one for the fragment at column 58.
    expect(report.writeSites.map((s) => `${s.line}:${s.column} ${s.coverage} ${s.tables.join(',')}`)).toEqual(['4:9 unresolved public.audit_logs']);
  });

  it('reports one unresolved write per query call of a table-generic builder, however many paths reach it from a call', () => {
    const report = auditProject({
      'src/a.ts': `${pool}
async function exec(db: typeof pool, text: string) {
  await db.query(text);
}
async function mode(db: typeof pool, q: string) {
  await exec(db, q);
  await exec(db, q + ' LIMIT 1');
}
export async function route(q: string) {
  await mode(pool, q);
}
`,
    });
    // Two paths (both calls of exec) reach the one query at line 5 from line 12: one site there.
    expect(verdicts(report)).toEqual(['src/a.ts:12 unresolved']);
    expect(report.writeSites[0]!.evidence).toContain('the table-generic builder `mode` → `exec` (src/a.ts:5)');
  });

  it('reads a store method named like a library query (`this.query({ text, values })` wrapping `this.db.query`) as a builder, not also as a query', () => {
    const report = auditProject({
      'src/store.ts': `import type { Pool } from 'pg';
export class JobStore {
  constructor(private readonly db: Pool, private readonly table: string) {}
  async complete(name: string): Promise<number> {
    const result = await this.query({
      text: \`UPDATE \${this.table} SET state = 'done' WHERE name = $1\`,
      values: [name],
    });
    return result.rowCount ?? 0;
  }
  private query(statement: { text: string; values: unknown[] }) {
    return this.db.query(statement);
  }
}
`,
      'src/route.ts': `import { Pool } from 'pg';
import { JobStore } from './store';
const store = new JobStore(new Pool(), 'jobs');
export async function finish(name: string) {
  return store.complete(name);
}
`,
    });
    // One UPDATE, not a second one reading `this.query(…)` as pg's; at the line its text is written, since no argument
    // of the route's call names its table (`this.table` is built at run time, whatever the route passes).
    expect(report.writeSites.map((s) => `${s.file}:${s.line}:${s.column} ${s.operation} ${s.coverage}`)).toEqual([
      'src/store.ts:5:26 update unresolved',
    ]);
    expect(report.writeSites[0]!.evidence).toContain('the table it writes is built at run time');
    expect(report.writeSites[0]!.evidence).toContain('`${this.table}`');
    expect(report.writeSites[0]!.evidence).toContain('the table-generic builder `query` (src/store.ts:12)');
  });
});
