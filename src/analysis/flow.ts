import ts from 'typescript';
import {
  adapterForModule,
  adapters,
  type BuilderContext,
  type BuilderWrite,
  type DbAdapter,
} from '../adapters/index.js';
import { normalizeQualifiedName } from '../schema/names.js';
import type { StatementEffect } from '../sql/classify.js';
import type { AnalysisConfig } from './config.js';
import type { ConnState, ContextEvidence, FileFacts, QueryNode, RawSite, RawWrite } from './facts.js';
import { constructionOf, soleReturn } from './construction.js';
import { type Handle, type HandleResolver, where } from './handles.js';
import { chainRoot, embeddingCall } from './fragments.js';
import { importedLibraries, isInstalledPackage, usesLibrary } from './library-evidence.js';
import { type OriginResolver, shortText } from '../code/origins.js';
import { isFunctionLike, skipOuter } from '../code/scope.js';
import { setterVia } from './providers/setters.js';
import type { SqlTextFolder } from '../code/sql-text.js';
import { contextSetFinding, localOutsideTransaction, type Report } from './context-findings.js';
import { draftSite, gaveUpSite, siteVerdict, unique, unresolvedSqlSite } from './write-sites.js';
import { CallEdges, type EdgeWalker } from './call-edges.js';
import { connectionKey, copy, freshState, join, type State } from './connection-state.js';
import { definerCalls, effectWrites, resolveSql } from './sql-resolution.js';
import { fileBudget, functionRoots, withinBudget } from './budget.js';
import { ambientAdapter } from './ambient/providers.js';
import {
  bindingsOf,
  builderCall,
  builderLabel,
  ownerOf,
  readsParameter,
  templateKind,
  throughBindings,
} from './table-builders.js';

// Walks each function in evaluation order, tracking per connection whether a transaction is
// open and whether the org context is set in it, joining states where branches meet (a
// context set on only one branch does not cover a write after the branch).

const TRANSACTION_CONTROL = new Set(adapters.flatMap((a) => Object.keys(a.transactionControl ?? {})));

export interface FlowDeps {
  root: string;
  config: AnalysisConfig;
  origins: OriginResolver;
  handles: HandleResolver;
  folder: SqlTextFolder;
}

/** A table-generic builder's write made at one of its calls. */
interface Instance {
  handle: Handle;
  bound: ReadonlyMap<ts.ParameterDeclaration, ts.Expression>;
  /** The query call in the builder's body. */
  query: ts.CallExpression;
  builtBy: string;
}

export function analyzeFlow(sf: ts.SourceFile, deps: FlowDeps): FileFacts {
  const facts: FileFacts = {
    sf,
    sites: [],
    edges: [],
    callbackUses: [],
    findings: [],
    escapedFunctions: new Set(),
    settingsSet: new Set(),
    gaveUp: [],
    instantiations: [],
  };
  new FlowWalker(deps, facts).run();
  return facts;
}

class FlowWalker implements EdgeWalker {
  /** Writes made so far in each connection's open transaction, to say "the context was set only later". */
  private readonly txWrites = new Map<ts.Node, RawWrite[]>();
  private readonly drafts: { site: RawSite; writes: RawWrite[] }[] = [];
  private builderCtx: BuilderContext | undefined;
  /** Inside prisma.$transaction([…]): queries on the client run on the transaction instead. */
  private redirect: { from: ts.Node; to: Handle } | undefined;
  /** The function being interpreted (inline callbacks belong to it); undefined at module level. */
  root: ts.FunctionLikeDeclaration | undefined;
  /** Each connection's state before the current root first used it (per root: captured-ness depends on it). */
  private readonly untouched = new Map<ts.Node, ConnState>();
  private readonly report: Report = (ruleId, node, messageId, data, key) => {
    this.facts.findings.push({ ruleId, node, messageId, data, key });
  };

  /** Calls of the codebase's functions: the edges that carry connections into them. */
  private readonly edges: CallEdges;

  constructor(
    private readonly deps: FlowDeps,
    private readonly facts: FileFacts,
  ) {
    this.edges = new CallEdges(deps, facts, this);
  }

