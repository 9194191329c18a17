import { describe, expect, it } from 'vitest';
import { classifyStatement, RUN_TIME_ROLE, type StatementEffect } from '../../src/sql/classify.js';
import { parseSql } from '../../src/sql/parser.js';

const options = {
  defaultSchema: 'public',
  setterFunctions: new Map([['public.set_org_id', [{ setting: 'app.current_org_id', local: true }]]]),
};

function effects(sql: string): StatementEffect[] {
  const parsed = parseSql(sql);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.statements.map((s) => classifyStatement(s, options));
}

const writes = (sql: string): string[] => effects(sql).flatMap((e) => e.writes.map((w) => `${w.operation} ${w.table}`));

describe('classifying statements with the PostgreSQL parser', () => {
  it.each([
    ['INSERT INTO audit_logs (a) VALUES ($1::jsonb)', ['insert public.audit_logs']],
    ['INSERT INTO t (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET id = excluded.id', ['insert public.t']],
    ['UPDATE app.projects p SET name = s.name FROM staging s WHERE p.id = s.id', ['update app.projects']],
    ['DELETE FROM invoices i USING orgs o WHERE i.org_id = o.id', ['delete public.invoices']],
    ['MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET a = 1 WHEN NOT MATCHED THEN INSERT (a) VALUES (1)', ['merge public.t']],
    ['TRUNCATE a, b.c RESTART IDENTITY', ['truncate public.a', 'truncate b.c']],
    ['COPY audit_logs (a, b) FROM STDIN WITH (FORMAT csv)', ['copy public.audit_logs']],
    ['COPY audit_logs TO STDOUT', []],
    ['COPY (SELECT * FROM audit_logs) TO STDOUT', []],
    ['SELECT * FROM audit_logs WHERE org_id = $1 FOR UPDATE', []],
    ['INSERT INTO "Billing"."LedgerEntries" (id) VALUES (1)', ['insert Billing.LedgerEntries']],
    ['insert into AUDIT_LOGS (a) values (1)', ['insert public.audit_logs']],
  ])('%s', (sql, expected) => {
    expect(writes(sql)).toEqual(expected);
  });

  it('reads SET ROLE to a role named at run time as a switch to some role, never as RESET ROLE', () => {
    expect(effects('SET LOCAL ROLE $1')[0]!.role).toEqual({ name: RUN_TIME_ROLE, local: true, param: 1 });
    expect(effects('SET ROLE app_user')[0]!.role).toEqual({ name: 'app_user', local: false });
    expect(effects('SET ROLE NONE')[0]!.role).toEqual({ name: null, local: false });
    expect(effects('RESET ROLE')[0]!.role).toEqual({ name: null, local: false });
  });

  it("reads set_config('role', x, is_local) as SET [LOCAL] ROLE x", () => {
    expect(effects("SELECT set_config('role', 'tenant_a', true)")[0]!.role).toEqual({ name: 'tenant_a', local: true });
    expect(effects("SELECT set_config('role', $2, false)")[0]!.role).toEqual({ name: RUN_TIME_ROLE, local: false, param: 2 });
    expect(effects("SELECT set_config('role', '', false)")[0]!.role).toEqual({ name: null, local: false });
    expect(effects("SELECT set_config('app.current_org_id', $1, true)")[0]!.role).toBeUndefined();
  });

  it('finds writes nested in writable CTEs, in the order the tree holds them', () => {
    expect(writes('WITH d AS (DELETE FROM invoices WHERE id = $1 RETURNING *), u AS (UPDATE projects SET n = 1 RETURNING 1) INSERT INTO audit_logs SELECT * FROM d')).toEqual([
      'insert public.audit_logs',
      'delete public.invoices',
      'update public.projects',
    ]);
    expect(writes('WITH d AS (DELETE FROM invoices RETURNING id) SELECT count(*) FROM d')).toEqual(['delete public.invoices']);
  });

  it('reads the org context changes and their scope', () => {
    const [a, b, c, d, e, f] = effects(
      "SELECT set_config('app.current_org_id', $1, true); SELECT set_config('APP.CURRENT_ORG_ID', $1, false); SET LOCAL app.current_org_id = 'x'; SET app.current_org_id TO 'x'; SELECT set_org_id($1); SELECT set_config('app.current_org_id', $1, $2)",
    );
    expect(a!.contextSets).toEqual([{ setting: 'app.current_org_id', local: true, via: 'set_config', value: { param: 1 } }]);
    expect(b!.contextSets).toEqual([{ setting: 'app.current_org_id', local: false, via: 'set_config', value: { param: 1 } }]);
    expect(c!.contextSets).toEqual([{ setting: 'app.current_org_id', local: true, via: 'SET LOCAL', value: { constant: 'x' } }]);
    expect(d!.contextSets).toEqual([{ setting: 'app.current_org_id', local: false, via: 'SET', value: { constant: 'x' } }]);
    expect(e!.contextSets).toEqual([{ setting: 'app.current_org_id', local: true, via: 'set_org_id()' }]);
    expect(f!.contextSets).toEqual([{ setting: 'app.current_org_id', local: null, via: 'set_config', value: { param: 1 } }]);
  });

  it('reads resets and transaction control', () => {
    const all = effects('BEGIN; SAVEPOINT s; ROLLBACK TO SAVEPOINT s; RESET app.current_org_id; RESET ALL; DISCARD ALL; COMMIT; START TRANSACTION; ROLLBACK');
    expect(all.map((e) => e.transaction)).toEqual(['begin', null, null, null, null, null, 'commit', 'begin', 'rollback']);
    expect(all.flatMap((e) => e.contextResets)).toEqual(['app.current_org_id', '*', '*']);
  });

  it('names called functions with their schema', () => {
    expect(effects('SELECT auth_touch_api_key($1), billing.recalc($2)')[0]!.calls).toEqual(['public.auth_touch_api_key', 'billing.recalc']);
  });
});
