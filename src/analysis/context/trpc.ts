import ts from '../../ts.js';
import type { ConnState } from '../facts.js';
import type { Handle, OpenedTransaction } from '../handles.js';
import { connectionKey } from '../connection-state.js';
import { where } from '../handles.js';
import { functionName, type Origin, type OriginResolver, shortText } from '../../code/origins.js';
import { isFunctionLike, throughLocalConsts } from '../../code/scope.js';
import { indexedNodes } from '../../code/file-nodes.js';
import { skipOuter } from '../../syntax/wrappers.js';
import { returnedExpressions } from '../../code/own-returns.js';
import { isPrimaryVariant } from './replicas.js';

// tRPC carries the connection in its request context: the context factory handed to the
// adapter (`createContext: createTRPCContext`) returns `{ db, … }`, each middleware of a
// procedure's builder chain (`t.procedure.use(mw).use(…)`) may replace it (`next({ ctx: {
// …ctx, db: tx } })`, or `ctx.db = x` before `next({ ctx })`), and the resolver passed to
// `.mutation/.query/.subscription` reads `ctx.db`. The connection a resolver's write runs on
// is therefore what the factory returned, as the middlewares of *that* procedure's chain
// left it: a procedure built without the scoping middleware gets the factory's value. Every
// step is read from the code (by provenance: `initTRPC` from '@trpc/server'); a middleware
// or factory that cannot be read leaves the write unresolved, naming it.
//
// next-safe-action's clients are the same shape without a factory: `createSafeActionClient(…)`
// starts from an empty context, `.use(mw)` / `.useValidated(mw)` steps call `next({ ctx })`
// (merged into the context, as tRPC's), and the function passed to `.action/.stateAction`
// reads `ctx.db`. So one reader serves both, told apart by where the chain starts.

/** One value the context member can hold when the resolver runs, and where it came from. */
export interface CarriedValue {
  handle: Handle;
  from: string;
  /**
   * The state the middleware's flow leaves the value's connection in at the `next(…)` call that hands it on (a
   * transaction it opened and set the org context in), relative to that transaction's start; fresh when absent.
   */
  state?: ConnState;
  /** A transaction the middleware opens on the value the chain carried into it (`ctx.db.transaction(…)`). */
  over?: { opened: OpenedTransaction; incoming: CarriedValue };
}

/** The values a context member can hold, or why they cannot be known. */
export type Carried = { values: CarriedValue[]; subject: string } | { unresolved: string; subject: string };

/** What tells one framework's chains apart: the calls that end them, the steps that leave the context alone. */
interface Framework {
  label: string;
  resolvers: ReadonlySet<string>;
  middlewareSteps: ReadonlySet<string>;
  passThrough: ReadonlySet<string>;
}

const TRPC: Framework = {
  label: 'tRPC',
  resolvers: new Set(['query', 'mutation', 'subscription']),
  middlewareSteps: new Set(['use']),
  passThrough: new Set(['input', 'output', 'meta']),
};

const SAFE_ACTION: Framework = {
  label: 'next-safe-action',
  resolvers: new Set(['action', 'stateAction']),
  middlewareSteps: new Set(['use', 'useValidated']),
  passThrough: new Set(['inputSchema', 'outputSchema', 'schema', 'bindArgsSchemas', 'metadata']),
};

const FRAMEWORKS = [TRPC, SAFE_ACTION];
const RESOLVERS = new Set(FRAMEWORKS.flatMap((f) => [...f.resolvers]));
const MAX_CHAIN = 64;
const MAX_HELPER_DEPTH = 3;

interface Value {
  expr: ts.Expression;
  from: string;
  /** The `next(…)` call that hands the value on, where the middleware's flow kept the connections' state. */
  next?: ts.CallExpression;
  /** The value the chain carried in, on which the middleware opened the transaction `expr` (`ctx.db.transaction`). */
  over?: Value;
}

interface ContextSet {
  expr: ts.Expression;
  at: ts.Node;
  next?: ts.CallExpression;
}

type Effect = { passes: boolean; sets: ContextSet[] } | { unresolved: string };

export class TrpcContexts {
  private factoryList?: ts.FunctionLikeDeclaration[];
  private readonly effects = new Map<string, Effect>();
  private fileSet?: Set<ts.SourceFile>;

