import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AuditOptions } from '../../src/walker/audit.js';
import { auditRun } from '../support/audit-run.js';

// A repository's write through `yield* TenantSql` is judged in the Layer that provides the Tag (providers/
// effect-layers.ts), in a file the repository does not import: like the NestJS container, the files that provide
// Effect services are part of what every file that read them depends on (cache/graph.ts CONTAINER). The fixture is
// padded so that a re-audit of one file stays under the share past which every file is analysed anyway.

const FIXTURE = path.resolve(import.meta.dirname, '../../fixtures/precision/effect-services');
const PADDING = 60;
const REPO = 'src/repositories/invoices.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function paddedCopy(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-effect-layers-'));
  dirs.push(root);
  const app = path.join(root, 'app');
  fs.cpSync(FIXTURE, app, { recursive: true });
  // No file imports the layers: what ties the repository to them is the Tag alone.
  fs.rmSync(path.join(app, 'src/main.ts'));
  fs.mkdirSync(path.join(app, 'src/padding'));
  for (let i = 0; i < PADDING; i++)
    fs.writeFileSync(path.join(app, `src/padding/pad${i}.ts`), `export const pad${i} = (n: number): number => n + ${i};\n`);
  return app;
}

describe('the files providing Effect services are part of what a file reading them depends on', () => {
  it('an edit of the Layer reaches the repository that reads its Tag', () => {
    const app = paddedCopy();
    const options: AuditOptions = { paths: [app], types: false, schemaSource: 'static' };
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-effect-layers-cache-'));
    dirs.push(cache);
    const before = auditRun(options, cache).report;
    const coverage = (report: string) =>
      (JSON.parse(report).writeSites as { file: string; line: number; coverage: string }[])
        .find((s) => s.file === REPO && s.line === 9)?.coverage;
    expect(coverage(before)).toBe('org-scope');
    const file = path.join(app, 'src/layers.ts');
    const text = fs.readFileSync(file, 'utf8');
    // TenantSql's provider no longer sets the org before it runs the callback.
    fs.writeFileSync(file, text.replace("await tx.execute(sql`select set_config('app.org_id', ${orgId}, true)`);\n              return fn(tx);", 'return fn(tx);'));
    const warm = auditRun(options, cache);
    const cold = auditRun(options).report;
    expect(coverage(cold)).toBe('unscoped');
    expect(warm.report).toBe(cold);
    // Re-analysed with the files it depends on, not with every file.
    expect(warm.stats!.context).toBeLessThan(PADDING / 2);
  });
});
