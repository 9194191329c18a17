import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { packScansRun } from '../../src/eslint/pack-scan.js';
import { forgetProcessKind } from '../../src/eslint/settings.js';
import { indexChores, NOTHING_JSON, quietAnswerCount, resetProjectIndexes } from '../../src/eslint/project-index.js';
import { asEditorProcess, eslintFor, lintMessages, touch } from '../support/eslint-project.js';

// What a warm lint answers from the project index without computing it again: the pack scan's
// "nothing here" by content, verdicts parsed only when looked up, and a save of a file the
// process linted unsaved seen at the next lint (before the next look at the project).

const FIXTURE = path.resolve(import.meta.dirname, '../../fixtures/rule-tester');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-warm-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const pack = (names: string[]) => ({
  id: 'acme-2',
  platform: 'Acme',
  version: '2.0.0',
  title: 'Acme 2',
  source: 'https://example.com/guide',
  entries: names.map((name) => ({ name, kind: 'env', status: 'removed', version: '2.0.0', reason: 'gone', source: 'https://example.com/guide' })),
});

let n = 0;
/** The RuleTester fixture with a pack of its own (a pack without `uses` always applies) and the scope helper's file. */
function project(): string {
  const root = path.join(tmp, `p${n++}`);
  fs.cpSync(FIXTURE, root, { recursive: true });
  fs.mkdirSync(path.join(root, 'node_modules'));
  writeConfig(root);
  fs.writeFileSync(path.join(root, 'acme.json'), JSON.stringify(pack(['OLD_VAR'])));
  fs.writeFileSync(path.join(root, 'src/tenancy.ts'), `export async function inTenant(pool: unknown, fn: (tx: unknown) => Promise<void>): Promise<void> {}\n`);
  return root;
}

function writeConfig(root: string, extra: Record<string, unknown> = {}): void {
  const base = JSON.parse(fs.readFileSync(path.join(FIXTURE, 'rls-guard.config.json'), 'utf8')) as object;
  fs.writeFileSync(path.join(root, 'rls-guard.config.json'), JSON.stringify({ ...base, schemaSource: 'static', packs: ['acme.json'], ...extra }));
}

const messages = (root: string, rel: string, text?: string, eslint = eslintFor(root)): Promise<string[]> =>
  lintMessages(eslint, root, rel, text);

beforeEach(() => resetProjectIndexes());

