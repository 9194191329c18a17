import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CacheReport } from '../../src/cache/audit-cache.js';
import { appendChange, readJournal, shouldFold, writeSnapshot } from '../../src/cache/journal.js';
import { auditSync } from '../../src/walker/audit.js';
import { untimed } from '../support/fixture-apps.js';
import { initialState, writeApp } from './small-app.js';
import { age, auditWithCache, temporaryFolders } from '../support/aged-tree.js';

// Two things a warm run no longer does (issue 15): list the tree afresh (each folder is known
// from the last run's listing while its stat is the same: src/files/walk.ts) and rewrite its
// cache files whole (a run's changes are appended: src/cache/journal.ts). Neither may change a
// verdict: each edit below is one these shortcuts could miss, and the warm report must be the
// cold one's. The tree is dated in the past first, folders included, as after a checkout, so
// that the folders' records are kept (a folder modified in the last seconds is read every run).

const temp = temporaryFolders();

/** Rewrites a file in place (its folder's time does not change) and dates it in the past, unlike what it was. */
function edit(dir: string, file: string, text: string): void {
  const abs = path.join(dir, file);
  fs.writeFileSync(abs, text);
  const when = new Date(Date.now() - 1800 * 1000);
  fs.utimesSync(abs, when, when);
}

const audit = auditWithCache;

/** The warm audit agrees with a cold one without the cache; returns the warm one. */
function sameAsCold(dir: string, cache: string): { report: ReturnType<typeof auditSync>; stats: CacheReport } {
  const warm = audit(dir, cache);
  expect(untimed(warm.report)).toBe(untimed(audit(dir).report));
  return { report: warm.report, stats: warm.stats! };
}

const sitesIn = (report: ReturnType<typeof auditSync>, prefix: string): string[] =>
  report.writeSites.filter((s) => s.file.startsWith(prefix)).map((s) => `${s.file}:${s.coverage}`);

/** The small app, with a write in src/legacy/ that the root .gitignore hides, all dated an hour ago, and cached. */
function cachedApp(gitignore: string): { dir: string; cache: string } {
  const dir = temp('rls-guard-listing-app-');
  writeApp(dir, initialState());
  fs.writeFileSync(path.join(dir, '.gitignore'), gitignore);
  fs.mkdirSync(path.join(dir, 'src/legacy/deep'), { recursive: true });
  const write = (name: string): string =>
    `import { pool } from '../../db';\nexport async function ${name}(orgId: string): Promise<void> {\n` +
    `  await pool.query('INSERT INTO items (org_id) VALUES ($1)', [orgId]);\n}\n`;
  fs.writeFileSync(path.join(dir, 'src/legacy/deep/old.ts'), write('old'));
  fs.writeFileSync(path.join(dir, 'src/legacy/deep/made.gen.ts'), write('made'));
  age(dir);
  const cache = temp('rls-guard-listing-cache-');
  audit(dir, cache);
  // Warm: no folder is read, and the report is the cold one's.
  const warm = sameAsCold(dir, cache);
  expect(warm.stats).toMatchObject({ foldersRead: 0, analysed: 0 });
  return { dir, cache };
}

