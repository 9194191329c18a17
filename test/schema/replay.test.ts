import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { loadModel } from '../../src/schema/load.js';
import { buildModel } from '../../src/schema/model.js';
import { openEmbeddedPostgres, replayMigrations } from '../../src/schema/replay.js';
import { replayedModel } from '../../src/schema/sources.js';
import { writeProject } from '../support/project.js';

// The embedded replay: migrations run in PGlite, the catalog read back. One replay covers
// several shapes a static reading gets wrong or cannot see.

const MIGRATIONS = [
  {
    path: 'db/001_init.sql',
    text: `
CREATE TABLE orders (id bigserial PRIMARY KEY, org_id uuid NOT NULL);
CREATE TABLE order_events (id bigserial PRIMARY KEY, org_id uuid NOT NULL, kind text);
CREATE TABLE settings (key text PRIMARY KEY);
DO $$
DECLARE t text;
BEGIN
  FOR t IN SELECT unnest(ARRAY['orders', 'order_events']) LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY %I ON %I USING (org_id = current_setting(%L, true)::uuid)', t || '_org', t, 'app.org');
  END LOOP;
END $$;
GRANT SELECT, INSERT ON orders TO app_user;
`,
  },
  {
    path: 'db/002_geo.sql',
    text: `
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE TABLE places (id bigserial PRIMARY KEY, org_id uuid NOT NULL, at geometry(Point, 4326));
ALTER TABLE places ENABLE ROW LEVEL SECURITY;
`,
  },
  {
    path: 'db/003_functions.sql',
    text: `
CREATE FUNCTION log_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO order_events (org_id, kind) VALUES (NEW.org_id, 'created');
  RETURN NEW;
END $$;
CREATE TRIGGER orders_log AFTER INSERT ON orders FOR EACH ROW EXECUTE FUNCTION log_order();
CREATE FUNCTION count_events(p_org uuid, OUT n int) LANGUAGE plpgsql AS $$
BEGIN p_org := coalesce(p_org, '00000000-0000-0000-0000-000000000000'); n := 0; END $$;
CREATE FUNCTION stamp_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.org_id := coalesce(NEW.org_id, OLD.org_id);
  PERFORM count_events(NEW.org_id);
  INSERT INTO order_events (org_id, kind) VALUES (NEW.org_id, TG_OP);
  RETURN NEW;
END $$;
CREATE FUNCTION close_order(p bigint) RETURNS void LANGUAGE sql AS $$ DELETE FROM orders WHERE id = p $$;
CREATE FUNCTION admin_close(p bigint) RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$ DELETE FROM orders WHERE id = p $$;
CREATE FUNCTION loose_close(p bigint) RETURNS void LANGUAGE sql SECURITY DEFINER AS $$ DELETE FROM orders WHERE id = p $$;
ALTER TABLE orders OWNER TO app_user;
`,
  },
];

const replay = await replayMigrations(MIGRATIONS);
const staticModel = buildModel(MIGRATIONS);
const model = replayedModel(replay, staticModel, 'db');

