import { describe, expect, it } from 'vitest';
import { auditSync } from '../../src/walker/audit.js';
import { writeProject } from '../support/project.js';

// fp31: what migration discovery takes from a Prisma project beside its migrations folder (schema/loose-sql.ts), and
// the stock `postgres` user of a literal DSN read one way by the replay and the static reading (schema/sources.ts).

const MIGRATION = `CREATE TABLE team (id text PRIMARY KEY, org_id text NOT NULL, name text);
CREATE TABLE venue (id text PRIMARY KEY, org_id text NOT NULL, name text);
ALTER TABLE venue ENABLE ROW LEVEL SECURITY;
CREATE POLICY venue_org ON venue USING (org_id = current_setting('app.org_id', true));
`;
const SETUP = `ALTER TABLE team ENABLE ROW LEVEL SECURITY;
CREATE POLICY team_org ON team USING (org_id = current_setting('app.org_id', true));
`;
const APP = `import { Pool } from 'pg';
const pool = new Pool();
export async function rename(id: string) {
  await pool.query('UPDATE team SET name = $1 WHERE id = $2', ['x', id]);
  await pool.query('UPDATE venue SET name = $1 WHERE id = $2', ['y', id]);
}
`;
const SCHEMA = `datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}
`;
const PACKAGE = { name: 't', private: true, dependencies: { pg: '^8.0.0' } };

function prismaProject(extra: Record<string, string>): Record<string, string> {
  return {
    'package.json': JSON.stringify(PACKAGE),
    'prisma/schema.prisma': SCHEMA,
    'prisma/migrations/migration_lock.toml': 'provider = "postgresql"\n',
    'prisma/migrations/20240101000000_init/migration.sql': MIGRATION,
    'src/app.ts': APP,
    ...extra,
  };
}

const coverageOf = (report: ReturnType<typeof auditSync>) =>
  report.writeSites.map((s) => `${s.tables.join(',')} ${s.coverage}`);

describe('a SQL file of a Prisma project that nothing runs is not a migration, and says so', () => {
  it('leaves out a setup script nothing names (the audit incomplete), takes one a script runs or code reads', () => {
    const root = writeProject(prismaProject({ 'scripts/sql/rls_setup.sql': SETUP }));
    const report = auditSync({ paths: [root], types: false, schemaSource: 'static' });
    expect(coverageOf(report)).toEqual(['public.team not-gated', 'public.venue unscoped']);
    const gap = report.incomplete.find((i) => i.file === 'scripts/sql/rls_setup.sql')!;
    expect(gap.reason).toContain(
      'not taken as a migration: scripts/sql/rls_setup.sql is outside the Prisma migrations folder ' +
        '(prisma/migrations), its path does not say it is a migration, and no package.json script',
    );
    expect(gap.reason).toContain('on public.team, which are judged as not gated unless it is applied');
    // One a package.json script runs, or code reads, is taken.
    for (const extra of <Record<string, string>[]>[
      {
        'prisma/rls.sql': SETUP,
        'package.json': JSON.stringify({ ...PACKAGE, scripts: { rls: 'psql -f prisma/rls.sql' } }),
      },
      { 'prisma/rls.sql': SETUP, 'scripts/apply.ts': "import fs from 'node:fs';\nfs.readFileSync('prisma/rls.sql');\n" },
    ]) {
      const root = writeProject(prismaProject(extra));
      const report = auditSync({ paths: [root], types: false, schemaSource: 'static' });
      expect(coverageOf(report)).toEqual(['public.team unscoped', 'public.venue unscoped']);
      expect(report.incomplete.filter((i) => i.reason.includes('not taken'))).toEqual([]);
    }
  });

  it('keeps its tables gated, with a note on each write, where a script package.json runs enables RLS in code', () => {
    const root = writeProject(prismaProject({
      'prisma/init-rls.sql': SETUP,
      'package.json': JSON.stringify({ ...PACKAGE, scripts: { 'db:init': 'prisma db push && tsx scripts/init-db.ts' } }),
      'scripts/init-db.ts': "export const statements = ['ALTER TABLE team ENABLE ROW LEVEL SECURITY'];\n",
    }));
    const report = auditSync({ paths: [root], types: false, schemaSource: 'static' });
    expect(coverageOf(report)).toEqual(['public.team unscoped', 'public.venue unscoped']);
    expect(report.writeSites[0]!.evidence).toContain(
      'public.team is gated only by prisma/init-rls.sql:1, a file nothing in the repository runs, left out of the ' +
        'migrations, so judged as gated; list that file under "migrations"',
    );
    expect(report.incomplete.filter((i) => i.reason.includes('not taken'))).toEqual([]);
    const note = report.diagnostics.find((d) => d.file === 'prisma/init-rls.sql' && d.message.includes('not taken'))!;
    expect(note.message).toContain(
      'which are still judged as gated, since scripts/init-db.ts (package.json script "db:init") enables row level ' +
        'security outside the migrations',
    );
  });

  it('is a note, not a gap, for a file that gates nothing (`setup-rls.sql` does not name `rls.sql`)', () => {
    const root = writeProject(prismaProject({
      'prisma/rls.sql': SETUP,
      'db/seed.sql': `INSERT INTO team VALUES ('t', 'o', 'n');\n`,
      'scripts/run.sh': 'psql -f prisma/setup-rls.sql\n',
    }));
    const report = auditSync({ paths: [root], types: false, schemaSource: 'static' });
    expect(report.incomplete.map((i) => i.file).filter((f) => !f.startsWith('prisma/migrations'))).toEqual([
      'prisma/rls.sql',
    ]);
    expect(report.diagnostics.some((d) => d.file === 'db/seed.sql' && d.message.includes('not taken'))).toBe(true);
  });
});

describe('a literal DSN naming the stock postgres user', () => {
  const project = (declare: string) =>
    writeProject({
      'package.json': JSON.stringify({ name: 't', private: true, dependencies: { pg: '^8.0.0' } }),
      'db/migrations/001.sql': MIGRATION + declare,
      'src/app.ts': `import { Pool } from 'pg';
const pool = new Pool({ connectionString: 'postgres://postgres:secret@localhost:5432/app' });
export async function rename(id: string) {
  await pool.query('UPDATE venue SET name = $1 WHERE id = $2', ['y', id]);
}
`,
    });

  it('is no admin connection under the replay either, unless a migration declares it', () => {
    const plain = project('');
    for (const schemaSource of ['static', 'replay'] as const) {
      const report = auditSync({ paths: [plain], types: false, schemaSource });
      expect(coverageOf(report)).toEqual(['public.venue unscoped']);
    }
    const declared = project('ALTER ROLE postgres BYPASSRLS;\n');
    for (const schemaSource of ['static', 'replay'] as const) {
      const report = auditSync({ paths: [declared], types: false, schemaSource });
      expect(coverageOf(report)).toEqual(['public.venue admin-pool']);
    }
  }, 60_000);
});