  run(): void {
    const sf = this.facts.sf;
    const facts = this.deps.origins.facts;
    const budget = fileBudget(facts, sf);
    // Each function under the work budget: one that runs out (or nests deeper than the walk
    // can follow) becomes an unresolved site naming it; its writes found so far stay.
    const guarded = (node: ts.Node, body: () => void): void => {
      const stopped = withinBudget(facts, budget, node, body);
      if (stopped) {
        this.redirect = undefined; // an interrupted prisma.$transaction([…]) did not restore it
        this.facts.sites.push(gaveUpSite(node, stopped));
        this.facts.gaveUp.push({ node, reason: stopped });
      }
    };
    guarded(sf, () => this.statements(sf.statements, new Map()));
    this.untouched.clear();
    for (const fn of functionRoots(sf, (n) => !isInlineCallback(n), isFunctionLike)) {
      if (budget.exhausted) break;
      this.root = fn;
      this.untouched.clear();
      guarded(fn, () => {
        if (ts.isBlock(fn.body!)) this.statements(fn.body.statements, new Map());
        else this.expression(fn.body!, new Map());
      });
      this.root = undefined;
    }
    for (const { site, writes } of this.drafts) site.verdict = siteVerdict(this.deps, site, writes);
  }

  // ---- statements: a small abstract interpreter over the control-flow structure ----

  private statements(list: readonly ts.Statement[], state: State): State {
    let s = state;
    for (const st of list) s = this.statement(st, s);
    return s;
  }

