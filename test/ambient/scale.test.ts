import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { generateAmbientApp } from '../../bench/ambient.js';
import { Reach } from '../../src/analysis/ambient/reach.js';
import { auditSync } from '../../src/walker/audit.js';

// Reachability is one fact per function: four times the routes is about four times the
// work, not sixteen (a root-by-root walk of the shared helper chain would be quadratic).

function contextsComputed(routes: number): { computed: number; sites: number; evidence: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-ambient-scale-'));
  generateAmbientApp(dir, routes);
  const spy = vi.spyOn(Reach.prototype as unknown as { compute: () => unknown }, 'compute');
  try {
    const report = auditSync({ paths: [dir], types: false, schemaSource: 'static' });
    return { computed: spy.mock.calls.length, sites: report.writeSites.length, evidence: report.writeSites[0]!.evidence };
  } finally {
    spy.mockRestore();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('ambient reachability cost', () => {
  it('grows linearly with the number of routes sharing a helper chain', () => {
    const small = contextsComputed(100);
    const large = contextsComputed(400);
    console.log(`ambient contexts computed: ${small.computed} for 100 routes, ${large.computed} for 400`);
    expect(large.sites).toBe(small.sites);
    expect(small.computed).toBeGreaterThanOrEqual(100);
    expect(large.computed / small.computed).toBeLessThan(4.5);
    // Past the evidence cap, the count says so.
    expect(large.evidence).toMatch(/org-scope from at least 64 routes \(e\.g\. the route [^)]+\)\) where `mw` enters `als` \(src\/context\.ts:6\)$/);
  }, 120_000);
});

describe('middleware that hand next() down a chain of functions', () => {
  // Each middleware's entries are computed once (memoised per function), so a chain of K
  // functions each handing `next` to the next costs about K, whatever the number of routes.
  function chainCost(k: number): { calls: number; verdicts: string[] } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-ambient-chain-'));
    const mws = Array.from({ length: k }, (_, i) =>
      i === k - 1
        ? `function mw${i}(req: any, res: any, next: any) { void withOrgScope(req, pool, 'o', (tx) => store.run({ tx }, () => next())); }`
        : `function mw${i}(req: any, res: any, next: any) { if (req.bad) return next(new Error('x')); mw${i + 1}(req, res, (err?: unknown) => { if (err) return next(err); next(); }); }`,
    );
    const routes = Array.from({ length: 20 }, (_, i) => `app.post('/r${i}', async () => { await db().query('DELETE FROM projects'); });`);
    fs.mkdirSync(path.join(dir, 'src'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'db/migrations'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), '{"name":"chain","private":true}');
    fs.writeFileSync(path.join(dir, 'db/migrations/001.sql'), 'CREATE TABLE projects (id uuid PRIMARY KEY, org_id uuid NOT NULL);\nALTER TABLE projects ENABLE ROW LEVEL SECURITY;\nCREATE POLICY p ON projects USING (org_id = current_setting(\'app.current_org_id\')::uuid);\n');
    fs.writeFileSync(
      path.join(dir, 'src/app.ts'),
      `import express from 'express';
import { AsyncLocalStorage } from 'node:async_hooks';
import { Pool } from 'pg';
import { withOrgScope } from '@acme/tenancy';
const pool = new Pool();
const store = new AsyncLocalStorage<{ tx: any }>();
const db = () => store.getStore()?.tx ?? pool;
const app = express();
${mws.join('\n')}
app.use(mw0);
${routes.join('\n')}
`,
    );
    const spy = vi.spyOn(Reach.prototype as unknown as { nextEntries: () => unknown }, 'nextEntries');
    try {
      const report = auditSync({ paths: [dir], types: false, schemaSource: 'static' });
      return { calls: spy.mock.calls.length, verdicts: [...new Set(report.writeSites.map((s) => s.coverage))] };
    } finally {
      spy.mockRestore();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  it('costs about the chain length, and the routes behind it are org-scoped', () => {
    const small = chainCost(25);
    const large = chainCost(100);
    console.log(`nextEntries calls: ${small.calls} for a chain of 25, ${large.calls} for 100`);
    expect(small.verdicts).toEqual(['org-scope']);
    expect(large.verdicts).toEqual(['org-scope']);
    expect(large.calls / small.calls).toBeLessThan(4.5);
  }, 120_000);
});
