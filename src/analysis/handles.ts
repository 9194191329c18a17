import { isBuiltin } from 'node:module';
import ts from '../ts.js';
import { globalCacheAssignment, globalCacheFallback } from '../code/global-cache.js';
import { adapterForModule, adapters, type DbAdapter, type ExecutorKind, type ExportKind } from '../adapters/index.js';
import { type AnalysisConfig, matchesSpec, type ResolvedSetterHelper } from './config.js';
import { functionName, isNothing, type Origin, type OriginResolver, shortText } from '../code/origins.js';
import { type Binding, isFunctionLike, lookup } from '../code/scope.js';
import { skipOuter } from '../syntax/wrappers.js';
import { kyselyOtherDialect } from './other-dialect.js';
import type { TypeEvidence } from './type-evidence.js';
import { SqlTextFolder } from '../code/sql-text.js';
import type { Facts, FactKind } from '../code/fixpoint.js';
import { argumentPresence } from './argument-presence.js';
import { returnedAt, returnedParam, returnsFact, type ReturnsFact, sameHandle, scopedOnReturn } from './returns.js';
import type { SetValue, StatementEffect } from '../sql/classify.js';
import { type AmbientHandle, AmbientProviders, proxiedTarget, proxyTraps } from './ambient/providers.js';
import { closedTraps, forwardingHelperMaker, forwardsOwnMembers } from './proxy-traps.js';
import { type SqlDeps, statementEffects } from './sql-resolution.js';
import { forwardingFact, type ForwardingFact } from './providers/transactions.js';
import { memberOfCall, returnedMember, returnExpressionsFact } from './providers/factories.js';
import { returnedExpressions } from '../code/own-returns.js';
import { factoryCallOfHook, tenantFromConfig } from './providers/tenant-pools.js';
import { type OpenContainer, openContainerRead, replacedMember } from './providers/replaced-members.js';
import { type SetterEffect, setterFact } from './providers/setters.js';
import { toPosixRelative } from '../files/paths.js';
import { FieldKeys, type FieldPath, fieldText } from '../code/carried.js';
import { adminCall, calleeName, importedName, importModule } from './config-match.js';
import { thisExecutor, typeArgumentExecutor, type TypeReader, typeOfField, typeOfParam } from './declared-types.js';
import {
  callbackParam,
  type CallbackDeps,
  forwardedConnections,
  forwardedReceivers,
  requestCallbackParam,
} from './callback-params.js';
import { ClientFactories } from './client-factories.js';
import { type TenantDeps, tenantOptions } from './tenant-binding.js';
import { type SessionJwt, sessionJwtOption } from './session-jwt.js';
import type { LoginRole } from './providers/login-roles.js';
import { replicaPrimary } from './context/replicas.js';
import { isHonoStore } from './context/hono-vars.js';
import { isExpressStore } from './context/express-vars.js';
import { isFastifyStore } from './context/fastify-vars.js';
import { constructionOf, forwardingQuery } from './executor-classes.js';
import { fieldProxy, instanceOf } from './instance-proxies.js';
import { declaredTypeOf } from './declared-receiver.js';
import { augmentedTarget } from './providers/augmented.js';
import { wrappedArgument, wrappedParam } from './wrapped-connections.js';
import { racedValue } from './timeout-race.js';
import { lazyMakerArgument, literalMaker } from './lazy-factories.js';
import { keyedClient } from './keyed-proxies.js';
import { operationProxy } from './ambient/operation-proxies.js';
import { type MapCacheDeps, type MapCacheRead, mapCacheOf, mapCacheRead, sameMapCache } from './providers/map-cache.js';
import { ownSessionReason } from './own-session.js';
import { yieldedReason } from './providers/effect-layers.js';
import { type ScopingDeps, sessionScope } from './scoping-sessions.js';
import { DRIVER_METHODS, statementProxy } from './statement-proxies.js';

// Which connection runs a query: every executor is traced to where it was made (a `pg`
// import, pool.connect(), a scope helper's callback, an admin provider), never guessed
// from its variable name.

export type ParamBinding = Extract<Binding, { kind: 'parameter' }>;

/** A transaction opened on a parameter: the call that opens it, and what it is read as when no caller is seen. */
export interface OpenedTransaction {
  /** The call (`db.transaction(…)`), for the memo and the evidence. */
  at: ts.CallExpression;
  /** `db.transaction()`, for the evidence. */
  transaction: string;
  /** A parameter declared with a library type: the new transaction on that type, when no caller is in the tree. */
  declared?: Handle;
}

export type Handle =
  | {
      kind: 'executor';
      exec: ExecutorKind;
      adapter: DbAdapter;
      key: ts.Node;
      label: string;
      transaction?: string;
      tenant?: { via: string; at: ts.Node };
      /** A driver option that sends the user's JWT with every query (Neon Authorize's `authToken`): session-jwt.ts. */
      sessionJwt?: SessionJwt;
      /** The role it logs in as, read where the schema has policies keyed on the login role. */
      login?: LoginRole;
      /** Not Postgres: the database its dialect speaks to, as evidence (other-dialect.ts). */
      otherDatabase?: string;
      /**
       * A library's transaction opened on a pool (`db.transaction(…)` on a Drizzle instance over a `Pool`, postgres.js
       * `sql.begin`): one connection until the commit, then back to the pool with whatever was set session-wide.
       */
      pooled?: true;
      open?: OpenContainer;
    }
  /** `settings`: what the provider sets, when known (a table whose policies read none of them is not covered). */
  | {
      kind: 'scoped';
      via: string;
      key: ts.Node;
      label: string;
      helperCall: ts.CallExpression;
      definition?: { decl: ts.FunctionLikeDeclaration; argIndex: number; execIndex: number };
      settings?: ReadonlySet<string>;
      /** The values the scope sets, where its SQL says (a client extension's `SET LOCAL app.is_super = 'true'`). */
      settingValues?: ReadonlyMap<string, SetValue>;
      open?: OpenContainer;
    }
  /** `declaredIn`: where the config declares it an admin provider (verdict.ts says so instead of "BYPASSRLS"). */
  | {
      kind: 'admin';
      via: string;
      key: ts.Node;
      label: string;
      adapter?: DbAdapter;
      open?: OpenContainer;
      declaredIn?: string;
    }
  /**
   * `path`: a field of the parameter (`opts.pgPool`, `{ pgPool }` destructured), judged at each
   * call by that member of what it passes.
   */
  | {
      kind: 'param';
      binding: ParamBinding;
      key: ts.Node;
      label: string;
      typed: { adapter: DbAdapter; exec: ExecutorKind } | null;
      path?: FieldPath;
      /**
       * `trx ?? db` on an optional parameter: what runs the write at a call that does not pass it (judged there, at
       * each such call), the parameter itself at a call that does.
       */
      fallback?: Handle;
      /**
       * A transaction the function opens on the parameter (`db.transaction(async (tx) => …)`, `tx` this handle): what
       * each caller passes decides whether it is a savepoint of the caller's transaction or a new one (program.ts).
       */
      opened?: OpenedTransaction;
    }
  | AmbientHandle
  | { kind: 'library'; adapter: DbAdapter; export: ExportKind; name: string }
  | { kind: 'not-db'; reason: string }
  /** `libraries`: the database libraries some of its possible values come from (a factory with mixed returns). */
  | {
      kind: 'unknown';
      reason: string;
      libraries?: DbAdapter[];
      /** A library's executor class the code makes over arguments of its own (`new PgDatabase(dialect, session)`). */
      madeByCode?: true;
    };

/** What a connection derived from an executor (its transaction, a checked-out client) keeps of it. */
export function carriedBy(
  receiver: Handle,
): { login?: LoginRole; otherDatabase?: string; sessionJwt?: SessionJwt } {
  if (receiver.kind !== 'executor') return {};
  return {
    ...(receiver.login ? { login: receiver.login } : {}),
    ...(receiver.sessionJwt ? { sessionJwt: receiver.sessionJwt } : {}),
    ...(receiver.otherDatabase ? { otherDatabase: receiver.otherDatabase } : {}),
  };
}

/** The reason of the not-db handle an empty object literal is: a stub, with no method to write with. */
export const EMPTY_STUB = 'an empty object, which has no method to write with';

/** Whether a handle is an empty object literal standing in for a connection (`{} as Db`). */
export function isEmptyStub(h: Handle): boolean {
  return h.kind === 'not-db' && h.reason === EMPTY_STUB;
}

export function where(node: ts.Node, root: string): string {
  const sf = node.getSourceFile();
  const { line } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
  return `${toPosixRelative(root, sf.fileName)}:${line + 1}`;
}

/** A TypeORM manager's methods that hand out a repository running on that manager's connection. */
const REPOSITORY_GETTERS = new Set(['getRepository', 'getTreeRepository', 'getCustomRepository']);

export class HandleResolver {
  private readonly memo = new Map<ts.Node, Handle>();
  private readonly sqlDeps: SqlDeps;

