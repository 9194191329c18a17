import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditSync } from '../../src/walker/audit.js';
import type { AuditReport } from '../../src/report/audit-report.js';
import { codeFindings, SCHEMA, writeProject } from '../support/project.js';

// The pack pass in the walker on small projects: the same findings whether or not the
// project's types are installed (the typed path parses through ts-morph), suppressions in
// code, and deployment files beside the code.

const APP = `import { WithRLS } from './legacy';
import { Pool } from 'pg';
export const pool = new Pool();
export const run = () => WithRLS(pool, async () => fetch('/x', { headers: { 'X-Tenant-ID': '1' } }));
// rls-guard-ignore-next-line no-deprecated-env -- read only to log a migration warning
export const realm = process.env.SECURITY_OAUTH2_REALM;
export const client = process.env.SECURITY_OAUTH2_CLIENT_CLIENTID;
`;

/** The project runs on FlowX (its package.json); its .env.production shows AxonFlow (AXONFLOW_…). */
const ON_PLATFORMS = { 'package.json': '{ "name": "app", "dependencies": { "@flowx/ui-sdk": "5.9.0" } }' };

function project(withTypes: boolean): string {
  return writeProject({
    ...ON_PLATFORMS,
    'db/schema.sql': SCHEMA,
    'src/app.ts': APP,
    '.env.production': 'ENABLE_NODE_MONITOR=true\nAXONFLOW_DB_PLATFORM_ADMIN_URL=postgres://admin@db/app\nSECURITY_TYPE=oauth2\n',
    ...(withTypes
      ? {
          'node_modules/@types/pg/package.json': '{"name":"@types/pg","types":"index.d.ts"}',
          'node_modules/@types/pg/index.d.ts': 'export declare class Pool { query(text: string): Promise<unknown>; }\n',
          'tsconfig.json': '{"compilerOptions":{"strict":true,"module":"NodeNext","moduleResolution":"NodeNext","target":"ES2022"}}',
        }
      : {}),
  });
}

/** These projects have no migrations, so the audit is incomplete (tested in test/malformed); the pack findings are what matter here. */
const packFindings = (report: AuditReport) => report.findings.filter((f) => f.ruleId !== 'no-incomplete-audit');

const summary = (withTypes: boolean) =>
  codeFindings(auditSync({ paths: [project(withTypes)], ...(withTypes ? {} : { types: false }) })).map((f) => `${f.file}:${f.line}:${f.column} ${f.ruleId}`);

