import ts from '../../ts.js';
import { returnStatements } from '../../code/own-returns.js';
import { adapterForModule } from '../../adapters/index.js';
import { classMethod, injectToken, typeName } from '../../code/injected.js';
import { functionName, type Origin, type OriginResolver, shortText } from '../../code/origins.js';
import { isFunctionLike, lookup } from '../../code/scope.js';
import { conditionsBetween, skipOuter } from '../../syntax/wrappers.js';
import { indexedNodes } from '../../code/file-nodes.js';
import type { AmbientHandle } from '../ambient/providers.js';
import type { Handle, ParamBinding } from '../handles.js';
import { migrationsRunOption } from './login-roles.js';

// NestJS dependency injection: what the container passes to a constructor parameter that is
// bound by a token rather than by a class the code constructs. The providers are read from
// the code, wherever they are written (`providers: [{ provide: TOKEN, useFactory, inject }]`,
// a const holding the literal), by the provenance of their tokens (a class, a `Symbol(…)`, a
// string): useFactory (what the factory returns, its parameters bound to `inject`), useClass,
// useValue, useExisting. nestjs-cls's transactional plugin makes `txHost.tx` the client
// provided under the adapter's `prismaInjectionToken`. A factory that extends a Prisma client
// with `$allOperations` running `set_config(…, true)` gives a scoped client, or, when the hook
// sets it only if a value read from nestjs-cls is present, an ambient one: org-scoped on the
// paths that `cls.set(KEY, …)` before, the bare client elsewhere (settled per root, like an
// AsyncLocalStorage accessor: ambient/settle.ts).

const NESTJS_CLS = 'nestjs-cls';
const TRANSACTIONAL = '@nestjs-cls/transactional';
const PRISMA_ADAPTER = '@nestjs-cls/transactional-adapter-prisma';
/** nestjs-prisma's PrismaService is a PrismaClient. */
const NESTJS_PRISMA = 'nestjs-prisma';
/** `eventEmitter.emit(E, …)` / `emitAsync` runs every `@OnEvent(E)` method, during the call. */
const EVENT_EMITTER = '@nestjs/event-emitter';
const NEST_TYPEORM = '@nestjs/typeorm';

interface ProviderLiteral {
  literal: ts.ObjectLiteralExpression;
  kind: 'useFactory' | 'useClass' | 'useValue' | 'useExisting';
  value: ts.Expression;
  inject: readonly ts.Expression[];
}

export interface NestDeps {
  origins: OriginResolver;
  /** The program's files; a new list (an editor session's next program) rebuilds the provider index. */
  files: () => readonly ts.SourceFile[];
  where: (n: ts.Node) => string;
  /** The handle an expression is (a useValue, what a factory returns). */
  of: (e: ts.Expression) => Handle;
  /** The local settings (`set_config(…, true)`) a query call or tagged template sets, that policies read. */
  settings: (e: ts.Expression) => string[];
  /** The handle a class token stands for when nothing provides it (a class extending PrismaClient). */
  classHandle: (cls: ts.ClassLikeDeclaration, at: ts.Node) => Handle | undefined;
  /** Whether a node is in a test file: a testing module's providers stand for no production value. */
  inTest: (n: ts.Node) => boolean;
  /**
   * The admin connection a token names when the config declares it under `adminProviders` (`DRIZZLE_DB` for
   * `{ provide: DRIZZLE_DB, useFactory }` whose role is BYPASSRLS by deployment): `definition` is what it provides.
   */
  adminToken?: (token: ts.Identifier, definition: () => Handle) => Handle | undefined;
}

/** What the container passes to a constructor parameter the code calls (`this.makeDb(conn)`), by its provider. */
export type InjectedCallee =
  | { kind: 'function'; fn: ts.FunctionLikeDeclaration; label: string }
  /** A value that is not a function of the codebase (a library's factory such as `drizzle`): called as it is. */
  | { kind: 'value'; value: ts.Expression; label: string }
  | { kind: 'unknown'; reason: string };