  constructor(
    private readonly files: readonly ts.SourceFile[],
    private readonly origins: OriginResolver,
    private readonly handleOf: (e: ts.Expression) => Handle,
    private readonly root: string,
    /** The connections' states at a call of a middleware's `next` (the files' `nextCalls`), undefined where none. */
    private readonly nextStates: (call: ts.CallExpression) => ReadonlyMap<ts.Node, ConnState> | undefined = () =>
      undefined,
  ) {}

  /**
   * The connection `ctx.<member>` holds in a resolver: `fn` passed as `argIndex` of `call`,
   * its parameter `paramIndex` read at `path` (`['ctx', 'db']`). Undefined when the call is not
   * a tRPC procedure's resolver.
   */
  resolverMember(
    call: ts.CallExpression,
    argIndex: number,
    paramIndex: number,
    path: readonly (string | number)[],
  ): Carried | undefined {
    const callee = skipOuter(call.expression);
    if (!ts.isPropertyAccessExpression(callee) || !RESOLVERS.has(callee.name.text)) return undefined;
    if (argIndex !== 0 || paramIndex !== 0 || path[0] !== 'ctx') return undefined;
    const chain = this.chain(callee.expression);
    if (!chain || !chain.framework.resolvers.has(callee.name.text)) return undefined;
    const { framework } = chain;
    const at = where(call, this.root);
    const subject = `the ${framework.label} context of \`${shortText(call.expression, 40)}\` (${at})`;
    const member = path[1];
    if (typeof member !== 'string' || path.length !== 2)
      return {
        subject,
        unresolved: `the connection is \`ctx${path.slice(1).map((k) => `.${k}`).join('')}\`, ` +
          `not a member the context factory returns`,
      };
    // A next-safe-action client has no context factory: its first middleware starts from `{}`.
    let values: Value[] | string = framework === TRPC ? this.factoryValues(member) : [];
    for (const mw of chain.middlewares) {
      if (typeof values === 'string') break;
      values = this.apply(mw, member, values, framework);
    }
    if (typeof values === 'string') return { subject, unresolved: values };
    // One value reaching the resolver by several middlewares' paths is judged once.
    const distinct = values.filter((v, i, all) => all.findIndex((w) => sameValue(w, v)) === i);
    return { subject, values: distinct.map((v) => this.carriedValue(v)) };
  }

  /** A value as judged: its connection, the state a middleware's `next` hands it on in, what it was opened on. */
  private carriedValue(v: Value): CarriedValue {
    const handle = this.handleOf(v.expr);
    const key = connectionKey(handle);
    // A middleware in a file this analysis did not run the flow of (an editor's analysis of one file): its state at
    // `next` is the project's to read.
    if (v.next && !(this.fileSet ??= new Set(this.files)).has(v.next.getSourceFile())) this.origins.facts.readProgram();
    const state = v.next && key ? this.nextStates(v.next)?.get(key) : undefined;
    const opened = handle.kind === 'param' ? handle.opened : undefined;
    return {
      handle,
      from: v.from,
      ...(state ? { state } : {}),
      ...(v.over && opened ? { over: { opened, incoming: this.carriedValue(v.over) } } : {}),
    };
  }

  /**
   * The builder chain behind a resolver: its middlewares outermost first, if it starts at a
   * tRPC instance's `procedure` or at a next-safe-action client, and every step is one of that
   * framework's.
   */
  private chain(receiver: ts.Expression): { middlewares: ts.Expression[]; framework: Framework } | undefined {
    const middlewares: ts.Expression[] = [];
    const steps: { name: string; middleware: boolean }[] = [];
    const ends = (framework: Framework) =>
      steps.every((s) => (s.middleware ? framework.middlewareSteps : framework.passThrough).has(s.name))
        ? { middlewares, framework }
        : undefined;
    let e = receiver;
    for (let n = 0; n < MAX_CHAIN; n++) {
      e = skipOuter(e);
      if (ts.isCallExpression(e) && ts.isPropertyAccessExpression(skipOuter(e.expression))) {
        const step = skipOuter(e.expression) as ts.PropertyAccessExpression;
        const name = step.name.text;
        const middleware = e.arguments.length === 1 && FRAMEWORKS.some((f) => f.middlewareSteps.has(name));
        if (middleware) middlewares.unshift(e.arguments[0]!);
        else if (!FRAMEWORKS.some((f) => f.passThrough.has(name))) return undefined;
        steps.push({ name, middleware });
        e = step.expression;
        continue;
      }
      if (ts.isPropertyAccessExpression(e) && e.name.text === 'procedure')
        return this.isInstance(e.expression) ? ends(TRPC) : undefined;
      if (ts.isCallExpression(e)) return this.isSafeActionClient(e) ? ends(SAFE_ACTION) : undefined;
      if (!ts.isIdentifier(e)) return undefined;
      const o = this.origins.expr(e);
      if (o.kind !== 'expr') return undefined;
      e = o.expr;
    }
    return undefined;
  }

