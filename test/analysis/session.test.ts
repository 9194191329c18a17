import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { analyze, type CoreResult } from '../../src/analysis/index.js';
import { resolveAnalysisConfig } from '../../src/analysis/config.js';
import { AnalysisSession } from '../../src/analysis/session.js';
import { type KeptCallerIndex, lastCallerIndex } from '../../src/analysis/caller-index.js';
import { freshCallerIndex } from '../../src/analysis/program.js';
import { lastRoutesWork, lastScanWork } from '../../src/analysis/roots/entry-points.js';
import type ts from 'typescript';
import { FileSystemSourceHost } from '../../src/code/source-host.js';
import { loadConfig } from '../../src/config/load.js';
import { parseSource } from '../../src/files/source.js';
import { loadModel } from '../../src/schema/load.js';
import { WITH_ORG_SCOPE_TS } from '../support/scope-helper-text.js';

// The analysis session (src/analysis/session.ts) keeps facts between analyses and re-analyses
// only the files an edit can have changed. It must never change a verdict: after every edit
// of a random sequence, the session's findings and sites equal a fresh analysis of the same
// files. The edits are the ones whose effect crosses functions and files: a write inserted or
// deleted, a set_config line added or removed, a helper that changes the table it writes or
// sets the context itself, a caller that passes the pool instead of the scoped client, and a
// function in the edited file whose return value a file importing it writes through; and
// edits that change nothing another file reads (a comment line, a local variable), after
// which files importing the edited one keep their facts when they never read it and are
// analysed again when they did (their facts hold nodes of the old text, its lines).

interface Fn {
  /** 'pool': writes on the pool; 'manual': checks out a client, BEGIN, optional set_config, write, COMMIT; 'scoped': inside withOrg; 'helper': calls a helper. */
  kind: 'pool' | 'manual' | 'scoped' | 'helper';
  setConfig: boolean;
  table: 'items' | 'notes';
  helper: number;
  onPool: boolean;
}

interface State {
  service: Fn[];
  /** Comment lines at the top of service.ts's functions, and locals declared in the helpers: what no other file reads. */
  comments: number;
  locals: number;
  helpers: { table: 'items' | 'notes'; setsContext: boolean }[];
  /** What `conn()` in the service returns, which src/routes/use-conn.ts writes through. */
  conn: 'pool' | 'unknown';
  /** The route file a router mounts, a server mounts the router, and a test reads the server's `app`. */
  route: { write: 'pool' | 'scoped' | 'helper'; comments: number };
}

const initial = (): State => ({
  comments: 0,
  locals: 0,
  service: [
    { kind: 'pool', setConfig: false, table: 'items', helper: 0, onPool: false },
    { kind: 'manual', setConfig: true, table: 'items', helper: 0, onPool: false },
    { kind: 'helper', setConfig: false, table: 'items', helper: 1, onPool: false },
  ],
  helpers: [
    { table: 'items', setsContext: false },
    { table: 'notes', setsContext: false },
  ],
  conn: 'pool',
  route: { write: 'pool', comments: 0 },
});

function fnText(f: Fn, i: number, helpers: number, comments: number): string {
  return fnBody(f, i, helpers).replace('{\n', `{\n${'  // note\n'.repeat(comments)}`);
}

function fnBody(f: Fn, i: number, helpers: number): string {
  const insert = `'INSERT INTO ${f.table} (org_id) VALUES ($1)', [orgId]`;
  const set = f.setConfig ? `    await c.query("SELECT set_config('app.current_org_id', $1, true)", [orgId]);\n` : '';
  const h = f.helper % helpers;
  switch (f.kind) {
    case 'pool':
      return `export async function op${i}(orgId: string): Promise<void> {\n  await pool.query(${insert});\n}\n`;
    case 'manual':
      return (
        `export async function op${i}(orgId: string): Promise<void> {\n  const c = await pool.connect();\n  try {\n` +
        `    await c.query('BEGIN');\n${set}    await c.query(${insert});\n    await c.query('COMMIT');\n` +
        `  } finally {\n    c.release();\n  }\n}\n`
      );
    case 'scoped':
      return `export async function op${i}(orgId: string): Promise<void> {\n  await withOrg(orgId, async (c) => {\n    await c.query(${insert});\n  });\n}\n`;
    case 'helper':
      return f.onPool
        ? `export async function op${i}(orgId: string): Promise<void> {\n  await save${h}(pool, orgId);\n}\n`
        : `export async function op${i}(orgId: string): Promise<void> {\n  await withOrg(orgId, (c) => save${h}(c, orgId));\n}\n`;
  }
}

function files(s: State): Map<string, string> {
  const out = new Map<string, string>();
  out.set('package.json', '{"name":"session-app","private":true}\n');
  out.set('rls-guard.config.json', '{"migrations":["db/migrations"],"schemaSource":"static"}\n');
  out.set(
    'db/migrations/001_schema.sql',
    [
      'CREATE TABLE items (id bigserial PRIMARY KEY, org_id uuid NOT NULL);',
      'ALTER TABLE items ENABLE ROW LEVEL SECURITY;',
      "CREATE POLICY i ON items USING (org_id = current_setting('app.current_org_id', true)::uuid);",
      'CREATE TABLE notes (id bigserial PRIMARY KEY, org_id uuid NOT NULL);',
      'ALTER TABLE notes ENABLE ROW LEVEL SECURITY;',
      "CREATE POLICY n ON notes USING (org_id = current_setting('app.current_org_id', true)::uuid);",
      '',
    ].join('\n'),
  );
  out.set('src/db.ts', "import { Pool } from 'pg';\nexport const pool = new Pool();\n");
  out.set('src/scope.ts', WITH_ORG_SCOPE_TS);
  s.helpers.forEach((h, i) => {
    const set = h.setsContext ? `  await db.query("SELECT set_config('app.current_org_id', $1, true)", [orgId]);\n` : '';
    const locals = Array.from({ length: s.locals }, (_, k) => `  const local${k} = orgId.length + ${k};\n`).join('');
    out.set(
      `src/helpers/save${i}.ts`,
      `import type { Pool, PoolClient } from 'pg';\nexport async function save${i}(db: Pool | PoolClient, orgId: string): Promise<void> {\n` +
        `${locals}${set}  await db.query('INSERT INTO ${h.table} (org_id) VALUES ($1)', [orgId]);\n}\n`,
    );
  });
  const conn = s.conn === 'pool' ? 'return pool;' : 'return (globalThis as any).somewhere;';
  out.set(
    'src/service.ts',
    "import { pool } from './db';\nimport { withOrg } from './scope';\n" +
      s.helpers.map((_, i) => `import { save${i} } from './helpers/save${i}';\n`).join('') +
      `export function conn() {\n  ${conn}\n}\n` +
      s.service.map((f, i) => fnText(f, i, s.helpers.length, s.comments)).join(''),
  );
  // An importer of the edited file: its own write's verdict depends on what conn() returns there.
  out.set(
    'src/routes/use-conn.ts',
    "import { conn } from '../service';\nexport async function touch(orgId: string): Promise<void> {\n" +
      "  await conn().query('UPDATE items SET org_id = $1', [orgId]);\n}\n",
  );
  // An importer of the edited file whose analysis never reads it (imported for its side
  // effects, as a server imports its routes): an edit of the service leaves its facts.
  out.set(
    'src/routes/health.ts',
    "import { pool } from '../db';\nimport '../service';\nexport async function ping(orgId: string): Promise<void> {\n" +
      "  await pool.query('INSERT INTO items (org_id) VALUES ($1)', [orgId]);\n}\n",
  );
  // Callers of a helper in another file: the helper's verdict is settled at them.
  out.set(
    'src/routes/jobs.ts',
    "import { pool } from '../db';\nimport { save0 } from '../helpers/save0';\n" +
      'export async function nightly(orgId: string): Promise<void> {\n  await save0(pool, orgId);\n}\n',
  );
  // The shape of an Express API's integration tests: a route file, the router that mounts it,
  // the server that mounts the router, and a test that imports the server's `app` (and writes
  // on its own). The test reads the server, the server the router, the router the route file;
  // but nothing the test reads of the server (`app`, `express()`) comes from the route file.
  const routeWrite = {
    pool: "    await pool.query('INSERT INTO items (org_id) VALUES ($1)', [req.body.orgId]);\n",
    scoped:
      "    await withOrg(req.body.orgId, (c) => c.query('INSERT INTO items (org_id) VALUES ($1)', [req.body.orgId]));\n",
    helper: '    await save1(pool, req.body.orgId);\n',
  }[s.route.write];
  out.set(
    'src/routes/orders.ts',
    "import { Router } from 'express';\nimport { pool } from '../db';\nimport { withOrg } from '../scope';\n" +
      "import { save1 } from '../helpers/save1';\nexport const orders = Router();\n" +
      "orders.post('/orders', async (req, res) => {\n" +
      '  // note\n'.repeat(s.route.comments) +
      `${routeWrite}  res.sendStatus(201);\n});\n`,
  );
  out.set(
    'src/router.ts',
    "import { Router } from 'express';\nimport { orders } from './routes/orders';\n" +
      "export const router = Router();\nrouter.use('/api', orders);\n",
  );
  out.set(
    'src/server.ts',
    "import express from 'express';\nimport { router } from './router';\n" +
      'export const app = express();\napp.use(router);\nexport default app;\n',
  );
  out.set(
    'tests/orders.test.ts',
    "import request from 'supertest';\nimport { pool } from '../src/db';\nimport app from '../src/server';\n" +
      "export async function seed(orgId: string): Promise<void> {\n  await pool.query('INSERT INTO notes (org_id) VALUES ($1)', [orgId]);\n}\n" +
      "export async function post(): Promise<void> {\n  await request(app).post('/api/orders');\n}\n",
  );
  return out;
}