export class NestContainer {
  private index:
    | {
        providers: Map<unknown, ProviderLiteral>;
        /**
         * Providers written only in test files (a testing module's `{ provide: TOKEN, useValue: mock }`): they never
         * stand for what the application's container passes, whichever file is read last.
         */
        testProviders: Map<unknown, ProviderLiteral>;
        /** Each `useFactory` function (inline, or a function the literal names): its provider. */
        factories: Map<ts.Node, ProviderLiteral>;
        adapterToken?: ts.Expression;
        cls?: ts.CallExpression;
        /** `TypeOrmModule.forRoot(…)` / `forRootAsync(…)` calls of application code: the app's TypeORM connections. */
        typeormRoots: ts.CallExpression[];
        listeners: Map<string, ts.MethodDeclaration[]>;
      }
    | undefined;
  private indexed: readonly ts.SourceFile[] | undefined;
  /**
   * Whether anything asked the container this analysis: then the results depend on every file declaring providers,
   * listeners or nestjs-cls's setup, not only on what the files import (the audit cache: src/cache/incremental.ts).
   */
  wasRead = false;
  private readonly resolving = new Set<unknown>();
  /** Clients made by a `$allModels` hook: the client each extends, for the raw queries the hook does not see. */
  private readonly modelHooks = new WeakMap<Handle, { base: Handle; where: string }>();

  constructor(private readonly deps: NestDeps) {}

  /**
   * Where the application's one TypeORM connection says it applies the migrations itself at startup (`migrationsRun:
   * true` in `TypeOrmModule.forRoot({…})`, or in the object `forRootAsync`'s `useFactory` returns): that connection
   * logs in as the role that runs them. Undefined where there are several connections (named ones: which the
   * injected client is, is not read), or the option is not the constant `true` (`process.env.X !== '1'`: the
   * deployment decides).
   */
  typeormMigrationsRun(): ts.Node | undefined {
    const roots = this.read().typeormRoots;
    if (roots.length !== 1) return undefined;
    for (const options of connectionOptions(roots[0]!)) {
      const run = migrationsRunOption(options);
      if (run) return run;
    }
    return undefined;
  }

  /** The `ClsModule.forRoot(…)` call: the one nestjs-cls store of the application. */
  clsStore(): ts.CallExpression | undefined {
    return this.read().cls;
  }

  /** Whether a parameter is nestjs-cls's ClsService (the store, read by `get`, entered by `set`). */
  isClsService(decl: ts.ParameterDeclaration): boolean {
    const t = typeName(decl.type);
    return !!t && isExternal(this.deps.origins.expr(t), NESTJS_CLS, 'ClsService');
  }

  /** What the container passes to a constructor parameter, read at `path` (`txHost.tx`), when a provider says. */
  injected(binding: ParamBinding, path: readonly (string | number)[], at?: ts.Node): Handle | undefined {
    const decl = binding.decl;
    const t = typeName(decl.type);
    if (t && isExternal(this.deps.origins.expr(t), TRANSACTIONAL, 'TransactionHost')) {
      if (path.length !== 1 || path[0] !== 'tx') return undefined;
      const token = this.read().adapterToken;
      if (!token) return undefined;
      const h = this.forQuery(this.token(token), at);
      const via = `prismaInjectionToken ${shortText(token, 30)} at ${this.deps.where(token)}`;
      return h && relabel(h, `\`${binding.name}.tx\` (TransactionHost of the ClsPluginTransactional, ${via}) → `);
    }
    if (path.length) return undefined;
    if (!ts.isConstructorDeclaration(binding.fn)) return this.factoryParam(binding, at);
    const token = injectToken(decl);
    return token ? this.forQuery(this.token(token), at) : undefined;
  }

  /**
   * A `query: { $allModels: … }` hook runs for model operations only: a raw query (`$executeRaw`) on the extended
   * client runs as on the client it extends.
   */
  private forQuery(h: Handle | undefined, at: ts.Node | undefined): Handle | undefined {
    const hooked = h && this.modelHooks.get(h);
    if (!hooked || !at || !clientLevelCall(at)) return h;
    return relabel(hooked.base, `${hooked.where} (a model-operation hook, which a raw query such as ` +
      `\`${shortText(at, 30)}\` does not run): `);
  }

