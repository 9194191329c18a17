import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditSync } from '../../src/walker/audit.js';
import { annotatedVerdicts, readExpectations, sourceFiles } from '../support/annotations.js';
import { fixtureVariant } from '../support/project.js';

// AgConnect's shapes (docs/real-world.md, agconn30): per-area Prisma pools behind a Proxy whose `get` trap makes each
// key's client on first read through a cache, and a second Proxy, one per area, that runs every operation (and every
// `$transaction(fn)`) in a short transaction of its own after applying an AsyncLocalStorage's scope to it with
// set_config; a Hono middleware stores that client in `c.var.db` and enters the scope around `next()`.

const APP = path.resolve(import.meta.dirname, '../../fixtures/precision/keyed-rls-proxy');

function auditOf(root: string) {
  return auditSync({ paths: [root], types: false, schemaSource: 'static' });
}

/** The fixture app copied with one file's text replaced. */
const variant = (file: string, from: string, to: string): string => fixtureVariant(APP, [[file, from, to]]);

const at = (report: ReturnType<typeof auditOf>, line: number) =>
  report.writeSites.find((s) => s.file === 'src/app.ts' && s.line === line)!;

describe('a Proxy of per-key clients, and a Proxy that applies a stored scope to each operation', () => {
  const report = auditOf(APP);

  it('gives every annotated verdict', () => {
    const { actual, wanted } = annotatedVerdicts(report, readExpectations(APP, sourceFiles(APP)));
    expect(wanted.length).toBe(7);
    expect(actual).toEqual(wanted);
  });

  it('names the keyed Proxy, its factory, the store, who entered it and what the setter sets', () => {
    const e = at(report, 28).evidence;
    expect(e).toContain('the client for every key of the Proxy made at src/rls.ts:71');
    expect(e).toContain('makes it by `scopedClient(base)`');
    expect(e).toContain('`scopes` was entered at src/app.ts:12');
    expect(e).toContain(
      'after `applyScope(tx, scope)` (src/rls.ts:31) sets app.role, app.tenant_id from what the AsyncLocalStorage ' +
        '`scopes` (src/rls.ts:10) holds',
    );
    expect(at(report, 60).evidence).toContain(
      'the client for every key of the Proxy made at src/pools.ts:22 (its `get` trap at src/pools.ts:23 through ' +
        '`poolFor` makes it by `openPool(area, LIMITS[area])`)',
    );
  });

  it('says the scope is skipped where nothing entered the store, and which setting a policy misses', () => {
    expect(at(report, 45).evidence).toContain('nothing on this path entered `scopes`');
    expect(at(report, 45).evidence).toContain('with nothing set: the AsyncLocalStorage `scopes` (src/rls.ts:10) ' +
      'holds nothing, so `scope` at src/rls.ts:31 skips `applyScope`');
    expect(at(report, 39).evidence).toContain('the policies on public.notices read app.org_id');
  });

  it('does not read a Proxy one of whose transactions skips the scope (fail closed)', () => {
    const dir = variant(
      'src/rls.ts',
      '              const scope = scopes.getStore();\n              if (scope) await applyScope(tx, scope);\n',
      '',
    );
    const r = auditOf(dir);
    expect(at(r, 28).coverage).toBe('unresolved');
    expect(at(r, 31).coverage).toBe('unresolved');
    // The per-key pools are still read: the job's write on one is unscoped, not untraced.
    expect(at(r, 60).coverage).toBe('unscoped');
  });

  it('does not read a cache that holds anything but what the trap made', () => {
    const dir = variant('src/pools.ts', '    opened[area] = client;', '    opened[area] = openPool(area, 1);');
    const r = auditOf(dir);
    expect(at(r, 60).coverage).toBe('unresolved');
    expect(at(r, 60).evidence).toContain('cannot read `jobs` of `new Proxy(');
    // The scoping Proxy over it is read, but not the client it opens its transactions on.
    expect(at(r, 28).coverage).toBe('unresolved');
    expect(at(r, 28).evidence).toContain('(the client the Proxy made at src/rls.ts:24 runs on)');
  });
});