const dirs: string[] = [];
// Many runs (SESSION_RUNS) leave hundreds of app folders: more than the hook's default 10 s on a loaded machine.
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
}, 120_000);

const sha = (text: string): string => crypto.createHash('sha256').update(text).digest('hex');
const SOURCES = (m: Map<string, string>): string[] => [...m.keys()].filter((f) => f.endsWith('.ts')).sort();

/** What a reported file gets: its findings and its sites' verdicts, in a comparable form. */
function verdicts(result: CoreResult, only?: ReadonlySet<string>): string {
  const keep = (file: string): boolean => !only || only.has(file);
  const findings = result.findings
    .filter((f) => keep(f.file))
    .map((f) => JSON.stringify([f.file, f.line, f.column, f.ruleId, f.messageId, f.data, f.fingerprint]));
  const sites = result.sites
    .filter((s) => keep(s.file))
    .map((s) => JSON.stringify([s.file, s.line, s.column, s.coverage, s.via, s.evidence, s.crossFile, s.callPath]));
  return [...findings.sort(), ...sites.sort()].join('\n');
}

class App<S = State> {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-session-'));
  private text = new Map<string, string>();
  readonly session: AnalysisSession;
  /** Parses the session asked for (its callers' parses are what an editor's lint pays for). */
  parses = 0;
  private readonly setup: { model: ReturnType<typeof loadModel>; config: ReturnType<typeof resolveAnalysisConfig> };

  constructor(
    state: S,
    track = true,
    private readonly render: (s: S) => Map<string, string> = files as unknown as (s: S) => Map<string, string>,
  ) {
    dirs.push(this.dir);
    this.write(state);
    const loaded = loadConfig({ start: this.dir });
    const model = loadModel(this.dir, loaded.config);
    this.setup = { model, config: resolveAnalysisConfig(model, loaded.config) };
    this.session = new AnalysisSession({
      root: this.dir,
      host: new FileSystemSourceHost(),
      ...this.setup,
      wholeProgram: true,
      track: () => track,
    });
  }

  write(state: S): void {
    this.text = this.render(state);
    for (const [rel, text] of this.text) {
      const abs = path.join(this.dir, rel);
      fs.mkdirSync(path.dirname(abs), { recursive: true });
      fs.writeFileSync(abs, text);
    }
  }

  private abs(rel: string): string {
    return path.join(this.dir, rel);
  }

  /** The session's analysis (undefined when `late` cut it short). */
  incremental(report?: ReadonlySet<string>, late?: () => boolean): CoreResult {
    return this.session.analyse({
      ...(late ? { late } : {}),
      files: SOURCES(this.text),
      current: (rel) => {
        const text = this.text.get(rel);
        return text === undefined
          ? undefined
          : { hash: sha(text), sf: () => (this.parses++, parseSource(this.abs(rel), text)) };
      },
      ...(report ? { report } : {}),
    }) as CoreResult;
  }

  fresh(): CoreResult {
    const sfs = SOURCES(this.text).map((rel) => parseSource(this.abs(rel), this.text.get(rel)!));
    return analyze({ root: this.dir, files: sfs, host: new FileSystemSourceHost(sfs), ...this.setup, wholeProgram: true });
  }
}

type Edit =
  | { kind: 'insert'; at: number; fn: Fn }
  | { kind: 'delete'; at: number }
  | { kind: 'setConfig'; at: number }
  | { kind: 'helperTable'; i: number }
  | { kind: 'helperContext'; i: number }
  | { kind: 'onPool'; at: number }
  | { kind: 'conn' }
  | { kind: 'comment' }
  | { kind: 'local' }
  | { kind: 'route'; write: State['route']['write'] }
  | { kind: 'routeComment' };

function apply(s: State, e: Edit): void {
  const fn = s.service.length ? s.service[('at' in e ? e.at : 0) % s.service.length] : undefined;
  if (e.kind === 'insert') s.service.splice(e.at % (s.service.length + 1), 0, e.fn);
  if (e.kind === 'delete' && fn) s.service.splice(s.service.indexOf(fn), 1);
  if (e.kind === 'setConfig' && fn) fn.setConfig = !fn.setConfig;
  if (e.kind === 'onPool' && fn) fn.onPool = !fn.onPool;
  if (e.kind === 'helperTable') {
    const h = s.helpers[e.i % s.helpers.length]!;
    h.table = h.table === 'items' ? 'notes' : 'items';
  }
  if (e.kind === 'helperContext') {
    const h = s.helpers[e.i % s.helpers.length]!;
    h.setsContext = !h.setsContext;
  }
  if (e.kind === 'conn') s.conn = s.conn === 'pool' ? 'unknown' : 'pool';
  if (e.kind === 'comment') s.comments = (s.comments + 1) % 3;
  if (e.kind === 'local') s.locals = (s.locals + 1) % 3;
  if (e.kind === 'route') s.route.write = e.write;
  if (e.kind === 'routeComment') s.route.comments = (s.route.comments + 1) % 3;
}

const fnArb: fc.Arbitrary<Fn> = fc.record({
  kind: fc.constantFrom('pool' as const, 'manual' as const, 'scoped' as const, 'helper' as const),
  setConfig: fc.boolean(),
  table: fc.constantFrom('items' as const, 'notes' as const),
  helper: fc.nat(3),
  onPool: fc.boolean(),
});

const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(6), fn: fnArb }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(6) }),
  fc.record({ kind: fc.constant('setConfig' as const), at: fc.nat(6) }),
  fc.record({ kind: fc.constant('helperTable' as const), i: fc.nat(3) }),
  fc.record({ kind: fc.constant('helperContext' as const), i: fc.nat(3) }),
  fc.record({ kind: fc.constant('onPool' as const), at: fc.nat(6) }),
  fc.record({ kind: fc.constant('conn' as const) }),
  fc.record({ kind: fc.constant('comment' as const) }),
  fc.record({ kind: fc.constant('local' as const) }),
  fc.record({ kind: fc.constant('route' as const), write: fc.constantFrom('pool' as const, 'scoped' as const, 'helper' as const) }),
  fc.record({ kind: fc.constant('routeComment' as const) }),
);

