import ts from '../ts.js';
import { classMethod } from '../code/injected.js';
import { enclosingClass, type OriginResolver, shortText } from '../code/origins.js';
import { returnedExpressions } from '../code/own-returns.js';
import { isFunctionLike, lookup } from '../code/scope.js';
import { assignmentsIn, indexedNodes } from '../code/file-nodes.js';
import { skipOuter } from '../syntax/wrappers.js';
import type { AmbientProviders, Store } from './ambient/providers.js';
import { declaredMethodOf } from './declared-methods.js';
import { mayReturn, queryOf } from './providers/setters.js';
import { isTestFile } from './providers/helper-values.js';
import type { DbAdapter } from '../adapters/index.js';
import type { ContextChange, StatementEffect } from '../sql/classify.js';
import { sessionClass } from './own-session.js';

// A Drizzle database the code makes over a session class of its own whose query path runs every statement in a
// transaction that has set the org context (session35: mentingo's `TenantAwareSession`). Drizzle runs every query of
// a `PgDatabase` through `session.prepareQuery(…)` and the prepared query's `execute`/`all` (its `PgSession.execute`,
// `all` and `count` call `prepareQuery` themselves), and every `db.transaction(cb)` through `session.transaction(cb)`.
// So the database is org-scoped when, and only when, all of this holds:
//
//   1. the session class overrides `prepareQuery` (returning `new Q(…)`, a prepared-query class of the code) and
//      `transaction`, and no other method queries run through (`execute`, `all`, `query`, `count`);
//   2. Q's `execute` (and `all`, where Q has it) hands the statement, as a callback, to a runner `R` (a constructor
//      argument Q is given by `prepareQuery`, forwarding to a method of the code, or a method of Q's own), and the
//      callback prepares the statement on a session read off an AsyncLocalStorage's member (`S.getStore()?.tx`);
//   3. `R` calls its callback only where `S` holds that member: under `if (S.getStore()?.tx)`, or inside
//      `S.run({ …, tx }, cb)` (R may hand its callback on to another method of the code, judged the same way);
//   4. every value the program enters in `S` (`S.run(v, …)`, `S.enterWith(v)`) holds in that member only a transaction
//      whose callback set the context transaction-locally before entering it, a savepoint of the member already held,
//      or that member itself (`{ orgId, tx: held?.tx }`, `{ ...held, tx: inner }`), and nothing assigns it elsewhere;
//   5. the `transaction` override hands its callback to a runner that calls it, the same way, with the transaction
//      it entered (so `db.transaction(async (tx) => …)` gives a connection in that transaction).
//
// Then each statement runs on a transaction that set the context first, or throws before running: `org-scope`,
// naming the session, the runner and the set. Any link that does not hold leaves the database unresolved, the reason
// naming that link (a path that runs the statement bare, a transaction entered without a set, an entry not read).

export interface ScopingDeps {
  origins: OriginResolver;
  ambient: AmbientProviders;
  /** The program's files, searched for every entry into the store (a read of the whole program). */
  files: () => readonly ts.SourceFile[];
  readProgram: () => void;
  /** What a statement's SQL does (sql-resolution.ts, as the flow reads it). */
  effects: (sql: ts.Expression, placeholders?: DbAdapter['placeholders']) => StatementEffect[];
  where: (n: ts.Node) => string;
  /** The audited root: an entry in a test file is no entry production makes (report/set-aside.ts). */
  root: string;
}

export type SessionScope =
  | { settings: ReadonlySet<string>; setAt: ts.CallExpression; label: string }
  | { reason: string };

/** The methods of Drizzle's `PgSession` that run a query without going through `prepareQuery` when overridden. */
const OWN_QUERY_PATHS = ['execute', 'all', 'query', 'count'];
const TRANSACTION_OPENERS = new Set(['transaction', 'begin']);
const STEPS = 4;

/** The store, its member a statement runs on, and each context set a transaction it may hold was given. */
interface StoreMember {
  store: Store;
  member: string;
}

/** A context setting a transaction was given, where. */
export interface Stated extends ContextChange {
  at: ts.Node;
}

class Failure {
  constructor(readonly reason: string) {}
}

/**
 * Whether the database `made` (`new PgDatabase(dialect, new S(…), …)`) runs every statement in a transaction that set
 * the org context; undefined when no argument is a session class of the code (the caller keeps its reading).
 */