  /** The connection a token is provided as. */
  private token(token: ts.Expression): Handle | undefined {
    const key = this.key(token);
    if (key === undefined || this.resolving.has(key)) return undefined;
    this.resolving.add(key);
    try {
      const p = this.read().providers.get(key);
      if (!p) return this.testOnly(token) ?? this.unprovided(token);
      const at = `${shortText(token, 30)} (provided at ${this.deps.where(p.literal)})`;
      const provided = (): Handle | undefined => {
        switch (p.kind) {
          case 'useExisting':
            return relabel(this.token(p.value), `${at}, an alias of `);
          case 'useValue':
            return relabel(this.deps.of(p.value), `${at} → `);
          case 'useClass': {
            const o = this.deps.origins.expr(p.value);
            return o.kind === 'class' ? this.deps.classHandle(o.decl, p.value) : undefined;
          }
          case 'useFactory':
            return this.factory(p, at);
        }
      };
      // A token the config declares admin: what the container passes logs in as a bypassing role the code does not
      // show (a DSN from the environment), so the declaration, not the factory, says what it is.
      const unknown: Handle = { kind: 'unknown', reason: `${at} cannot be traced` };
      const admin = ts.isIdentifier(token) ? this.deps.adminToken?.(token, () => provided() ?? unknown) : undefined;
      return admin ? relabel(admin, `${at} → `) : provided();
    } finally {
      this.resolving.delete(key);
    }
  }

  /**
   * A string or symbol token that only test files provide: what the application's container passes for it is not
   * written in the audited files (a class token is the class itself, as when nothing provides it).
   */
  private testOnly(token: ts.Expression): Extract<Handle, { kind: 'unknown' }> | undefined {
    const key = this.key(token);
    const p = key === undefined ? undefined : this.read().testProviders.get(key);
    if (!p || this.deps.origins.expr(token).kind === 'class') return undefined;
    return {
      kind: 'unknown',
      reason:
        `${shortText(token, 30)} is provided only in a test (${this.deps.where(p.literal)}), so what the ` +
        "application's container passes for it is unknown (provide it in one of the application's modules, or audit " +
        'the package whose module provides it together with this one)',
    };
  }

  /**
   * The function the container passes to a constructor parameter injected by token, for a call of it
   * (`this.createDb(conn)` with `{ provide: 'CREATE_DB', useValue: createDb }`, or a `useFactory` returning one): the
   * call is a call of that function. Undefined for a parameter not injected by token (a class instance's methods
   * are call edges: code/injected.ts).
   */
  injectedCallee(binding: ParamBinding): InjectedCallee | undefined {
    if (!ts.isConstructorDeclaration(binding.fn) || binding.path.length) return undefined;
    const token = injectToken(binding.decl);
    return token ? this.calleeOf(token, `\`this.${binding.name}\``, 0) : undefined;
  }

  private calleeOf(token: ts.Expression, what: string, depth: number): InjectedCallee {
    const name = shortText(token, 30);
    const key = this.key(token);
    const index = this.read();
    const p = key === undefined ? undefined : index.providers.get(key);
    if (!p || depth > 4) {
      const reason =
        this.testOnly(token)?.reason ??
        (key === undefined
          ? `${what} is injected under ${name}, a token this analysis cannot read`
          : `${what} is injected under ${name}, which no provider in the audited files provides`);
      return { kind: 'unknown', reason };
    }
    const at = `${what} (${name}, provided at ${this.deps.where(p.literal)})`;
    const valueOf = (e: ts.Expression, how: string): InjectedCallee => {
      const o = this.deps.origins.expr(e);
      if (o.kind === 'function' && o.decl.body) {
        const label = `${at}${how} → ${functionName(o.decl)} (${this.deps.where(o.decl)})`;
        return { kind: 'function', fn: o.decl, label };
      }
      if (o.kind === 'external') return { kind: 'value', value: e, label: `${at}${how} → ${shortText(e, 30)}` };
      return {
        kind: 'unknown',
        reason: `${at}${how} is \`${shortText(e, 40)}\`, which cannot be traced to a function`,
      };
    };
    switch (p.kind) {
      case 'useExisting':
        return this.calleeOf(p.value, `${at}, an alias of ${shortText(p.value, 30)}`, depth + 1);
      case 'useValue':
        return valueOf(p.value, '');
      case 'useClass':
        return { kind: 'unknown', reason: `${at} is an instance of a class, not a function` };
      case 'useFactory': {
        const f = this.deps.origins.expr(p.value);
        const made = skipOuter(p.value);
        const fn =
          f.kind === 'function' ? f.decl : isFunctionLike(made) ? (made as ts.FunctionLikeDeclaration) : undefined;
        const returned = fn && onlyReturned(fn);
        if (!fn || !returned)
          return { kind: 'unknown', reason: `${at} is made by a factory whose one returned value cannot be read` };
        return valueOf(returned, `, returned by its factory ${functionName(fn)} (${this.deps.where(fn)})`);
      }
    }
  }

