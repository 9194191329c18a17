import fs from 'node:fs';
import path from 'node:path';
import type { AuditOptions } from '../../src/walker/audit.js';

// Every fixture app, and how it is audited: most from their own folder; the one whose
// config is kept outside its tree (layouts/outside-config) through that config.

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures');
const SINGLE = ['example-app', 'rule-tester', 'deploy', 'writes/shapes'];
const FAMILIES = ['adapters', 'ambient', 'context', 'layouts', 'precision', 'providers'];

export interface FixtureApp {
  name: string;
  options: AuditOptions & { paths: string[] };
}

export function fixtureApps(): FixtureApp[] {
  const names = [...SINGLE, ...FAMILIES.flatMap((family) => fs.readdirSync(path.join(FIXTURES, family), { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.startsWith('_')).map((d) => `${family}/${d.name}`))];
  return names.sort().map((name) => {
    const root = path.join(FIXTURES, name);
    const outside = path.join(root, 'audit-root');
    if (fs.existsSync(outside)) return { name, options: { paths: [outside], configFile: path.join(root, 'outside-config', 'rls-guard.config.json'), types: false, schemaSource: 'static' } };
    return { name, options: { paths: [root], types: false, schemaSource: 'static' } };
  });
}

/** A report as JSON with its timing left out: two audits that agree give the same text. */
export function untimed(report: object): string {
  const r = JSON.parse(JSON.stringify(report)) as { summary: { durationMs: number }; partial?: unknown };
  r.summary.durationMs = 0;
  delete r.partial;
  return JSON.stringify(r, null, 1);
}
