import ts from '../../ts.js';
import { functionName, type Origin, type OriginResolver, shortText } from '../../code/origins.js';
import { isUnencapsulatedPlugin, pluginRegistration } from '../../code/carried.js';
import { isFunctionLike } from '../../code/scope.js';
import { indexedNodes, topLevelOf } from '../../code/file-nodes.js';
import { skipOuter } from '../../syntax/wrappers.js';
import { type DepNode, type Facts, Interner, markDead, TrackedMemo } from '../../code/fixpoint.js';
import { NestRoutes } from './nest.js';
import { RcRoutes } from './routing-controllers.js';
import { rcServerCall, type RcServer } from '../../code/rc-controllers.js';
import { exportedValues, ROUTE_HANDLER_METHODS, routeFilePath, usesServer } from './next.js';

// Entry points: where execution starts without a caller in the codebase. HTTP routes (and
// the middleware chain each runs behind), queue workers, cron and timer loops. Recognised
// by provenance (the app is what `express()` / `new Hono()` made, the worker a bullmq
// `Worker`), never by variable names. Module-level code and exported functions nobody
// calls are roots too; reach.ts adds those.

/** Where a root's execution starts, for evidence. */
export interface Root {
  kind: 'route' | 'middleware' | 'job' | 'timer' | 'module' | 'exported' | 'unknown';
  /** "route POST /api/projects (src/app.ts:12)". */
  label: string;
  node: ts.Node;
  /** Names of the middleware the root runs behind, outermost first. */
  behind: string[];
}

/** A function run by a root, and the middleware before it in the chain. */
export interface RootEntry {
  fn: ts.FunctionLikeDeclaration;
  root: Root;
  /** Middleware run before `fn` (each calls next() to continue). */
  chain: Middleware[];
}

export interface Middleware {
  expr: ts.Expression;
  /** The function, when the codebase defines it. */
  fn?: ts.FunctionLikeDeclaration;
  /** Index of the `next` parameter: (req, res, next) for Express, (c, next) for Hono and Koa. */
  nextIndex: number;
  name: string;
  /** The import it comes from, if any (for configured ambientScopes). */
  module?: string;
  /** A package's middleware: it cannot enter the codebase's stores. */
  external: boolean;
  /** The package's call that made it, when the codebase holds it in a name (`export const auth = clerkAuth({…})`). */
  madeBy?: PackageMaker;
  /** Functions passed to the call the middleware or handler is (`asyncHandler(fn)`): they run as it. */
  wrapped: ts.FunctionLikeDeclaration[];
  /**
   * A wrapper of the codebase around a handler (`withMiddleware(async (req) => …)`): it runs
   * the handler (its argument `index`) inside whatever it enters, as a middleware would.
   */
  wrapper?: { call: ts.CallExpression; fn: ts.FunctionLikeDeclaration; index: number };
}

type Framework = { name: 'express' | 'hono' | 'koa-router' | 'fastify' | 'next'; nextIndex: number };

/** Handlers a framework calls with no `next` (Next.js route handlers, server actions). */
const NO_NEXT: Framework = { name: 'next', nextIndex: -1 };

const ROUTE_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'del', 'all', 'options', 'head']);

interface Registration {
  /** `rc`: routing-controllers' `useExpressServer(app, options)` registers its controllers' routes here. */
  kind: 'use' | 'route' | 'rc';
  method: string;
  prefix: string;
  args: ts.Expression[];
  call: ts.CallExpression;
  /** When it runs relative to the object's other registrations: the call sites that lead to it, outermost first. */
  order: number[];
  /** The routing-controllers server call of an `rc` registration. */
  server?: RcServer;
}

interface AppObject {
  node: ts.Node;
  framework: Framework;
  regs: Registration[];
  mountedIn: number;
}

/**
 * What the scan reads of a file by its syntax alone, in source order, once per parse: an
 * editor's analysis session (analysis/session.ts) scans the same unchanged files after every
 * edit. Taken from the file's indexed nodes (file-nodes.ts), not a walk of its own. Each list
 * holds the nodes a step of the scan can act on, by a test of their syntax that is a superset
 * of that step's own (a call named `map.get(…)` is listed, `foo.bar(…)` is not), in the order
 * the step met them when it looked at every call: the scan does the same in the same order,
 * without asking what the callee of every call of the program is at every lint.
 */
interface FileSyntax {
  /** Calls and `new` expressions (the order the scan numbers them). */
  calls: (ts.CallExpression | ts.NewExpression)[];
  /** Calls a registration, a job or a timer can be (`call` and `construct` below do nothing with the others). */
  scanned: (ts.CallExpression | ts.NewExpression)[];
  /** `x.register(…)` calls (Fastify plugins: pluginRegistration's own test). */
  registers: ts.CallExpression[];
  /** `S.run(v, cb)` calls (AsyncLocalStorage: providers.ts runCall's own test). */
  runs: ts.CallExpression[];
  /**
   * `useGlobalGuards/useGlobalInterceptors` and `consumer.apply(…).forRoutes(…)` calls and object literals with
   * `useClass`, in one pre-order (NestJS).
   */
  nestNodes: (ts.CallExpression | ts.ObjectLiteralExpression)[];
  /** Decorated classes (NestJS controllers and strategies). */
  decorated: ts.ClassDeclaration[];
  /** Functions whose own body starts with 'use server'. */
  serverActions: ts.FunctionLikeDeclaration[];
  /** Each call's position among the file's calls (`new` left out), made when first asked (`positionIn`). */
  order?: Map<ts.Node, number>;
}

const syntaxes = new WeakMap<ts.SourceFile, FileSyntax>();

/** Methods through which `call` registers something on an app, a router or a Fastify instance. */
const REGISTERING = new Set(['addHook', 'use', 'route', 'openapi', 'register', ...ROUTE_METHODS]);
/** node-cron's `cron.schedule(expr, fn)`, pg-boss's `boss.work(queue, fn)`. */
const JOB_METHODS = new Set(['schedule', 'work']);

function syntaxOf(sf: ts.SourceFile): FileSyntax {
  let found = syntaxes.get(sf);
  if (found) return found;
  const out: FileSyntax = {
    calls: [],
    scanned: [],
    registers: [],
    runs: [],
    nestNodes: [],
    decorated: [],
    serverActions: [],
  };
  for (const n of indexedNodes(sf)) {
    if (ts.isCallExpression(n)) {
      out.calls.push(n);
      const callee = skipOuter(n.expression);
      if (ts.isPropertyAccessExpression(callee)) {
        const method = callee.name.text;
        if (REGISTERING.has(method) || JOB_METHODS.has(method)) out.scanned.push(n);
        if (method === 'register' && n.arguments.length >= 1) out.registers.push(n);
        if (method === 'run' && n.arguments.length >= 2) out.runs.push(n);
        if (method === 'useGlobalGuards' || method === 'useGlobalInterceptors' || method === 'forRoutes')
          out.nestNodes.push(n);
      } else if (ts.isIdentifier(callee)) out.scanned.push(n);
    } else if (ts.isNewExpression(n)) {
      out.calls.push(n);
      out.scanned.push(n);
    } else if (ts.isObjectLiteralExpression(n)) {
      if (n.properties.some((p) => ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && p.name.text === 'useClass'))
        out.nestNodes.push(n);
    } else if (ts.isClassDeclaration(n) && ts.getDecorators(n)?.length) out.decorated.push(n);
    if (isFunctionLike(n) && n.body && ts.isBlock(n.body) && usesServer(n.body.statements))
      out.serverActions.push(n);
  }
  syntaxes.set(sf, (found = out));
  return found;
}