  /** `initTRPC.create()`, `initTRPC.context<C>().create(…)`, `initTRPC.meta<M>().context<C>().create()`. */
  private isInstance(expr: ts.Expression): boolean {
    let e = skipOuter(expr);
    if (ts.isIdentifier(e)) {
      const o = this.origins.expr(e);
      if (o.kind !== 'expr') return false;
      e = skipOuter(o.expr);
    }
    if (!ts.isCallExpression(e)) return false;
    const create = skipOuter(e.expression);
    if (!ts.isPropertyAccessExpression(create) || create.name.text !== 'create') return false;
    let base = skipOuter(create.expression);
    for (let step = skipOuter(create.expression); ts.isCallExpression(step); step = skipOuter(base)) {
      const callee = skipOuter(step.expression);
      if (!ts.isPropertyAccessExpression(callee)) return false;
      base = callee.expression;
    }
    base = skipOuter(base);
    const o = this.origins.expr(base);
    return o.kind === 'external' && o.module === '@trpc/server' && o.path.join('.') === 'initTRPC';
  }

  /** `createSafeActionClient(…)`, imported from 'next-safe-action'. */
  private isSafeActionClient(call: ts.CallExpression): boolean {
    const o = this.origins.expr(skipOuter(call.expression));
    return o.kind === 'external' && o.module === 'next-safe-action' && o.path.join('.') === 'createSafeActionClient';
  }

  /** What every context factory returns as `member`. */
  private factoryValues(member: string): Value[] | string {
    const factories = this.factories();
    if (factories.length === 0)
      return 'no tRPC context factory (`createContext` handed to a tRPC adapter) was found';
    const out: Value[] = [];
    for (const fn of factories) {
      const name = `\`${functionName(fn)}\``;
      const returns = this.contexts(fn, 0);
      if (returns.length === 0) return `the tRPC context factory ${name} (${where(fn, this.root)}) returns nothing`;
      for (const r of returns) {
        const obj = skipOuter(r);
        const at = `${where(r, this.root)}`;
        if (!ts.isObjectLiteralExpression(obj))
          return `the tRPC context factory ${name} returns \`${shortText(r, 40)}\` at ${at}, not an object`;
        const value = ownMember(obj, member);
        if (value === 'spread')
          return `the tRPC context factory ${name} spreads another object into its context at ${at}`;
        if (!value) return `the tRPC context factory ${name} returns no \`${member}\` at ${at}`;
        out.push({ expr: value, from: `\`${member}\` returned by the tRPC context factory ${name} (${at})` });
      }
    }
    return out;
  }

  /**
   * The objects a factory returns: its return expressions, and through a factory that only
   * calls another function of the codebase (`createContext: (o) => makeContext(o.req)`) that one's.
   */
  private contexts(fn: ts.FunctionLikeDeclaration, depth: number): ts.Expression[] {
    return returnedExpressions(fn).flatMap((r) => {
      let e = skipOuter(r);
      while (ts.isAwaitExpression(e)) e = skipOuter(e.expression);
      const inner = ts.isCallExpression(e) && depth < 4 ? this.functionOf(e.expression) : undefined;
      return inner?.body ? this.contexts(inner, depth + 1) : [e];
    });
  }

  /** Context factories: functions handed to a tRPC adapter as `createContext`, found once. */
  private factories(): ts.FunctionLikeDeclaration[] {
    // A search over every file: in one file's analysis, the factories another file hands to its adapter are missed.
    this.origins.facts.readProgram();
    if (this.factoryList) return this.factoryList;
    const found = new Set<ts.FunctionLikeDeclaration>();
    // Over the files' indexed nodes (file-nodes.ts): every call, in source order.
    for (const sf of this.files)
      for (const n of indexedNodes(sf)) {
        if (!ts.isCallExpression(n)) continue;
        for (const arg of n.arguments) {
          const a = skipOuter(arg);
          if (!ts.isObjectLiteralExpression(a)) continue;
          const value = ownMember(a, 'createContext');
          if (!value || value === 'spread' || !this.fromTrpc(n.expression)) continue;
          const fn = this.functionOf(value);
          if (fn) found.add(fn);
        }
      }
    this.factoryList = [...found];
    return this.factoryList;
  }

