import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import tsParser from '@typescript-eslint/parser';
import { ESLint } from 'eslint';
import { afterAll, afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { lastLintAnalysedAlone, preparationPending } from '../../src/eslint/lint-analysis.js';
import {
  closureWalkCount,
  EDITOR_WRITE_PAUSE_MS,
  indexChores,
  lastIndexWork,
  resetProjectIndexes,
} from '../../src/eslint/project-index.js';
import { poolWork } from '../../src/eslint/parse-pool.js';
import { forgetProcessKind } from '../../src/eslint/settings.js';
import plugin from '../../src/eslint-plugin.js';
import { eslintFor, lintMessages, ruleTesterCopy, touch } from '../support/eslint-project.js';

// An editor's re-lint of a file whose sites other files decide (lint-analysis.ts): once the project's analysis session
// holds every file the verdicts need, an edit is analysed once, in the session, not first alone in a fresh engine. The
// answer after every edit must be the one a fresh process gives for the same text: edits that keep the cross-file
// site, remove it (the file is then decided alone), bring it back, and add a write decided in the file.

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-relint-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function project(): string {
  const root = ruleTesterCopy(tmp);
  // Files that import the caller and read nothing of the helper: the program's text is larger than what an edit
  // re-analyses, as in a real project, so the session is not worn (replaced) within the edits below (session.ts, WEAR:
  // counted in characters, so each file carries a comment of some length).
  const note = '// A file of the project that re-exports the caller: its text counts towards the program.\n'.repeat(8);
  for (let k = 0; k < 12; k++)
    fs.writeFileSync(path.join(root, `src/reexport${k}.ts`), `${note}export { nightly as nightly${k} } from './jobs.js';\n`);
  return root;
}

/** A new index directory, so that nothing an earlier lint stored answers for this one. */
function freshIndex(): void {
  resetProjectIndexes();
  vi.stubEnv('RLS_GUARD_INDEX_DIR', fs.mkdtempSync(path.join(tmp, 'index-')));
}

beforeEach(() => {
  // An editor's ESLint server: the session keeps its dependency graph between lints.
  vi.stubEnv('CI', '');
  vi.stubEnv('VSCODE_PID', '1');
  forgetProcessKind();
});
afterEach(() => {
  resetProjectIndexes();
  vi.unstubAllEnvs();
  forgetProcessKind();
});

const HELPER = 'src/audit-helper.ts';
const helper = (body: string): string =>
  `import type { Pool, PoolClient } from 'pg';\nimport { pool } from './db.js';\n\n` +
  `export async function recordAudit(client: Pool | PoolClient, orgId: string): Promise<void> {\n${body}}\n`;
const onParameter = "  await client.query('INSERT INTO audit_logs (org_id, action) VALUES ($1, $2)', [orgId, 'nightly']);\n";
const onPool = "  await pool.query('INSERT INTO audit_logs (org_id, action) VALUES ($1, $2)', [orgId, 'nightly']);\n";

describe("an editor's re-lint of a file whose verdicts need the project", () => {
  it('analyses an edit once, in the warm session, and answers as a fresh process does', async () => {
    const root = project();
    // [text, whether the lint of it in the warm editor analyses the file on its own first]
    const edits: [string, boolean][] = [
      [helper(onParameter), true], // the open: nothing is known yet
      [`${helper(onParameter)}// edited\n`, false],
      [helper(`  // a line\n${onParameter}`), false],
      // The write now runs on the pool: decided in this file, and the project's answer says so (no cross-file site).
      [helper(onPool), false],
      [`${helper(onPool)}// again\n`, true],
      // Back through the parameter: the file's own analysis finds the cross-file site again.
      [helper(onParameter), true],
      [helper(`${onParameter}  const late = orgId;\n`), false],
      // A second write, on the pool: one site decided here, one by the callers.
      [helper(`${onParameter}${onPool}`), false],
      [helper(onParameter), false],
    ];
    // A fresh process per text: no session, no stored verdict.
    const fresh: string[][] = [];
    for (const [text] of edits) {
      freshIndex();
      fresh.push(await lintMessages(eslintFor(root, { indexBudgetMs: Infinity }), root, HELPER, text));
      expect(lastLintAnalysedAlone()).toBe(true);
    }
    expect(fresh[1]).toEqual([expect.stringMatching(/^5 rls-guard\/no-unscoped-write .*src\/jobs\.ts:5/)]);
    expect(fresh[3]).toEqual([expect.stringMatching(/^5 rls-guard\/no-unscoped-write INSERT on public\.audit_logs/)]);
    expect(fresh[7]).toHaveLength(2);
    freshIndex();
    const editor = eslintFor(root, { indexBudgetMs: Infinity });
    for (const [i, [text, alone]] of edits.entries()) {
      expect(await lintMessages(editor, root, HELPER, text), `edit ${i}`).toEqual(fresh[i]);
      expect(lastLintAnalysedAlone(), `edit ${i}`).toBe(alone);
    }
  });
});

describe("an editor's process: one tree per module", () => {
  it("gives the project's session the parses the file's own analysis made of what it imports (relint25)", async () => {
    const root = project();
    freshIndex();
    const editor = eslintFor(root, { indexBudgetMs: Infinity });
    const before = { ...poolWork };
    // A write through the parameter (its callers decide it) and one on the pool db.ts exports (decided here).
    const open = await lintMessages(editor, root, HELPER, helper(`${onParameter}${onPool}`));
    expect(lastLintAnalysedAlone()).toBe(true);
    expect(open).toHaveLength(2);
    // The file's own analysis parsed db.ts (the pool's module); the session's analysis of the project took that tree.
    expect(poolWork.shared - before.shared).toBeGreaterThanOrEqual(1);
  });
});

describe("an editor's re-lint: the project index's lookup", () => {
  it('walks the closure of the linted file again only when its imports change, and keys it as a fresh process', async () => {
    const root = project();
    freshIndex();
    const editor = eslintFor(root, { indexBudgetMs: Infinity });
    await lintMessages(editor, root, HELPER, helper(onParameter));
    // Edits that keep the imports: the closure is the one already walked, its key's text reused around the file's line.
    const walks = closureWalkCount();
    const kept = [`${helper(onParameter)}// edited\n`, helper(`  // a line\n${onParameter}`)];
    const answers: string[][] = [];
    for (const text of kept) answers.push(await lintMessages(editor, root, HELPER, text));
    expect(closureWalkCount()).toBe(walks);
    // An import more: walked again.
    const more = `import { nightly } from './jobs.js';\nvoid nightly;\n${helper(onParameter)}`;
    answers.push(await lintMessages(editor, root, HELPER, more));
    expect(closureWalkCount()).toBe(walks + 1);
    // What a fresh process stores and finds under its key (a stored verdict is answered, not analysed again).
    for (const [i, text] of [...kept, more].entries()) {
      freshIndex();
      const fresh = eslintFor(root, { indexBudgetMs: Infinity });
      expect(await lintMessages(fresh, root, HELPER, text), `edit ${i}`).toEqual(answers[i]);
    }
  });
});

describe("an editor's re-lint: the looks at the project", () => {
  it('makes a look that falls due after the lint, not within it, and the next lint answers from what it saw', async () => {
    const root = project();
    freshIndex();
    // The looks fall due on the wall clock (recheck.ts): moved on here instead of waiting.
    const now = performance.now.bind(performance);
    let ahead = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => now() + ahead);
    onTestFinished(() => void vi.restoreAllMocks());
    const editor = eslintFor(root, { indexBudgetMs: Infinity });
    const opened = indexChores();
    const before = await lintMessages(editor, root, HELPER, helper(onParameter));
    // The first looks (the project's files, the model's inputs) are made within the lint that needs them.
    expect(indexChores()).toMatchObject({ looks: opened.looks + 1, models: opened.models + 1 });
    expect(before).toEqual([expect.stringMatching(/^5 rls-guard\/no-unscoped-write .*src\/jobs\.ts:5/)]);
    // Another tool saves the caller: it now passes the executor of a scope helper (covered).
    fs.writeFileSync(path.join(root, 'src/tenancy.ts'), 'export async function inTenant(pool: unknown, fn: (tx: unknown) => ' +
      'Promise<void>): Promise<void> {}\n');
    touch(path.join(root, 'src/jobs.ts'), "import { recordAudit } from './audit-helper.js';\nimport { pool } from './db.js';\n" +
      "import { inTenant } from './tenancy.js';\n\nexport async function nightly(orgId: string): Promise<void> {\n" +
      '  await inTenant(pool, async (tx) => recordAudit(tx, orgId));\n}\n');
    ahead += 600_000;
    const due = indexChores();
    const edited = `${helper(onParameter)}// edited\n`;
    // Both looks are due: the lint answers from what the last ones saw, and looks after it.
    expect(await lintMessages(editor, root, HELPER, edited)).toEqual(before);
    expect(indexChores()).toMatchObject({ looks: due.looks, models: due.models });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(indexChores()).toMatchObject({ looks: due.looks + 1, models: due.models + 1 });
    // The next lint sees the save, as a fresh process does.
    const after = await lintMessages(editor, root, HELPER, edited);
    expect(after).toEqual([]);
    expect(indexChores()).toMatchObject({ looks: due.looks + 1, models: due.models + 1 });
    freshIndex();
    expect(await lintMessages(eslintFor(root, { indexBudgetMs: Infinity }), root, HELPER, edited)).toEqual(after);
  });
});

