import ts from '../ts.js';
import { adapters } from '../adapters/index.js';
import type { DbAdapter } from '../adapters/types.js';
import { soleReturn } from './construction.js';
import type { FileFacts, RawSite } from './facts.js';
import { isInlineCallback } from './flow.js';
import { unfollowedContract } from './interface-calls.js';
import { declaredMethodOf } from './declared-methods.js';
import type { FactKind } from '../code/fixpoint.js';
import { where } from './handles.js';
import { isExported } from '../code/modules.js';
import { functionName, type OriginResolver } from '../code/origins.js';
import type { SiteVerdict } from './program.js';
import { isTestFile } from './providers/helper-values.js';
import { isFunctionLike, lookup } from '../code/scope.js';
import { skipOuter } from '../syntax/wrappers.js';
import { walkDescendants } from '../code/walk.js';
import { rank } from './write-sites.js';
import { appendChain, appendsBefore } from '../code/statement-appends.js';

// Table-generic builders: an in-repo helper that writes on whatever table it is handed
// (`buildInsert(pool)(Users)`, `insertInto(Users, pool, row)`). Its body alone names no
// table, so the write is judged where the builder is called: each complete call is a write
// site of its own, on the table that call's arguments name (the flow re-folds the builder's
// SQL with its parameters bound to those arguments). The body's own site is a *template*:
// dropped once every call of the builder has been instantiated, and otherwise left
// unresolved with the call that could not be (fail closed).

/** A query call in a builder whose SQL text reads one of the builder's parameters. */
export interface Template {
  query: ts.CallExpression;
  receiver: ts.Expression;
  sqlArg: ts.Expression;
  values: ts.Expression | undefined;
  method: string;
  adapter: DbAdapter;
  /**
   * The node of the function's own body that stands for the write: the query, or the call of an inner builder that
   * makes it.
   */
  node: ts.CallExpression;
  /**
   * Inner builders called on the way to the query (`function save(t) { return insertInto(t, …) }`), outermost first.
   */
  via: BuilderCall[];
  /**
   * A query-builder or ORM write whose table is a parameter (`this.db.insert(table)`, `db.insertInto(table)`): read
   * again by the adapter at each call, `sqlArg` being the expression that names the table.
   */
  builder?: true;
}

/** A call that runs a function's body, with the curried calls that led to it (`b(pool)(T)(row)`). */
export interface BuilderCall {
  /** The outermost function of the chain (the one named at the call). */
  head: ts.FunctionLikeDeclaration;
  /** The function whose body this call runs. */
  fn: ts.FunctionLikeDeclaration;
  /** The call of `head` that starts the chain. */
  headCall: ts.CallExpression;
  /** Each function's parameters bound to the arguments its call passed. */
  bound: Map<ts.ParameterDeclaration, ts.Expression>;
  /** `head` known from the annotations on the receiver only (declared-methods.ts): no call edge stands for the call. */
  noEdge?: true;
}

const MAX_CHAIN = 6;

/**
 * The function a call runs and the chain of calls that produced it: `f(a)(b)` runs what
 * `f` returns; `const g = f(a); g(b)` too (by provenance of `g`).
 */
export function builderCall(call: ts.CallExpression, origins: OriginResolver): BuilderCall | undefined {
  return memberCall(call, origins) ?? curriedCall(call, origins);
}

/**
 * `wrapper.updateWhere(users, cond).set(values)`: a method of the object literal a builder returns, its body closing
 * over the builder's parameters (`updateWhere(table, cond) { return { set: (v) => db.update(table).set(v)… } }`).
 */