export function sessionScope(made: ts.NewExpression, deps: ScopingDeps): SessionScope | undefined {
  for (const arg of made.arguments ?? []) {
    const session = sessionClass(arg, deps.origins);
    if (!session?.decl.name || !session.decl.heritageClauses?.length) continue;
    try {
      return judgeSession(session.decl, deps, isTestFile(made, deps.root));
    } catch (e) {
      if (e instanceof Failure) return { reason: e.reason };
      throw e;
    }
  }
  return undefined;
}

function judgeSession(cls: ts.ClassLikeDeclaration, deps: ScopingDeps, testsToo: boolean): SessionScope {
  const name = `\`${cls.name!.text}\` (${deps.where(cls)})`;
  const own = (key: string): ts.MethodDeclaration | undefined => classMethod(deps.origins, cls, key);
  for (const key of OWN_QUERY_PATHS) {
    const m = own(key);
    if (m) fail(`its session class ${name} overrides \`${key}\` (${deps.where(m)}), a query path that is not read`);
  }
  const prepare = own('prepareQuery');
  if (!prepare) fail(`its session class ${name} does not override \`prepareQuery\``);
  const tx = own('transaction');
  if (!tx) fail(`its session class ${name} does not override \`transaction\`, so \`db.transaction\` is not read`);
  const returns = returnedExpressions(prepare!);
  if (returns.length === 0) fail(`\`prepareQuery\` of ${name} returns nothing`);
  let member: StoreMember | undefined;
  const runners: string[] = [];
  for (const r of returns) {
    const q = skipOuter(r);
    const qcls = ts.isNewExpression(q) ? deps.origins.expr(q.expression) : undefined;
    if (!ts.isNewExpression(q) || qcls?.kind !== 'class')
      fail(`\`prepareQuery\` of ${name} returns \`${shortText(q, 40)}\` (${deps.where(q)}), no prepared-query class`);
    const prepared = (qcls as { decl: ts.ClassLikeDeclaration }).decl;
    for (const key of ['execute', 'all']) {
      const m = classMethod(deps.origins, prepared, key);
      if (!m) {
        if (key === 'execute') fail(`its prepared query \`${prepared.name?.text}\` has no \`execute\``);
        continue;
      }
      const path = queryPath(m, q as ts.NewExpression, prepared, deps);
      if (member && (member.store !== path.member.store || member.member !== path.member.member))
        fail(`\`${key}\` of \`${prepared.name?.text}\` reads another store member than the session's other queries`);
      member = path.member;
      runnerCalls(path.runner, path.index, member, false, deps, 0);
      runners.push(`\`${key}\` (${deps.where(m)}) runs it through \`${functionLabel(path.runner)}\``);
    }
  }
  transactionPath(tx!, member!, deps);
  const made = storeEntries(member!, deps, testsToo);
  if (made.length === 0) fail(`nothing in the program enters a transaction in the store as \`${member!.member}\``);
  // The settings every transaction the store may hold was given: one only some were given covers nothing for certain.
  const settings = new Set([...new Set(made[0]!.map((s) => s.setting))].filter((x) =>
    made.every((sets) => sets.some((s) => s.setting === x))));
  if (settings.size === 0) fail(`the transactions entered in the store as \`${member!.member}\` set no one setting`);
  const first = made[0]!.find((s) => settings.has(s.setting))!;
  const setAt = (ts.isCallExpression(first.at) ? first.at : enclosingCall(first.at)) as ts.CallExpression;
  const storeName = deps.ambient.describeStore(member!.store);
  return {
    settings,
    setAt,
    label:
      `a drizzle PgDatabase over the session class ${name}, whose prepared queries run each statement on the ` +
      `transaction ${storeName} holds as \`${member!.member}\` (${runners.join('; ')}), entered only after ` +
      `${first.via} of ${[...settings].sort().join(', ')} on it (${deps.where(first.at)})`,
  };
}

function enclosingCall(n: ts.Node): ts.Node {
  let x: ts.Node = n;
  while (x.parent && !ts.isCallExpression(x)) x = x.parent;
  return x;
}

function isThis(e: ts.Expression): boolean {
  return skipOuter(e).kind === ts.SyntaxKind.ThisKeyword;
}

function fail(reason: string): never {
  throw new Failure(reason);
}

