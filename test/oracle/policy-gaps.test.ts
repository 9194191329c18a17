import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_ROLE, appOracle, eachWriteAlone, ORG, renumberHoles, type Site } from '../support/oracle.js';
import { annotatedVerdicts, readExpectations, sourceFiles } from '../support/annotations.js';

// The policies Postgres really applies to a write (fixtures/precision/policy-gaps): a table with RLS and no policy
// at all, INSERT … RETURNING (the SELECT policies on the new row), the builders' upserts (ON CONFLICT DO UPDATE) and
// RETURNING, and a policy only TO one role. Postgres decides: each write runs after its function's sets, as a
// NOBYPASSRLS role under FORCE RLS, and a covered verdict must change what the bypassing run changes, an unscoped one
// must fail on a policy or change less.

const ROOT = path.resolve(import.meta.dirname, '../../fixtures/precision/policy-gaps');

/** The statements a builder's function sends, from its `// sends:` lines up to the write, values as the org. */
function sends(file: string, line: number): string[] {
  const lines = fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n');
  let start = line - 1;
  while (start > 0 && !lines[start]!.includes('export async function')) start--;
  return lines
    .slice(start, line - 1)
    .flatMap((l) => /^\s*\/\/ sends: (.+)$/.exec(l)?.[1] ?? [])
    .map((s) => renumberHoles(s).replace(/\$\d+/g, `'${ORG}'`));
}

describe('the policies Postgres applies to a write, in Postgres', () => {
  // memos' policy is TO app_writer: the evidence says the write is covered if the app runs as a member of it.
  const fx = appOracle(ROOT, (oracle) => oracle.prepare(`GRANT app_writer TO ${APP_ROLE}`));

  it('gets every annotated verdict', () => {
    const { actual, wanted } = annotatedVerdicts(fx.report, readExpectations(ROOT, sourceFiles(ROOT)));
    expect(wanted.length).toBeGreaterThan(20);
    expect(actual).toEqual(wanted);
  });

  it('agrees with Postgres on every SQL write, each after its own transaction\'s sets', async () => {
    const seen = await eachWriteAlone(fx.oracle, fx.report, { root: ROOT, source: 'src/app.ts' }, expect);
    expect(seen.map((s) => s.coverage)).toContain('org-scope');
    expect(seen.map((s) => s.coverage)).toContain('unscoped');
  }, 120_000);

  it('agrees with Postgres on every builder write, run as the SQL the library sends', async () => {
    const sites = fx.report.writeSites.filter((s) => s.file === 'src/builders.ts' || s.file === 'src/kysely.ts');
    expect(sites.length).toBe(14);
    const watch = fx.report.schema.gatedTables;
    for (const site of sites) {
      const statements = ['BEGIN', ...sends(site.file, site.line), 'COMMIT'];
      expect(statements.length, `${site.file}:${site.line}`).toBeGreaterThan(3);
      const app = await fx.oracle.runOnConnection(statements, 'app', { watch, constants: [] });
      const bypass = await fx.oracle.runOnConnection(statements, 'bypass', { watch, constants: [] });
      const where = `${site.file}:${site.line} ${statements.slice(1, -1).join('; ')}`;
      expect(bypass.error, where).toBeNull();
      expect(bypass.changed.length, where).toBeGreaterThan(0);
      const covered = app.error === null && app.changed.join() === bypass.changed.join();
      expect({ where, covered }).toEqual({ where, covered: site.coverage !== 'unscoped' });
    }
  }, 120_000);

  it('names the reason: no policy at all, the SELECT policies RETURNING asks, the role a policy is for', () => {
    const at = (file: string, fn: string): Site => {
      const lines = fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n');
      const start = lines.findIndex((l) => l.includes(`function ${fn}(`));
      const line = lines.findIndex((l, i) => i > start && l.includes('// expect:')) + 2;
      return fx.report.writeSites.find((s) => s.file === file && s.line === line)!;
    };
    expect(at('src/app.ts', 'addLedgerEntry').evidence).toMatch(
      /^RLS is enabled on public\.ledger but no policy allows INSERT: the write can never succeed outside an admin /,
    );
    expect(at('src/app.ts', 'purgeLedger').evidence).toContain('no policy allows DELETE');
    const message = (s: Site) => fx.report.findings.find((f) => f.file === s.file && f.line === s.line)!.message;
    expect(message(at('src/app.ts', 'addLedgerEntry'))).toContain('With row-level security enabled and no policy');
    expect(at('src/app.ts', 'addEventReturning').evidence).toContain(
      'the SELECT policies of public.events (events_read), which the row INSERT … RETURNING hands back must pass, ' +
        'read app.user',
    );
    expect(at('src/builders.ts', 'prismaAddEvent').evidence).toContain('INSERT … RETURNING');
    expect(at('src/kysely.ts', 'kyselyUpsertLabel').evidence).toContain('the UPDATE policies of public.labels');
    expect(at('src/app.ts', 'addMemo').evidence).toContain(
      'memos_writer (INSERT) applies only TO app_writer, so the write is covered only if the app runs as',
    );
    // Settled at the helper's caller: the evidence names the caller's transaction, and still the role.
    const helper = fx.report.writeSites.find((s) => s.file === 'src/helpers.ts')!;
    expect(helper.evidence).toContain('memos_writer (INSERT) applies only TO app_writer');
    expect(at('src/app.ts', 'addEvent').evidence).not.toContain('role-specific');
  });

  it('shows why the role note matters: a role outside app_writer gets no row through memos\' policy', async () => {
    await fx.oracle.prepare(`REVOKE app_writer FROM ${APP_ROLE}`);
    const memo = fx.report.writeSites.find((s) => s.file === 'src/app.ts' && s.tables.includes('public.memos'))!;
    const write = renumberHoles(memo.sql[0]!).replace(/\$\d+/g, `'${ORG}'`);
    const statements = ['BEGIN', `SELECT set_config('app.tenant', '${ORG}', true)`, write, 'COMMIT'];
    const run = await fx.oracle.runOnConnection(statements, 'app', { watch: fx.report.schema.gatedTables, constants: [] });
    expect(run.error).toMatch(/row-level security/);
    await fx.oracle.prepare(`GRANT app_writer TO ${APP_ROLE}`);
  }, 120_000);

  it('matches the expected report committed beside the app', () => {
    const comparable = { writeSites: fx.report.writeSites, findings: fx.report.findings };
    const file = path.join(ROOT, 'expected-report.json');
    if (process.env.UPDATE_EXPECTED) fs.writeFileSync(file, `${JSON.stringify(comparable, null, 2)}\n`);
    expect(comparable).toEqual(JSON.parse(fs.readFileSync(file, 'utf8')));
  });
});