  /** A tRPC adapter: an export of '@trpc/server/adapters/…' or another package whose name holds "trpc". */
  private fromTrpc(callee: ts.Expression): boolean {
    const o = this.origins.expr(callee);
    return o.kind === 'external' && /(^|[/@-])trpc([/-]|$)/.test(o.module);
  }

  private functionOf(e: ts.Expression, depth = 0): ts.FunctionLikeDeclaration | undefined {
    const x = skipOuter(e);
    if (isFunctionLike(x)) return x;
    if (depth > 4) return undefined;
    const o: Origin = this.origins.expr(x);
    if (o.kind === 'function') return o.decl;
    if (o.kind === 'expr' && o.expr !== x) return this.functionOf(o.expr, depth + 1);
    return undefined;
  }

  /** The values the member holds after a middleware: what it passes on, and what it sets. */
  private apply(mwExpr: ts.Expression, member: string, incoming: Value[], framework: Framework): Value[] | string {
    const mw = this.middlewareFunction(mwExpr);
    const name = middlewareName(mwExpr);
    const label = `the ${framework.label} middleware ${name}`;
    if (!mw) return `${label} (${where(mwExpr, this.root)}) cannot be read`;
    const key = `${member}\0${mw.pos}\0${mw.getSourceFile().fileName}`;
    let effect = this.effects.get(key);
    if (!effect) {
      effect = this.effect(mw, member, 0);
      this.effects.set(key, effect);
    }
    if ('unresolved' in effect)
      return `${label} (${where(mw, this.root)}) ${effect.unresolved}`;
    const out: Value[] = effect.passes ? [...incoming] : [];
    for (const set of effect.sets) {
      const derived = this.derivedMember(set.expr);
      const next = set.next ? { next: set.next } : {};
      if (!derived) {
        const at = where(set.at, this.root);
        const from = `\`${member}\` set by ${label} (${at})`;
        if (!this.openedOnMember(set.expr, mw, member)) {
          out.push({ expr: set.expr, from, ...next });
          continue;
        }
        // `ctx.db.transaction(async (tx) => { …; return next({ ctx: { db: tx } }) })`: a transaction of each value
        // the chain carried in (program.ts judges it as the transaction opened on that value, in the state at `next`).
        for (const v of incoming)
          out.push({ expr: set.expr, from: `${from}, a transaction it opens on ${v.from}`, ...next, over: v });
        continue;
      }
      // `ctx.db = ctx.db.usePrimaryOnly()`: a variant of each incoming value, when the wrapper shows it is.
      for (const v of incoming) {
        if (!this.isVariant(v.expr, derived)) {
          return `${label} sets \`${member}\` to \`${shortText(set.expr, 40)}\` ` +
            `(${where(set.at, this.root)}), a member of the incoming connection this analysis cannot read`;
        }
        out.push({ expr: v.expr, from: `${v.from}, its primary via \`${derived}\` (${where(set.at, this.root)})` });
      }
    }
    return out;
  }

  /** Whether `expr` is a transaction the middleware `mw` opens on the `ctx.<member>` the chain hands it. */
  private openedOnMember(expr: ts.Expression, mw: ts.FunctionLikeDeclaration, member: string): boolean {
    const h = this.handleOf(expr);
    if (h.kind !== 'param' || !h.opened || h.binding.fn !== mw || h.binding.index !== 0) return false;
    // The field path from the parameter itself (`{ ctx }` destructured or `opts.ctx.db`): `ctx.db`.
    const path = (h.path ?? []).join('.');
    return path === `ctx.${member}`;
  }

  private middlewareFunction(e: ts.Expression): ts.FunctionLikeDeclaration | undefined {
    let x = skipOuter(e);
    for (let i = 0; i < 4; i++) {
      if (isFunctionLike(x)) return x;
      // `t.middleware(fn)`, next-safe-action's `createMiddleware().define(fn)`: the function it is given.
      if (ts.isCallExpression(x)) {
        const callee = skipOuter(x.expression);
        const wraps = ts.isPropertyAccessExpression(callee) && ['middleware', 'define'].includes(callee.name.text);
        if (wraps && x.arguments.length === 1) {
          x = skipOuter(x.arguments[0]!);
          continue;
        }
        return undefined;
      }
      const o = this.origins.expr(x);
      if (o.kind === 'function') return o.decl;
      if (o.kind !== 'expr' || o.expr === x) return undefined;
      x = skipOuter(o.expr);
    }
    return undefined;
  }