describe('the analysis session', () => {
  it('re-analyses the changed file and its importers only, and agrees with a fresh analysis', () => {
    const state = initial();
    const app = new App(state);
    expect(verdicts(app.incremental())).toBe(verdicts(app.fresh()));
    const all = app.session.lastAnalysed.length;
    expect(all).toBe(SOURCES(files(state)).length);
    // Nothing changed: nothing is analysed again.
    expect(verdicts(app.incremental())).toBe(verdicts(app.fresh()));
    expect(app.session.lastAnalysed).toEqual([]);
    // conn() now returns something untraceable: the importer's write must follow.
    state.conn = 'unknown';
    app.write(state);
    const before = verdicts(app.fresh());
    expect(verdicts(app.incremental())).toBe(before);
    // health.ts imports the service too, but nothing in it was ever read: it keeps its facts.
    expect(app.session.lastAnalysed.sort()).toEqual(['src/routes/use-conn.ts', 'src/service.ts']);
    expect(before).toMatch(/src\/routes\/use-conn\.ts.*"unresolved"/);
    // A comment line in each of the service's functions: no fact another file reads changed,
    // but use-conn.ts read conn() from the old text (its nodes), so it is analysed again.
    state.comments = 1;
    app.write(state);
    expect(verdicts(app.incremental())).toBe(verdicts(app.fresh()));
    expect(app.session.lastDropped.sort()).toEqual(['src/routes/use-conn.ts', 'src/service.ts']);
    // A helper's body: the helper and the files that read it (jobs.ts calls it) are analysed
    // again; the service imports it but calls only save1, so it keeps its facts, and so does
    // use-conn.ts, which read only the service.
    state.helpers[0]!.setsContext = true;
    app.write(state);
    expect(verdicts(app.incremental())).toBe(verdicts(app.fresh()));
    expect(app.session.lastAnalysed.sort()).toEqual(['src/helpers/save0.ts', 'src/routes/jobs.ts']);
  });

  it('keeps the facts of a file that reads a server whose mounted route changed, when what it read did not', () => {
    const state = initial();
    const app = new App(state);
    expect(verdicts(app.incremental())).toBe(verdicts(app.fresh()));
    // A comment inside the route's handler: the route file is analysed again (parsed again), and
    // the router, whose analysis read it, on its own parse; the test reads only the server's
    // `app`, which no route can change, and keeps its facts (before per-fact dependencies it
    // was dropped with the router and the server, as signacare's 230 integration tests were).
    state.route.comments = 1;
    app.write(state);
    expect(verdicts(app.incremental())).toBe(verdicts(app.fresh()));
    expect(app.session.lastReparsed).toEqual(['src/routes/orders.ts']);
    expect(app.session.lastDropped).toContain('src/routes/orders.ts');
    expect(app.session.lastDropped).not.toContain('tests/orders.test.ts');
    expect(app.session.lastAnalysed).not.toContain('tests/orders.test.ts');
    // What the route writes with changes its verdict; still only the route's readers are redone.
    for (const write of ['scoped', 'helper', 'pool'] as const) {
      state.route.write = write;
      app.write(state);
      expect(verdicts(app.incremental())).toBe(verdicts(app.fresh()));
      expect(app.session.lastAnalysed).not.toContain('tests/orders.test.ts');
      expect(app.session.lastAnalysed).not.toContain('src/service.ts');
    }
  });

  it('tells the engine which file each resolution led into without a new path string per resolution', () => {
    const state = initial();
    const app = new App(state);
    app.incremental();
    state.conn = 'unknown';
    app.write(state);
    // The re-analysis of the edited file and its importer: the session's host makes each path absolute once per
    // session, not at every file read and module resolution (two new strings each, a fifth of the bytes an edited
    // file's flow analysis allocated on signacare).
    const original = path.resolve;
    let byHost = 0;
    const resolve = vi.spyOn(path, 'resolve').mockImplementation((...parts: string[]) => {
      if (new Error().stack?.includes('at SessionHost.')) byHost++;
      return original(...parts);
    });
    try {
      expect(verdicts(app.incremental())).toBe(verdicts(app.fresh()));
    } finally {
      resolve.mockRestore();
    }
    expect(byHost).toBeLessThanOrEqual(2);
  });

  it('without a dependency graph (a command-line run), starts over at a change, with the same verdicts', () => {
    const state = initial();
    const app = new App(state, false);
    expect(verdicts(app.incremental())).toBe(verdicts(app.fresh()));
    state.route.comments = 1;
    app.write(state);
    expect(verdicts(app.incremental())).toBe(verdicts(app.fresh()));
    expect(app.session.lastAnalysed.sort()).toEqual(SOURCES(files(state)));
  });

  it("stops between files when the caller's time is up, and goes on from there", () => {
    const app = new App(initial());
    let calls = 0;
    expect(app.incremental(undefined, () => ++calls > 3)).toBeUndefined();
    expect(app.session.lastAnalysed).toHaveLength(3);
    // The next lint goes on with the parses the first one placed: none is asked for again (an
    // editor's lint that re-parsed them would spend its budget before analysing anything).
    const parsed = app.parses;
    expect(verdicts(app.incremental())).toBe(verdicts(app.fresh()));
    expect(app.parses).toBe(parsed);
    expect(app.session.lastAnalysed).toHaveLength(SOURCES(files(initial())).length - 3);
  });

  it('settles only the files asked about, with the same verdicts', () => {
    const state = initial();
    const app = new App(state);
    const only = new Set(['src/helpers/save0.ts']);
    const result = app.incremental(only);
    expect(result.sites.map((s) => s.file)).toEqual(['src/helpers/save0.ts']);
    expect(verdicts(result)).toBe(verdicts(app.fresh(), only));
  });

  it('never changes a verdict over random sequences of edits', () => {
    fc.assert(
      fc.property(fc.array(editArb, { minLength: 1, maxLength: 5 }), fc.boolean(), (edits, partial) => {
        const state = initial();
        const app = new App(state);
        app.incremental();
        for (const e of edits) {
          apply(state, e);
          app.write(state);
          const only = partial ? new Set(['src/service.ts', 'src/routes/use-conn.ts']) : undefined;
          expect(verdicts(app.incremental(only))).toBe(verdicts(app.fresh(), only));
        }
      }),
      { numRuns: Number(process.env.SESSION_RUNS ?? 15), seed: Number(process.env.SESSION_SEED ?? 13) },
    );
  });
});

// The settling over the whole program (entry points, the middleware each runs behind, what it
// enters: ambient/settle.ts) is gathered again at every analysis from what the session keeps
// between them: per file, the calls the entry-point scan may act on; per registration argument,
// the middleware it is; per file and callee, the typed value edges (roots/entry-points.ts,
// function-types.ts). None of it may go stale: an Express app whose writes run on an
// AsyncLocalStorage accessor, where edits of the route file and of the middleware file it
// imports add and remove routes, middleware, registrations made through a helper's parameter,
// and jobs and timers (entry points), and the server mounts the router or not.

interface Route {
  behind: 'none' | 'auth' | 'log';
  write: 'direct' | 'helper';
}

interface AmbientState {
  /** The route file's routes, whether its router runs behind `auth`, its job, and comment lines. */
  routes: Route[];
  routerUse: boolean;
  job: 'none' | 'timer' | 'worker';
  comments: number;
  /** middleware.ts (imported by the route file): whether `auth` enters the store, what `guard(router)` registers, its timer. */
  enters: boolean;
  guard: 'none' | 'use' | 'route';
  mwTimer: boolean;
  /** Whether the server mounts the router (through a helper taking the app as a parameter). */
  mounted: boolean;
  /** What the route file's `items` is: a router, or a value nothing shows is one (extra.ts registers a route on it). */
  made: 'router' | 'opaque';
}

