import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { resolveAnalysisConfig } from '../../src/analysis/config.js';
import { loadConfig } from '../../src/config/load.js';
import { runningBuilds } from '../../src/eslint/background-build.js';
import { cachedFindings, projectFindings, reachable, resetProjectIndexes } from '../../src/eslint/project-index.js';
import { loadModel } from '../../src/schema/load.js';
import { readDeploymentRoles } from '../../src/schema/deploy-roles.js';
import { asEditorProcess, eslintFor, lintMessages, lintUntil, ruleTesterCopy, touch } from '../support/eslint-project.js';

// The plugin's project index: cross-file verdicts in the editor, unsaved text, changes on
// disk, the on-disk cache, and the time budget.

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-index-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A copy of the RuleTester fixture (helper, caller, plain transaction helper), with node_modules so the cache lives there. */
const project = (): string => ruleTesterCopy(tmp);

const messages = lintMessages;

beforeEach(() => resetProjectIndexes());

describe('the project index', () => {
  it("decides a helper's write by its callers in other files, and follows an edit of the caller in an editor", async () => {
    // An editor's ESLint server (outside CI): files on disk are looked at again on a wall-time schedule. On the
    // command line and in CI the schedule is in CPU time (recheck.ts), which a test that sleeps would not reach.
    asEditorProcess();
    const root = project();
    // No time budget: a loaded machine must not turn the answer into "still being built".
    const eslint = eslintFor(root, { indexBudgetMs: Infinity });
    expect(await messages(eslint, root, 'src/audit-helper.ts')).toEqual([expect.stringMatching(/^5 rls-guard\/no-unscoped-write .*the call at src\/jobs\.ts:5 recordAudit\(pool, orgId\)/)]);
    // The caller now passes the executor the scope helper hands its callback: covered.
    touch(
      path.join(root, 'src/jobs.ts'),
      `import { recordAudit } from './audit-helper.js';\nimport { pool } from './db.js';\nimport { inTenant } from './tenancy.js';\n\nexport async function nightly(orgId: string): Promise<void> {\n  await inTenant(pool, async (tx) => recordAudit(tx, orgId));\n}\n`,
    );
    fs.writeFileSync(path.join(root, 'src/tenancy.ts'), `export async function inTenant(pool: unknown, fn: (tx: unknown) => Promise<void>): Promise<void> {}\n`);
    // In an editor, files on disk are looked at again after at least MIN_RECHECK_MS of wall time, and longer when the
    // last look was dear (50 times its CPU: recheck.ts), as it is on a loaded machine: lint as an editor would, until
    // the look has been made (bounded), then the answer must follow the edit.
    expect(await lintUntil(eslint, root, 'src/audit-helper.ts', (after) => after.length === 0)).toEqual([]);
  });

  it('uses the unsaved text of the linted file', async () => {
    const root = project();
    const eslint = eslintFor(root);
    const unsaved = `import { pool } from './db';\nimport { withTransaction } from './tx';\nexport const rename = (orgId: string) =>\n  withTransaction(pool, async (tx) => tx.query('UPDATE projects SET name = $2 WHERE org_id = $1', [orgId, 'x']));\n`;
    const found = await messages(eslint, root, 'src/jobs.ts', unsaved);
    expect(found).toEqual([expect.stringMatching(/^4 rls-guard\/no-unscoped-write UPDATE on public\.projects .*passed to `withTransaction` \(src\/tx\.ts:5\)/)]);
  });

  it('is cached on disk, keyed by content: a new process answers from the cache, a changed file is analysed again', () => {
    const root = project();
    const loaded = loadConfig({ start: root });
    const model = loadModel(root, loaded.config);
    const config = resolveAnalysisConfig(model, loaded.config);
    const file = path.join(root, 'src/audit-helper.ts');
    const input = { loaded, model, config, file, text: fs.readFileSync(file, 'utf8'), budgetMs: Infinity };
    const first = projectFindings(input);
    expect(first).toMatchObject({ status: 'ready', cached: false });
    resetProjectIndexes(); // as after an editor restart (the index is written on the way out)
    const stored = fs.readdirSync(path.join(root, 'node_modules/.cache/rls-guard')).filter((f) => f.startsWith('eslint-index-'));
    expect(stored).toHaveLength(1);
    const second = projectFindings(input);
    expect(second).toMatchObject({ status: 'ready', cached: true });
    expect(second.status === 'ready' && second.findings).toEqual(first.status === 'ready' && first.findings);
    const edited = projectFindings({ ...input, text: `${input.text}\n// edited\n` });
    expect(edited).toMatchObject({ status: 'ready', cached: false });
  });

  it('answers a file decided alone from the cache until it or a file it imports changes', async () => {
    // The lint process's own store (a cold index on the command line is otherwise built by a child: cli-build.ts).
    vi.stubEnv('RLS_GUARD_INDEX_CHILD', '0');
    onTestFinished(() => void vi.unstubAllEnvs());
    const root = project();
    const file = path.join(root, 'src/purge.ts');
    fs.writeFileSync(file, "import { pool } from './db';\nexport const purge = () => pool.query('DELETE FROM audit_logs');\n");
    expect(await messages(eslintFor(root), root, 'src/purge.ts')).toEqual([expect.stringMatching(/^2 rls-guard\/no-unscoped-write DELETE on public\.audit_logs/)]);
    resetProjectIndexes();
    const loaded = loadConfig({ start: root });
    const model = loadModel(root, loaded.config);
    // The deployment files the lint read with the model (they are part of every key).
    const deployment = readDeploymentRoles(root, loaded.config.ignore ?? []);
    const input = { loaded, model, config: resolveAnalysisConfig(model, loaded.config), deployment, file, text: fs.readFileSync(file, 'utf8'), budgetMs: Infinity };
    expect(cachedFindings(input)?.findings.map((f) => `${f.line} ${f.ruleId}`)).toEqual(['2 no-unscoped-write']);
    // The pool now comes from an admin provider: the imported file changed, so the verdict is recomputed.
    touch(path.join(root, 'src/db.ts'), "import { Pool } from 'pg';\nexport const pool = adminPool();\ndeclare function adminPool(): Pool;\n");
    resetProjectIndexes();
    expect(cachedFindings(input)).toBeUndefined();
  });

  it('past its time budget, reports the sites that need it as unresolved, saying the index is still being built', async () => {
    const root = project();
    const found = await messages(eslintFor(root, { indexBudgetMs: 0 }), root, 'src/audit-helper.ts');
    expect(found).toEqual([expect.stringMatching(/^5 rls-guard\/no-unresolved-write INSERT on public\.audit_logs cannot be verified yet: .*the rls-guard project index is still being built \(\d+ of \d+ files read\)/)]);
    // A file that needs no other file is decided whatever the budget.
    expect(await messages(eslintFor(root, { indexBudgetMs: 0 }), root, 'src/db.ts')).toEqual([]);
    // Meanwhile a detached child builds the index without a budget; a later lint finds its verdict on disk.
    let later: string[] = [];
    for (let i = 0; i < 120; i++) {
      await new Promise((r) => setTimeout(r, 500));
      later = await messages(eslintFor(root, { indexBudgetMs: 0 }), root, 'src/audit-helper.ts');
      if (!later.some((m) => m.includes('still being built'))) break;
    }
    expect(later).toEqual([expect.stringMatching(/^5 rls-guard\/no-unscoped-write .*the call at src\/jobs\.ts:5 recordAudit\(pool, orgId\)/)]);
  }, 90_000);

  it('takes the importers, transitively, and what they import', () => {
    const graph: Record<string, string[]> = { 'a.ts': ['b.ts'], 'b.ts': ['c.ts'], 'c.ts': [], 'd.ts': ['e.ts'], 'e.ts': [], 'f.ts': ['a.ts', 'g.ts'], 'g.ts': [] };
    const set = reachable('c.ts', (f) => graph[f] ?? [], new Set(Object.keys(graph)));
    expect([...set].sort()).toEqual(['a.ts', 'b.ts', 'c.ts', 'f.ts', 'g.ts']);
  });
});

