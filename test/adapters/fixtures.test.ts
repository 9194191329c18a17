import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditSync } from '../../src/walker/audit.js';
import { readExpectations, sourceFiles } from '../support/annotations.js';
import { itMatchesAnnotations } from '../support/annotated-cases.js';

// One fixture app per database library, each annotated site by site (`// expect: …`): the
// walker must give every annotated verdict, find nothing on decoy lines, and find no site
// that is not annotated. The expected report beside each app pins the rest.

const ADAPTERS = path.resolve(import.meta.dirname, '../../fixtures/adapters');
// _shared holds the migration every app reads (its config points there); it is not an app.
const apps = fs.readdirSync(ADAPTERS, { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.startsWith('_')).map((d) => d.name).sort();

describe.each(apps)('the %s fixture app', (name) => {
  const root = path.join(ADAPTERS, name);
  const report = auditSync({ paths: [root], types: false, schemaSource: 'static' });
  const expectations = readExpectations(root, sourceFiles(root));

  it('covers covered, unscoped, admin and decoy cases', () => {
    const coverages = new Set(expectations.filter((e) => e.kind === 'site').map((e) => e.coverage));
    for (const c of ['org-scope', 'unscoped', 'admin-pool']) expect(coverages, c).toContain(c);
    expect(expectations.some((e) => e.kind === 'none')).toBe(true);
  });

  itMatchesAnnotations(report, expectations);

  it('attributes every site to the library', () => {
    for (const s of report.writeSites) expect(s.api, `${s.file}:${s.line}`).toBe(name);
  });

  it('matches the expected report committed beside the app', () => {
    const file = path.join(root, 'expected-report.json');
    const comparable = (r: { writeSites: unknown; findings: unknown }) => ({ writeSites: r.writeSites, findings: r.findings });
    const committed = JSON.parse(fs.readFileSync(file, 'utf8'));
    // UPDATE_EXPECTED=1 rewrites the file (review its diff: only intended changes may land).
    if (process.env.UPDATE_EXPECTED)
      fs.writeFileSync(file, `${JSON.stringify({ ...committed, ...comparable(report) }, null, 2)}\n`);
    expect(comparable(report)).toEqual(comparable(JSON.parse(fs.readFileSync(file, 'utf8'))));
  });
});
