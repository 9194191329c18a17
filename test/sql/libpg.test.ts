import { describe, expect, it } from 'vitest';
import * as pkg from 'libpg-query';
import { libpgLoaded, parsePlPgSQLSync, parseSync, scanSync } from '../../src/sql/libpg.js';

// src/sql/libpg.ts instantiates libpg-query's WebAssembly synchronously and calls it as the package's own
// synchronous wrappers do: every answer (trees, tokens, errors and their positions) must be the package's.

const queries = [
  'select 1',
  'INSERT INTO orders (id, org_id) VALUES ($1, $2) RETURNING *',
  "update \"LedgerEntries\" set note = 'é ✓ ''x''' where id = $1; delete from t",
  "SELECT set_config('app.org_id', $1, true)",
  'CREATE POLICY p ON t USING (org_id = current_setting($$app.org$$)::uuid)',
  'select from where', // a syntax error
  'insert into t values (', // cut short
  'select 1; -- ✓ comment\nselect 2 /* block */',
];

function outcome(fn: () => unknown): unknown {
  try {
    return { ok: fn() };
  } catch (error) {
    const e = error as Error & { sqlDetails?: unknown };
    return { error: e.message, details: e.sqlDetails };
  }
}

describe('libpg-query loaded synchronously (src/sql/libpg.ts)', () => {
  it('is not loaded before its first use', () => {
    expect(libpgLoaded()).toBe(false);
  });

  it('parses and scans as the package does, errors included', async () => {
    await pkg.loadModule();
    for (const q of queries) {
      expect(outcome(() => parseSync(q))).toEqual(outcome(() => pkg.parseSync(q)));
      expect(outcome(() => scanSync(q))).toEqual(outcome(() => pkg.scanSync(q)));
    }
    expect(libpgLoaded()).toBe(true);
    expect(outcome(() => parseSync(''))).toEqual(outcome(() => pkg.parseSync('')));
    const fn = 'CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN PERFORM 1; END $$';
    expect(outcome(() => parsePlPgSQLSync(fn))).toEqual(outcome(() => pkg.parsePlPgSQLSync(fn)));
    const bad = 'CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN PERFORM ; END $$';
    expect(outcome(() => parsePlPgSQLSync(bad))).toEqual(outcome(() => pkg.parsePlPgSQLSync(bad)));
  });
});

describe('the libpg-query version', () => {
  it('is pinned exactly: the wrappers call one version\'s WebAssembly exports, and a user\'s install must get that one', async () => {
    const fs = await import('node:fs');
    const manifest = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const installed = JSON.parse(
      fs.readFileSync(new URL('../../node_modules/libpg-query/package.json', import.meta.url), 'utf8'),
    ) as { version: string };
    expect(manifest.dependencies['libpg-query']).toBe(installed.version);
  });
});