  /** A class token nothing provides explicitly: the class itself (`providers: [PrismaService]`). */
  private unprovided(token: ts.Expression): Handle | undefined {
    const o = this.deps.origins.expr(token);
    if (isExternal(o, NESTJS_PRISMA, 'PrismaService')) {
      const adapter = adapterForModule('@prisma/client')!;
      const label = "nestjs-prisma's PrismaService (a PrismaClient)";
      return { kind: 'executor', exec: 'pool', adapter, key: token, label };
    }
    return o.kind === 'class' ? this.deps.classHandle(o.decl, token) : undefined;
  }

  /** What a `useFactory` returns: `base.$extends({ query: { $allModels: { $allOperations } } })` or a plain value. */
  private factory(p: ProviderLiteral, at: string): Handle | undefined {
    const f = this.deps.origins.expr(p.value);
    const made = f.kind === 'expr' ? skipOuter(f.expr) : skipOuter(p.value);
    const fn = f.kind === 'function' ? f.decl : isFunctionLike(made) ? (made as ts.FunctionLikeDeclaration) : undefined;
    const returned = fn && onlyReturned(fn);
    if (!fn || !returned) return undefined;
    const chain = `${at} → ${functionName(fn)} (${this.deps.where(fn)})`;
    const call = skipOuter(returned);
    const method =
      ts.isCallExpression(call) && ts.isPropertyAccessExpression(call.expression) ? call.expression : undefined;
    if (method && method.name.text === '$extends') {
      const base = this.parameterHandle(fn, p, method.expression);
      if (!base || base.kind !== 'executor') return base;
      return this.extension(call as ts.CallExpression, base, chain);
    }
    const inner = this.parameterHandle(fn, p, call) ?? this.deps.of(call);
    return relabel(inner, `${chain} → `);
  }

  /** Whether a function is a provider's `useFactory`: the container calls it, with the `inject` tokens' values. */
  isFactory(fn: ts.Node): boolean {
    return this.read().factories.has(fn);
  }

  /**
   * A parameter of a `useFactory` the container calls: the value of the token `inject` lists at its position (a
   * string, a symbol, a class), else of its declared class, as a constructor parameter injected by token. A token
   * with no provider that resolves is untraced, naming it (never the "nobody calls it" of an ordinary function).
   */
  private factoryParam(binding: ParamBinding, at: ts.Node | undefined): Handle | undefined {
    const p = this.read().factories.get(binding.fn);
    if (!p || binding.path.length) return undefined;
    const injected = p.inject[binding.index];
    const t = injected ? undefined : typeName(binding.decl.type);
    const token = injected && !ts.isSpreadElement(injected) ? injected : t;
    const provide = member(p.literal, 'provide');
    const of = `\`${binding.name}\` of the useFactory of ${provide ? shortText(provide, 30) : 'a provider'} ` +
      `(${this.deps.where(p.literal)})`;
    if (!token)
      return {
        kind: 'unknown',
        reason: `${of} is not listed in its \`inject\` and has no class type: what the container passes is unknown`,
      };
    const h = this.forQuery(this.token(token), at);
    if (!h)
      return {
        kind: 'unknown',
        reason: `${of} is given ${shortText(token, 30)}, whose provider cannot be traced to a connection`,
      };
    return relabel(h, `${of}, given `);
  }

