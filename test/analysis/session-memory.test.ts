import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveAnalysisConfig } from '../../src/analysis/config.js';
import { AnalysisSession } from '../../src/analysis/session.js';
import type { CoreResult } from '../../src/analysis/index.js';
import { FileSystemSourceHost } from '../../src/code/source-host.js';
import { loadConfig } from '../../src/config/load.js';
import { parseSource } from '../../src/files/source.js';
import { loadModel } from '../../src/schema/load.js';
import { WITH_ORG_SCOPE_TS } from '../support/scope-helper-text.js';

// An editor edits one file again and again: the analysis session (src/analysis/session.ts) replaces that file's parse
// at each edit, and what it held about the old parse must go with it (issue 13: an edit of a large route file left
// the process holding 10-12 MB more, every replaced parse kept by facts keyed by its nodes, the settling's facts of
// every lint and its reach of an AsyncLocalStorage's writes, and computations replaced by their own recomputation). After each edit the engine holds as many facts as
// after the one before, and every replaced parse can be collected.

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-session-memory-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const ROUTE = 'src/routes/orders.ts';
const insert = "'INSERT INTO items (org_id) VALUES ($1)', [req.body.orgId]";
/**
 * The route file at edit `k`: routes writing on the pool, in the tenant's scope, through a helper of another file and on
 * a connection read from an AsyncLocalStorage (settled over the roots that reach it).
 */
const route = (k: number): string =>
  "import { Router } from 'express';\nimport { pool } from '../db';\nimport { withOrg } from '../scope';\n" +
  "import { save } from '../helpers';\nimport { db } from '../context';\nexport const orders = Router();\n" +
  Array.from(
    { length: 8 },
    (_, i) =>
      `orders.post('/o${i}', async (req, res) => {\n  // edit ${k}\n  await pool.query(${insert});\n` +
      `  await withOrg(req.body.orgId, (c) => c.query(${insert}));\n  await save(pool, req.body.orgId);\n` +
      `  await db.query(${insert});\n` +
      '  res.sendStatus(201);\n});\n',
  ).join('');

const files = new Map<string, string>([
  ['package.json', '{"name":"session-memory","private":true}\n'],
  ['rls-guard.config.json', '{"migrations":["db/migrations"],"schemaSource":"static"}\n'],
  [
    'db/migrations/001.sql',
    'CREATE TABLE items (id bigserial PRIMARY KEY, org_id uuid NOT NULL);\nALTER TABLE items ENABLE ROW LEVEL SECURITY;\n' +
      "CREATE POLICY i ON items USING (org_id = current_setting('app.current_org_id', true)::uuid);\n",
  ],
  ['src/db.ts', "import { Pool } from 'pg';\nexport const pool = new Pool();\n"],
  [
    'src/scope.ts',
    WITH_ORG_SCOPE_TS,
  ],
  [
    'src/context.ts',
    "import { AsyncLocalStorage } from 'node:async_hooks';\nimport { Pool, type PoolClient } from 'pg';\n" +
      'export const pool = new Pool();\nexport const store = new AsyncLocalStorage<{ tx: PoolClient }>();\n' +
      'export const db = new Proxy(pool, {\n  get(target, prop) {\n    const active = store.getStore()?.tx ?? target;\n' +
      "    const value = Reflect.get(active, prop);\n    return typeof value === 'function' ? value.bind(active) : value;\n" +
      '  },\n});\n',
  ],
  [
    'src/helpers.ts',
    "import type { Pool, PoolClient } from 'pg';\nexport async function save(db: Pool | PoolClient, orgId: string) {\n" +
      "  await db.query('INSERT INTO items (org_id) VALUES ($1)', [orgId]);\n}\n",
  ],
  [ROUTE, route(0)],
  [
    'src/router.ts',
    "import { Router } from 'express';\nimport { orders } from './routes/orders';\n" +
      "export const router = Router();\nrouter.use('/api', orders);\n",
  ],
  [
    'src/server.ts',
    "import express from 'express';\nimport { router } from './router';\n" +
      'export const app = express();\napp.use(router);\nexport default app;\n',
  ],
]);
writeProject(dir, files);

const sha = (text: string): string => crypto.createHash('sha256').update(text).digest('hex');
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Writes a project's files under `root`. */
function writeProject(root: string, project: ReadonlyMap<string, string>): void {
  for (const [rel, text] of project) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
}

/**
 * Edits 0 to `edits` of the file `edited` (its text at each from `text`) analysed in one session over the project: the
 * result of each edit to `check`, then how many of the edited file's replaced parses could be collected (the registry's
 * callbacks come after a collection, in a later task).
 */