describe('the pack scan, remembered by content', () => {
  it('is not run again for a saved text it found nothing in, in a new process; a text with a match is scanned each time', async () => {
    // Noted in the lint process's index (a cold index on the command line is otherwise built by a child, which does not
    // scan for packs: the note is then made by the first warm run).
    vi.stubEnv('RLS_GUARD_INDEX_CHILD', '0');
    onTestFinished(() => void vi.unstubAllEnvs());
    const root = project();
    fs.writeFileSync(path.join(root, 'src/plain.ts'), 'export const url = process.env.DATABASE_URL;\n');
    fs.writeFileSync(path.join(root, 'src/env.ts'), 'export const old = process.env.OLD_VAR;\n');
    const OLD = /^1 rls-guard\/no-deprecated-env Environment variable OLD_VAR/;
    let before = packScansRun();
    expect(await messages(root, 'src/plain.ts')).toEqual([]);
    expect(await messages(root, 'src/env.ts')).toEqual([expect.stringMatching(OLD)]);
    expect(packScansRun() - before).toBe(2);
    resetProjectIndexes(); // a new process: the answer comes from the index on disk
    before = packScansRun();
    expect(await messages(root, 'src/plain.ts')).toEqual([]);
    expect(await messages(root, 'src/env.ts')).toEqual([expect.stringMatching(OLD)]);
    expect(packScansRun() - before).toBe(1);
    // Unsaved text is scanned (only the saved content is remembered).
    before = packScansRun();
    expect(await messages(root, 'src/plain.ts', 'export const old = process.env.OLD_VAR;\n')).toEqual([expect.stringMatching(OLD)]);
    expect(packScansRun() - before).toBe(1);
  });

  it('on the command line, is written once as the process ends, not by a write of the whole index during the run', async () => {
    // A cold command-line lint notes most of its files (the child that builds the index does not scan for packs): each
    // note once scheduled a write of the whole index, 8 writes of 10 MB in a cold lint of a 3,400-file project.
    vi.stubEnv('RLS_GUARD_INDEX_CHILD', '0');
    onTestFinished(() => void vi.unstubAllEnvs());
    const root = project();
    fs.writeFileSync(path.join(root, 'src/plain.ts'), 'export const url = process.env.DATABASE_URL;\n');
    fs.writeFileSync(path.join(root, 'src/env.ts'), 'export const old = process.env.OLD_VAR;\n');
    // The first process builds the index (every file's verdicts) and scans src/env.ts only.
    await messages(root, 'src/env.ts');
    resetProjectIndexes();
    // A new process: src/plain.ts is a lookup, and its scan makes a note; no write follows while the run goes on.
    const writes = indexChores().writes;
    let before = packScansRun();
    expect(await messages(root, 'src/plain.ts')).toEqual([]);
    expect(packScansRun() - before).toBe(1);
    await new Promise((r) => setTimeout(r, 1500));
    expect(indexChores().writes).toBe(writes);
    // The process ends (the exit hook's write): the next one finds the note.
    resetProjectIndexes();
    expect(indexChores().writes).toBe(writes + 1);
    before = packScansRun();
    expect(await messages(root, 'src/plain.ts')).toEqual([]);
    expect(packScansRun() - before).toBe(0);
  });

  it('is run again when a pack file changes: the remembered answer holds for the packs it was found under', async () => {
    // An editor's process: the config is looked for again once a second there (a command-line run keeps it for the run).
    asEditorProcess();
    const root = project();
    fs.writeFileSync(path.join(root, 'src/plain.ts'), 'export const token = process.env.LEGACY_TOKEN;\n');
    expect(await messages(root, 'src/plain.ts')).toEqual([]);
    resetProjectIndexes();
    fs.writeFileSync(path.join(root, 'acme.json'), JSON.stringify(pack(['OLD_VAR', 'LEGACY_TOKEN'])));
    // The config is read again after its one-second interval (lint-analysis.ts).
    writeConfig(root, { ignore: ['dist/**'] });
    await new Promise((r) => setTimeout(r, 1100));
    expect(await messages(root, 'src/plain.ts')).toEqual([expect.stringMatching(/^1 rls-guard\/no-deprecated-env Environment variable LEGACY_TOKEN/)]);
  });
});

function indexFile(root: string): string {
  const dir = path.join(root, 'node_modules/.cache/rls-guard');
  const [name] = fs.readdirSync(dir).filter((f) => f.startsWith('eslint-index-') && f.endsWith('.json'));
  return path.join(dir, name!);
}