const ambientInitial = (): AmbientState => ({
  routes: [
    { behind: 'auth', write: 'direct' },
    { behind: 'none', write: 'helper' },
  ],
  routerUse: false,
  job: 'none',
  comments: 0,
  enters: true,
  guard: 'none',
  mwTimer: false,
  mounted: true,
  made: 'router',
});

function ambientFiles(s: AmbientState): Map<string, string> {
  const out = new Map<string, string>();
  out.set('package.json', '{"name":"session-ambient-app","private":true}\n');
  out.set('rls-guard.config.json', '{"migrations":["db/migrations"],"schemaSource":"static"}\n');
  out.set(
    'db/migrations/001_schema.sql',
    [
      'CREATE TABLE items (id bigserial PRIMARY KEY, org_id uuid NOT NULL);',
      'ALTER TABLE items ENABLE ROW LEVEL SECURITY;',
      "CREATE POLICY i ON items USING (org_id = current_setting('app.current_org_id', true)::uuid);",
      '',
    ].join('\n'),
  );
  out.set(
    'src/context.ts',
    "import { AsyncLocalStorage } from 'node:async_hooks';\nimport { Pool, type PoolClient } from 'pg';\n" +
      'export const pool = new Pool();\nexport const store = new AsyncLocalStorage<{ tx: PoolClient | Pool }>();\n' +
      'export const db = new Proxy(pool, {\n  get(target, prop) {\n    const active = store.getStore()?.tx ?? target;\n' +
      '    const value = Reflect.get(active, prop);\n' +
      "    return typeof value === 'function' ? value.bind(active) : value;\n  },\n});\n",
  );
  out.set(
    'src/scope.ts',
    "import type { PoolClient } from 'pg';\nimport { pool } from './context';\n" +
      'export async function withOrg<T>(orgId: string, fn: (client: PoolClient) => Promise<T>): Promise<T> {\n' +
      "  const client = await pool.connect();\n  try {\n    await client.query('BEGIN');\n" +
      "    await client.query(\"SELECT set_config('app.current_org_id', $1, true)\", [orgId]);\n" +
      "    const result = await fn(client);\n    await client.query('COMMIT');\n    return result;\n" +
      '  } finally {\n    client.release();\n  }\n}\n',
  );
  out.set(
    'src/projects.ts',
    "import { db } from './context';\nexport async function archive(id: string): Promise<void> {\n" +
      "  await db.query('UPDATE items SET org_id = org_id WHERE id = $1', [id]);\n}\n",
  );
  const auth = s.enters
    ? '  void withOrg(String(req.header(\'x-org-id\')), (tx) => new Promise<void>((resolve) => {\n' +
      "    store.run({ tx }, () => {\n      res.on('finish', resolve);\n      next();\n    });\n  }));\n"
    : '  next();\n';
  const guard = {
    none: '',
    use: '  r.use(auth);\n',
    route: "  r.post('/guarded', async (req: Request, res: Response) => {\n    await archive(String(req.params.id));\n    res.end();\n  });\n",
  }[s.guard];
  out.set(
    'src/middleware.ts',
    "import type { NextFunction, Request, Response, Router } from 'express';\nimport { store } from './context';\n" +
      "import { withOrg } from './scope';\nimport { archive } from './projects';\n" +
      `export function auth(req: Request, res: Response, next: NextFunction): void {\n${auth}}\n` +
      'export function log(_req: Request, _res: Response, next: NextFunction): void {\n  next();\n}\n' +
      `export function guard(r: Router): void {\n${guard}}\n` +
      (s.mwTimer ? "setInterval(() => void archive('sweep'), 60000);\n" : ''),
  );
  const routes = s.routes
    .map((r, i) => {
      const mw = r.behind === 'none' ? '' : `${r.behind}, `;
      const body =
        r.write === 'direct'
          ? "    await db.query('INSERT INTO items (org_id) VALUES ($1)', [req.body.orgId]);\n"
          : '    await archive(String(req.params.id));\n';
      return `items.post('/r${i}', ${mw}async (req: Request, res: Response) => {\n${body}    res.end();\n});\n`;
    })
    .join('');
  const job = {
    none: '',
    timer: "setInterval(() => void archive('tick'), 1000);\n",
    worker: "export const worker = new Worker('q', async () => {\n  await archive('job');\n});\n",
  }[s.job];
  out.set(
    'src/routes/items.ts',
    "import { Router, type Request, type Response } from 'express';\nimport { Worker } from 'bullmq';\n" +
      "import { db } from '../context';\nimport { archive } from '../projects';\nimport { auth, guard, log } from '../middleware';\n" +
      '// note\n'.repeat(s.comments) +
      (s.made === 'router' ? 'export const items = Router();\n' : 'export const items: Router = (globalThis as any).items;\n') +
      (s.routerUse ? 'items.use(auth);\n' : '') +
      'guard(items);\n' +
      routes +
      job,
  );
  // An unchanged file that registers a route on the route file's `items`: a route only while `items` is a router.
  out.set(
    'src/extra.ts',
    "import type { Request, Response } from 'express';\nimport { items } from './routes/items';\n" +
      "import { archive } from './projects';\nimport { auth } from './middleware';\n" +
      "items.get('/extra', auth, async (req: Request, res: Response) => {\n  await archive(String(req.params.id));\n  res.end();\n});\n",
  );
  out.set(
    'src/mount.ts',
    "import type { Express } from 'express';\nimport { items } from './routes/items';\n" +
      "export function mountItems(app: Express): void {\n  app.use('/items', items);\n}\n",
  );
  out.set(
    'src/server.ts',
    "import express from 'express';\nimport { mountItems } from './mount';\n" +
      'export const app = express();\napp.use(express.json());\n' +
      (s.mounted ? 'mountItems(app);\n' : '') +
      'app.listen(3000);\n',
  );
  return out;
}

type AmbientEdit =
  | { kind: 'addRoute'; at: number; route: Route }
  | { kind: 'removeRoute'; at: number }
  | { kind: 'routerUse' }
  | { kind: 'job'; job: AmbientState['job'] }
  | { kind: 'comment' }
  | { kind: 'enters' }
  | { kind: 'guard'; guard: AmbientState['guard'] }
  | { kind: 'mwTimer' }
  | { kind: 'mounted' }
  | { kind: 'made' };

function applyAmbient(s: AmbientState, e: AmbientEdit): void {
  if (e.kind === 'addRoute') s.routes.splice(e.at % (s.routes.length + 1), 0, e.route);
  if (e.kind === 'removeRoute' && s.routes.length) s.routes.splice(e.at % s.routes.length, 1);
  if (e.kind === 'routerUse') s.routerUse = !s.routerUse;
  if (e.kind === 'job') s.job = e.job;
  if (e.kind === 'comment') s.comments = (s.comments + 1) % 3;
  if (e.kind === 'enters') s.enters = !s.enters;
  if (e.kind === 'guard') s.guard = e.guard;
  if (e.kind === 'mwTimer') s.mwTimer = !s.mwTimer;
  if (e.kind === 'mounted') s.mounted = !s.mounted;
  if (e.kind === 'made') s.made = s.made === 'router' ? 'opaque' : 'router';
}

const routeArb: fc.Arbitrary<Route> = fc.record({
  behind: fc.constantFrom('none' as const, 'auth' as const, 'log' as const),
  write: fc.constantFrom('direct' as const, 'helper' as const),
});