  /**
   * What a middleware (or a helper it hands its options to) does with `ctx.<member>`: whether
   * some `next(…)` passes it on unchanged, and the values it sets, by `next({ ctx: { member: v } })`
   * or by assigning `ctx.member = v`.
   */
  private effect(fn: ts.FunctionLikeDeclaration, member: string, depth: number): Effect {
    let passes = false;
    let nexts = 0;
    const sets: ContextSet[] = [];
    let problem: string | undefined;
    // `ctx.<member> = v` assignments, and the `next` calls that hand the (perhaps assigned) context on whole.
    const assigned: ts.BinaryExpression[] = [];
    const wholeNexts: ts.CallExpression[] = [];
    const role = (e: ts.Expression): 'next' | 'ctx' | 'opts' | 'member' | undefined => {
      const o = this.origins.expr(skipOuter(e));
      if (o.kind !== 'param' || o.binding.fn !== fn || o.binding.index !== 0) return undefined;
      const p = o.path.join('.');
      if (p === '') return 'opts';
      if (p === 'next' || p === 'ctx') return p;
      return p === `ctx.${member}` ? 'member' : undefined;
    };
    const visit = (n: ts.Node): void => {
      if (problem) return;
      if (ts.isCallExpression(n)) {
        if (role(n.expression) === 'next') {
          nexts++;
          const arg = n.arguments[0] && skipOuter(n.arguments[0]);
          if (!arg || role(arg) === 'opts') wholeNexts.push(n);
          else if (ts.isObjectLiteralExpression(arg)) {
            const ctx = ownMember(arg, 'ctx');
            if (!ctx) wholeNexts.push(n);
            else if (ctx === 'spread') problem = `calls next() with options it spreads (${where(n, this.root)})`;
            else {
              const c = skipOuter(ctx);
              if (role(c) === 'ctx') wholeNexts.push(n);
              else if (ts.isObjectLiteralExpression(c)) {
                const v = ownMember(c, member);
                // `db: ctx.db` hands the incoming value on.
                if (v && v !== 'spread' && role(skipOuter(v)) !== 'member') sets.push({ expr: v, at: v, next: n });
                else passes = true;
              } else problem = `calls next() with a context it builds elsewhere (${where(n, this.root)})`;
            }
          } else problem = `calls next() with \`${shortText(arg, 30)}\` (${where(n, this.root)})`;
        } else {
          const handed = this.handedTo(n, role);
          if (handed === 'unreadable')
            problem =
              `hands \`next\` to \`${shortText(n.expression, 30)}\` (${where(n, this.root)}), which cannot be read`;
          else if (handed) {
            if (depth >= MAX_HELPER_DEPTH) problem = `hands \`next\` down too many helpers (${where(n, this.root)})`;
            else {
              const inner = this.effect(handed, member, depth + 1);
              if ('unresolved' in inner) problem = inner.unresolved;
              else {
                nexts++;
                passes ||= inner.passes;
                sets.push(...inner.sets);
              }
            }
          }
        }
      }
      if (
        ts.isBinaryExpression(n) &&
        n.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
        ts.isPropertyAccessExpression(skipOuter(n.left))
      ) {
        const left = skipOuter(n.left) as ts.PropertyAccessExpression;
        if (left.name.text === member && role(left.expression) === 'ctx') assigned.push(n);
      }
      ts.forEachChild(n, visit);
    };
    if (fn.body) visit(fn.body);
    if (problem) return { unresolved: problem };
    // A `next` the last assignment before it in its own block always precedes hands on that assignment's value, in
    // the state its connection has at that `next` (`ctx.db = tx; return next({ ctx })`); any other hands on the
    // incoming value, and then every assignment is read as conditional (its value fresh), as before.
    let undominated = false;
    for (const call of wholeNexts) {
      const last = assigned.filter((a) => precedesInBlock(a, call)).pop();
      if (last) sets.push({ expr: last.right, at: last, next: call });
      else undominated = passes = true;
    }
    for (const a of assigned)
      if (undominated || !wholeNexts.some((call) => precedesInBlock(a, call))) sets.push({ expr: a.right, at: a });
    if (nexts === 0) return { unresolved: 'never calls next() where this analysis can see it' };
    return { passes, sets };
  }