describe("the tree's listing, kept folder by folder", () => {
  it('a .gitignore edited in place (its folder keeps its time) is read again, and so is every folder below', () => {
    const { dir, cache } = cachedApp('src/legacy/\n');
    expect(sitesIn(audit(dir).report, 'src/legacy/')).toEqual([]);
    // Nothing ignored now: src/ and src/legacy/ have their times as listed, but were listed under the old rules.
    edit(dir, '.gitignore', '# nothing ignored\n');
    const warm = sameAsCold(dir, cache);
    expect(sitesIn(warm.report, 'src/legacy/')).toEqual([
      'src/legacy/deep/made.gen.ts:unscoped',
      'src/legacy/deep/old.ts:unscoped',
    ]);
    expect(warm.stats.foldersRead).toBeGreaterThan(0);
    // Listed anew and kept: the next run reads no folder again.
    expect(sameAsCold(dir, cache).stats.foldersRead).toBe(0);
  });

  it('a rule that now ignores a file deep below is applied there, though that folder did not change', () => {
    const { dir, cache } = cachedApp('# nothing ignored\n');
    expect(sitesIn(audit(dir).report, 'src/legacy/')).toHaveLength(2);
    edit(dir, '.gitignore', '*.gen.ts\n');
    expect(sitesIn(sameAsCold(dir, cache).report, 'src/legacy/')).toEqual(['src/legacy/deep/old.ts:unscoped']);
  });

  it('a file added, a folder added, a file removed: the folders that hold them are read again', () => {
    const { dir, cache } = cachedApp('# nothing ignored\n');
    fs.writeFileSync(
      path.join(dir, 'src/routes/route9.ts'),
      "import { pool } from '../db';\nimport { save0 } from '../helpers/save0';\n" +
        'export async function handle9(orgId: string): Promise<void> {\n  await save0(pool, orgId);\n}\n',
    );
    const added = sameAsCold(dir, cache);
    expect(sitesIn(added.report, 'src/helpers/save0.ts')).toEqual(['src/helpers/save0.ts:unscoped']);
    expect(added.stats.foldersRead).toBeGreaterThan(0);
    fs.mkdirSync(path.join(dir, 'src/legacy/deep/deeper'));
    fs.renameSync(path.join(dir, 'src/legacy/deep/old.ts'), path.join(dir, 'src/legacy/deep/deeper/old.ts'));
    fs.writeFileSync(
      path.join(dir, 'src/legacy/deep/deeper/old.ts'),
      fs.readFileSync(path.join(dir, 'src/legacy/deep/deeper/old.ts'), 'utf8').replaceAll("'../../db'", "'../../../db'"),
    );
    expect(sitesIn(sameAsCold(dir, cache).report, 'src/legacy/')).toEqual([
      'src/legacy/deep/deeper/old.ts:unscoped',
      'src/legacy/deep/made.gen.ts:unscoped',
    ]);
    fs.rmSync(path.join(dir, 'src/legacy'), { recursive: true });
    expect(sitesIn(sameAsCold(dir, cache).report, 'src/legacy/')).toEqual([]);
  });

  it('a folder modified within the racy window (or dated ahead of the clock) is read on every run', () => {
    const { dir, cache } = cachedApp('# nothing ignored\n');
    // Dated ahead: it stays "just modified" for as long as the test runs, however slowly.
    const ahead = new Date(Date.now() + 3600_000);
    fs.utimesSync(path.join(dir, 'src/routes'), ahead, ahead);
    expect(sameAsCold(dir, cache).stats.foldersRead).toBeGreaterThan(0);
    expect(sameAsCold(dir, cache).stats.foldersRead).toBeGreaterThan(0);
  });

  it('a folder holding a link is read on every run (where a link leads can change without its folder)', () => {
    const { dir, cache } = cachedApp('# nothing ignored\n');
    fs.mkdirSync(path.join(dir, 'lib/one'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'lib/two'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'lib/two/extra.ts'), fs.readFileSync(path.join(dir, 'src/legacy/deep/old.ts')));
    fs.symlinkSync(path.join(dir, 'lib/one'), path.join(dir, 'src/linked'));
    // A file known by its link is audited once, under its real path.
    fs.symlinkSync(path.join(dir, 'lib/two/extra.ts'), path.join(dir, 'src/alias.ts'));
    age(dir);
    sameAsCold(dir, cache);
    const again = sameAsCold(dir, cache);
    expect(again.stats.foldersRead).toBeGreaterThan(0);
    expect(again.report.writeSites.filter((s) => s.file.endsWith('extra.ts') || s.file.endsWith('alias.ts'))).toEqual([
      expect.objectContaining({ file: 'lib/two/extra.ts' }),
    ]);
    fs.rmSync(path.join(dir, 'src/alias.ts'));
    // The link now leads elsewhere: src/ keeps its time (a link replaced in place by rename changes it; this is the
    // case where it does not matter, since src/ is read anyway).
    fs.rmSync(path.join(dir, 'src/linked'));
    fs.symlinkSync(path.join(dir, 'lib/two'), path.join(dir, 'src/linked'));
    const warm = sameAsCold(dir, cache);
    expect(warm.report.writeSites.some((s) => s.file.endsWith('extra.ts'))).toBe(true);
  });
});