const ambientEditArb: fc.Arbitrary<AmbientEdit> = fc.oneof(
  fc.record({ kind: fc.constant('addRoute' as const), at: fc.nat(4), route: routeArb }),
  fc.record({ kind: fc.constant('removeRoute' as const), at: fc.nat(4) }),
  fc.record({ kind: fc.constant('routerUse' as const) }),
  fc.record({ kind: fc.constant('job' as const), job: fc.constantFrom('none' as const, 'timer' as const, 'worker' as const) }),
  fc.record({ kind: fc.constant('comment' as const) }),
  fc.record({ kind: fc.constant('enters' as const) }),
  fc.record({ kind: fc.constant('guard' as const), guard: fc.constantFrom('none' as const, 'use' as const, 'route' as const) }),
  fc.record({ kind: fc.constant('mwTimer' as const) }),
  fc.record({ kind: fc.constant('mounted' as const) }),
  fc.record({ kind: fc.constant('made' as const) }),
);

describe('the analysis session, settling over entry points and middleware', () => {
  const ROUTE = 'src/routes/items.ts';
  const HELPER = 'src/projects.ts';

  it('settles an edit of the route file and of the middleware it imports as a fresh analysis does', () => {
    const state = ambientInitial();
    const app = new App(state, true, ambientFiles);
    const first = verdicts(app.incremental());
    expect(first).toBe(verdicts(app.fresh()));
    // The shapes are what they are meant to be: a route behind `auth` is scoped by what auth
    // enters, one behind nothing falls back to the pool, and the helper they share is judged
    // over every root that reaches it.
    expect(first).toMatch(/src\/routes\/items\.ts.*"org-scope"/);
    expect(first).toMatch(/src\/projects\.ts.*"unscoped"/);
    const step = (edit: AmbientEdit, only?: ReadonlySet<string>): string => {
      applyAmbient(state, edit);
      app.write(state);
      const expected = verdicts(app.fresh(), only);
      expect(verdicts(app.incremental(only), only)).toBe(expected);
      return expected;
    };
    const route = new Set([ROUTE]);
    const helper = new Set([HELPER]);
    // The helper's only unscoped root goes: every route reaching it is now behind auth.
    step({ kind: 'removeRoute', at: 1 }, helper);
    const scoped = step({ kind: 'addRoute', at: 1, route: { behind: 'auth', write: 'helper' } }, helper);
    expect(verdicts(app.incremental(helper), helper)).not.toMatch(/"unscoped"/);
    // An entry point in the route file reaches it with nothing entered, and goes again.
    expect(step({ kind: 'job', job: 'worker' }, helper)).toMatch(/"unscoped"/);
    step({ kind: 'job', job: 'timer' }, helper);
    expect(step({ kind: 'job', job: 'none' }, helper)).toBe(scoped);
    // A route registered by the imported file's helper, on the router it is handed.
    expect(step({ kind: 'guard', guard: 'route' }, helper)).toMatch(/"unscoped"/);
    step({ kind: 'guard', guard: 'none' }, helper);
    // A timer in the imported file; a middleware registered through the imported helper.
    expect(step({ kind: 'mwTimer' }, helper)).toMatch(/"unscoped"/);
    step({ kind: 'mwTimer' }, helper);
    step({ kind: 'addRoute', at: 0, route: { behind: 'none', write: 'direct' } }, route);
    expect(step({ kind: 'guard', guard: 'use' }, route)).not.toMatch(/"unscoped"/);
    step({ kind: 'guard', guard: 'none' }, route);
    // What the middleware enters, and whether the server mounts the router at all.
    step({ kind: 'enters' }, route);
    step({ kind: 'enters' }, route);
    step({ kind: 'routerUse' }, route);
    step({ kind: 'mounted' });
    step({ kind: 'mounted' });
    // Whether an unchanged file's call registers a route depends on what the edited file's
    // `items` is: extra.ts's route goes and comes back.
    const opaque = step({ kind: 'made' }, helper);
    expect(step({ kind: 'made' }, helper)).not.toBe(opaque);
  });

  it('replays what an unchanged file registered on a router made in a third file, when the first file stops', () => {
    // The scan's pass over registrations is replayed per file while what the file read is unchanged
    // (roots/entry-points.ts): c-second.ts's log must make the router itself once b-first.ts, which made it
    // first, no longer registers on it (the router is a-router.ts's: neither log read the other's file).
    type Shared = { base: AmbientState; first: boolean };
    const render = (s: Shared): Map<string, string> => {
      const out = ambientFiles(s.base);
      out.set('src/a-router.ts', "import { Router } from 'express';\nexport const shared = Router();\n");
      out.set(
        'src/b-first.ts',
        "import type { Request, Response } from 'express';\nimport { shared } from './a-router';\n" +
          (s.first ? "shared.get('/first', (_req: Request, res: Response) => {\n  res.end();\n});\n" : 'export {};\n'),
      );
      out.set(
        'src/c-second.ts',
        "import type { Request, Response } from 'express';\nimport { shared } from './a-router';\n" +
          "import { archive } from './projects';\n" +
          "shared.post('/second', async (req: Request, res: Response) => {\n" +
          '  await archive(String(req.params.id));\n  res.end();\n});\n',
      );
      return out;
    };
    const state: Shared = { base: ambientInitial(), first: true };
    const app = new App<Shared>(state, true, render);
    const only = new Set([HELPER]);
    const fresh = verdicts(app.fresh(), only);
    expect(fresh).toMatch(/POST \/second/);
    expect(verdicts(app.incremental(only), only)).toBe(fresh);
    for (const first of [false, true, false]) {
      state.first = first;
      app.write(state);
      const kept = verdicts(app.incremental(only), only);
      // Only b-first.ts recorded again (the scan reads no file that read it); c-second.ts and the rest replayed.
      expect(lastScanWork()).toEqual({ replayed: SOURCES(render(state)).length - 1, recorded: 1 });
      expect(kept).toBe(verdicts(app.fresh(), only));
    }
  });

  it("finds a route an unchanged file registers once an edit makes what it registers on a router", () => {
    // The calls the scan may act on are remembered per file: extra.ts's `items.get(…)` is not
    // one while `items` is opaque, and must become one when the route file makes it a router.
    const state = { ...ambientInitial(), made: 'opaque' as const };
    const app = new App<AmbientState>(state, true, ambientFiles);
    const only = new Set([HELPER]);
    const before = verdicts(app.incremental(only), only);
    expect(before).toBe(verdicts(app.fresh(), only));
    applyAmbient(state, { kind: 'made' });
    app.write(state);
    const after = verdicts(app.fresh(), only);
    expect(after).not.toBe(before);
    expect(verdicts(app.incremental(only), only)).toBe(after);
  });

  it("walks again only the apps on the way from an edited route file's router to the top", () => {
    // A second router (others.ts), mounted by the server beside items: an edit of items.ts walks the server's app and
    // items again (their registrations are new objects) and keeps the walk of others, whose registrations,
    // mounts and facts read are unchanged (roots/entry-points.ts `RoutesWalk`). Edits of what others' walk read (the
    // middleware it runs behind, its own file, the server's mounts) walk it again, with a fresh analysis's verdicts.
    type Two = { base: AmbientState; othersBehind: 'auth' | 'log'; mountOthers: boolean; othersComment: boolean };
    const render = (s: Two): Map<string, string> => {
      const out = ambientFiles(s.base);
      out.set(
        'src/routes/others.ts',
        "import { Router, type Request, type Response } from 'express';\nimport { archive } from '../projects';\n" +
          `import { auth, log } from '../middleware';\n${s.othersComment ? '// edited\n' : ''}` +
          `export const others = Router();\nothers.use(${s.othersBehind});\n` +
          "others.post('/o', async (req: Request, res: Response) => {\n  await archive(String(req.params.id));\n" +
          '  res.end();\n});\n',
      );
      const server = out.get('src/server.ts')!;
      out.set(
        'src/server.ts',
        server
          .replace(
            "import { mountItems } from './mount';\n",
            "import { mountItems } from './mount';\nimport { others } from './routes/others';\n",
          )
          .replace('app.listen(3000);\n', `${s.mountOthers ? "app.use('/others', others);\n" : ''}app.listen(3000);\n`),
      );
      return out;
    };
    const state: Two = { base: ambientInitial(), othersBehind: 'log', mountOthers: true, othersComment: false };
    const app = new App<Two>(state, true, render);
    const only = new Set([HELPER]);
    const first = verdicts(app.incremental(only), only);
    // The first analysis walks the server's app, items and others.
    expect(lastRoutesWork()).toMatchObject({ walked: 3, kept: 0 });
    expect(first).toBe(verdicts(app.fresh(), only));
    const step = (edit: (s: Two) => void, work: { walked: number; kept: number }): string => {
      edit(state);
      app.write(state);
      const kept = verdicts(app.incremental(only), only);
      expect(lastRoutesWork()).toMatchObject(work);
      const fresh = verdicts(app.fresh(), only);
      expect(kept).toBe(fresh);
      return fresh;
    };
    // A comment in items.ts: the server's app and items walked again, others kept.
    step((s) => applyAmbient(s.base, { kind: 'comment' }), { walked: 2, kept: 1 });
    step((s) => applyAmbient(s.base, { kind: 'addRoute', at: 0, route: { behind: 'none', write: 'helper' } }), {
      walked: 2,
      kept: 1,
    });
    // others.ts itself: the server's app (its mount now leads to the new parse's router) and others walked again.
    step((s) => (s.othersBehind = 'auth'), { walked: 2, kept: 1 });
    // What the middleware both routers run behind enters: every walk read it (through the middleware's facts).
    const scoped = step((s) => applyAmbient(s.base, { kind: 'enters' }), { walked: 3, kept: 0 });
    step((s) => (s.othersComment = true), { walked: 2, kept: 1 });
    // The server no longer mounting others (a new parse: the middleware before each mount is new, so is each key).
    step((s) => (s.mountOthers = false), { walked: 3, kept: 0 });
    expect(step((s) => (s.mountOthers = true), { walked: 3, kept: 0 })).toBe(scoped);
    // Without a change, the server's walk is kept whole (with the walks of the routers mounted in it).
    expect(step(() => {}, { walked: 0, kept: 1 })).toBe(scoped);
  });

  it('never changes a verdict over random sequences of edits', () => {
    fc.assert(
      fc.property(
        fc.array(ambientEditArb, { minLength: 1, maxLength: 6 }),
        fc.constantFrom(undefined, ROUTE, HELPER),
        fc.boolean(),
        (edits, reported, opaque) => {
          const state = ambientInitial();
          if (opaque) state.made = 'opaque';
          const app = new App(state, true, ambientFiles);
          app.incremental();
          for (const e of edits) {
            applyAmbient(state, e);
            app.write(state);
            const only = reported ? new Set([reported]) : undefined;
            expect(verdicts(app.incremental(only), only)).toBe(verdicts(app.fresh(), only));
          }
        },
      ),
      { numRuns: Number(process.env.SESSION_RUNS ?? 15), seed: Number(process.env.SESSION_SEED ?? 13) },
    );
  });
});

