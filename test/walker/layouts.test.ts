import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AuditOptions, auditSync } from '../../src/walker/audit.js';
import { readExpectations, sourceFiles } from '../support/annotations.js';
import { itMatchesAnnotations } from '../support/annotated-cases.js';

// Fixture apps laid out the way real repositories are (workspaces, path aliases, forks,
// Prisma in a sub-package, a config outside the tree). Each is annotated site by site; the
// expected report beside it pins the rest. Regenerate one with UPDATE_LAYOUTS=1.

const LAYOUTS = path.resolve(import.meta.dirname, '../../fixtures/layouts');
export const layoutApps = fs.readdirSync(LAYOUTS, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

/** How each app is audited: most from their own folder; one through a config kept outside it. */
export function layoutAudit(name: string): AuditOptions & { paths: string[] } {
  const root = path.join(LAYOUTS, name);
  const outside = path.join(root, 'audit-root');
  if (fs.existsSync(outside)) return { paths: [outside], configFile: path.join(root, 'outside-config', 'rls-guard.config.json'), types: false, schemaSource: 'static' };
  // A schema TypeORM's synchronize makes is gated by a DO block over information_schema: only the replay runs it.
  return { paths: [root], types: false, schemaSource: REPLAYED.has(name) ? 'replay' : 'static' };
}

const REPLAYED = new Set(['typeorm-synchronize']);

describe.each(layoutApps)('the %s layout', (name) => {
  const options = layoutAudit(name);
  const root = options.paths[0]!;
  const report = auditSync(options);
  const expectations = readExpectations(root, sourceFiles(root));

  it('has annotated sites, including covered and unscoped ones', () => {
    const coverages = new Set(expectations.filter((e) => e.kind === 'site').map((e) => e.coverage));
    expect(coverages.size).toBeGreaterThan(1);
    expect(coverages).toContain('unscoped');
  });

  itMatchesAnnotations(report, expectations);

  it('matches the expected report committed beside the app', () => {
    const file = path.join(LAYOUTS, name, 'expected-report.json');
    const pinned = { gatedTables: report.schema.gatedTables, writeSites: report.writeSites, findings: report.findings };
    if (process.env.UPDATE_LAYOUTS) fs.writeFileSync(file, `${JSON.stringify(pinned, null, 2)}\n`);
    expect(pinned).toEqual(JSON.parse(fs.readFileSync(file, 'utf8')));
  });
});