/** Runs git in the app's folder, with an identity of its own (the machine may have none). */
function git(dir: string, ...args: string[]): void {
  execFileSync('git', ['-c', 'user.name=rls-guard', '-c', 'user.email=rls-guard@example.com', ...args], {
    cwd: dir,
    stdio: 'pipe',
  });
}

describe('committed files a .gitignore hides (git ignores untracked files only)', () => {
  it('are read, cold and warm, as soon as git tracks them, and no longer once it does not; an untracked one never', () => {
    const { dir, cache } = cachedApp('src/legacy/\n');
    git(dir, 'init', '-q');
    git(dir, 'add', '-A');
    // Committed with `add -f`, as a repository whose .gitignore came after the file; and its compiled JavaScript
    // beside it, which is what the rule meant to hide (read, it would be the write again).
    fs.writeFileSync(
      path.join(dir, 'src/legacy/deep/old.js'),
      "exports.old = async (orgId) => { await require('../../db').pool.query('INSERT INTO items (org_id) VALUES ($1)', [orgId]); };\n",
    );
    git(dir, 'add', '-f', 'src/legacy/deep/old.ts', 'src/legacy/deep/old.js');
    git(dir, 'commit', '-q', '-m', 'app');
    expect(sitesIn(audit(dir).report, 'src/legacy/')).toEqual(['src/legacy/deep/old.ts:unscoped']);
    // The folders' records from before git knew the file are not reused: no folder changed, git's index did.
    expect(sitesIn(sameAsCold(dir, cache).report, 'src/legacy/')).toEqual(['src/legacy/deep/old.ts:unscoped']);
    git(dir, 'rm', '-q', '--cached', 'src/legacy/deep/old.ts');
    expect(sitesIn(sameAsCold(dir, cache).report, 'src/legacy/')).toEqual([]);
  });

  it("reads a folder named like build output (a route segment `coverage/`) that holds committed TypeScript", () => {
    const { dir } = cachedApp('# nothing ignored\n');
    const route = (depth: number) =>
      `import { pool } from '${'../'.repeat(depth)}db';\nexport async function POST(orgId: string): Promise<void> {\n` +
      `  await pool.query('INSERT INTO items (org_id) VALUES ($1)', [orgId]);\n}\n`;
    fs.mkdirSync(path.join(dir, 'src/api/coverage'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'src/api/coverage/route.ts'), route(2));
    // Untracked: output, as outside a work tree.
    fs.mkdirSync(path.join(dir, 'src/build'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'src/build/route.ts'), route(1));
    expect(sitesIn(audit(dir).report, 'src/api/')).toEqual([]);
    git(dir, 'init', '-q');
    git(dir, 'add', 'src/api/coverage/route.ts');
    expect(sitesIn(audit(dir).report, 'src/api/')).toEqual(['src/api/coverage/route.ts:unscoped']);
    expect(sitesIn(audit(dir).report, 'src/build/')).toEqual([]);
  });

  it('where git cannot say which are committed, the audit is incomplete and says why and what to do', () => {
    const { dir } = cachedApp('src/legacy/\n');
    git(dir, 'init', '-q');
    const path_ = process.env.PATH;
    process.env.PATH = '/nonexistent';
    let report: ReturnType<typeof auditSync>;
    try {
      report = audit(dir).report;
    } finally {
      process.env.PATH = path_;
    }
    expect(sitesIn(report, 'src/legacy/')).toEqual([]);
    const gap = report.incomplete.find((i) => i.file.startsWith('src/legacy'));
    expect(gap?.reason).toMatch(/^\.gitignore hides this, and git could not be run: ENOENT, so which hidden files are committed/);
    // Outside a work tree, a .gitignore hides what it says, with nothing to say about it.
    const plain = cachedApp('src/legacy/\n').dir;
    process.env.PATH = '/nonexistent';
    try {
      expect(audit(plain).report.incomplete).toEqual([]);
    } finally {
      process.env.PATH = path_;
    }
  });
});