function memberCall(call: ts.CallExpression, origins: OriginResolver): BuilderCall | undefined {
  const callee = skipOuter(call.expression);
  if (!ts.isPropertyAccessExpression(callee)) return undefined;
  const inner = skipOuter(callee.expression);
  if (!ts.isCallExpression(inner)) return undefined;
  const origin = origins.expr(inner.expression);
  const declared = origin.kind === 'function' ? undefined : declaredMethodOf(origins, inner, origin);
  const target = origin.kind === 'function' ? origin.decl : declared;
  if (!target) return undefined;
  const returned = soleReturn(target);
  const object = returned && skipOuter(returned);
  if (!object || !ts.isObjectLiteralExpression(object)) return undefined;
  const member = object.properties.find((p) => p.name && ts.isIdentifier(p.name) && p.name.text === callee.name.text);
  const init = member && ts.isPropertyAssignment(member) ? skipOuter(member.initializer) : member;
  const fn =
    init && (ts.isArrowFunction(init) || ts.isFunctionExpression(init) || ts.isMethodDeclaration(init))
      ? init
      : undefined;
  if (!fn) return undefined;
  const bound = new Map<ts.ParameterDeclaration, ts.Expression>();
  for (const [decl, c] of [
    [target, inner],
    [fn, call],
  ] as const)
    decl.parameters.forEach((p, j) => {
      const a = c.arguments[j];
      if (a && !ts.isSpreadElement(a)) bound.set(p, a);
    });
  return { head: target, fn, headCall: inner, bound, ...(declared ? { noEdge: true as const } : {}) };
}

function curriedCall(call: ts.CallExpression, origins: OriginResolver): BuilderCall | undefined {
  const calls: ts.CallExpression[] = [call];
  for (let e = skipOuter(call.expression); calls.length <= MAX_CHAIN; ) {
    if (ts.isCallExpression(e)) {
      calls.unshift(e);
      e = skipOuter(e.expression);
      continue;
    }
    if (!ts.isIdentifier(e)) break;
    const o = origins.expr(e);
    if (o.kind !== 'expr' || !ts.isCallExpression(skipOuter(o.expr))) break;
    e = skipOuter(o.expr);
  }
  const headCall = calls[0]!;
  const target = origins.expr(headCall.expression);
  if (target.kind !== 'function') return undefined;
  const bound = new Map<ts.ParameterDeclaration, ts.Expression>();
  let fn: ts.FunctionLikeDeclaration = target.decl;
  for (let i = 0; ; i++) {
    const c = calls[i]!;
    fn.parameters.forEach((p, j) => {
      const a = c.arguments[j];
      if (a && !ts.isSpreadElement(a)) bound.set(p, a);
    });
    if (i === calls.length - 1) break;
    const next = returnedFunction(fn, origins);
    if (!next) return undefined;
    fn = next;
  }
  return { head: target.decl, fn, headCall, bound };
}

/** A call of `fn` itself (one of the methods a call may run), its parameters bound to the call's arguments. */
export function builderCallOf(call: ts.CallExpression, fn: ts.FunctionLikeDeclaration): BuilderCall {
  const bound = new Map<ts.ParameterDeclaration, ts.Expression>();
  fn.parameters.forEach((p, j) => {
    const a = call.arguments[j];
    if (a && !ts.isSpreadElement(a)) bound.set(p, a);
  });
  return { head: fn, fn, headCall: call, bound };
}

function returnedFunction(
  fn: ts.FunctionLikeDeclaration,
  origins: OriginResolver,
): ts.FunctionLikeDeclaration | undefined {
  const returned = soleReturn(fn);
  const r = returned && skipOuter(returned);
  if (!r) return undefined;
  if (ts.isArrowFunction(r) || ts.isFunctionExpression(r)) return r;
  const o = origins.expr(r);
  return o.kind === 'function' ? o.decl : undefined;
}

/**
 * The query calls a function's own body runs (inline callbacks included) whose SQL reads a parameter of it or of a
 * function enclosing it.
 */
export function templateKind(origins: OriginResolver): FactKind<ts.FunctionLikeDeclaration, Template[]> {
  return kindFor(origins);
}

const kinds = new WeakMap<OriginResolver, FactKind<ts.FunctionLikeDeclaration, Template[]>>();

function kindFor(origins: OriginResolver): FactKind<ts.FunctionLikeDeclaration, Template[]> {
  const known = kinds.get(origins);
  if (known) return known;
  const kind: FactKind<ts.FunctionLikeDeclaration, Template[]> = {
    name: 'table-builder-templates',
    compute: (fn) => templates(fn, origins),
    conservative: () => [],
    same: (a, b) => a.length === b.length && a.every((t, i) => t.query === b[i]!.query && t.node === b[i]!.node),
  };
  kinds.set(origins, kind);
  return kind;
}

