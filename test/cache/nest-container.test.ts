import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { auditSync, type AuditOptions } from '../../src/walker/audit.js';
import { auditRun } from '../support/audit-run.js';
import { mergeReports } from '../../src/walker/merge.js';
import { untimed } from '../support/fixture-apps.js';
import { containerReach } from '../../src/cache/container-reach.js';

// A NestJS service's verdicts depend on the providers the container passes to its constructor, and those are declared
// in the modules that import the service (`providers: [{ provide: PG, useFactory: … }]`), which the module graph does
// not count among what the service depends on. A fixture app small enough that every re-audit crosses the 60 % share
// past which every file is analysed hides that: here the NestJS fixture is padded with unrelated files so that a
// re-audit of one service (with what it imports), or a shard, stays under it (src/cache/incremental.ts).

const FIXTURE = path.resolve(import.meta.dirname, '../../fixtures/ambient/nest-injected-wrapper');
const MIGRATIONS = path.resolve(import.meta.dirname, '../../fixtures/adapters/_shared/db/migrations');
const PADDING = 60;
const REPORTS = 'src/reports.service.ts';
const MODULE = 'src/database.module.ts';
const REPORTS_TEXT = [
  "import { Inject, Injectable } from '@nestjs/common';",
  "import type { Db, Sql } from './db.js';",
  "import { auditLogs } from './schema.js';",
  "import { DB_OVER, PG } from './tokens.js';",
  '',
  '@Injectable()',
  'export class ReportsService {',
  '  constructor(',
  '    @Inject(PG) private readonly sql: Sql,',
  '    @Inject(DB_OVER) private readonly makeDb: (client: Sql) => Db,',
  '  ) {}',
  '',
  '  async log(orgId: string): Promise<void> {',
  "    await this.makeDb(this.sql).insert(auditLogs).values({ orgId, action: 'report' });",
  '  }',
  '}',
  '',
].join('\n');

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const temp = (prefix: string): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};

/** A copy of the fixture with its migrations found from anywhere, and files that import nothing of it. */
function paddedCopy(): string {
  const app = path.join(temp('rls-guard-nest-container-'), 'app');
  fs.cpSync(FIXTURE, app, { recursive: true });
  fs.rmSync(path.join(app, 'expected-report.json'));
  const config = JSON.parse(fs.readFileSync(path.join(app, 'rls-guard.config.json'), 'utf8')) as { migrations: string[] };
  config.migrations = [MIGRATIONS];
  fs.writeFileSync(path.join(app, 'rls-guard.config.json'), JSON.stringify(config));
  // A service whose write runs on what the container injects under PG (a pool: unscoped), listed in the module.
  fs.writeFileSync(path.join(app, REPORTS), REPORTS_TEXT);
  const module = path.join(app, MODULE);
  fs.writeFileSync(
    module,
    `import { ReportsService } from './reports.service.js';\n${fs.readFileSync(module, 'utf8').replace('    Janitor,\n', '    Janitor,\n    ReportsService,\n')}`,
  );
  fs.mkdirSync(path.join(app, 'src/padding'));
  for (let i = 0; i < PADDING; i++)
    fs.writeFileSync(path.join(app, `src/padding/pad${i}.ts`), `export const pad${i} = (n: number): number => n + ${i};\n`);
  return app;
}

const run = auditRun;

const SERVICES: string[] = ['src/padding/pad0.ts', REPORTS, 'src/tenant-scope.service.ts', 'src/projects.repository.ts', 'src/janitor.service.ts', 'src/projects.controller.ts'];

describe('the NestJS container is part of what a service depends on', () => {
  it('a re-audit after one service is edited gives the cold report (the modules declaring its providers are read)', () => {
    const app = paddedCopy();
    const options: AuditOptions = { paths: [app], types: false, schemaSource: 'static' };
    const cache = temp('rls-guard-nest-container-cache-');
    const cold = run(options).report;
    // Not trivially empty: the providers decide verdicts here (PG is a pool: the service's write is unscoped).
    const sites = JSON.parse(cold).writeSites as { file: string; coverage: string }[];
    expect(sites.length).toBeGreaterThan(5);
    expect(sites.find((s) => s.file === REPORTS)?.coverage, JSON.stringify(JSON.parse(cold).findings.filter((f: { file: string }) => f.file === REPORTS))).toBe('unscoped');
    expect(run(options, cache).report).toBe(cold);
    for (const rel of SERVICES) {
      const file = path.join(app, rel);
      const text = fs.readFileSync(file, 'utf8');
      fs.writeFileSync(file, `${text}\n// edited\n`);
      const warm = run(options, cache);
      expect(warm.report, rel).toBe(cold);
      // A file the modules do not import is re-analysed with them and what they import, not with every file: the
      // narrow path is the one checked.
      if (rel.startsWith('src/padding/'))
        expect(warm.stats, rel).toMatchObject({ analysed: 1, reused: PADDING + 13, context: expect.any(Number) });
      if (rel.startsWith('src/padding/')) expect(warm.stats!.context).toBeLessThan(PADDING / 2);
      fs.writeFileSync(file, text);
    }
  });

  it('an edit of the module that declares the providers reaches the services it provides for', () => {
    const app = paddedCopy();
    const options: AuditOptions = { paths: [app], types: false, schemaSource: 'static' };
    const cache = temp('rls-guard-nest-container-cache-');
    const before = run(options, cache).report;
    const file = path.join(app, MODULE);
    const text = fs.readFileSync(file, 'utf8');
    // DB_OVER now builds its database over a pool of its own, not over the connection the scope helpers reserve.
    fs.writeFileSync(file, text.replace('{ provide: DB_OVER, useValue: dbOver }', '{ provide: DB_OVER, useValue: dbOnOwnPool }'));
    const warm = run(options, cache).report;
    const cold = run(options).report;
    expect(cold).not.toBe(before);
    expect(warm).toBe(cold);
  });

  it('shards of the padded app merge into the unsharded report', () => {
    const app = paddedCopy();
    const options: AuditOptions = { paths: [app], types: false, schemaSource: 'static' };
    const whole = run(options).report;
    for (const count of [2, 3, 5]) {
      const shards = Array.from({ length: count }, (_, i) => auditSync({ ...options, shard: { index: i + 1, count } }));
      const merged = mergeReports(shards.map((s, i) => ({ file: `shard-${i}.json`, report: JSON.parse(JSON.stringify(s)) })));
      expect(untimed(merged), `n = ${count}`).toBe(whole);
    }
  });
});

