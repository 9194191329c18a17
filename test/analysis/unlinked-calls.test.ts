import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { analyseFile, conclude, coreContext, type CoreInput } from '../../src/analysis/index.js';
import { resolveAnalysisConfig } from '../../src/analysis/config.js';
import { valueLinkWork } from '../../src/analysis/value-links.js';
import { FileSystemSourceHost } from '../../src/code/source-host.js';
import { loadConfig } from '../../src/config/load.js';
import { parseSource } from '../../src/files/source.js';
import { loadModel } from '../../src/schema/load.js';
import { SCHEMA, writeProject } from '../support/project.js';

// Calls no edge can come of (docs/performance.md, cpu26): a callee that denotes no function of the codebase (asking no
// function's callers) and is declared with no function type of the codebase gives the call graph no edge, whatever it
// is passed, so the flow does not ask its arguments' handles. Calls that may link still ask them: a function of the
// codebase, a parameter called, a callee declared with a function type, a member that denotes a codebase function, a
// contract's method, a member of a parameter (its denotation asks the callers).

const FILES: Record<string, string> = {
  'db/migrations/001_schema.sql': SCHEMA,
  'src/db.ts': "import { Pool } from 'pg';\nexport const pool = new Pool();\n",
  'src/store.ts':
    "import type { Pool } from 'pg';\n" +
    'export interface Store { put(db: Pool, id: string): Promise<void> }\n' +
    'export class PgStore implements Store {\n' +
    "  async put(db: Pool, id: string): Promise<void> { await db.query('INSERT INTO projects (id) VALUES ($1)', [id]); }\n" +
    '}\n',
  'src/handler.ts':
    "import { z } from 'zod';\nimport pino from 'pino';\nimport type { Pool } from 'pg';\n" +
    "import { pool } from './db';\nimport type { Store } from './store';\n" +
    'const log = pino();\nconst schema = z.object({});\n' +
    'type Save = (db: Pool, id: string) => Promise<void>;\n' +
    "async function write(db: Pool, id: string): Promise<void> { await db.query('DELETE FROM projects WHERE id = $1', [id]); }\n" +
    "const local = { save: async (db: Pool, id: string) => { await db.query('UPDATE projects SET name = $1', [id]); } };\n" +
    'const savers: Record<string, Save> = {};\n' +
    'export async function handle(body: unknown, save: Save, store: Store, deps: { run: Save }, op: string): Promise<void> {\n' +
    // Cut: a global's member, a package's value's member, a global function, a package's member, an unknown value.
    '  const text = JSON.stringify(body, null, 2);\n' +
    "  log.info({ pool, text }, 'saving');\n" +
    '  setTimeout(() => undefined, 10);\n' +
    '  schema.parse(body);\n' +
    '  Promise.resolve(pool);\n' +
    // Kept: a function of the codebase, a parameter, a function type, a literal's member, a contract, a parameter's member.
    "  await write(pool, 'a');\n" +
    "  await save(pool, 'b');\n" +
    "  await (savers[op] as Save)(pool, 'c');\n" +
    "  await local.save(pool, 'd');\n" +
    "  await store.put(pool, 'e');\n" +
    "  await deps.run(pool, 'f');\n" +
    '}\n',
};

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function callsIn(sf: ts.SourceFile): ts.CallExpression[] {
  const out: ts.CallExpression[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n)) out.push(n);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

describe('calls no edge can come of', () => {
  it("are not asked their arguments' handles; calls that may link still are, and the verdicts stay", () => {
    const dir = writeProject(FILES);
    dirs.push(dir);
    const loaded = loadConfig({ start: dir });
    const model = loadModel(dir, loaded.config);
    const config = resolveAnalysisConfig(model, loaded.config);
    const files = Object.keys(FILES)
      .filter((f) => f.endsWith('.ts'))
      .map((rel) => parseSource(path.join(dir, rel), FILES[rel]!));
    const host = new FileSystemSourceHost(files);
    const input: CoreInput = { root: dir, files, host, model, config, wholeProgram: true };
    const ctx = coreContext(input);
    const asked = new Set<ts.Node>();
    const of = ctx.handles.of.bind(ctx.handles);
    ctx.handles.of = (e) => (asked.add(e), of(e));
    const before = { ...valueLinkWork };
    const analysed = input.files.map((sf) => analyseFile(sf, input, ctx));
    const handler = files.find((sf) => sf.fileName.endsWith('handler.ts'))!;
    const inHandle = callsIn(handler).filter((c) => /^ {2}(const text = |await )?\S/.test(lineOf(handler, c)));
    const argsAsked = (callee: string): boolean[] => {
      const call = inHandle.find((c) => c.expression.getText() === callee);
      if (!call) throw new Error(`no call of ${callee}`);
      return call.arguments.map((a) => asked.has(a));
    };
    for (const callee of ['JSON.stringify', 'log.info', 'setTimeout', 'schema.parse', 'Promise.resolve'])
      expect([callee, argsAsked(callee)]).toEqual([callee, argsAsked(callee).map(() => false)]);
    for (const callee of ['write', 'save', '(savers[op] as Save)', 'local.save', 'store.put', 'deps.run'])
      expect([callee, argsAsked(callee)]).toEqual([callee, [true, true]]);
    expect(valueLinkWork.unlinked - before.unlinked).toBeGreaterThanOrEqual(5);
    const result = conclude(input, ctx, analysed);
    const sites = result.sites.map((s) => `${path.basename(s.file)}:${s.line} ${s.callPath.join(' < ')}`).sort();
    expect(sites).toEqual([
      "handler.ts:10 src/handler.ts:21 local.save(pool, 'd')",
      "handler.ts:9 src/handler.ts:18 write(pool, 'a')",
      "store.ts:4 src/handler.ts:22 store.put(pool, 'e')",
    ]);
  });
});

function lineOf(sf: ts.SourceFile, node: ts.Node): string {
  const { line } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
  return sf.text.split('\n')[line]!;
}
