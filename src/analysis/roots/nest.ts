import fs from 'node:fs';
import path from 'node:path';
import ts from '../../ts.js';
import type { OriginResolver } from '../../code/origins.js';
import { skipOuter } from '../../syntax/wrappers.js';

// NestJS entry points: the route methods of `@Controller` classes, and the guards and
// interceptors each runs behind (global `app.useGlobalGuards/useGlobalInterceptors` or an `APP_GUARD` /
// `APP_INTERCEPTOR` provider, then the
// class's `@UseGuards/@UseInterceptors`, then the method's; guards before interceptors). An
// interceptor's `intercept(context, next)` continues with `next.handle()`; a guard's
// `canActivate` has no continuation, only what it entered before returning. Recognised by
// the decorators' provenance ('@nestjs/common'), never by a class's name.
// A passport guard (`class JwtGuard extends AuthGuard('jwt') {}`, or `@UseGuards(AuthGuard('jwt'))`,
// from '@nestjs/passport') that does not override `canActivate` runs the `validate()` of the
// codebase's strategy of that name (`class JwtStrategy extends PassportStrategy(Strategy)`, named
// by its second argument or its passport package's default): that is what the guard enters.

const NEST = '@nestjs/common';
const PASSPORT = '@nestjs/passport';
/** The name a passport strategy registers under when `PassportStrategy(Strategy)` gives none. */
const DEFAULT_STRATEGY_NAMES: Record<string, string> = {
  'passport-jwt': 'jwt',
  'passport-local': 'local',
  'passport-http-bearer': 'bearer',
  'passport-headerapikey': 'headerapikey',
  'passport-custom': 'custom',
  'passport-google-oauth20': 'google',
  'passport-github2': 'github',
};
const VERBS: Record<string, string> = {
  Get: 'GET',
  Post: 'POST',
  Put: 'PUT',
  Patch: 'PATCH',
  Delete: 'DELETE',
  All: 'ALL',
  Options: 'OPTIONS',
  Head: 'HEAD',
};

export interface NestStep {
  /** The class whose method runs (`intercept` or `canActivate`). */
  expr: ts.Expression;
  name: string;
  fn: ts.MethodDeclaration | undefined;
  /** Index of `next` (the CallHandler) for an interceptor, of `next()` for a middleware; -1 for a guard. */
  nextIndex: number;
  /** A middleware whose routes cannot be read: what it enters on this route cannot be known. */
  unread?: true;
}

export interface NestRoute {
  fn: ts.MethodDeclaration;
  what: string;
  chain: NestStep[];
}

export class NestRoutes {
  private readonly globalGuards: NestStep[] = [];
  private readonly globalInterceptors: NestStep[] = [];
  /** `consumer.apply(…)` in a module's `configure(consumer)`: middleware before every guard, for the routes named. */
  private readonly middleware: Applied[] = [];
  /** The codebase's passport strategies by the name they register under. */
  private readonly strategies = new Map<string, ts.ClassDeclaration>();

  constructor(private readonly origins: OriginResolver) {}

  /** `app.useGlobalGuards(new AuthGuard())`, `app.useGlobalInterceptors(new TenantInterceptor())`. */
  global(call: ts.CallExpression): void {
    const callee = skipOuter(call.expression);
    if (!ts.isPropertyAccessExpression(callee)) return;
    if (callee.name.text === 'forRoutes') {
      const applied = consumerApply(call, this.origins);
      if (applied) this.middleware.push(applied);
      return;
    }
    if (callee.name.text === 'useGlobalGuards')
      this.globalGuards.push(...call.arguments.map((a) => this.step(a, 'canActivate')));
    if (callee.name.text === 'useGlobalInterceptors')
      this.globalInterceptors.push(...call.arguments.map((a) => this.step(a, 'intercept')));
  }