describe('replaying migrations in embedded Postgres', () => {
  it('sees tables a DO block gates, which a static reading cannot', () => {
    expect(staticModel.tables.get('public.orders')?.rlsEnabled).toBe(false);
    expect(model.tables.get('public.orders')).toMatchObject({ rlsEnabled: true, forced: false, owner: 'app_user' });
    expect(model.tables.get('public.order_events')?.rlsEnabled).toBe(true);
    expect(model.tables.get('public.settings')?.rlsEnabled).toBe(false);
    // The evidence points at the DO block that enabled it.
    expect(model.tables.get('public.orders')?.enabledAt).toEqual({ file: 'db/001_init.sql', line: 5 });
    expect([...model.policySettings]).toEqual(['app.org']);
  });

  it('creates roles the environment would provide, instead of losing the GRANT', () => {
    expect(replay.providedRoles).toEqual(['app_user']);
    expect(replay.failures.map((f) => f.statement)).not.toContainEqual(expect.stringContaining('GRANT'));
  });

  it('reports statements that fail, with the reason, and falls back to the static reading for what they touch', () => {
    expect(replay.failures.map((f) => `${f.file}:${f.line}`)).toEqual(['db/002_geo.sql:2', 'db/002_geo.sql:3', 'db/002_geo.sql:4']);
    expect(replay.failures[0]!.reason).toMatch(/extension "postgis" is not available/);
    expect(model.tables.get('public.places')).toMatchObject({ rlsEnabled: true, enabledAt: { file: 'db/002_geo.sql', line: 4 } });
    expect(model.sources).toEqual([
      { kind: 'migrations', ref: 'db', method: 'replay' },
      { kind: 'migrations', ref: 'db', method: 'static', facts: ['public.places'] },
    ]);
    expect(model.diagnostics.map((d) => d.message)).toContainEqual(expect.stringMatching(/did not replay in embedded Postgres \(type "geometry" does not exist\).*facts for public.places come from the static reading/));
  });

  it('reads functions from the catalog: writes, triggers, SECURITY DEFINER and a pinned search_path', () => {
    expect(model.functions.get('public.close_order')).toMatchObject({ securityDefiner: false, writes: [{ operation: 'delete', table: 'public.orders' }] });
    expect(model.functions.get('public.admin_close')).toMatchObject({ securityDefiner: true, searchPathPinned: true });
    expect(model.functions.get('public.loose_close')).toMatchObject({ securityDefiner: true, searchPathPinned: false });
    expect(model.tables.get('public.orders')?.triggers).toEqual([expect.objectContaining({ name: 'orders_log', function: 'public.log_order', events: ['insert'] })]);
    expect(model.functions.get('public.log_order')?.writes).toEqual([{ operation: 'insert', table: 'public.order_events' }]);
  });

  it('reads a trigger function that assigns NEW as a trigger (its return type from the catalog), not as a body that does not parse', () => {
    const stamp = model.functions.get('public.stamp_order');
    expect(stamp?.writes).toEqual([{ operation: 'insert', table: 'public.order_events' }]);
    expect(stamp?.opaqueBody).toBeUndefined();
    expect(model.diagnostics.map((d) => d.message)).not.toContainEqual(expect.stringMatching(/does not parse/));
    // Its parameters from pg_get_function_arguments: assigning one is no unread body.
    expect(model.functions.get('public.count_events')?.opaqueBody).toBeUndefined();
  });
});

describe('a replay gap on a table a DO block gated', () => {
  // The replay gates the table, then a later statement on it fails (an extension's type), so its
  // facts come from the static reading: that reading must see the DO block too, or the table
  // would lose its RLS and every write on it would pass as not gated.
  const files = [
    {
      path: 'db/001.sql',
      text: `CREATE TABLE invoices (id bigserial PRIMARY KEY, org_id uuid NOT NULL);
DO $$ BEGIN
  ALTER TABLE invoices ENABLE ROW LEVEL SECURITY; EXCEPTION WHEN undefined_table THEN NULL; END $$;
DO $$ BEGIN
  CREATE POLICY invoices_org ON invoices USING (org_id = current_setting('app.org', true)::uuid);
EXCEPTION WHEN duplicate_object THEN NULL; END $$;
ALTER TABLE invoices ADD COLUMN shape geometry(Point, 4326);
`,
    },
  ];

  it('keeps the table gated', async () => {
    const gap = await replayMigrations(files);
    expect(gap.failures.map((f) => f.objects)).toEqual([['public.invoices']]);
    const m = replayedModel(gap, buildModel(files), 'db');
    expect(m.sources?.[1]).toMatchObject({ method: 'static', facts: ['public.invoices'] });
    expect(m.tables.get('public.invoices')).toMatchObject({ rlsEnabled: true, enabledAt: { file: 'db/001.sql', line: 3 } });
    expect(m.tables.get('public.invoices')!.policies.map((p) => p.name)).toEqual(['invoices_org']);
  });
});