describe('stored verdicts, parsed when looked up', () => {
  it('a stored verdict that is not JSON, or not what a report reads, is a miss: the file is analysed again', async () => {
    // The lint process's own index: on the command line a cold index is otherwise written by a child process, which
    // may not have written it yet when the test reads the file (it did not, once, under a loaded CI run).
    vi.stubEnv('RLS_GUARD_INDEX_CHILD', '0');
    onTestFinished(() => void vi.unstubAllEnvs());
    const root = project();
    const purge = "import { pool } from './db';\nexport const purge = () => pool.query('DELETE FROM audit_logs');\n";
    fs.writeFileSync(path.join(root, 'src/purge.ts'), purge);
    const DELETE = /^2 rls-guard\/no-unscoped-write DELETE on public\.audit_logs/;
    expect(await messages(root, 'src/purge.ts')).toEqual([expect.stringMatching(DELETE)]);
    for (const damage of ['{"findings": [', JSON.stringify({ findings: [{ ruleId: 'no-unscoped-write', messageId: 'onPool', file: 'src/purge.ts', line: 'one' }], sites: [] }), JSON.stringify({ findings: [] })]) {
      resetProjectIndexes();
      const data = JSON.parse(fs.readFileSync(indexFile(root), 'utf8')) as { results: Record<string, { key: string; json: string }> };
      expect(typeof data.results['src/purge.ts']?.json).toBe('string');
      data.results['src/purge.ts']!.json = damage; // same key: it would be the answer
      fs.writeFileSync(indexFile(root), JSON.stringify(data));
      expect(await messages(root, 'src/purge.ts')).toEqual([expect.stringMatching(DELETE)]);
    }
  });

  it('a file with nothing to report is answered by comparing its stored verdict with the empty one, not parsing it', async () => {
    vi.stubEnv('RLS_GUARD_INDEX_CHILD', '0');
    onTestFinished(() => void vi.unstubAllEnvs());
    const root = project();
    fs.writeFileSync(path.join(root, 'src/plain.ts'), 'export const add = (a: number, b: number): number => a + b;\n');
    expect(await messages(root, 'src/plain.ts')).toEqual([]);
    resetProjectIndexes(); // a new process: the verdict comes from the index on disk
    const stored = JSON.parse(fs.readFileSync(indexFile(root), 'utf8')) as { results: Record<string, { json: string }> };
    expect(stored.results['src/plain.ts']?.json).toBe(NOTHING_JSON);
    const parse = vi.spyOn(JSON, 'parse');
    onTestFinished(() => parse.mockRestore());
    expect(await messages(root, 'src/plain.ts')).toEqual([]);
    expect(parse.mock.calls.filter(([text]) => text === NOTHING_JSON)).toEqual([]);
  });
});

describe('a saved file with nothing to report, in a warm command-line lint (lint36)', () => {
  it('is answered by its hash and the whole project\'s key, without a view; a write or an unsaved text is not', async () => {
    vi.stubEnv('RLS_GUARD_INDEX_CHILD', '0'); // the whole project analysed in this process, stored under its key
    onTestFinished(() => void vi.unstubAllEnvs());
    forgetProcessKind();
    const root = project();
    const purge = "import { pool } from './db';\nexport const purge = () => pool.query('DELETE FROM audit_logs');\n";
    fs.writeFileSync(path.join(root, 'src/purge.ts'), purge);
    const plain = ['a', 'b', 'c'].map((x) => `src/plain-${x}.ts`);
    for (const rel of plain) fs.writeFileSync(path.join(root, rel), `export const ${rel.slice(10, 11)} = 1;\n`);
    const DELETE = /^2 rls-guard\/no-unscoped-write DELETE on public\.audit_logs/;
    const eslint = eslintFor(root);
    expect(await messages(root, 'src/purge.ts', undefined, eslint)).toEqual([expect.stringMatching(DELETE)]);
    resetProjectIndexes(); // a new process: the index from disk
    forgetProcessKind();
    const warm = eslintFor(root);
    // The first lint looks at the project (what changed since the index was written): through the view.
    let before = quietAnswerCount();
    expect(await messages(root, 'src/purge.ts', undefined, warm)).toEqual([expect.stringMatching(DELETE)]);
    expect(quietAnswerCount() - before).toBe(0);
    before = quietAnswerCount();
    for (const rel of plain) expect(await messages(root, rel, undefined, warm)).toEqual([]);
    expect(quietAnswerCount() - before).toBe(plain.length);
    // A write in the editor's unsaved text of a quiet file: not its saved content, so analysed, and reported.
    before = quietAnswerCount();
    const unsaved = "import { pool } from './db';\nexport const a = () => pool.query('DELETE FROM audit_logs');\n";
    expect(await messages(root, plain[0]!, unsaved, warm)).toEqual([expect.stringMatching(DELETE)]);
    expect(quietAnswerCount() - before).toBe(0);
  });
});

