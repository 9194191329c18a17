import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveAnalysisConfig } from '../../src/analysis/config.js';
import { AnalysisSession } from '../../src/analysis/session.js';
import { FileSystemSourceHost } from '../../src/code/source-host.js';
import { loadConfig } from '../../src/config/load.js';
import { parseSource } from '../../src/files/source.js';
import { loadModel } from '../../src/schema/load.js';

// relint26 (issue 13): an edit of signacare's route file left the editor's process holding every earlier parse of it
// (5.3 MB an edit). The retainer was the handle resolver's field keys (src/code/carried.ts `FieldKeys`): one key node per
// (parameter, field path) that a connection is read through (`opts.pool.query(…)`, `const { pool } = deps`), kept in a
// map keyed by the parameter, for the session's life. Every replaced parse of a file whose functions read a parameter's
// field stayed reachable from it. Counted without timing: a FinalizationRegistry on each parse of the edited file.

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-field-keys-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const ROUTE = 'src/routes/orders.ts';
const insert = "'INSERT INTO items (org_id) VALUES ($1)'";
/** The route file at edit `k`: writes through a field of a parameter, plain and destructured, and routes calling them. */
const route = (k: number): string =>
  "import { Router } from 'express';\nimport type { Pool } from 'pg';\nimport { pool } from '../db';\n" +
  `// edit ${k}\n` +
  'export async function viaField(opts: { pool: Pool }, orgId: string) {\n' +
  `  await opts.pool.query(${insert}, [orgId]);\n}\n` +
  'export async function viaDestructured(deps: { db: Pool; audit: { pool: Pool } }, orgId: string) {\n' +
  '  const { db } = deps;\n' +
  `  await db.query(${insert}, [orgId]);\n  await deps.audit.pool.query(${insert}, [orgId]);\n}\n` +
  'export const orders = Router();\n' +
  "orders.post('/o', async (req, res) => {\n" +
  '  await viaField({ pool }, req.body.orgId);\n' +
  '  await viaDestructured({ db: pool, audit: { pool } }, req.body.orgId);\n' +
  '  res.sendStatus(201);\n});\n';

const files = new Map<string, string>([
  ['package.json', '{"name":"field-keys","private":true}\n'],
  ['rls-guard.config.json', '{"migrations":["db/migrations"],"schemaSource":"static"}\n'],
  [
    'db/migrations/001.sql',
    'CREATE TABLE items (id bigserial PRIMARY KEY, org_id uuid NOT NULL);\nALTER TABLE items ENABLE ROW LEVEL SECURITY;\n' +
      "CREATE POLICY i ON items USING (org_id = current_setting('app.current_org_id', true)::uuid);\n",
  ],
  ['src/db.ts', "import { Pool } from 'pg';\nexport const pool = new Pool();\n"],
  [ROUTE, route(0)],
  [
    'src/server.ts',
    "import express from 'express';\nimport { orders } from './routes/orders';\n" +
      "export const app = express();\napp.use('/api', orders);\n",
  ],
]);
for (const [rel, text] of files) {
  fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  fs.writeFileSync(path.join(dir, rel), text);
}

const sha = (text: string): string => crypto.createHash('sha256').update(text).digest('hex');
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

describe("the analysis session's parses of a file whose writes run on a parameter's field", () => {
  it('lets every replaced parse be collected', async () => {
    const loaded = loadConfig({ start: dir });
    const model = loadModel(dir, loaded.config);
    const session = new AnalysisSession({
      root: dir,
      host: new FileSystemSourceHost(),
      model,
      config: resolveAnalysisConfig(model, loaded.config),
      wholeProgram: true,
      track: () => true,
    });
    const sources = [...files.keys()].filter((f) => f.endsWith('.ts')).sort();
    let collected = 0;
    const parses = new FinalizationRegistry<number>(() => collected++);
    const EDITS = 10;
    for (let k = 0; k <= EDITS; k++) {
      files.set(ROUTE, route(k));
      const result = session.analyse({
        files: sources,
        current: (rel) => {
          const text = files.get(rel);
          if (text === undefined) return undefined;
          return {
            hash: sha(text),
            sf: () => {
              const sf = parseSource(path.join(dir, rel), text);
              if (rel === ROUTE) parses.register(sf, k);
              return sf;
            },
          };
        },
      })!;
      expect(session.lastReparsed).toEqual(k ? [ROUTE] : []);
      // The three writes through parameters' fields, each judged at its caller: unscoped (the pool, outside any scope).
      const sites = result.sites.filter((s) => s.file === ROUTE);
      expect(sites.map((s) => s.coverage)).toEqual(['unscoped', 'unscoped', 'unscoped']);
    }
    for (let i = 0; i < 50 && collected < EDITS; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(collected).toBe(EDITS);
  }, 120_000);
});
