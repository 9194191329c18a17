import { describe, expect, it } from 'vitest';
import { auditProject, verdicts } from '../support/project.js';

// The serverless drivers: tags and pools that need no factory of their own.

describe('Neon and Vercel Postgres', () => {
  it('judges neon() tags, their transaction batches, and Vercel Postgres ready-made pools', () => {
    const report = auditProject({
      'src/neon.ts': `import { neon } from '@neondatabase/serverless';
const sql = neon(process.env.DATABASE_URL!);
export const bare = (org: string) => sql\`DELETE FROM projects WHERE org_id = \${org}\`;
export const batch = (org: string) => sql.transaction([
  sql\`SELECT set_config('app.current_org_id', \${org}, true)\`,
  sql\`DELETE FROM audit_logs WHERE org_id = \${org}\`,
]);
`,
      'src/vercel.ts': `import { db, sql } from '@vercel/postgres';
export const bare = (org: string) => sql\`DELETE FROM projects WHERE org_id = \${org}\`;
export async function scoped(org: string) {
  const client = await db.connect();
  await client.sql\`BEGIN\`;
  await client.query("SELECT set_config('app.current_org_id', $1, true)", [org]);
  await client.query('DELETE FROM audit_logs WHERE org_id = $1', [org]);
  await client.query('COMMIT');
}
export const flags = () => sql\`UPDATE feature_flags SET key = key\`;
`,
    });
    expect(verdicts(report).map((v) => v.replace(/ via .*/, ''))).toEqual([
      'src/neon.ts:3 unscoped',
      'src/neon.ts:6 org-scope',
      'src/vercel.ts:2 unscoped',
      'src/vercel.ts:7 org-scope',
      'src/vercel.ts:10 not-gated',
    ]);
    expect(report.writeSites.map((s) => s.api)).toEqual(['neon', 'neon', 'vercel-postgres', 'vercel-postgres', 'vercel-postgres']);
  });
});
