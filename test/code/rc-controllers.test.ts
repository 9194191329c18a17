import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { OriginResolver } from '../../src/code/origins.js';
import { FileSystemSourceHost } from '../../src/code/source-host.js';
import { parseSource } from '../../src/files/source.js';
import {
  controllerActions,
  controllerPrefix,
  globOf,
  matchesGlob,
  optionOf,
  rcServerCall,
  runsAfter,
  useBefore,
} from '../../src/code/rc-controllers.js';
import { RcRoutes } from '../../src/analysis/roots/routing-controllers.js';
import type { Middleware } from '../../src/analysis/roots/entry-points.js';

// routing-controllers read from the code: controllers, their actions, `@UseBefore`, the server's options (controllers
// by class or by glob, global middleware), every decorator by its import from 'routing-controllers'.

const SERVER = `
import path from 'node:path';
import express from 'express';
import { Controller, Get, JsonController, Method, Middleware, Post, UseBefore, useExpressServer } from 'routing-controllers';
import { Get as NotRc } from './decorators';

function audit(req, res, next) { next(); }

@Middleware({ type: 'before' })
class Tenant { use(req, res, next) { next(); } }

@Middleware({ type: 'after' })
class Finish { use(req, res, next) { next(); } }

@JsonController('/bookings')
@UseBefore(audit)
export class Bookings {
  @Post('/:id/cancel') @UseBefore(Tenant) cancel() {}
  @Get() list() {}
  @NotRc('/x') decoy() {}
  @Method('patch', '/:id') patch() {}
  helper() {}
}

@Controller()
export class Root { @Get('/ping') ping() {} }

const options = {
  routePrefix: '/api/v1',
  controllers: [Bookings, path.join(__dirname, 'modules/**/*.controller.{ts,js}')],
  middlewares: [Tenant, Finish],
};
const app = express();
useExpressServer(app, options);
`;

function parsed() {
  const sf = parseSource('/virtual/src/server.ts', SERVER);
  const origins = new OriginResolver(new FileSystemSourceHost([sf]));
  const classes = sf.statements.filter(ts.isClassDeclaration);
  const byName = (n: string) => classes.find((c) => c.name?.text === n)!;
  const call = sf.statements
    .filter(ts.isExpressionStatement)
    .map((s) => s.expression)
    .find((e): e is ts.CallExpression => ts.isCallExpression(e))!;
  return { sf, origins, classes, byName, call };
}

describe('routing-controllers, read from the code', () => {
  it('reads a controller prefix, its actions and their verbs, by the decorators imported from routing-controllers', () => {
    const { origins, byName } = parsed();
    expect(controllerPrefix(byName('Bookings'), origins)).toBe('/bookings');
    expect(controllerPrefix(byName('Root'), origins)).toBe('');
    expect(controllerPrefix(byName('Tenant'), origins)).toBeUndefined();
    const actions = controllerActions(byName('Bookings'), origins).map((a) => `${a.verb} ${a.path} ${a.method.name.getText()}`);
    // `@NotRc` is a `Get` of another module: not an action; `helper` has no decorator.
    expect(actions).toEqual(['POST /:id/cancel cancel', 'GET  list', 'PATCH /:id patch']);
  });

  it('reads @UseBefore on a class and a method, and which global middleware runs after the action', () => {
    const { origins, byName } = parsed();
    expect(useBefore(byName('Bookings'), origins).map((e) => e.getText())).toEqual(['audit']);
    const cancel = controllerActions(byName('Bookings'), origins)[0]!.method;
    expect(useBefore(cancel, origins).map((e) => e.getText())).toEqual(['Tenant']);
    expect(runsAfter(byName('Finish'), origins)).toBe(true);
    expect(runsAfter(byName('Tenant'), origins)).toBe(false);
  });

  it('reads the server call, its options through a const, and folds a controllers glob against __dirname', () => {
    const { origins, call } = parsed();
    const server = rcServerCall(call, origins)!;
    expect(server.app?.getText()).toBe('app');
    const controllers = optionOf(server.options, 'controllers')!;
    const glob = globOf((controllers as ts.ArrayLiteralExpression).elements[1]!, origins)!;
    expect(glob).toBe('/virtual/src/modules/**/*.controller.{ts,js}');
    expect(matchesGlob('/virtual/src/modules/booking/booking.controller.ts', glob)).toBe(true);
    expect(matchesGlob('/virtual/src/modules/booking.controller.js', glob)).toBe(true);
    expect(matchesGlob('/virtual/src/modules/booking/booking.service.ts', glob)).toBe(false);
    expect(matchesGlob('/virtual/src/other/booking.controller.ts', glob)).toBe(false);
  });

  it('makes each action a route behind the global before-middleware, the class\'s @UseBefore, then the method\'s', () => {
    const { origins, call, classes } = parsed();
    const fn = (e: ts.Expression): Middleware => ({ expr: e, nextIndex: 2, name: e.getText(), external: false, wrapped: [] });
    const routes = new RcRoutes(origins, fn).routes(rcServerCall(call, origins)!, classes)!;
    const shown = routes.map((r) => `${r.what} [${r.chain.map((m) => m.name).join(', ')}]`);
    expect(shown).toEqual([
      'routing-controllers route POST /api/v1/bookings/:id/cancel, Bookings.cancel [Tenant, audit, Tenant]',
      'routing-controllers route GET /api/v1/bookings, Bookings.list [Tenant, audit]',
      'routing-controllers route PATCH /api/v1/bookings/:id, Bookings.patch [Tenant, audit]',
    ]);
    // A class middleware runs its own `use(req, res, next)`.
    expect(routes[0]!.chain[0]!.fn?.name?.getText()).toBe('use');
  });
});
