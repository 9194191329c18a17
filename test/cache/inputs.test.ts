import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { fromJson, InputCache, toJson } from '../../src/cache/inputs.js';
import { drizzleRlsTables } from '../../src/schema/drizzle.js';
import { auditSync } from '../../src/walker/audit.js';
import { untimed } from '../support/fixture-apps.js';
import { initialState, writeApp } from './small-app.js';
import { age, auditWithCache, temporaryFolders } from '../support/aged-tree.js';

// What the cache keeps besides per-file results (src/cache/inputs.ts): the RLS model by the
// content of its inputs, the deployment files' scans by content, and file contents known
// from their stat. None of it may change a verdict: audit cold, edit one input of one kind,
// audit warm, and compare with a cold audit of the edited tree. The files are dated in the
// past first, as a checkout is, so the stat pre-check is what decides (a file modified in
// the last seconds is always read again), and each edit dates its file anew.

const temp = temporaryFolders();

/** Edits a file and dates it in the past too (older than the racy window, unlike what it was). */
function edit(dir: string, file: string, change: (text: string) => string): void {
  const abs = path.join(dir, file);
  fs.writeFileSync(abs, change(fs.readFileSync(abs, 'utf8')));
  const when = new Date(Date.now() - 1800 * 1000);
  fs.utimesSync(abs, when, when);
}

const audit = auditWithCache;

/** Cold with the cache, then warm: the warm run reads no input file (their stats are unchanged) and reports the same. */
function warmedUp(dir: string): { cache: string; cold: ReturnType<typeof auditSync> } {
  age(dir);
  const cache = temp('rls-guard-inputs-cache-');
  const cold = audit(dir, cache);
  expect(cold.stats?.inputsRead).toBeGreaterThan(0);
  expect(cold.stats?.sourcesRead).toBeGreaterThan(0);
  const warm = audit(dir, cache);
  expect(warm.stats).toMatchObject({ inputsRead: 0, sourcesRead: 0, foldersRead: 0, analysed: 0 });
  expect(untimed(warm.report)).toBe(untimed(cold.report));
  return { cache, cold: cold.report };
}

/** After an edit: the warm audit equals a cold audit without the cache, and read the edited input again. */
function expectSameAsCold(dir: string, cache: string): ReturnType<typeof auditSync> {
  const warm = audit(dir, cache);
  const cold = audit(dir);
  expect(untimed(warm.report)).toBe(untimed(cold.report));
  expect(warm.stats?.inputsRead).toBeGreaterThan(0);
  return cold.report;
}

const verdictOf = (report: ReturnType<typeof auditSync>, file: string): string | undefined =>
  report.writeSites.find((s) => s.file === file)?.coverage;

