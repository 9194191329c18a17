import ts from '../ts.js';
import { matchesSpec, type ResolvedAdminProvider } from './config.js';
import { functionName, type Origin, shortText } from '../code/origins.js';
import { isFunctionLike, lookup } from '../code/scope.js';
import { conditionsBetween, outerWrapperOf, skipOuter } from '../syntax/wrappers.js';
import { ExtensionBindings } from '../code/prisma-extensions.js';
import { importedName, importModule } from './config-match.js';
import { executorSubclass, type TypeReader, typeOfParam } from './declared-types.js';
import { findTenantBinding, type TenantDeps } from './tenant-binding.js';
import { type LoginRole, loginRoleOf, migrationsRunOption } from './providers/login-roles.js';
import { prismaDatasourceVariable } from '../adapters/prisma-schema.js';
import { indirectLogin } from './deploy-login.js';
import { type Handle, type ParamBinding, where } from './handles.js';
import { type Facts, TrackedMemo } from '../code/fixpoint.js';
import type { SetValue } from '../sql/classify.js';

// The clients the code makes beyond a library's plain factories: a client extension that
// scopes every query, a per-tenant pool, the role a client logs in as, an admin provider
// named in the config, a class that extends a library's client, what a DI container injects.

/** What these clients ask of provenance: a tenant pool's and a declared type's needs, and an origin read. */
export interface FactoryDeps extends TenantDeps, TypeReader {
  /** The handle an origin is, by provenance alone (no types). */
  fromOrigin(origin: Origin, at: ts.Expression): Handle;
}

export class ClientFactories {
  // A tracked memo (fixpoint.ts): the connect hook is found through other files.
  private readonly tenants: TrackedMemo<ts.NewExpression, { via: string; at: ts.Node } | undefined>;

  constructor(
    private readonly deps: FactoryDeps,
    facts: Facts,
  ) {
    this.tenants = new TrackedMemo(facts);
  }

