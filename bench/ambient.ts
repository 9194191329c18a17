// The ambient workload for `npm run bench`: an Express app whose writes go through a `db`
// Proxy over an AsyncLocalStorage, with `routes` handlers behind a middleware that enters the
// store, a chain of shared helpers, and jobs reaching the same helpers with no store entered.
// Every write is settled per root over the call graph: the cost must stay near linear.
import fs from 'node:fs';
import path from 'node:path';

export const AMBIENT_MIGRATION = `
CREATE TABLE audit_logs (id bigserial PRIMARY KEY, org_id uuid NOT NULL, action text);
ALTER TABLE audit_logs ENABLE ROW LEVEL SECURITY;
CREATE POLICY a ON audit_logs USING (org_id = current_setting('app.current_org_id', true)::uuid);
`;

/** Writes the app under `dir`; returns its line count. */
export function generateAmbientApp(dir: string, routes: number, depth = 8): number {
  const put = (file: string, text: string): number => {
    const abs = path.join(dir, file);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, text);
    return text.split('\n').length;
  };
  let loc = put('package.json', '{"name":"ambient-bench","private":true}');
  loc += put('db/migrations/001.sql', AMBIENT_MIGRATION);
  loc += put('src/context.ts', [
    `import { AsyncLocalStorage } from 'node:async_hooks';`,
    `import { Pool } from 'pg';`,
    `export const pool = new Pool();`,
    `export const als = new AsyncLocalStorage<{ tx: any }>();`,
    `export const db = new Proxy(pool, { get(target, prop) { return Reflect.get(als.getStore()?.tx ?? target, prop); } });`,
    `export function mw(req: any, res: any, next: () => void) { return withOrgScope(req, pool, req.org, (tx: any) => als.run({ tx }, next)); }`,
    `import { withOrgScope } from '@acme/tenancy';`,
  ].join('\n'));
  const helpers: string[] = [`import { db } from './context';`];
  for (let d = 0; d < depth; d++) {
    helpers.push(`export async function step${d}(n: number): Promise<void> {`, d + 1 < depth ? `  if (n > 0) await step${d + 1}(n - 1);` : `  await db.query('INSERT INTO audit_logs (org_id, action) VALUES ($1, $2)', [null, 'x']);`, `  await db.query('DELETE FROM audit_logs WHERE action = $1', ['s${d}']);`, `}`);
  }
  loc += put('src/helpers.ts', helpers.join('\n'));
  for (let f = 0; f < Math.ceil(routes / 50); f++) {
    const lines = [`import { Router } from 'express';`, `import { mw } from '../context';`, `import { step0, step${Math.floor(depth / 2)} } from '../helpers';`, `export const r${f} = Router();`, `r${f}.use(mw);`];
    for (let i = f * 50; i < Math.min(routes, (f + 1) * 50); i++) lines.push(`r${f}.post('/r${i}', async (req, res) => { await step${i % 2 ? 0 : Math.floor(depth / 2)}(${i}); res.end(); });`);
    loc += put(`src/routes/r${f}.ts`, lines.join('\n'));
  }
  const app = [`import express from 'express';`, `import { Worker } from 'bullmq';`, `import { step0 } from './helpers';`, `const app = express();`];
  for (let f = 0; f < Math.ceil(routes / 50); f++) app.splice(1, 0, `import { r${f} } from './routes/r${f}';`), app.push(`app.use('/g${f}', r${f});`);
  app.push(`new Worker('sweep', async () => { await step0(1); });`);
  loc += put('src/app.ts', app.join('\n'));
  return loc;
}
