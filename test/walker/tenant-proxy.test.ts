import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditSync } from '../../src/walker/audit.js';
import { annotatedVerdicts, readExpectations, sourceFiles } from '../support/annotations.js';
import { fixtureVariant } from '../support/project.js';

// nest-erp-backend's shape (docs/real-world.md, erp29): services hold `tenantRepository(repo)`, a Proxy whose `get`
// trap swaps the injected repository for the same entity's on the EntityManager an AsyncLocalStorage holds; a NestJS
// middleware (`consumer.apply(…).forRoutes('*')`) enters the store with the tenant it refused empty, and a global
// interceptor opens a transaction, runs set_config in a helper that hands back `{ runner, manager }`, and sets the
// store's `manager` through a static setter; it calls `next.handle()` bare where the store has no tenant.

const APP = path.resolve(import.meta.dirname, '../../fixtures/precision/nest-tenant-proxy');

function auditOf(root: string) {
  return auditSync({ paths: [root], types: false, schemaSource: 'static' });
}

/** The fixture app copied with one file's text replaced (and more: `[file, from, to]` each). */
function variant(file: string, from: string, to: string, ...more: [string, string, string][]): string {
  return fixtureVariant(APP, [[file, from, to], ...more]);
}

const at = (report: ReturnType<typeof auditOf>, line: number) =>
  report.writeSites.find((s) => s.file === 'src/notes.service.ts' && s.line === line)!;

describe('a Proxy whose trap swaps the target for the stored manager, behind a NestJS middleware and interceptor', () => {
  const report = auditOf(APP);

  it('gives every annotated verdict', () => {
    const { actual, wanted } = annotatedVerdicts(report, readExpectations(APP, sourceFiles(APP)));
    expect(wanted.length).toBe(5);
    expect(actual).toEqual(wanted);
  });

  it('names the store, the interceptor that sets its manager and the set_config of the helper it hands back', () => {
    const add = at(report, 19).evidence;
    expect(add).toContain(
      'the AsyncLocalStorage `TenantStore.als` (src/tenant-store.ts:11) holds (its `manager`), swapped in by the trap ' +
        'at src/tenant-repository.ts:7 of the Proxy made at src/tenant-repository.ts:6',
    );
    expect(add).toContain('where `TenantTxInterceptor.inTenantTx` enters `TenantStore.als`');
    expect(add).toContain('the transaction set the org context with set_config at src/tenant-tx.interceptor.ts:37');
    // The interceptor's own write runs behind the global interceptor's transaction.
    expect(at(report, 29).evidence).toContain('the AuditInterceptor of the NestJS route');
  });

  it('takes the fallback where the middleware is excluded, and says why a conditional swap is not read', () => {
    expect(at(report, 34).evidence).toContain('the NestJS route GET /, HealthController.ping');
    expect(at(report, 34).evidence).toContain('nothing on this path entered `TenantStore.als`');
    expect(at(report, 24).evidence).toContain(
      "swaps its target for the stored manager's only when `manager && process.env.TENANT_TX === 'on'`",
    );
  });

  it('keeps the bare branch where the middleware lets an empty tenant through', () => {
    const dir = variant('src/tenant.middleware.ts', "    if (!tenantId) throw new BadRequestException('the x-tenant header is required');\n", '');
    const r = auditOf(dir);
    expect(at(r, 19).coverage).toBe('unscoped');
    expect(at(r, 19).evidence).toContain('`TenantStore.als` was entered at src/tenant.middleware.ts:');
  });

  it('judges the manager set on the store with the state its helper returned it in', () => {
    const dir = variant('src/tenant-tx.interceptor.ts', "    await runner.query(\"SELECT set_config('app.tenant_id', $1, true)\", [tenantId]);\n", '');
    const r = auditOf(dir);
    expect(at(r, 19).coverage).toBe('unscoped');
    expect(at(r, 19).evidence).toContain('inside a transaction that has not set the org context');
  });

  it('keeps the manager where another member is set on the store after it', () => {
    const dir = variant(
      'src/tenant-tx.interceptor.ts',
      '    TenantStore.useManager(manager);\n',
      '    TenantStore.useManager(manager);\n    TenantStore.useTrace(tenantId);\n',
      [
        'src/tenant-store.ts',
        '  static useManager(',
        '  static useTrace(trace: string): void {\n    const state = this.als.getStore();\n' +
          '    if (state) (state as { trace?: string }).trace = trace;\n  }\n\n  static useManager(',
      ],
    );
    expect(at(auditOf(dir), 19).coverage).toBe('org-scope');
  });

  it('reads the same swap written as a conditional expression', () => {
    const dir = variant(
      'src/tenant-repository.ts',
      '      let repo = target;\n      if (manager && manager !== target.manager) repo = manager.getRepository(target.target);\n',
      '      const repo = manager ? manager.getRepository(target.target) : target;\n',
    );
    expect(at(auditOf(dir), 19).coverage).toBe('org-scope');
  });

  it('reads the routes forRoutes names: a controller the middleware is not applied to takes the fallback', () => {
    const dir = variant('src/app.module.ts', ".forRoutes('*')", ".forRoutes(HealthController)");
    expect(at(auditOf(dir), 19).coverage).toBe('unscoped');
    const unread = variant('src/app.module.ts', ".forRoutes('*')", '.forRoutes(someRoutes())');
    const r = auditOf(unread);
    expect(at(r, 19).coverage).toBe('unresolved');
    expect(at(r, 19).evidence).toContain('consumer.apply(…), whose routes cannot be read,');
  });
});