/** Every parameter binding on the way from a call to a template's query: the call's own, then each inner builder's. */
export function bindingsOf(chain: BuilderCall, t: Template): Map<ts.ParameterDeclaration, ts.Expression> {
  const out = new Map(chain.bound);
  for (const v of t.via) for (const [p, a] of v.bound) out.set(p, a);
  return out;
}

/**
 * What an expression of the builder's body stands for at the call: parameters replaced by the arguments bound to them,
 * as far as they go.
 */
export function throughBindings(
  expr: ts.Expression,
  bound: ReadonlyMap<ts.ParameterDeclaration, ts.Expression>,
  origins: OriginResolver,
): ts.Expression {
  let e = expr;
  for (let i = 0; i <= bound.size; i++) {
    const o = origins.expr(e);
    const next = o.kind === 'param' && o.path.length === 0 ? bound.get(o.binding.decl) : undefined;
    if (!next) return e;
    e = next;
  }
  return e;
}

function templates(fn: ts.FunctionLikeDeclaration, origins: OriginResolver): Template[] {
  const out: Template[] = [];
  const visit = (n: ts.Node): boolean => {
    if (isFunctionLike(n) && !isInlineCallback(n)) return false;
    // A method of the codebase named like a library's (`this.query({ text, values })` of a store class that wraps
    // `this.db.query(statement)`) is a builder call, followed below, not a query: read as both, its one write would
    // be two sites at every call.
    const call = ts.isCallExpression(n) ? n : undefined;
    const inner = call && call.arguments.some((a) => readsParameter(a)) ? builderCall(call, origins) : undefined;
    if (!inner && ts.isCallExpression(n) && ts.isPropertyAccessExpression(skipOuter(n.expression))) {
      const callee = skipOuter(n.expression) as ts.PropertyAccessExpression;
      const method = callee.name.text;
      const adapter = adapters.find((a) => a.queryMethods[method]);
      const qm = adapter?.queryMethods[method];
      const sqlArg = qm ? n.arguments[qm.sqlArg] : undefined;
      if (adapter && qm && sqlArg && readsParameter(sqlArg)) {
        out.push({
          query: n,
          receiver: callee.expression,
          sqlArg,
          values: n.arguments[qm.sqlArg + 1],
          method,
          adapter,
          node: n,
          via: [],
        });
      } else {
        // A builder write on a table handed in (`insert(table, row) { return this.db.insert(table).values(row) }`).
        const read = builderTableOf(n);
        if (read && (readsParameter(read.table) || constructorField(read.table, origins)))
          out.push({
            query: n,
            receiver: callee.expression,
            sqlArg: read.table,
            values: undefined,
            method,
            adapter: read.adapter,
            node: n,
            via: [],
            builder: true,
          });
      }
    }
    // A builder called with this function's parameters: its writes are this function's to instantiate.
    if (inner && call)
      for (const t of origins.facts.get(kindFor(origins), inner.fn))
        if (!inner.noEdge || t.builder) out.push({ ...t, node: call, via: [inner, ...t.via] });
    // Another method of the class (`this.removeById(id)`): its writes on a field the constructor set are this
    // method's too, named by whatever constructs the instance.
    const callee = call && !inner ? skipOuter(call.expression) : undefined;
    const onThis =
      callee && ts.isPropertyAccessExpression(callee) && callee.expression.kind === ts.SyntaxKind.ThisKeyword;
    const sibling = onThis && call ? builderCall(call, origins) : undefined;
    if (sibling && call)
      for (const t of origins.facts.get(kindFor(origins), sibling.fn))
        if (t.builder && constructorField(t.sqlArg, origins)) out.push({ ...t, node: call, via: [sibling, ...t.via] });
    return true;
  };
  // An explicit stack (walk.ts): bodies nest deeper than a recursive walk can follow.
  if (fn.body && visit(fn.body)) walkDescendants(fn.body, visit);
  return out;
}