  private statement(st: ts.Statement, state: State): State {
    if (state === null) return null;
    this.deps.origins.facts.step();
    if (ts.isBlock(st)) return this.statements(st.statements, state);
    if (ts.isExpressionStatement(st)) return this.expression(st.expression, state);
    if (ts.isVariableStatement(st)) {
      let s: State = state;
      for (const d of st.declarationList.declarations) if (d.initializer) s = this.expression(d.initializer, s);
      return s;
    }
    if (ts.isReturnStatement(st) || ts.isThrowStatement(st)) {
      if (st.expression) this.expression(st.expression, state);
      return null;
    }
    if (ts.isIfStatement(st)) {
      const s = this.expression(st.expression, state);
      const a = this.statement(st.thenStatement, copy(s));
      const b = st.elseStatement ? this.statement(st.elseStatement, copy(s)) : s;
      return join(a, b, this.untouched, this.deps.config.bypassRoles);
    }
    if (ts.isTryStatement(st)) {
      const t = this.statements(st.tryBlock.statements, copy(state));
      let result = t;
      if (st.catchClause) {
        // The catch block may start after any statement of the try block; approximate by both ends.
        const entry = join(copy(state), copy(t), this.untouched, this.deps.config.bypassRoles);
        result = join(
          t,
          this.statements(st.catchClause.block.statements, entry),
          this.untouched,
          this.deps.config.bypassRoles,
        );
      }
      if (st.finallyBlock) {
        if (result === null) this.statements(st.finallyBlock.statements, copy(state));
        else result = this.statements(st.finallyBlock.statements, result);
      }
      return result;
    }
    if (
      ts.isForStatement(st) ||
      ts.isForOfStatement(st) ||
      ts.isForInStatement(st) ||
      ts.isWhileStatement(st) ||
      ts.isDoStatement(st)
    ) {
      let s: State = state;
      if (ts.isForStatement(st)) {
        if (st.initializer)
          s = ts.isVariableDeclarationList(st.initializer)
            ? this.declarations(st.initializer, s)
            : this.expression(st.initializer, s);
        if (st.condition) s = this.expression(st.condition, s);
      } else if (ts.isForOfStatement(st) || ts.isForInStatement(st) || ts.isWhileStatement(st)) {
        s = this.expression(st.expression, s);
      }
      const body = this.statement(st.statement, copy(s));
      if (ts.isDoStatement(st)) return body === null ? null : this.expression(st.expression, body);
      return join(s, body, this.untouched, this.deps.config.bypassRoles);
    }
    if (ts.isSwitchStatement(st)) {
      const s = this.expression(st.expression, state);
      let result: State = st.caseBlock.clauses.some((c) => ts.isDefaultClause(c)) ? null : s;
      let fallthrough: State = null;
      for (const clause of st.caseBlock.clauses) {
        const entry = join(copy(s), fallthrough, this.untouched, this.deps.config.bypassRoles);
        const out = this.statements(clause.statements, entry);
        const breaks = clause.statements.some((x) => ts.isBreakStatement(x));
        if (breaks) {
          result = join(result, out, this.untouched, this.deps.config.bypassRoles);
          fallthrough = null;
        } else fallthrough = out;
      }
      return join(result, fallthrough, this.untouched, this.deps.config.bypassRoles);
    }
    if (ts.isLabeledStatement(st)) return this.statement(st.statement, state);
    if (ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st)) return state;
    let s: State = state;
    ts.forEachChild(st, (child) => {
      if (ts.isExpression(child)) s = this.expression(child, s);
    });
    return s;
  }

  private declarations(list: ts.VariableDeclarationList, state: State): State {
    let s = state;
    for (const d of list.declarations) if (d.initializer) s = this.expression(d.initializer, s);
    return s;
  }

  // ---- expressions: calls in evaluation order (arguments before the call) ----

  private expression(expr: ts.Expression, state: State): State {
    if (state === null) return null;
    let s: State = state;
    const visit = (node: ts.Node): void => {
      this.deps.origins.facts.step();
      if (isFunctionLike(node)) {
        // Inline callbacks run where they are passed (map, forEach, transaction helpers).
        if (isInlineCallback(node) && node.body) {
          const body = node.body;
          const out = ts.isBlock(body) ? this.statements(body.statements, copy(s)) : this.expression(body, copy(s));
          s = join(s, out, this.untouched, this.deps.config.bypassRoles);
        }
        return;
      }
      if (ts.isClassLike(node)) return;
      if (ts.isConditionalExpression(node)) {
        visit(node.condition);
        const before = s;
        s = copy(before);
        visit(node.whenTrue);
        const a = s;
        s = copy(before);
        visit(node.whenFalse);
        s = join(a, s, this.untouched, this.deps.config.bypassRoles);
        return;
      }
      if (ts.isCallExpression(node) && s !== null) {
        const seq = this.sequence(node, s);
        if (seq !== undefined) {
          s = seq;
          return;
        }
      }
      ts.forEachChild(node, visit);
      if (ts.isCallExpression(node)) this.call(node, s);
      else if (ts.isTaggedTemplateExpression(node)) this.tagged(node, s);
      else if (ts.isNewExpression(node)) this.edges.construct(node, s);
      else if (ts.isIdentifier(node)) this.edges.noteEscape(node);
    };
    visit(expr);
    return s;
  }

  private call(call: ts.CallExpression, state: State): void {
    if (state === null) return;
    const callee = skipOuter(call.expression);
    if (ts.isPropertyAccessExpression(callee)) {
      const method = callee.name.text;
      for (const adapter of adapters) {
        const qm = adapter.queryMethods[method];
        if (qm) {
          const arg = call.arguments[qm.sqlArg];
          if (arg && this.query(call, callee.expression, arg, adapter, state, method)) return;
        }
      }
      for (const adapter of adapters) {
        const raw = adapter.sqlExecute?.(call);
        if (raw && this.query(call, raw.executor, raw.sql, adapter, state)) return;
      }
      if (this.transactionControl(call, callee, state)) return;
      if (this.release(call, callee, state)) return;
      if (this.builder(call, state)) return;
    }
    this.builderInstances(call, state);
    this.edges.helperCall(call, state);
  }

  /** queryRunner.startTransaction() and friends: BEGIN, COMMIT and ROLLBACK as method calls. */
  private transactionControl(
    call: ts.CallExpression,
    callee: ts.PropertyAccessExpression,
    state: Map<ts.Node, ConnState>,
  ): boolean {
    // Every method call passes here: trace the receiver only for a transaction-control name.
    if (!TRANSACTION_CONTROL.has(callee.name.text)) return false;
    const handle = this.deps.handles.of(callee.expression);
    if (handle.kind !== 'executor') return false;
    const control = handle.adapter.transactionControl?.[callee.name.text];
    if (!control) return false;
    // Rolling back to a savepoint undoes the settings made after it: drop the context (fail closed).
    const toSavepoint = control === 'rollback-to-savepoint';
    this.execute(
      call,
      handle,
      handle.adapter.api,
      [
        {
          writes: [],
          calls: [],
          contextSets: [],
          contextResets: toSavepoint ? ['*'] : [],
          transaction: toSavepoint ? null : control,
          kind: 'TransactionStmt',
        },
      ],
      '',
      [],
      state,
    );
    return true;
  }

  /**
   * `client.release()`: the checked-out client goes back to the pool. Whatever session state it
   * carried (a session set_config, SET ROLE) is no longer this code's: a later statement on
   * it covers nothing (fail closed), and says why.
   */
  private release(
    call: ts.CallExpression,
    callee: ts.PropertyAccessExpression,
    state: Map<ts.Node, ConnState>,
  ): boolean {
    if (callee.name.text !== 'release' || call.arguments.length > 1) return false;
    const handle = this.deps.handles.of(callee.expression);
    if (handle.kind !== 'executor' || handle.exec !== 'pool-client') return false;
    state.set(handle.key, { tx: false, ctx: null, session: null, ineffective: null, role: null, released: call });
    return true;
  }

  /**
   * prisma.$transaction([a, b]): the array's queries run in order on one connection inside
   * one transaction, so a context set by the first covers the writes after it.
   */
  private sequence(call: ts.CallExpression, state: Map<ts.Node, ConnState>): State | undefined {
    const callee = skipOuter(call.expression);
    const list = call.arguments[0] && skipOuter(call.arguments[0]);
    if (!ts.isPropertyAccessExpression(callee) || !list || !ts.isArrayLiteralExpression(list)) return undefined;
    const handle = this.deps.handles.of(callee.expression);
    if (handle.kind !== 'executor' || !handle.adapter.sequenceMethods?.includes(callee.name.text)) return undefined;
    const tx: Handle = {
      ...handle,
      exec: 'client',
      key: call,
      transaction: `${callee.name.text}([…])`,
      label: `the transaction ${shortText(callee, 30)}([…]) at ${where(call, this.deps.root)}`,
    };
    const saved = this.redirect;
    this.redirect = { from: handle.key, to: tx };
    let s: State = state;
    s.set(call, { tx: true, ctx: null, session: null, ineffective: null });
    for (const el of list.elements) s = this.expression(el, s);
    this.redirect = saved;
    return s;
  }

  /** sql`…` on a postgres.js executor, prisma.$executeRaw`…`: a template that runs SQL. */
  private tagged(node: ts.TaggedTemplateExpression, state: State): void {
    if (state === null) return;
    // A template inside another's interpolation is a fragment of that query, not a query.
    if (ts.isTemplateSpan(node.parent)) return;
    const tag = skipOuter(node.tag);
    if (ts.isPropertyAccessExpression(tag)) {
      const method = tag.name.text;
      for (const adapter of adapters) {
        if (adapter.tagMethods?.includes(method) && this.query(node, tag.expression, node, adapter, state)) return;
      }
    }
    const handle = this.deps.handles.of(tag);
    if (handle.kind === 'executor' && handle.adapter.executorIsTag) this.query(node, tag, node, handle.adapter, state);
    else if (
      handle.kind === 'scoped' ||
      handle.kind === 'admin' ||
      (handle.kind === 'param' && handle.typed?.adapter.executorIsTag)
    ) {
      const adapter = adapters.find((a) => a.executorIsTag);
      if (adapter) this.query(node, tag, node, adapter, state);
    }
  }

  // ---- a query call ----

  /**
   * `instance`: a write of a table-generic builder's body made at a call of it, its parameters
   * bound to that call's arguments (table-builders.ts).
   */
  private query(
    call: QueryNode,
    receiver: ts.Expression,
    sqlArg: ts.Expression,
    asked: DbAdapter,
    state: Map<ts.Node, ConnState>,
    method?: string,
    instance?: Instance,
  ): boolean {
    const handle = instance?.handle ?? this.deps.handles.of(receiver);
    if (handle.kind === 'library' || (handle.kind === 'not-db' && !handle.reason.startsWith('a value from package')))
      return false;
    // The executor's own library decides what its methods do (TypeORM's query() is not knex's).
    const own =
      handle.kind === 'executor'
        ? handle.adapter
        : handle.kind === 'param' && handle.typed
          ? handle.typed.adapter
          : handle.kind === 'admin'
            ? handle.adapter
            : handle.kind === 'ambient'
              ? ambientAdapter(handle)
              : undefined;
    if (own && own !== asked && method !== undefined)
      return own.queryMethods[method] !== undefined && this.query(call, receiver, sqlArg, own, state, method, instance);
    const adapter = own ?? asked;
    // An instance is trusted as its builder's own query is (a typed parameter), or as the connection this call passes.
    const trusted =
      isTrusted(handle, own) || (instance !== undefined && isTrusted(this.deps.handles.of(receiver), own));
    const queryCall = instance?.query ?? call;
    const values = ts.isCallExpression(queryCall)
      ? queryCall.arguments[queryCall.arguments.indexOf(sqlArg) + 1]
      : undefined;
    // The parameter is a bound value: the builder's own site.
    if (instance && resolveSql(this.deps, sqlArg, values, adapter.placeholders).ok) return false;
    const sql = instance
      ? this.deps.folder.withArgs(instance.bound, () => resolveSql(this.deps, sqlArg, values, adapter.placeholders))
      : resolveSql(this.deps, sqlArg, values, adapter.placeholders);
    // Non-constant SQL on a connection that cannot be traced: a site (unresolved) when the file
    // imports the library whose query method this is and the method is not one of the
    // codebase's own (`this.query(db, …)` of a repository class); otherwise nothing says it runs SQL.
    if (
      !sql.ok &&
      !trusted &&
      !(
        isUntraced(handle) &&
        importedLibraries(this.facts.sf).has(adapter) &&
        !(ts.isCallExpression(call) && this.deps.origins.expr(call.expression).kind === 'function')
      )
    )
      return false;
    if (
      sql.ok &&
      !trusted &&
      !sql.statements.some(
        (st) =>
          effectWrites(st.effect, this.deps.config).length > 0 ||
          st.effect.contextSets.length > 0 ||
          definerCalls(st.effect, this.deps.config).some((d) => !this.deps.config.readOnlyDefiners.has(d)),
      )
    ) {
      return false;
    }
    const api = handle.kind === 'not-db' ? 'other' : adapter.api;
    if (
      !sql.ok &&
      method !== undefined &&
      ts.isCallExpression(queryCall) &&
      this.builderFragment(queryCall, adapter, method)
    )
      return true;
    const before = this.facts.sites.length;
    if (!sql.ok) {
      // SQL naming its table through a builder's parameter: judged at each call (table-builders.ts).
      const readsParam = instance
        ? ts.isCallExpression(call) && call.arguments.some((a) => readsParameter(a))
        : readsParameter(sqlArg);
      const template = ts.isCallExpression(call) && readsParam ? ownerOf(call) : undefined;
      const untraced =
        !trusted && 'reason' in handle ? `; nor can the connection that runs it be traced: ${handle.reason}` : '';
      const why = instance
        ? `the table ${instance.builtBy} writes comes from this call's arguments, which do not name one: ${sql.reason}`
        : sql.reason;
      const reason = `${why}${untraced}`;
      this.facts.sites.push({
        ...unresolvedSqlSite(call, handle, api, reason, instance ? 'the write' : undefined),
        ...(template ? { template } : {}),
      });
    } else
      this.execute(
        call,
        handle,
        api,
        sql.statements.map((st) => st.effect),
        sql.normalized,
        sql.variants,
        state,
      );
    if (instance) for (const site of this.facts.sites.slice(before)) site.builtBy = instance.builtBy;
    return true;
  }

  /**
   * knex.raw('count(*)') inside .select(…), a value object or .where(…) of a builder on a
   * database connection: a fragment of that builder's statement (reported by its verb), not a
   * query. Only when its text is not a whole statement: a raw DELETE passed anywhere still runs.
   */
  private builderFragment(call: ts.CallExpression, adapter: DbAdapter, method: string): boolean {
    if (!adapter.fragmentMethods?.includes(method)) return false;
    const outer = embeddingCall(call);
    if (!outer) return false;
    const root = this.deps.handles.of(chainRoot(outer));
    return root.kind === 'executor' || root.kind === 'scoped' || root.kind === 'admin' || root.kind === 'param';
  }

  /** A query-builder or ORM write: its executor traced like a query's receiver, its table from the adapter. */
  private builder(call: ts.CallExpression, state: Map<ts.Node, ConnState>): boolean {
    let untraced: { adapter: DbAdapter; w: BuilderWrite; handle: Handle } | undefined;
    for (const adapter of adapters) {
      const w = adapter.builderWrite?.(call, this.builderContext);
      if (!w) continue;
      const handle = this.deps.handles.of(w.executor);
      const ours =
        ((handle.kind === 'executor' || handle.kind === 'admin') && handle.adapter === adapter) ||
        (handle.kind === 'param' && (handle.typed ? handle.typed.adapter === adapter : w.distinctive === true)) ||
        (handle.kind === 'ambient' && ambientAdapter(handle) === adapter);
      // Scope helpers and admin providers hand out whatever their library's executor is: the
      // call's shape must then say which library it is.
      if (!ours && !((handle.kind === 'scoped' || handle.kind === 'admin') && w.distinctive)) {
        // Fail closed: a write whose shape is the library's own, in a file that uses the
        // library, on a connection that cannot be traced, is reported unresolved rather than
        // dropped (library-evidence.ts). A bare db.delete(x) qualifies only on a value imported
        // from this repository's code that did not resolve (a path alias, a workspace package),
        // never on a global or an installed package's value (a Map's or Headers' .delete()).
        // Of several libraries whose shape fits (db.insert(x): knex and Drizzle), the one whose shape is distinctive.
        if (
          (!untraced || (w.distinctive && !untraced.w.distinctive)) &&
          isUntraced(handle) &&
          usesLibrary(this.facts.sf, adapter) &&
          (w.distinctive === true ||
            (handle.kind === 'unknown' && handle.libraries?.includes(adapter)) ||
            this.fromUnresolvedCode(w.executor))
        )
          untraced = { adapter, w, handle };
        continue;
      }
      this.builderSite(call, adapter, w, handle, state);
      return true;
    }
    if (!untraced) return false;
    this.builderSite(call, untraced.adapter, untraced.w, untraced.handle, state);
    return true;
  }

  private fromUnresolvedCode(executor: ts.Expression): boolean {
    let e = skipOuter(executor);
    while (ts.isPropertyAccessExpression(e)) e = skipOuter(e.expression);
    const o = this.deps.origins.expr(e);
    if (o.kind === 'unknown') return o.reason.startsWith('cannot resolve');
    return (
      o.kind === 'external' && !adapterForModule(o.module) && !isInstalledPackage(this.facts.sf.fileName, o.module)
    );
  }

  private builderSite(
    call: ts.CallExpression,
    adapter: DbAdapter,
    w: BuilderWrite,
    handle: Handle,
    state: Map<ts.Node, ConnState>,
  ): void {
    if ('unresolved' in w.table) {
      // Name every missing piece: the table, and the connection when it is untraced too.
      const reason =
        isUntraced(handle) && 'reason' in handle
          ? `${w.table.unresolved}; nor can the connection that runs it be traced: ${handle.reason}`
          : w.table.unresolved;
      this.facts.sites.push({
        ...unresolvedSqlSite(call, handle, adapter.api, reason, 'the write'),
        operation: w.operation,
      });
      return;
    }
    const effect: StatementEffect = {
      writes: [{ operation: w.operation, table: w.table.name }],
      calls: [],
      contextSets: [],
      contextResets: [],
      transaction: null,
      kind: 'builder',
    };
    this.execute(call, handle, adapter.api, [effect], `${adapter.api}:${w.operation}:${w.table.name}`, [], state);
  }

  private get builderContext(): BuilderContext {
    const origins = this.deps.origins;
    const folder = this.deps.folder;
    const defaultSchema = this.deps.config.defaultSchema;
    return (this.builderCtx ??= {
      root: this.deps.root,
      constant: (expr) => {
        const f = folder.constant(expr);
        return f.ok && f.variants.length === 1 ? f.variants[0] : undefined;
      },
      definition: (expr) => {
        const o = origins.expr(expr);
        return o.kind === 'expr' ? o.expr : undefined;
      },
      classOf: (expr) => {
        const o = origins.expr(expr);
        return o.kind === 'class' ? o.decl : undefined;
      },
      declaredType: (expr) => {
        const o = origins.expr(expr);
        return o.kind === 'param' && o.path.length === 0 ? o.binding.decl.type : undefined;
      },
      qualify: (name, schema) => normalizeQualifiedName(schema ? `${schema}.${name}` : name, defaultSchema),
      tableExists: (qualified) => this.deps.config.knownTables?.has(qualified) ?? false,
      construction: (executor) => constructionOf(executor, this.deps.handles),
      packageExport: (expr) => {
        const o = origins.expr(expr);
        return o.kind === 'external' ? { module: o.module, path: o.path } : undefined;
      },
      returnedBy: (call) => {
        const o = origins.expr(call.expression);
        return o.kind === 'function' ? soleReturn(o.decl) : undefined;
      },
    });
  }

  /** Applies the statements a call runs to its connection's state, and records the write site. */
  private execute(
    call: QueryNode,
    original: Handle,
    api: string,
    effects: StatementEffect[],
    normalized: string,
    variants: string[],
    state: Map<ts.Node, ConnState>,
    bySetter = false,
  ): void {
    const handle =
      this.redirect && original.kind === 'executor' && original.key === this.redirect.from
        ? this.redirect.to
        : original;
    const key = connectionKey(handle);
    const conn = key ? this.stateOf(state, key, handle) : freshState(handle);
    const writes: RawWrite[] = [];
    const definer: string[] = [];
    // Several statements in one simple-protocol string run as one implicit transaction,
    // unless the string opens an explicit one (then the transaction outlives the call).
    let implicit = effects.length > 1 && conn.tx !== true;
    let pendingWrites: RawWrite[] = (key && this.txWrites.get(key)) || [];
    for (const effect of effects) {
      if (effect.transaction === 'begin') {
        conn.tx = true;
        conn.ctx = null;
        pendingWrites = [];
        implicit = false;
      } else if (effect.transaction === 'commit' || effect.transaction === 'rollback') {
        conn.tx = false;
        conn.ctx = null;
        if (conn.role?.local) conn.role = null;
        pendingWrites = [];
      }
      if (effect.role)
        conn.role = effect.role.name === null ? null : { name: effect.role.name, at: call, local: effect.role.local };
      for (const set of effect.contextSets) {
        this.facts.settingsSet.add(set.setting);
        if (!this.deps.config.contextSettings.has(set.setting)) continue;
        const ev: ContextEvidence = { via: set.via, at: call, local: set.local === true, setting: set.setting };
        // A setter's session-wide set is reported in its body; only a pool it is handed is news here.
        if (!bySetter || (handle.kind === 'executor' && handle.exec === 'pool'))
          contextSetFinding(this.deps, this.report, call, handle, set.local, ev, implicit);
        if (handle.kind === 'executor' && handle.exec === 'pool' && !implicit) continue;
        if (set.local === true) {
          if (conn.tx === true || conn.tx === 'inherited' || implicit) {
            const earlier =
              conn.ctx && conn.ctx !== 'inherited' && conn.ctx.setting !== ev.setting
                ? [conn.ctx, ...(conn.ctx.also ?? [])].filter((x) => x.setting !== ev.setting)
                : [];
            conn.ctx = earlier.length ? { ...ev, also: earlier } : ev;
            for (const w of pendingWrites) w.state.setLater ??= ev;
          } else {
            conn.ineffective = ev;
            if (conn.tx === false && handle.kind === 'executor') localOutsideTransaction(this.report, call, handle, ev);
          }
        } else {
          conn.session = ev;
        }
      }
      for (const r of effect.contextResets) {
        if (r === '*' || this.deps.config.contextSettings.has(r)) {
          conn.ctx = null;
          conn.session = null;
        }
      }
      for (const w of effectWrites(effect, this.deps.config)) {
        const write: RawWrite = { ...w, state: { ...conn } };
        writes.push(write);
        if (conn.tx === true || implicit) pendingWrites.push(write);
      }
      definer.push(...definerCalls(effect, this.deps.config));
    }
    if (implicit) {
      conn.ctx = null;
      if (conn.tx !== 'inherited') conn.tx = false;
    }
    if (key) {
      state.set(key, conn);
      this.txWrites.set(key, conn.tx === true ? pendingWrites : []);
    }
    for (const d of unique(definer)) {
      const at = this.deps.config.unpinnedDefiners.get(d);
      if (at) {
        this.report('no-unpinned-definer', call, 'unpinned', { fn: d, at: `${at.file}:${at.line}` }, `unpinned:${d}`);
      }
    }
    // A definer function whose body only reads makes the call a read, not a write site.
    const writingDefiners = unique(definer).filter((d) => !this.deps.config.readOnlyDefiners.has(d));
    if (writes.length === 0 && writingDefiners.length === 0) return; // a read or a context change: not a write site
    const site = draftSite(this.deps.config, call, handle, api, writes, writingDefiners, normalized, variants);
    this.facts.sites.push(site);
    this.drafts.push({ site, writes });
  }

  /** A connection's state here; one made outside this function is the caller's (captured). */
  stateOf(state: Map<ts.Node, ConnState>, key: ts.Node, handle: Handle): ConnState {
    const existing = state.get(key);
    if (existing) return { ...existing };
    const start: ConnState =
      handle.kind === 'executor' && handle.exec !== 'pool' && this.root && !contains(this.root, key)
        ? { tx: 'inherited', ctx: 'inherited', session: null, ineffective: null, capturedBy: this.root }
        : freshState(handle);
    // Where another path never touched this connection, it is still in this state (join).
    if (!this.untouched.has(key)) this.untouched.set(key, start);
    return { ...start };
  }

  /**
   * A call of a table-generic builder (`buildInsert(pool)(Users)`): each write its body makes
   * on a table named by a parameter is a write here, its SQL folded with the parameters bound
   * to this call's arguments and run on the connection this call passes (table-builders.ts).
   */
  private builderInstances(call: ts.CallExpression, state: Map<ts.Node, ConnState>): void {
    const chain = builderCall(call, this.deps.origins);
    if (!chain) return;
    for (const t of this.deps.origins.facts.get((this.templates ??= templateKind(this.deps.origins)), chain.fn)) {
      const bound = bindingsOf(chain, t);
      const handle = this.deps.handles.of(throughBindings(t.receiver, bound, this.deps.origins));
      const instance: Instance = { handle, bound, query: t.query, builtBy: builderLabel(chain, t, this.deps.root) };
      if (this.query(call, t.receiver, t.sqlArg, t.adapter, state, t.method, instance))
        this.facts.instantiations.push({ template: t.node, headCall: chain.headCall });
    }
  }

  private templates: ReturnType<typeof templateKind> | undefined;

  /** A setter of the codebase (`await applyTenant(tx, orgId)`): its sets apply to the connection this call passes. */
  applySetters(
    call: ts.CallExpression,
    fn: ts.FunctionLikeDeclaration | undefined,
    state: Map<ts.Node, ConnState>,
  ): void {
    for (const set of this.deps.handles.settersAt(call, fn)) {
      const arg = call.arguments[set.param];
      const handle = arg ? this.deps.handles.of(arg) : undefined;
      if (!handle || !connectionKey(handle)) continue;
      const via = setterVia(call, fn, set, where(set.at, this.deps.root));
      const effect: StatementEffect = {
        writes: [],
        calls: [],
        contextSets: [{ setting: set.setting, local: set.local, via }],
        contextResets: [],
        transaction: null,
        kind: 'setter',
      };
      this.execute(call, handle, 'other', [effect], '', [], state, true);
    }
  }
}