describe("an editor's re-lint: the index on disk", () => {
  it('is written once the edits pause, not every half second while they come', async () => {
    const root = project();
    freshIndex();
    const editor = eslintFor(root, { indexBudgetMs: Infinity });
    await lintMessages(editor, root, HELPER, helper(onParameter));
    await new Promise((resolve) => setTimeout(resolve, EDITOR_WRITE_PAUSE_MS + 500));
    const start = indexChores().writes;
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    // Edits 600 ms apart (each lint stores its text's verdict): no write while they come.
    for (let i = 0; i < 4; i++) {
      await lintMessages(editor, root, HELPER, `${helper(onParameter)}// edit ${i}\n`);
      await sleep(600);
    }
    expect(indexChores().writes).toBe(start);
    // Then one, once they have paused (bounded on a loaded machine).
    const until = Date.now() + 20_000;
    while (indexChores().writes === start && Date.now() < until) await sleep(100);
    expect(indexChores().writes).toBe(start + 1);
    // Nothing left to write; what it wrote answers a new process for the last text as the editor did.
    resetProjectIndexes();
    expect(indexChores().writes).toBe(start + 1);
    const loaded = await lintMessages(eslintFor(root, { indexBudgetMs: Infinity }), root, HELPER, `${helper(onParameter)}// edit 3\n`);
    expect(loaded).toEqual([expect.stringMatching(/^5 rls-guard\/no-unscoped-write .*src\/jobs\.ts:5/)]);
  });
});