/** False only when `call` or `construct` does nothing with this call, whatever the rest of the program holds. */
function mayAct(origins: OriginResolver, n: ts.CallExpression | ts.NewExpression): boolean {
  if (ts.isNewExpression(n)) return isBullWorker(origins.expr(n.expression));
  const callee = skipOuter(n.expression);
  if (ts.isPropertyAccessExpression(callee)) {
    if (JOB_METHODS.has(callee.name.text)) return true;
    // `appsOf`: an object made by a call or `new` (`appOf`), or a registration helper's parameter.
    const o = origins.expr(callee.expression);
    if (o.kind === 'param') return o.path.length === 0;
    if (o.kind !== 'expr') return false;
    const made = skipOuter(o.expr);
    return ts.isCallExpression(made) || ts.isNewExpression(made);
  }
  if (!ts.isIdentifier(callee)) return false;
  return TIMERS.includes(callee.text) || isGraphileRun(origins.expr(callee)) || !!rcServerCall(n, origins);
}

/**
 * The calls of a file the scan's pass over registrations, jobs and timers may act on (`call`, `construct`): those
 * whose callee can be an app, a router, a registration helper's parameter, a job or a timer, read from the code
 * alone. Taken at the end of the file's flow (analysis/index.ts), so that the pass reads these, not every call of
 * every file once more after the flows (docs/performance.md, link24); in an editor's session, remembered per parse.
 */
export function registrationCalls(
  sf: ts.SourceFile,
  origins: OriginResolver,
): (ts.CallExpression | ts.NewExpression)[] {
  return syntaxOf(sf).scanned.filter((n) => mayAct(origins, n));
}

export function callsIn(sf: ts.SourceFile): (ts.CallExpression | ts.NewExpression)[] {
  return syntaxOf(sf).calls;
}

/** The file's `S.run(v, cb)`-shaped calls (see FileSyntax). */
export function runCallsIn(sf: ts.SourceFile): readonly ts.CallExpression[] {
  return syntaxOf(sf).runs;
}

/** A call's position among its file's calls (undefined for a `new` expression, as the scan's numbering had it). */
function positionIn(sf: ts.SourceFile, call: ts.Node): number | undefined {
  const syntax = syntaxOf(sf);
  if (!syntax.order) {
    syntax.order = new Map();
    for (const n of syntax.calls) if (ts.isCallExpression(n)) syntax.order.set(n, syntax.order.size);
  }
  return syntax.order.get(call);
}

/** Positions per file in `order`: more than any file has calls, so a file's calls all come before the next file's. */
const FILE_STRIDE = 2 ** 24;

/** Global timers: `setInterval(fn, ms)` and friends. */
const TIMERS = ['setInterval', 'setTimeout', 'setImmediate'];

function isBullWorker(ctor: Origin): boolean {
  return ctor.kind === 'external' && ctor.module === 'bullmq' && ctor.path[0] === 'Worker';
}

/** graphile-worker's `run({ taskList })` / `runOnce(…)`. */
function isGraphileRun(fn: Origin): boolean {
  return (
    fn.kind === 'external' &&
    fn.module === 'graphile-worker' &&
    ['run', 'runOnce'].includes(fn.path[fn.path.length - 1] ?? '')
  );
}

/**
 * What an editor's analysis session (the fact engine tracks dependencies: analysis/session.ts) keeps between the
 * scans of its lints: per file, the calls the scan may act on; per argument of a registration, the middleware it is.
 * Both are read from the syntax and the origins of the program's nodes only, so each is a tracked memo's entry
 * (fixpoint.ts): it is evicted when a file it read through an import changes, and a changed file is a new parse
 * (new keys). What depends on the whole program (which objects are apps, their registrations and mounts, the callers
 * of registration helpers, Fastify's plugin loads) is gathered again at every scan from these.
 */
interface ScanMemos {
  scanned: TrackedMemo<ts.SourceFile, (ts.CallExpression | ts.NewExpression)[]>;
  middleware: TrackedMemo<object, Middleware>;
  keys: Interner;
  /** What each file's calls did to the scan (`FileLog`), for the program's file list `logsOf`. */
  logs: WeakMap<ts.SourceFile, FileLog>;
  logsOf: readonly string[];
  /** Each walk of an app's routes (`RoutesWalk`), by the app's node, the path it is mounted at, the chain before it. */
  walks: WeakMap<object, RoutesWalk>;
}

/**
 * What one file's calls did in the scan's pass over registrations, jobs and timers (`call`, `construct`), in order: the
 * apps and routers they found (by the node that made each), the registrations and mounts on them, the roots of jobs
 * and timers. In an editor's session it is replayed, file by file in the program's order, instead of being found again
 * while what it read is unchanged: the file's parse (the key), the program's file list (the calls' order numbers),
 * the facts it read (a node of the engine's graph, evicted with them), and the callers of registration helpers it
 * followed (`callsTo`, compared call by call). Only in a program without Fastify plugin loads: an encapsulated
 * plugin's instance is made where it is registered and may stand at a node another file's call reads as an app, so
 * what a file's call does would depend on the files before it.
 */
interface FileLog {
  ops: LogOp[];
  asked: Map<ts.FunctionLikeDeclaration, readonly (ts.CallExpression | ts.NewExpression)[]>;
  /**
   * The file's calls it went through (`scanned`): replayed only while they are the same list. The list the file's flow
   * took is new whenever the file is analysed again (an edit of a file its calls' callees resolve into), and reading
   * it reads no fact that an edit would evict.
   */
  calls: readonly (ts.CallExpression | ts.NewExpression)[];
  dead: boolean;
  /** Its computation in the engine's graph, listed under the file's parse (fixpoint.ts, `forget`). */
  node?: DepNode | undefined;
}

/**
 * What one walk of an app's routes (`routes`: the app, the path it is mounted at, the middleware before it) added: the
 * roots of its routes and middleware and of the apps mounted in it, in order. In an editor's session it is added again
 * instead of walked while what it read is unchanged: the facts it read (a node of the engine's graph, evicted with
 * them), the registrations of every app it walked (the same objects in the same order: a file whose pass was replayed
 * gives its registrations again, one recorded anew gives new ones), and the app each argument of a `use` mounts. An
 * edit of one route file walks again the apps on the way from its router to the top, not every router of the program.
 */
interface RoutesWalk {
  entries: RootEntry[];
  /** Every app walked (itself and those mounted in it, transitively): its node, framework and registrations. */
  apps: { node: ts.Node; framework: Framework; regs: readonly Registration[] }[];
  /** Each argument of a `use` registration it asked about, and the node of the app it mounts (undefined: none). */
  mounts: [ts.Expression, ts.Node | undefined][];
  dead: boolean;
  node?: DepNode | undefined;
}

type LogOp =
  | { op: 'app'; node: ts.Node; framework: Framework }
  | { op: 'reg'; node: ts.Node; reg: Registration }
  | { op: 'mount'; node: ts.Node }
  | { op: 'root'; entry: RootEntry };