  // Each fact once per node, cycles settled by the engine (see fixpoint.ts).
  private readonly handleKind: FactKind<ts.Expression, Handle> = {
    name: 'handle',
    compute: (e) => this.compute(e),
    conservative: (_e, why) => ({
      kind: 'unknown',
      reason: why === 'depth' ? 'the connection is passed through too many calls' : 'cyclic definition',
    }),
    same: sameHandle,
  };
  private readonly returnsKind: FactKind<ts.FunctionLikeDeclaration, ReturnsFact>;
  private readonly scopedKind: FactKind<ts.FunctionLikeDeclaration, ReadonlySet<ts.Node>>;
  /** AsyncLocalStorage stores and the accessors that read them (ambient/providers.ts). */
  readonly ambient: AmbientProviders;
  private readonly forwardsKind: FactKind<ts.FunctionLikeDeclaration, ForwardingFact>;
  private readonly settersKind: FactKind<ts.FunctionLikeDeclaration, readonly SetterEffect[]>;
  private readonly returnExpressionsKind = returnExpressionsFact();
  private readonly fieldKeys = new FieldKeys();
  private readonly typeReader: TypeReader;
  private readonly tenantDeps: TenantDeps;
  /** Callback parameters (callback-params.ts) and clients beyond a library's factories (client-factories.ts). */
  private readonly callbacks: CallbackDeps;
  private readonly clients: ClientFactories;
  /** The program's files (analysis/index.ts sets it): other modules' uses of an exported connection cache. */
  programFiles: () => readonly ts.SourceFile[] = () => [];
  private readonly mapDeps: MapCacheDeps;
  private readonly scopingDeps: ScopingDeps;
  /** Each connection cache's values, read once per Map (its uses may be searched for over the program). */
  private readonly mapCacheKind: FactKind<ts.NewExpression, MapCacheRead | undefined> = {
    name: 'map-cache',
    compute: (made) => mapCacheOf(made, this.mapDeps),
    conservative: () => ({ reason: 'the Map is read in terms of itself' }),
    same: sameMapCache,
  };

  constructor(
    private readonly origins: OriginResolver,
    private readonly config: AnalysisConfig,
    private readonly root: string,
    private readonly types?: TypeEvidence,
    /** Shared with the origins (one engine, so cycles through both settle together). */
    readonly facts: Facts = origins.facts,
  ) {
    this.returnsKind = returnsFact((e) => this.trace(e));
    this.sqlDeps = { origins, config, folder: new SqlTextFolder(origins, { runTimeNames: true }) };
    this.typeReader = { origins, returned: (fn) => this.returned(fn), trace: (e) => this.trace(e) };
    this.tenantDeps = {
      root,
      config,
      folder: this.sqlDeps.folder,
      effects: (sql) => this.effects(sql),
    };
    this.clients = new ClientFactories({
      ...this.tenantDeps,
      ...this.typeReader,
      fromOrigin: (o, at) => this.fromOrigin(o, at),
    }, this.facts);
    this.ambient = new AmbientProviders(origins, root, where);
    this.mapDeps = {
      origins,
      files: () => this.programFiles(),
      readProgram: () => this.facts.touch('*'),
      where: (n) => where(n, root),
    };
    this.scopingDeps = {
      ...this.mapDeps,
      ambient: this.ambient,
      effects: (sql, placeholders) => this.effects(sql, placeholders),
      root,
    };
    this.forwardsKind = forwardingFact(origins, (fn) => this.facts.get(this.forwardsKind, fn));
    this.callbacks = {
      origins,
      config,
      root,
      of: (e) => this.of(e),
      forwards: (fn) => this.facts.get(this.forwardsKind, fn),
    };
    this.settersKind = setterFact(
      {
        origins,
        handleOf: (e) => this.of(e),
        effects: (sql, placeholders, values) => this.effects(sql, placeholders, values),
      },
      (fn) => this.facts.get(this.settersKind, fn),
    );
    this.scopedKind = {
      name: 'scoped-on-return',
      compute: (fn) =>
        scopedOnReturn(
          fn,
          (e) => this.of(e),
          (sql) => this.effects(sql),
          config.contextSettings,
        ),
      conservative: () => new Set(),
      same: (a, b) => a.size === b.size && [...a].every((k) => b.has(k)),
    };
  }

  of(expression: ts.Expression): Handle {
    // Without types the handle is the engine's fact itself, which the engine keeps: a second map of every expression
    // asked about would only hold memory (a large share of the analysis's own, beyond the trees).
    if (!this.types) return this.trace(expression);
    const hit = this.memo.get(expression);
    if (hit) return hit;
    const result = this.withTypes(expression, this.trace(expression));
    // Asked from inside a fact in progress, the answer may rest on a cycle's assumption:
    // only the engine may remember that (provisionally), not this cache.
    if (!this.facts.busy) this.memo.set(expression, result);
    return result;
  }

  /** The handle an expression is by provenance alone: once per node. */
  private trace(expression: ts.Expression): Handle {
    return this.facts.get(this.handleKind, expression);
  }

  /** Where provenance runs out, the checker's type (when types are installed) may still say what it is. */
  private withTypes(expression: ts.Expression, handle: Handle): Handle {
    if (!this.types) return handle;
    const untraced =
      handle.kind === 'unknown' || (handle.kind === 'not-db' && handle.reason.startsWith('a value from package'));
    if (!untraced && !(handle.kind === 'param' && handle.typed === null)) return handle;
    const found = this.types.executorOf(expression);
    if (!found) return handle;
    if (handle.kind === 'param') return { ...handle, typed: { adapter: found.adapter, exec: found.exec } };
    const e = skipOuter(expression);
    const key = (ts.isIdentifier(e) && lookup(e)?.decl) || e;
    return {
      kind: 'executor',
      exec: found.exec,
      adapter: found.adapter,
      key,
      label: `\`${shortText(e, 30)}\` (a ${found.adapter.api} ${found.typeName}, by its type)`,
    };
  }

  /** A DI token the config declares under `adminProviders` (nest-di.ts): the admin connection it names. */
  adminToken(token: ts.Identifier, definition: () => Handle): Handle | undefined {
    return this.clients.adminBinding(token, definition);
  }

  private compute(expression: ts.Expression): Handle {
    let e = skipOuter(expression);
    while (ts.isAwaitExpression(e)) e = skipOuter(e.expression);
    if (ts.isIdentifier(e)) {
      const admin = this.clients.adminBinding(e);
      if (admin) return admin;
    }
    // queryRunner.manager: the same connection under another API.
    if (ts.isPropertyAccessExpression(e) && adapters.some((a) => a.passthroughProperties?.includes(e.name.text))) {
      const receiver = this.trace(e.expression);
      if (receiver.kind === 'executor' && receiver.adapter.passthroughProperties?.includes(e.name.text))
        return receiver;
    }
    // Hono: `c.var.db`, a variable of the request context (context/hono-vars.ts), judged per path; Express's `req.db`
    // and `res.locals.db` likewise (context/express-vars.ts).
    const requestStore = (ts.isPropertyAccessExpression(e) || ts.isIdentifier(e)) && this.ambient.read(e)?.store;
    // A member destructured from any store's value (`const { tx } = storage.getStore()!`) reads as `….tx` does.
    const bound = ts.isIdentifier(e) ? lookup(e) : undefined;
    const destructured = bound?.kind === 'variable' && bound.path.length > 0;
    const request =
      requestStore && (isHonoStore(requestStore) || isExpressStore(requestStore) || isFastifyStore(requestStore));
    if (requestStore && (request || destructured)) {
      const read = this.ambient.accessor(e, (x) => this.trace(x));
      if (read) return read;
    }
    const either = ts.isConditionalExpression(e) ? this.eitherBranch(e) : undefined;
    if (either) return either;
    const keyed = this.keyedMember(e);
    if (keyed) return keyed;
    const found = openContainerRead(this.fromOrigin(this.origins.expr(e), e), e, this.origins);
    // A member of what a factory of the codebase returns: `const { knex } = await tenantDb()`.
    // Read per call (the returns its arguments select), with the chain in the evidence, also
    // where the origin resolver follows a single return to the same connection.
    const member = found.kind === 'unknown' || 'key' in found ? memberOfCall(e) : undefined;
    const returned =
      member &&
      returnedMember(
        this.origins,
        member,
        (fn) => this.facts.get(this.returnExpressionsKind, fn),
        (o, at) => this.fromOrigin(o, at),
        this.root,
        (x) => this.trace(x),
      );
    if (returned && found.kind === 'unknown')
      return returned.kind === 'unknown' && found.libraries && !returned.libraries
        ? { ...returned, libraries: found.libraries }
        : returned;
    if (returned && 'key' in returned && 'key' in found && returned.key === found.key && returned.kind === found.kind)
      return returned;
    return found;
  }

  /**
   * `pools.shared`, `pools[name]`: a member of a Proxy whose `get` trap hands out one client per key, all made by the
   * same factory call (keyed-proxies.ts): that call's connection, named with the Proxy and the functions it went
   * through.
   */
  private keyedMember(e: ts.Expression, depth = 0): Handle | undefined {
    // `const base = pools[name]`: the const's one value.
    if (ts.isIdentifier(e) && depth < 3) {
      const b = lookup(e);
      const init = b?.kind === 'variable' && b.flags === 'const' && !b.path.length ? b.decl.initializer : undefined;
      return init && this.keyedMember(skipOuter(init), depth + 1) ? this.trace(init) : undefined;
    }
    if (!ts.isPropertyAccessExpression(e) && !ts.isElementAccessExpression(e)) return undefined;
    const o = this.origins.expr(skipOuter(e.expression));
    if (o.kind !== 'expr') return undefined;
    const created = skipOuter(o.expr);
    if (!ts.isNewExpression(created)) return undefined;
    const keyed = keyedClient(created, this.origins);
    if (!keyed) return undefined;
    const h = this.trace(keyed.made);
    const via = keyed.through.map((f) => `\`${functionName(f)}\``).join(' → ');
    const how =
      `, the client for every key of the Proxy made at ${where(created, this.root)} (its \`get\` trap at ` +
      `${where(keyed.trap, this.root)}${via ? ` through ${via}` : ''} makes it by \`${shortText(keyed.made, 40)}\`)`;
    if (h.kind === 'unknown') return { ...h, reason: `${h.reason}${how}` };
    return 'label' in h ? { ...h, label: `${h.label}${how}` } : h;
  }