describe("an editor's process over many edits of one file (relint26)", () => {
  it("lets ESLint's tree of each earlier text go, with writes through a parameter's field in the file", async () => {
    const root = project();
    freshIndex();
    // ESLint's TypeScript tree of each linted text (the plugin's parse of the file: lint-analysis.ts `tsSourceFile`),
    // caught by a rule of the test's own and counted when collected.
    let taken = 0;
    let collected = 0;
    const trees = new FinalizationRegistry<number>(() => collected++);
    const capture = {
      rules: {
        tree: {
          create(context: { sourceCode: { ast: object; parserServices?: { esTreeNodeToTSNodeMap?: WeakMap<object, object> } } }) {
            const sf = context.sourceCode.parserServices?.esTreeNodeToTSNodeMap?.get(context.sourceCode.ast);
            if (sf) trees.register(sf, taken++);
            return {};
          },
        },
      },
    };
    const editor = new ESLint({
      cwd: root,
      overrideConfigFile: true,
      overrideConfig: [
        plugin.configs.recommended,
        {
          languageOptions: { parser: tsParser },
          plugins: { capture },
          rules: { 'capture/tree': 'error' },
          settings: { 'rls-guard': { indexBudgetMs: Infinity } },
        },
      ] as ESLint.Options['overrideConfig'],
    });
    // A write through the parameter (its callers decide it: the project's session analyses each edit) and writes
    // through a parameter's field, plain and destructured (the handle resolver's field keys: src/code/carried.ts).
    const viaField =
      'export async function recordVia(opts: { client: Pool }, deps: { db: Pool }, orgId: string) {\n' +
      "  await opts.client.query('INSERT INTO audit_logs (org_id, action) VALUES ($1, $2)', [orgId, 'via']);\n" +
      '  const { db } = deps;\n' +
      "  await db.query('INSERT INTO audit_logs (org_id, action) VALUES ($1, $2)', [orgId, 'via']);\n}\n";
    const EDITS = 8;
    for (let k = 0; k <= EDITS; k++) {
      await lintMessages(editor, root, HELPER, `${helper(onParameter)}${viaField}// edit ${k}\n`);
      if (k > 0) expect(lastLintAnalysedAlone(), `edit ${k}`).toBe(false);
    }
    expect(taken).toBe(EDITS + 1);
    for (let i = 0; i < 50 && collected < EDITS; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // Every tree but the last lint's (ESLint's linter keeps its last parse) can be collected: before relint26 none was.
    expect(collected).toBe(EDITS);
  }, 120_000);
});

describe("an editor's re-lint of a seed file, whose writes the routes of other files decide (lint32)", () => {
  it('asks the project first at every edit after the open, not alone first at every other one', async () => {
    const root = project();
    // A seed's write no route of its own files reaches: its own analysis leaves it to the project (a route elsewhere
    // could make it app code), and the project's answer marks no site as cross-file. The data it imports makes the
    // program larger than an edit re-analyses, so the session is not worn within the edits (session.ts, WEAR).
    const SEED = 'src/seeds/demo.ts';
    fs.mkdirSync(path.join(root, 'src/seeds'));
    const rows = Array.from({ length: 120 }, (_, k) => `  { action: 'seeded-${k}' },\n`).join('');
    fs.writeFileSync(path.join(root, 'src/seeds/rows.ts'), `export const rows = [\n${rows}];\n`);
    const seed = (extra: string): string =>
      `import { pool } from '../db.js';\nimport { rows } from './rows.js';\n\n` +
      'export async function seedDemo(orgId: string): Promise<void> {\n' +
      `  for (const row of rows)\n    await pool.query('INSERT INTO audit_logs (org_id, action) VALUES ($1, $2)', ` +
      `[orgId, row.action]);\n${extra}}\n`;
    fs.writeFileSync(path.join(root, SEED), seed(''));
    const texts = [seed(''), seed('  // a\n'), seed('  // b\n'), seed('  // c\n'), seed('  // d\n')];
    freshIndex();
    const editor = eslintFor(root, { indexBudgetMs: Infinity });
    const answers: string[][] = [];
    for (const [i, text] of texts.entries()) {
      answers.push(await lintMessages(editor, root, SEED, text));
      // Only the open analyses the file on its own (before: every other edit did, and the project's query after it).
      expect(lastLintAnalysedAlone(), `edit ${i}`).toBe(i === 0);
    }
    for (const [i, text] of texts.entries()) {
      freshIndex();
      expect(await lintMessages(eslintFor(root, { indexBudgetMs: Infinity }), root, SEED, text), `edit ${i}`).toEqual(
        answers[i],
      );
    }
  });
});

describe("an editor's first edit after opening a file the index answered (lint32)", () => {
  it('finds the session made ready in the idle moment after the open, and analyses the edit once, in it', async () => {
    const root = project();
    freshIndex();
    const saved = helper(onParameter);
    // An earlier editor process analysed the file and wrote its verdicts to the index on disk.
    await lintMessages(eslintFor(root, { indexBudgetMs: 60_000 }), root, HELPER, saved);
    resetProjectIndexes();
    forgetProcessKind();
    const editor = eslintFor(root, { indexBudgetMs: 60_000 });
    const opened = await lintMessages(editor, root, HELPER, saved);
    expect(lastLintAnalysedAlone()).toBe(false); // a lookup
    // The idle moment after it (bounded on a loaded machine).
    const until = Date.now() + 20_000;
    await new Promise((resolve) => setTimeout(resolve, 0));
    while (preparationPending() && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
    const edited = `${saved}// edited\n`;
    const first = await lintMessages(editor, root, HELPER, edited);
    // Before: analysed alone first, then in a session built within the edit (every file its verdicts need).
    expect(lastLintAnalysedAlone()).toBe(false);
    // Only what the edit dropped (the file, and the caller whose facts read it) was analysed: the session was ready.
    expect(lastIndexWork()).toEqual({ analysed: 2, dropped: 2 });
    freshIndex();
    const fresh = eslintFor(root, { indexBudgetMs: Infinity });
    expect(opened).toEqual(await lintMessages(fresh, root, HELPER, saved));
    expect(first).toEqual(await lintMessages(fresh, root, HELPER, edited));
  });
});