describe('choosing the schema source', () => {
  const project = (): string =>
    writeProject(Object.fromEntries(MIGRATIONS.map((m) => [m.path, m.text])));

  it('replays by default, caches the replay, and uses a fresh snapshot over both', () => {
    const dir = project();
    const first = loadModel(dir, {});
    expect(first.sources?.[0]?.method).toBe('replay');
    expect(first.tables.get('public.orders')?.rlsEnabled).toBe(true);

    let out = '';
    const io = { out: (t: string) => (out += t), err: (t: string) => (out += t), isTTY: false };
    expect(main(['schema', dir, '--write'], io)).toBe(0);
    const snapshot = JSON.parse(fs.readFileSync(path.join(dir, 'rls-guard.schema.json'), 'utf8'));
    expect(snapshot.tables.map((t: { name: string }) => t.name)).toEqual([...snapshot.tables.map((t: { name: string }) => t.name)].sort());
    const fromSnapshot = loadModel(dir, { defaultSchema: 'public' });
    expect(fromSnapshot.sources?.[0]?.method).toBe('snapshot');
    expect(fromSnapshot.tables.get('public.orders')?.rlsEnabled).toBe(true);
    expect(main(['schema', dir, '--check'], io)).toBe(0);
    expect(main(['schema', dir, '--from', 'migrations', '--check'], io)).toBe(0);

    // A new migration makes the snapshot stale: check fails, and audits stop trusting it.
    fs.writeFileSync(path.join(dir, 'db/004_more.sql'), 'ALTER TABLE settings ENABLE ROW LEVEL SECURITY;\n');
    out = '';
    expect(main(['schema', dir, '--check'], io)).toBe(1);
    expect(out).toContain('~ table public.settings');
    const stale = loadModel(dir, {});
    expect(stale.sources?.[0]?.method).toBe('replay');
    expect(stale.tables.get('public.settings')?.rlsEnabled).toBe(true);
    expect(stale.diagnostics.map((d) => d.message)).toContainEqual(expect.stringContaining('schema snapshot is stale'));
  }, 60_000);

  it('reads statically when told to', () => {
    const model = loadModel(project(), { schemaSource: 'static' });
    expect(model.sources).toEqual([{ kind: 'migrations', ref: 'db', method: 'static' }]);
    expect(model.tables.get('public.orders')?.rlsEnabled).toBe(false);
  });
});

describe('replaying a function that runs DDL', () => {
  it('sees RLS enabled by SELECT of a function, and cites that line', async () => {
    const r = await replayMigrations([{ path: 'db/001.sql', text: `CREATE TABLE a (id int, org_id uuid);
INSERT INTO a VALUES (1, NULL);
CREATE FUNCTION gate(t text) RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t); END $$;
SELECT gate('a');
` }]);
    expect(r.catalog.tables.find((t) => t.name === 'a')?.rls).toBe(true);
    expect(r.locations.tables['public.a']?.enabledAt).toEqual({ file: 'db/001.sql', line: 4 });
  }, 60_000);
});