  /**
   * A call that hands the middleware's options (or `{ ctx, next }` built from them) to a
   * function of the codebase, whose first parameter then plays the options: that function,
   * 'unreadable' when `next` goes anywhere else, undefined when `next` is not handed on.
   */
  private handedTo(
    call: ts.CallExpression,
    role: (e: ts.Expression) => 'next' | 'ctx' | 'opts' | 'member' | undefined,
  ): ts.FunctionLikeDeclaration | 'unreadable' | undefined {
    let handsNext = false;
    let asOptions = false;
    call.arguments.forEach((a, i) => {
      const x = skipOuter(a);
      const r = role(x);
      if (r === 'next' || r === 'opts') {
        handsNext = true;
        asOptions ||= r === 'opts' && i === 0;
      } else if (ts.isObjectLiteralExpression(x)) {
        const next = ownMember(x, 'next');
        const ctx = ownMember(x, 'ctx');
        if (next && next !== 'spread' && role(skipOuter(next)) === 'next') {
          handsNext = true;
          asOptions ||= i === 0 && (!ctx || (ctx !== 'spread' && role(skipOuter(ctx)) === 'ctx'));
        }
      }
    });
    if (!handsNext) return undefined;
    const fn = this.functionOf(call.expression);
    return fn && asOptions && fn.body ? fn : 'unreadable';
  }

  /** `ctx.db.m()` or `const f = ctx.db.m; f()` (through local consts and casts): the member `m`. */
  private derivedMember(expr: ts.Expression): string | undefined {
    let e = throughLocalConsts(expr);
    if (!ts.isCallExpression(e) || e.arguments.length) return undefined;
    e = throughLocalConsts(e.expression);
    if (!ts.isPropertyAccessExpression(e)) return undefined;
    const o = this.origins.expr(skipOuter(e.expression));
    return o.kind === 'param' && o.path.length === 2 && o.path[0] === 'ctx' ? e.name.text : undefined;
  }


  /** Whether `value.member()` is the same replica set restricted to its primary (replicas.ts). */
  private isVariant(value: ts.Expression, member: string): boolean {
    return isPrimaryVariant(value, member, this.origins);
  }
}

/**
 * Whether the assignment, a statement of a block, comes before a later statement of that block holding `call`
 * (not inside a function of its own): every run reaching `call` has run the assignment.
 */
function precedesInBlock(assignment: ts.BinaryExpression, call: ts.Node): boolean {
  const stmt = assignment.parent;
  if (!ts.isExpressionStatement(stmt) || !ts.isBlock(stmt.parent)) return false;
  const block = stmt.parent;
  let n: ts.Node = call;
  while (n.parent && n.parent !== block) {
    if (isFunctionLike(n)) return false;
    n = n.parent;
  }
  return n.parent === block && n.pos > stmt.pos;
}

/** The same value by the same path: its expression, and the values it was opened on. */
function sameValue(a: Value, b: Value): boolean {
  if (a.expr !== b.expr) return false;
  if (!a.over || !b.over) return a.over === b.over;
  return sameValue(a.over, b.over);
}

/**
 * How evidence names a middleware: its text, or for a function written inline in a `.use(…)`
 * step, the builder the step makes (`orgAction = authed.use(async ({ ctx, next }) => …)`).
 */
function middlewareName(mw: ts.Expression): string {
  const fn = skipOuter(mw);
  const step = mw.parent;
  if (isFunctionLike(fn) && ts.isCallExpression(step)) {
    let made: ts.Node = step;
    while (ts.isCallExpression(made.parent) || ts.isPropertyAccessExpression(made.parent)) made = made.parent;
    if (ts.isVariableDeclaration(made.parent) && ts.isIdentifier(made.parent.name))
      return `of \`${made.parent.name.text}\``;
    return 'written inline';
  }
  return `\`${shortText(mw, 40)}\``;
}

/** An object literal's own value for a key: the initializer, the shorthand name, 'spread' if a spread may hold it. */
function ownMember(obj: ts.ObjectLiteralExpression, key: string): ts.Expression | 'spread' | undefined {
  let found: ts.Expression | 'spread' | undefined;
  for (const p of obj.properties) {
    if (ts.isSpreadAssignment(p)) {
      found = 'spread';
      continue;
    }
    if (!p.name || !(ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) || p.name.text !== key) continue;
    if (ts.isPropertyAssignment(p)) found = p.initializer;
    else if (ts.isShorthandPropertyAssignment(p)) found = p.name;
  }
  return found;
}