  /** The connection a field of a value holds (`{ pgPool }` passed where a plugin reads `opts.pgPool`). */
  memberOf(expr: ts.Expression, path: FieldPath): Handle {
    let origin = this.origins.expr(expr);
    for (const key of path) origin = this.origins.member(origin, key);
    return this.fromOrigin(origin, expr);
  }

  private fromOrigin(origin: Origin, at: ts.Expression): Handle {
    switch (origin.kind) {
      case 'external': {
        const adapter = adapterForModule(origin.module);
        // A value of Node's own modules (`crypto.createHash(…).update(x)`) is never a connection; an installed or
        // workspace package's may be one rls-guard cannot read.
        if (!adapter && isBuiltin(origin.module))
          return { kind: 'not-db', reason: `a value from Node's built-in module '${origin.module}'` };
        if (!adapter) return { kind: 'not-db', reason: `a value from package '${origin.module}'` };
        if (origin.path.length === 0) return { kind: 'library', adapter, export: 'namespace', name: '*' };
        const first = String(origin.path[0]);
        const instance = origin.path.length === 1 ? adapter.instances?.[first] : undefined;
        if (instance) {
          const key = (ts.isIdentifier(at) && lookup(at)?.decl) || at;
          return {
            kind: 'executor',
            exec: instance,
            adapter,
            key,
            label: `${adapter.api} \`${first}\` (a ready-made ${instance} from '${origin.module}')`,
          };
        }
        const exported =
          origin.path.length === 1
            ? (adapter.exports[first] ?? (adapter.factories?.[first] ? 'namespace' : undefined))
            : undefined;
        if (exported) return { kind: 'library', adapter, export: exported, name: first };
        if (origin.path.length === 2 && adapter.exports[first] === 'namespace') {
          const second = String(origin.path[1]);
          const inner = adapter.exports[second] ?? (adapter.factories?.[second] ? 'namespace' : undefined);
          if (inner) return { kind: 'library', adapter, export: inner, name: second };
        }
        return { kind: 'not-db', reason: `\`${origin.path.join('.')}\` from '${origin.module}'` };
      }
      case 'param':
        return this.param(origin.binding, origin.path, at);
      case 'function':
        return { kind: 'not-db', reason: `function \`${origin.name}\`` };
      case 'class':
      case 'module':
        return { kind: 'not-db', reason: 'a class or module' };
      case 'unknown': {
        // A container member replaced after it was built: the worst of its values (providers/replaced-members.ts).
        const replaced =
          origin.values &&
          replacedMember(origin.values, origin.reason, (e) => this.trace(e), this.root, origin.field, origin.local);
        if (replaced) return replaced;
        const read = origin.getter && this.getterOverStore(origin.getter);
        return read ?? { kind: 'unknown', reason: origin.reason };
      }
      case 'expr':
        return (
          this.clients.adminInitializer(origin.expr, () => this.fromExpression(origin.expr, at)) ??
          this.fromExpression(origin.expr, at)
        );
    }
  }

  /**
   * `get repo() { const manager = currentManager() ?? this.source.manager; return manager.getRepository(this.target) }`
   * (or `return currentManager() ?? this.source.manager`): a getter whose one return is, or is a TypeORM repository
   * taken from, an accessor of an ambient store. Each read runs the getter, so it is that accessor, judged per path
   * like any other (ambient/settle.ts); any other getter stays untraced (`this.repo` is a getter of …).
   */
  private getterOverStore(getter: ts.GetAccessorDeclaration): Handle | undefined {
    const returns = returnedExpressions(getter);
    if (returns.length !== 1) return undefined;
    let e = skipOuter(returns[0]!);
    const callee = ts.isCallExpression(e) ? skipOuter(e.expression) : undefined;
    if (callee && ts.isPropertyAccessExpression(callee) && REPOSITORY_GETTERS.has(callee.name.text))
      e = callee.expression;
    const h = this.trace(e);
    return h.kind === 'ambient' ? h : undefined;
  }

  private fromExpression(expr: ts.Expression, at: ts.Expression): Handle {
    let e = skipOuter(expr);
    while (ts.isAwaitExpression(e)) e = skipOuter(e.expression);
    if (e !== expr && !ts.isCallExpression(e) && !ts.isNewExpression(e)) return this.trace(e);
    if (ts.isNewExpression(e)) {
      const proxy = this.ambient.proxy(e, (x) => this.trace(x));
      if (proxy) return proxy;
      const perOperation = this.perOperation(e);
      if (perOperation) return perOperation;
      const lazy = this.ambient.lazyProxy(e);
      if (lazy) return this.trace(lazy);
      const proxied = proxiedTarget(e, this.origins);
      if (proxied) {
        // A Proxy without `get`/`apply` traps is its target; one whose trap this analysis does not read (neither a
        // store's value nor one lazily made connection) may hand out another connection for each member: unknown,
        // naming the trap, and never "not a database" (a write through it is unresolved, not dropped).
        const target = this.trace(proxied.target);
        const traps = proxyTraps(e, this.origins) ?? [];
        if (!proxied.traps || (target.kind === 'not-db' && closedTraps(traps))) return target;
        // A trap that hands out only its target's members, wrapped or not, each still called on its own object.
        if (forwardsOwnMembers(traps)) return target;
        // `get(t, key) { return member(init, key) }`, the helper forwarding to what `init` makes (proxy-traps.ts).
        const helper = forwardingHelperMaker(traps, this.origins);
        if (helper) return this.lazilyMade(helper.maker, helper.call);
        const swap = this.ambient.swapUnread(e);
        return {
          kind: 'unknown',
          reason:
            `it is a Proxy of \`${shortText(proxied.target, 30)}\` made at ${where(e, this.root)}, whose ` +
            `trap at ${where(proxied.traps, this.root)} decides what each member runs on${swap ? ` (${swap})` : ''}`,
        };
      }
      const ctor = this.trace(e.expression);
      if (ctor.kind === 'library' && ctor.export !== 'namespace' && ctor.export !== 'sql-tag') {
        const what =
          ctor.name !== '*' && ctor.name !== 'default' ? ctor.name : ctor.export === 'pool' ? 'Pool' : 'Client';
        const tenant = this.clients.tenantBinding(e);
        const login = this.clients.loginRole(e.arguments ?? [], e, ctor.adapter.api);
        const otherDatabase =
          ctor.adapter.api === 'kysely' ? kyselyOtherDialect(this.origins, e, this.root) : undefined;
        return {
          kind: 'executor',
          exec: ctor.export,
          adapter: ctor.adapter,
          key: e,
          label: `${ctor.adapter.api} ${what} created at ${where(e, this.root)}`,
          ...(tenant ? { tenant } : {}),
          ...(login ? { login } : {}),
          ...(otherDatabase ? { otherDatabase } : {}),
        };
      }
      // `new PgDatabase(dialect, session)`: a class of the library whose values are executors, which the code makes
      // over arguments of its own (a session class). What its queries run on is theirs: unknown, never "no database"
      // (its writes were dropped).
      const made = this.origins.expr(e.expression);
      const library = made.kind === 'external' ? adapterForModule(made.module) : undefined;
      const name = made.kind === 'external' && made.path.length ? String(made.path[made.path.length - 1]) : '';
      if (library && Object.hasOwn(library.executorTypes, name)) {
        // A session class of the code whose query path states the org on every statement (scoping-sessions.ts).
        const scope = library.api === 'drizzle' ? sessionScope(e, this.scopingDeps) : undefined;
        if (scope && 'settings' in scope)
          return { kind: 'scoped', via: 'its session class', key: e, helperCall: scope.setAt, settings: scope.settings,
            label: `${scope.label}: \`${shortText(e, 40)}\` (${where(e, this.root)})` };
        return {
          kind: 'unknown',
          reason:
            ownSessionReason(e, library.api, name, this.origins, (n) => where(n, this.root), scope?.reason) ??
            `\`${shortText(e, 40)}\` (${where(e, this.root)}) is a ${library.api} ${name} the code makes itself: ` +
              'the connection its queries run on is what its arguments make of it, which rls-guard does not read',
          madeByCode: true,
        };
      }
      const instance = this.classInstance(e);
      if (instance) return instance;
      return ctor.kind === 'unknown' ? ctor : { kind: 'not-db', reason: `\`${shortText(e, 40)}\`` };
    }
    if (ts.isCallExpression(e)) return this.fromCall(e);
    // `{ ...db, get insert() { … } }`: a wrapper of a connection that is not a read-replica set
    // (context/replicas.ts): untraced, so its writes are reported, never dropped as "a literal".
    const spread = ts.isObjectLiteralExpression(e)
      ? e.properties.find(
          (p): p is ts.SpreadAssignment => ts.isSpreadAssignment(p) && isConnection(this.trace(p.expression)),
        )
      : undefined;
    if (spread)
      return {
        kind: 'unknown',
        reason:
          `\`${shortText(at, 40)}\` is an object that spreads the connection ` +
          `\`${shortText(spread.expression, 30)}\` and may replace its write methods`,
      };
    // `{} as Db`: a stub handed where a connection is expected (a warm-up that only lists an API's tools). A write
    // through it calls a method `{}` does not have and throws before any query is sent (program.ts skips such calls).
    if (ts.isObjectLiteralExpression(e) && e.properties.length === 0) return { kind: 'not-db', reason: EMPTY_STUB };
    if (
      ts.isLiteralExpression(e) ||
      ts.isObjectLiteralExpression(e) ||
      ts.isArrayLiteralExpression(e) ||
      ts.isTemplateExpression(e)
    ) {
      return { kind: 'not-db', reason: 'a literal' };
    }
    // `typeof window === 'undefined' ? createDb() : (null as unknown as Db)`: the `null` branch gives a write nothing
    // to run on (a write on it throws before any SQL is sent), so the connection is the other branch's.
    const kept = ts.isConditionalExpression(e) ? somethingBranch(e) : undefined;
    if (kept) return this.trace(kept);
    // `g.__prisma ?? new PrismaClient()` stored back into `g.__prisma`, or `(g.__prisma ??= new PrismaClient())`: the
    // hot-reload singleton is its fallback.
    const cachedFallback = globalCacheFallback(e) ?? globalCacheAssignment(e);
    if (cachedFallback) return this.trace(cachedFallback);
    const optional = this.optionalParam(e);
    if (optional) return optional;
    const ambient = this.ambient.accessor(e, (x) => this.trace(x));
    if (ambient) return ambient;
    // `this` in a class that extends a library's client (NestJS's PrismaService): that client.
    const self =
      e.kind === ts.SyntaxKind.ThisKeyword ? thisExecutor(this.typeReader, e, (n) => where(n, this.root)) : undefined;
    if (self) return self;
    const fallback = this.untracedFallback(e);
    if (fallback) return fallback;
    if (ts.isYieldExpression(e)) return { kind: 'unknown', reason: yieldedReason(e, at, (n) => where(n, this.root)) };
    return { kind: 'unknown', reason: `\`${shortText(at, 40)}\` cannot be traced to a database connection` };
  }

