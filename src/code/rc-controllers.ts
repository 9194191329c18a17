import path from 'node:path';
import ts from '../ts.js';
import type { OriginResolver } from './origins.js';
import { skipOuter } from '../syntax/wrappers.js';

// routing-controllers (typestack) read from the code: `@JsonController(prefix)` / `@Controller(prefix)` classes, their
// `@Get/@Post/…` methods, `@UseBefore(…)` middleware on a class or a method, and the options of
// `useExpressServer(app, { routePrefix, controllers, middlewares })` / `createExpressServer({ … })`. Every decorator
// and function is recognised by its import from 'routing-controllers', never by its name alone. The roots these make
// are in analysis/roots/routing-controllers.ts.

export const RC = 'routing-controllers';

/** The method decorators: `@Get(path)` registers GET, …; `@Method(verb, path)` names its verb. */
const VERBS = ['Get', 'Post', 'Put', 'Patch', 'Delete', 'Head', 'All', 'Method'];

/** The call of a routing-controllers decorator named `name` on a node, if it has one. */
export function rcDecorator(node: ts.Node, name: string, origins: OriginResolver): ts.CallExpression | undefined {
  if (!ts.canHaveDecorators(node)) return undefined;
  for (const d of ts.getDecorators(node) ?? []) {
    const e = skipOuter(d.expression);
    if (!ts.isCallExpression(e)) continue;
    const o = origins.expr(e.expression);
    if (o.kind === 'external' && o.module === RC && o.path.length === 1 && o.path[0] === name) return e;
  }
  return undefined;
}

/** Every `@UseBefore(a, b)` argument on a node, in order (several decorators: top to bottom). */
export function useBefore(node: ts.Node, origins: OriginResolver): ts.Expression[] {
  if (!ts.canHaveDecorators(node)) return [];
  const out: ts.Expression[] = [];
  for (const d of ts.getDecorators(node) ?? []) {
    const e = skipOuter(d.expression);
    if (!ts.isCallExpression(e)) continue;
    const o = origins.expr(e.expression);
    if (o.kind === 'external' && o.module === RC && o.path.length === 1 && o.path[0] === 'UseBefore')
      out.push(...e.arguments);
  }
  return out;
}

/** A controller class: its route prefix (`@JsonController('/bookings')`, '' when none). */
export function controllerPrefix(cls: ts.ClassLikeDeclaration, origins: OriginResolver): string | undefined {
  const d = rcDecorator(cls, 'JsonController', origins) ?? rcDecorator(cls, 'Controller', origins);
  if (!d) return undefined;
  return literal(d.arguments[0]) ?? '';
}

export interface RcAction {
  method: ts.MethodDeclaration;
  /** `POST`, `GET`, …. */
  verb: string;
  path: string;
}

/** The action methods of a controller class: each method decorated `@Get(path)`, `@Post(path)`, …. */
export function controllerActions(cls: ts.ClassLikeDeclaration, origins: OriginResolver): RcAction[] {
  const out: RcAction[] = [];
  for (const m of cls.members) {
    if (!ts.isMethodDeclaration(m) || !m.body) continue;
    for (const name of VERBS) {
      const d = rcDecorator(m, name, origins);
      if (!d) continue;
      // `@Method('post', '/x')` names its verb first.
      const pathArg = name === 'Method' ? d.arguments[1] : d.arguments[0];
      const v = (name === 'Method' ? (literal(d.arguments[0]) ?? 'METHOD') : name).toUpperCase();
      out.push({ method: m, verb: v, path: literal(pathArg) ?? '' });
      break;
    }
  }
  return out;
}

/** `@Middleware({ type: 'after' })`: a global middleware that runs after the action (it enters nothing before it). */
export function runsAfter(cls: ts.ClassLikeDeclaration, origins: OriginResolver): boolean {
  const d = rcDecorator(cls, 'Middleware', origins);
  const opts = d?.arguments[0] && skipOuter(d.arguments[0]);
  if (!opts || !ts.isObjectLiteralExpression(opts)) return false;
  for (const p of opts.properties)
    if (ts.isPropertyAssignment(p) && p.name.getText() === 'type') return literal(p.initializer) === 'after';
  return false;
}

/** What a `useExpressServer(app, options)` or `createExpressServer(options)` call is given. */
export interface RcServer {
  call: ts.CallExpression;
  /** The Express app it registers on (`useExpressServer`'s first argument); none for `createExpressServer`. */
  app: ts.Expression | undefined;
  options: ts.ObjectLiteralExpression | undefined;
}

/** A call of routing-controllers' `useExpressServer` or `createExpressServer`. */
export function rcServerCall(call: ts.CallExpression, origins: OriginResolver): RcServer | undefined {
  const o = origins.expr(call.expression);
  if (o.kind !== 'external' || o.module !== RC || o.path.length !== 1) return undefined;
  const name = o.path[0];
  if (name !== 'useExpressServer' && name !== 'createExpressServer') return undefined;
  const app = name === 'useExpressServer' ? call.arguments[0] : undefined;
  const given = name === 'useExpressServer' ? call.arguments[1] : call.arguments[0];
  return { call, app, options: given && objectOf(given, origins) };
}

