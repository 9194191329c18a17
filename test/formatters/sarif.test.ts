import fs from 'node:fs';
import path from 'node:path';
import AjvDraft04 from 'ajv-draft-04';
import formats from 'ajv-formats';
import type { Log, Result } from 'sarif';
import { beforeAll, describe, expect, it } from 'vitest';
import { sarif } from '../../src/formatters/sarif.js';
import { applyBaseline, createBaseline } from '../../src/report/baseline.js';
import { exampleReport, options } from './example.js';

// The schema is the official OASIS SARIF 2.1.0 schema (errata 01, OASIS Standard), vendored
// verbatim from oasis-tcs/sarif-spec Schemata/sarif-schema-2.1.0.json. It is JSON Schema
// draft-04, hence ajv-draft-04.
const schema = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../schemas/sarif-schema-2.1.0.json'), 'utf8'));
// Both are CommonJS modules that also set `exports.default`, which is what NodeNext types them as.
const Ajv = AjvDraft04.default;
const addFormats = formats.default;
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(schema);

const resultAt = (log: Log, file: string, line: number): Result | undefined =>
  log.runs[0]!.results!.find((r) => r.locations?.[0]?.physicalLocation?.artifactLocation?.uri === file && r.locations[0].physicalLocation.region?.startLine === line);

describe('sarif formatter', () => {
  let log: Log;
  beforeAll(() => {
    log = JSON.parse(sarif(exampleReport(), options));
  });

  it('validates against the official SARIF 2.1.0 schema', () => {
    const ok = validate(log);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('is checked by a schema that does reject broken logs', () => {
    const broken = structuredClone(log);
    delete (broken.runs[0]!.tool as Partial<Log['runs'][0]['tool']>).driver;
    (broken.runs[0]!.results![0] as unknown as Record<string, unknown>).level = 'fatal';
    expect(validate(broken)).toBe(false);
  });

  it('has one run whose rules link to their docs', () => {
    expect(log.runs).toHaveLength(1);
    const rules = log.runs[0]!.tool.driver.rules!;
    expect(rules.map((r) => r.id)).toContain('no-unscoped-write');
    for (const r of rules) expect(r.helpUri).toMatch(new RegExp(`/docs/rules/${r.id}\\.md$`));
    for (const r of rules) expect(fs.existsSync(path.resolve(import.meta.dirname, `../../docs/rules/${r.id}.md`))).toBe(true);
  });

  it('reports every finding with its fingerprint, paths relative to the checkout', () => {
    const report = exampleReport();
    const open = log.runs[0]!.results!.filter((r) => !r.suppressions);
    expect(open).toHaveLength(report.findings.length);
    expect(open.map((r) => Object.values(r.partialFingerprints!)[0]).sort()).toEqual(report.findings.map((f) => f.fingerprint).sort());
    expect(open.every((r) => r.locations![0]!.physicalLocation!.artifactLocation!.uri!.match(/^fixtures\/example-app\/(src|db\/migrations)\//))).toBe(true);
    const rules = log.runs[0]!.tool.driver.rules!;
    for (const r of open) expect(rules[r.ruleIndex!]!.id).toBe(r.ruleId);
  });

  it('links the evidence: the migration line that gates the table and where the connection was made', () => {
    const r = resultAt(log, 'fixtures/example-app/src/services/notes.ts', 25)!;
    expect(r.ruleId).toBe('no-unscoped-write');
    const related = r.relatedLocations!.map((l) => `${l.physicalLocation!.artifactLocation!.uri}:${l.physicalLocation!.region!.startLine} ${l.message!.text}`);
    expect(related).toEqual([
      'fixtures/example-app/db/migrations/010_notes_and_webhooks.sql:3 RLS enabled on public.notes',
      'fixtures/example-app/src/db/pool.ts:3 runs on pg Pool created',
    ]);
  });

  it('links the call path of a helper write and the context set too late', () => {
    const helper = resultAt(log, 'fixtures/example-app/src/repositories/projects.ts', 15)!;
    expect(helper.relatedLocations![0]).toMatchObject({
      physicalLocation: { artifactLocation: { uri: 'fixtures/example-app/src/jobs/stale-projects.ts' }, region: { startLine: 8 } },
      message: { text: 'on the uncovered call path: archiveProject(pool, id)' },
    });
    const late = resultAt(log, 'fixtures/example-app/src/services/billing.ts', 64)!;
    expect(late.relatedLocations!.map((l) => l.message!.text)).toContain('set_config');
  });

  it('keeps suppressed findings, marked with their justification', () => {
    const r = resultAt(log, 'fixtures/example-app/src/jobs/retention.ts', 42)!;
    expect(r.suppressions).toEqual([{ kind: 'inSource', status: 'accepted', justification: 'backfill runs once under the migration role, which owns projects' }]);
  });

  it('marks findings hidden by a baseline as external suppressions', () => {
    const report = exampleReport();
    const baselined = applyBaseline(report, createBaseline(report.findings.slice(0, 2)), 'rls-guard.baseline.json');
    const withBaseline: Log = JSON.parse(sarif(baselined, options));
    expect(validate(withBaseline)).toBe(true);
    const external = withBaseline.runs[0]!.results!.filter((r) => r.suppressions?.[0]?.kind === 'external');
    expect(external).toHaveLength(2);
    expect(external[0]!.suppressions![0]!.justification).toContain('rls-guard.baseline.json');
  });
});