const scanMemosOf = new WeakMap<Facts, ScanMemos>();

function scanMemos(facts: Facts): ScanMemos | undefined {
  if (!facts.tracks) return undefined;
  let m = scanMemosOf.get(facts);
  if (!m) {
    m = {
      scanned: new TrackedMemo(facts),
      middleware: new TrackedMemo(facts),
      keys: new Interner(true),
      logs: new WeakMap(),
      logsOf: [],
      walks: new WeakMap(),
    };
    scanMemosOf.set(facts, m);
  }
  return m;
}

let lastWork = { replayed: 0, recorded: 0 };
let lastWalks = { walked: 0, kept: 0, registrations: 0 };

/** Of the last scan's files, how many had their pass over registrations replayed, and how many recorded (tests). */
export function lastScanWork(): { replayed: number; recorded: number } {
  return lastWork;
}

/**
 * Of the last scan's walks of an app's routes (`RoutesWalk`): how many were walked, how many added again as they were,
 * and how many registrations the walked ones went through (tests and the bench).
 */
export function lastRoutesWork(): { walked: number; kept: number; registrations: number } {
  return lastWalks;
}

export class EntryPoints {
  private readonly apps = new Map<ts.Node, AppObject>();
  readonly entries: RootEntry[] = [];
  /** Functions whose being passed as a value is explained by a registration seen here. */
  readonly registered = new Set<ts.FunctionLikeDeclaration>();
  /** The middleware each `use` registration adds (`usesOf`). */
  private uses = new Map<Registration, Middleware[]>();
  /** Each file's position in the scan, for the order of registrations made through helpers (`order`). */
  private readonly fileIndex = new Map<ts.SourceFile, number>();
  /** Fastify: each plugin function, with the `register(…)` calls that load it. */
  private readonly plugins = new Map<ts.FunctionLikeDeclaration, ts.CallExpression[]>();
  /** Fastify: the encapsulated instance an unwrapped plugin gets, by the plugin argument of its `register(…)`. */
  private readonly children = new Map<ts.Node, AppObject>();

  /** What is remembered between the scans of an editor's session (undefined elsewhere: see `ScanMemos`). */
  private readonly memos: ScanMemos | undefined;

  constructor(
    private readonly origins: OriginResolver,
    private readonly where: (n: ts.Node) => string,
    /** The calls of a function of the codebase (the flow walk's call edges). */
    private readonly callsTo: (
      fn: ts.FunctionLikeDeclaration,
    ) => readonly (ts.CallExpression | ts.NewExpression)[] = () => [],
  ) {
    this.memos = scanMemos(origins.facts);
  }

  /**
   * `taken`: each file's calls that may register something or be a job or a timer, as its flow took them
   * (`registrationCalls`): the pass over registrations reads those, not every call of every file again.
   */
  scan(
    files: readonly ts.SourceFile[],
    taken?: (sf: ts.SourceFile) => readonly (ts.CallExpression | ts.NewExpression)[] | undefined,
  ): this {
    this.taken = taken;
    // Calls are numbered in the program's order (file by file, in source order) only when a registration asks
    // (`order`): numbering every call of the program for the few that register cost a map entry per call per lint.
    files.forEach((sf, i) => this.fileIndex.set(sf, i));
    for (const sf of files)
      for (const n of syntaxOf(sf).registers) {
        const loaded = pluginRegistration(n, this.origins);
        if (!loaded) continue;
        const loads = this.plugins.get(loaded.plugin) ?? this.plugins.set(loaded.plugin, []).get(loaded.plugin)!;
        loads.push(n);
      }
    const memos = this.memos;
    const logged = !!memos && this.plugins.size === 0;
    lastWork = { replayed: 0, recorded: 0 };
    if (memos && logged) {
      const names = files.map((sf) => sf.fileName);
      if (names.length !== memos.logsOf.length || names.some((n, i) => n !== memos.logsOf[i])) {
        memos.logs = new WeakMap();
        memos.logsOf = names;
      }
    }
    for (const sf of files) {
      if (!memos || !logged) {
        this.callsIn(sf);
        continue;
      }
      let log = memos.logs.get(sf);
      const calls = this.scanned(sf);
      if (
        !log ||
        log.dead ||
        log.calls !== calls ||
        [...log.asked].some(([fn, asked]) => !sameCalls(this.callsTo(fn), asked))
      ) {
        // The log it replaces goes with its computation (which nothing else would evict: it holds the ops).
        this.origins.facts.discard(log?.node);
        const made: FileLog = { ops: [], asked: new Map(), calls, dead: false };
        const node = (made.node = this.origins.facts.newNode(markDead(made), sf));
        this.log = made;
        try {
          this.origins.facts.within(node, () => this.callsIn(sf));
        } finally {
          this.log = undefined;
        }
        memos.logs.set(sf, (log = made));
        lastWork.recorded++;
        continue;
      }
      this.replay(log);
      lastWork.replayed++;
    }
    lastWalks = { walked: 0, kept: 0, registrations: 0 };
    this.walks = logged ? memos?.walks : undefined;
    this.decorated = files.flatMap((sf) => syntaxOf(sf).decorated);
    for (const app of this.apps.values()) if (app.mountedIn === 0) this.routes(app, '', [], new Set());
    for (const sf of files) this.nextjs(sf);
    this.nest(files);
    return this;
  }

  /** The pass over a file's calls that may register something, or be a job or a timer. */
  private callsIn(sf: ts.SourceFile): void {
    for (const n of this.scanned(sf)) {
      if (ts.isCallExpression(n)) this.call(n);
      else this.construct(n);
    }
  }

  /** The program's decorated classes (routing-controllers' controllers given by glob). */
  private decorated: ts.ClassDeclaration[] = [];

  /** The walks kept between scans (`RoutesWalk`): only where the pass over registrations is logged. */
  private walks: WeakMap<object, RoutesWalk> | undefined;
  /** Times a walk met an app it was already inside (a cycle of mounts): a walk that met one is not kept. */
  private cycles = 0;

  /** The log being recorded of the file `callsIn` reads (see `FileLog`). */
  private log: FileLog | undefined;

  /** Does again what a file's calls did (see `FileLog`). */
  private replay(log: FileLog): void {
    for (const op of log.ops) {
      if (op.op === 'app') {
        if (!this.apps.has(op.node))
          this.apps.set(op.node, { node: op.node, framework: op.framework, regs: [], mountedIn: 0 });
      } else if (op.op === 'reg') this.apps.get(op.node)!.regs.push(op.reg);
      else if (op.op === 'mount') this.apps.get(op.node)!.mountedIn++;
      else {
        this.registered.add(op.entry.fn);
        this.entries.push(op.entry);
      }
    }
  }

  /** A registration on an app, recorded in the log. */
  private addReg(app: AppObject, reg: Registration): void {
    app.regs.push(reg);
    this.log?.ops.push({ op: 'reg', node: app.node, reg });
  }

  /** An app mounted in another, recorded in the log. */
  private mount(app: AppObject): void {
    app.mountedIn++;
    this.log?.ops.push({ op: 'mount', node: app.node });
  }