describe('the pack pass in the walker', () => {
  it('treats a compose variable without a value as passed through from the host (set), and a Helm one as blank', () => {
    const root = writeProject({
      'docker-compose.yml': 'services:\n  agent:\n    environment:\n      ENABLE_NODE_MONITOR: "true"\n      AXONFLOW_DB_PLATFORM_ADMIN_URL:\n',
      'values.yaml': 'env:\n  ENABLE_NODE_MONITOR: "true"\n  AXONFLOW_DB_PLATFORM_ADMIN_URL:\n',
    });
    expect(packFindings(auditSync({ paths: [root], types: false })).map((f) => `${f.file}:${f.line}`)).toEqual(['values.yaml:2']);
  });

  it('audits a deployment file named on its own, without parsing it as source', () => {
    const root = writeProject({ ...ON_PLATFORMS, 'deploy/prod.env': 'export SECURITY_OAUTH2_CLIENT_CLIENT_ID="flowx-platform-authorize"\n' });
    const report = auditSync({ paths: [`${root}/deploy/prod.env`], types: false });
    expect(report.diagnostics).toEqual([]);
    expect(packFindings(report).map((f) => `${f.file}:${f.line}:${f.column} ${f.ruleId}`)).toEqual(['deploy/prod.env:1:8 no-deprecated-env', 'deploy/prod.env:1:41 no-removed-api']);
  });


  it('reads git-ignored .env files (what the service boots with), but no other git-ignored file', () => {
    const root = writeProject({
      ...ON_PLATFORMS,
      '.gitignore': '.env\n.env.local\nsecret-values.yaml\n',
      '.env': 'SECURITY_OAUTH2_REALM=flowx\n',
      '.env.local': 'FLOWX_CLIENT_NAME=dev\n',
      'secret-values.yaml': 'env:\n  SECURITY_OAUTH2_REALM: flowx\n',
      'values.yaml': 'env:\n  SECURITY_OAUTH2_CLIENT_CLIENTID: x\n',
    });
    const files = packFindings(auditSync({ paths: [root], types: false })).map((f) => `${f.file}:${f.line}`);
    expect(files).toEqual(['.env:1', '.env.local:1', 'values.yaml:2']);
  });


  it('applies a platform pack only to a tree that shows the platform (a dependency, or a variable its deployment sets)', () => {
    // An app that never ran on AxonFlow or FlowX: its own x-tenant-id header, SECURITY_TYPE and a
    // helper that happens to be called WithRLS are its business, not a platform migration's.
    const files = {
      'db/schema.sql': SCHEMA,
      'src/app.ts': APP,
      '.env.production': 'SECURITY_TYPE=oauth2\nDATABASE_URL=postgres://app@db/app\n',
    };
    const off = auditSync({ paths: [writeProject({ ...files, 'package.json': '{ "name": "app", "dependencies": { "pg": "8" } }' })], types: false });
    const PACK_RULES = ['no-removed-api', 'no-deprecated-env', 'no-deprecated-header'];
    expect(off.findings.filter((f) => PACK_RULES.includes(f.ruleId))).toEqual([]);
    // The same app depending on the platform's SDK in a workspace package: AxonFlow's pack applies, FlowX's does not.
    const on = auditSync({
      paths: [writeProject({ ...files, 'packages/api/package.json': '{ "name": "api", "dependencies": { "@axonflow/sdk": "8" } }' })],
      types: false,
    });
    expect(on.findings.filter((f) => PACK_RULES.includes(f.ruleId)).map((f) => `${f.file}:${f.line} ${f.ruleId}`)).toEqual([
      'src/app.ts:1 no-removed-api',
      'src/app.ts:4 no-removed-api',
      'src/app.ts:4 no-deprecated-header',
    ]);
  }, 120_000);

  it('finds the same things with and without installed types, honouring suppressions', () => {
    const expected = ['.env.production:3:1 no-deprecated-env', 'src/app.ts:1:10 no-removed-api', 'src/app.ts:4:26 no-removed-api', 'src/app.ts:4:77 no-deprecated-header', 'src/app.ts:7:35 no-deprecated-env'];
    expect(summary(false)).toEqual(expected);
    expect(summary(true)).toEqual(expected);
    // Two replays of the migrations in embedded Postgres: ~28 s alone, more on a shared machine.
    // The typed pass builds a ts-morph program: past the 30 s default on a loaded 2-core runner.
  }, 120_000);
});

describe("a platform's pack on a monorepo that never used the platform (arda-vibe's shape)", () => {
  // npm workspaces, an own `x-tenant-id` header in a service, a generated OpenAPI file and a
  // compose file that name it: before platform-use.ts these were AxonFlow findings (37 on
  // khenson99/arda-vibe). The same tree depending on @axonflow/sdk in one workspace gets them.
  const FIXTURE = path.resolve(import.meta.dirname, '../../fixtures/precision/platform-header');
  const HEADER_RULES = ['no-deprecated-header', 'no-removed-api', 'no-deprecated-env'];
  const packed = (report: AuditReport) =>
    report.findings.filter((f) => HEADER_RULES.includes(f.ruleId)).map((f) => `${f.file}:${f.line} ${f.ruleId}`);

  it('raises none of the pack rules', () => {
    const report = auditSync({ paths: [FIXTURE], types: false, schemaSource: 'static' });
    expect(packed(report)).toEqual([]);
    expect(report.writeSites).toEqual([]);
  });

  it('raises them once a workspace depends on the platform', () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-platform-'));
    fs.cpSync(FIXTURE, copy, { recursive: true });
    const manifest = path.join(copy, 'services/orders/package.json');
    fs.writeFileSync(manifest, fs.readFileSync(manifest, 'utf8').replace('"pg"', '"@axonflow/sdk": "^8.0.0", "pg"'));
    const report = auditSync({ paths: [copy], types: false, schemaSource: 'static' });
    const found = packed(report);
    expect(found).toContain('services/orders/src/forward.ts:3 no-deprecated-header');
    expect(found.filter((f) => f.startsWith('output/orders-openapi.json')).length).toBeGreaterThan(0);
  });
});
