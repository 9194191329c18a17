import path from 'node:path';
import rule from '../../rules/no-removed-api.js';
import { filename, FIXTURE, ruleTester } from './tester.js';

const toScope = (line: number, column: number, from: string, output: string) => ({
  messageId: 'replacedApi' as const,
  line,
  column,
  suggestions: [
    { messageId: 'replaceCall' as const, data: { name: from, replacement: 'withRequestOrgScope' }, output: output.replace('§', 'withRequestOrgScope') },
    { messageId: 'replaceCall' as const, data: { name: from, replacement: 'withOrgScope' }, output: output.replace('§', 'withOrgScope') },
  ],
});

ruleTester.run('no-removed-api', rule, {
  valid: [
    {
      name: 'retained helpers are never flagged',
      filename,
      code: `
        import { GetCurrentOrgID, VerifyRLSActive, GetRLSStats, RLSHealthCheck } from '@axonflow/middleware';
        export const health = async (db) => ({ org: await GetCurrentOrgID(db), active: await VerifyRLSActive(db), stats: await GetRLSStats(db), ok: await RLSHealthCheck(db) });`,
    },
    {
      name: 'the replacement helpers',
      filename,
      code: `
        import { withRequestOrgScope, withOrgScope } from './tenancy';
        export const run = (req, db) => withRequestOrgScope(req, db, (tx) => tx.query('SELECT 1'));`,
    },
    {
      name: 'names that only share a prefix with a removed helper',
      filename,
      code: `
        import { RLSMiddlewareConfig, WithRLSContext, ResetRLSContextForTests } from './legacy';
        export const cfg: RLSMiddlewareConfig = WithRLSContext(ResetRLSContextForTests());`,
    },
    {
      name: 'the name in a comment, a log line and an error message',
      filename,
      code: `
        // RLSMiddleware was removed in v8; we moved to withRequestOrgScope.
        /* WithRLS(pool, fn) used to be here */
        console.warn('RLSMiddleware is gone, see the migration guide');
        logger.info('SetRLSContextForSession');
        throw new Error('ResetRLSContext');`,
    },
    {
      name: 'an object key or a parameter with the name is not a use',
      filename,
      code: `
        export const flags = { WithRLS: false, RLSMiddleware() { return null; } };
        export function wrap(RLSMiddleware) { return RLSMiddleware; }`,
    },
    {
      name: 'a license payload read deployment_id first; org_id on other objects',
      filename,
      code: `
        const license = decodeLicense(key);
        export const id = license.deployment_id ?? license.org_id;
        export const org = req.user.org_id;
        const { deployment_id, org_id } = verifyLicense(key);
        const row = await orgs.findByLicense(licenseId);
        export const owner = row.org_id;`,
    },
    {
      name: 'client ids other than the removed one, and the name inside a sentence',
      filename,
      code: `
        export const client = 'flowx-admin-sa';
        console.log('migrated off flowx-platform-authorize');
        export const note = 'flowx-platform-authorize is gone';`,
    },
    {
      name: 'an allow-listed name',
      filename,
      options: [{ allow: ['WithRLS'] }],
      code: `import { WithRLS } from './legacy';\nWithRLS(pool, fn);`,
    },
  ],
  invalid: [
    {
      name: "a helper and a client the project's own pack retired with nothing in their place",
      filename: path.join(FIXTURE, 'own-pack/src/case.ts'),
      code: `import { legacyTenantSync } from '@acme/sdk';\nexport const client = { clientId: 'acme-legacy-portal' };`,
      errors: [
        {
          messageId: 'removedApi',
          line: 1,
          column: 10,
          data: {
            subject: 'legacyTenantSync',
            name: 'legacyTenantSync',
            changed: 'was removed in Acme 3.0.0',
            reason: 'Tenant sync now runs in the platform',
            replacement: '',
            pack: 'acme-retired',
            source: 'https://example.com/acme/3.0#sync',
          },
        },
        { messageId: 'removedClient', line: 2, column: 35 },
      ],
    },
    {
      name: 'a call of an imported removed helper, at the import and the call',
      filename,
      code: `import { RLSMiddleware } from '@axonflow/middleware';\napp.use(RLSMiddleware(pool));`,
      errors: [
        toScope(1, 10, 'RLSMiddleware', `import { § } from '@axonflow/middleware';\napp.use(RLSMiddleware(pool));`),
        toScope(2, 9, 'RLSMiddleware', `import { RLSMiddleware } from '@axonflow/middleware';\napp.use(§(pool));`),
      ],
    },
    {
      name: 'an aliased import is followed to its uses',
      filename,
      code: `import { WithRLS as scoped } from './db/rls';\nawait scoped(pool, run);`,
      errors: [
        toScope(1, 10, 'WithRLS', `import { § as scoped } from './db/rls';\nawait scoped(pool, run);`),
        toScope(2, 7, 'scoped', `import { WithRLS as scoped } from './db/rls';\nawait §(pool, run);`),
      ],
    },
    {
      name: 'a member of a namespace import or a required module',
      filename,
      code: `import * as middleware from './middleware';\nmiddleware.SetRLSContextForSession(client, orgId);\nconst { ResetRLSContext } = require('./middleware');`,
      errors: [
        toScope(2, 12, 'SetRLSContextForSession', `import * as middleware from './middleware';\nmiddleware.§(client, orgId);\nconst { ResetRLSContext } = require('./middleware');`),
        toScope(3, 9, 'ResetRLSContext', `import * as middleware from './middleware';\nmiddleware.SetRLSContextForSession(client, orgId);\nconst { § } = require('./middleware');`),
      ],
    },
    {
      name: "a fork's own copy of a removed helper is reported at its definition, not at every call",
      filename,
      code: `export function WithRLS(pool, fn) { return fn(pool); }\nWithRLS(pool, run);`,
      errors: [toScope(1, 17, 'WithRLS', `export function §(pool, fn) { return fn(pool); }\nWithRLS(pool, run);`)],
    },
    {
      name: 'a default import under the removed name, at the import and the use',
      filename,
      code: `import RLSMiddleware from './middleware/rls';\napp.use(RLSMiddleware(pool));`,
      errors: [
        toScope(1, 8, 'RLSMiddleware', `import § from './middleware/rls';\napp.use(RLSMiddleware(pool));`),
        toScope(2, 9, 'RLSMiddleware', `import RLSMiddleware from './middleware/rls';\napp.use(§(pool));`),
      ],
    },
    {
      name: 'a re-export',
      filename,
      code: `export { RLSMiddleware } from './middleware';`,
      errors: [toScope(1, 10, 'RLSMiddleware', `export { § } from './middleware';`)],
    },
    {
      name: 'the removed FlowX client as a whole string value',
      filename,
      code: `export const keycloak = { clientId: 'flowx-platform-authorize', realm: 'flowx' };`,
      errors: [{ messageId: 'replacedClient', line: 1, column: 37 }],
    },
    {
      name: 'a license payload read through org_id, with a suggestion to read deployment_id first',
      filename,
      code: `const license = decodeLicense(key);\nexport const id = license.org_id;`,
      errors: [
        {
          messageId: 'payloadField',
          line: 2,
          column: 27,
          suggestions: [{ messageId: 'readFirst', data: { preferred: 'deployment_id', object: 'license', read: 'license.org_id' }, output: `const license = decodeLicense(key);\nexport const id = (license.deployment_id ?? license.org_id);` }],
        },
      ],
    },
    {
      name: 'org_id on the result of a license verifier, and destructured alone',
      filename,
      code: `const payload = await verifyLicense(token);\nconst { org_id } = payload;`,
      errors: [{ messageId: 'payloadField', line: 2, column: 9 }],
    },
  ],
});
