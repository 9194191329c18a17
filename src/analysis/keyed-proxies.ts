import ts from '../ts.js';
import type { OriginResolver } from '../code/origins.js';
import { returnedExpressions } from '../code/own-returns.js';
import { isFunctionLike, lookup } from '../code/scope.js';
import { walkDescendants } from '../code/walk.js';
import { skipOuter } from '../syntax/wrappers.js';
import { proxyTraps } from './ambient/providers.js';

/**
 * A Proxy whose `get` trap hands out a client per key, made the first time the key is read (AgConnect's per-domain
 * pools: a framework's build imports the module without the database's URL, and each domain gets its own pool):
 *
 *   export const pools = new Proxy({} as Record<PoolName, PrismaClient>, {
 *     get(_t, prop) { if (!(prop in SIZES)) return undefined; return getPool(prop as PoolName) },
 *   });
 *   function getPool(name) { const store = (g.pools ??= {}); let client = store[name];
 *     if (!client) { client = createClient(name, SIZES[name]); store[name] = client } return client }
 *
 * Every member (`pools.shared`, `pools[name]`) is a client the one factory call makes: the cache read (`store[name]`,
 * `made.get(name)`) only gives back what the same function stored there, the local it returns. The trap's `undefined`
 * (an unknown key) is no connection: a write through it throws before any query. Anything else (two factories, a
 * cache written with another value, a return that is neither) is not this shape, and the Proxy stays untraced.
 */
export interface KeyedClient {
  /** The expression that makes each key's client: `createClient(name, SIZES[name])`, `makeRlsClient(base)`. */
  made: ts.Expression;
  /** The `get` trap. */
  trap: ts.FunctionLikeDeclaration;
  /** The functions of the codebase the trap's return goes through (`getPool`), outermost first. */
  through: ts.FunctionLikeDeclaration[];
}

export function keyedClient(created: ts.NewExpression, origins: OriginResolver): KeyedClient | undefined {
  const traps = proxyTraps(created, origins);
  const trap = traps?.length === 1 ? traps[0]! : undefined;
  if (!trap || !isGetTrap(trap)) return undefined;
  const w: Walk = { origins, through: [], made: new Set() };
  if (!collect(trap, w, 0) || w.made.size !== 1) return undefined;
  return { made: [...w.made][0]!, trap, through: w.through };
}

/** The trap is the handler's `get` (an `apply` trap calls, it does not hand out members). */
function isGetTrap(fn: ts.FunctionLikeDeclaration): boolean {
  const p = fn.parent;
  const name = ts.isMethodDeclaration(fn) ? fn.name : ts.isPropertyAssignment(p) ? p.name : undefined;
  return !!name && ts.isIdentifier(name) && name.text === 'get';
}

/** What one reading of a trap gathers: the functions its return went through, the expressions that make the value. */
interface Walk {
  origins: OriginResolver;
  through: ts.FunctionLikeDeclaration[];
  made: Set<ts.Expression>;
}

/** Adds what `fn` returns to `w.made`; false where a return is not a value this reading can follow. */
function collect(fn: ts.FunctionLikeDeclaration, w: Walk, depth: number): boolean {
  const returns = returnedExpressions(fn);
  if (!returns.length || depth > 3) return false;
  for (const r of returns) if (!value(r, fn, w, depth)) return false;
  return true;
}

function value(r: ts.Expression, fn: ts.FunctionLikeDeclaration, w: Walk, depth: number): boolean {
  const e = skipOuter(r);
  if (isNothing(e)) return true;
  // `return getPool(prop as PoolName)`: what that function of the codebase returns.
  if (ts.isCallExpression(e) && ts.isIdentifier(skipOuter(e.expression))) {
    const o = w.origins.expr(skipOuter(e.expression));
    if (o.kind === 'function' && o.decl.body && !w.through.includes(o.decl)) {
      w.through.push(o.decl);
      return collect(o.decl, w, depth + 1);
    }
  }
  // `return client`: the values of a local the function gives it, the cache's read of itself left out.
  if (ts.isIdentifier(e)) {
    const b = lookup(e);
    if (b?.kind === 'variable' && b.path.length === 0 && within(b.decl, fn)) {
      const values = localValues(b.decl, fn);
      if (!values) return false;
      for (const v of values) w.made.add(v);
      return values.length > 0;
    }
    return false;
  }
  w.made.add(e);
  return true;
}

/** `undefined`, `null`, `void 0`: a key the map does not have. */
function isNothing(e: ts.Expression): boolean {
  return (
    (ts.isIdentifier(e) && e.text === 'undefined' && !lookup(e)) ||
    e.kind === ts.SyntaxKind.NullKeyword ||
    ts.isVoidExpression(e)
  );
}

function within(n: ts.Node, fn: ts.Node): boolean {
  for (let x: ts.Node | undefined = n.parent; x; x = x.parent) {
    if (x === fn) return true;
    if (isFunctionLike(x)) return false;
  }
  return false;
}

/**
 * The values a local of `fn` is given (its initializer and each assignment), without the reads of a cache into which
 * `fn` stores nothing but this local (`let client = store[name]` … `store[name] = client`; `made.get(k)` …
 * `made.set(k, client)`). Undefined where the local is written in a nested function or a cache holds anything else.
 */
function localValues(decl: ts.VariableDeclaration, fn: ts.FunctionLikeDeclaration): ts.Expression[] | undefined {
  const given: ts.Expression[] = decl.initializer ? [decl.initializer] : [];
  const stores = new Map<ts.Node, boolean>();
  let foreign = false;
  const isLocal = (x: ts.Expression): boolean => {
    const s = skipOuter(x);
    return ts.isIdentifier(s) && lookup(s)?.decl === decl;
  };
  const cacheOf = (x: ts.Expression): ts.Node | undefined => {
    const s = skipOuter(x);
    const b = ts.isIdentifier(s) ? lookup(s) : undefined;
    return b?.kind === 'variable' || b?.kind === 'import' ? b.decl : undefined;
  };
  walkDescendants(fn.body!, (n) => {
    if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      const left = skipOuter(n.left);
      if (isLocal(left)) {
        if (!within(n, fn)) foreign = true;
        given.push(n.right);
      } else if (ts.isElementAccessExpression(left)) {
        const cache = cacheOf(left.expression);
        if (cache) stores.set(cache, (stores.get(cache) ?? true) && isLocal(n.right));
      }
    }
    // `made.set(key, client)`.
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === 'set') {
      const cache = cacheOf(n.expression.expression);
      const v = n.arguments[1];
      if (cache && n.arguments.length === 2) stores.set(cache, (stores.get(cache) ?? true) && !!v && isLocal(v));
    }
    return true;
  });
  if (foreign) return undefined;
  const out: ts.Expression[] = [];
  for (const g of given) {
    const e = skipOuter(g);
    const read = ts.isElementAccessExpression(e)
      ? e.expression
      : ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression) && e.expression.name.text === 'get'
        ? e.expression.expression
        : undefined;
    const cache = read && cacheOf(read);
    if (cache && stores.get(cache) === true) continue;
    if (cache) return undefined;
    out.push(g);
  }
  return out;
}
