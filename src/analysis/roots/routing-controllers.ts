import ts from '../../ts.js';
import type { OriginResolver } from '../../code/origins.js';
import { skipOuter } from '../../syntax/wrappers.js';
import {
  controllerActions,
  controllerPrefix,
  globOf,
  joinRoute,
  matchesGlob,
  optionOf,
  type RcServer,
  runsAfter,
  useBefore,
} from '../../code/rc-controllers.js';
import type { Middleware } from './entry-points.js';

// routing-controllers entry points: each action of a controller that `useExpressServer(app, options)` (or
// `createExpressServer(options)`) registers is a route, run behind the app's middleware registered before that call,
// then the options' global `middlewares` (those `@Middleware({ type: 'before' })`, or not decorated), then the
// class's `@UseBefore(…)`, then the method's. A class middleware runs its `use(req, res, next)`; a function is an
// Express middleware. Interceptors and `after` middleware run after the action and enter nothing before it.

/** A route of a routing-controllers controller, with the middleware routing-controllers runs before it. */
export interface RcRoute {
  fn: ts.MethodDeclaration;
  what: string;
  /** Its path, the options' `routePrefix` included. */
  path: string;
  /** The options' global middleware, the class's `@UseBefore`, the method's: outermost first. */
  chain: Middleware[];
}

/** An entry of `controllers` or `middlewares`: a class of the codebase, or another value (a function middleware). */
type Given = { kind: 'class'; cls: ts.ClassDeclaration; expr: ts.Expression } | { kind: 'value'; expr: ts.Expression };

export class RcRoutes {
  constructor(
    private readonly origins: OriginResolver,
    /** A function middleware as the Express walk reads it (entry-points.ts `middleware`). */
    private readonly asFunction: (e: ts.Expression) => Middleware,
  ) {}

  /**
   * The routes a server call registers. `classes`: the program's decorated classes, for `controllers` given as globs.
   * Undefined when the options cannot be read (their routes then stay whatever else explains them: fail closed).
   */
  routes(server: RcServer, classes: readonly ts.ClassDeclaration[]): RcRoute[] | undefined {
    const options = server.options;
    if (!options) return undefined;
    const prefix = literalText(optionOf(options, 'routePrefix')) ?? '';
    const controllers = this.controllers(optionOf(options, 'controllers'), classes);
    const given = optionOf(options, 'middlewares');
    const globals = given ? this.classesOrValues(given, classes) : [];
    const before = globals.flatMap((m) => {
      if (m.kind === 'class') return runsAfter(m.cls, this.origins) ? [] : [this.classMiddleware(m.cls, m.expr)];
      return [this.asFunction(m.expr)];
    });
    const out: RcRoute[] = [];
    for (const cls of controllers) {
      const base = controllerPrefix(cls, this.origins);
      if (base === undefined) continue;
      const onClass = this.middlewareOf(useBefore(cls, this.origins));
      for (const action of controllerActions(cls, this.origins)) {
        const route = joinRoute(prefix, base, action.path);
        const name = `${cls.name?.text ?? 'controller'}.${action.method.name.getText()}`;
        out.push({
          fn: action.method,
          what: `routing-controllers route ${action.verb} ${route}, ${name}`,
          path: route,
          chain: [...before, ...onClass, ...this.middlewareOf(useBefore(action.method, this.origins))],
        });
      }
    }
    return out;
  }

  /** The controller classes of `controllers`: classes by name, and every decorated class of a file a glob matches. */
  private controllers(
    given: ts.Expression | undefined,
    classes: readonly ts.ClassDeclaration[],
  ): ts.ClassDeclaration[] {
    if (!given) return [];
    return this.classesOrValues(given, classes).flatMap((m) => (m.kind === 'class' ? [m.cls] : []));
  }

  private classesOrValues(
    given: ts.Expression,
    classes: readonly ts.ClassDeclaration[],
  ): Given[] {
    const out: Given[] = [];
    for (const e of this.elements(given)) {
      const o = this.origins.expr(e);
      if (o.kind === 'class' && ts.isClassDeclaration(o.decl)) {
        out.push({ kind: 'class', cls: o.decl, expr: e });
        continue;
      }
      const glob = globOf(e, this.origins);
      if (glob !== undefined) {
        for (const cls of classes)
          if (matchesGlob(cls.getSourceFile().fileName, glob)) out.push({ kind: 'class', cls, expr: e });
        continue;
      }
      out.push({ kind: 'value', expr: e });
    }
    return out;
  }

  /** The elements of an array literal (inline or a const); any other value is one element. */
  private elements(given: ts.Expression): ts.Expression[] {
    let e = skipOuter(given);
    if (!ts.isArrayLiteralExpression(e)) {
      const o = this.origins.expr(e);
      if (o.kind === 'expr' && ts.isArrayLiteralExpression(skipOuter(o.expr))) e = skipOuter(o.expr);
    }
    if (!ts.isArrayLiteralExpression(e)) return [given];
    return e.elements.flatMap((x) => (ts.isSpreadElement(x) ? this.elements(x.expression) : [x]));
  }

  /** `@UseBefore` arguments: classes run their `use`, functions are Express middleware. */
  private middlewareOf(args: readonly ts.Expression[]): Middleware[] {
    return args.map((a) => {
      const o = this.origins.expr(a);
      if (o.kind === 'class' && ts.isClassDeclaration(o.decl)) return this.classMiddleware(o.decl, a);
      return this.asFunction(a);
    });
  }

  /** A class middleware (`implements ExpressMiddlewareInterface`): its `use(req, res, next)` method. */
  private classMiddleware(cls: ts.ClassDeclaration, expr: ts.Expression): Middleware {
    const use = cls.members.find(
      (m): m is ts.MethodDeclaration =>
        ts.isMethodDeclaration(m) && m.name.getText() === 'use' && !!m.body,
    );
    return {
      expr,
      nextIndex: 2,
      name: cls.name?.text ?? 'middleware',
      // A class with no `use` of its own (one that extends a package's) cannot be followed: it enters nothing.
      external: !use,
      wrapped: [],
      ...(use ? { fn: use } : {}),
    };
  }
}

function literalText(e: ts.Expression | undefined): string | undefined {
  const x = e && skipOuter(e);
  return x && (ts.isStringLiteral(x) || ts.isNoSubstitutionTemplateLiteral(x)) ? x.text : undefined;
}
