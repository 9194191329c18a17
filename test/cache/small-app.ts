import fs from 'node:fs';
import path from 'node:path';

// A small multi-tenant app whose files can be edited one at a time: a pool, a scope helper
// that sets the org context transaction-locally, helpers that write through a parameter
// (their verdicts are settled at their callers, in other files), routes that call them on
// the scoped client or on the pool, a barrel, and migrations. The edits are the kinds that
// change verdicts across files.

export interface AppState {
  /** Per route: which helper it calls and on what ('tx': inside the scope helper; 'pool'). */
  routes: { helper: number; on: 'tx' | 'pool'; viaBarrel: boolean }[];
  /** Per helper: the table it writes ('items' is gated, 'notes' only when notesGated). */
  helpers: { table: 'items' | 'notes' | 'logs' }[];
  notesGated: boolean;
  /** The table an SQL constant in src/sql.ts writes; a route runs it on the pool (decided in its own file, from what it imports). */
  auditTable: 'logs' | 'notes';
}

export const initialState = (): AppState => ({
  routes: [
    { helper: 0, on: 'tx', viaBarrel: false },
    { helper: 1, on: 'tx', viaBarrel: true },
    { helper: 0, on: 'tx', viaBarrel: false },
    { helper: 2, on: 'pool', viaBarrel: false },
  ],
  helpers: [{ table: 'items' }, { table: 'logs' }, { table: 'notes' }],
  notesGated: false,
  auditTable: 'logs',
});

export function files(state: AppState): Map<string, string> {
  const out = new Map<string, string>();
  out.set('package.json', '{"name":"small-app","private":true}\n');
  out.set('rls-guard.config.json', '{"migrations":["db/migrations"]}\n');
  out.set(
    'db/migrations/001_schema.sql',
    [
      'CREATE TABLE items (id bigserial PRIMARY KEY, org_id uuid NOT NULL);',
      'ALTER TABLE items ENABLE ROW LEVEL SECURITY;',
      "CREATE POLICY i ON items USING (org_id = current_setting('app.current_org_id', true)::uuid);",
      'CREATE TABLE logs (id bigserial PRIMARY KEY, org_id uuid NOT NULL);',
      'ALTER TABLE logs ENABLE ROW LEVEL SECURITY;',
      "CREATE POLICY l ON logs USING (org_id = current_setting('app.current_org_id', true)::uuid);",
      'CREATE TABLE notes (id bigserial PRIMARY KEY, org_id uuid NOT NULL);',
      '',
    ].join('\n'),
  );
  if (state.notesGated) out.set('db/migrations/002_notes.sql', "ALTER TABLE notes ENABLE ROW LEVEL SECURITY;\nCREATE POLICY n ON notes USING (org_id = current_setting('app.current_org_id', true)::uuid);\n");
  out.set('src/db.ts', "import { Pool } from 'pg';\nexport const pool = new Pool();\n");
  out.set(
    'src/scope.ts',
    [
      "import type { PoolClient } from 'pg';",
      "import { pool } from './db';",
      'export async function withOrg<T>(orgId: string, fn: (client: PoolClient) => Promise<T>): Promise<T> {',
      '  const client = await pool.connect();',
      '  try {',
      "    await client.query('BEGIN');",
      "    await client.query(\"SELECT set_config('app.current_org_id', $1, true)\", [orgId]);",
      '    const result = await fn(client);',
      "    await client.query('COMMIT');",
      '    return result;',
      '  } finally {',
      '    client.release();',
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  state.helpers.forEach((h, i) => {
    out.set(`src/helpers/save${i}.ts`, `import type { Pool, PoolClient } from 'pg';\nexport async function save${i}(db: Pool | PoolClient, orgId: string): Promise<void> {\n  await db.query('INSERT INTO ${h.table} (org_id) VALUES ($1)', [orgId]);\n}\n`);
  });
  out.set('src/helpers/index.ts', state.helpers.map((_, i) => `export { save${i} } from './save${i}';`).join('\n') + '\n');
  out.set('src/sql.ts', `export const AUDIT_SQL = 'INSERT INTO ${state.auditTable} (org_id) VALUES ($1)';\n`);
  out.set('src/routes/direct.ts', "import { pool } from '../db';\nimport { AUDIT_SQL } from '../sql';\nexport async function audit(orgId: string): Promise<void> {\n  await pool.query(AUDIT_SQL, [orgId]);\n}\n");
  state.routes.forEach((r, i) => {
    const helper = Math.min(r.helper, state.helpers.length - 1);
    const from = r.viaBarrel ? '../helpers' : `../helpers/save${helper}`;
    const call = r.on === 'tx' ? `await withOrg(orgId, async (client) => save${helper}(client, orgId));` : `await save${helper}(pool, orgId);`;
    out.set(`src/routes/route${i}.ts`, `import { pool } from '../db';\nimport { withOrg } from '../scope';\nimport { save${helper} } from '${from}';\nexport async function handle${i}(orgId: string): Promise<void> {\n  ${call}\n}\n`);
  });
  return out;
}

/** Writes the app's files into `dir`, removing those it no longer has (a deleted route). */
export function writeApp(dir: string, state: AppState): void {
  const want = files(state);
  for (const file of listFiles(dir)) if (!want.has(file)) fs.rmSync(path.join(dir, file));
  for (const [file, text] of want) {
    const abs = path.join(dir, file);
    if (fs.existsSync(abs) && fs.readFileSync(abs, 'utf8') === text) continue;
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, text);
  }
}

function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[]).filter((d) => d.isFile()).map((d) => path.relative(dir, path.join(d.parentPath, d.name)).split(path.sep).join('/')).filter((f) => !/^\.(rls-guard|git)\//.test(f));
}
