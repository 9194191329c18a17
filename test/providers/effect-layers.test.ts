import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditSync } from '../../src/walker/audit.js';
import { annotatedVerdicts, readExpectations, sourceFiles } from '../support/annotations.js';

// Effect's services (fixtures/precision/effect-services): `const sqlClient = yield* TenantSql` reads the value the
// program's Layers provide for the Tag, so `sqlClient.query((db) => …)` is judged in the provider's `query`
// (providers/effect-layers.ts). latitude-llm's repositories have this shape (docs/real-world.md, effect35).

const ROOT = path.resolve(import.meta.dirname, '../../fixtures/precision/effect-services');

describe('a `yield* Tag` of Effect read as the value its Layer provides', () => {
  const report = auditSync({ paths: [ROOT], types: false, schemaSource: 'static' });
  const site = (line: number) => report.writeSites.find((s) => s.file === 'src/repositories/invoices.ts' && s.line === line)!;

  it('gives every annotated verdict', () => {
    const { actual, wanted } = annotatedVerdicts(report, readExpectations(ROOT, sourceFiles(ROOT)));
    expect(wanted.length).toBe(8);
    expect(actual).toEqual(wanted);
  });

  it('judges the callback in the one provider outside tests, naming it', () => {
    // The fake layer made in src/testing/ is called only from a test: not a second provider.
    expect(site(9).coverage).toBe('org-scope');
    expect(site(9).evidence).toContain('`TenantSql` provided by Layer.effect at src/layers.ts:8');
    expect(site(16).coverage).toBe('unscoped');
    expect(site(16).evidence).toContain('fn(db)');
  });

  it('reads `yield* f()` as what the effect f returns yields', () => {
    expect(site(44).coverage).toBe('org-scope');
    expect(site(44).evidence).toContain('reached through what `resolveTenantSql()` (src/repositories/invoices.ts:42) ' +
      'yields ← `TenantSql` provided by Layer.effect at src/layers.ts:8');
  });

  it('reads an `Effect.Service` class as a Tag whose options provide it', () => {
    const billing = (line: number) =>
      report.writeSites.find((s) => s.file === 'src/repositories/billing.ts' && s.line === line)!;
    expect(billing(9).coverage).toBe('org-scope');
    expect(billing(9).evidence).toContain('`BillingSql` provided by Effect.Service<BillingSql>() at src/billing.ts:6');
    expect(billing(16).coverage).toBe('unscoped');
  });

  it('leaves a Tag with several providers, or none, unresolved and says which', () => {
    expect(site(24).evidence).toContain(
      'the Effect service `ReportSql` has 2 providers (Layer.succeed at src/layers.ts:27, Layer.succeed at ' +
        'src/layers.ts:36)',
    );
    expect(site(30).evidence).toContain('no Layer of the program provides the Effect service `LedgerSql`');
  });

  it('names the `yield*` a transaction held across the Layer\'s methods comes from', () => {
    // `held = yield* Effect.tryPromise({ try: () => ready })`: a transaction another callback resolves a Promise with.
    const work = report.writeSites.find((s) => s.file === 'src/repositories/work.ts')!;
    expect(work.coverage).toBe('unresolved');
    expect(work.evidence).toContain('fn(current) where the connection that runs this write cannot be traced: `current` is ' +
      'what `yield* Effect.tryPromise({ try: () => ready, c…` (src/held.ts:36) gives inside a generator');
    // No "scopeHelpers" entry can name an object's method (unres36): the reason says what accepts the write instead.
    expect(work.evidence).toMatch(/; `query` is a method of an object, which no "scopeHelpers" entry can name \(it would /);
    expect(work.evidence).toContain('accept the write with `// rls-guard-ignore-next-line no-unresolved-write -- <why>`');
  });
});