describe('the cache files as journals', () => {
  const auditFile = (cache: string): string => path.join(cache, fs.readdirSync(cache).find((f) => f.startsWith('audit-'))!);

  it("a run that changed one file appends its changes; the next run reads them back and reuses that file's results", () => {
    const { dir, cache } = cachedApp('# nothing ignored\n');
    const before = fs.readFileSync(auditFile(cache), 'utf8');
    expect(before.split('\n')).toHaveLength(1);
    edit(dir, 'src/routes/direct.ts', fs.readFileSync(path.join(dir, 'src/routes/direct.ts'), 'utf8') + '// edited\n');
    expect(sameAsCold(dir, cache).stats).toMatchObject({ analysed: 1 });
    const after = fs.readFileSync(auditFile(cache), 'utf8');
    // The snapshot is as it was, one line of changes after it.
    expect(after.startsWith(before + '\n')).toBe(true);
    expect(after.split('\n')).toHaveLength(2);
    const next = sameAsCold(dir, cache).stats;
    expect(next.analysed).toBe(0);
    expect(next.reused).toBeGreaterThan(10);
  });

  it('a line cut short (a run killed while appending) is ignored, never misread, and the next run writes a snapshot', () => {
    const { dir, cache } = cachedApp('# nothing ignored\n');
    edit(dir, 'src/routes/direct.ts', fs.readFileSync(path.join(dir, 'src/routes/direct.ts'), 'utf8') + '// edited\n');
    sameAsCold(dir, cache);
    const file = auditFile(cache);
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.slice(0, text.length - 40));
    expect(readJournal(file)).toMatchObject({ damaged: true, changes: [] });
    // The change is lost: the edited file is analysed again.
    expect(sameAsCold(dir, cache).stats).toMatchObject({ analysed: 1 });
    expect(fs.readFileSync(file, 'utf8').split('\n')).toHaveLength(1);
    expect(readJournal(file)).toMatchObject({ damaged: false });
  });

  it('are written as ASCII (read back as Latin-1) and give back every character; an older UTF-8 file reads as before', () => {
    const { cache } = cachedApp('# nothing ignored\n');
    const file = path.join(cache, 'journal-test.jsonl');
    const text = 'caf\u00e9 \u2192 \u{1F600} \ud800 \u007f';
    writeSnapshot(file, { text });
    appendChange(file, { text: `${text}!` });
    const bytes = fs.readFileSync(file);
    expect(bytes.every((b) => b < 0x80)).toBe(true);
    expect(readJournal(file)).toMatchObject({ snapshot: { text }, changes: [{ text: `${text}!` }] });
    fs.writeFileSync(file, `${JSON.stringify({ text })}\n${JSON.stringify({ text: 'x\u2192' })}`);
    expect(readJournal(file)).toMatchObject({ snapshot: { text }, changes: [{ text: 'x\u2192' }] });
  });

  it('folds the changes into a new snapshot once they outgrow a quarter of it', () => {
    const journal = { snapshot: {}, changes: [{}], snapshotBytes: 1000, changeBytes: 200, damaged: false };
    expect(shouldFold(journal, 40)).toBe(false);
    expect(shouldFold(journal, 60)).toBe(true);
    expect(shouldFold({ ...journal, damaged: true }, 1)).toBe(true);
    expect(shouldFold(undefined, 1)).toBe(true);
  });
});