function functionLabel(fn: ts.FunctionLikeDeclaration): string {
  const cls = enclosingClass(fn);
  const own = fn.name && ts.isIdentifier(fn.name) ? fn.name.text : 'a function';
  return cls?.name ? `${cls.name.text}.${own}` : own;
}

/**
 * A prepared query's `execute`: `return this.wrap(() => <statement>)`, the runner `wrap` stands for, the index of the
 * callback among the runner's parameters, and the store member the statement's session is read from.
 */
function queryPath(
  method: ts.MethodDeclaration,
  made: ts.NewExpression,
  prepared: ts.ClassLikeDeclaration,
  deps: ScopingDeps,
): { runner: ts.FunctionLikeDeclaration; index: number; member: StoreMember } {
  const at = deps.where(method);
  const returns = returnedExpressions(method);
  const only = returns.length === 1 ? skipOuter(returns[0]!) : undefined;
  if (!only || !ts.isCallExpression(only) || only.arguments.length !== 1)
    fail(`\`${method.name.getText()}\` of its prepared query (${at}) does not hand its statement to one runner`);
  const call = only as ts.CallExpression;
  const cb = skipOuter(call.arguments[0]!);
  if (!ts.isArrowFunction(cb) && !ts.isFunctionExpression(cb))
    fail(`\`${method.name.getText()}\` (${at}) hands the runner \`${shortText(cb, 30)}\`, not a statement`);
  const member = statementMember(cb as ts.ArrowFunction, prepared, deps);
  const callee = skipOuter(call.expression);
  let runner: { fn: ts.FunctionLikeDeclaration; index: number } | undefined;
  if (ts.isPropertyAccessExpression(callee) && skipOuter(callee.expression).kind === ts.SyntaxKind.ThisKeyword) {
    const own = classMethod(deps.origins, prepared, callee.name.text);
    runner = own ? { fn: own, index: 0 } : givenRunner(prepared, callee.name.text, made, deps);
  }
  if (!runner) fail(`\`${shortText(callee, 40)}\` (${at}), the runner of each statement, is not read`);
  return { runner: runner!.fn, index: runner!.index, member };
}

/**
 * `constructor(…, private readonly wrap: …)` given `(run) => this.runner.around(run)` (or a function of the code) by
 * the `new Q(…)` that made it: the method that forwards to, and where the callback goes among its parameters.
 */
function givenRunner(
  prepared: ts.ClassLikeDeclaration,
  field: string,
  made: ts.NewExpression,
  deps: ScopingDeps,
): { fn: ts.FunctionLikeDeclaration; index: number } | undefined {
  const ctor = prepared.members.find(ts.isConstructorDeclaration);
  const index = ctor?.parameters.findIndex(
    (p) => ts.isIdentifier(p.name) && p.name.text === field && ts.getModifiers(p)?.length,
  );
  const arg = index !== undefined && index >= 0 ? made.arguments?.[index] : undefined;
  if (!arg) return undefined;
  const given = skipOuter(arg);
  if (!ts.isArrowFunction(given) && !ts.isFunctionExpression(given)) {
    const named = deps.origins.expr(given);
    return named.kind === 'function' ? { fn: named.decl, index: 0 } : undefined;
  }
  return forwardedTo(given, deps);
}

/** `(run) => this.runner.around(run)`: the method it calls and where its parameter goes among the arguments. */
function forwardedTo(
  fn: ts.ArrowFunction | ts.FunctionExpression,
  deps: ScopingDeps,
): { fn: ts.FunctionLikeDeclaration; index: number } | undefined {
  const p = fn.parameters[0]?.name;
  const body = returnedExpressions(fn);
  const call = body.length === 1 ? skipOuter(body[0]!) : undefined;
  if (!p || !ts.isIdentifier(p) || !call || !ts.isCallExpression(call)) return undefined;
  const index = call.arguments.findIndex((a) => passes(a, p.text));
  if (index < 0) return undefined;
  const target = calledFunction(call, deps);
  return target ? { fn: target, index } : undefined;
}

