import { describe, expect, it } from 'vitest';
import { auditProject, PG_PACKAGE, POOL_AND_SCOPE, verdicts } from '../support/project.js';

// Functions stored in an op-type → function table and called through a run-time key: the call's
// callee is declared with a function type of the codebase, so it is an edge to every function
// declared with that type (src/analysis/function-types.ts). Each case has its control.

const PKG = PG_PACKAGE;
const DB = POOL_AND_SCOPE;

const APPLIERS = `
import type { Pool, PoolClient } from 'pg';
export type Applier = (db: Pool | PoolClient, orgId: string) => Promise<void>;
export const created: Applier = async (db, orgId) => {
  await db.query("INSERT INTO audit_logs (org_id, action) VALUES ($1, 'created')", [orgId]);
};
export const appliers: Record<string, Applier> = { created };`;

/** The engine calls the table through \`callee\` inside the scope, and (\`alsoOnPool\`) once on the pool. */
const engine = (callee: string, alsoOnPool = false) => `
import { pool, withOrgScope } from './db.js';
import { type Applier, appliers } from './appliers.js';
interface Manifest { readonly appliers: Readonly<Record<string, Applier>> }
const manifest: Manifest = { appliers };
export async function apply(type: string, orgId: string): Promise<void> {
  await withOrgScope(orgId, async (client) => {
    await ${callee}(client, orgId);
  });
  ${alsoOnPool ? `await ${callee}(pool, orgId);` : ''}
}
void manifest;`;

const audit = (engineText: string, extra: Record<string, string> = {}) =>
  auditProject({ 'package.json': PKG, 'src/db.ts': DB, 'src/appliers.ts': APPLIERS, 'src/engine.ts': engineText, ...extra });

describe('a call through a value declared with a codebase function type', () => {
  it('is an edge to every function of that type: an interface member read by a run-time key', () => {
    const r = audit(engine('manifest.appliers[type]!'));
    expect(verdicts(r)).toEqual(['src/appliers.ts:5 org-scope via withOrgScope']);
  });

  it('also through an `as` cast and an optional call', () => {
    const cast = audit(engine('(appliers[type] as Applier)'));
    expect(verdicts(cast), 'cast').toEqual(['src/appliers.ts:5 org-scope via withOrgScope']);
    const optional = audit(engine('appliers[type]?.'));
    expect(verdicts(optional), optional.writeSites[0]?.evidence).toEqual(['src/appliers.ts:5 org-scope via withOrgScope']);
  });

  it('takes the worst call: the same table called on the pool is unscoped', () => {
    const r = audit(engine('manifest.appliers[type]!', true));
    expect(verdicts(r)).toEqual(['src/appliers.ts:5 unscoped']);
    expect(r.writeSites[0]!.evidence).toContain('the call at src/engine.ts:10');
  });

  it('keeps the callers unknown when the callee is not declared with the type (the control)', () => {
    const untyped = engine('(appliers as Record<string, (db: unknown, o: string) => Promise<void>>)[type]!');
    const r = audit(untyped);
    expect(verdicts(r)).toEqual(['src/appliers.ts:5 unresolved']);
    expect(r.writeSites[0]!.evidence).toContain('`created` is passed around as a value');
  });

  it('leaves out a test file calling it on the pool, which says nothing of production', () => {
    const test = `
import { pool } from '../src/db.js';
import { created } from '../src/appliers.js';
export async function t(): Promise<void> { await created(pool, 'o'); }`;
    const r = audit(engine('manifest.appliers[type]!'), { 'test/appliers.test.ts': test });
    expect(verdicts(r).filter((v) => v.startsWith('src/'))).toEqual(['src/appliers.ts:5 org-scope via withOrgScope']);
  });
});