/**
 * A field the constructor sets from its parameter (`constructor(protected table: T)`, or `this.table = table`): the
 * table of `this.db.update(this.table)` in a generic base repository, named by whoever constructs the instance.
 */
export function constructorField(expr: ts.Expression, origins: OriginResolver): boolean {
  const e = skipOuter(expr);
  if (!ts.isPropertyAccessExpression(e) || e.expression.kind !== ts.SyntaxKind.ThisKeyword) return false;
  const o = origins.expr(e);
  return o.kind === 'param' && o.path.length === 0 && ts.isConstructorDeclaration(o.binding.fn);
}

/**
 * What the constructor parameters of the instance a call runs on were given: `repo.update(id, v)` with `const repo =
 * new UserRepo(db)` and `class UserRepo extends BaseRepo { constructor(db) { super(db, users) } }` binds `UserRepo`'s
 * `db` to `db` and `BaseRepo`'s `table` to `users`. Empty where the instance's construction is not in view.
 */
export function constructorBindings(
  call: ts.CallExpression,
  origins: OriginResolver,
): Map<ts.ParameterDeclaration, ts.Expression> {
  const out = new Map<ts.ParameterDeclaration, ts.Expression>();
  const callee = skipOuter(call.expression);
  if (!ts.isPropertyAccessExpression(callee)) return out;
  const made = origins.expr(callee.expression);
  const construction = made.kind === 'expr' ? skipOuter(made.expr) : undefined;
  if (!construction || !ts.isNewExpression(construction)) return out;
  const first = origins.expr(construction.expression);
  let cls = first.kind === 'class' ? first.decl : undefined;
  let args: readonly ts.Expression[] = construction.arguments ?? [];
  for (let depth = 0; cls && depth < 8; depth++) {
    const clause = cls.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0];
    const base = clause ? origins.expr(clause.expression) : undefined;
    const ctor = cls.members.find(ts.isConstructorDeclaration);
    if (ctor) {
      ctor.parameters.forEach((p, j) => {
        const a = args[j];
        if (a && !ts.isSpreadElement(a)) out.set(p, a);
      });
      const sup = ctor.body?.statements.find(
        (st) =>
          ts.isExpressionStatement(st) &&
          ts.isCallExpression(st.expression) &&
          st.expression.expression.kind === ts.SyntaxKind.SuperKeyword,
      );
      if (!sup) break;
      args = ((sup as ts.ExpressionStatement).expression as ts.CallExpression).arguments;
    }
    // A class without a constructor of its own hands its arguments to its base class's.
    cls = base?.kind === 'class' ? base.decl : undefined;
  }
  return out;
}

/** The expression a builder write's call names its table by, and the first library whose shape reads one there. */
export function builderTableOf(call: ts.CallExpression): { table: ts.Expression; adapter: DbAdapter } | undefined {
  for (const adapter of adapters) {
    const table = adapter.builderTable?.(call);
    if (table && !ts.isSpreadElement(table)) return { table, adapter };
  }
  return undefined;
}

/**
 * Does the SQL argument read a parameter (of a function that is not an inline callback), directly or through local
 * consts?
 */
export function readsParameter(expr: ts.Expression): boolean {
  // An explicit stack: SQL built from thousands of `+` terms nests as deep as it is long.
  const seen = new Set<ts.Node>();
  const work: ts.Node[] = [expr];
  const push = (c: ts.Node): void => {
    work.push(c);
  };
  while (work.length) {
    const n = work.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    if (ts.isIdentifier(n)) {
      if (ts.isPropertyAccessExpression(n.parent) && n.parent.name === n) continue;
      const b = lookup(n);
      if (b?.kind === 'parameter' && !isInlineCallback(b.fn)) return true;
      if (b?.kind === 'variable' && b.decl.initializer && b.decl.getSourceFile() === expr.getSourceFile()) {
        work.push(b.decl.initializer);
        // A statement grown in place (`q.append(table)`, statement-appends.ts): its pieces are its text too.
        const init = b.decl.initializer;
        if (b.path.length === 0 && (appendChain(init) || ts.isTaggedTemplateExpression(init))) {
          const grown = appendsBefore(b.decl, n);
          if ('appends' in grown) work.push(...grown.appends.map((a) => a.piece));
        }
      }
      continue;
    }
    if (isFunctionLike(n)) continue;
    ts.forEachChild(n, push);
  }
  return false;
}

