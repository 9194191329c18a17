// npm run bench [-- --files N] [-- --write]
// Generates a synthetic multi-tenant codebase (services, repositories, helpers, SQL
// constants, decoys), then measures: the floor (reading and parsing every file once) and
// the full audit (parse + analysis + report), with peak memory.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseSource } from '../src/analysis/source-host.js';
import { loadConfig } from '../src/config/load.js';
import { readMigrations, replayed } from '../src/schema/load.js';
import { replayMigrations } from '../src/schema/replay.js';
import { auditSync } from '../src/walker/audit.js';
import { generateAmbientApp } from './ambient.js';

const args = process.argv.slice(2);
const files = Number(args[args.indexOf('--files') + 1]) || 2000;
const write = args.includes('--write');

const MIGRATION = `
CREATE TABLE audit_logs (id bigserial PRIMARY KEY, org_id uuid NOT NULL, action text);
ALTER TABLE audit_logs ENABLE ROW LEVEL SECURITY;
CREATE POLICY a ON audit_logs USING (org_id = current_setting('app.current_org_id', true)::uuid);
CREATE TABLE projects (id uuid PRIMARY KEY, org_id uuid NOT NULL, name text);
ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
CREATE POLICY p ON projects USING (org_id = current_setting('app.current_org_id', true)::uuid);
`;

function service(i: number): string {
  const lines: string[] = [
    `import type { PoolClient } from 'pg';`,
    `import { pool } from '../db/pool';`,
    `import { withOrgScope } from '../db/scope';`,
    `import { INSERT_AUDIT } from '../db/queries';`,
    ``,
    `export interface Item${i} { id: string; name: string; tags: string[] }`,
    ``,
  ];
  for (let f = 0; f < 12; f++) {
    lines.push(
      `export async function op${i}_${f}(ctx: unknown, orgId: string, items: Item${i}[]): Promise<number> {`,
      `  const names = items.map((it) => it.name.trim().toLowerCase()).filter((n) => n.length > 0);`,
      `  if (names.length === 0) return 0;`,
      `  let total = 0;`,
      `  for (const n of names) { total += n.length; }`,
      `  await withOrgScope(ctx, pool, orgId, async (tx) => {`,
      `    await tx.query(INSERT_AUDIT, [orgId, 'op${f}']);`,
      `    await write${i}_${f}(tx, orgId, names);`,
      `  });`,
      `  const { rows } = await pool.query('SELECT id FROM projects WHERE org_id = $1', [orgId]);`,
      `  return total + rows.length;`,
      `}`,
      ``,
      `async function write${i}_${f}(client: PoolClient, orgId: string, names: string[]): Promise<void> {`,
      `  for (const name of names) {`,
      `    await client.query('UPDATE projects SET name = $2 WHERE org_id = $1', [orgId, name]);`,
      `  }`,
      `}`,
      ``,
    );
  }
  // Most of a real codebase never touches the database: plain logic around the writes.
  for (let u = 0; u < 36; u++) {
    lines.push(
      `export function util${i}_${u}(input: Item${i}[], limit = ${u + 1}): Map<string, number> {`,
      `  const out = new Map<string, number>();`,
      `  for (const item of input.slice(0, limit)) {`,
      `    const key = item.tags.length > 0 ? item.tags.join(':') : item.id;`,
      `    out.set(key, (out.get(key) ?? 0) + item.name.length * ${u});`,
      `  }`,
      `  return out;`,
      `}`,
      ``,
    );
  }
  return `${lines.join('\n')}\n`;
}

function generate(dir: string): number {
  const put = (file: string, text: string): number => {
    const abs = path.join(dir, file);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, text);
    return text.split('\n').length;
  };
  let loc = 0;
  loc += put('package.json', '{"name":"bench","private":true}');
  loc += put('db/migrations/001.sql', MIGRATION);
  loc += put('src/db/pool.ts', `import { Pool } from 'pg';\nexport const pool = new Pool();\n`);
  loc += put('src/db/queries.ts', `export const INSERT_AUDIT = 'INSERT INTO audit_logs (org_id, action) VALUES ($1, $2)';\n`);
  for (let i = 0; i < files; i++) loc += put(`src/services/s${Math.floor(i / 100)}/service${i}.ts`, service(i));
  return loc;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-bench-'));
const loc = generate(dir);
const sources = fs.readdirSync(path.join(dir, 'src/services'), { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => path.join(d.parentPath, d.name));

let t = performance.now();
for (const f of sources) parseSource(f, fs.readFileSync(f, 'utf8'));
const floorMs = performance.now() - t;

// The code analysis alone: the schema source is measured apart below.
t = performance.now();
const report = auditSync({ paths: [dir], types: false, schemaSource: 'static' });
const auditMs = performance.now() - t;
const rssMb = process.memoryUsage().rss / 2 ** 20;

// The embedded replay of the example app's migrations: cold (PGlite boots, every statement
// runs, the catalog is read) and cached (the hash of the migrations finds the last replay).
const example = path.resolve(import.meta.dirname, '../fixtures/example-app');
const migrations = readMigrations(example, loadConfig({ start: example }).config).files;
t = performance.now();
await replayMigrations(migrations);
const replayColdMs = performance.now() - t;
replayed(example, migrations); // make sure the cache holds it
t = performance.now();
replayed(example, migrations);
const replayCachedMs = performance.now() - t;

// Ambient writes settled per root: 2,000 routes behind a store-entering middleware.
const ambientDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-bench-ambient-'));
generateAmbientApp(ambientDir, 2000);
t = performance.now();
const ambientReport = auditSync({ paths: [ambientDir], types: false, schemaSource: 'static' });
const ambientMs = performance.now() - t;
fs.rmSync(ambientDir, { recursive: true, force: true });

const result = {
  date: new Date().toISOString().slice(0, 10),
  node: process.version,
  cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}`,
  files: report.summary.files,
  kloc: Math.round(loc / 1000),
  writeSites: report.summary.writeSites,
  floorParseMs: Math.round(floorMs),
  auditMs: Math.round(auditMs),
  rssMb: Math.round(rssMb),
  migrationFiles: migrations.length,
  replayColdMs: Math.round(replayColdMs),
  replayCachedMs: Math.round(replayCachedMs * 10) / 10,
  ambientRoutes: 2000,
  ambientWriteSites: ambientReport.summary.writeSites,
  ambientAuditMs: Math.round(ambientMs),
};
console.log(JSON.stringify(result, null, 2));
if (args.includes('--keep')) console.log(`kept ${dir}`);
else fs.rmSync(dir, { recursive: true, force: true });

if (write) {
  const docs = path.resolve(import.meta.dirname, '../docs/performance.md');
  const row = `| ${result.date} | ${result.node} | ${result.files} | ${result.kloc} | ${result.writeSites} | ${result.floorParseMs} | ${result.auditMs} | ${result.rssMb} | ${result.replayColdMs} | ${result.replayCachedMs} |`;
  const text = fs.readFileSync(docs, 'utf8');
  fs.writeFileSync(docs, text.replace('<!-- bench rows -->', `<!-- bench rows -->\n${row}`));
  console.log(`appended to ${docs}`);
}