/** A connection provenance gave up on: not traced to anything, or to a package rls-guard cannot read. */
/** A connection whose library is known: its query calls run SQL, whatever the text. */
function isTrusted(handle: Handle, own: DbAdapter | undefined): boolean {
  return (
    handle.kind === 'executor' ||
    handle.kind === 'scoped' ||
    handle.kind === 'admin' ||
    (handle.kind === 'param' && handle.typed !== null) ||
    (handle.kind === 'ambient' && own !== undefined)
  );
}

function isUntraced(handle: Handle): boolean {
  return (
    handle.kind === 'unknown' ||
    (handle.kind === 'not-db' && handle.reason.startsWith('a value from package')) ||
    // A context variable no path shows the library of (Hono's `c.get('db')`): judged per path, never dropped.
    (handle.kind === 'ambient' && !ambientAdapter(handle))
  );
}

export function isInlineCallback(fn: ts.Node): boolean {
  if (!(ts.isArrowFunction(fn) || ts.isFunctionExpression(fn))) return false;
  let parent = fn.parent;
  while (parent && (ts.isParenthesizedExpression(parent) || ts.isAsExpression(parent))) parent = parent.parent;
  return (
    !!parent &&
    (ts.isCallExpression(parent) || ts.isNewExpression(parent)) &&
    (parent.arguments ?? []).some((a) => skipOuter(a) === fn)
  );
}

function contains(outer: ts.Node, inner: ts.Node): boolean {
  return inner.pos >= outer.pos && inner.end <= outer.end && inner.getSourceFile() === outer.getSourceFile();
}