  /** A job's or timer's root, recorded in the log. */
  private addRoot(entry: RootEntry): void {
    this.registered.add(entry.fn);
    this.entries.push(entry);
    this.log?.ops.push({ op: 'root', entry });
  }

  /** The calls of a registration helper, recorded in the log. */
  private callsOf(fn: ts.FunctionLikeDeclaration): readonly (ts.CallExpression | ts.NewExpression)[] {
    const calls = this.callsTo(fn);
    this.log?.asked.set(fn, calls);
    return calls;
  }

  /**
   * The calls of a file `call` and `construct` may act on. In an editor's session, only those whose callee can be an
   * app, a router, a registration helper's parameter, a job or a timer (`mayAct`), remembered per parse while what
   * that read is unchanged (`memos`): an edit's lint then looks at a few calls of each file, not every one.
   */
  private scanned(sf: ts.SourceFile): readonly (ts.CallExpression | ts.NewExpression)[] {
    const taken = this.taken?.(sf);
    if (taken) return taken;
    const all = syntaxOf(sf).scanned;
    const memo = this.memos?.scanned;
    return memo ? memo.get(sf, () => registrationCalls(sf, this.origins)) : all;
  }

  /** Each file's calls `scanned` gives, as its flow took them (`registrationCalls`); undefined: none were taken. */
  private taken: ((sf: ts.SourceFile) => readonly (ts.CallExpression | ts.NewExpression)[] | undefined) | undefined;


  /** A call's place in the scan (0 for one outside the files scanned, and for a `new` expression). */
  private order(call: ts.Node): number {
    const sf = call.getSourceFile();
    const file = this.fileIndex.get(sf);
    const at = file === undefined ? undefined : positionIn(sf, call);
    return at === undefined ? 0 : file! * FILE_STRIDE + at;
  }

  /** The framework object (app or router) an expression is, by what made it. */
  private appOf(expr: ts.Expression): AppObject | undefined {
    const origin = this.origins.expr(expr);
    if (origin.kind !== 'expr') return undefined;
    const made = skipOuter(origin.expr);
    if (!ts.isCallExpression(made) && !ts.isNewExpression(made)) return undefined;
    const known = this.apps.get(made);
    if (known) {
      this.log?.ops.push({ op: 'app', node: made, framework: known.framework });
      return known;
    }
    const maker = this.origins.expr(made.expression);
    if (maker.kind !== 'external') return undefined;
    const framework = frameworkOf(maker.module, maker.path);
    if (!framework) return undefined;
    const app: AppObject = { node: made, framework, regs: [], mountedIn: 0 };
    this.apps.set(made, app);
    this.log?.ops.push({ op: 'app', node: made, framework });
    return app;
  }

  private call(call: ts.CallExpression): void {
    const callee = skipOuter(call.expression);
    if (ts.isPropertyAccessExpression(callee)) {
      const method = callee.name.text;
      if (
        method === 'addHook' ||
        method === 'use' ||
        method === 'route' ||
        method === 'openapi' ||
        method === 'register' ||
        ROUTE_METHODS.has(method)
      ) {
        const apps = this.appsOf(callee.expression, 0);
        for (const { app, order } of apps) this.register(app, method, call, [...order, this.order(call)]);
        if (apps.length) return;
      }
      // node-cron's cron.schedule(expr, fn); pg-boss's boss.work(queue, fn).
      const target = this.origins.expr(callee.expression);
      if (method === 'schedule' && target.kind === 'external' && target.module === 'node-cron')
        this.job('timer', `cron ${literal(call.arguments[0]) ?? ''}`.trim(), call, call.arguments[1]);
      if (method === 'work' && target.kind === 'expr' && ts.isNewExpression(skipOuter(target.expr))) {
        const ctor = this.origins.expr((skipOuter(target.expr) as ts.NewExpression).expression);
        if (ctor.kind === 'external' && ctor.module === 'pg-boss')
          this.job(
            'job',
            `job '${literal(call.arguments[0]) ?? '?'}'`,
            call,
            call.arguments[call.arguments.length - 1],
          );
      }
      return;
    }
    // routing-controllers: `useExpressServer(app, options)` registers its controllers on the app at that point;
    // `createExpressServer(options)` makes an app with them registered first.
    const server = ts.isIdentifier(callee) ? rcServerCall(call, this.origins) : undefined;
    if (server) {
      const apps = server.app ? this.appsOf(server.app, 0) : [{ app: this.appOf(call)!, order: [] }];
      for (const { app, order } of apps)
        if (app) {
          const at = [...order, this.order(call)];
          this.addReg(app, { kind: 'rc', method: 'rc', prefix: '', args: [], call, order: at, server });
        }
      return;
    }
    // graphile-worker: run({ taskList: { name: fn } }) / runOnce(…).
    if (ts.isIdentifier(callee) || ts.isPropertyAccessExpression(callee)) {
      if (isGraphileRun(this.origins.expr(callee))) this.taskList(call);
    }
    // Global timers: setInterval(fn, ms) and friends (not shadowed by a local binding).
    if (
      ts.isIdentifier(callee) &&
      TIMERS.includes(callee.text) &&
      this.origins.expr(callee).kind === 'unknown'
    ) {
      this.job('timer', `${callee.text} loop`, call, call.arguments[0]);
    }
  }

  private taskList(call: ts.CallExpression): void {
    const options = call.arguments[0] && this.objectOf(call.arguments[0]);
    const list = options && propertyOf(options, 'taskList');
    const tasks = list && this.objectOf(list);
    if (!tasks) return;
    for (const p of tasks.properties) {
      const name = p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : '?';
      const value = ts.isPropertyAssignment(p)
        ? p.initializer
        : ts.isShorthandPropertyAssignment(p)
          ? p.name
          : ts.isMethodDeclaration(p)
            ? undefined
            : undefined;
      if (ts.isMethodDeclaration(p)) {
        this.addRoot({
          fn: p,
          chain: [],
          root: {
            kind: 'job',
            label: `the graphile-worker task '${name}' (${this.where(call)})`,
            node: call,
            behind: [],
          },
        });
      } else if (value) this.job('job', `graphile-worker task '${name}'`, call, value);
    }
  }

  /**
   * The middleware an argument stands for: the elements of an array literal (inline or a const,
   * spreads followed), else the expression itself. A spread that cannot be read stays one opaque
   * middleware, which cannot be followed (never dropped).
   */
  private elements(expr: ts.Expression, depth = 0): ts.Expression[] {
    const e = skipOuter(expr);
    let array = ts.isArrayLiteralExpression(e) ? e : undefined;
    if (!array && ts.isIdentifier(e)) {
      const o = this.origins.expr(e);
      const made = o.kind === 'expr' ? skipOuter(o.expr) : undefined;
      if (made && ts.isArrayLiteralExpression(made)) array = made;
    }
    if (!array || depth > 4) return [expr];
    return array.elements.flatMap((x) => (ts.isSpreadElement(x) ? this.elements(x.expression, depth + 1) : [x]));
  }

  /** `createRoute({ … })` (or the object itself): a route's configuration. */
  private routeConfig(expr: ts.Expression): ts.ObjectLiteralExpression | undefined {
    const e = skipOuter(expr);
    const o = this.origins.expr(e);
    const made = ts.isCallExpression(e) ? e : o.kind === 'expr' ? skipOuter(o.expr) : e;
    if (ts.isCallExpression(made) && made.arguments[0]) return this.objectOf(made.arguments[0]);
    return this.objectOf(e);
  }