  /**
   * `dbClient ?? getDb()` with `dbClient` an optional parameter whose fallback is no connection rls-guard can trace:
   * unknown, naming the fallback and why it is not traced (atlaris' "`client` cannot be traced" said neither).
   */
  private untracedFallback(e: ts.Expression): Handle | undefined {
    if (!ts.isBinaryExpression(e)) return undefined;
    const op = e.operatorToken.kind;
    if (op !== ts.SyntaxKind.QuestionQuestionToken && op !== ts.SyntaxKind.BarBarToken) return undefined;
    // `tx || undefined` passes on the parameter or nothing: no fallback connection to name.
    if (isUndefined(e.right) || skipOuter(e.right).kind === ts.SyntaxKind.NullKeyword) return undefined;
    const given = this.trace(e.left);
    if (given.kind !== 'param' || given.fallback) return undefined;
    const fallback = this.trace(e.right);
    if (fallback.kind !== 'unknown') return undefined;
    return {
      ...fallback,
      reason:
        `\`${shortText(e, 40)}\` runs on ${given.label} where a call passes it, else on ` +
        `\`${shortText(e.right, 30)}\`, which is not traced: ${fallback.reason}`,
    };
  }

  /**
   * `owner ? ownerDb : db` with a connection on both sides: read as a local given either value (replaced-members.ts),
   * one connection if both are it, admin if both are admin, a bare pool among them the worst; otherwise which one
   * runs a write is decided at run time, and the reason names each side and the condition (a write on it is
   * unresolved, never dropped: the libraries stay with it). Undefined when either side is no connection (left to
   * provenance, as before).
   */
  private eitherBranch(e: ts.ConditionalExpression): Handle | undefined {
    const a = this.trace(e.whenTrue);
    const b = this.trace(e.whenFalse);
    if (!isConnection(a) || !isConnection(b)) return undefined;
    const values = [e.whenTrue, e.whenFalse].map((value) => ({ value, at: value }));
    const reason = `the connection \`${shortText(e, 40)}\` picks at run time`;
    const h = replacedMember(values, reason, (x) => this.trace(x), this.root, undefined, true);
    if (!h || h.kind !== 'unknown') return h;
    const libraries = [...new Set([a, b].flatMap((x) =>
      (x.kind === 'executor' || x.kind === 'admin') && x.adapter ? [x.adapter] : []))];
    const fix = 'write on each connection in a call of its own, so that each write names the one it runs on';
    return { ...h, reason: `${h.reason}; ${fix}`, ...(libraries.length ? { libraries } : {}) };
  }

  /**
   * `trx ?? db` / `trx || db` with `trx` an optional parameter (`trx?: Knex.Transaction`, `trx = undefined`) and `db`
   * a connection: the parameter, judged at each call by what it passes, or by `db` where the call leaves it out.
   * Also `input.tx ?? dbAdmin`, an options object's field (builtcrm, signacare): judged at each call by the field the
   * call's object passes, or by the fallback where its object literal leaves the field out (program.ts).
   */
  private optionalParam(e: ts.Expression): Handle | undefined {
    if (!ts.isBinaryExpression(e)) return undefined;
    const op = e.operatorToken.kind;
    if (op !== ts.SyntaxKind.QuestionQuestionToken && op !== ts.SyntaxKind.BarBarToken) return undefined;
    const given = this.trace(e.left);
    if (given.kind !== 'param' || given.fallback || given.binding.path.length) return undefined;
    const field = given.path?.length === 1 && typeof given.path[0] === 'string';
    if (given.path?.length && !field) return undefined;
    const decl = given.binding.decl;
    const defaultsToUndefined = decl.initializer && skipOuter(decl.initializer).getText() === 'undefined';
    // A field may be left out of the object whatever its declared type: each call's object literal says whether it is.
    // `db: Db | undefined` too: a call may pass `undefined` (unres34, mentingo's `(db ?? this.db).transaction(…)`).
    if (!field && !decl.questionToken && !defaultsToUndefined && !typedUndefined(decl)) return undefined;
    const fallback = this.trace(e.right);
    if (!isConnection(fallback) || (fallback.kind === 'param' && fallback.fallback)) return undefined;
    const other = 'label' in fallback ? fallback.label : shortText(e.right, 40);
    return { ...given, fallback, label: `${given.label}, or ${other} where a call does not pass it` };
  }