/** An options object, inline or through a const (`export const routingControllersOptions = { … }`). */
function objectOf(expr: ts.Expression, origins: OriginResolver): ts.ObjectLiteralExpression | undefined {
  const e = skipOuter(expr);
  if (ts.isObjectLiteralExpression(e)) return e;
  const o = origins.expr(e);
  const made = o.kind === 'expr' ? skipOuter(o.expr) : undefined;
  return made && ts.isObjectLiteralExpression(made) ? made : undefined;
}

/** A property of the options object, by name. */
export function optionOf(options: ts.ObjectLiteralExpression | undefined, name: string): ts.Expression | undefined {
  for (const p of options?.properties ?? []) {
    if (!p.name || p.name.getText() !== name) continue;
    if (ts.isPropertyAssignment(p)) return p.initializer;
    if (ts.isShorthandPropertyAssignment(p)) return p.name;
  }
  return undefined;
}

/**
 * A `controllers`/`middlewares` entry given as a file glob: `path.join(__dirname, 'modules/**\/*.controller.{ts,js}')`,
 * `` `${__dirname}/controllers/*.ts` `` or a literal path relative to the process's directory (taken as the file's,
 * the only directory the code shows). The absolute glob, or undefined when it cannot be folded.
 */
export function globOf(expr: ts.Expression, origins: OriginResolver): string | undefined {
  const e = skipOuter(expr);
  const dir = path.dirname(e.getSourceFile().fileName);
  const text = literal(e);
  if (text !== undefined) return path.isAbsolute(text) ? text : path.join(dir, text);
  if (ts.isTemplateExpression(e) && e.templateSpans.length === 1 && isDirname(e.templateSpans[0]!.expression))
    return path.join(dir, e.head.text + e.templateSpans[0]!.literal.text);
  if (ts.isCallExpression(e) && e.arguments.length >= 2) {
    const o = origins.expr(e.expression);
    const joins = o.kind === 'external' && /^(node:)?path$/.test(o.module) && ['join', 'resolve'].includes(o.path[0]!);
    if (!joins || !isDirname(e.arguments[0]!)) return undefined;
    const parts = e.arguments.slice(1).map((a) => literal(a));
    if (parts.some((p) => p === undefined)) return undefined;
    return path.join(dir, ...(parts as string[]));
  }
  return undefined;
}

function isDirname(e: ts.Expression): boolean {
  const x = skipOuter(e);
  return ts.isIdentifier(x) && x.text === '__dirname';
}

/** Whether a file's path matches a glob of `*`, `**`, `?` and `{a,b}` (the forms routing-controllers' globs use). */
export function matchesGlob(file: string, glob: string): boolean {
  let re = globs.get(glob);
  if (re === undefined) globs.set(glob, (re = globPattern(glob)));
  return !!re && re.test(file.split(path.sep).join('/'));
}

/** Globs compiled once: a server's glob is matched against every decorated class of the program. */
const globs = new Map<string, RegExp | null>();

/** The regular expression of a glob; null for one it cannot read (an unclosed brace). */
export function globPattern(glob: string): RegExp | null {
  const pieces: string[] = [];
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      // `**/` matches any number of directories, none included.
      addWildcard(pieces, glob[i + 2] === '/' ? ANY_DIRS : ANY);
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') addWildcard(pieces, IN_SEGMENT);
    else if (c === '?') pieces.push('[^/]');
    else if (c === '{') {
      const end = glob.indexOf('}', i);
      if (end < 0) return null;
      pieces.push(`(?:${glob.slice(i + 1, end).split(',').map(escape).join('|')})`);
      i = end;
    } else pieces.push(escape(c));
  }
  return new RegExp(`^${pieces.join('')}$`);
}

const ANY = '.*';
const ANY_DIRS = '(?:.*/)?';
const IN_SEGMENT = '[^/]*';
const WILDCARDS = new Set([ANY, ANY_DIRS, IN_SEGMENT]);

/**
 * Adds a wildcard, merged with the one before it when either matches anything: `.*` next to another wildcard matches
 * the same paths as `.*` alone (each of them matches the empty string and nothing `.*` does not). A run of stars, as in
 * a masked number a file holds ('******3456', read as a glob by the project index: glob-edges.ts), made `.*.*.*`,
 * whose backtracking tried every split of a path three ways: about 1 s of CPU per process matching one such literal
 * against signacare's 3,371 files (performance.md, lint34).
 */
function addWildcard(pieces: string[], wildcard: string): void {
  const last = pieces[pieces.length - 1];
  if (last !== undefined && WILDCARDS.has(last) && (last === ANY || wildcard === ANY)) pieces[pieces.length - 1] = ANY;
  else pieces.push(wildcard);
}

function escape(s: string): string {
  return s.replace(/[.+^$()|[\]\\]/g, '\\$&');
}

function literal(e: ts.Expression | undefined): string | undefined {
  const x = e && skipOuter(e);
  return x && (ts.isStringLiteral(x) || ts.isNoSubstitutionTemplateLiteral(x)) ? x.text : undefined;
}

/** Route paths joined as routing-controllers does: '/api' + '/bookings' + '/:id'. */
export function joinRoute(...parts: string[]): string {
  const kept = parts.map((x) => x.replace(/^\/+|\/+$/g, '')).filter(Boolean);
  return `/${kept.join('/')}`;
}
