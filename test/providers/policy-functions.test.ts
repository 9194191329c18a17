import { describe, expect, it } from 'vitest';
import { auditProject, verdicts } from '../support/project.js';

// Issue 11: policies that read the context through a function (`auth.uid()`, `current_tenant()`),
// whose SQL body reads `current_setting('request.jwt.claims', true)` or another setting: the
// write needs the setting the function reads. Supabase-style scope (`set_config('role',
// 'authenticated', true)` with `request.jwt.claims`) is org scope when the policy reads the claims.

const SCHEMA = `
CREATE SCHEMA auth;
CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE
  AS $$ SELECT nullif(current_setting('request.jwt.claims', true)::json->>'sub', '')::uuid $$;
CREATE FUNCTION current_tenant() RETURNS uuid LANGUAGE sql STABLE
  AS $$ SELECT nullif(current_setting('app.tenant', true), '')::uuid $$;
CREATE TABLE profiles (id uuid PRIMARY KEY, owner uuid NOT NULL, bio text);
ALTER TABLE profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY profiles_owner ON profiles USING (owner = auth.uid());
CREATE TABLE invoices (id uuid PRIMARY KEY, tenant uuid NOT NULL, memo text);
ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
CREATE POLICY invoices_tenant ON invoices USING (tenant = current_tenant());
`;

const APP = `
import { Pool } from 'pg';
const pool = new Pool();
export async function claims(sub: string, claimsJson: string): Promise<void> {
  const client = await pool.connect();
  await client.query('BEGIN');
  await client.query("SELECT set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)", [claimsJson]);
  await client.query("UPDATE profiles SET bio = 'x' WHERE id = $1", [sub]);
  await client.query('COMMIT');
  client.release();
}
export async function tenant(id: string): Promise<void> {
  const client = await pool.connect();
  await client.query('BEGIN');
  await client.query("SELECT set_config('app.tenant', $1, true)", [id]);
  await client.query("UPDATE invoices SET memo = 'x'");
  await client.query('COMMIT');
  client.release();
}
// Decoy: the claims are set, but the invoices' policy reads app.tenant through current_tenant().
export async function wrongSetting(claimsJson: string): Promise<void> {
  const client = await pool.connect();
  await client.query('BEGIN');
  await client.query("SELECT set_config('request.jwt.claims', $1, true)", [claimsJson]);
  await client.query("UPDATE invoices SET memo = 'y'");
  await client.query('COMMIT');
  client.release();
}
`;

describe('policies that read the context through a function', () => {
  it('need the setting the function reads: the claims for auth.uid(), app.tenant for current_tenant()', () => {
    const r = auditProject({
      'package.json': '{"name":"t","private":true,"dependencies":{"pg":"^8"}}',
      'db/migrations/002_functions.sql': SCHEMA,
      'rls-guard.config.json': '{"migrations": ["db/migrations"]}',
      'src/app.ts': APP,
    });
    expect(verdicts(r).map((v) => v.replace(/ via .*/, ''))).toEqual(['src/app.ts:8 org-scope', 'src/app.ts:16 org-scope', 'src/app.ts:25 unscoped']);
    expect(r.writeSites[2]!.evidence).toContain('the policies on public.invoices read app.tenant');
  });
});
