import { describe, expect, it } from 'vitest';
import { auditProject, codeFindings, verdicts } from '../support/project.js';

// A transaction a function opens on its connection parameter is a new transaction where the caller's connection is a
// pool, also when that connection is what an ambient store holds on the path (fixtures/providers/param-transactions
// has the callers that pass it directly).

const CONTEXT = `import { AsyncLocalStorage } from 'node:async_hooks';
import knex from 'knex';
export const kx = knex({ client: 'pg' });
export const store = new AsyncLocalStorage<{ tx: any }>();
export function getDb() {
  return store.getStore()?.tx ?? kx;
}
`;

describe('a transaction opened on a parameter, given an ambient store’s connection', () => {
  it('is a new transaction of the pool the store falls back to, and a savepoint of the scoped transaction it holds', () => {
    const report = auditProject({
      'src/context.ts': CONTEXT,
      'src/work.ts': `import { withOrgScope } from '@acme/tenancy';
import { getDb, kx, store } from './context';
async function save(db) {
  await db.transaction(async (trx) => { await trx('projects').del(); });
}
async function saveScoped(db) {
  await db.transaction(async (trx) => { await trx('audit_logs').del(); });
}
export async function handle(orgId: string) {
  await withOrgScope(null, kx, orgId, (tx) => store.run({ tx }, () => save(getDb())));
  await withOrgScope(null, kx, orgId, (tx) => store.run({ tx }, () => saveScoped(getDb())));
}
setInterval(() => { void save(getDb()); }, 1000);
`,
    });
    expect(verdicts(report)).toEqual(['src/work.ts:4 unscoped', 'src/work.ts:7 org-scope via withOrgScope']);
    const [site] = report.writeSites;
    expect(site!.evidence).toContain('the setInterval loop');
    expect(site!.evidence).toContain('runs on the transaction db.transaction() opens at src/work.ts:4 on knex pool');
    expect(site!.evidence).toContain('inside a transaction that has not set the org context');
    expect(site!.evidence).not.toContain('each pool query takes whichever connection is free');
    expect(codeFindings(report).map((f) => `${f.ruleId}:${f.line}`)).toEqual(['no-unscoped-write:4']);
  });
});
