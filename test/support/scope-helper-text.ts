// The text of a small app's scope helper (`withOrg`: check out a client, BEGIN, set the org context, run the
// callback, COMMIT), shared by the session tests that build apps in memory.
export const WITH_ORG_SCOPE_TS =
  "import type { PoolClient } from 'pg';\nimport { pool } from './db';\n" +
  'export async function withOrg<T>(orgId: string, fn: (client: PoolClient) => Promise<T>): Promise<T> {\n' +
  "  const client = await pool.connect();\n  try {\n    await client.query('BEGIN');\n" +
  "    await client.query(\"SELECT set_config('app.current_org_id', $1, true)\", [orgId]);\n" +
  "    const result = await fn(client);\n    await client.query('COMMIT');\n    return result;\n" +
  '  } finally {\n    client.release();\n  }\n}\n';