  private fromCall(call: ts.CallExpression): Handle {
    // A bare read of a store's member (`c.get('db')`, `ns.get('tx')`): nothing where no path set it.
    if (this.ambient.read(call)) {
      const read = this.ambient.accessor(call, (x) => this.trace(x));
      if (read) return read;
    }
    // `clients.get(key)`: a connection cache the code keeps in a Map of its own (providers/map-cache.ts).
    const cache = mapCacheRead(call, this.mapDeps, (made) => this.facts.get(this.mapCacheKind, made));
    if (cache) return this.cached(cache);
    const callee = skipOuter(call.expression);
    const name = calleeName(callee);
    if (name) {
      const admin = adminCall(this.config, callee, name);
      if (admin)
        return {
          kind: 'admin',
          via: admin.name,
          key: call,
          label: `admin connection from ${admin.name}() at ${where(call, this.root)}`,
          ...(admin.declaredIn ? { declaredIn: admin.declaredIn } : {}),
        };
    }
    // withReplicas(primary, [replicas]): every write goes to the primary (context/replicas.ts).
    const replica = replicaPrimary(call, this.origins);
    if (replica && 'reason' in replica) return { kind: 'unknown', reason: replica.reason };
    if (replica) {
      const primary = this.trace(replica.primary);
      return 'label' in primary
        ? { ...primary, label: `${primary.label}, the primary of ${replica.label} at ${where(call, this.root)}` }
        : primary;
    }
    // Object.assign(db, { extra }): db itself, unless a write method is replaced (providers/augmented.ts).
    const augmented = augmentedTarget(call);
    if (augmented) return 'reason' in augmented ? { kind: 'unknown', reason: augmented.reason } : this.trace(augmented);
    // Promise.race([pool.reserve(), timeout]): the connection, or a throw (timeout-race.ts).
    const raced = racedValue(call);
    if (raced) return this.trace(raced);
    // A library's factory: postgres(url), knex(config), drizzle(pool), createPool(dsn).
    const calleeHandle = this.trace(callee);
    const made = this.libraryCall(calleeHandle, call, callee);
    if (made) return made;
    // `conn('episodes')`, `(owner ? ownerDb : db)('t')`: a query builder made by calling a knex executor runs on it
    // (read when a function of the code returns such a builder for its caller's chain, failopen31).
    if (callableExecutor(calleeHandle)) return calleeHandle;
    // `(owner ? ownerDb : db)('t')` on two connections: the reason names both (eitherBranch).
    if (ts.isConditionalExpression(callee) && calleeHandle.kind === 'unknown' && this.eitherBranch(callee))
      return calleeHandle;
    if (ts.isPropertyAccessExpression(callee)) {
      const proxied = this.instanceProxy(callee, call);
      if (proxied) return proxied;
      const receiver = this.trace(callee.expression);
      // Derived handles that still run on the same executor: knex.withSchema('s'), trx('t').
      if (receiver.kind === 'executor' && receiver.adapter.passthroughMethods?.includes(callee.name.text))
        return receiver;
      // `conn('episodes').where(…)`: a knex builder's clauses keep it on its executor.
      if (callableExecutor(receiver) && knexClause(callee.name.text)) return receiver;
      // A client extension that wraps every query in a transaction setting the org context
      // (Prisma's $extends with $transaction([set_config…, query(args)])) is a scoped client.
      if (receiver.kind === 'executor' && callee.name.text === '$extends')
        return this.clients.scopedExtension(call, receiver) ?? receiver;
      // `const trx = await db.transaction()`: a transaction object, committed by hand.
      if (
        receiver.kind === 'executor' &&
        receiver.adapter.transactionMethods?.[callee.name.text]?.then === undefined &&
        receiver.adapter.transactionMethods?.[callee.name.text] &&
        !call.arguments.some((a) => isFunctionLike(skipOuter(a)))
      ) {
        return {
          kind: 'executor',
          exec: 'client',
          adapter: receiver.adapter,
          key: call,
          transaction: `${shortText(callee, 30)}()`,
          label: `the transaction ${shortText(callee, 30)}() opens at ${where(call, this.root)}`,
          ...carriedBy(receiver),
        };
      }
      if (
        receiver.kind === 'executor' &&
        receiver.exec === 'pool' &&
        receiver.adapter.connectMethods.includes(callee.name.text)
      ) {
        return {
          kind: 'executor',
          exec: 'pool-client',
          adapter: receiver.adapter,
          key: call,
          label: `pooled client from ${shortText(callee, 30)}() at ${where(call, this.root)}`,
          ...carriedBy(receiver),
        };
      }
      if (receiver.kind === 'admin' && callee.name.text === 'connect') return { ...receiver, key: call };
      // A helper's pool parameter: whatever pool the caller passes, connect() checks out one connection.
      if (receiver.kind === 'param' && (receiver.typed === null || receiver.typed.exec === 'pool')) {
        const adapter = receiver.typed?.adapter ?? adapters.find((a) => a.connectMethods.includes(callee.name.text));
        if (adapter && adapter.connectMethods.includes(callee.name.text)) {
          return {
            kind: 'executor',
            exec: 'pool-client',
            adapter,
            key: call,
            label: `pooled client from ${shortText(callee, 30)}() at ${where(call, this.root)}`,
          };
        }
      }
      // `this.createDb(conn)`: a function the container injects by token, called.
      if (receiver.kind === 'unknown' && skipOuter(callee.expression).kind === ts.SyntaxKind.ThisKeyword) {
        const injected = this.injectedCall(callee, call);
        if (injected) return injected;
      }
      // `this.getDb()`: a method of the class itself, followed to what it returns (`getDbFromContext() ?? this.db`,
      // each value judged as it would be alone), though `this` is no connection.
      if (receiver.kind === 'unknown' && skipOuter(callee.expression).kind === ts.SyntaxKind.ThisKeyword) {
        const own = this.origins.expr(callee);
        if (own.kind === 'function' && own.decl.body) return this.returned(own.decl, call);
      }
      if (receiver.kind === 'unknown') return receiver;
    }
    const target = this.origins.expr(callee);
    if (target.kind === 'function') return this.returned(target.decl, call);
    // `TenantConnection.create(opts)`: a static factory of a connection class of the codebase (executor-classes.ts).
    const instance = this.classInstance(call);
    if (instance) return instance;
    // `this.pool.acquire()` that provenance cannot follow, with `acquire(): PgPoolExecutor` declared along the way.
    const declared = this.declaredInstance(call);
    if (declared) return declared;
    // `app.get<Sql>('SQL_CLIENT')`: a container lookup typed as a library executor (declared-types.ts).
    const typed = typeArgumentExecutor(this.typeReader, call);
    if (typed)
      return {
        kind: 'executor',
        exec: typed.exec,
        adapter: typed.adapter,
        key: call,
        label: `\`${shortText(call, 40)}\` (a ${typed.adapter.api} ${typed.exec}, by its type argument)`,
      };
    if (target.kind === 'unknown') return { kind: 'unknown', reason: target.reason };
    return { kind: 'unknown', reason: `\`${shortText(call, 40)}\` returns a value this analysis cannot trace` };
  }

  /**
   * A read of a connection cache: the one connection every value set in the Map is, named with the Map; several
   * judged together as a local's values are (replaced-members.ts); untraced with the reason why.
   */
  private cached(cache: MapCacheRead): Handle {
    if ('reason' in cache) return { kind: 'unknown', reason: cache.reason };
    const held = `the Map \`${cache.name}\` (${where(cache.declared, this.root)})`;
    const handles = cache.values.map((v) => this.trace(v.value));
    const first = handles[0]!;
    const one = handles.every((h) => 'key' in h && 'key' in first && h.key === first.key && h.kind === first.kind);
    if (one && 'label' in first) {
      const sets = cache.values.map((v) => `\`${shortText(v.value, 40)}\` at ${where(v.at, this.root)}`).join(', ');
      return { ...first, label: `${first.label}, held in ${held}, which is only given ${sets}` };
    }
    return (
      replacedMember(cache.values, `a read of ${held}`, (e) => this.trace(e), this.root, undefined, true) ??
      { kind: 'unknown', reason: `${held} holds values rls-guard cannot judge together` }
    );
  }

  /**
   * `guarded.forShop(id)` returning `new Proxy(this.client, trapsThatForward)`: the client the receiver's construction
   * gave that field (instance-proxies.ts). Undefined when the method is not such, or the receiver is not one known
   * construction of its class (then the method's return is read as any other's).
   */
  private instanceProxy(callee: ts.PropertyAccessExpression, call: ts.CallExpression): Handle | undefined {
    const method = this.origins.expr(callee);
    if (method.kind !== 'function') return undefined;
    const found = fieldProxy(method.decl, this.origins);
    const made = found && instanceOf(callee.expression, this.origins);
    const arg = made && made.cls === method.decl.parent ? made.args[found.param] : undefined;
    if (!found || !made || !arg || ts.isSpreadElement(arg)) return undefined;
    const inner = this.trace(arg);
    const via =
      `the Proxy \`${shortText(callee, 30)}()\` returns (${where(found.proxy, this.root)}), whose traps only ` +
      `forward the members of \`this.${found.field}\`, given \`${shortText(arg, 30)}\` at ${where(made.at, this.root)}`;
    if (inner.kind === 'unknown') return { ...inner, reason: `${via}: ${inner.reason}` };
    return 'label' in inner && typeof inner.label === 'string'
      ? ({ ...inner, label: `${inner.label}, through ${via}` } as Handle)
      : inner;
  }

  /** A call of a library's factory (`postgres(url)`, `drizzle(reserved)`), `callee` naming it; else undefined. */
  private libraryCall(
    factory: Handle,
    call: ts.CallExpression,
    callee: ts.Expression,
    ownPool = false,
  ): Handle | undefined {
    if (factory.kind === 'library') {
      if (factory.adapter.factoryFactories?.includes(factory.name))
        return { kind: 'library', adapter: factory.adapter, export: 'namespace', name: '$factory' };
      // drizzle(reserved): the one connection it is built over, with what was set on it (wrapped-connections.ts).
      const over = factory.adapter.wrappingFactories?.includes(factory.name)
        ? this.overConnection(factory.adapter, wrappedArgument(call), call)
        : undefined;
      if (over) return over;
      const exec = factory.adapter.factories?.[factory.name];
      // drizzle(guarded) over a Proxy (or an accessor) that reads an AsyncLocalStorage: judged per path like the
      // connection it wraps, the library's own pool where no path entered the store (corpus34: memex-ai's rlsClient).
      const wraps = !ownPool && factory.adapter.wrappingFactories?.includes(factory.name);
      const wrapped = exec && wraps ? wrappedArgument(call) : undefined;
      // drizzle(rlsClient) over a Proxy whose traps run each of the driver's statements in a transaction that set the
      // org context from a store (statement-proxies.ts): scoped where the store holds it, the bare client elsewhere.
      const perStatement = wrapped && this.perStatement(factory.adapter, wrapped, call, callee);
      if (perStatement) return perStatement;
      const ambient = wrapped && this.trace(wrapped);
      if (exec && ambient?.kind === 'ambient') {
        const made = this.libraryCall(factory, call, callee, true);
        if (made)
          return {
            ...ambient,
            key: call,
            fallback: made,
            label: `the ${factory.adapter.api} instance at ${where(call, this.root)} over ${ambient.label}`,
          };
      }
      // Over a Proxy whose trap decides what each statement runs on or under (unread): that, never a plain pool.
      if (exec && ambient?.kind === 'unknown' && wrapped && this.isProxy(wrapped))
        return {
          kind: 'unknown',
          reason:
            `the ${factory.adapter.api} instance at ${where(call, this.root)} wraps \`${shortText(wrapped, 30)}\`, ` +
            `which cannot be traced: ${ambient.reason}`,
        };
      if (exec) {
        // knex({ pool: { afterCreate } }) and postgres.js connection parameters; knex({ connection:
        // { options: '-c app.current_org_id=…' } }): a per-tenant pool too.
        const options = tenantOptions(this.tenantDeps, call.arguments[0]);
        const tenant =
          tenantFromConfig(call, this.config.contextSettings, (sql) => this.effects(sql), this.root) ??
          (options ? { ...options, at: call } : undefined);
        const login = this.clients.loginRole(call.arguments, call, factory.adapter.api);
        const sessionJwt = this.config.sessionJwt ? this.sessionJwt(call) : undefined;
        return {
          kind: 'executor',
          exec,
          adapter: factory.adapter,
          key: call,
          label:
            `${factory.adapter.api} ${exec === 'pool' ? 'pool' : 'client'} ` +
            `from ${shortText(callee, 30)}() at ${where(call, this.root)}`,
          ...(tenant ? { tenant } : {}),
          ...(login ? { login } : {}),
          ...(sessionJwt ? { sessionJwt } : {}),
        };
      }
    }
    return undefined;
  }

