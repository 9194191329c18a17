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
  /** Index of `next` (the CallHandler) for an interceptor; -1 for a guard. */
  nextIndex: number;
}

export interface NestRoute {
  fn: ts.MethodDeclaration;
  what: string;
  chain: NestStep[];
}

export class NestRoutes {
  private readonly globalGuards: NestStep[] = [];
  private readonly globalInterceptors: NestStep[] = [];
  /** The codebase's passport strategies by the name they register under. */
  private readonly strategies = new Map<string, ts.ClassDeclaration>();

  constructor(private readonly origins: OriginResolver) {}

  /** `app.useGlobalGuards(new AuthGuard())`, `app.useGlobalInterceptors(new TenantInterceptor())`. */
  global(call: ts.CallExpression): void {
    const callee = skipOuter(call.expression);
    if (!ts.isPropertyAccessExpression(callee)) return;
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
    return { expr: e, name, fn, nextIndex: method === 'intercept' ? 1 : -1 };
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