/** `a` is the identifier `name`, or an arrow that only calls it with its own parameters (`(t) => name(t)`). */
function passes(a: ts.Expression, name: string): boolean {
  const e = skipOuter(a);
  if (ts.isIdentifier(e)) return e.text === name;
  if (!ts.isArrowFunction(e)) return false;
  const r = returnedExpressions(e);
  const c = r.length === 1 ? skipOuter(r[0]!) : undefined;
  if (!c || !ts.isCallExpression(c) || !ts.isIdentifier(skipOuter(c.expression))) return false;
  const params = e.parameters.map((x) => (ts.isIdentifier(x.name) ? x.name.text : ''));
  return (
    (skipOuter(c.expression) as ts.Identifier).text === name &&
    c.arguments.every((x, i) => ts.isIdentifier(skipOuter(x)) && (skipOuter(x) as ts.Identifier).text === params[i])
  );
}

/** The function of the code a call runs: a function, a method of `this`'s class, or of a declared class. */
function calledFunction(call: ts.CallExpression, deps: ScopingDeps): ts.FunctionLikeDeclaration | undefined {
  const callee = skipOuter(call.expression);
  const origin = deps.origins.expr(callee);
  if (origin.kind === 'function') return origin.decl;
  if (ts.isPropertyAccessExpression(callee) && skipOuter(callee.expression).kind === ts.SyntaxKind.ThisKeyword) {
    const cls = enclosingClass(call);
    const m = cls && classMethod(deps.origins, cls, callee.name.text);
    if (m) return m;
  }
  return declaredMethodOf(deps.origins, call, origin);
}

/**
 * The store member the statement a prepared query's callback runs is prepared on: every `X.prepareQuery(…)` the
 * callback reaches (through methods of its own class) on a session read off one store's member
 * (`S.getStore()?.tx?.session ?? fallback`: the fallback only where the store lacks it, which the runner rules out).
 */
function statementMember(
  cb: ts.ArrowFunction | ts.FunctionExpression,
  prepared: ts.ClassLikeDeclaration,
  deps: ScopingDeps,
): StoreMember {
  const found: ts.CallExpression[] = [];
  const seen = new Set<ts.Node>();
  const visit = (n: ts.Node, depth: number): void => {
    if (ts.isCallExpression(n)) {
      const callee = skipOuter(n.expression);
      if (ts.isPropertyAccessExpression(callee) && callee.name.text === 'prepareQuery') found.push(n);
      else if (ts.isPropertyAccessExpression(callee) && isThis(callee.expression)) {
        const m = classMethod(deps.origins, prepared, callee.name.text);
        if (m?.body && !seen.has(m) && depth < STEPS) {
          seen.add(m);
          visit(m.body, depth + 1);
        }
      }
    }
    ts.forEachChild(n, (c) => visit(c, depth));
  };
  if (cb.body) visit(cb.body, 0);
  if (found.length === 0) fail(`the statement callback (${deps.where(cb)}) prepares no statement that is read`);
  let out: StoreMember | undefined;
  for (const call of found) {
    const receiver = (skipOuter(call.expression) as ts.PropertyAccessExpression).expression;
    const read = sessionRead(receiver, deps);
    if (!read)
      fail(
        `the statement is prepared on \`${shortText(receiver, 40)}\` (${deps.where(call)}), not on a transaction ` +
          'a store holds, so it does not run in the transaction the runner opens',
      );
    if (out && (out.store !== read!.store || out.member !== read!.member))
      fail(`the statement is prepared on two different stores' members (${deps.where(call)})`);
    out = read;
  }
  return out!;
}

/** `S.getStore()?.tx?.session ?? fallback`, through a const: the store and the member `tx`. */
function sessionRead(e: ts.Expression, deps: ScopingDeps): StoreMember | undefined {
  let x = skipOuter(e);
  if (ts.isIdentifier(x)) {
    const b = lookup(x);
    if (b?.kind !== 'variable' || b.path.length || b.flags !== 'const' || !b.decl.initializer) return undefined;
    x = skipOuter(b.decl.initializer);
  }
  if (ts.isBinaryExpression(x) && x.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken) x = skipOuter(x.left);
  const read = deps.ambient.read(x);
  if (!read || !ts.isNewExpression(read.store) || !read.path[0]) return undefined;
  // The transaction's own `session` (Drizzle's transaction object carries the session it runs on), nothing deeper.
  if (read.path.length > 2 || (read.path.length === 2 && read.path[1] !== 'session')) return undefined;
  return { store: read.store, member: read.path[0] };
}