/**
 * The outermost function (not an inline callback) enclosing a node: the one whose callers instantiate its templates.
 */
export function ownerOf(node: ts.Node): ts.FunctionLikeDeclaration | undefined {
  let owner: ts.FunctionLikeDeclaration | undefined;
  for (let n = node.parent; n; n = n.parent) if (isFunctionLike(n) && !isInlineCallback(n)) owner = n;
  return owner;
}

/** How a builder is named in evidence: `buildInsert` (src/builders.ts:9). */
export function builderLabel(chain: BuilderCall, t: Template, root: string): string {
  const names = [chain.head, ...t.via.map((v) => v.head)].map((f) => `\`${functionName(f)}\``);
  return `the table-generic builder ${names.join(' → ')} (${where(t.query, root)})`;
}

/**
 * After verdicts: a template whose builder's every call was instantiated is dropped (each
 * call is its own site); one whose builder is called where no instance could be made, or
 * whose callers cannot all be seen, stays unresolved and says why. Sites made at a caller
 * carry the builder in their evidence.
 */
export function settleTemplates(
  files: FileFacts[],
  verdicts: Map<RawSite, SiteVerdict>,
  wholeProgram: boolean,
  root: string,
  origins?: OriginResolver,
): void {
  joinAlternatives(files, verdicts, root);
  // What the program says of templates, gathered when the first templated site asks (most programs have few or none,
  // and an editor's session concludes after every edit).
  let program: ReturnType<typeof gather> | undefined;
  for (const f of files) {
    f.sites = f.sites.filter((site) => {
      const verdict = verdicts.get(site);
      if (!verdict) return true;
      if (site.textNote && !verdict.evidence.includes(site.textNote))
        verdicts.set(site, { ...verdict, evidence: `${verdict.evidence}; ${site.textNote}` });
      const noted = verdicts.get(site)!;
      if (site.builtBy && !noted.evidence.includes(site.builtBy))
        verdicts.set(site, { ...noted, evidence: `${noted.evidence}; written by ${site.builtBy}` });
      const owner = site.template;
      if (!owner) return true;
      const { instantiated, callers, escaped, judged } = (program ??= gather(files));
      const name = functionName(owner);
      const allCalls = callers.get(owner) ?? [];
      // A test's call judges the test's write, which is set aside: production code called only by tests keeps its
      // own site, or its write would leave the app's report with the tests (the same rule as a connection
      // parameter's callers, program.ts).
      const calls = isTestFile(owner, root) ? allCalls : allCalls.filter((c) => !isTestFile(c, root));
      const onlyTests = allCalls.length > 0 && calls.length === 0;
      const made = instantiated.get(site.call) ?? new Set();
      // A call judged as a query where it is made (`this.db.query(stmt)` through an executor interface) has had this
      // write judged there already, on the connection its receiver is.
      const missed = calls.find((c) => !made.has(c) && !judged.has(c));
      // `class C implements Pick<Store, 'put'>`: calls through that type reach the method unseen.
      const contract = origins && unfollowedContract(origins, owner);
      const mayBeElsewhere = escaped.has(owner) || (!wholeProgram && isExportedOwner(owner));
      if (calls.length > 0 && !missed && !mayBeElsewhere && !contract) return false;
      const why = escaped.has(owner)
        ? `\`${name}\` is passed around as a value, so the calls that name its table cannot all be followed`
        : missed
          ? `the call at ${where(missed, root)} does not complete it into a write rls-guard can follow`
          : mayBeElsewhere
            ? `its calls are in other files`
            : contract
              ? `its class implements \`${contract}\`, through which its callers cannot all be followed`
              : onlyTests
                ? `it is called only from tests (${where(allCalls[0]!, root)}), whose writes are set aside`
                : `no call of \`${name}\` was found`;
      const deferred = !wholeProgram && mayBeElsewhere && !escaped.has(owner);
      verdicts.set(site, {
        ...verdict,
        coverage: 'unresolved',
        // The template's own problem (its SQL, or its builder's table), which the calls could not settle.
        problem:
          contract && !missed
            ? 'callersUnknown'
            : verdict.coverage === 'unresolved'
              ? verdict.problem
              : 'tableUnknown',
        via: null,
        evidence: site.holeFixed
          ? verdicts.get(site)!.evidence
          : `${verdicts.get(site)!.evidence}; the table comes from a parameter of \`${name}\`, which is judged ` +
            `at each call that names it, and ${why}`,
        deferred,
        crossFile: isExportedOwner(owner),
      });
      return true;
    });
  }
}