  /** A factory's parameter, bound to the token `inject` lists at its position (or its declared class). */
  private parameterHandle(fn: ts.FunctionLikeDeclaration, p: ProviderLiteral, e: ts.Expression): Handle | undefined {
    const id = skipOuter(e);
    const b = ts.isIdentifier(id) ? lookup(id) : undefined;
    if (!b || b.kind !== 'parameter' || b.fn !== fn || b.path.length) return undefined;
    const injected = p.inject[b.index];
    if (injected) return this.token(injected);
    const t = typeName(b.decl.type);
    return t ? this.token(t) : undefined;
  }

  /** The client an extension makes: scoped, ambient on a nestjs-cls value, or the base when it sets nothing. */
  private extension(call: ts.CallExpression, base: Extract<Handle, { kind: 'executor' }>, chain: string): Handle {
    const hook = allOperations(call.arguments[0], this.deps.origins);
    if (!hook?.body) return relabel(base, `${chain}, which extends ${base.label} without a query hook: `);
    const sets: { node: ts.Node; settings: string[] }[] = [];
    const visit = (n: ts.Node): void => {
      if (ts.isTaggedTemplateExpression(n) || ts.isCallExpression(n)) {
        const s = this.deps.settings(n as ts.Expression);
        if (s.length) sets.push({ node: n, settings: s });
      }
      ts.forEachChild(n, visit);
    };
    visit(hook.body);
    const where = `${chain} extends ${base.label} with $allOperations (${this.deps.where(hook)})`;
    if (!sets.length) return relabel(base, `${where}, which sets no context: `);
    const first = sets[0]!;
    const setting = first.settings.join(', ');
    const scoped: Handle = {
      kind: 'scoped',
      via: functionName(enclosingFunction(call) ?? hook),
      key: call,
      helperCall: call,
      label: `${where}, which sets ${setting} (${this.deps.where(first.node)}) with every query`,
      settings: new Set(first.settings),
    };
    // Which condition each set runs under; none: every query is scoped.
    const guards = sets.flatMap((s) => conditionsBetween(s.node, hook));
    if (!guards.length) return this.hooked(scoped, base, where);
    const keys = new Set(guards.map((g) => this.clsRead(g, 0)));
    const key = keys.size === 1 ? [...keys][0] : undefined;
    const store = this.clsStore();
    if (!key || !store) {
      return {
        kind: 'unknown',
        reason:
          `${where} sets ${setting} only when \`${shortText(guards[0]!, 40)}\`, a condition rls-guard cannot ` +
          'decide',
      };
    }
    const ambient: AmbientHandle = {
      kind: 'ambient',
      store,
      storeName: `nestjs-cls ${key}`,
      path: [key],
      entered: scoped,
      fallback: relabel(base, `${where}, whose hook sets nothing when the CLS holds no \`${key}\`: `),
      key: call,
      label: `${where}, which sets ${setting} (${this.deps.where(first.node)}) when the CLS holds \`${key}\``,
    };
    return this.hooked(ambient, base, where);
  }

  private hooked(h: Handle, base: Handle, where: string): Handle {
    this.modelHooks.set(h, { base, where });
    return h;
  }

  /** The nestjs-cls key a condition reads (`Number.isFinite(tenantPk)` with `tenantPk = svc.getTenantId()`). */
  private clsRead(e: ts.Node, depth: number): string | undefined {
    if (depth > 6) return undefined;
    if (ts.isIdentifier(e)) {
      const b = lookup(e);
      return b?.kind === 'variable' && b.decl.initializer ? this.clsRead(b.decl.initializer, depth + 1) : undefined;
    }
    if (ts.isCallExpression(e)) {
      const callee = skipOuter(e.expression);
      if (ts.isPropertyAccessExpression(callee) && callee.name.text === 'get' && e.arguments[0]) {
        const o = this.deps.origins.expr(callee.expression);
        if (o.kind === 'param' && o.path.length === 0 && this.isClsService(o.binding.decl as ts.ParameterDeclaration))
          return constantKey(e.arguments[0], this.deps.origins);
      }
      const target = this.method(e.expression);
      const returned = target ? onlyReturned(target) : undefined;
      if (returned) return this.clsRead(skipOuter(returned), depth + 1);
    }
    let found: string | undefined;
    ts.forEachChild(e, (c) => {
      found ??= this.clsRead(c, depth + 1);
    });
    return found;
  }