/**
 * Every place the runner `fn` calls or hands on its callback (parameter `index`): each call must come where the store
 * holds the member (inside `S.run({ …, tx }, …)`, or under `if (S.getStore()?.tx)`), and with `handsTx` be given that
 * transaction; a hand-off to another method of the code (`this.handing(() => work())`) is judged there.
 */
function runnerCalls(
  fn: ts.FunctionLikeDeclaration,
  index: number,
  member: StoreMember,
  handsTx: boolean,
  deps: ScopingDeps,
  depth: number,
): void {
  const where = `\`${functionLabel(fn)}\` (${deps.where(fn)})`;
  if (depth > STEPS) fail(`${where} hands its callback on too many times`);
  const param = fn.parameters[index];
  if (!param || !ts.isIdentifier(param.name) || !fn.body) fail(`${where} takes no callback to read`);
  const name = (param!.name as ts.Identifier).text;
  const refs: ts.Identifier[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n) && n.text === name && lookup(n)?.decl === param) refs.push(n);
    ts.forEachChild(n, visit);
  };
  visit(fn.body!);
  if (refs.length === 0) fail(`${where} never calls its callback`);
  for (const ref of refs) {
    const call = ref.parent;
    if (!ts.isCallExpression(call) || call.expression !== ref)
      fail(`${where} hands its callback on at ${deps.where(ref)} in a way that is not read`);
    // `this.handing(() => work())`: the callback handed on, judged in the method it goes to.
    const wrapper = outerFunction(call as ts.CallExpression, fn);
    const handedOn = wrapper && handOff(wrapper, name, deps);
    if (handedOn) {
      runnerCalls(handedOn.fn, handedOn.index, member, handsTx, deps, depth + 1);
      continue;
    }
    calledInStore(call as ts.CallExpression, fn, member, handsTx, deps);
  }
}

/** The innermost function between a call and `fn` (itself when none), when that is an arrow inside `fn`. */
function outerFunction(call: ts.CallExpression, fn: ts.FunctionLikeDeclaration): ts.ArrowFunction | undefined {
  for (let n: ts.Node = call.parent; n && n !== fn; n = n.parent) {
    if (isFunctionLike(n)) return ts.isArrowFunction(n) ? n : undefined;
  }
  return undefined;
}

/** An arrow that only calls the callback (`() => work()`, `(tx) => run(tx)`), passed to a method of the code. */
function handOff(
  arrow: ts.ArrowFunction,
  name: string,
  deps: ScopingDeps,
): { fn: ts.FunctionLikeDeclaration; index: number } | undefined {
  const outer = arrow.parent;
  if (!ts.isCallExpression(outer) || !passes(arrow, name)) return undefined;
  const index = outer.arguments.indexOf(arrow);
  const target = index >= 0 ? calledFunction(outer, deps) : undefined;
  // A transaction's or a store's own method takes the callback in place (read by calledInStore), not as a hand-off.
  return target ? { fn: target, index } : undefined;
}

/** A call of the runner's callback: where the store holds the member, and what it is given. */
function calledInStore(
  call: ts.CallExpression,
  fn: ts.FunctionLikeDeclaration,
  member: StoreMember,
  handsTx: boolean,
  deps: ScopingDeps,
): void {
  const at = deps.where(call);
  for (let n: ts.Node = call; n !== fn; n = n.parent) {
    const parent = n.parent;
    const run = ts.isCallExpression(parent) ? deps.ambient.runCall(parent) : undefined;
    if (run && run.store === member.store && skipOuter(run.callback) === n) {
      const entered = enteredValue(run.value, parent as ts.CallExpression, member, deps);
      if (handsTx && !(entered.tx && sameParam(call.arguments[0], entered.tx)))
        fail(`the transaction callback is called at ${at} with other than the transaction entered`);
      return;
    }
    if (ts.isIfStatement(parent) && parent.thenStatement === n && !handsTx) {
      const read = deps.ambient.read(parent.expression);
      if (read?.store === member.store && read.path.length === 1 && read.path[0] === member.member)
        return;
    }
  }
  const what = handsTx ? "`db.transaction`'s callback" : 'the statement';
  fail(
    `\`${functionLabel(fn)}\` calls ${what} at ${at} where ${deps.ambient.describeStore(member.store)} may ` +
      `hold no \`${member.member}\` it entered, so it runs outside any transaction that set the org context`,
  );
}

