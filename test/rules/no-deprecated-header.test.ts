import rule from '../../rules/no-deprecated-header.js';
import path from 'node:path';
import { filename, FIXTURE, ruleTester } from './tester.js';

/** A project of its own (its config folder) whose tree shows neither AxonFlow nor FlowX: their packs do not apply. */
const OFF_PLATFORM = path.join(FIXTURE, 'roles-and-settings/src/case.ts');

const err = (line: number, column: number) => ({ messageId: 'deprecatedHeader' as const, line, column });

ruleTester.run('no-deprecated-header', rule, {
  valid: [
    {
      name: 'x-tenant-id in an app that does not run on AxonFlow (no dependency, no AXONFLOW_ variable): the pack is off',
      filename: OFF_PLATFORM,
      code: `
        export const tenant = (req) => req.headers['x-tenant-id'];
        fetch(url, { headers: { 'X-Tenant-ID': tenantId } });`,
    },
    {
      name: 'the replacement header and look-alike headers',
      filename,
      code: `
        fetch(url, { headers: { 'X-Client-ID': clientId, 'X-Tenant-Region': region, 'X-Org-ID': orgId } });
        export const h = req.headers['x-tenant-id-hash'];`,
    },
    {
      name: 'the name in a comment, a log line, an error message and a longer string',
      filename,
      code: `
        // X-Tenant-ID is deprecated; send X-Client-ID
        console.warn('X-Tenant-ID');
        logger.info('client sent X-Tenant-ID');
        throw new Error('X-Tenant-ID');
        export const doc = 'Send X-Tenant-ID until v10';
        export const note = 'X-Tenant-ID, as before, then X-Client-ID';`,
    },
  ],
  invalid: [
    {
      name: 'a header object literal, autofixed in the original case style',
      filename,
      code: `fetch(url, { headers: { 'X-Tenant-ID': orgId } });`,
      output: `fetch(url, { headers: { 'X-Client-ID': orgId } });`,
      errors: [err(1, 25)],
    },
    {
      name: 'Headers set/get/append and an array of pairs, any case',
      filename,
      code: `const h = new Headers([['X-TENANT-ID', id]]);\nh.set('x-tenant-id', id);\nh.append("X-Tenant-Id", id);\nres.setHeader('X-Tenant-ID', id);`,
      output: `const h = new Headers([['X-CLIENT-ID', id]]);\nh.set('x-client-id', id);\nh.append("X-Client-ID", id);\nres.setHeader('X-Client-ID', id);`,
      errors: [err(1, 25), err(2, 7), err(3, 10), err(4, 15)],
    },
    {
      name: 'reads of the incoming header',
      filename,
      code: 'const a = req.headers[\'x-tenant-id\'];\nconst b = req.get(`X-Tenant-ID`);\nconst c = request.headers.get("x-tenant-id");',
      output: 'const a = req.headers[\'x-client-id\'];\nconst b = req.get(`X-Client-ID`);\nconst c = request.headers.get("x-client-id");',
      errors: [err(1, 23), err(2, 19), err(3, 31)],
    },
    {
      name: 'an item of a comma-separated header list, fixed in place',
      filename,
      code: `res.setHeader('Access-Control-Allow-Headers', 'Content-Type, x-tenant-id, X-Request-ID');`,
      output: `res.setHeader('Access-Control-Allow-Headers', 'Content-Type, x-client-id, X-Request-ID');`,
      errors: [err(1, 62)],
    },
    {
      name: 'a constant holding the header name',
      filename,
      code: `export const TENANT_HEADER = 'x-tenant-id';`,
      output: `export const TENANT_HEADER = 'x-client-id';`,
      errors: [err(1, 30)],
    },
  ],
});