  /**
   * The identity a factory's connection sends with every query: its own `authToken` option (`neon(url, { authToken
   * })`), or that of the connection it is built over (`drizzle(sql)`, `drizzle({ client: sql })`).
   */
  private sessionJwt(call: ts.CallExpression): SessionJwt | undefined {
    const own = sessionJwtOption(call.arguments);
    if (own) return own;
    const first = call.arguments[0] && skipOuter(call.arguments[0]);
    if (!first) return undefined;
    const client = ts.isObjectLiteralExpression(first)
      ? first.properties.find((p): p is ts.PropertyAssignment | ts.ShorthandPropertyAssignment =>
        (ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) && p.name.getText() === 'client')
      : undefined;
    const over = client ? (ts.isPropertyAssignment(client) ? client.initializer : client.name) : first;
    if (ts.isObjectLiteralExpression(over) || ts.isStringLiteralLike(over)) return undefined;
    const inner = this.trace(over);
    return inner.kind === 'executor' ? inner.sessionJwt : undefined;
  }

  /**
   * `this.createDb(conn)`, `createDb` a function the NestJS container injects by token (`useValue: createDb`, or a
   * factory returning it): a call of that function with these arguments, so `(client) => drizzle(client)` over a
   * reserved connection is that connection (providers/nest-di.ts). Undefined for a parameter not injected by token.
   */
  private injectedCall(callee: ts.PropertyAccessExpression, call: ts.CallExpression): Handle | undefined {
    const o = this.origins.expr(callee);
    if (o.kind !== 'param' || o.path.length) return undefined;
    const found = this.ambient.nest?.injectedCallee(o.binding);
    if (!found) return undefined;
    if (found.kind === 'unknown') return { kind: 'unknown', reason: found.reason };
    const h =
      found.kind === 'function'
        ? this.returned(found.fn, call)
        : (this.libraryCall(this.trace(found.value), call, found.value) ?? {
            kind: 'unknown',
            reason: `\`${shortText(found.value, 30)}\` is not a factory of a database library`,
          });
    const prefix = `${found.label}, called at ${where(call, this.root)}: `;
    if (h.kind === 'unknown') return { ...h, reason: prefix + h.reason };
    return 'label' in h && typeof h.label === 'string' ? ({ ...h, label: prefix + h.label } as Handle) : h;
  }

  /**
   * An instance of a connection class of the codebase whose `query` hands each statement to one
   * receiver (executor-classes.ts): that receiver, read inside the class; a parameter of its
   * constructor is what this construction passes. Anything else of the class is not read, so an
   * untraced receiver is unresolved with the class named, never a class "that is not a connection".
   */
  private classInstance(e: ts.Expression): Handle | undefined {
    const made = constructionOf(e, this.origins);
    const forwarded = made && forwardingQuery(made.cls, this.origins);
    if (!made || !forwarded) return undefined;
    let inner = this.trace(forwarded.receiver);
    if (inner.kind === 'param' && !inner.path?.length && ts.isConstructorDeclaration(inner.binding.fn)) {
      const arg = made.args[inner.binding.index];
      inner = arg ? this.trace(arg) : { kind: 'unknown', reason: 'the constructor is not given that argument' };
    }
    const via =
      `an instance of \`${made.cls.name?.text ?? 'a class'}\` (${where(made.at, this.root)}), whose \`query\` ` +
      `(${where(forwarded.method, this.root)}) hands each statement to \`${shortText(forwarded.receiver, 30)}\``;
    if (inner.kind === 'executor' || inner.kind === 'admin')
      return { ...inner, label: `${inner.label}, through ${via}` };
    if (inner.kind === 'unknown') return { kind: 'unknown', reason: `${via}: ${inner.reason}` };
    if (inner.kind === 'not-db') return { kind: 'unknown', reason: `${via}, which is ${inner.reason}` };
    return inner;
  }

  /**
   * A value provenance cannot follow whose annotations declare it an instance of a connection class of the codebase
   * (`this.pool.acquire()` with `pool: PgPoolStrategy` and `acquire(): PgPoolExecutor`, declared-receiver.ts), whose
   * `query` hands each statement to one receiver: that receiver, read inside the class. Which instance it is is not
   * known, so a parameter of its constructor is what that parameter is declared as (a library's pool), or untraced.
   */
  private declaredInstance(call: ts.CallExpression): Handle | undefined {
    const cls = declaredTypeOf(this.origins, call);
    const abstract = (c: ts.ClassDeclaration): boolean =>
      !!ts.getModifiers(c)?.some((m) => m.kind === ts.SyntaxKind.AbstractKeyword);
    if (!cls || !ts.isClassDeclaration(cls) || abstract(cls)) return undefined;
    const forwarded = forwardingQuery(cls, this.origins);
    if (!forwarded) return undefined;
    let inner = this.trace(forwarded.receiver);
    if (inner.kind === 'param' && !inner.path?.length && ts.isConstructorDeclaration(inner.binding.fn)) {
      const param = inner.binding.decl;
      inner = inner.typed
        ? {
            kind: 'executor',
            exec: inner.typed.exec,
            adapter: inner.typed.adapter,
            key: param,
            label:
              `the ${inner.typed.adapter.api} ${inner.typed.exec} its constructor is given ` +
              `(\`${shortText(param, 30)}\`, by its declared type)`,
          }
        : {
            kind: 'unknown',
            reason: `its constructor's \`${shortText(param.name, 30)}\` is not declared as a connection`,
          };
    }
    const via =
      `\`${shortText(call, 40)}\`, declared an instance of \`${cls.name?.text ?? 'a class'}\` ` +
      `(${where(cls, this.root)}), whose \`query\` (${where(forwarded.method, this.root)}) hands each statement to ` +
      `\`${shortText(forwarded.receiver, 30)}\``;
    if (inner.kind === 'executor' || inner.kind === 'admin')
      return { ...inner, label: `${inner.label}, through ${via}` };
    if (inner.kind === 'unknown') return { kind: 'unknown', reason: `${via}: ${inner.reason}` };
    if (inner.kind === 'not-db') return { kind: 'unknown', reason: `${via}, which is ${inner.reason}` };
    return { kind: 'unknown', reason: `${via}, which depends on where the instance was made` };
  }

  /**
   * The context sets a call of a setter makes on its arguments: a setter declared in the
   * config, else what the function's body does on every path (once per function).
   */
  settersAt(call: ts.CallExpression, fn: ts.FunctionLikeDeclaration | undefined): readonly SetterEffect[] {
    const callee = skipOuter(call.expression);
    const name = calleeName(callee);
    if (name && this.config.setterHelpers.length > 0) {
      const b = ts.isIdentifier(callee) ? lookup(callee) : undefined;
      const hit = matchesSpec(this.config.setterHelpers, importedName(b) ?? name, importModule(b)) as
        ResolvedSetterHelper | undefined;
      if (hit) {
        const settings = hit.setting ? [hit.setting] : [...this.config.contextSettings];
        return settings.map((setting) => ({
          param: hit.connectionArg,
          setting,
          local: hit.local,
          at: call,
          via: 'declared in the config',
        }));
      }
    }
    return fn ? this.facts.get(this.settersKind, fn) : [];
  }

  /** A function in the codebase that returns a connection: its per-function fact, and the guard this call selects. */
  private returned(fn: ts.FunctionLikeDeclaration, call?: ts.CallExpression): Handle {
    const ambient = this.ambient.factory(fn, (x) => this.trace(x));
    if (ambient) return ambient;
    // `bookkeepingHandle(deps.db)`, a function that only retypes its parameter: the call is its argument.
    const same = call ? returnedParam(fn) : undefined;
    const arg = same !== undefined ? call?.arguments[same] : undefined;
    if (arg && !ts.isSpreadElement(arg)) return this.trace(arg);
    // `deferred(() => connect().db)`: a Proxy forwarding each member to what the function the call passes makes.
    const maker = call ? lazyMakerArgument(fn, call, (e) => this.ambient.lazyProxy(e)) : undefined;
    if (maker) return this.lazilyMade(maker, call!);
    // `makeRlsClient(base)` returning a Proxy that runs each operation in a transaction on its parameter `base`.
    const perOperation = call ? this.perOperation(undefined, fn, call) : undefined;
    if (perOperation) return perOperation;
    // `createDb(client)` returning `drizzle(client)`: over the connection this call passes, when that is one client.
    const wrap = call ? wrappedParam(fn, (callee) => this.wrappingAdapter(callee) !== undefined) : undefined;
    const wrapped = wrap ? call?.arguments[wrap.index] : undefined;
    const wrapAdapter =
      wrap && wrapped && !ts.isSpreadElement(wrapped) ? this.wrappingAdapter(wrap.call.expression) : undefined;
    const over = wrapAdapter ? this.overConnection(wrapAdapter, wrapped, call!) : undefined;
    if (over) return over;
    const fact = this.facts.get(this.returnsKind, fn);
    // `visitsOf(clinicId, trx)` returning `conn('visits').where(…)`: a builder on the connection this call passes.
    if (call && fact.onParam) return this.onArgument(fn, fact.onParam, call);
    const first = returnedAt(fact, fn, call);
    // A factory that opens a transaction and sets the org context on the connection it returns.
    if (
      call &&
      first.kind === 'executor' &&
      first.exec !== 'pool' &&
      this.facts.get(this.scopedKind, fn).has(first.key)
    ) {
      const via = functionName(fn);
      return {
        kind: 'scoped',
        via,
        key: first.key,
        helperCall: call,
        label:
          `the connection \`${via}\` returns (${where(fn, this.root)}), ` +
          'inside a transaction that set the org context',
      };
    }
    return first;
  }