  /**
   * `{ provide: APP_GUARD, useClass: RolesGuard }`, `{ provide: APP_INTERCEPTOR, useClass: TenantInterceptor }` in a
   * module's providers: global like `useGlobalGuards/useGlobalInterceptors`, whichever module lists it (the tokens by
   * provenance from '@nestjs/core'). `useFactory`/`useExisting` name no class here and add no step.
   */
  provider(obj: ts.ObjectLiteralExpression): void {
    let token: string | undefined;
    let useClass: ts.Expression | undefined;
    for (const p of obj.properties) {
      if (!ts.isPropertyAssignment(p) || !ts.isIdentifier(p.name)) continue;
      if (p.name.text === 'provide') {
        const o = this.origins.expr(p.initializer);
        if (o.kind === 'external' && o.module === '@nestjs/core' && o.path.length === 1) token = String(o.path[0]);
      } else if (p.name.text === 'useClass') useClass = p.initializer;
    }
    if (!useClass) return;
    if (token === 'APP_GUARD') this.globalGuards.push(this.step(useClass, 'canActivate'));
    if (token === 'APP_INTERCEPTOR') this.globalInterceptors.push(this.step(useClass, 'intercept'));
  }

  /** `class JwtStrategy extends PassportStrategy(Strategy, 'jwt')`: registered under its name, for the guards. */
  strategy(cls: ts.ClassDeclaration): void {
    const base = this.heritageCall(cls, 'PassportStrategy');
    if (!base) return;
    const named = base.arguments[1] && literalOf(base.arguments[1]);
    const strategy = base.arguments[0] && this.origins.expr(base.arguments[0]);
    const name = named ?? (strategy?.kind === 'external' ? DEFAULT_STRATEGY_NAMES[strategy.module] : undefined);
    if (name !== undefined && !this.strategies.has(name)) this.strategies.set(name, cls);
  }

  /** The routes of a `@Controller` class. */
  routes(cls: ts.ClassDeclaration): NestRoute[] {
    const controller = this.decorator(cls, 'Controller');
    if (!controller) return [];
    const base = literalArg(controller) ?? '';
    const name = cls.name?.text ?? 'controller';
    const out: NestRoute[] = [];
    for (const m of cls.members) {
      if (!ts.isMethodDeclaration(m) || !m.body) continue;
      const verb = Object.keys(VERBS).map((v) => [v, this.decorator(m, v)] as const).find(([, d]) => d);
      if (!verb) continue;
      const path = join(base, literalArg(verb[1]!) ?? '');
      const method = ts.isIdentifier(m.name) ? m.name.text : '?';
      const chain = [
        ...this.middleware.flatMap((a) => a.steps(cls, path, (e) => this.step(e, 'use'))),
        ...this.globalGuards,
        ...this.uses(cls, 'UseGuards', 'canActivate'),
        ...this.uses(m, 'UseGuards', 'canActivate'),
        ...this.globalInterceptors,
        ...this.uses(cls, 'UseInterceptors', 'intercept'),
        ...this.uses(m, 'UseInterceptors', 'intercept'),
      ];
      out.push({ fn: m, what: `NestJS route ${VERBS[verb[0]]} ${path}, ${name}.${method}`, chain });
    }
    return out;
  }

  private uses(node: ts.HasDecorators, decorator: string, method: string): NestStep[] {
    const d = this.decorator(node, decorator);
    return d ? d.arguments.map((a) => this.step(a, method)) : [];
  }