describe('containerReach', () => {
  it('names what provider literals name, through local declarations, not every service the module lists', () => {
    const text = [
      "import { Module } from '@nestjs/common';",
      "import { ServiceA } from './a.service';",
      "import { ServiceB } from './b.service';",
      "import { openPool } from './db';",
      "import { Repo } from './repo';",
      "import { TOKEN } from './tokens';",
      'const makeRepo = (pool: unknown) => new Repo(pool);',
      '@Module({',
      '  providers: [ServiceA, ServiceB, { provide: TOKEN, useFactory: () => makeRepo(openPool(process.env.URL)) }],',
      '})',
      'export class AppModule {}',
    ].join('\n');
    expect(containerReach('/x/app.module.ts', text)).toEqual(['./db', './repo', './tokens']);
  });

  it('reads a literal built in a function with the whole statement, and a listener or cls file whole', () => {
    const inFunction = [
      "import { helper } from './helper';",
      "import { TOKEN } from './tokens';",
      'export function providers() { const f = helper; return [{ provide: TOKEN, useFactory: f }]; }',
    ].join('\n');
    expect(containerReach('/x/p.ts', inFunction)).toEqual(['./helper', './tokens']);
    expect(containerReach('/x/l.ts', "import { OnEvent } from '@nestjs/event-emitter';\n")).toBe('*');
    expect(containerReach('/x/c.ts', "import { ClsModule } from 'nestjs-cls';\n")).toBe('*');
  });
});

describe('a program whose container holds nothing', () => {
  // A service injected by token with no provider anywhere asks the container and finds nothing: no file is needed as
  // its context (signacare's pending scripts were re-audited with 149 such files, docs/performance.md), but a new file
  // that declares the provider must still reach its verdict.
  const SERVICE = [
    "import { Inject, Injectable } from '@nestjs/common';",
    "import type { Sql } from 'postgres';",
    '@Injectable()',
    'export class NotesService {',
    "  constructor(@Inject('SQL') private readonly sql: Sql) {}",
    '  async add(orgId: string): Promise<void> {',
    "    await this.sql`INSERT INTO audit_logs (org_id, action) VALUES (${orgId}, 'note')`;",
    '  }',
    '}',
    '',
  ].join('\n');
  const MODULE_TEXT = [
    "import postgres from 'postgres';",
    "import { NotesService } from './notes.service.js';",
    "const adminSql = postgres(process.env.ADMIN_DATABASE_URL ?? '');",
    "export const providers = [NotesService, { provide: 'SQL', useValue: adminSql }];",
    '',
  ].join('\n');

  function app(): string {
    const dir = path.join(temp('rls-guard-empty-container-'), 'app');
    fs.mkdirSync(path.join(dir, 'src/padding'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ dependencies: { postgres: '3' } }));
    fs.writeFileSync(path.join(dir, 'rls-guard.config.json'), JSON.stringify({ migrations: [MIGRATIONS] }));
    fs.writeFileSync(path.join(dir, 'src/notes.service.ts'), SERVICE);
    // A container word in a comment only: a file the container may be read from, holding nothing it reads.
    fs.writeFileSync(path.join(dir, 'src/words.ts'), '// we provide nothing here\nexport const words = 1;\n');
    for (let i = 0; i < PADDING; i++)
      fs.writeFileSync(path.join(dir, `src/padding/pad${i}.ts`), `export const pad${i} = (n: number): number => n + ${i};\n`);
    return dir;
  }

  it('re-audits the service without the container files, and a provider added later reaches it', () => {
    const dir = app();
    const options: AuditOptions = { paths: [dir], types: false, schemaSource: 'static' };
    const cache = temp('rls-guard-empty-container-cache-');
    const before = run(options, cache).report;
    const service = path.join(dir, 'src/notes.service.ts');
    fs.writeFileSync(service, `${SERVICE}// edited\n`);
    const warm = run(options, cache);
    expect(warm.report).toBe(run(options).report);
    // words.ts is not brought in: the container held nothing and nothing that may declare providers changed.
    expect(warm.stats).toMatchObject({ analysed: 1, context: 0 });
    // The provider appears in a new file: the service's cached result must not survive it.
    fs.writeFileSync(path.join(dir, 'src/app.module.ts'), MODULE_TEXT);
    const warmAfter = run(options, cache).report;
    const coldAfter = run(options).report;
    expect(coldAfter).not.toBe(before);
    expect(warmAfter).toBe(coldAfter);
  });
});