function sameParam(arg: ts.Expression | undefined, tx: ts.ParameterDeclaration): boolean {
  const a = arg && skipOuter(arg);
  return !!a && ts.isIdentifier(a) && lookup(a)?.decl === tx;
}

/**
 * What an entry `S.run(value, …)` puts in the member: the member already held (`{ tx: held?.tx }`, `{ ...held }`),
 * nothing, or the transaction a callback opened (with the sets it made on it before the entry), or a savepoint of
 * the one held. Anything else fails.
 */
function enteredValue(
  value: ts.Expression,
  entry: ts.CallExpression,
  member: StoreMember,
  deps: ScopingDeps,
): { sets: Stated[]; tx?: ts.ParameterDeclaration } {
  const v = skipOuter(value);
  const at = deps.where(entry);
  if (!ts.isObjectLiteralExpression(v)) fail(`the store is entered at ${at} with a value that is not read`);
  let given: ts.Expression | undefined;
  for (const p of (v as ts.ObjectLiteralExpression).properties) {
    if (ts.isSpreadAssignment(p)) {
      const read = deps.ambient.read(p.expression);
      if (!read || read.store !== member.store || read.path.length)
        fail(`the store is entered at ${at} with \`...${shortText(p.expression, 30)}\`, which is not read`);
      given = undefined;
      continue;
    }
    const key = p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : undefined;
    if (!key) fail(`the store is entered at ${at} with a computed member`);
    if (key !== member.member) continue;
    if (ts.isShorthandPropertyAssignment(p)) given = p.name;
    else if (ts.isPropertyAssignment(p)) given = p.initializer;
    else fail(`the store is entered at ${at} with \`${member.member}\` that is not read`);
  }
  if (!given) return { sets: [] };
  const g = skipOuter(given);
  const held = deps.ambient.read(g);
  if (held?.store === member.store && held.path.length === 1 && held.path[0] === member.member) return { sets: [] };
  const b = ts.isIdentifier(g) ? lookup(g) : undefined;
  if (b?.kind === 'parameter' && b.path.length === 0 && b.index === 0) {
    const opened = b.fn.parent;
    const cb = isFunctionLike(b.fn) ? (b.fn as ts.FunctionLikeDeclaration) : undefined;
    const opens = ts.isCallExpression(opened) && opened.arguments[0] === b.fn;
    const callee = opens ? skipOuter((opened as ts.CallExpression).expression) : undefined;
    if (cb && callee && ts.isPropertyAccessExpression(callee) && TRANSACTION_OPENERS.has(callee.name.text)) {
      const on = deps.ambient.read(callee.expression);
      // A savepoint of the transaction the store holds keeps what that one set.
      if (on?.store === member.store && on.path.length === 1 && on.path[0] === member.member)
        return { sets: [], tx: b.decl };
      const sets = localSets(cb, entry, deps);
      if (sets.length === 0)
        fail(
          `the store is entered at ${at} with \`${g.getText()}\`, the transaction \`${shortText(callee, 30)}\` ` +
            `(${deps.where(opened)}) opens, on which nothing sets the org context transaction-locally first`,
        );
      return { sets, tx: b.decl };
    }
  }
  fail(`the store is entered at ${at} with \`${shortText(g, 30)}\` as \`${member.member}\`, which is not read`);
}

/** `transaction(cb)` of the session: hands `cb` to a runner that calls it with the transaction it entered. */
function transactionPath(method: ts.MethodDeclaration, member: StoreMember, deps: ScopingDeps): void {
  const cb = method.parameters[0];
  const returns = returnedExpressions(method);
  const call = returns.length === 1 ? skipOuter(returns[0]!) : undefined;
  if (!cb || !ts.isIdentifier(cb.name) || !call || !ts.isCallExpression(call))
    fail(`its \`transaction\` (${deps.where(method)}) does not hand its callback to one runner`);
  const c = call as ts.CallExpression;
  const index = c.arguments.findIndex((a) => passes(a, (cb!.name as ts.Identifier).text));
  const target = index >= 0 ? calledFunction(c, deps) : undefined;
  if (!target) fail(`its \`transaction\` (${deps.where(method)}) hands its callback to what is not read`);
  runnerCalls(target!, index, member, true, deps, 0);
}

