import { describe, expect, it } from 'vitest';
import { auditProject, verdicts } from '../support/project.js';

// Issue 11, "Not coverage": a scope middleware that is defined but never registered covers
// nothing. The routes' writes through the ambient `db` are unscoped; registered, it covers.

const CONTEXT = `
import { AsyncLocalStorage } from 'node:async_hooks';
import { Pool, type PoolClient } from 'pg';
export const pool = new Pool();
export const requestContext = new AsyncLocalStorage<{ tx: PoolClient | Pool }>();
export const db = new Proxy(pool, {
  get(target, prop) {
    const active = requestContext.getStore()?.tx ?? target;
    const value = Reflect.get(active, prop);
    return typeof value === 'function' ? value.bind(active) : value;
  },
});`;

const MIDDLEWARE = `
import type { NextFunction, Request, Response } from 'express';
import { withOrgScope } from '@acme/tenancy';
import { pool, requestContext } from './context.js';
export function orgScope(req: Request, res: Response, next: NextFunction): void {
  void withOrgScope(req, pool, req.header('x-org-id'), (tx) => new Promise<void>((resolve) => {
    requestContext.run({ tx }, () => {
      res.on('finish', resolve);
      next();
    });
  }));
}`;

const app = (registered: boolean) => `
import express from 'express';
import { db } from './context.js';
import { orgScope } from './middleware.js';
export const app = express();
${registered ? 'app.use(orgScope);' : '// orgScope is imported, but never registered.'}
app.post('/projects/:id', async (req, res) => {
  await db.query('UPDATE projects SET name = $2 WHERE id = $1', [req.params.id, req.body.name]);
  res.status(204).end();
});
app.listen(3000);`;

const files = (registered: boolean) => ({
  'package.json': '{"name":"t","private":true,"dependencies":{"express":"^4","pg":"^8"}}',
  'src/context.ts': CONTEXT,
  'src/middleware.ts': MIDDLEWARE,
  'src/app.ts': app(registered),
});

describe('a scope middleware defined but never registered', () => {
  it('covers nothing: the route behind no middleware is unscoped', () => {
    expect(verdicts(auditProject(files(false)))).toEqual(['src/app.ts:8 unscoped']);
  });

  it('covers the route once registered (the control)', () => {
    expect(verdicts(auditProject(files(true))).map((v) => v.replace(/ via .*/, ''))).toEqual(['src/app.ts:8 org-scope']);
  });
});