  /** An object literal, inline or through a const. */
  private objectOf(expr: ts.Expression): ts.ObjectLiteralExpression | undefined {
    const e = skipOuter(expr);
    if (ts.isObjectLiteralExpression(e)) return e;
    const o = this.origins.expr(e);
    return o.kind === 'expr' && ts.isObjectLiteralExpression(skipOuter(o.expr))
      ? (skipOuter(o.expr) as ts.ObjectLiteralExpression)
      : undefined;
  }

  private construct(created: ts.NewExpression): void {
    if (isBullWorker(this.origins.expr(created.expression))) {
      this.job('job', `job '${literal(created.arguments?.[0]) ?? '?'}'`, created, created.arguments?.[1]);
    }
  }

  private job(kind: 'job' | 'timer', what: string, at: ts.Node, handler: ts.Expression | undefined): void {
    const fn = handler && this.functionOf(handler);
    if (!fn) return;
    const name = isNamed(fn) ? `${functionName(fn)}, ` : '';
    this.addRoot({
      fn,
      chain: [],
      root: { kind, label: `the ${what} (${name}${this.where(at)})`, node: at, behind: [] },
    });
  }

  /**
   * The app or router an expression is; through a parameter (`registerRoutes(app)`), each
   * one its callers pass, with the calls that lead there (they decide the order).
   */
  private appsOf(expr: ts.Expression, depth: number): { app: AppObject; order: number[] }[] {
    const direct = this.appOf(expr);
    if (direct) return [{ app: direct, order: [] }];
    const o = this.origins.expr(expr);
    if (o.kind !== 'param' || o.path.length || depth > 4) return [];
    const out: { app: AppObject; order: number[] }[] = [];
    // A Fastify plugin's instance: the registering one for a plugin wrapped by fastify-plugin (its hooks and routes
    // take their place among the registering instance's at the `register` call), else its own encapsulated child.
    const loads = o.binding.index === 0 ? this.plugins.get(o.binding.fn as ts.FunctionLikeDeclaration) : undefined;
    for (const call of loads ?? []) {
      const arg = call.arguments[0]!;
      if (!isUnencapsulatedPlugin(arg, this.origins)) {
        out.push({ app: this.child(arg), order: [] });
        continue;
      }
      const receiver = (skipOuter(call.expression) as ts.PropertyAccessExpression).expression;
      for (const a of this.appsOf(receiver, depth + 1))
        out.push({ app: a.app, order: [...a.order, this.order(call)] });
    }
    if (loads) return out;
    for (const call of this.callsOf(o.binding.fn as ts.FunctionLikeDeclaration)) {
      const arg = call.arguments?.[o.binding.index];
      if (!arg || !ts.isCallExpression(call)) continue;
      for (const a of this.appsOf(arg, depth + 1))
        out.push({ app: a.app, order: [...a.order, this.order(call)] });
    }
    return out;
  }

  /** The encapsulated Fastify instance a plugin registered without fastify-plugin runs with. */
  private child(arg: ts.Expression): AppObject {
    // Never while a log is recorded (only without plugin loads): one that meets it is not replayed.
    if (this.log) this.log.dead = true;
    let app = this.children.get(arg);
    if (!app) {
      app = { node: arg, framework: { name: 'fastify', nextIndex: 2 }, regs: [], mountedIn: 0 };
      this.children.set(arg, app);
      this.apps.set(arg, app);
    }
    return app;
  }

  /** An app, router or Fastify plugin instance an argument of a registration mounts. */
  private mounted(a: ts.Expression): AppObject | undefined {
    return this.appOf(a) ?? this.routerOf(a) ?? this.children.get(a);
  }

  private register(app: AppObject, method: string, call: ts.CallExpression, order: number[]): void {
    if (method === 'register') {
      // Fastify: an encapsulated plugin is a child instance that inherits the hooks added before it (with its
      // `prefix`); one wrapped by fastify-plugin registers on this instance itself (appsOf).
      const arg = call.arguments[0];
      if (app.framework.name !== 'fastify' || !arg || !pluginRegistration(call, this.origins)) return;
      if (isUnencapsulatedPlugin(arg, this.origins)) return;
      const options = call.arguments[1] && skipOuter(call.arguments[1]);
      const prefix = (options && ts.isObjectLiteralExpression(options) && literal(propertyOf(options, 'prefix'))) || '';
      this.addReg(app, { kind: 'use', method: 'use', prefix, args: [arg], call, order });
      this.mount(this.child(arg));
      return;
    }
    if (app.framework.name === 'fastify' && method === 'addHook') {
      // Fastify's request hooks run before every route of the instance, as middleware.
      const hook = literal(call.arguments[0]);
      if (hook && FASTIFY_REQUEST_HOOKS.has(hook) && call.arguments[1])
        this.addReg(app, { kind: 'use', method, prefix: '', args: [call.arguments[1]], call, order });
      return;
    }
    if (method === 'addHook') return;
    if (app.framework.name === 'fastify' && method === 'route') {
      // app.route({ method, url, preHandler, handler })
      const options = call.arguments[0] && skipOuter(call.arguments[0]);
      if (!options || !ts.isObjectLiteralExpression(options)) return;
      const url = literal(propertyOf(options, 'url'));
      const handler = propertyOf(options, 'handler');
      const verb = literal(propertyOf(options, 'method')) ?? 'route';
      if (url === undefined || !handler) return;
      this.addReg(app, {
        kind: 'route',
        method: verb.toLowerCase(),
        prefix: url,
        args: [...routeHooks(options), handler],
        call,
        order,
      });
      return;
    }
    if (method === 'openapi') {
      // @hono/zod-openapi: app.openapi(createRoute({ method, path, middleware: […] }), handler).
      const route = call.arguments[0] && this.routeConfig(call.arguments[0]);
      const handler = call.arguments[1];
      const url = route && literal(propertyOf(route, 'path'));
      if (!route || !handler || url === undefined) return;
      const before = propertyOf(route, 'middleware');
      this.addReg(app, {
        kind: 'route',
        method: (literal(propertyOf(route, 'method')) ?? 'route').toLowerCase(),
        prefix: url,
        args: [...(before ? this.elements(before) : []), handler],
        call,
        order,
      });
      return;
    }
    // Arrays of middleware (inline, a const, spread into the call) are flattened.
    let args = call.arguments.flatMap((a) => (ts.isSpreadElement(a) ? this.elements(a.expression) : this.elements(a)));
    // Fastify's route options (`app.get(path, { schema, preHandler }, handler)`): their hooks run before the handler.
    args = args.flatMap((a) => {
      const e = skipOuter(a);
      return ts.isObjectLiteralExpression(e) ? routeHooks(e) : [a];
    });
    const first = args[0] && this.pathOf(args[0]);
    const prefix = first !== undefined ? first : '';
    const rest = first !== undefined ? args.slice(1) : args;
    const kind = method === 'use' || method === 'route' ? 'use' : 'route';
    if (kind === 'route' && first === undefined) return; // app.get('setting'): not a route
    this.addReg(app, { kind, method, prefix, args: rest, call, order });
    for (const a of rest) {
      const child = this.appOf(a) ?? this.routerOf(a);
      if (child) this.mount(child);
    }
  }