  /**
   * What a call of a function returning a builder on its own parameter runs on: the argument it passes there, or the
   * parameter's default where it passes none (or `undefined`). An argument that may itself be left out at run time (an
   * optional parameter of the caller's, handed on) is judged at each of the caller's calls, with the default where
   * those pass nothing.
   */
  private onArgument(
    fn: ts.FunctionLikeDeclaration,
    own: Extract<Handle, { kind: 'param' }>,
    call: ts.CallExpression,
  ): Handle {
    const index = own.binding.index;
    const arg = call.arguments[index];
    if (call.arguments.slice(0, index + 1).some(ts.isSpreadElement))
      return { kind: 'unknown', reason: `the call of \`${functionName(fn)}\` spreads its arguments` };
    const given = arg && !isUndefined(arg) ? this.trace(arg) : undefined;
    const fallback = own.fallback && 'label' in own.fallback
      ? { ...own.fallback, label: `${own.fallback.label} (the default of ${own.label})` } : own.fallback;
    if (!given) {
      return fallback ?? {
        kind: 'unknown',
        reason: `\`${functionName(fn)}\` returns a builder on its ${own.label.replace(/ of `.*$/, '')}, which the ` +
          `call at ${where(call, this.root)} leaves out`,
      };
    }
    if (given.kind !== 'param' || given.fallback || !fallback || argumentPresence(fn, call).get(index) !== 'maybe')
      return given;
    const other = 'label' in fallback ? fallback.label : `the default of ${own.label}`;
    return { ...given, fallback, label: `${given.label}, or ${other} where a call does not pass it` };
  }

  /**
   * A Proxy that runs each operation in a transaction of its own after applying an AsyncLocalStorage's value to it
   * (ambient/operation-proxies.ts), made here (`created`) or returned by `fn`, called at `call` (its transactions then
   * opened on a parameter of `fn`: what the call passes there). With the store entered: the transaction, with what the
   * setter sets on it (a scoped connection naming them); with nothing entered: a transaction with nothing set, as
   * unscoped as its client. A client that is admin stays admin; one that cannot be traced leaves the Proxy untraced.
   */
  private perOperation(
    created: ts.NewExpression | undefined,
    fn?: ts.FunctionLikeDeclaration,
    call?: ts.CallExpression,
  ): Handle | undefined {
    let made = created;
    if (!made && fn) {
      const returns = returnedExpressions(fn);
      const only = returns.length === 1 ? skipOuter(returns[0]!) : undefined;
      made = only && ts.isNewExpression(only) ? only : undefined;
    }
    const op = made && operationProxy(made, this.origins, this.ambient);
    if (!made || !op) return undefined;
    let on = skipOuter(op.receiver);
    const b = ts.isIdentifier(on) ? lookup(on) : undefined;
    if (b?.kind === 'parameter' && b.path.length === 0) {
      const arg = call && b.fn === fn ? call.arguments[b.index] : undefined;
      if (!arg || ts.isSpreadElement(arg)) return undefined;
      on = arg;
    }
    const base = this.trace(on);
    if (base.kind === 'admin') return base;
    if (base.kind !== 'executor') {
      return base.kind === 'unknown'
        ? { ...base, reason: `${base.reason} (the client the Proxy made at ${where(made, this.root)} runs on)` }
        : undefined;
    }
    const setterDecl = this.origins.expr(skipOuter(op.setter.expression));
    const effects = this.settersAt(op.setter, setterDecl.kind === 'function' ? setterDecl.decl : undefined).filter(
      (x) => x.param === op.txIndex && x.local !== false,
    );
    if (!effects.length) return undefined;
    const settings = new Set(effects.map((x) => x.setting));
    const setter = functionName(setterDecl.kind === 'function' ? setterDecl.decl : op.setter);
    const storeName = this.ambient.describeStore(op.read.store);
    const opens = `a transaction the Proxy made at ${where(made, this.root)} opens on ${base.label} for each operation`;
    const entered: Handle = {
      kind: 'scoped',
      via: setter,
      key: made,
      helperCall: op.setter,
      settings,
      label:
        `${opens}, after \`${shortText(op.setter, 40)}\` (${where(op.setter, this.root)}) sets ` +
        `${[...settings].sort().join(', ')} from what ${storeName} holds`,
    };
    const fallback: Handle = {
      ...base,
      key: made,
      label: `${opens}, with nothing set: ${storeName} holds nothing, so \`${shortText(op.guard.expression, 20)}\` ` +
        `at ${where(op.guard, this.root)} skips \`${setter}\``,
    };
    const label =
      `the client the Proxy made at ${where(made, this.root)} gives, which sets the context from ${storeName}`;
    return this.ambient.perOperation(op.read, made, entered, fallback, label);
  }

  /**
   * `drizzle(x)` with `x` a Proxy (made here, or returned by a function of the code given its target) whose traps scope
   * every statement of the methods the instance's driver calls (statement-proxies.ts): per path, the statement's
   * transaction with the set where the store holds the org, the instance's own pool where it does not.
   */
  private perStatement(
    adapter: DbAdapter,
    wrapped: ts.Expression,
    call: ts.CallExpression,
    callee: ts.Expression,
  ): Handle | undefined {
    const origin = this.origins.expr(wrapped);
    let made = origin.kind === 'expr' ? skipOuter(origin.expr) : undefined;
    let target: ts.Expression | undefined;
    if (made && ts.isCallExpression(made)) {
      // `createRlsClient(client)`: its one return, the Proxy, over the parameter the call gives the client.
      const fn = this.origins.expr(made.expression);
      const returns = fn.kind === 'function' ? returnedExpressions(fn.decl) : [];
      const only = returns.length === 1 ? skipOuter(returns[0]!) : undefined;
      const over = only && ts.isNewExpression(only) ? proxiedTarget(only, this.origins) : undefined;
      const on = over && skipOuter(over.target);
      const b = on && ts.isIdentifier(on) ? lookup(on) : undefined;
      const arg = b?.kind === 'parameter' && b.path.length === 0 && fn.kind === 'function' && b.fn === fn.decl
        ? made.arguments[b.index] : undefined;
      if (!arg || ts.isSpreadElement(arg)) return undefined;
      [made, target] = [only, arg];
    }
    if (!made || !ts.isNewExpression(made)) return undefined;
    target ??= proxiedTarget(made, this.origins)?.target;
    const api = target && this.executorApi(target);
    const methods = api ? DRIVER_METHODS[api] : undefined;
    const sp = methods && statementProxy(made, methods, this.scopingDeps);
    if (!sp) return undefined;
    const pool = this.libraryCall(this.trace(callee), call, callee, true);
    if (!pool) return undefined;
    const at = `the ${adapter.api} instance at ${where(call, this.root)}`;
    const entered: Handle = sp.unsure ? {
      kind: 'unknown',
      reason: `${at} runs on a Proxy whose statements are scoped only where ` +
        `${this.ambient.describeStore(sp.store)} holds a non-empty \`${shortText(sp.guard, 30).replace(/^!/, '')}\`, ` +
        `and the store is entered at ${where(sp.unsure, this.root)} with a value whose member may be empty, so ` +
        `\`${shortText(sp.guard, 30)}\` (${where(sp.guard, this.root)}) may run the statement on the bare client`,
    } : {
      kind: 'scoped',
      via: 'the Proxy',
      key: made,
      helperCall: sp.setAt,
      settings: sp.settings,
      label: `${at} over a Proxy: ${sp.label}`,
    };
    const bare: Handle = {
      ...pool,
      label: `${at} over the Proxy made at ${where(made, this.root)}, whose \`${shortText(sp.guard, 30)}\` ` +
        `(${where(sp.guard, this.root)}) runs each statement on its bare client where ` +
        `${this.ambient.describeStore(sp.store)} holds nothing`,
    } as Handle;
    return this.ambient.perOperation({ store: sp.store, path: [] }, call, entered, bare, `${at} over a Proxy`);
  }

  /**
   * The library of the executor `e` is, also where it is one of two made by a conditional (`socket ? postgres(a, o) :
   * postgres(b)`, both of one library): which client methods a wrapper's driver calls on it.
   */
  private executorApi(e: ts.Expression): string | undefined {
    const h = this.trace(e);
    if (h.kind === 'executor') return h.adapter.api;
    const o = this.origins.expr(e);
    const c = o.kind === 'expr' ? skipOuter(o.expr) : undefined;
    if (!c || !ts.isConditionalExpression(c)) return undefined;
    const [a, b] = [this.trace(c.whenTrue), this.trace(c.whenFalse)];
    return a.kind === 'executor' && b.kind === 'executor' && a.adapter === b.adapter ? a.adapter.api : undefined;
  }

  /** What the function `maker` that a lazy-client helper is given at `call` makes: its returned connection. */
  private lazilyMade(maker: ts.Expression, call: ts.CallExpression): Handle {
    const literal = literalMaker(maker);
    if (literal) return this.returned(literal);
    const named = this.origins.expr(maker);
    if (named.kind === 'function') return this.returned(named.decl);
    return {
      kind: 'unknown',
      reason:
        `the lazy client made at ${where(call, this.root)} is what \`${shortText(maker, 30)}\` returns, ` +
        'which is not a function this analysis can follow',
    };
  }

  /** The adapter whose wrapping factory (`drizzle`) `callee` is, if it is one. */
  private wrappingAdapter(callee: ts.Expression): DbAdapter | undefined {
    const f = this.trace(skipOuter(callee));
    return f.kind === 'library' && f.adapter.wrappingFactories?.includes(f.name) ? f.adapter : undefined;
  }

  /** Whether `e` is (a const holding) a `new Proxy(…)` of the global Proxy. */
  private isProxy(e: ts.Expression): boolean {
    const o = this.origins.expr(e);
    return o.kind === 'expr' && ts.isNewExpression(skipOuter(o.expr)) &&
      !!proxiedTarget(skipOuter(o.expr) as ts.NewExpression, this.origins);
  }

  /**
   * An instance of `adapter` built at `at` over `conn`: that connection, under the instance's library, when it is
   * one client (a reserved or checked-out connection, a transaction, a scope helper's connection), so the flow
   * keeps one state for both; undefined over a pool, a URL or what cannot be traced (the factory's own kind).
   */
  private overConnection(
    adapter: DbAdapter,
    conn: ts.Expression | undefined,
    at: ts.CallExpression,
  ): Handle | undefined {
    if (!conn) return undefined;
    const inner = this.trace(conn);
    const label = `the ${adapter.api} instance at ${where(at, this.root)} over `;
    if (inner.kind === 'executor' && inner.exec !== 'pool') return { ...inner, adapter, label: label + inner.label };
    if (inner.kind === 'scoped') return { ...inner, label: label + inner.label };
    return undefined;
  }

  /** What a query in a helper's body runs: through the same resolution as the flow's query calls. */
  private effects(
    sqlNode: ts.Expression | undefined,
    placeholders?: DbAdapter['placeholders'],
    values?: ts.Expression,
  ): StatementEffect[] {
    return statementEffects(this.sqlDeps, sqlNode, placeholders, values);
  }

  /**
   * What the callback `fn` receives as its parameter `index` from the call it is passed to (a
   * scope helper's executor, a library transaction, …), or undefined for a plain parameter.
   */
  callbackHandle(fn: ts.ArrowFunction | ts.FunctionExpression, index: number): Handle | undefined {
    const decl = fn.parameters[index];
    if (!decl || !ts.isIdentifier(decl.name)) return undefined;
    return callbackParam(this.callbacks, { kind: 'parameter', name: decl.name.text, decl, fn, index, path: [] });
  }

  private param(binding: ParamBinding, pathKeys: (string | number)[], at?: ts.Expression): Handle {
    // `repo.manager` of a parameter declared as a TypeORM repository (an injected `Repository<Invoice>` too): the same
    // connection under another API, so the parameter itself, judged at its callers or as the container's pool.
    const last = pathKeys[pathKeys.length - 1];
    if (typeof last === 'string') {
      const base = pathKeys.slice(0, -1);
      const declared =
        base.length > 0 ? typeOfField(this.typeReader, binding.decl, base) : typeOfParam(this.typeReader, binding.decl);
      if (declared?.adapter.passthroughProperties?.includes(last)) return this.param(binding, base, at);
    }
    if (pathKeys.length > 0) {
      // A field of a parameter (`opts.pgPool`, `const { ownerPool } = options`): pending, and
      // judged at each call by that member of what the call passes (program.ts).
      const param = binding.decl.name;
      const field = this.fieldKeys.of(binding.decl, pathKeys, at ?? binding.decl);
      const what = ts.isIdentifier(param)
        ? `\`${param.text}${fieldText(pathKeys)}\`, a field of`
        : `\`${binding.name}\`, destructured from`;
      // `{ conn = this.db }: Options`: where a call's object leaves the field out, its default runs the write.
      const init = pathKeys.length === binding.path.length ? destructuredDefault(binding) : undefined;
      const fallback = usableDefault(init ? this.trace(init) : undefined);
      return {
        kind: 'param',
        binding,
        key: field.node,
        path: field.path,
        label: `${what} parameter ${binding.index + 1} of \`${functionName(binding.fn)}\``,
        typed: typeOfField(this.typeReader, binding.decl, pathKeys),
        ...(fallback ? { fallback } : {}),
      };
    }
    const received = callbackParam(this.callbacks, binding);
    if (received) return received;
    const typed = typeOfParam(this.typeReader, binding.decl);
    // `req.tenantTransaction(async (client) => …)`: what the middleware's function hands it, per path.
    const onRequest = requestCallbackParam(this.callbacks, binding, typed);
    if (onRequest) return onRequest;
    // `conn: Knex = db`: where a call leaves the parameter out (or passes `undefined`), the default runs the write.
    const init = binding.path.length === 0 ? binding.decl.initializer : undefined;
    const fallback = usableDefault(init ? this.trace(init) : undefined);
    return {
      kind: 'param',
      binding,
      key: binding.decl,
      label: `parameter \`${binding.name}\` of \`${functionName(binding.fn)}\``,
      typed,
      ...(fallback ? { fallback } : {}),
    };
  }

  /**
   * The connections a pass-through helper opens the transaction on for the callback whose
   * first parameter is `param` (callback-params.ts).
   */
  forwardedReceivers(param: ts.ParameterDeclaration): ts.Expression[] {
    return forwardedReceivers(this.callbacks, param);
  }

  /** The transactions a helper opens for its callback parameter (callback-params.ts). */
  forwardedConnections(
    helper: ts.FunctionLikeDeclaration,
    paramIndex: number,
    call: ts.CallExpression | undefined,
    binding: ParamBinding,
  ): Handle[] {
    return forwardedConnections(this.callbacks, helper, paramIndex, call, binding);
  }

  /** Whether a function is the connect hook of a per-tenant pool (its session-wide set is the point). */
  isTenantHook(fn: ts.Node): boolean {
    const factory = factoryCallOfHook(fn);
    if (factory) {
      const pool = this.of(factory);
      return pool.kind === 'executor' && pool.tenant !== undefined;
    }
    const call = fn.parent;
    if (!call || !ts.isCallExpression(call) || call.arguments[1] !== fn) return false;
    const callee = skipOuter(call.expression);
    if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== 'on') return false;
    const pool = this.of(callee.expression);
    return pool.kind === 'executor' && pool.tenant !== undefined;
  }

  /** The settings policies read that a query sets transaction-locally (client-factories.ts). */
  localSettings(expr: ts.Expression): string[] {
    return this.clients.localSettings(expr);
  }

  /** A class of the codebase that extends a library's client (client-factories.ts). */
  classClient(cls: ts.ClassLikeDeclaration): Handle | undefined {
    return this.clients.classClient(cls);
  }

  /** What a DI container passes to a constructor parameter typed as a library's pool (client-factories.ts). */
  injected(binding: ParamBinding): Handle | undefined {
    return this.clients.injected(binding);
  }
}

