import fs from 'node:fs';
import path from 'node:path';
import type ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { analyseFile, analyze, conclude, coreContext, type CoreInput } from '../../src/analysis/index.js';
import { resolveAnalysisConfig } from '../../src/analysis/config.js';
import { valueLinkWork } from '../../src/analysis/value-links.js';
import { FileSystemSourceHost } from '../../src/code/source-host.js';
import { loadConfig } from '../../src/config/load.js';
import { parseSource } from '../../src/files/source.js';
import { loadModel } from '../../src/schema/load.js';
import { SCHEMA, writeProject } from '../support/project.js';

// Settlement over per-file data (docs/performance.md, link24): what the whole-program passes after the flows need of
// each file is taken once, by its index walk or at the end of its flow, and those passes read that data, not the
// trees. The three top-level scans (contract subtypes, functions by declared type, Next.js 'use server') read no
// file's statement list; the call graph's value-call linking denotes again only the calls whose denotation follows a
// parameter to its function's callers (the rest were denoted at the end of their file's flow); the entry points' scan
// goes through the calls each file's flow took as ones that may register something.

const FILES: Record<string, string> = {
  'db/migrations/001_schema.sql': SCHEMA,
  'src/db.ts': "import { Pool } from 'pg';\nexport const pool = new Pool();\n",
  'src/store.ts':
    "import type { Pool } from 'pg';\n" +
    'export interface Store { put(db: Pool, id: string): Promise<void> }\n' +
    'export class PgStore implements Store {\n' +
    "  async put(db: Pool, id: string): Promise<void> { await db.query('INSERT INTO projects (id) VALUES ($1)', [id]); }\n" +
    '}\n',
  'src/service.ts':
    "import type { Store } from './store';\nimport { pool } from './db';\n" +
    'export class Service {\n  constructor(private readonly store: Store) {}\n' +
    '  async save(id: string): Promise<void> { await this.store.put(pool, id); }\n}\n',
  'src/appliers.ts':
    "import type { Pool } from 'pg';\nimport { pool } from './db';\n" +
    'type Applier = (db: Pool, id: string) => Promise<void>;\n' +
    "export const noteCreated: Applier = async (db, id) => { await db.query('INSERT INTO audit_logs (action) VALUES ($1)', [id]); };\n" +
    'export const appliers: Record<string, Applier> = { created: noteCreated };\n' +
    'export async function apply(op: string, id: string): Promise<void> { await (appliers[op] as Applier)(pool, id); }\n',
  'src/deps.ts':
    "import type { Pool } from 'pg';\nimport { pool } from './db';\n" +
    "const deps = { save: async (db: Pool, id: string) => { await db.query('UPDATE projects SET name = $1', [id]); } };\n" +
    'export async function run(id: string): Promise<void> { await deps.save(pool, id); }\n' +
    'type Save = (db: Pool, id: string) => Promise<void>;\n' +
    'export async function go(d: { save: Save }, id: string): Promise<void> { await d.save(pool, id); }\n' +
    "export const started = go({ save: async (db, id) => { await db.query('DELETE FROM projects WHERE id = $1', [id]); } }, 'x');\n",
  'src/actions.ts':
    "'use server';\nimport { pool } from './db';\n" +
    "export async function act(id: string): Promise<void> { await pool.query('DELETE FROM audit_logs WHERE action = $1', [id]); }\n",
  'src/server.ts':
    "import express from 'express';\nimport { run } from './deps';\nimport { apply } from './appliers';\n" +
    'export const app = express();\n' +
    "app.post('/run', async (req, res) => { await run(String(req.body.id)); await apply('created', 'x'); res.end(); });\n" +
    "setInterval(() => void run('tick'), 1000);\napp.listen(3000);\n",
};

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function project(): { input: CoreInput; byName: (rel: string) => ts.SourceFile } {
  const dir = writeProject(FILES);
  dirs.push(dir);
  const loaded = loadConfig({ start: dir });
  const model = loadModel(dir, loaded.config);
  const config = resolveAnalysisConfig(model, loaded.config);
  const files = Object.keys(FILES)
    .filter((f) => f.endsWith('.ts'))
    .map((rel) => parseSource(path.join(dir, rel), FILES[rel]!));
  const input: CoreInput = { root: dir, files, host: new FileSystemSourceHost(files), model, config, wholeProgram: true };
  return { input, byName: (rel) => files.find((sf) => sf.fileName === path.join(dir, rel))! };
}