  private step(arg: ts.Expression, method: string): NestStep {
    const e = skipOuter(arg);
    const origin = this.origins.expr(ts.isNewExpression(e) ? e.expression : e);
    const cls = origin.kind === 'class' && ts.isClassDeclaration(origin.decl) ? origin.decl : undefined;
    const fn = cls && methodOf(cls, method);
    const name = cls?.name?.text ?? e.getText().slice(0, 30);
    if (!fn && method === 'canActivate') {
      // A passport guard: what runs is its strategy's validate().
      const guard = cls
        ? this.heritageCall(cls, 'AuthGuard')
        : ts.isCallExpression(e)
          ? this.passportCall(e, 'AuthGuard')
          : undefined;
      const strategyName = guard?.arguments[0] && literalOf(guard.arguments[0]);
      const strategy = strategyName !== undefined ? this.strategies.get(strategyName) : undefined;
      const validate = strategy && methodOf(strategy, 'validate');
      if (validate)
        return {
          expr: e,
          name: `${name} → ${strategy.name?.text ?? strategyName}.validate`,
          fn: validate,
          nextIndex: -1,
        };
    }
    // A functional middleware (`consumer.apply(logger)`) is the function itself.
    if (method === 'use' && !cls && origin.kind === 'function')
      return { expr: e, name: e.getText().slice(0, 30), fn: origin.decl as ts.MethodDeclaration, nextIndex: 2 };
    const nextIndex = method === 'intercept' ? 1 : method === 'use' ? 2 : -1;
    return { expr: e, name, fn, nextIndex };
  }

  /** `extends X(…)` where X is '@nestjs/passport''s export `name`. */
  private heritageCall(cls: ts.ClassDeclaration, name: string): ts.CallExpression | undefined {
    for (const h of cls.heritageClauses ?? []) {
      if (h.token !== ts.SyntaxKind.ExtendsKeyword) continue;
      const e = h.types[0] && skipOuter(h.types[0].expression);
      if (e && ts.isCallExpression(e)) return this.passportCall(e, name);
    }
    return undefined;
  }

  private passportCall(call: ts.CallExpression, name: string): ts.CallExpression | undefined {
    const o = this.origins.expr(call.expression);
    const hit = o.kind === 'external' && o.module === PASSPORT && o.path.length === 1 && o.path[0] === name;
    return hit ? call : undefined;
  }

  /** The call of a '@nestjs/common' decorator on a node, by what it is imported as. */
  private decorator(node: ts.HasDecorators, name: string): ts.CallExpression | undefined {
    for (const d of ts.getDecorators(node) ?? []) {
      const e = skipOuter(d.expression);
      if (!ts.isCallExpression(e)) continue;
      const o = this.origins.expr(e.expression);
      if (o.kind === 'external' && o.module === NEST && o.path.length === 1 && o.path[0] === name) return e;
    }
    return undefined;
  }
}

/** One `consumer.apply(A, B).exclude(…).forRoutes(…)`: the middleware steps each route runs first. */
interface Applied {
  steps(controller: ts.ClassDeclaration, path: string, step: (e: ts.Expression) => NestStep): NestStep[];
}

/**
 * `consumer.apply(A, B).exclude('/', …).forRoutes('*')` on the parameter of a module's `configure(consumer)`: A then
 * B run before the guards of every route `forRoutes` names (a path, `*`-suffixed for a prefix, or a controller class)
 * and `exclude` leaves out. A route argument this cannot read (a `{ path, method }` object with no literal path, a
 * variable) applies the middleware to every route as a step that cannot be followed (fail closed).
 */