/** A file's entries into `store`: each `S.run(value, …)` and `S.enterWith(value)`, with the value entered. */
export function entriesInto(
  sf: ts.SourceFile,
  store: Store,
  ambient: AmbientProviders,
): { call: ts.CallExpression; value: ts.Expression }[] {
  const out: { call: ts.CallExpression; value: ts.Expression }[] = [];
  for (const n of indexedNodes(sf)) {
    if (!ts.isCallExpression(n)) continue;
    const callee = skipOuter(n.expression);
    if (!ts.isPropertyAccessExpression(callee)) continue;
    const run = callee.name.text === 'run' ? ambient.runCall(n) : undefined;
    const entersWith = callee.name.text === 'enterWith' && n.arguments.length === 1;
    const into = run?.store ?? (entersWith ? ambient.storeOf(callee.expression) : undefined);
    if (into === store) out.push({ call: n, value: run ? run.value : n.arguments[0]! });
  }
  return out;
}

/**
 * Every entry into the store across the program (test files left out, as their calls are for a function that is not
 * in one), each judged, and no assignment to its member: the sets of each entry that puts a new transaction there.
 */
function storeEntries(member: StoreMember, deps: ScopingDeps, testsToo: boolean): Stated[][] {
  deps.readProgram();
  const made: Stated[][] = [];
  for (const sf of deps.files()) {
    // A test's entries (a mock transaction) run under the test runner only, unless the database is a test's too.
    if (!testsToo && isTestFile(sf, deps.root)) continue;
    const t = sf.text;
    if (!t.includes('.run(') && !t.includes('.enterWith(') && !t.includes(`.${member.member} =`)) continue;
    for (const { call, value } of entriesInto(sf, member.store, deps.ambient)) {
      const entered = enteredValue(value, call, member, deps);
      if (entered.sets.length) made.push(entered.sets);
    }
    for (const a of assignmentsIn(sf)) {
      const left = skipOuter(a.left);
      if (!ts.isPropertyAccessExpression(left) || left.name.text !== member.member) continue;
      if (deps.ambient.read(left.expression)?.store === member.store)
        fail(`\`${shortText(a, 40)}\` (${deps.where(a)}) replaces what the store holds as \`${member.member}\``);
    }
  }
  return made;
}

/**
 * The settings a transaction callback sets transaction-locally on its transaction on every path before `entry`: its
 * body's statements in order, up to the one holding the entry, stopping at any statement that is not straight-line
 * (a branch, loop or `try` may skip a set, as for the setters of providers/setters.ts); a reset undoes a set.
 * `holds`: a test known true where the caller judges (the store holds the org): an `if` on it with no `else` is read
 * as its block.
 */
export function localSets(
  cb: ts.FunctionLikeDeclaration,
  entry: ts.Node,
  deps: Pick<ScopingDeps, 'effects'>,
  holds?: (test: ts.Expression) => boolean,
): Stated[] {
  const tx = cb.parameters[0];
  if (!tx || !cb.body || !ts.isBlock(cb.body)) return [];
  const out: Stated[] = [];
  const statements = (list: readonly ts.Statement[]): ts.Statement[] =>
    list.flatMap((st) =>
      ts.isIfStatement(st) && !st.elseStatement && holds?.(st.expression)
        ? statements(ts.isBlock(st.thenStatement) ? st.thenStatement.statements : [st.thenStatement])
        : [st]);
  for (const st of statements(cb.body.statements)) {
    if (st.getEnd() >= entry.getEnd()) break;
    if (!ts.isExpressionStatement(st) && !ts.isVariableStatement(st)) {
      if (mayReturn(st)) break;
      continue;
    }
    const visit = (n: ts.Node): void => {
      if (isFunctionLike(n)) return;
      ts.forEachChild(n, visit);
      const q = queryOf(n);
      const on = q && skipOuter(q.receiver);
      if (!q || !on || !ts.isIdentifier(on) || lookup(on)?.decl !== tx) return;
      for (const effect of deps.effects(q.sql, q.placeholders)) {
        for (const c of effect.contextSets) if (c.local === true) out.push({ ...c, at: n });
        for (const r of effect.contextResets)
          for (let i = out.length - 1; i >= 0; i--) if (r === '*' || out[i]!.setting === r) out.splice(i, 1);
      }
    };
    visit(st);
  }
  return out;
}