  /**
   * A client extension that wraps every query in a transaction setting the org context
   * (Prisma's `$extends` with `$transaction([set_config…, query(args)])`): a scoped client.
   */
  scopedExtension(call: ts.CallExpression, client: Extract<Handle, { kind: 'executor' }>): Handle | undefined {
    let setsContext = false;
    let provider: string | undefined;
    const followed = new Set<ts.Node>();
    const bindings = new ExtensionBindings();
    const settings = new Set<string>();
    // The conditions a hook's interactive transaction sets the context under (`if (tenantId) await tx.$executeRaw…`).
    const guards: ts.Expression[] = [];
    const values = new Map<string, SetValue>();
    let hookAt: ts.Node | undefined;
    const visit = (n: ts.Node, inHook: boolean): void => {
      if (setsContext) return;
      // The extension is often built elsewhere: forUser(id) returning Prisma.defineExtension(…),
      // or a const holding it. Follow calls of local functions and names, once each.
      if ((ts.isCallExpression(n) || ts.isIdentifier(n)) && followed.size < 16) {
        const target = this.deps.origins.expr(ts.isCallExpression(n) ? n.expression : n);
        const body =
          target.kind === 'function'
            ? target.decl.body
            : target.kind === 'expr' && target.expr !== n
              ? target.expr
              : undefined;
        if (body && !followed.has(body)) {
          followed.add(body);
          if (target.kind === 'function' && ts.isCallExpression(n)) bindings.bind(n, target.decl);
          visit(body, inHook);
          // The function that builds the extension is the provider the report names.
          if (setsContext && target.kind === 'function') provider ??= functionName(target.decl);
        }
      }
      if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(skipOuter(n.expression))) {
        const method = (skipOuter(n.expression) as ts.PropertyAccessExpression).name.text;
        const arg = n.arguments[0] && skipOuter(n.arguments[0]);
        if (client.adapter.sequenceMethods?.includes(method) && arg && ts.isArrayLiteralExpression(arg)) {
          for (const el of arg.elements) for (const setting of this.localSettings(el, bindings)) settings.add(setting);
          setsContext = settings.size > 0;
        } else if (inHook && client.adapter.transactionMethods?.[method] && arg && isFunctionLike(arg)) {
          // The query hook runs each query in an interactive transaction it opens:
          // `$allOperations(…) { return client.$transaction(async (tx) => { await tx.$executeRaw…; return … }) }`.
          this.interactiveSettings(arg as ts.FunctionLikeDeclaration, bindings, settings, values, guards);
          setsContext = settings.size > 0;
          if (setsContext) hookAt = n;
        }
      }
      const hook = inHook || isQueryHook(n);
      ts.forEachChild(n, (c) => visit(c, hook));
    };
    for (const a of call.arguments) visit(a, false);
    if (!setsContext) return undefined;
    let fn: ts.Node | undefined = call.parent;
    while (fn && !isFunctionLike(fn)) fn = fn.parent;
    const via = provider ?? (fn ? functionName(fn as ts.FunctionLikeDeclaration) : '$extends');
    const what = `the client \`${via}\` extends at ${where(call, this.deps.root)}`;
    // Set only under a condition the hook tests: which queries run scoped is not decided here (fail closed).
    if (guards.length)
      return {
        kind: 'unknown',
        reason:
          `${what} runs each query in a transaction (${where(hookAt!, this.deps.root)}) that sets ` +
          `${[...settings].join(', ')} only when \`${shortText(guards[0]!, 40)}\`, a condition rls-guard cannot decide`,
      };
    return {
      kind: 'scoped',
      via,
      key: call,
      helperCall: call,
      label: hookAt
        ? `${what}, whose $allOperations hook runs every query in a transaction (${where(hookAt, this.deps.root)}) ` +
          `that first sets ${[...settings].join(', ')}`
        : `${what}, whose every query runs in a transaction that first sets the org context`,
      settings,
      ...(values.size ? { settingValues: values } : {}),
    };
  }

  /** The settings an interactive transaction's callback sets transaction-locally, and the conditions it tests first. */
  private interactiveSettings(
    fn: ts.FunctionLikeDeclaration,
    bindings: ExtensionBindings,
    settings: Set<string>,
    values: Map<string, SetValue>,
    guards: ts.Expression[],
  ): void {
    const visit = (n: ts.Node): void => {
      if (isFunctionLike(n)) return;
      if (ts.isCallExpression(n) || ts.isTaggedTemplateExpression(n)) {
        const found = this.localSets(n, bindings);
        if (found.length) {
          for (const c of found) {
            settings.add(c.setting);
            if (c.value) values.set(c.setting, c.value);
          }
          guards.push(...conditionsBetween(n, fn));
          return;
        }
      }
      ts.forEachChild(n, visit);
    };
    if (fn.body) ts.forEachChild(fn.body, visit);
  }

  /**
   * A per-tenant pool: its every connection carries the org setting, from the connection
   * options (`options: '-c app.current_org_id=' + orgId`) or a connect hook that sets it
   * (`pool.on('connect', (c) => c.query("SET app.current_org_id = …"))`).
   */
  tenantBinding(created: ts.NewExpression): { via: string; at: ts.Node } | undefined {
    // It reads the whole file for a connect hook: once per pool, not once per use of it.
    return this.tenants.get(created, () => findTenantBinding(this.deps, created));
  }

  /**
   * The role a pool or client made with these arguments logs in as: read only when some policy keys on the login
   * role or some role bypasses RLS (otherwise no verdict depends on it), once per creation (handles are memoised).
   */
  loginRole(args: readonly ts.Expression[], made: ts.Node, api?: string): LoginRole | undefined {
    const login = this.readLogin(args, made, api);
    // A TypeORM DataSource that runs the migrations itself logs in as their role (verdict.ts, owned tables).
    const migrator = api === 'typeorm' ? migrationsRunOption(args[0]) : undefined;
    return migrator ? withMigrator(login, migrator) : login;
  }

  private readLogin(args: readonly ts.Expression[], made: ts.Node, api?: string): LoginRole | undefined {
    const { roleKeyedTables, bypassRoles, deployedLogins } = this.deps.config;
    if (roleKeyedTables.size === 0 && bypassRoles.size === 0 && !deployedLogins) return undefined;
    const login = loginRoleOf(args, this.deps.folder, (e) => {
      const h = this.deps.trace(e);
      return h.kind === 'executor' ? h.login : undefined;
    }, made);
    // A DSN read from a named variable: what the deployment files give it (a wrapped pool's login carries its own).
    if (login.kind !== 'environment' || login.deployed) return login;
    // A Prisma client given no URL of its own logs in with its schema datasource's variable.
    const variable = login.variable ?? (api === 'prisma' && ownUrlless(args) ? prismaDatasourceVariable(this.deps.root)
      : undefined);
    const given = variable ? deployedLogins?.(variable) : undefined;
    const deployed = given && login.read ? indirectLogin(given, variable!, login.read) : given;
    return deployed ? { ...login, variable, deployed } : login;
  }

  /**
   * The context settings policies read that a query call or tagged template sets
   * transaction-locally (its SQL read through the arguments the extension was built with).
   */
  localSettings(expr: ts.Expression, bindings = new ExtensionBindings()): string[] {
    return this.localSets(expr, bindings).map((c) => c.setting);
  }

  /** As `localSettings`, each with the value set when the SQL says (a constant, a bind parameter). */
  private localSets(expr: ts.Expression, bindings: ExtensionBindings): { setting: string; value?: SetValue }[] {
    const e = skipOuter(expr);
    const sqlNode = ts.isTaggedTemplateExpression(e)
      ? e
      : ts.isCallExpression(e) && e.arguments[0]
        ? bindings.resolve(e.arguments[0], this.deps.origins)
        : undefined;
    if (!sqlNode) return [];
    return this.deps.effects(sqlNode).flatMap((effect) =>
      effect.contextSets.filter((c) => c.local === true && this.deps.config.contextSettings.has(c.setting)),
    );
  }

  adminBinding(id: ts.Identifier, definition?: () => Handle): Handle | undefined {
    const b = lookup(id);
    if (!b || b.kind === 'parameter') return undefined;
    const original = importedName(b) ?? b.name;
    const hit = matchesSpec(this.deps.config.adminProviders, original, importModule(b)) as
      ResolvedAdminProvider | undefined;
    if (!hit || b.kind === 'function') return undefined;
    // Which library the admin connection is, when its definition says: for the report's api.
    const under = definition ? definition() : this.deps.fromOrigin(this.deps.origins.expr(id), id);
    return {
      kind: 'admin',
      via: hit.name,
      key: b.decl,
      label: `admin connection \`${hit.name}\``,
      ...(hit.declaredIn ? { declaredIn: hit.declaredIn } : {}),
      // (The definition read from the identifier is this same admin connection: adminInitializer.)
      ...((under.kind === 'executor' || under.kind === 'admin') && under.adapter ? { adapter: under.adapter } : {}),
    };
  }

  /**
   * The initializer of a variable declared as an admin provider (`export const ownerDb = drizzle(pool)`), reached
   * through an alias, an import or an object's field (`{ db: ownerDb }` read as `ctx.db`): that admin connection.
   */
  adminInitializer(init: ts.Expression, definition: () => Handle): Handle | undefined {
    const n = outerWrapperOf(init);
    const decl = n.parent;
    if (!decl || !ts.isVariableDeclaration(decl) || decl.initializer !== n || !ts.isIdentifier(decl.name))
      return undefined;
    return this.adminBinding(decl.name, definition);
  }

  /** A class of the codebase that extends a library's client, as the client a container makes of it. */
  classClient(cls: ts.ClassLikeDeclaration): Handle | undefined {
    const t = executorSubclass(this.deps, cls);
    if (!t) return undefined;
    const name = cls.name?.text ?? 'a class';
    const label = `${name}, a ${t.adapter.api} client (${where(cls, this.deps.root)})`;
    return { kind: 'executor', exec: t.exec, adapter: t.adapter, key: cls, label };
  }

  /**
   * The login of the Prisma client a container injects as this parameter: the datasource's `env("…")` variable, as
   * the deployment files give it, when the parameter's type is PrismaClient or a class of the codebase extending it
   * that passes its constructor nothing of its own (options given to `super(…)` may carry another URL: not read).
   */
  private prismaLogin(param: ts.ParameterDeclaration): LoginRole | undefined {
    const deployedLogins = this.deps.config.deployedLogins;
    const type = param.type;
    if (!deployedLogins || !type || !ts.isTypeReferenceNode(type) || !ts.isIdentifier(type.typeName)) return undefined;
    const origin = this.deps.origins.expr(type.typeName);
    if (origin.kind === 'class') {
      const ctor = origin.decl.members.find(ts.isConstructorDeclaration);
      let superArgs = false;
      if (ctor?.body)
        ctor.body.forEachChild(function visit(n): void {
          if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.SuperKeyword && n.arguments.length)
            superArgs = true;
          else n.forEachChild(visit);
        });
      if (superArgs) return undefined;
    }
    const variable = prismaDatasourceVariable(this.deps.root);
    const deployed = variable ? deployedLogins(variable) : undefined;
    return variable && deployed ? { kind: 'environment', at: param, variable, deployed } : undefined;
  }

  /** What a DI container passes to a constructor parameter typed as a library's pool: that pool. */
  injected(binding: ParamBinding): Handle | undefined {
    const typed = typeOfParam(this.deps, binding.decl);
    if (!typed || typed.exec !== 'pool') return undefined;
    const cls = binding.fn.parent;
    const owner = cls && ts.isClassLike(cls) && cls.name ? cls.name.text : 'its class';
    const login = typed.adapter.api === 'prisma' ? this.prismaLogin(binding.decl) : undefined;
    return {
      kind: 'executor',
      exec: 'pool',
      adapter: typed.adapter,
      key: binding.decl,
      ...(login ? { login } : {}),
      label:
        `\`${binding.name}\`, the ${typed.adapter.api} client injected into ${owner} ` +
        "(its constructor is never called in the code, so a container passes the app's pool)",
    };
  }
}

