import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditSync } from '../../src/walker/audit.js';
import { readExpectations, sourceFiles } from '../support/annotations.js';
import { itMatchesAnnotations } from '../support/annotated-cases.js';

// Fixture apps for the shapes of write sites (docs/report.md): writes on connections that
// cannot be traced, reads that are not sites, TRUNCATE, identifiers and builder callbacks,
// RLS switched on by code migrations. Annotated site by site; the expected report beside
// each app pins the rest (regenerate deliberately with UPDATE_FIXTURES=1).

const ROOT = path.resolve(import.meta.dirname, '../../fixtures/writes');
// _shared holds the migration the executor apps read (their configs point there); it is not an app.
const apps = fs
  .readdirSync(ROOT, { withFileTypes: true })
  .filter((d) => d.isDirectory() && !d.name.startsWith('_'))
  .map((d) => d.name)
  .sort();

describe.each(apps)('the %s write-shapes app', (name) => {
  const root = path.join(ROOT, name);
  const report = auditSync({ paths: [root], types: false, schemaSource: 'static' });
  const expectations = readExpectations(root, sourceFiles(root));

  itMatchesAnnotations(report, expectations);

  it('reports each annotated finding on its line', () => {
    for (const e of expectations.filter((x) => x.kind === 'finding')) {
      expect(report.findings.some((f) => f.file === e.file && f.line === e.line && f.ruleId === e.ruleId), `${e.ruleId} at ${e.file}:${e.line}`).toBe(true);
    }
  });

  it('matches the expected report committed beside the app', () => {
    const file = path.join(root, 'expected-report.json');
    const comparable = (r: { writeSites: unknown; findings: unknown; diagnostics: unknown }) => ({ writeSites: r.writeSites, findings: r.findings, diagnostics: r.diagnostics });
    if (process.env.UPDATE_FIXTURES === '1') fs.writeFileSync(file, `${JSON.stringify(comparable(report), null, 2)}\n`);
    expect(comparable(report)).toEqual(comparable(JSON.parse(fs.readFileSync(file, 'utf8'))));
  });
});