  /** The function a callee is: by provenance, or a method of the class a (factory's) parameter is declared as. */
  private method(callee: ts.Expression): ts.FunctionLikeDeclaration | undefined {
    const o = this.deps.origins.expr(callee);
    if (o.kind === 'function') return o.decl;
    const e = skipOuter(callee);
    if (!ts.isPropertyAccessExpression(e)) return undefined;
    const recv = this.deps.origins.expr(e.expression);
    const t = recv.kind === 'param' && recv.path.length === 0 ? typeName(recv.binding.decl.type) : undefined;
    const cls = t ? this.deps.origins.expr(t) : undefined;
    return cls?.kind === 'class' ? classMethod(this.deps.origins, cls.decl, e.name.text) : undefined;
  }

  private key(token: ts.Expression): unknown {
    const e = skipOuter(token);
    if (ts.isStringLiteral(e)) return `s:${e.text}`;
    const o = this.deps.origins.expr(e);
    if (o.kind === 'class' || o.kind === 'function') return o.decl;
    if (o.kind === 'expr') {
      const x = skipOuter(o.expr);
      return ts.isStringLiteral(x) ? `s:${x.text}` : x;
    }
    if (o.kind === 'external') return `x:${o.module}:${o.path.join('.')}`;
    return undefined;
  }

  /**
   * Whether the container, as read, holds nothing: no provider literal, listener, nestjs-cls setup or adapter token in
   * the files it was read from (most programs that are not NestJS apps).
   */
  holdsNothing(): boolean {
    const i = this.index;
    if (!i) return false;
    const maps = [i.providers, i.testProviders, i.factories, i.listeners];
    return maps.every((m) => m.size === 0) && !i.adapterToken && !i.cls;
  }