describe('a file this process linted unsaved, then saved', () => {
  it('is seen at the next lint of another file, before the next look at the project is due', async () => {
    const root = project();
    const eslint = eslintFor(root);
    const UNSCOPED = /^5 rls-guard\/no-unscoped-write .*the call at src\/jobs\.ts:5 recordAudit\(pool, orgId\)/;
    expect(await messages(root, 'src/audit-helper.ts', undefined, eslint)).toEqual([expect.stringMatching(UNSCOPED)]);
    const covered = `import { recordAudit } from './audit-helper.js';\nimport { pool } from './db.js';\nimport { inTenant } from './tenancy.js';\n\nexport async function nightly(orgId: string): Promise<void> {\n  await inTenant(pool, async (tx) => recordAudit(tx, orgId));\n}\n`;
    // Edited in the editor (linted unsaved), then saved; the caller now passes the scope helper's executor.
    await messages(root, 'src/jobs.ts', covered, eslint);
    touch(path.join(root, 'src/jobs.ts'), covered);
    expect(await messages(root, 'src/audit-helper.ts', undefined, eslint)).toEqual([]);
  });
});

describe('a linted file the project listing leaves out', () => {
  it('is not stored, so a warm run that lints it again leaves the index on disk as it was', async () => {
    vi.stubEnv('RLS_GUARD_INDEX_CHILD', '0');
    onTestFinished(() => void vi.unstubAllEnvs());
    const root = project();
    // A declaration file: ESLint lints it (the configs' `files` match .d.ts), the audit's listing leaves it out.
    fs.mkdirSync(path.join(root, 'src/types'), { recursive: true });
    fs.writeFileSync(path.join(root, 'src/types/express.d.ts'), 'declare namespace Express {\n  interface Request {\n    orgId?: string;\n  }\n}\n');
    const purge = "import { pool } from './db';\nexport const purge = () => pool.query('DELETE FROM audit_logs');\n";
    fs.writeFileSync(path.join(root, 'src/purge.ts'), purge);
    expect(await messages(root, 'src/purge.ts')).toEqual([expect.stringMatching(/^2 rls-guard\/no-unscoped-write DELETE/)]);
    expect(await messages(root, 'src/types/express.d.ts')).toEqual([]);
    resetProjectIndexes();
    const saved = fs.statSync(indexFile(root)).mtimeMs;
    const text = fs.readFileSync(indexFile(root), 'utf8');
    expect(JSON.parse(text).results['src/purge.ts']).toBeDefined();
    // A new process: both files again, nothing changed.
    expect(await messages(root, 'src/purge.ts')).toEqual([expect.stringMatching(/^2 rls-guard\/no-unscoped-write DELETE/)]);
    expect(await messages(root, 'src/types/express.d.ts')).toEqual([]);
    resetProjectIndexes();
    expect(fs.statSync(indexFile(root)).mtimeMs).toBe(saved);
    expect(fs.readFileSync(indexFile(root), 'utf8')).toBe(text);
  });
});

describe('the config lookup on the command line', () => {
  it("keeps a folder's answer for the run, however much wall time passes between its files", async () => {
    forgetProcessKind(); // a command-line process: no file linted again a second later
    const root = project();
    fs.writeFileSync(path.join(root, 'src/a.ts'), 'export const a = 1;\n');
    fs.writeFileSync(path.join(root, 'src/b.ts'), 'export const b = 2;\n');
    const eslint = eslintFor(root);
    expect(await messages(root, 'src/a.ts', undefined, eslint)).toEqual([]);
    // Five seconds of wall time later (a loaded machine), the next file of the same folder.
    const real = performance.now.bind(performance);
    vi.spyOn(performance, 'now').mockImplementation(() => real() + 5000);
    const stat = vi.spyOn(fs, 'statSync');
    onTestFinished(() => void vi.restoreAllMocks());
    expect(await messages(root, 'src/b.ts', undefined, eslint)).toEqual([]);
    expect(stat.mock.calls.map(([f]) => String(f)).filter((f) => /rls-guard\.config\./.test(f))).toEqual([]);
  });
});
