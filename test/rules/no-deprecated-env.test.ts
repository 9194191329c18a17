import rule from '../../rules/no-deprecated-env.js';
import { filename, ruleTester } from './tester.js';

/** A variable the pack removed with nothing in its place, and one it replaced. */
const removed = (line: number, column: number) => ({ messageId: 'removedEnv' as const, line, column });
const replaced = (line: number, column: number) => ({ messageId: 'replacedEnv' as const, line, column });

ruleTester.run('no-deprecated-env', rule, {
  valid: [
    {
      name: 'still-valid variables, including ones that share a prefix with removed ones',
      filename,
      code: `
        export const realm = process.env.SECURITY_OAUTH2_SAREALM;
        export const base = process.env.SECURITY_OAUTH2_BASE_SERVER_URL;
        export const db = process.env.DATABASE_URL;
        export const sa = process.env.SPRING_SECURITY_OAUTH2_CLIENT_REGISTRATION_MAINIDENTITY_CLIENT_ID;
        export const admin = process.env.AXONFLOW_DB_PLATFORM_ADMIN_URL;`,
    },
    {
      name: 'SECURITY_TYPE itself is valid; only the oauth2 value is gone',
      filename,
      code: `
        export const type = process.env.SECURITY_TYPE ?? 'jwt-public-key';
        export const isJwt = process.env['SECURITY_TYPE'] === 'jwt-public-key';
        const { SECURITY_TYPE } = process.env;`,
    },
    {
      name: 'AXONFLOW_DB_USE_APP_ROLE read or set to true',
      filename,
      code: `
        export const useAppRole = process.env.AXONFLOW_DB_USE_APP_ROLE !== 'false';
        process.env.AXONFLOW_DB_USE_APP_ROLE = 'true';`,
    },
    {
      name: 'the names in comments and log lines',
      filename,
      code: `
        // SECURITY_OAUTH2_REALM was removed in FlowX 5.5
        console.log('set SECURITY_OAUTH2_CLIENT_CLIENT_ID before 5.5');
        logger.warn('FLOWX_CLIENT_NAME');
        expect(render('SECURITY_OAUTH2_REALM')).toContain('SECURITY_OAUTH2_CLIENT_CLIENTID');
        it('drops SECURITY_OAUTH2_REALM', () => {});`,
    },
    {
      name: 'a variable with a removed name that is not an environment read',
      filename,
      code: `const SECURITY_OAUTH2_REALM_NOTE = 'x'; export default SECURITY_OAUTH2_REALM_NOTE;`,
    },
  ],
  invalid: [
    {
      name: 'process.env.X and process.env["X"]',
      filename,
      code: `export const realm = process.env.SECURITY_OAUTH2_REALM;\nexport const uri = process.env['SPRING_SECURITY_OAUTH2_RESOURCE_SERVER_OPAQUE_TOKEN_INTROSPECTION_URI'];`,
      errors: [replaced(1, 34), removed(2, 32)],
    },
    {
      name: 'both Spring spellings of the opaque-token client id and secret',
      filename,
      code: `const a = process.env.SPRING_SECURITY_OAUTH2_RESOURCESERVER_OPAQUETOKEN_CLIENTID;\nconst b = process.env.SPRING_SECURITY_OAUTH2_RESOURCE_SERVER_OPAQUE_TOKEN_CLIENT_SECRET;\nconst c = process.env.SPRING_SECURITY_OAUTH2_RESOURCESERVER_OPAQUETOKEN_CLIENTSECRET;`,
      errors: [removed(1, 23), removed(2, 23), removed(3, 23)],
    },
    {
      name: 'destructuring from process.env, with a rename and a default',
      filename,
      code: `const { SECURITY_OAUTH2_CLIENT_CLIENTID: clientId, FLOWX_ENVIRONMENT_NAME = 'dev', DATABASE_URL } = process.env;`,
      errors: [removed(1, 9), removed(1, 52)],
    },
    {
      name: 'import.meta.env and optional chaining',
      filename,
      code: `export const s = import.meta.env.SECURITY_OAUTH2_SERVICE_ACCOUNT_ADMIN_CLIENTSECRET;\nexport const t = process.env?.FLOWX_CLIENT_NAME;`,
      errors: [replaced(1, 34), removed(2, 31)],
    },
    {
      name: 'string keys passed to config loaders and schemas',
      filename,
      code: `const id = config.get('SECURITY_OAUTH2_SERVICE_ACCOUNT_ADMIN_CLIENT_ID');\nconst env = cleanEnv(process.env, { SECURITY_OAUTH2_CLIENT_CLIENT_SECRET: str() });\nrequireEnv(['SECURITY_OAUTH2_REALM', 'DATABASE_URL']);`,
      errors: [replaced(1, 23), removed(2, 37), replaced(3, 13)],
    },
    {
      name: 'a config read inside a log call is still a read',
      filename,
      code: `logger.info('realm', config.get('SECURITY_OAUTH2_REALM'));`,
      errors: [replaced(1, 33)],
    },
    {
      name: 'SECURITY_TYPE compared with, defaulted to, or set to oauth2',
      filename,
      code: `if (process.env.SECURITY_TYPE === 'oauth2') {}\nconst mode = process.env.SECURITY_TYPE ?? 'oauth2';\nspawn('svc', { env: { SECURITY_TYPE: 'OAuth2' } });\nconst { SECURITY_TYPE = 'oauth2' } = process.env;\nswitch (process.env.SECURITY_TYPE) { case 'jwt-public-key': break; case 'oauth2': break; }\nif (config.get('SECURITY_TYPE') === 'oauth2') {}`,
      errors: [replaced(1, 17), replaced(2, 26), replaced(3, 23), replaced(4, 9), replaced(5, 21), replaced(6, 16)],
    },
    {
      name: 'the AxonFlow rollout lever set to false',
      filename,
      code: `process.env.AXONFLOW_DB_USE_APP_ROLE = 'false';\nconst env = { AXONFLOW_DB_USE_APP_ROLE: false };`,
      errors: [replaced(1, 13), replaced(2, 15)],
    },
    {
      name: 'a read through an aliased env object',
      filename,
      code: `const env = process.env;\nexport const n = env.FLOWX_CLIENT_NAME;`,
      errors: [removed(2, 22)],
    },
  ],
});