  /**
   * A route path or mount prefix: a literal, or a template whose parts are constants
   * (`${API}/fhir` with `const API = '/api/v1'`). One that cannot be folded keeps its
   * source text, so it still reads as a path (never as a middleware) and matches itself.
   */
  private pathOf(expr: ts.Expression, depth = 0): string | undefined {
    const e = skipOuter(expr);
    const text = literal(e);
    if (text !== undefined) return text;
    if (ts.isTemplateExpression(e)) {
      let out = e.head.text;
      for (const span of e.templateSpans)
        out += (this.pathOf(span.expression, depth + 1) ?? `\${${span.expression.getText()}}`) + span.literal.text;
      return out;
    }
    if (ts.isIdentifier(e) && depth < 4) {
      const o = this.origins.expr(e);
      if (o.kind === 'expr' && skipOuter(o.expr) !== e) {
        const folded = this.pathOf(o.expr, depth + 1);
        if (folded !== undefined && depth > 0) return folded;
        if (
          folded !== undefined &&
          (ts.isStringLiteral(skipOuter(o.expr)) ||
            ts.isTemplateExpression(skipOuter(o.expr)) ||
            ts.isNoSubstitutionTemplateLiteral(skipOuter(o.expr)))
        )
          return folded;
      }
    }
    return undefined;
  }

  /** Koa: `app.use(router.routes())` mounts the router. */
  private routerOf(expr: ts.Expression): AppObject | undefined {
    const e = skipOuter(expr);
    if (!ts.isCallExpression(e) || !ts.isPropertyAccessExpression(skipOuter(e.expression))) return undefined;
    const callee = skipOuter(e.expression) as ts.PropertyAccessExpression;
    return callee.name.text === 'routes' ? this.appOf(callee.expression) : undefined;
  }

  /**
   * The middleware a `use` registration adds (its arguments that mount no app or router), read once: every route
   * registered after it on its object runs behind it, so a router with n routes asked it n times.
   */
  private usesOf(reg: Registration, framework: Framework): Middleware[] {
    let found = this.uses.get(reg);
    if (!found)
      this.uses.set(
        reg,
        (found = reg.args.filter((a) => !this.mounted(a)).map((a) => this.middleware(a, framework))),
      );
    return found;
  }

  /**
   * Every route of an object, with the middleware before it, as roots; in an editor's session, a walk kept from an
   * earlier scan when what it read is unchanged (`RoutesWalk`). Returns the walk, unless it met a cycle or is not kept.
   */
  private routes(app: AppObject, base: string, outer: Middleware[], seen: Set<AppObject>): RoutesWalk | undefined {
    if (seen.has(app)) {
      this.cycles++;
      return undefined;
    }
    const walks = this.walks;
    if (!walks) {
      this.walkRoutes(app, base, outer, seen, undefined);
      return undefined;
    }
    const facts = this.origins.facts;
    const key = this.memos!.keys.key(app.node, base, ...outer);
    const kept = walks.get(key);
    if (kept && !kept.dead && this.stillWalks(kept)) {
      facts.readNode(kept.node);
      for (const e of kept.entries) {
        this.registered.add(e.fn);
        this.entries.push(e);
      }
      lastWalks.kept++;
      return kept;
    }
    // The walk it replaces goes with its computation (nothing else would evict it: it holds the old entries).
    facts.discard(kept?.node);
    const made: RoutesWalk = {
      entries: [],
      apps: [{ node: app.node, framework: app.framework, regs: [...app.regs] }],
      mounts: [],
      dead: false,
    };
    const node = (made.node = facts.newNode(markDead(made), app.node));
    const start = this.entries.length;
    const cycles = this.cycles;
    // Each walk reads the middleware of its own `use` registrations (what it read is then its own, in the graph).
    const uses = this.uses;
    this.uses = new Map();
    try {
      facts.within(node, () => this.walkRoutes(app, base, outer, seen, made));
    } finally {
      this.uses = uses;
    }
    made.entries = this.entries.slice(start);
    if (this.cycles !== cycles) {
      facts.discard(node);
      walks.delete(key);
      return undefined;
    }
    walks.set(key, made);
    facts.readNode(node);
    return made;
  }

  /** Whether a kept walk is the one this scan's apps give (see `RoutesWalk`; what it read of the facts aside). */
  private stillWalks(walk: RoutesWalk): boolean {
    for (const a of walk.apps) {
      const now = this.apps.get(a.node);
      if (!now || now.framework.name !== a.framework.name || now.framework.nextIndex !== a.framework.nextIndex)
        return false;
      if (now.regs.length !== a.regs.length || now.regs.some((r, i) => r !== a.regs[i])) return false;
    }
    return walk.mounts.every(([arg, node]) => this.mounted(arg)?.node === node);
  }

  private walkRoutes(
    app: AppObject,
    base: string,
    outer: Middleware[],
    seen: Set<AppObject>,
    made: RoutesWalk | undefined,
  ): void {
    lastWalks.walked++;
    lastWalks.registrations += app.regs.length;
    const inside = new Set([...seen, app]);
    // Only `use` registrations run before others (a list of them, not every registration per route: a router with n
    // routes and a few `use`s costs n times those few, not n²).
    // Each prefix made bare once per walk, not once per registration after it.
    const useRegs = app.regs.filter((r) => r.kind === 'use').map((r) => ({ r, bare: barePrefix(r.prefix) }));
    for (const reg of app.regs) {
      const before = (path: string): Middleware[] =>
        useRegs
          .filter(({ r, bare }) => earlier(r.order, reg.order) && under(path, bare))
          .flatMap(({ r }) => this.usesOf(r, app.framework));
      if (reg.kind === 'rc') {
        // Behind the app's middleware registered before the server call whose prefix the route's path falls
        // under, then routing-controllers' own (roots/routing-controllers.ts).
        const rc = new RcRoutes(this.origins, (e) => this.middleware(e, app.framework));
        for (const r of rc.routes(reg.server!, this.decorated) ?? [])
          this.root(r.fn, 'route', r.what, reg.call, [...outer, ...before(r.path), ...r.chain]);
        continue;
      }
      if (reg.kind === 'use') {
        for (const a of reg.args) {
          const child = this.mounted(a);
          made?.mounts.push([a, child?.node]);
          if (child) {
            // Middleware before the mount with a prefix the mount point falls under.
            const walked = this.routes(child, join(base, reg.prefix), [...outer, ...before(reg.prefix)], inside);
            if (walked && made) {
              for (const w of walked.apps) made.apps.push(w);
              for (const m of walked.mounts) made.mounts.push(m);
            }
          } else {
            const mw = this.middleware(a, app.framework);
            for (const fn of new Set([mw.fn, ...mw.wrapped]))
              if (fn)
                this.root(fn, 'middleware', `middleware ${mw.name} for ${join(base, reg.prefix) || '/'}`, reg.call, [
                  ...outer,
                  ...before(reg.prefix),
                ]);
          }
        }
        continue;
      }
      const handlers = reg.args.map((a) => this.middleware(a, app.framework));
      const chain = [...outer, ...before(reg.prefix)];
      const route = `${reg.method.toUpperCase()} ${join(base, reg.prefix)}`;
      handlers.forEach((h, i) => {
        const last = i === handlers.length - 1;
        for (const fn of new Set([h.fn, ...h.wrapped])) {
          if (fn)
            this.root(
              fn,
              last ? 'route' : 'middleware',
              last ? `route ${route}` : `middleware ${h.name} of route ${route}`,
              reg.call,
              [...chain, ...handlers.slice(0, i), ...this.wrapperChain(h.expr, fn)],
            );
        }
      });
    }
  }