// The call graph a session's verdicts are settled over (src/analysis/caller-index.ts) is kept
// between analyses and updated for the files whose facts changed. After every edit it must be,
// list by list and edge by edge, the index a fresh build over the same facts gives, and the
// verdicts those of a fresh analysis. The edits change the graph across files: a helper's caller
// added, moved to the scope or removed in another file; an implementation of a contract added or
// removed (the contract call's edges); a function declared with a function type or not (the
// typed edges of a call through a table of them); what a factory returns, called as a value in
// another file (value edges, which read the helper's callers); a router mounted or not; and a
// comment in any file (its facts are new, nothing else is).

interface GraphState {
  /** What each caller file does with the helper `save`: nothing, call it on the pool, or inside the scope. */
  callers: ('none' | 'pool' | 'scoped')[];
  /** Per store file: whether it implements the contract `Store` that src/stores/use.ts calls through. */
  stores: boolean[];
  /** Per applier: declared with the function type `Applier` (reached by the engine's call through a table) or not. */
  appliers: boolean[];
  /** The engine also calls the table on the pool. */
  engineOnPool: boolean;
  /** An applier no file imports, declared with the type or not: the engine's typed edges change, its facts do not. */
  extraTyped: boolean;
  /**
   * What each file calling `runDeps({ save }, …)` hands it: nothing (no call), the helper, or a function of its own
   * that writes on the pool. `deps.save(c, …)` in src/deps/run.ts is a value call whose functions are read from
   * those callers: its value edges change though its facts do not.
   */
  deps: ('none' | 'save' | 'own')[];
  /** What the factory's function writes through (its parameter, or the pool), and how its caller calls it. */
  factory: 'param' | 'pool';
  made: 'pool' | 'scoped';
  /** The server mounts the router (whose route calls the helper on the pool). */
  mounted: boolean;
  /** Comment lines per file (by index in the sorted file list): an edit whose facts are new and change nothing. */
  comments: number[];
  /**
   * Files listed or not (the program's file list changes, as between an editor's opening lint of the whole project
   * and its lints of one file's closure): a caller handing `runDeps` a function of its own that writes on the pool
   * (value edges of the unchanged src/deps/run.ts read the callers it adds), and an applier declared with the type
   * (the program's functions by declared type change).
   */
  listed: boolean[];
}

const graphInitial = (): GraphState => ({
  callers: ['pool', 'scoped', 'none'],
  stores: [true, false],
  appliers: [true, false],
  engineOnPool: false,
  extraTyped: false,
  deps: ['save', 'none'],
  factory: 'param',
  made: 'scoped',
  mounted: true,
  comments: [],
  listed: [false, true],
});

const PG = "import { Pool, type PoolClient } from 'pg';\n";
const GRAPH_DB =
  PG +
  'export const pool = new Pool();\n' +
  'export async function withOrg<T>(orgId: string, fn: (c: PoolClient) => Promise<T>): Promise<T> {\n' +
  "  const client = await pool.connect();\n  try {\n    await client.query('BEGIN');\n" +
  "    await client.query(\"SELECT set_config('app.current_org_id', $1, true)\", [orgId]);\n" +
  "    const out = await fn(client);\n    await client.query('COMMIT');\n    return out;\n" +
  '  } finally {\n    client.release();\n  }\n}\n';

