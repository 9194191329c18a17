import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyConfig, buildModel, gatedTables } from '../../src/schema/model.js';
import { normalizeQualifiedName } from '../../src/schema/names.js';

const model = (...files: string[]) => buildModel(files.map((text, i) => ({ path: `db/${String(i + 1).padStart(3, '0')}.sql`, text })));

describe('the RLS model is the final state of all migrations in order', () => {
  it('folds unquoted names and keeps quoted ones, qualified with their schema', () => {
    const m = model(`CREATE TABLE Audit_Logs (id int); ALTER TABLE AUDIT_LOGS ENABLE ROW LEVEL SECURITY;
      CREATE SCHEMA "Billing"; CREATE TABLE "Billing"."LedgerEntries" (id int);
      ALTER TABLE "Billing"."LedgerEntries" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;`);
    expect(gatedTables(m)).toEqual(['Billing.LedgerEntries', 'public.audit_logs']);
    expect(m.tables.get('Billing.LedgerEntries')!.forced).toBe(true);
  });

  it('marks policies that key on the role a statement runs as: current_user (SET ROLE changes it) or only session_user', () => {
    const m = model(`CREATE TABLE a (o text); CREATE TABLE b (o text); CREATE TABLE c (o text); CREATE TABLE r (n text);
      ALTER TABLE a ENABLE ROW LEVEL SECURITY; ALTER TABLE b ENABLE ROW LEVEL SECURITY; ALTER TABLE c ENABLE ROW LEVEL SECURITY;
      CREATE POLICY a_p ON a USING (o = current_user);
      CREATE POLICY b_p ON b USING (o IN (SELECT n FROM r WHERE n = session_user));
      CREATE POLICY c_p ON c USING (o = current_setting('app.x', true));`);
    const policy = (t: string) => m.tables.get(`public.${t}`)!.policies[0]!;
    expect([policy('a').loginRole, policy('b').loginRole, policy('c').loginRole]).toEqual(['current_user', 'session_user', undefined]);
    const altered = model(`CREATE TABLE c (o text); CREATE POLICY c_p ON c USING (o = current_user);`, `ALTER POLICY c_p ON c USING (o = current_setting('app.x', true));`);
    expect(altered.tables.get('public.c')!.policies[0]!.loginRole).toBeUndefined();
  });

  it('follows renames, schema moves and drops', () => {
    const m = model(
      'CREATE TABLE tenant_notes (id int); ALTER TABLE tenant_notes ENABLE ROW LEVEL SECURITY;',
      'ALTER TABLE tenant_notes RENAME TO notes; CREATE SCHEMA app; CREATE TABLE old (id int); ALTER TABLE old ENABLE ROW LEVEL SECURITY; ALTER TABLE old SET SCHEMA app;',
      'CREATE TABLE gone (id int); ALTER TABLE gone ENABLE ROW LEVEL SECURITY; DROP TABLE IF EXISTS gone, never_there CASCADE;',
    );
    expect(gatedTables(m)).toEqual(['app.old', 'public.notes']);
  });

  it('a later DISABLE and NO FORCE win, and record where RLS was enabled', () => {
    const m = model(
      'CREATE TABLE a (id int);\nCREATE TABLE b (id int);\nALTER TABLE a ENABLE ROW LEVEL SECURITY;\nALTER TABLE b ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;',
      '-- later\nALTER TABLE a DISABLE ROW LEVEL SECURITY;\nALTER TABLE b NO FORCE ROW LEVEL SECURITY;',
    );
    expect(gatedTables(m)).toEqual(['public.b']);
    expect(m.tables.get('public.b')).toMatchObject({ forced: false, enabledAt: { file: 'db/001.sql', line: 4 } });
  });

  it('applies the static SQL of DO blocks, the idempotent form of RLS DDL, at the line it is on', () => {
    const m = model(
      [
        'CREATE TABLE ledgers (org_id uuid);',
        'CREATE TABLE receipts (org_id uuid);',
        'CREATE TABLE drafts (org_id uuid);',
        'DO $$ BEGIN',
        '  ALTER TABLE ledgers ENABLE ROW LEVEL SECURITY; EXCEPTION WHEN undefined_table THEN NULL; END $$;',
        'DO $guard$',
        'BEGIN',
        "  IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE policyname = 'receipts_org') THEN",
        '    ALTER TABLE receipts ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;',
        "    CREATE POLICY receipts_org ON receipts USING (org_id = current_setting('app.org_ref', true)::uuid);",
        '  END IF;',
        'END $guard$;',
        // Dynamic SQL cannot be read; another language is not plpgsql.
        "DO $$ BEGIN EXECUTE 'ALTER TABLE drafts ENABLE ROW LEVEL SECURITY'; END $$;",
        "DO LANGUAGE plperl $$ spi_exec_query('ALTER TABLE drafts ENABLE ROW LEVEL SECURITY') $$;",
      ].join('\n'),
    );
    expect(gatedTables(m)).toEqual(['public.ledgers', 'public.receipts']);
    expect(m.tables.get('public.ledgers')!.enabledAt).toEqual({ file: 'db/001.sql', line: 5 });
    expect(m.tables.get('public.receipts')).toMatchObject({ forced: true, enabledAt: { file: 'db/001.sql', line: 9 } });
    expect(m.tables.get('public.receipts')!.policies.map((p) => p.name)).toEqual(['receipts_org']);
    expect([...m.policySettings]).toEqual(['app.org_ref']);
  });

  it('reports lines right after non-ASCII comments', () => {
    const m = model('-- Mandanten­trennung für Rechnungen: ünïcödé ✓\n-- zweite Zeile\n\nCREATE TABLE invoices (id int);\n/* ✓ */ ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;');
    expect(m.tables.get('public.invoices')!.enabledAt).toEqual({ file: 'db/001.sql', line: 5 });
  });

  it('tracks policies created, replaced, altered, renamed and dropped, and the settings they read', () => {
    const m = model(
      `CREATE TABLE p (org_id uuid); ALTER TABLE p ENABLE ROW LEVEL SECURITY;
       CREATE POLICY p_org ON p FOR ALL TO app_user USING (org_id = current_setting('app.tenant', true)::uuid);
       CREATE POLICY p_old ON p AS RESTRICTIVE FOR DELETE USING (false);`,
      `DROP POLICY p_org ON p;
       CREATE POLICY p_org ON p USING (org_id = current_setting('app.current_org_id', true)::uuid) WITH CHECK (org_id = current_org_id());
       ALTER POLICY p_old ON p RENAME TO p_legacy;
       CREATE FUNCTION current_org_id() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT current_setting('app.org_from_fn', true)::uuid $$;`,
    );
    const policies = m.tables.get('public.p')!.policies;
    expect(policies.map((p) => `${p.name}:${p.command}:${p.permissive}`)).toEqual(['p_legacy:delete:false', 'p_org:all:true']);
    expect(policies.find((p) => p.name === 'p_org')!.functions).toEqual(['public.current_org_id']);
    expect([...m.policySettings].sort()).toEqual(['app.current_org_id', 'app.org_from_fn']);
  });

  it('reads SECURITY DEFINER, pinned search_path, OR REPLACE and ALTER FUNCTION', () => {
    const m = model(
      `CREATE FUNCTION auth_touch_api_key(uuid) RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$ SELECT 1 $$;
       CREATE FUNCTION record_login_event(uuid) RETURNS void LANGUAGE sql SECURITY DEFINER AS $$ SELECT 1 $$;
       CREATE FUNCTION flip() RETURNS void LANGUAGE sql SECURITY DEFINER AS $$ SELECT 1 $$;
       CREATE FUNCTION later() RETURNS void LANGUAGE sql AS $$ SELECT 1 $$;`,
      `CREATE OR REPLACE FUNCTION flip() RETURNS void LANGUAGE sql SECURITY INVOKER AS $$ SELECT 1 $$;
       ALTER FUNCTION later() SECURITY DEFINER;
       DROP FUNCTION IF EXISTS record_login_event(uuid);`,
    );
    const fn = (n: string) => m.functions.get(`public.${n}`);
    expect(fn('auth_touch_api_key')).toMatchObject({ securityDefiner: true, searchPathPinned: true });
    expect(fn('flip')!.securityDefiner).toBe(false);
    expect(fn('later')!.securityDefiner).toBe(true);
    expect(fn('record_login_event')).toBeUndefined();
  });

  it('finds setter functions in plpgsql and sql bodies, with semicolons inside dollar quotes', () => {
    const m = model(`
      CREATE FUNCTION set_org_id(p_org uuid) RETURNS void LANGUAGE plpgsql AS $body$
      BEGIN
        IF p_org IS NULL THEN RAISE EXCEPTION 'org required; got null'; END IF;
        PERFORM set_config('app.current_org_id', p_org::text, true);
      END;
      $body$;
      CREATE FUNCTION set_org_session(p text) RETURNS void LANGUAGE sql AS $$ SELECT set_config('app.current_org_id', p, false); $$;`);
    expect(m.functions.get('public.set_org_id')!.setsContext).toEqual([{ setting: 'app.current_org_id', local: true }]);
    expect(m.functions.get('public.set_org_session')!.setsContext).toEqual([{ setting: 'app.current_org_id', local: false }]);
  });

  it('keeps the good statements of a file with a syntax error, and says where it is', () => {
    const m = model('CREATE TABLE a (id int);\nALTER TABLE a ENABLE ROW LEVEL SECURITY;\nCREAT TABLE oops (id int);\nCREATE TABLE b (id int);\nALTER TABLE b ENABLE ROW LEVEL SECURITY;');
    expect(gatedTables(m)).toEqual(['public.a', 'public.b']);
    expect(m.diagnostics).toHaveLength(1);
    expect(m.diagnostics[0]).toMatchObject({ file: 'db/001.sql', line: 3 });
  });

  it('applies SET search_path to unqualified names that follow', () => {
    const m = model('CREATE SCHEMA app; SET search_path TO app, public; CREATE TABLE t (id int); ALTER TABLE t ENABLE ROW LEVEL SECURITY;');
    expect(gatedTables(m)).toEqual(['app.t']);
  });

  it('lets the config add and remove gated tables and declare definer and setter functions', () => {
    const base = model('CREATE TABLE a (id int); ALTER TABLE a ENABLE ROW LEVEL SECURITY; CREATE TABLE b (id int);');
    const m = applyConfig(base, { gatedTables: { add: ['B', '"X"."Y"'], remove: ['public.a'] }, definerFunctions: ['util.touch'], setterFunctions: ['set_tenant'] });
    expect(gatedTables(m)).toEqual(['X.Y', 'public.b']);
    expect(m.functions.get('util.touch')!.securityDefiner).toBe(true);
    expect(m.functions.get('public.set_tenant')!.setsContext).toEqual([{ setting: 'app.current_org_id', local: true }]);
    expect(gatedTables(base)).toEqual(['public.a']); // the cached model is not mutated
  });

  it('normalises configured names like Postgres', () => {
    expect(normalizeQualifiedName('AuditLogs', 'public')).toBe('public.auditlogs');
    expect(normalizeQualifiedName('"App"."Mixed"', 'public')).toBe('App.Mixed');
    expect(normalizeQualifiedName('"we""ird"', 'public')).toBe('public.we"ird');
  });

  it('property: any sequence of ENABLE/DISABLE/FORCE/NO FORCE ends in the state of the last of each', () => {
    const op = fc.constantFrom('ENABLE', 'DISABLE', 'FORCE', 'NO FORCE');
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('t1', 't2', '"T3"'), op), { maxLength: 12 }), (ops) => {
        const sql = ['CREATE TABLE t1 (id int); CREATE TABLE t2 (id int); CREATE TABLE "T3" (id int);', ...ops.map(([t, o]) => `ALTER TABLE ${t} ${o} ROW LEVEL SECURITY;`)].join('\n');
        const m = model(sql);
        for (const t of ['t1', 't2', '"T3"']) {
          const mine = ops.filter(([x]) => x === t).map(([, o]) => o);
          const enabled = mine.filter((o) => o === 'ENABLE' || o === 'DISABLE').pop() === 'ENABLE';
          const forced = mine.filter((o) => o === 'FORCE' || o === 'NO FORCE').pop() === 'FORCE';
          expect(m.tables.get(normalizeQualifiedName(t, 'public'))).toMatchObject({ rlsEnabled: enabled, forced });
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('trigger functions are read as triggers', () => {
  // Only a function declared RETURNS trigger has NEW, OLD and TG_OP: rebuilt for the parser as
  // anything else, `NEW.updated_at := now()` is "not a known variable", the body is unread and
  // what the trigger writes is lost (a write that fires it would hide a write on a gated table).
  const body = `BEGIN
    NEW.updated_at := now();
    INSERT INTO audit_log (table_name, op) VALUES (TG_TABLE_NAME, TG_OP);
    RETURN NEW;
  END`;

  it('declared RETURNS trigger: its writes are read, no diagnostic', () => {
    const m = model(`CREATE TABLE audit_log (table_name text, op text);
      CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$ ${body} $$;
      CREATE FUNCTION app.stamp2() RETURNS pg_catalog.TRIGGER AS $fn$ ${body} $fn$ LANGUAGE plpgsql;`);
    for (const name of ['public.stamp', 'app.stamp2']) {
      expect(m.functions.get(name)).toMatchObject({ writes: [{ operation: 'insert', table: 'public.audit_log' }] });
      expect(m.functions.get(name)!.opaqueBody).toBeUndefined();
    }
    expect(m.diagnostics.filter((d) => /does not parse/.test(d.message))).toEqual([]);
  });

  it('an event trigger has TG_EVENT; a function of another type that assigns NEW still does not parse (as in Postgres)', () => {
    const m = model(`CREATE FUNCTION on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
        BEGIN INSERT INTO ddl_log (ev) VALUES (TG_EVENT); END $$;
      CREATE FUNCTION not_a_trigger() RETURNS void LANGUAGE plpgsql AS $$ ${body} $$;`);
    expect(m.functions.get('public.on_ddl')).toMatchObject({ writes: [{ operation: 'insert', table: 'public.ddl_log' }] });
    expect(m.functions.get('public.not_a_trigger')!.opaqueBody).toBe(true);
    expect(m.diagnostics.map((d) => d.message)).toEqual([
      expect.stringMatching(/the body of function public\.not_a_trigger does not parse \("new\.updated_at" is not a known variable\)/),
    ]);
  });
});

describe('PL/pgSQL assignments are read for their value', () => {
  it('`v := f(…)` calls f, `NEW.x = …` and `v[i] := …` read their values; none makes the body unread', () => {
    const m = model(`CREATE TABLE orders (id int, org_id uuid);
      CREATE FUNCTION make_order(o uuid) RETURNS int LANGUAGE sql AS $$ INSERT INTO orders (org_id) VALUES (o) RETURNING id $$;
      CREATE FUNCTION place(o uuid) RETURNS int LANGUAGE plpgsql AS $$
        DECLARE v int; a int[]; BEGIN
          v := make_order(o);
          a[v + 1] := (SELECT count(*) FROM orders WHERE org_id = o);
          RETURN v;
        END $$;`);
    const place = m.functions.get('public.place')!;
    expect(place.opaqueBody).toBeUndefined();
    expect(place.calls).toContain('public.make_order');
    expect(m.diagnostics).toEqual([]);
  });
});

describe('a PL/pgSQL body is parsed with its own parameters and result', () => {
  it('assigning a parameter, an OUT parameter or a RETURNS TABLE column is no unparsable body', () => {
    const m = model(`CREATE TABLE tokens (id uuid, org uuid);
      CREATE FUNCTION search(p_term text, p_limit int DEFAULT 50) RETURNS TABLE(id uuid, "Score" real) LANGUAGE plpgsql AS $$
        BEGIN p_term := lower(p_term); "Score" := 1; id := NULL; RETURN NEXT; END $$;
      CREATE FUNCTION issue(p_org uuid, OUT token_id uuid, OUT ok boolean) LANGUAGE plpgsql AS $$
        BEGIN INSERT INTO tokens (id, org) VALUES (gen_random_uuid(), p_org) RETURNING tokens.id INTO token_id; ok := true; END $$;
      CREATE FUNCTION one(p_org uuid, OUT token_id uuid) RETURNS uuid LANGUAGE plpgsql AS $$
        BEGIN token_id := p_org; END $$;
      CREATE FUNCTION bump(o public.tokens, VARIADIC tags text[]) RETURNS SETOF public.tokens LANGUAGE plpgsql AS $$
        BEGIN o.org := NULL; tags[1] := 'x'; RETURN NEXT o; END $$;`);
    expect(m.diagnostics).toEqual([]);
    for (const f of ['search', 'issue', 'one', 'bump']) expect(m.functions.get(`public.${f}`)!.opaqueBody).toBeUndefined();
    expect(m.functions.get('public.issue')!.writes).toEqual([{ operation: 'insert', table: 'public.tokens' }]);
  });
});