  private root(
    fn: ts.FunctionLikeDeclaration,
    kind: Root['kind'],
    what: string,
    at: ts.Node,
    chain: Middleware[],
  ): void {
    this.registered.add(fn);
    // A package's middleware is named only when imported by name (it may be a configured ambientScope).
    const behind = chain.filter((m) => !m.external || m.module !== undefined).map((m) => m.name);
    this.entries.push({ fn, chain, root: { kind, label: `the ${what} (${this.where(at)})`, node: at, behind } });
  }

  /** Next.js: route handlers (the HTTP-method exports of app/…/route.ts) and server actions. */
  private nextjs(sf: ts.SourceFile): void {
    const route = routeFilePath(sf.fileName);
    // The prologue's 'use server', read by the file's index walk (file-nodes.ts): its statements are not walked again.
    const actions = topLevelOf(sf).useServer;
    if (route !== undefined || actions) {
      for (const ex of exportedValues(sf)) {
        if (route !== undefined && !ROUTE_HANDLER_METHODS.has(ex.name)) continue;
        this.handler(
          ex.value,
          route !== undefined ? `Next.js route handler ${ex.name} ${route}` : `server action ${ex.name}`,
          ex.node,
        );
      }
    }
    // A function whose own body starts with 'use server' is a server action wherever it is declared.
    if (!actions)
      for (const n of syntaxOf(sf).serverActions)
        if (!this.registered.has(n)) this.root(n, 'route', `server action ${functionName(n)}`, n, []);
  }

  /** NestJS controllers: global guards and interceptors first (wherever registered), then each route. */
  private nest(files: readonly ts.SourceFile[]): void {
    const nest = new NestRoutes(this.origins);
    const classes: ts.ClassDeclaration[] = [];
    for (const sf of files) {
      const syntax = syntaxOf(sf);
      for (const n of syntax.nestNodes) {
        if (ts.isCallExpression(n)) nest.global(n);
        else nest.provider(n);
      }
      classes.push(...syntax.decorated);
    }
    for (const cls of classes) nest.strategy(cls);
    for (const cls of classes) {
      for (const r of nest.routes(cls)) {
        const chain: Middleware[] = r.chain.map((st) => ({
          expr: st.expr,
          nextIndex: st.nextIndex,
          name: st.name,
          external: !st.fn && !st.unread,
          wrapped: [],
          ...(st.fn ? { fn: st.fn } : {}),
        }));
        this.root(r.fn, 'route', r.what, r.fn, chain);
        // Each middleware, guard and interceptor of the codebase runs its own code behind the steps before it (an
        // interceptor's writes before `next.handle()` run in the transaction an earlier interceptor opened).
        chain.forEach((m, i) => {
          if (m.fn) this.root(m.fn, 'route', `${m.name} of the ${r.what}`, m.fn, chain.slice(0, i));
        });
      }
    }
  }

  /** A function a framework calls by itself: the function, or a wrapper's call around one. */
  private handler(value: ts.Expression | ts.FunctionDeclaration, what: string, at: ts.Node): void {
    if (ts.isFunctionDeclaration(value)) {
      this.root(value, 'route', what, at, []);
      return;
    }
    const h = this.middleware(value, NO_NEXT);
    for (const fn of new Set([h.fn, ...h.wrapped]))
      if (fn) this.root(fn, 'route', what, at, this.wrapperChain(h.expr, fn));
  }

  /** `wrap(fn)` with `wrap` a function of the codebase: fn runs inside what wrap enters. */
  private wrapperChain(expr: ts.Expression, fn: ts.FunctionLikeDeclaration): Middleware[] {
    const e = skipOuter(expr);
    if (!ts.isCallExpression(e)) return [];
    const target = this.origins.expr(e.expression);
    if (target.kind !== 'function') return [];
    const index = e.arguments.findIndex((a) => {
      const o = this.origins.expr(a);
      return o.kind === 'function' && o.decl === fn;
    });
    if (index < 0) return [];
    return [
      {
        expr: e,
        nextIndex: -1,
        name: functionName(target.decl),
        external: false,
        wrapped: [],
        wrapper: { call: e, fn: target.decl, index },
      },
    ];
  }

  private middleware(expr: ts.Expression, framework: Framework): Middleware {
    const memos = this.memos;
    if (!memos) return this.readMiddleware(expr, framework);
    const key = memos.keys.key(expr, framework.name, framework.nextIndex);
    return memos.middleware.get(key, () => this.readMiddleware(expr, framework));
  }

  private readMiddleware(expr: ts.Expression, framework: Framework): Middleware {
    const e = skipOuter(expr);
    const wrapped = this.wrapped(e);
    // A handler wrapped by a package's helper (`asyncHandler(async (req, res) => …)`) is the
    // function it wraps; a codebase factory's returned function is read as it is.
    const fn = this.functionOf(e) ?? wrapped[0];
    const name = fn && isNamed(fn) ? functionName(fn) : shortText(e, 30);
    // `requireTenant()`: a package's middleware factory is named by what it is imported as.
    const named = ts.isCallExpression(e) ? skipOuter(e.expression) : e;
    const origin = ts.isIdentifier(named) ? importOf(named) : undefined;
    const source = this.origins.expr(ts.isCallExpression(e) ? e.expression : e);
    const external = this.fromPackage(e, 0);
    // An async Fastify hook takes no `done` (its third parameter, if any, is a hook's payload): it continues when it
    // returns, with what its body entered at its top level.
    const asyncHook =
      framework.name === 'fastify' && !!fn && !!ts.getModifiers(fn)?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword);
    return {
      expr: e,
      nextIndex: asyncHook ? -1 : framework.nextIndex,
      name: origin?.name ?? name,
      external: external && !fn,
      wrapped,
      ...(fn ? { fn } : {}),
      ...(origin ? { module: origin.module } : {}),
      ...(external && !fn ? packageMade(this.origins, e) : {}),
    };
  }

  /**
   * Whether a middleware is a package's: imported from one, or made by one
   * (`const apiLimiter = rateLimit({…})`, `upload.single('file')` with `upload = multer()`).
   */
  private fromPackage(expr: ts.Expression, depth: number): boolean {
    return fromPackage(this.origins, expr, depth);
  }

  /** The functions passed to a call that stands for a handler: `wrap(fn)` runs fn when the route runs. */
  private wrapped(e: ts.Expression): ts.FunctionLikeDeclaration[] {
    if (!ts.isCallExpression(e)) return [];
    return e.arguments.flatMap((a) => {
      const o = this.origins.expr(a);
      return o.kind === 'function' ? [o.decl] : [];
    });
  }

  /** The function an expression is: a function, a name bound to one, or a call of a factory that returns one. */
  functionOf(expr: ts.Expression, depth = 0): ts.FunctionLikeDeclaration | undefined {
    const origin = this.origins.expr(expr);
    if (origin.kind === 'function') return origin.decl;
    if (depth > 3) return undefined;
    // `const prescriber = requireRoles([…])`: the call the name holds.
    const e =
      origin.kind === 'expr' && ts.isCallExpression(skipOuter(origin.expr)) ? skipOuter(origin.expr) : skipOuter(expr);
    if (ts.isCallExpression(e)) {
      const factory = this.origins.expr(e.expression);
      // Hono's `createMiddleware(fn)` (hono/factory) is `fn`, typed.
      const hono = factory.kind === 'external' && factory.module === 'hono/factory';
      if (hono && factory.path.join('.') === 'createMiddleware')
        return e.arguments[0] ? this.functionOf(e.arguments[0], depth + 1) : undefined;
      if (factory.kind === 'function' && factory.decl.body) {
        const body = factory.decl.body;
        const returned = ts.isBlock(body)
          ? body.statements.filter(ts.isReturnStatement).map((r) => r.expression)
          : [body];
        // A factory may return another factory's result: `requireRole(r) { return requireRoles([r]) }`.
        if (returned.length === 1 && returned[0]) return this.functionOf(returned[0], depth + 1);
      }
    }
    return undefined;
  }
}