/** A handle that stands for a connection (traced or pending), not a library export or a non-database value. */
function isConnection(h: Handle): boolean {
  return ['executor', 'admin', 'scoped', 'param', 'ambient'].includes(h.kind);
}

/**
 * A parameter's default that a call leaving the parameter out runs on: a connection, or the field its class's
 * constructor is given (`conn: Db = this.db`, judged as what the container or the class's callers pass: mentingo's
 * repositories), never another function's parameter, whose callers are not this call's.
 */
function usableDefault(h: Handle | undefined): Handle | undefined {
  if (!h || !isConnection(h)) return undefined;
  if (h.kind !== 'param') return h;
  return ts.isConstructorDeclaration(h.binding.fn) && !h.fallback && !h.path?.length ? h : undefined;
}

/** A parameter declared with a union that holds `undefined` (`db: Db | undefined`). */
function typedUndefined(decl: ts.ParameterDeclaration): boolean {
  const type = decl.type;
  return !!type && ts.isUnionTypeNode(type) && type.types.some((t) => t.kind === ts.SyntaxKind.UndefinedKeyword);
}

/** The default of a parameter's one-level destructured name (`{ conn = this.db }`), if it has one. */
function destructuredDefault(binding: ParamBinding): ts.Expression | undefined {
  const pattern = binding.decl.name;
  if (!ts.isObjectBindingPattern(pattern) || binding.path.length !== 1) return undefined;
  const element = pattern.elements.find(
    (el) => !el.dotDotDotToken && (el.propertyName ?? el.name).getText() === String(binding.path[0]),
  );
  return element?.initializer;
}

/** `undefined` or `void 0`: a default parameter takes its default. */
function isUndefined(e: ts.Expression): boolean {
  const x = skipOuter(e);
  return (ts.isIdentifier(x) && x.text === 'undefined' && !lookup(x)) || ts.isVoidExpression(x);
}

/** An executor whose library builds a query by calling it (knex's `db('t')`), the builder running on it. */
function callableExecutor(h: Handle): boolean {
  const library =
    h.kind === 'executor' || h.kind === 'admin' ? h.adapter : h.kind === 'param' ? h.typed?.adapter : undefined;
  return library?.api === 'knex';
}

/** A knex builder's clause (`where…`, joins, ordering): the methods whose argument is a piece of its statement. */
function knexClause(method: string): boolean {
  return !!adapters.find((a) => a.api === 'knex')?.fragmentSinks?.test(method);
}

/** The branch of `c ? a : b` that is a value when the other is `null`/`undefined`/`void …`; else undefined. */
function somethingBranch(e: ts.ConditionalExpression): ts.Expression | undefined {
  const [a, b] = [isNothing(e.whenTrue), isNothing(e.whenFalse)];
  return a === b ? undefined : a ? e.whenFalse : e.whenTrue;
}