function graphFiles(s: GraphState): Map<string, string> {
  const out = new Map<string, string>();
  out.set('package.json', '{"name":"graph-app","private":true,"dependencies":{"pg":"^8","express":"^4"}}\n');
  out.set('rls-guard.config.json', '{"migrations":["db/migrations"],"schemaSource":"static"}\n');
  out.set(
    'db/migrations/001_schema.sql',
    ['items', 'notes']
      .map(
        (t) =>
          `CREATE TABLE ${t} (id bigserial PRIMARY KEY, org_id uuid NOT NULL);\n` +
          `ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY;\n` +
          `CREATE POLICY p_${t} ON ${t} USING (org_id = current_setting('app.current_org_id', true)::uuid);\n`,
      )
      .join(''),
  );
  const src = new Map<string, string>();
  src.set('src/db.ts', GRAPH_DB);
  src.set(
    'src/helpers.ts',
    PG + 'export async function save(db: Pool | PoolClient, orgId: string): Promise<void> {\n' +
      "  await db.query('INSERT INTO items (org_id) VALUES ($1)', [orgId]);\n}\n",
  );
  s.callers.forEach((c, k) => {
    const call = c === 'pool' ? 'await save(pool, orgId);' : 'await withOrg(orgId, (c) => save(c, orgId));';
    src.set(
      `src/callers/c${k}.ts`,
      c === 'none'
        ? `export const c${k} = ${k};\n`
        : "import { pool, withOrg } from '../db';\nimport { save } from '../helpers';\n" +
            `export async function c${k}(orgId: string): Promise<void> {\n  ${call}\n}\n`,
    );
  });
  src.set(
    'src/stores/store.ts',
    PG + 'export interface Store {\n  put(db: Pool | PoolClient, orgId: string): Promise<void>;\n}\n',
  );
  s.stores.forEach((on, k) =>
    src.set(
      `src/stores/s${k}.ts`,
      on
        ? PG + "import type { Store } from './store';\n" +
            `export class S${k} implements Store {\n  async put(db: Pool | PoolClient, orgId: string): Promise<void> {\n` +
            "    await db.query('INSERT INTO notes (org_id) VALUES ($1)', [orgId]);\n  }\n}\n"
        : `export const s${k} = ${k};\n`,
    ),
  );
  src.set(
    'src/stores/use.ts',
    "import { withOrg } from '../db';\nimport type { Store } from './store';\n" +
      'export async function go(store: Store, orgId: string): Promise<void> {\n' +
      '  await withOrg(orgId, (c) => store.put(c, orgId));\n}\n',
  );
  src.set(
    'src/appliers/types.ts',
    PG + 'export type Applier = (db: Pool | PoolClient, orgId: string) => Promise<void>;\n',
  );
  s.appliers.forEach((typed, k) =>
    src.set(
      `src/appliers/a${k}.ts`,
      PG + "import type { Applier } from './types';\n" +
        (typed
          ? `export const a${k}: Applier = async (db, orgId) => {\n`
          : `export const a${k} = async (db: Pool | PoolClient, orgId: string): Promise<void> => {\n`) +
        "  await db.query('INSERT INTO notes (org_id) VALUES ($1)', [orgId]);\n};\n",
    ),
  );
  src.set(
    'src/appliers/engine.ts',
    "import { pool, withOrg } from '../db';\nimport type { Applier } from './types';\n" +
      s.appliers.map((_, k) => `import { a${k} } from './a${k}';\n`).join('') +
      `const appliers: Record<string, Applier> = { ${s.appliers.map((_, k) => `a${k}`).join(', ')} };\n` +
      'export async function apply(type: string, orgId: string): Promise<void> {\n' +
      '  await withOrg(orgId, async (client) => {\n    await appliers[type]!(client, orgId);\n  });\n' +
      (s.engineOnPool ? '  await appliers[type]!(pool, orgId);\n' : '') +
      '}\n',
  );
  src.set(
    'src/appliers/extra.ts',
    PG + "import type { Applier } from './types';\n" +
      (s.extraTyped
        ? 'export const extra: Applier = async (db, orgId) => {\n'
        : 'export const extra = async (db: Pool | PoolClient, orgId: string): Promise<void> => {\n') +
      "  await db.query('INSERT INTO items (org_id) VALUES ($1)', [orgId]);\n};\n",
  );
  src.set(
    'src/deps/run.ts',
    PG + "import { withOrg } from '../db';\n" +
      'export async function runDeps(\n  deps: { save: (db: Pool | PoolClient, orgId: string) => Promise<void> },\n' +
      '  orgId: string,\n): Promise<void> {\n  await withOrg(orgId, (c) => deps.save(c, orgId));\n}\n',
  );
  s.deps.forEach((d, k) =>
    src.set(
      `src/deps/d${k}.ts`,
      d === 'none'
        ? `export const d${k} = ${k};\n`
        : PG + "import { runDeps } from './run';\nimport { save } from '../helpers';\n" +
            `async function own${k}(db: Pool | PoolClient, orgId: string): Promise<void> {\n` +
            "  await db.query('INSERT INTO notes (org_id) VALUES ($1)', [orgId]);\n}\n" +
            `export async function d${k}(orgId: string): Promise<void> {\n` +
            `  await runDeps({ save: ${d === 'save' ? 'save' : `own${k}`} }, orgId);\n}\n`,
    ),
  );
  if (s.listed[0])
    src.set(
      'src/deps/late.ts',
      PG + "import { runDeps } from './run';\n" +
        'async function late(db: Pool | PoolClient, orgId: string): Promise<void> {\n' +
        "  await db.query('INSERT INTO items (org_id) VALUES ($1)', [orgId]);\n}\n" +
        'export async function lateDeps(orgId: string): Promise<void> {\n  await runDeps({ save: late }, orgId);\n}\n',
    );
  if (s.listed[1])
    src.set(
      'src/appliers/late.ts',
      PG + "import type { Applier } from './types';\n" +
        'export const late: Applier = async (db, orgId) => {\n' +
        "  await db.query('INSERT INTO items (org_id) VALUES ($1)', [orgId]);\n};\n",
    );
  src.set(
    'src/factory.ts',
    "import { pool } from './db';\n" + PG +
      'export function makeSaver() {\n  return async (db: Pool | PoolClient, orgId: string): Promise<void> => {\n' +
      `    await ${s.factory === 'param' ? 'db' : 'pool'}.query('INSERT INTO items (org_id) VALUES ($1)', [orgId]);\n` +
      '  };\n}\n',
  );
  src.set(
    'src/use-factory.ts',
    "import { pool, withOrg } from './db';\nimport { makeSaver } from './factory';\nconst saver = makeSaver();\n" +
      'export async function run(orgId: string): Promise<void> {\n' +
      (s.made === 'pool'
        ? '  await saver(pool, orgId);\n'
        : '  await withOrg(orgId, (c) => saver(c, orgId));\n') +
      '}\n',
  );
  src.set(
    'src/routes.ts',
    "import { Router } from 'express';\nimport { pool } from './db';\nimport { save } from './helpers';\n" +
      "export const router = Router();\nrouter.post('/items', async (req, res) => {\n" +
      '  await save(pool, req.body.orgId);\n  res.sendStatus(201);\n});\n',
  );
  src.set(
    'src/server.ts',
    "import express from 'express';\nimport { router } from './routes';\nexport const app = express();\n" +
      (s.mounted ? "app.use('/api', router);\n" : '') +
      'export default app;\n',
  );
  [...src.keys()].sort().forEach((rel, i) => {
    out.set(rel, `${'// note\n'.repeat(s.comments[i] ?? 0)}${src.get(rel)!}`);
  });
  return out;
}

type GraphEdit =
  | { kind: 'caller'; i: number; to: GraphState['callers'][number] }
  | { kind: 'store'; i: number }
  | { kind: 'applier'; i: number }
  | { kind: 'engineOnPool' }
  | { kind: 'extraTyped' }
  | { kind: 'deps'; i: number; to: GraphState['deps'][number] }
  | { kind: 'factory' }
  | { kind: 'made' }
  | { kind: 'mounted' }
  | { kind: 'comment'; i: number }
  | { kind: 'listed'; i: number };

function applyGraph(s: GraphState, e: GraphEdit): void {
  if (e.kind === 'caller') s.callers[e.i % s.callers.length] = e.to;
  if (e.kind === 'store') s.stores[e.i % s.stores.length] = !s.stores[e.i % s.stores.length];
  if (e.kind === 'applier') s.appliers[e.i % s.appliers.length] = !s.appliers[e.i % s.appliers.length];
  if (e.kind === 'engineOnPool') s.engineOnPool = !s.engineOnPool;
  if (e.kind === 'extraTyped') s.extraTyped = !s.extraTyped;
  if (e.kind === 'deps') s.deps[e.i % s.deps.length] = e.to;
  if (e.kind === 'factory') s.factory = s.factory === 'param' ? 'pool' : 'param';
  if (e.kind === 'made') s.made = s.made === 'pool' ? 'scoped' : 'pool';
  if (e.kind === 'mounted') s.mounted = !s.mounted;
  if (e.kind === 'comment') s.comments[e.i] = ((s.comments[e.i] ?? 0) + 1) % 3;
  if (e.kind === 'listed') s.listed[e.i % s.listed.length] = !s.listed[e.i % s.listed.length];
}

