import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditSync } from '../../src/walker/audit.js';
import { codeFindings, SCHEMA, writeProject } from '../support/project.js';

// When the audited project has its types installed, the walker builds a ts-morph program
// and the checker adds evidence where provenance runs out.
const PG_TYPES = `
export declare class Pool { connect(): Promise<PoolClient>; query(text: string, values?: unknown[]): Promise<unknown>; }
export interface PoolClient { query(text: string, values?: unknown[]): Promise<unknown>; release(): void; }
export declare class Client { query(text: string, values?: unknown[]): Promise<unknown>; }
`;

function project(withTypes: boolean): string {
  return writeProject({
    'db/schema.sql': SCHEMA,
    ...(withTypes ? { 'node_modules/@types/pg/index.d.ts': PG_TYPES, 'node_modules/@types/pg/package.json': '{"name":"@types/pg","types":"index.d.ts"}' } : {}),
    'node_modules/@acme/db/package.json': '{"name":"@acme/db","types":"index.d.ts"}',
    'node_modules/@acme/db/index.d.ts': "import type { PoolClient } from 'pg';\nexport declare function getClient(): Promise<PoolClient>;\n",
    'tsconfig.json': '{"compilerOptions":{"strict":true,"module":"NodeNext","moduleResolution":"NodeNext","target":"ES2022"}}',
    'src/a.ts': `import { getClient } from '@acme/db';
export async function a() {
  const client = await getClient();
  await client.query('DELETE FROM projects');
}
`,
  });
}

describe('type evidence', () => {
  it('without types, a connection from an unknown package is unresolved', () => {
    const report = auditSync({ paths: [project(false)], types: false, schemaSource: 'static' });
    expect(report.writeSites.map((s) => s.coverage)).toEqual(['unresolved']);
  });

  it('with types installed, the checker says it is a pg PoolClient, and the write is judged', () => {
    const report = auditSync({ paths: [project(true)], schemaSource: 'static' });
    expect(report.writeSites.map((s) => `${s.coverage} ${s.api}`)).toEqual(['unscoped pg']);
    expect(codeFindings(report)[0]!.message).toContain('a pg PoolClient, by its type');
  });

  it('with types installed, a JavaScript source the tsconfig does not allow is still read (its writes were dropped)', () => {
    const root = project(true);
    fs.mkdirSync(path.join(root, 'scripts'));
    fs.writeFileSync(
      path.join(root, 'scripts/migrate.mjs'),
      "import pg from 'pg';\nconst client = new pg.Client();\nawait client.query('DELETE FROM audit_logs');\n",
    );
    const report = auditSync({ paths: [root], schemaSource: 'static' });
    expect(report.writeSites.map((s) => `${s.file} ${s.coverage}`)).toEqual([
      'scripts/migrate.mjs unscoped',
      'src/a.ts unscoped',
    ]);
    // Still with the checker's evidence.
    expect(codeFindings(report).find((f) => f.file === 'src/a.ts')!.message).toContain('a pg PoolClient, by its type');
  });
});