/** PrismaClient options that name no URL of their own (no `datasources`, `datasourceUrl`, `adapter`, spread). */
function ownUrlless(args: readonly ts.Expression[]): boolean {
  return args.every((a) => {
    const e = skipOuter(a);
    return ts.isObjectLiteralExpression(e) && e.properties.every((p) =>
      !ts.isSpreadAssignment(p) && !!p.name && ts.isIdentifier(p.name) &&
      !['datasources', 'datasourceUrl', 'adapter'].includes(p.name.text));
  });
}

/** A query component's hook of a Prisma extension: `$allOperations(…) { … }` or `$allOperations: (…) => …`. */
function isQueryHook(n: ts.Node): boolean {
  return (
    (ts.isMethodDeclaration(n) || ts.isPropertyAssignment(n)) &&
    ts.isIdentifier(n.name) &&
    n.name.text === '$allOperations'
  );
}

/**
 * The login of a connection that applies the migrations itself (`migrationsRun: true` at `at`): the role that runs
 * them, whatever variable names it. A constant login role keeps its own reading.
 */
export function withMigrator(login: LoginRole | undefined, at: ts.Node): LoginRole | undefined {
  if (!login) return { kind: 'environment', at, migrator: at };
  return login.kind === 'environment' ? { ...login, migrator: at } : login;
}

/** A TypeORM client a NestJS container injects, on a connection whose module options run the migrations (nest-di). */
export function injectedMigrator(
  handle: Handle | undefined,
  migrationsRun: () => ts.Node | undefined,
): Handle | undefined {
  if (!handle || handle.kind !== 'executor' || handle.adapter.api !== 'typeorm') return handle;
  // Asked only for a TypeORM client: reading the container makes the result depend on every file.
  const at = migrationsRun();
  if (!at) return handle;
  const login = withMigrator(handle.login, at);
  return login ? { ...handle, login } : handle;
}
