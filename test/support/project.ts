import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type AuditOptions, auditSync } from '../../src/walker/audit.js';
import type { AuditReport } from '../../src/report/audit-report.js';

/** Writes a throwaway project (path → contents) and returns its folder. */
export function writeProject(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-test-'));
  for (const [file, text] of Object.entries(files)) {
    const abs = path.join(dir, file);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, text);
  }
  if (!files['package.json']) fs.writeFileSync(path.join(dir, 'package.json'), '{"name":"t","private":true}');
  return dir;
}

/**
 * A fixture app copied into a throwaway folder with text replaced in its files (`[file, from, to]` each): each `from`
 * must be in its file, so a fixture edited since cannot leave a variant testing nothing.
 */
export function fixtureVariant(app: string, edits: [string, string, string][]): string {
  const files: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
      const abs = path.join(dir, d.name);
      if (d.isDirectory()) walk(abs);
      else files[path.relative(app, abs)] = fs.readFileSync(abs, 'utf8');
    }
  };
  walk(app);
  for (const [file, from, to] of edits) {
    if (!files[file]?.includes(from)) throw new Error(`${file} of ${app} does not contain ${JSON.stringify(from)}`);
    files[file] = files[file]!.replace(from, to);
  }
  return writeProject(files);
}

export const SCHEMA = `
CREATE TABLE audit_logs (id bigserial PRIMARY KEY, org_id uuid NOT NULL, action text);
ALTER TABLE audit_logs ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_org ON audit_logs USING (org_id = current_setting('app.current_org_id', true)::uuid);
CREATE TABLE projects (id uuid PRIMARY KEY, org_id uuid NOT NULL, name text);
ALTER TABLE projects ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY projects_org ON projects USING (org_id = current_setting('app.current_org_id', true)::uuid);
CREATE TABLE feature_flags (key text PRIMARY KEY);
CREATE FUNCTION auth_touch_api_key(p uuid) RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$ SELECT 1 $$;
`;

/** A package.json naming pg, and a `src/db.ts` with the pool and a scope helper (`withOrgScope(orgId, fn)`). */
export const PG_PACKAGE = '{"name":"t","private":true,"dependencies":{"pg":"^8"}}';

export const POOL_AND_SCOPE = `
import { Pool, type PoolClient } from 'pg';
export const pool = new Pool();
export async function withOrgScope<T>(orgId: string, fn: (c: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query("SELECT set_config('app.current_org_id', $1, true)", [orgId]);
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } finally {
    client.release();
  }
}`;

/**
 * Audits a throwaway project whose migrations are SCHEMA plus any given. The model is read
 * statically unless asked otherwise: these tests are about the code; the replay has its own.
 */
export function auditProject(files: Record<string, string>, options: AuditOptions = {}): AuditReport {
  const dir = writeProject({ 'db/migrations/001_schema.sql': SCHEMA, ...files });
  return auditSync({ paths: [dir], types: false, schemaSource: 'static', ...options });
}

/** "file:line coverage" for each write site, for compact expectations. */
export function verdicts(report: AuditReport): string[] {
  return report.writeSites.map((s) => `${s.file}:${s.line} ${s.coverage}${s.via ? ` via ${s.via}` : ''}`);
}

/** Findings on source files: the write analysis's, without the schema findings on migrations. */
export function codeFindings(report: AuditReport): AuditReport['findings'] {
  return report.findings.filter((f) => !f.file.endsWith('.sql'));
}