/**
 * One write at a builder call reached through several of the builder's query calls (`query(text)` running the
 * caller's text in a transaction that sets the org context when a tenant is stored, on the bare pool otherwise): which
 * one runs is decided at run time, so the write is the worst of them, its evidence naming the others when they differ.
 */
function joinAlternatives(files: FileFacts[], verdicts: Map<RawSite, SiteVerdict>, root: string): void {
  for (const f of files) {
    if (!f.sites.some((s) => s.alternativeOf)) continue;
    const groups = new Map<RawSite, RawSite[]>();
    for (const s of f.sites) {
      const head = s.alternativeOf ?? s;
      const group = groups.get(head);
      if (group) group.push(s);
      else groups.set(head, [s]);
    }
    const dropped = new Set<RawSite>();
    for (const group of groups.values()) {
      if (group.length < 2) continue;
      const judged = group.filter((s) => verdicts.has(s));
      if (judged.length < 2) continue;
      const worst = judged.reduce((w, s) => (rank(verdicts.get(s)!) < rank(verdicts.get(w)!) ? s : w));
      const v = verdicts.get(worst)!;
      const others = judged.filter((s) => s !== worst && verdicts.get(s)!.coverage !== v.coverage);
      for (const s of judged) if (s !== worst) dropped.add(s);
      if (others.length === 0) continue;
      const theirs = others.map((s) => `${verdicts.get(s)!.coverage} through ${s.builtBy ?? where(s.call, root)}`);
      verdicts.set(worst, {
        ...v,
        evidence:
          `${v.evidence}; the worst of the ${judged.length} ways this call may run it ` +
          `(also ${theirs.join(', ')})`,
      });
    }
    if (dropped.size) f.sites = f.sites.filter((s) => !dropped.has(s));
  }
}

function gather(files: readonly FileFacts[]): {
  instantiated: Map<ts.Node, Set<ts.Node>>;
  callers: Map<ts.FunctionLikeDeclaration, ts.Node[]>;
  escaped: Set<ts.FunctionLikeDeclaration>;
  judged: Set<ts.Node>;
} {
  const instantiated = new Map<ts.Node, Set<ts.Node>>();
  const callers = new Map<ts.FunctionLikeDeclaration, ts.Node[]>();
  const escaped = new Set<ts.FunctionLikeDeclaration>();
  const judged = new Set<ts.Node>();
  for (const f of files) {
    for (const c of f.judgedCalls ?? []) judged.add(c);
    for (const i of f.instantiations) {
      const set = instantiated.get(i.template) ?? new Set();
      instantiated.set(i.template, set.add(i.headCall));
      if (i.callee) {
        const list = callers.get(i.callee);
        if (!list) callers.set(i.callee, [i.headCall]);
        else if (!list.includes(i.headCall)) list.push(i.headCall);
      }
    }
    for (const e of f.edges) {
      const list = callers.get(e.callee);
      if (list) list.push(e.call);
      else callers.set(e.callee, [e.call]);
    }
    for (const fn of f.escapedFunctions) escaped.add(fn);
  }
  return { instantiated, callers, escaped, judged };
}

function isExportedOwner(fn: ts.FunctionLikeDeclaration): boolean {
  const name = functionName(fn);
  if (name === '<anonymous>' || ts.isMethodDeclaration(fn)) return true;
  return (
    isExported(fn.getSourceFile(), name) ||
    !!ts.getModifiers(fn as ts.FunctionDeclaration)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
  );
}