/** Counts each file's reads of its statement list from now on (the getter the mem23 probe installed). */
function countStatementReads(files: readonly ts.SourceFile[]): Map<string, number> {
  const reads = new Map<string, number>();
  for (const sf of files) {
    const value = sf.statements;
    Object.defineProperty(sf, 'statements', {
      get: () => (reads.set(path.basename(sf.fileName), (reads.get(path.basename(sf.fileName)) ?? 0) + 1), value),
      configurable: true,
    });
  }
  return reads;
}

describe('settlement over per-file data', () => {
  it('after the flows, reads the statement lists of written files only, and denotes only open value calls again', () => {
    const { input, byName } = project();
    const ctx = coreContext(input);
    const before = { ...valueLinkWork };
    const analysed = input.files.map((sf) => analyseFile(sf, input, ctx));
    const taken = { closed: valueLinkWork.closed - before.closed, open: valueLinkWork.open - before.open };
    // (appliers[op] as Applier)(pool, …) is denoted in its file's flow; d.save(pool, …) follows `d` to go's callers,
    // this.store.put(pool, …) the constructor's `store` to `new Service(…)`: the linking's. `String(req.body.id)`, which
    // can link nothing, is no value call (cpu26: its argument's handle is not asked).
    expect(taken).toEqual({ closed: 1, open: 2 });
    const reads = countStatementReads(input.files);
    const result = conclude(input, ctx, analysed);
    expect(valueLinkWork.linkedLater - before.linkedLater).toBe(2);
    // The settlement proper reads the files whose writes wait for callers (whether the writing function is exported);
    // nothing reads a file without a write: the routes, the service's contract call, the pool, before read each time.
    const written = new Set(result.sites.map((site) => path.basename(site.file)));
    expect([...reads.keys()].filter((f) => !written.has(f))).toEqual([]);
    expect(reads.size).toBeLessThan(input.files.length - 3);
    // The entry points' scan went through the calls the flows took: the route and the timer, not `pool.query(…)`.
    const calls = (rel: string): string[] =>
      (analysed.find((a) => a.sf === byName(rel))!.facts!.registrationCalls ?? []).map((c) =>
        c.expression.getText().slice(0, 12),
      );
    expect(calls('src/server.ts')).toEqual(['app.post', 'setInterval']);
    expect(calls('src/deps.ts')).toEqual([]);
    // The same verdicts as an analysis of fresh parses, every value and typed edge found.
    const fresh = analyze(project().input);
    const brief = (r: typeof result): string[] =>
      r.sites.map((s) => `${s.file}:${s.line} ${s.coverage} ${s.callPath.join(' < ')}`).sort();
    expect(brief(result)).toEqual(brief(fresh));
    // Each write reached through the edge its linking made: typed, value (closed and open) and contract.
    expect(brief(result)).toEqual([
      'src/actions.ts:3 unscoped ',
      'src/appliers.ts:4 unscoped src/appliers.ts:6 (appliers[op] as Applier)(pool, id)',
      'src/deps.ts:3 unscoped src/deps.ts:4 deps.save(pool, id)',
      'src/deps.ts:7 unscoped src/deps.ts:6 d.save(pool, id)',
      'src/store.ts:4 unscoped src/service.ts:5 this.store.put(pool, id)',
    ]);
  });
});
