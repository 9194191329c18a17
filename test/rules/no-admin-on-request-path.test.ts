import rule from '../../rules/no-admin-on-request-path.js';
import { filename, ruleTester } from './tester.js';

// An admin (BYPASSRLS) write reached from an HTTP request: one tenant's request can touch
// every org's rows. The route is found by the entry points the ambient analysis knows.

ruleTester.run('no-admin-on-request-path', rule, {
  valid: [
    {
      name: 'an admin write no route reaches (a job queue worker)',
      filename,
      code: `
        import { Worker } from 'bullmq';
        import { adminPool } from './admin';
        new Worker('cleanup', async () => {
          await adminPool.query("DELETE FROM audit_logs WHERE action = 'expired'");
        });`,
    },
    {
      name: 'a route that writes on its org-scoped connection',
      filename,
      code: `
        import express from 'express';
        import { pool } from './db';
        import { inTenant } from './tenancy';
        const app = express();
        app.post('/projects', (req) => inTenant(req.orgId, (tx) => tx.query('UPDATE projects SET name = $1 WHERE id = $2', [req.body.name, req.params.id])));`,
    },
    {
      name: 'a route whose admin write is suppressed with its reason',
      filename,
      code: `
        import express from 'express';
        import { adminPool } from './admin';
        const app = express();
        app.post('/signup', async (req) => {
          // rls-guard-ignore-next-line no-admin-on-request-path -- sign-up creates the org
          await adminPool.query('INSERT INTO projects (org_id, name) VALUES ($1, $2)', [req.body.org, 'first']);
        });`,
    },
  ],
  invalid: [
    {
      name: 'an Express route handler writing on the admin pool',
      filename,
      code: `
        import express from 'express';
        import { adminPool } from './admin';
        const app = express();
        app.delete('/projects/:id', async (req) => {
          await adminPool.query('DELETE FROM projects WHERE id = $1', [req.params.id]);
        });`,
      errors: [
        {
          messageId: 'adminOnRequestPath',
          line: 6,
          data: {
            write: 'DELETE on public.projects (RLS enabled at db/schema.sql:9)',
            via: 'adminPool',
            route: 'the route DELETE /projects/:id (src/case.ts:5)',
            path: '',
          },
        },
      ],
    },
    {
      name: 'a Hono route reaching the admin write through a function of the file',
      filename,
      code: `
        import { Hono } from 'hono';
        import { adminPool } from './admin';
        async function archive(id: string) {
          await adminPool.query('UPDATE projects SET name = $1 WHERE id = $2', ['archived', id]);
        }
        const app = new Hono();
        app.post('/projects/:id/archive', async (c) => {
          await archive(c.req.param('id'));
          return c.text('ok');
        });`,
      errors: [
        {
          messageId: 'adminOnRequestPath',
          line: 5,
          data: {
            write: 'UPDATE on public.projects (RLS enabled at db/schema.sql:9)',
            via: 'adminPool',
            route: 'the route POST /projects/:id/archive (src/case.ts:8)',
            path: ', through archive() (src/case.ts:9)',
          },
        },
      ],
    },
  ],
});