/** Makes src/jobs.ts call the helper inside a scope helper's callback: the helper's write is covered. */
function coverTheCaller(root: string): void {
  touch(
    path.join(root, 'src/jobs.ts'),
    `import { recordAudit } from './audit-helper.js';\nimport { pool } from './db.js';\nimport { inTenant } from './tenancy.js';\n\nexport async function nightly(orgId: string): Promise<void> {\n  await inTenant(pool, async (tx) => recordAudit(tx, orgId));\n}\n`,
  );
  fs.writeFileSync(path.join(root, 'src/tenancy.ts'), `export async function inTenant(pool: unknown, fn: (tx: unknown) => Promise<void>): Promise<void> {}\n`);
}

function indexFile(root: string): string {
  const dir = path.join(root, 'node_modules/.cache/rls-guard');
  const [name] = fs.readdirSync(dir).filter((f) => f.startsWith('eslint-index-') && f.endsWith('.json'));
  return path.join(dir, name!);
}

const UNSCOPED_BY_JOBS = /^5 rls-guard\/no-unscoped-write .*the call at src\/jobs\.ts:5 recordAudit\(pool, orgId\)/;

describe('when the project index cannot be built or trusted, the cross-file sites fail closed, saying why', () => {
  it('a cache file that is not JSON is rebuilt: the same verdict, no crash', async () => {
    const root = project();
    expect(await messages(eslintFor(root), root, 'src/audit-helper.ts')).toEqual([expect.stringMatching(UNSCOPED_BY_JOBS)]);
    resetProjectIndexes();
    fs.writeFileSync(indexFile(root), '{"format": 1, "files": {"src/jobs.ts": ');
    expect(await messages(eslintFor(root), root, 'src/audit-helper.ts')).toEqual([expect.stringMatching(UNSCOPED_BY_JOBS)]);
    resetProjectIndexes();
    expect(() => JSON.parse(fs.readFileSync(indexFile(root), 'utf8'))).not.toThrow();
  });

  it('a damaged entry of a well-formed cache file is ignored, never reported as it is', async () => {
    const root = project();
    expect(await messages(eslintFor(root), root, 'src/audit-helper.ts')).toEqual([expect.stringMatching(UNSCOPED_BY_JOBS)]);
    resetProjectIndexes();
    // Same keys (so they would be answers), findings without positions, and a file entry of the wrong shape.
    const data = JSON.parse(fs.readFileSync(indexFile(root), 'utf8')) as { files: Record<string, unknown>; results: Record<string, { json: string }> };
    for (const stored of Object.values(data.results)) stored.json = JSON.stringify({ findings: [{ ruleId: 'no-unscoped-write', message: 'damaged', file: 'src/audit-helper.ts', line: 'one' }], sites: [] });
    data.files['src/jobs.ts'] = { hash: 42 };
    fs.writeFileSync(indexFile(root), JSON.stringify(data));
    expect(await messages(eslintFor(root), root, 'src/audit-helper.ts')).toEqual([expect.stringMatching(UNSCOPED_BY_JOBS)]);
  });

  it('a project file that cannot be read turns a passing cross-file verdict into unresolved, naming the file', async () => {
    const root = project();
    coverTheCaller(root);
    expect(await messages(eslintFor(root), root, 'src/audit-helper.ts')).toEqual([]);
    // A binary file (as the audit skips it): it could call recordAudit on the pool.
    fs.writeFileSync(path.join(root, 'src/generated.ts'), 'export const x = 1;\0\0');
    resetProjectIndexes();
    expect(await messages(eslintFor(root), root, 'src/audit-helper.ts')).toEqual([
      expect.stringMatching(/^5 rls-guard\/no-unresolved-write INSERT on public\.audit_logs cannot be verified yet: its verdict depends on other files \(.*\), and the rls-guard project index cannot check every caller: src\/generated\.ts cannot be read \(skipped: binary file/),
    ]);
    // A file decided alone is not affected.
    expect(await messages(eslintFor(root), root, 'src/db.ts')).toEqual([]);
  });

  it('a project file that cannot be read leaves a failing cross-file verdict as it is', async () => {
    const root = project();
    fs.writeFileSync(path.join(root, 'src/generated.ts'), 'export const x = 1;\0\0');
    expect(await messages(eslintFor(root), root, 'src/audit-helper.ts')).toEqual([expect.stringMatching(UNSCOPED_BY_JOBS)]);
  });

  it('a background build that crashes is named in the message, and the lints go on building within their budget', async () => {
    const root = project();
    const eslint = eslintFor(root, { indexBudgetMs: 0 });
    const earlier = new Set(runningBuilds()); // another test's build may still be writing
    expect(await messages(eslint, root, 'src/audit-helper.ts')).toEqual([expect.stringMatching(/still being built \(\d+ of \d+ files read\)\. A later lint/)]);
    const builds = runningBuilds().filter((pid) => !earlier.has(pid));
    expect(builds).toHaveLength(1);
    process.kill(builds[0]!, 'SIGKILL');
    for (let i = 0; i < 100 && runningBuilds().includes(builds[0]!); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await messages(eslint, root, 'src/audit-helper.ts')).toEqual([
      expect.stringMatching(/^5 rls-guard\/no-unresolved-write .*still being built \(\d+ of \d+ files read; its background build failed \(it was killed \(SIGKILL\)\), so each lint goes on building it within its time budget\)/),
    ]);
    // With time to spare, the lint in the editor finishes the build itself.
    expect(await messages(eslintFor(root), root, 'src/audit-helper.ts')).toEqual([expect.stringMatching(UNSCOPED_BY_JOBS)]);
  }, 30_000);
});