  private read(): NonNullable<NestContainer['index']> {
    // Read from every file of the program: in an editor session any change evicts what read it.
    this.deps.origins.facts.touch('*');
    this.wasRead = true;
    const files = this.deps.files();
    if (this.index && this.indexed === files) return this.index;
    this.indexed = files;
    const index: NonNullable<NestContainer['index']> = {
      providers: new Map(),
      testProviders: new Map(),
      factories: new Map(),
      typeormRoots: [],
      listeners: new Map(),
    };
    const visit = (n: ts.Node): void => {
      if (ts.isObjectLiteralExpression(n))
        this.provider(n, this.deps.inTest(n) ? index.testProviders : index.providers, index.factories);
      if (ts.isMethodDeclaration(n) && n.body) this.listener(n, index.listeners);
      if (ts.isNewExpression(n) && n.arguments?.[0]) {
        if (isExternal(this.deps.origins.expr(n.expression), PRISMA_ADAPTER, 'TransactionalAdapterPrisma')) {
          const opts = skipOuter(n.arguments[0]);
          const token = ts.isObjectLiteralExpression(opts) ? member(opts, 'prismaInjectionToken') : undefined;
          if (token) index.adapterToken = token;
        }
      }
      const forRoot = ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) ? n.expression : undefined;
      const cls = forRoot?.name.text === 'forRoot' ? this.deps.origins.expr(forRoot.expression) : undefined;
      if (cls && isExternal(cls, NESTJS_CLS, 'ClsModule')) index.cls ??= n as ts.CallExpression;
      const root = forRoot && ['forRoot', 'forRootAsync'].includes(forRoot.name.text) && !this.deps.inTest(n)
        ? this.deps.origins.expr(forRoot.expression)
        : undefined;
      if (root && isExternal(root, NEST_TYPEORM, 'TypeOrmModule')) index.typeormRoots.push(n as ts.CallExpression);
    };
    // Every file is read (provider factories are asked about for every parameter a write runs on), over its indexed
    // nodes (file-nodes.ts: every node of the kinds visit acts on, in walk order, found on an explicit stack, so code
    // nested thousands deep is read whole: a recursive walk overflowed the stack there and lost every verdict).
    for (const sf of files) for (const n of indexedNodes(sf)) visit(n);
    return (this.index = index);
  }

  /**
   * The `@OnEvent(E)` methods an emit on `@nestjs/event-emitter`'s EventEmitter2 runs: they run during the call (with
   * its request context), like functions it calls. Empty when the event name is not a constant.
   */
  listenersOf(call: ts.CallExpression): ts.MethodDeclaration[] {
    const callee = skipOuter(call.expression);
    if (!ts.isPropertyAccessExpression(callee) || !['emit', 'emitAsync'].includes(callee.name.text)) return [];
    const recv = this.deps.origins.expr(callee.expression);
    const t = recv.kind === 'param' && recv.path.length === 0 ? typeName(recv.binding.decl.type) : undefined;
    if (!t || !isExternal(this.deps.origins.expr(t), EVENT_EMITTER, 'EventEmitter2') || !call.arguments[0]) return [];
    const name = constantKey(call.arguments[0], this.deps.origins);
    return name === undefined ? [] : (this.read().listeners.get(name) ?? []);
  }

  private listener(m: ts.MethodDeclaration, into: Map<string, ts.MethodDeclaration[]>): void {
    for (const d of ts.getDecorators(m) ?? []) {
      const e = skipOuter(d.expression);
      if (!ts.isCallExpression(e) || !e.arguments[0]) continue;
      if (!isExternal(this.deps.origins.expr(e.expression), EVENT_EMITTER, 'OnEvent')) continue;
      const name = constantKey(e.arguments[0], this.deps.origins);
      if (name !== undefined) into.set(name, [...(into.get(name) ?? []), m]);
    }
  }

  private provider(
    lit: ts.ObjectLiteralExpression,
    into: Map<unknown, ProviderLiteral>,
    factories: Map<ts.Node, ProviderLiteral>,
  ): void {
    const provide = member(lit, 'provide');
    if (!provide) return;
    for (const kind of ['useFactory', 'useClass', 'useValue', 'useExisting'] as const) {
      const value = member(lit, kind);
      if (!value) continue;
      const list = member(lit, 'inject');
      const array = list && skipOuter(list);
      const inject = array && ts.isArrayLiteralExpression(array) ? array.elements : [];
      const key = this.key(provide);
      const p: ProviderLiteral = { literal: lit, kind, value, inject };
      if (key !== undefined) into.set(key, p);
      if (kind === 'useFactory') {
        const made = skipOuter(value);
        const f = isFunctionLike(made) ? undefined : this.deps.origins.expr(value);
        const fn = isFunctionLike(made) ? made : f?.kind === 'function' ? f.decl : undefined;
        if (fn) factories.set(fn, p);
      }
      return;
    }
  }
}

/** A call of a client-level method (`prisma.$executeRaw\`…\``, `$queryRawUnsafe(…)`), not of a model's. */
function clientLevelCall(at: ts.Node): boolean {
  const e = ts.isTaggedTemplateExpression(at) ? at.tag : ts.isCallExpression(at) ? at.expression : undefined;
  const callee = e && skipOuter(e);
  return !!callee && ts.isPropertyAccessExpression(callee) && callee.name.text.startsWith('$');
}

/**
 * The options object literals a `TypeOrmModule.forRoot(options)` / `forRootAsync({ useFactory })` call gives its
 * connection: the literal (or a const holding it), or each object `useFactory` returns.
 */
function connectionOptions(call: ts.CallExpression): ts.ObjectLiteralExpression[] {
  const arg = call.arguments[0] && constLiteral(call.arguments[0]);
  if (!arg) return [];
  const callee = call.expression as ts.PropertyAccessExpression;
  if (callee.name.text === 'forRoot') return [arg];
  const factory = member(arg, 'useFactory');
  const fn = factory && skipOuter(factory);
  if (!fn || !isFunctionLike(fn)) return [];
  const body = fn.body && skipOuter(fn.body as ts.Expression);
  const values = body && ts.isObjectLiteralExpression(body)
    ? [body]
    : returnStatements(fn).flatMap((r) => (r.expression ? [r.expression] : []));
  return values.flatMap((v) => constLiteral(v) ?? []);
}