async function replacedParsesCollected(
  root: string,
  project: Map<string, string>,
  edited: string,
  text: (k: number) => string,
  edits: number,
  check: (k: number, session: AnalysisSession, result: CoreResult) => void,
): Promise<number> {
  const loaded = loadConfig({ start: root });
  const model = loadModel(root, loaded.config);
  const session = new AnalysisSession({
    root,
    host: new FileSystemSourceHost(),
    model,
    config: resolveAnalysisConfig(model, loaded.config),
    wholeProgram: true,
    track: () => true,
  });
  const sources = [...project.keys()].filter((f) => f.endsWith('.ts')).sort();
  let collected = 0;
  const parses = new FinalizationRegistry<number>(() => collected++);
  for (let k = 0; k <= edits; k++) {
    project.set(edited, text(k));
    const result = session.analyse({
      files: sources,
      current: (rel) => {
        const content = project.get(rel);
        if (content === undefined) return undefined;
        return {
          hash: sha(content),
          sf: () => {
            const sf = parseSource(path.join(root, rel), content);
            if (rel === edited) parses.register(sf, k);
            return sf;
          },
        };
      },
    })!;
    check(k, session, result);
  }
  for (let i = 0; i < 50 && collected < edits; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return collected;
}

describe("the analysis session's memory over edits of one file", () => {
  it('holds as many facts after each edit, and lets every replaced parse be collected', async () => {
    const held: number[] = [];
    const EDITS = 12;
    const collected = await replacedParsesCollected(dir, files, ROUTE, route, EDITS, (k, session, result) => {
      expect(session.lastReparsed).toEqual(k ? [ROUTE] : []);
      expect(result.sites.filter((s) => s.file === ROUTE)).toHaveLength(24);
      held.push(session.heldFacts);
    });
    // The same text shape at every edit: as many facts held after the last as after the first edit.
    expect(held.slice(2)).toEqual(held.slice(2).map(() => held[1]));
    // Every parse of the route file but the current one can be collected.
    expect(collected).toBe(EDITS);
  }, 120_000);

  // relint26 (issue 13): an edit of signacare's route file left the editor's process holding every earlier parse of it
  // (6 MB an edit). The retainer was the handle resolver's field keys (src/code/carried.ts `FieldKeys`): one key node
  // per (parameter, field path) a connection is read through (`opts.pool.query(…)`, `const { db } = deps`), kept in a
  // map keyed by the parameter for the session's life, so every replaced parse of a file whose functions read a
  // parameter's field stayed reachable from it.
  it('lets every replaced parse go when its writes run on a field of a parameter', async () => {
    const root = path.join(dir, 'field-keys');
    const write = "'INSERT INTO items (org_id) VALUES ($1)', [orgId]";
    const fieldRoute = (k: number): string =>
      "import { Router } from 'express';\nimport type { Pool } from 'pg';\nimport { pool } from '../db';\n" +
      `// edit ${k}\n` +
      'export async function viaField(opts: { pool: Pool }, orgId: string) {\n' +
      `  await opts.pool.query(${write});\n}\n` +
      'export async function viaDestructured(deps: { db: Pool; audit: { pool: Pool } }, orgId: string) {\n' +
      '  const { db } = deps;\n' +
      `  await db.query(${write});\n  await deps.audit.pool.query(${write});\n}\n` +
      'export const orders = Router();\n' +
      "orders.post('/o', async (req, res) => {\n" +
      '  await viaField({ pool }, req.body.orgId);\n' +
      '  await viaDestructured({ db: pool, audit: { pool } }, req.body.orgId);\n' +
      '  res.sendStatus(201);\n});\n';
    const project = new Map<string, string>(
      ['package.json', 'rls-guard.config.json', 'db/migrations/001.sql', 'src/db.ts'].map((rel) => [rel, files.get(rel)!]),
    );
    project.set(ROUTE, fieldRoute(0));
    project.set(
      'src/server.ts',
      "import express from 'express';\nimport { orders } from './routes/orders';\n" +
        "export const app = express();\napp.use('/api', orders);\n",
    );
    writeProject(root, project);
    const EDITS = 10;
    const collected = await replacedParsesCollected(root, project, ROUTE, fieldRoute, EDITS, (k, session, result) => {
      expect(session.lastReparsed).toEqual(k ? [ROUTE] : []);
      // The three writes through parameters' fields, each judged at its caller: the pool, outside any scope.
      expect(result.sites.filter((s) => s.file === ROUTE).map((s) => s.coverage)).toEqual([
        'unscoped',
        'unscoped',
        'unscoped',
      ]);
    });
    // Before relint26 none was.
    expect(collected).toBe(EDITS);
  }, 120_000);
});