describe('the cached model and deployment scans never change a verdict', () => {
  it('a migration changed (read again by its stat, the model recomputed)', () => {
    const dir = temp('rls-guard-inputs-app-');
    writeApp(dir, initialState());
    const { cache, cold } = warmedUp(dir);
    expect(verdictOf(cold, 'src/helpers/save2.ts')).toBe('not-gated');
    edit(dir, 'db/migrations/001_schema.sql', (t) => t + 'ALTER TABLE notes ENABLE ROW LEVEL SECURITY;\n');
    expect(verdictOf(expectSameAsCold(dir, cache), 'src/helpers/save2.ts')).toBe('unscoped');
  });

  it('a source file changed: only it is read again (by its stat), and it is analysed as a cold run would', () => {
    const dir = temp('rls-guard-inputs-app-');
    writeApp(dir, initialState());
    const { cache, cold } = warmedUp(dir);
    expect(verdictOf(cold, 'src/routes/direct.ts')).toBe('unscoped');
    // The same size: only the modification time tells the stat pre-check.
    edit(dir, 'src/routes/direct.ts', (t) => t.replace('function audit(', 'function audiT('));
    edit(dir, 'src/sql.ts', (t) => t.replace("'INSERT INTO logs", "'INSERT INTO notes"));
    const warm = audit(dir, cache);
    expect(untimed(warm.report)).toBe(untimed(audit(dir).report));
    expect(warm.stats).toMatchObject({ sourcesRead: 2 });
    expect(verdictOf(warm.report, 'src/routes/direct.ts')).toBe('not-gated');
  });

  it('a source file modified within the racy window is read on every run, never trusted by its stat', () => {
    const dir = temp('rls-guard-inputs-app-');
    writeApp(dir, initialState());
    const { cache } = warmedUp(dir);
    // Written now: a second edit in the same clock tick could keep its size and time.
    fs.appendFileSync(path.join(dir, 'src/db.ts'), '// touched\n');
    expect(audit(dir, cache).stats).toMatchObject({ sourcesRead: 1 });
    expect(audit(dir, cache).stats).toMatchObject({ sourcesRead: 1 });
  });

  it('a source file over maxFileBytes is refused by its size, whatever its recorded stat says', () => {
    const dir = temp('rls-guard-inputs-app-');
    writeApp(dir, initialState());
    const { cache } = warmedUp(dir);
    edit(dir, 'rls-guard.config.json', () => '{"migrations":["db/migrations"],"maxFileBytes":100}\n');
    const warm = audit(dir, cache);
    expect(untimed(warm.report)).toBe(untimed(audit(dir).report));
    expect(warm.report.incomplete.some((i) => i.file === 'src/scope.ts' && /maxFileBytes/.test(i.reason))).toBe(true);
  });

  it('the config changed (the model and every result are keyed by it)', () => {
    const dir = temp('rls-guard-inputs-app-');
    writeApp(dir, initialState());
    const { cache, cold } = warmedUp(dir);
    expect(verdictOf(cold, 'src/helpers/save2.ts')).toBe('not-gated');
    edit(dir, 'rls-guard.config.json', () => '{"migrations":["db/migrations"],"gatedTables":{"add":["notes"]}}\n');
    const warm = audit(dir, cache);
    expect(untimed(warm.report)).toBe(untimed(audit(dir).report));
    expect(verdictOf(warm.report, 'src/helpers/save2.ts')).toBe('unscoped');
  });

  it("a constant a code migration imports changed (a file the model read that is not a migration)", () => {
    const dir = temp('rls-guard-inputs-app-');
    writeApp(dir, initialState());
    fs.writeFileSync(path.join(dir, 'db/tables.ts'), "export const LATE = 'logs';\n");
    fs.writeFileSync(
      path.join(dir, 'db/migrations/002_late.ts'),
      "import type { Knex } from 'knex';\nimport { LATE } from '../tables';\n" +
        'export async function up(knex: Knex): Promise<void> {\n' +
        "  await knex.raw(`ALTER TABLE ${LATE} ENABLE ROW LEVEL SECURITY`);\n" +
        "  await knex.raw(`CREATE POLICY late ON ${LATE} USING (org_id = current_setting('app.current_org_id', true)::uuid)`);\n}\n",
    );
    const { cache, cold } = warmedUp(dir);
    expect(verdictOf(cold, 'src/helpers/save2.ts')).toBe('not-gated');
    edit(dir, 'db/tables.ts', () => "export const LATE = 'notes';\n");
    expect(verdictOf(expectSameAsCold(dir, cache), 'src/helpers/save2.ts')).toBe('unscoped');
  });

  it('a deployment file changed (its scan read again by its stat, the others kept)', () => {
    const dir = temp('rls-guard-inputs-deploy-');
    fs.cpSync(path.resolve(import.meta.dirname, '../../fixtures/deploy'), dir, { recursive: true });
    const { cache, cold } = warmedUp(dir);
    const at = (r: ReturnType<typeof auditSync>): string[] =>
      r.findings.filter((f) => f.file === '.env.workers').map((f) => `${f.line}:${f.ruleId}`);
    expect(at(cold)).not.toEqual([]);
    // The offending lines become comments: the file's findings go, its line count stays.
    edit(dir, '.env.workers', (t) => t.replace(/^(?!#)(\S)/gm, '# $1'));
    const after = expectSameAsCold(dir, cache);
    expect(at(after)).toEqual([]);
    expect(after.findings.length).toBeLessThan(cold.findings.length);
  });
});

describe('the packs, remembered by the content of their files', () => {
  it("a pack edited (the config unchanged): deployment files' and sources' findings follow it", () => {
    const dir = temp('rls-guard-inputs-deploy-');
    fs.cpSync(path.resolve(import.meta.dirname, '../../fixtures/deploy'), dir, { recursive: true });
    const { cache, cold } = warmedUp(dir);
    const named = (r: ReturnType<typeof auditSync>, file: string): string[] =>
      r.findings.filter((f) => f.file === file && /ACME_LEGACY_TOKEN|legacyConnect/.test(f.message)).map((f) => `${f.line}:${f.ruleId}`);
    expect(named(cold, '.env')).not.toEqual([]);
    expect(named(cold, 'src/app.ts')).not.toEqual([]);
    // The pack now names other things: neither file is flagged, though neither changed.
    edit(dir, 'packs/acme-legacy.json', (t) => t.replace('"ACME_LEGACY_TOKEN"', '"ACME_OTHER_TOKEN"').replace('"legacyConnect"', '"otherConnect"'));
    const warm = audit(dir, cache);
    expect(untimed(warm.report)).toBe(untimed(audit(dir).report));
    expect(named(warm.report, '.env')).toEqual([]);
    expect(named(warm.report, 'src/app.ts')).toEqual([]);
  });

  it('a pack file edited to be invalid is refused by the warm run as by a cold one', () => {
    const dir = temp('rls-guard-inputs-app-');
    writeApp(dir, initialState());
    const builtin = JSON.parse(
      fs.readFileSync(path.resolve(import.meta.dirname, '../../rules/packs/flowx-5.5.json'), 'utf8'),
    ) as { id: string; $schema?: string };
    delete builtin.$schema;
    fs.writeFileSync(path.join(dir, 'my-pack.json'), JSON.stringify({ ...builtin, id: 'my-pack' }));
    fs.writeFileSync(path.join(dir, 'rls-guard.config.json'), '{"migrations":["db/migrations"],"packs":["my-pack.json"]}\n');
    const { cache } = warmedUp(dir);
    edit(dir, 'my-pack.json', (t) => t.replace('"entries":[{', '"entries":[{"severity":"error",'));
    expect(() => audit(dir)).toThrow(/not a valid rls-guard pack/);
    expect(() => audit(dir, cache)).toThrow(/not a valid rls-guard pack/);
  });
});

describe('the JSON the input cache stores', () => {
  it('gives back Maps and Sets at any depth, and keys named like them or __proto__ as plain keys', () => {
    const value = {
      tables: new Map<string, unknown>([
        ['items', { policies: new Set(['p1', 'p2']), columns: new Map([['org_id', { type: 'uuid' }]]) }],
        ['notes', { policies: new Set<string>(), columns: new Map() }],
      ]),
      list: [new Map([[1, new Set([2])]]), null, 'text', 3],
      ['<map>']: 'a key named like the tag, among others',
      nested: JSON.parse('{"__proto__": {"polluted": true}}') as unknown,
    };
    const back = fromJson(toJson(value)) as typeof value;
    expect(back).toEqual(value);
    expect(back.tables.get('items')).toMatchObject({ policies: new Set(['p1', 'p2']) });
    expect(back.list[0]).toBeInstanceOf(Map);
    expect(Object.getPrototypeOf(back.nested)).toBe(Object.prototype);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });
});

describe('the Drizzle scan, kept whole and per file', () => {
  const schema =
    "import { pgTable, uuid } from 'drizzle-orm/pg-core';\n" +
    "export const bills = pgTable('bills', { id: uuid('id').primaryKey() }).enableRLS();\n";
  const write = (dir: string, files: Record<string, string>): void => {
    for (const [f, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      fs.writeFileSync(path.join(dir, f), text);
    }
  };
  /** The scan through a fresh InputCache (one per run, as an audit makes), the files it read for their text. */
  const scan = (dir: string, cache: string): { tables: string[]; read: string[] } => {
    const inputs = new InputCache(cache, dir);
    const spy = vi.spyOn(fs, 'readFileSync');
    try {
      const tables = drizzleRlsTables(dir, [], inputs).map((t) => `${t.table}@${t.at.file}:${t.at.line}`);
      const paths = spy.mock.calls.map((c) => String(c[0])).filter((f) => f.startsWith(dir));
      const read = [...new Set(paths.map((f) => path.relative(dir, f)))];
      inputs.save();
      return { tables, read };
    } finally {
      spy.mockRestore();
    }
  };

  it('a warm run reads no source; after an edit only the edited file is scanned, and the tables are a cold scan\'s', () => {
    const dir = temp('rls-guard-drizzle-app-');
    write(dir, { 'src/db/schema.ts': schema, 'src/other.ts': 'export const x = 1;\n' });
    age(dir);
    const cache = temp('rls-guard-drizzle-cache-');
    const cold = scan(dir, cache);
    expect(cold.tables).toEqual(['public.bills@src/db/schema.ts:2']);
    expect(cold.read.sort()).toEqual(['src/db/schema.ts', 'src/other.ts']);
    // Twice: the entries per file, unread on the first warm run, are still there for the edit below.
    expect(scan(dir, cache)).toEqual({ tables: cold.tables, read: [] });
    expect(scan(dir, cache)).toEqual({ tables: cold.tables, read: [] });
    edit(dir, 'src/other.ts', (t) => t + "import { pgTable } from 'drizzle-orm/pg-core';\nexport const t = pgTable('t', {}).enableRLS();\n");
    const after = scan(dir, cache);
    expect(after.read).toEqual(['src/other.ts']);
    expect(after.tables).toEqual(drizzleRlsTables(dir, []).map((t) => `${t.table}@${t.at.file}:${t.at.line}`));
    expect(after.tables).toHaveLength(2);
  });
});