/** An object literal, or the one a `const` holds. */
function constLiteral(e: ts.Expression): ts.ObjectLiteralExpression | undefined {
  const x = skipOuter(e);
  if (ts.isObjectLiteralExpression(x)) return x;
  const decl = ts.isIdentifier(x) ? lookup(x)?.decl : undefined;
  const init = decl && ts.isVariableDeclaration(decl) && decl.initializer ? skipOuter(decl.initializer) : undefined;
  return init && ts.isObjectLiteralExpression(init) ? init : undefined;
}

function isExternal(o: Origin, module: string, name: string): boolean {
  return o.kind === 'external' && o.module === module && o.path.length === 1 && o.path[0] === name;
}

function member(lit: ts.ObjectLiteralExpression, name: string): ts.Expression | undefined {
  for (const p of lit.properties) {
    if (!p.name || !ts.isIdentifier(p.name) || p.name.text !== name) continue;
    if (ts.isPropertyAssignment(p)) return p.initializer;
    if (ts.isShorthandPropertyAssignment(p)) return p.name;
  }
  return undefined;
}

/** The one expression a function returns (an arrow's body, or its only `return`). */
function onlyReturned(fn: ts.FunctionLikeDeclaration): ts.Expression | undefined {
  const body = fn.body;
  if (!body) return undefined;
  if (!ts.isBlock(body)) return body;
  const returns = returnStatements(fn);
  return returns.length === 1 ? returns[0]!.expression : undefined;
}

/** `{ query: { $allModels: { $allOperations } } }` of an `$extends` argument (inline or a const). */
function allOperations(
  arg: ts.Expression | undefined,
  origins: OriginResolver,
): ts.FunctionLikeDeclaration | undefined {
  if (!arg) return undefined;
  let o = origins.expr(arg);
  for (const key of ['query', '$allModels', '$allOperations']) o = origins.member(o, key);
  return o.kind === 'function' ? o.decl : undefined;
}

function enclosingFunction(n: ts.Node): ts.FunctionLikeDeclaration | undefined {
  for (let p = n.parent; p; p = p.parent) if (isFunctionLike(p)) return p as ts.FunctionLikeDeclaration;
  return undefined;
}

/** A constant key: `'TENANT_ID'`, a const holding one, or a class's `static readonly KEY = '…'`. */
export function constantKey(e: ts.Expression, origins: OriginResolver): string | undefined {
  const x = skipOuter(e);
  if (ts.isStringLiteral(x) || ts.isNoSubstitutionTemplateLiteral(x)) return x.text;
  if (ts.isPropertyAccessExpression(x)) {
    const cls = origins.expr(x.expression);
    if (cls.kind !== 'class') return undefined;
    const m = cls.decl.members.find(
      (m): m is ts.PropertyDeclaration =>
        ts.isPropertyDeclaration(m) && m.name.getText() === x.name.text && !!m.initializer &&
        !!m.modifiers?.some((k) => k.kind === ts.SyntaxKind.StaticKeyword) &&
        !!m.modifiers?.some((k) => k.kind === ts.SyntaxKind.ReadonlyKeyword),
    );
    const init = m?.initializer && skipOuter(m.initializer);
    return init && ts.isStringLiteral(init) ? init.text : undefined;
  }
  const o = origins.expr(x);
  const v = o.kind === 'expr' ? skipOuter(o.expr) : undefined;
  return v && ts.isStringLiteral(v) ? v.text : undefined;
}

/** The same connection, its label prefixed with the provider chain that reached it. */
function relabel(h: Handle, prefix: string): Handle;
function relabel(h: Handle | undefined, prefix: string): Handle | undefined;
function relabel(h: Handle | undefined, prefix: string): Handle | undefined {
  if (!h || !('label' in h) || typeof h.label !== 'string') return h;
  return { ...h, label: `${prefix}${h.label}` } as Handle;
}