function consumerApply(call: ts.CallExpression, origins: OriginResolver): Applied | undefined {
  const excluded: string[] = [];
  let unread = false;
  let e: ts.Expression = skipOuter(call.expression);
  let apply: ts.CallExpression | undefined;
  while (ts.isPropertyAccessExpression(e) && ts.isCallExpression(skipOuter(e.expression))) {
    const inner = skipOuter(e.expression) as ts.CallExpression;
    const ic = skipOuter(inner.expression);
    if (!ts.isPropertyAccessExpression(ic)) return undefined;
    if (ic.name.text === 'exclude')
      for (const a of inner.arguments) {
        const p = routePath(a);
        if (p === undefined) unread = true;
        else excluded.push(p);
      }
    else if (ic.name.text === 'apply') {
      apply = inner;
      break;
    }
    e = ic;
  }
  if (!apply) return undefined;
  const consumer = origins.expr((skipOuter(apply.expression) as ts.PropertyAccessExpression).expression);
  const fn = consumer.kind === 'param' && consumer.path.length === 0 ? consumer.binding.fn : undefined;
  if (!fn || !ts.isMethodDeclaration(fn) || !ts.isIdentifier(fn.name) || fn.name.text !== 'configure') return undefined;
  const targets = call.arguments.map((a) => {
    const o = origins.expr(a);
    if (o.kind === 'class') return { cls: o.decl };
    const p = routePath(a);
    return p === undefined ? { unread: true } : { path: p };
  });
  const matches = (pattern: string, path: string): boolean =>
    pattern === '' || pattern === '*' || pattern === '(.*)' || pattern === '*path' || pattern === path ||
    (/(\*|\(\.\*\)|\*path)$/.test(pattern) && path.startsWith(pattern.replace(/\/?(\*|\(\.\*\)|\*path)$/, '')));
  const home = packageDir(call.getSourceFile().fileName);
  return {
    steps(controller, path, step) {
      // A module configures its own app: a workspace's other packages (another app's AdminAuthMiddleware) are not it.
      if (packageDir(controller.getSourceFile().fileName) !== home) return [];
      const route = path.replace(/^\/+/, '');
      const hit = targets.some((t) => ('cls' in t && t.cls === controller) || ('path' in t && matches(t.path!, route)));
      const unknown = unread || targets.some((t) => 'unread' in t);
      if (!hit && !unknown) return [];
      // Left out by a path it may name (a method-specific exclusion too): the route without it is the worse reading.
      if (excluded.some((x) => x === route || (x !== '' && matches(x, route)))) return [];
      if (!hit || unread)
        return [{ expr: call, name: 'consumer.apply(…), whose routes cannot be read,', fn: undefined, nextIndex: -1,
          unread: true }];
      return apply!.arguments.map(step);
    },
  };
}

const packageDirs = new Map<string, string>();

/** The folder of the nearest package.json above a file (its own folder when there is none), remembered per folder. */
function packageDir(fileName: string): string {
  const start = path.dirname(fileName);
  const known = packageDirs.get(start);
  if (known !== undefined) return known;
  let dir = start;
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  const found = fs.existsSync(path.join(dir, 'package.json')) ? dir : start;
  packageDirs.set(start, found);
  return found;
}

/** A route of `forRoutes`/`exclude`: a string, or `{ path: string, method }`; without its leading slash. */
function routePath(a: ts.Expression): string | undefined {
  const e = skipOuter(a);
  if (ts.isObjectLiteralExpression(e)) {
    const p = e.properties.find((x) => ts.isPropertyAssignment(x) && ts.isIdentifier(x.name) && x.name.text === 'path');
    return p && ts.isPropertyAssignment(p) ? routePath(p.initializer) : undefined;
  }
  const text = literalOf(e);
  return text?.replace(/^\/+|\/+$/g, '');
}

function methodOf(cls: ts.ClassDeclaration, name: string): ts.MethodDeclaration | undefined {
  return cls.members.find(
    (m): m is ts.MethodDeclaration =>
      ts.isMethodDeclaration(m) && ts.isIdentifier(m.name) && m.name.text === name && !!m.body,
  );
}

function literalOf(e: ts.Expression): string | undefined {
  const a = skipOuter(e);
  return ts.isStringLiteral(a) || ts.isNoSubstitutionTemplateLiteral(a) ? a.text : undefined;
}

function literalArg(call: ts.CallExpression): string | undefined {
  const a = call.arguments[0] && skipOuter(call.arguments[0]);
  return a && (ts.isStringLiteral(a) || ts.isNoSubstitutionTemplateLiteral(a)) ? a.text : undefined;
}

function join(a: string, b: string): string {
  const parts = [a, b].map((x) => x.replace(/^\/+|\/+$/g, '')).filter(Boolean);
  return `/${parts.join('/')}`;
}