// Migrations in an order that does not follow their dependencies (Logto's table files in name order reference tables
// later in the alphabet; a start-up script creates the function its earlier policies call): a statement that needs an
// object a later migration creates is retried after the others, and cited where it stands.
describe('replaying in dependency order', () => {
  const files = [
    {
      path: 'db/tables/applications.sql',
      text:
        'CREATE TABLE applications (id text PRIMARY KEY, tenant_id text REFERENCES tenants (id));\n' +
        'ALTER TABLE applications ENABLE ROW LEVEL SECURITY;\n' +
        'CREATE POLICY applications_tenant ON applications USING (tenant_id = app.current_tenant());\n',
    },
    {
      path: 'db/tables/tenants.sql',
      text:
        'CREATE TABLE tenants (id text PRIMARY KEY);\nCREATE SCHEMA app;\n' +
        "CREATE FUNCTION app.current_tenant() RETURNS text LANGUAGE sql AS $$ SELECT current_setting('app.t') $$;\n",
    },
    { path: 'db/tables/z.sql', text: 'ALTER TABLE ghosts ENABLE ROW LEVEL SECURITY;\n' },
  ];

  it('runs what failed for a missing table, function or schema after the migrations that create it', async () => {
    const result = await replayMigrations(files);
    expect(result.retried).toEqual([
      { file: 'db/tables/applications.sql', line: 1 },
      { file: 'db/tables/applications.sql', line: 2 },
      { file: 'db/tables/applications.sql', line: 3 },
    ]);
    // What no migration creates still fails, with the reason.
    expect(result.failures.map((f) => `${f.file}:${f.line} ${f.reason}`)).toEqual([
      'db/tables/z.sql:1 relation "ghosts" does not exist',
    ]);
    const model = replayedModel(result, buildModel(files), 'db');
    const apps = model.tables.get('public.applications')!;
    expect(apps.rlsEnabled).toBe(true);
    expect(apps.enabledAt).toEqual({ file: 'db/tables/applications.sql', line: 2 });
    expect(apps.policies.map((p) => p.name)).toEqual(['applications_tenant']);
    const note = model.diagnostics.find((d) => d.file === 'db/tables/applications.sql')!;
    expect(note.incomplete).toBeUndefined();
    expect(note.message).toMatch(/^replayed in dependency order: 3 statement\(s\) \(line 1, 2, 3\)/);
  });

  it('keeps the order of effects: a retry that would undo or override a later statement is a failure', async () => {
    const ordered = [
      {
        path: 'db/1_cleanup.sql',
        text:
          'ALTER TABLE docs ENABLE ROW LEVEL SECURITY;\nDROP POLICY notes_org ON notes;\n' +
          'REVOKE ALL ON notes FROM PUBLIC;\nGRANT SELECT ON notes TO PUBLIC;\nALTER TABLE notes FORCE ROW LEVEL SECURITY;\n',
      },
      {
        path: 'db/2_tables.sql',
        text:
          'CREATE TABLE docs (id int, org text);\nCREATE TABLE notes (id int, org text);\n' +
          'ALTER TABLE notes ENABLE ROW LEVEL SECURITY;\n' +
          "CREATE POLICY notes_org ON notes USING (org = current_setting('app.org'));\n",
      },
      { path: 'db/3_open.sql', text: 'ALTER TABLE docs DISABLE ROW LEVEL SECURITY;\n' },
    ];
    // The same ENABLE as a later file's (an ENABLE the later file repeats) stays retried: nothing is overridden.
    const same = [
      { path: 'db/1_a.sql', text: 'ALTER TABLE docs ENABLE ROW LEVEL SECURITY;\n' },
      { path: 'db/2_b.sql', text: 'CREATE TABLE docs (id int);\nALTER TABLE docs ENABLE ROW LEVEL SECURITY;\n' },
      {
        path: 'db/3_c.sql',
        text: "DO $$ BEGIN EXECUTE format('ALTER TABLE %I DISABLE ROW LEVEL SECURITY', 'docs'); END $$;\n",
      },
      { path: 'db/4_d.sql', text: 'ALTER TABLE docs ENABLE ROW LEVEL SECURITY;\n' },
    ];
    const again = await replayMigrations(same);
    expect(again.retried).toEqual([{ file: 'db/1_a.sql', line: 1 }]);
    expect(again.failures).toEqual([]);
    const result = await replayMigrations(ordered);
    // Retried: what only needed the tables (a GRANT, and a FORCE no later statement sets otherwise).
    expect(result.retried).toEqual([
      { file: 'db/1_cleanup.sql', line: 4 },
      { file: 'db/1_cleanup.sql', line: 5 },
    ]);
    // Not retried: the ENABLE a later file's DISABLE overtook, the DROP POLICY and REVOKE of what a later file makes.
    expect(result.failures.map((f) => `${f.file}:${f.line}`)).toEqual([
      'db/1_cleanup.sql:1',
      'db/1_cleanup.sql:2',
      'db/1_cleanup.sql:3',
    ]);
    expect(result.failures[0]!.reason).toContain('it ENABLEs row-level security of public.docs, which db/3_open.sql:1');
    expect(result.failures[1]!.reason).toMatch(/^it undoes what a later migration makes/);
    expect(result.failures[0]!.objects).toEqual(['public.docs']);
    // The oracle: Postgres running the files in their order, each statement on its own.
    const pg = await openEmbeddedPostgres();
    try {
      for (const f of ordered)
        for (const st of f.text.split(';\n').filter((t) => t.trim()))
          await pg.exec(st).catch(() => undefined);
      const policies = await pg.query<{ polname: string }>("SELECT polname FROM pg_policy WHERE polrelid = 'notes'::regclass");
      const docs = await pg.query<{ on: boolean }>("SELECT relrowsecurity AS on FROM pg_class WHERE relname = 'docs'");
      const model = replayedModel(result, buildModel(ordered), 'db');
      expect(model.tables.get('public.notes')!.policies.map((p) => p.name)).toEqual(policies.rows.map((r) => r.polname));
      expect(policies.rows.map((r) => r.polname)).toEqual(['notes_org']);
      expect(docs.rows[0]!.on).toBe(false);
      // What the replay could not order is an incomplete entry naming the statement.
      const gap = model.diagnostics.filter((d) => d.file === 'db/1_cleanup.sql' && d.incomplete);
      expect(gap.length).toBeGreaterThan(0);
    } finally {
      await pg.close();
    }
  });

  it('skips what creates a table, index or column that exists already; a policy that exists already still fails', async () => {
    const baseline = [
      {
        path: 'db/alterations/1-add-tags.sql',
        text:
          'CREATE TABLE tags (id text PRIMARY KEY, tenant_id text);\nALTER TABLE tags ADD COLUMN label text;\n' +
          "CREATE POLICY tags_tenant ON tags USING (tenant_id = current_setting('app.t'));\n",
      },
      {
        path: 'db/tables/tags.sql',
        text:
          'CREATE TABLE tags (id text PRIMARY KEY, tenant_id text, label text);\nCREATE INDEX tags_t ON tags (tenant_id);\n' +
          'CREATE INDEX tags_t ON tags (tenant_id);\nALTER TABLE tags ENABLE ROW LEVEL SECURITY;\n' +
          "CREATE POLICY tags_tenant ON tags USING (tenant_id = current_setting('app.other'));\n",
      },
    ];
    const result = await replayMigrations(baseline);
    expect(result.existing).toEqual([
      { file: 'db/tables/tags.sql', line: 1 },
      { file: 'db/tables/tags.sql', line: 3 },
    ]);
    expect(result.failures.map((f) => `${f.file}:${f.line}`)).toEqual(['db/tables/tags.sql:5']);
    const model = replayedModel(result, buildModel(baseline), 'db');
    expect(model.tables.get('public.tags')!.rlsEnabled).toBe(true);
    const note = model.diagnostics.find((d) => d.file === 'db/tables/tags.sql' && !d.incomplete)!;
    expect(note.message).toMatch(/^2 statement\(s\) \(line 1, 3\) create a table, index or column .* skipped/);
  });

  // A pg_dump file among the migrations (kurrier's baikal.sql): `COPY … FROM stdin` is followed by its rows and `\.`,
  // which psql sends and a statement on its own does not carry. PGlite, given the statement, waits for the rows
  // without end (the schema worker's 120 s guard stopped it, and the audit fell back to the static reading).
  it('does not run a dump\'s COPY … FROM stdin, and goes on to the statements after it', async () => {
    const dump = [
      {
        path: 'db/init/dump.sql',
        text:
          'CREATE TABLE public.notes (id integer, org_id text);\n' +
          'COPY public.notes (id, org_id) FROM stdin;\n' +
          '\\.\n',
      },
      { path: 'db/init/rls.sql', text: 'ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;\n' },
    ];
    const result = await replayMigrations(dump);
    expect(result.copies).toEqual([{ file: 'db/init/dump.sql', line: 2 }]);
    const model = replayedModel(result, buildModel(dump), 'db');
    expect(model.tables.get('public.notes')!.rlsEnabled).toBe(true);
    const note = model.diagnostics.find((d) => d.message.includes('COPY statement'))!;
    expect(note.message).toMatch(/^1 COPY statement\(s\) \(line 2\) move rows through the client: not run/);
  }, 30_000);
});