function sameCalls(a: readonly ts.Node[], b: readonly ts.Node[]): boolean {
  return a.length === b.length && a.every((c, i) => c === b[i]);
}

/** Lexicographic order of call-site positions. */
function earlier(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return a.length < b.length;
}

function frameworkOf(module: string, path: string[]): Framework | undefined {
  const p = path.join('.');
  if (module === 'express' && (p === '' || p === 'Router')) return { name: 'express', nextIndex: 2 };
  if ((module === 'hono' && p === 'Hono') || (module === '@hono/zod-openapi' && p === 'OpenAPIHono'))
    return { name: 'hono', nextIndex: 1 };
  if ((module === '@koa/router' || module === 'koa-router') && p === '') return { name: 'koa-router', nextIndex: 1 };
  if (module === 'koa' && p === '') return { name: 'koa-router', nextIndex: 1 };
  // routing-controllers' `createExpressServer(options)` makes an Express app.
  if (module === 'routing-controllers' && p === 'createExpressServer') return { name: 'express', nextIndex: 2 };
  // A Fastify hook is (request, reply, done); an async one has no done.
  if (module === 'fastify' && (p === '' || p === 'fastify' || p === 'default'))
    return { name: 'fastify', nextIndex: 2 };
  return undefined;
}

/** A `use` prefix as route paths are matched against it (`under`): '' and '/' match all; Hono's '/x/*' is '/x'. */
function barePrefix(prefix: string): string {
  return prefix.replace(/\/?\*$/, '').replace(/\/$/, '');
}

/** Whether a route path falls under a `use` prefix made bare (`barePrefix`). */
function under(path: string, bare: string): boolean {
  return bare === '' || path === bare || path.startsWith(`${bare}/`);
}

function join(a: string, b: string): string {
  return `${a.replace(/\/$/, '')}${b === '/' && a ? '' : b}`;
}

/** Fastify's hooks that run before a route's handler, in the order they run. */
const FASTIFY_REQUEST_HOOKS = new Set(['onRequest', 'preParsing', 'preValidation', 'preHandler']);

/** The request hooks in a Fastify route's options, in the order they run (arrays flattened). */
function routeHooks(options: ts.ObjectLiteralExpression): ts.Expression[] {
  return [...FASTIFY_REQUEST_HOOKS].flatMap((name) => {
    const v = propertyOf(options, name);
    const e = v && skipOuter(v);
    if (!e) return [];
    return ts.isArrayLiteralExpression(e) ? e.elements.filter((x): x is ts.Expression => !ts.isSpreadElement(x)) : [e];
  });
}

function propertyOf(obj: ts.ObjectLiteralExpression, name: string): ts.Expression | undefined {
  for (const p of obj.properties) {
    if (!p.name || !(ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) || p.name.text !== name) continue;
    if (ts.isPropertyAssignment(p)) return p.initializer;
    if (ts.isShorthandPropertyAssignment(p)) return p.name;
    if (ts.isMethodDeclaration(p)) return undefined;
  }
  return undefined;
}

function literal(e: ts.Expression | undefined): string | undefined {
  const x = e && skipOuter(e);
  return x && (ts.isStringLiteral(x) || ts.isNoSubstitutionTemplateLiteral(x)) ? x.text : undefined;
}

function isNamed(fn: ts.FunctionLikeDeclaration): boolean {
  return functionName(fn) !== '<anonymous>';
}

function importOf(id: ts.Identifier): { name: string; module: string } | undefined {
  // The import declaration that binds this name, if any (for configured ambientScopes).
  const sf = id.getSourceFile();
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) || !st.importClause || !ts.isStringLiteral(st.moduleSpecifier)) continue;
    const c = st.importClause;
    if (c.name?.text === id.text) return { name: id.text, module: st.moduleSpecifier.text };
    if (c.namedBindings && ts.isNamedImports(c.namedBindings)) {
      const el = c.namedBindings.elements.find((x) => x.name.text === id.text);
      if (el) return { name: (el.propertyName ?? el.name).text, module: st.moduleSpecifier.text };
    }
  }
  return undefined;
}

/**
 * Whether a value is a package's: imported from one, or made by one (`const apiLimiter = rateLimit({…})`,
 * `upload.single('file')` with `upload = multer()`, `const platformSession = session({…})`).
 */
export interface PackageMaker {
  /** The package's export called, as the code names it there (`clerkMiddleware`). */
  name: string;
  module: string;
  call: ts.CallExpression;
}

/**
 * The package call a name of the codebase holds: `clerkAdminAuth` imported from `../middleware/admin.js`, where it is
 * `export const clerkAdminAuth = clerkMiddleware({…})`. The routes import it by a relative path, but what it does
 * is the package's (init says which package, so the user knows what to read before declaring it).
 */
function packageMade(origins: OriginResolver, expr: ts.Expression): { madeBy?: PackageMaker } {
  const origin = origins.expr(expr);
  if (origin.kind !== 'expr') return {};
  const made = skipOuter(origin.expr);
  if (made === expr || !ts.isCallExpression(made)) return {};
  const maker = origins.expr(made.expression);
  if (maker.kind !== 'external') return {};
  const name = maker.path.length ? maker.path.join('.') : shortText(made.expression, 30);
  return { madeBy: { name, module: maker.module, call: made } };
}

export function fromPackage(origins: OriginResolver, expr: ts.Expression, depth = 0): boolean {
  const e = skipOuter(expr);
  const origin = origins.expr(e);
  if (origin.kind === 'external') return true;
  if (depth > 4) return false;
  if (ts.isCallExpression(e)) return fromPackage(origins, e.expression, depth + 1);
  if (ts.isPropertyAccessExpression(e)) return fromPackage(origins, e.expression, depth + 1);
  if (
    origin.kind === 'expr' &&
    skipOuter(origin.expr) !== e &&
    (ts.isCallExpression(skipOuter(origin.expr)) || ts.isPropertyAccessExpression(skipOuter(origin.expr)))
  )
    return fromPackage(origins, origin.expr, depth + 1);
  return false;
}