const graphEditArb: fc.Arbitrary<GraphEdit> = fc.oneof(
  fc.record({
    kind: fc.constant('caller' as const),
    i: fc.nat(2),
    to: fc.constantFrom('none' as const, 'pool' as const, 'scoped' as const),
  }),
  fc.record({ kind: fc.constant('store' as const), i: fc.nat(1) }),
  fc.record({ kind: fc.constant('applier' as const), i: fc.nat(1) }),
  fc.record({ kind: fc.constant('engineOnPool' as const) }),
  fc.record({ kind: fc.constant('extraTyped' as const) }),
  fc.record({
    kind: fc.constant('deps' as const),
    i: fc.nat(1),
    to: fc.constantFrom('none' as const, 'save' as const, 'own' as const),
  }),
  fc.record({ kind: fc.constant('factory' as const) }),
  fc.record({ kind: fc.constant('made' as const) }),
  fc.record({ kind: fc.constant('mounted' as const) }),
  fc.record({ kind: fc.constant('comment' as const), i: fc.nat(21) }),
  fc.record({ kind: fc.constant('listed' as const), i: fc.nat(1) }),
);

/**
 * An index's lists in a comparable form: each function by where it is, each edge by its fields' identities; the
 * program's functions by declared type it linked over; where each escaped function is used as a value.
 */
function indexShape(index: KeptCallerIndex): string {
  const ids = new Map<unknown, number>();
  const id = (x: unknown): number => ids.get(x) ?? ids.set(x, ids.size).get(x)!;
  const fn = (f: ts.Node): string => `${path.basename(f.getSourceFile().fileName)}:${f.pos}`;
  const edge = (e: object): string =>
    Object.entries(e)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${id(v)}`)
      .join(',');
  // Functions in a fixed order (the maps' own order is not part of the index), so edges' fields are numbered alike.
  const lists = (m: Map<ts.Node, object[]>): string[] =>
    [...m]
      .map(([f, list]) => [fn(f), list] as const)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([f, list]) => `${f} <- ${list.map(edge).join(' | ')}`);
  const set = (s: Set<ts.Node> | undefined): string[] => [...(s ?? [])].map(fn).sort();
  return JSON.stringify({
    callers: lists(index.callers as Map<ts.Node, object[]>),
    uses: lists(index.uses as Map<ts.Node, object[]>),
    escaped: set(index.escaped),
    dispatched: set(index.dispatched),
    typed: [...index.typed.byType].map(([type, fns]) => `${fn(type)} = ${fns.map(fn).join(' ')}`).sort(),
    escapesOf: [...index.escapesOf].map(([f, ids]) => `${fn(f)} <- ${ids.map(fn).join(' ')}`).sort(),
  });
}

function graphStep(app: App<GraphState>): void {
  const result = verdicts(app.incremental());
  expect(result).toBe(verdicts(app.fresh()));
  const kept = lastCallerIndex()!;
  const fresh = freshCallerIndex(kept.files, kept.origins, { root: kept.root, wholeProgram: kept.wholeProgram });
  expect(indexShape(kept)).toBe(indexShape(fresh));
}

describe("the session's kept call graph", () => {
  it('is updated for the files whose facts changed, and equals one built afresh', () => {
    const state = graphInitial();
    const app = new App<GraphState>(state, true, graphFiles);
    graphStep(app);
    const all = lastCallerIndex()!.files.length;
    expect(lastCallerIndex()!.last).toMatchObject({ fresh: true, files: all });
    // A caller of the helper moves into the scope: only that file's part is built again.
    applyGraph(state, { kind: 'caller', i: 0, to: 'scoped' });
    app.write(state);
    graphStep(app);
    expect(lastCallerIndex()!.last).toMatchObject({ fresh: false, files: 1 });
    // A comment in the helper: its facts (and its callers', which read it) are new, the others' kept.
    applyGraph(state, { kind: 'comment', i: [...graphFiles(state).keys()].filter((f) => f.startsWith('src/')).sort()
      .indexOf('src/helpers.ts') });
    app.write(state);
    graphStep(app);
    expect(lastCallerIndex()!.last.fresh).toBe(false);
    expect(lastCallerIndex()!.last.files).toBeLessThan(all);
    // A comment in the file declaring `Applier`: the functions declared with it (files not parsed again) are read again.
    applyGraph(state, { kind: 'comment', i: [...graphFiles(state).keys()].filter((f) => f.startsWith('src/')).sort()
      .indexOf('src/appliers/types.ts') });
    app.write(state);
    graphStep(app);
    expect(lastCallerIndex()!.last.fresh).toBe(false);
    // Every kind of cross-file change, each followed by its undoing.
    for (const e of [
      { kind: 'caller', i: 2, to: 'pool' },
      { kind: 'caller', i: 2, to: 'none' },
      { kind: 'store', i: 1 },
      { kind: 'store', i: 1 },
      { kind: 'applier', i: 1 },
      { kind: 'engineOnPool' },
      { kind: 'applier', i: 1 },
      { kind: 'extraTyped' },
      { kind: 'extraTyped' },
      { kind: 'deps', i: 1, to: 'save' },
      { kind: 'deps', i: 1, to: 'own' },
      { kind: 'deps', i: 0, to: 'none' },
      { kind: 'deps', i: 1, to: 'none' },
      { kind: 'factory' },
      { kind: 'made' },
      { kind: 'factory' },
      { kind: 'mounted' },
      { kind: 'mounted' },
      // The file list changes: the parts of the files in both lists are kept, not built afresh.
      { kind: 'listed', i: 0 },
      { kind: 'listed', i: 1 },
      { kind: 'listed', i: 0 },
      { kind: 'listed', i: 1 },
    ] as GraphEdit[]) {
      applyGraph(state, e);
      app.write(state);
      graphStep(app);
      expect(lastCallerIndex()!.last.fresh, e.kind).toBe(false);
    }
  });

  it('equals one built afresh over random sequences of edits', () => {
    fc.assert(
      fc.property(fc.array(graphEditArb, { minLength: 1, maxLength: 6 }), (edits) => {
        const state = graphInitial();
        const app = new App<GraphState>(state, true, graphFiles);
        graphStep(app);
        for (const e of edits) {
          applyGraph(state, e);
          app.write(state);
          graphStep(app);
        }
      }),
      { numRuns: Number(process.env.SESSION_RUNS ?? 15), seed: Number(process.env.SESSION_SEED ?? 13) },
    );
  });
});

describe('when the session is worn', () => {
  // What a replaced parse leaves held grows with its text: the session is replaced after analysing twice its program's
  // text, however few files that is. An editor re-linting one large file re-analyses one file per edit; counted in
  // files, the session lived for thousands of such edits (signacare's route file: about 12 MB held per edit).
  const render = (edits: number): Map<string, string> => {
    const out = files(initial());
    const big = Array.from(
      { length: 60 },
      (_, i) => `export async function big${i}(orgId: string): Promise<void> {\n  await pool.query('INSERT INTO items (org_id) VALUES ($1)', [orgId]);\n}\n`,
    );
    out.set('src/big.ts', `import { pool } from './db';\n${big.join('')}// edit ${edits}\n`);
    return out;
  };

  it('counts the text analysed, not the files: one large file edited again and again wears it', () => {
    const app = new App<number>(0, true, render);
    app.incremental(new Set(['src/big.ts']));
    const chars = (rel: string): number => render(0).get(rel)!.length;
    const program = SOURCES(render(0)).reduce((n, rel) => n + chars(rel), 0);
    const big = chars('src/big.ts');
    // The large file is most of the program: a few edits of it analyse the program's text twice over.
    expect(big * 2).toBeGreaterThan(program);
    let edits = 0;
    while (!app.session.worn && edits < 50) {
      app.write(++edits);
      app.incremental(new Set(['src/big.ts']));
      expect(app.session.lastAnalysed).toContain('src/big.ts');
    }
    // Worn once the re-analysed text passes twice the program's (the first analysis counts as one program).
    expect(edits).toBe(Math.floor(program / big) + 1);
  });
});
