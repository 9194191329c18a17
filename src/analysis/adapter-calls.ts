import ts from '../ts.js';
import {
  adapterForModule,
  adapters,
  type BuilderContext,
  type BuilderWrite,
  type DbAdapter,
} from '../adapters/index.js';
import { normalizeQualifiedName } from '../schema/names.js';
import type { StatementEffect } from '../sql/classify.js';
import type { ConnState, FileFacts, QueryNode, RawSite } from './facts.js';
import { constructionOf, soleReturn } from './construction.js';
import { returnedExpressions } from '../code/own-returns.js';
import { type Handle, where } from './handles.js';
import { chainRoot, embeddingCall, heldFragment } from './fragments.js';
import { dependedLibraries, importedLibraries, isInstalledPackage, usesLibrary } from './library-evidence.js';
import { declaredValueOf, thisMemberTypeNode } from './declared-receiver.js';
import { contextualParamType } from './declared-types.js';
import { functionName, shortText, type OriginResolver } from '../code/origins.js';
import { isFunctionLike, lookup } from '../code/scope.js';
import { connectionKey } from './connection-state.js';
import { skipOuter } from '../syntax/wrappers.js';
import { DRAFT_EVIDENCE, unresolvedSqlSite } from './write-sites.js';
import { fixedTableWrite, namesItsTables, writeWithHoles } from './write-text.js';
import { numberingInput } from '../code/placeholder-numbering.js';
import { placeholderFillOf } from '../code/placeholder-fill.js';
import {
  BIND_ADVICE, definerCalls, effectWrites, inertExpression, resolveSql, statementTextExpr,
} from './sql-resolution.js';
import { holeCause, holeExpressions, missingImportClause } from './hole-cause.js';
import { ambientAdapter, type AmbientHandle } from './ambient/providers.js';
import { expressAccess, isExpressStore } from './context/express-vars.js';
import { pgAdapter } from '../adapters/pg.js';
import { type FlowDeps, isInlineCallback } from './flow.js';
import { declaredMethodOf } from './declared-methods.js';
import { type HandedDeps, handedConnectionOf } from './handed-callbacks.js';
import { onParameterNote, onPlainParameter } from './param-writes.js';
import {
  bindingsOf,
  builderCall,
  builderCallOf,
  builderLabel,
  constructorBindings,
  constructorField,
  ownerOf,
  readsParameter,
  templateKind,
  type BuilderCall,
  type Template,
  throughBindings,
} from './table-builders.js';

// The call recognisers: which database library call a call or tagged template is (a query
// method, a raw-SQL execute, a builder or ORM write, transaction control, a client's
// release(), a table-generic builder's call), traced to its executor and resolved to the
// statements it runs. What those statements do to the connection's state is the
// interpreter's (flow.ts), which this module hands them to.

const TRANSACTION_CONTROL = new Set(adapters.flatMap((a) => Object.keys(a.transactionControl ?? {})));

/** The interpreter's side: applies the statements a call runs to its connection's state and records the site. */
export interface StatementRunner {
  execute(
    call: QueryNode,
    handle: Handle,
    api: string,
    effects: StatementEffect[],
    normalized: string,
    variants: string[],
    state: Map<ts.Node, ConnState>,
    bySetter?: boolean,
    /** How many of `effects` each text variant holds: alternatives, each run from the state before the call. */
    variantSizes?: readonly number[],
  ): void;
  /**
   * The connections' states where the flow of `fn` (a function of the codebase, read on its own) reaches `node`,
   * joined over the paths that reach it; undefined when it is not reached or the reading gave up.
   */
  stateAt(fn: ts.FunctionLikeDeclaration, node: ts.Node): Map<ts.Node, ConnState> | undefined;
}

/** A table-generic builder's write made at one of its calls. */
interface Instance {
  handle: Handle;
  bound: ReadonlyMap<ts.ParameterDeclaration, ts.Expression>;
  /** The query call in the builder's body. */
  query: ts.CallExpression;
  builtBy: string;
}

/** A table-generic builder's query-builder write (`this.db.insert(table)`) made at one of its calls. */
interface BuilderInstance {
  /** The call of the builder: where the write is a site. */
  at: ts.CallExpression;
  bound: ReadonlyMap<ts.ParameterDeclaration, ts.Expression>;
  builtBy: string;
  /** The table is a field the builder's constructor set (`this.table`), bound to what constructed the instance. */
  field?: boolean;
}

export class AdapterCalls {
  private builderCtx: BuilderContext | undefined;
  private readonly handed: HandedDeps;

  constructor(
    private readonly deps: FlowDeps,
    private readonly facts: FileFacts,
    private readonly runner: StatementRunner,
  ) {
    this.handed = { origins: deps.origins, of: (e) => deps.handles.of(e) };
  }

  /**
   * A method call some adapter knows (a query, a raw execute, transaction control, release(),
   * a builder write): handled, and true; otherwise false, for the interpreter to follow it
   * as a call of the codebase.
   */
  adapterCall(call: ts.CallExpression, state: Map<ts.Node, ConnState>): boolean {
    const callee = skipOuter(call.expression);
    if (!ts.isPropertyAccessExpression(callee)) return false;
    const method = callee.name.text;
    for (const adapter of adapters) {
      const qm = adapter.queryMethods[method];
      if (qm) {
        const arg = call.arguments[qm.sqlArg];
        if (arg && this.query(call, callee.expression, arg, adapter, state, method)) return this.judged(call);
      }
    }
    for (const adapter of adapters) {
      const raw = adapter.sqlExecute?.(call);
      if (raw && this.query(call, raw.executor, raw.sql, adapter, state)) return true;
    }
    return (
      this.transactionControl(call, callee, state) || this.release(call, callee, state) || this.builder(call, state)
    );
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
    this.runner.execute(
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

  /** sql`…` on a postgres.js executor, prisma.$executeRaw`…`: a template that runs SQL. */
  tagged(node: ts.TaggedTemplateExpression, state: Map<ts.Node, ConnState>): void {
    // A template inside another's interpolation is a fragment of that query, not a query.
    if (ts.isTemplateSpan(node.parent)) return;
    // So is one a const holds that is only ever interpolated into other templates (Oppsera's scripts).
    if (heldFragment(node)) return;
    const tag = skipOuter(node.tag);
    const handle = this.deps.handles.of(tag);
    const tagIsExecutor =
      (handle.kind === 'executor' && handle.adapter.executorIsTag) ||
      handle.kind === 'scoped' ||
      handle.kind === 'admin' ||
      (handle.kind === 'param' && handle.typed?.adapter.executorIsTag === true);
    // `this.sql` holding an injected postgres.js client is the tag itself, not Vercel's `pool.sql` method called on
    // `this`: a tag method is read on its receiver only when that receiver can be traced or the tag is no executor.
    const method =
      ts.isPropertyAccessExpression(tag) && !(tagIsExecutor && isUntraced(this.deps.handles.of(tag.expression)))
        ? tag.name.text
        : undefined;
    if (method !== undefined && ts.isPropertyAccessExpression(tag)) {
      for (const adapter of adapters) {
        if (adapter.tagMethods?.includes(method) && this.query(node, tag.expression, node, adapter, state)) return;
      }
    }
    if (handle.kind === 'executor' && handle.adapter.executorIsTag) this.query(node, tag, node, handle.adapter, state);
    else if (
      handle.kind === 'scoped' ||
      handle.kind === 'admin' ||
      (handle.kind === 'param' && handle.typed?.adapter.executorIsTag)
    ) {
      const adapter = adapters.find((a) => a.executorIsTag);
      if (adapter) this.query(node, tag, node, adapter, state);
    } else if ((handle.kind === 'param' && !handle.typed) || isUntraced(handle)) {
      // A parameter or value nothing types, used as a tag (`async function insertEntry(tx, …) { await tx`INSERT …` }`)
      // in a file that imports a library whose executor is a tag (postgres.js, neon): that library's query, judged
      // through the callers like any parameter. query() keeps only text that writes, so a tag of another kind that
      // happens to sit in such a file adds nothing unless its text is a write.
      // An untraced tag in a file that imports no library at all, its client taken from a module of the code
      // (`this.client ?? getSql()`, a getter provenance cannot read): the tag library its package depends on
      // (was no site at all, Steward's key-value store). A parameter stays with the file's imports.
      const tagOf = (libraries: Iterable<DbAdapter>): DbAdapter | undefined =>
        [...libraries].find((a) => a.executorIsTag);
      const adapter =
        tagOf(importedLibraries(this.facts.sf)) ??
        (handle.kind === 'param' ? undefined : tagOf(dependedLibraries(this.facts.sf.fileName)));
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
    given?: Handle,
  ): boolean {
    // A method of the codebase named like a library's (`this.query(text, values)` of a store class wrapping
    // `this.db.query({ text, values })`): a builder call, followed by builderInstances on the connection its body
    // uses, never a query on the object that owns the method.
    const callee = !instance && ts.isCallExpression(call) ? this.deps.origins.expr(call.expression) : undefined;
    // Only a method with a body to follow: an abstract or declared one is still read as the query it names.
    if (callee?.kind === 'function' && callee.decl.body) return false;
    const handle = instance?.handle ?? given ?? this.deps.handles.of(receiver);
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
    // The parameter is a bound value, or the builder's own text names every table it writes: the builder's own site.
    if (
      instance &&
      (resolveSql(this.deps, sqlArg, values, adapter.placeholders).ok ||
        namesItsTables(this.deps, sqlArg, adapter.placeholders))
    )
      return false;
    // A statement object (`{ text, values }`) handed to the builder is read at this call: the
    // folder binds parameters inside strings only, so the parameter is replaced by its argument.
    const sqlExpr = instance ? throughBindings(sqlArg, instance.bound, this.deps.origins) : sqlArg;
    // Text written in another function than this call's, from none of that function's parameters (`deleteFile` →
    // `exec(db, { text })` called from a route): that function's own call of the builder is the site; this caller
    // names nothing of it.
    const text = instance ? boundText(this.deps, sqlExpr, instance) : undefined;
    const ownText = !text || ownerOf(text) === ownerOf(call);
    if (!ownText && !readsParameter(text!)) return false;
    const sql = instance
      ? this.deps.folder.withArgs(instance.bound, () => resolveSql(this.deps, sqlExpr, values, adapter.placeholders))
      : resolveSql(this.deps, sqlExpr, values, adapter.placeholders);
    // What unresolvable text still says it writes, read once (write-text.ts), with an instance's parameters bound.
    let written: ReturnType<typeof writeWithHoles>;
    const withHoles = () =>
      instance
        ? this.deps.folder.withArgs(instance.bound, () => writeWithHoles(this.deps, sqlExpr, adapter.placeholders))
        : writeWithHoles(this.deps, sqlExpr, adapter.placeholders);
    // Non-constant SQL on a connection that cannot be traced: a site (unresolved) when the file
    // imports the library whose query method this is and the method is not one of the
    // codebase's own (`this.query(db, …)` of a repository class); otherwise nothing says it runs SQL.
    // Text that parses as a write whatever its interpolations name is a site all the same.
    if (
      !sql.ok &&
      !trusted &&
      !(
        isUntraced(handle) &&
        importedLibraries(this.facts.sf).has(adapter) &&
        !(ts.isCallExpression(call) && this.deps.origins.expr(call.expression).kind === 'function')
      ) &&
      // A statement object of a library's statement tag (sql-template-strings) is only ever sent: the call runs SQL.
      !this.deps.folder.isStatement(sqlExpr) &&
      // So is a library's sql`…` whose text, read whole, does not parse (judge29: dropped in a scope helper's callback)
      // Text the folder could not read (past 16 variants) says neither read nor write: left as before.
      !(sql.parseError && this.deps.folder.isLibraryTemplate(sqlExpr)) &&
      !(written ??= withHoles())
    )
      return false;
    if (
      sql.ok &&
      !trusted &&
      this.judged(call, !instance) &&
      !sql.statements.some(
        (st) =>
          effectWrites(st.effect, this.deps.config).length > 0 ||
          st.effect.contextSets.length > 0 ||
          (st.effect.boundSets?.length ?? 0) > 0 ||
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
      (this.builderFragment(queryCall, adapter, method) ||
        // Held rather than passed to a builder (`patch.lock_version = db.raw('lock_version + 1')`): its text says so.
        (!!adapter.fragmentMethods?.includes(method) &&
          sql.text !== undefined &&
          inertExpression(this.deps, sql.text)))
    )
      return true;
    const before = this.facts.sites.length;
    // A write whose tables its constant text names, interpolations only where no table or second write goes: judged
    // on its connection where the text is written (write-text.ts). Read without a builder call's bindings: a table
    // some caller's argument names is a table-generic builder's, below.
    const fixedOwn = sql.ok ? undefined : fixedTableWrite(this.deps, text ?? sqlExpr, adapter.placeholders);
    // Else the builder's own argument read with this call's bindings: the table a call names (`insertRows('tickets',
    // cols, rows)` of `INSERT INTO "${table}" (${names}) VALUES ${tuples}`), or the caller's text as the builder sends
    // it (its `?` numbered `$n`, placeholder-numbering.ts). Completed by this call, so a site of this call.
    const fixedBound =
      sql.ok || fixedOwn || !instance || !text
        ? undefined
        : this.deps.folder.withArgs(instance.bound, () => fixedTableWrite(this.deps, sqlExpr, adapter.placeholders));
    const fixed = fixedOwn ?? fixedBound;
    if (fixed) {
      // A builder's caller whose arguments name nothing of the write: the text's own function makes the site.
      if (!ownText && !fixedBound) return false;
      this.runner.execute(call, handle, api, fixed.effects, fixed.variants.map(normalize).join(' | '), fixed.variants,
        state);
      const holes = fixed.holes.map((h) => `\`\${${h}}\``).join(', ');
      for (const site of this.facts.sites.slice(before)) {
        site.textNote = `its text is completed at run time (${holes}) where no table is named`;
        if (instance) site.builtBy = instance.builtBy;
      }
      this.noteFill(sqlExpr, before);
      return true;
    }
    if (!sql.ok) {
      // SQL naming its table through a builder's parameter: judged at each call (table-builders.ts).
      // Only the text can take a table from a parameter: bound values read from one (`values: [tenantId]`) do not.
      const readsParam = instance
        ? ts.isCallExpression(call) &&
          (ownText ? readsParameter(text!) : call.arguments.some((a) => readsParameter(a)))
        : readsParameter(statementTextExpr(this.deps, sqlArg) ?? sqlArg);
      // A text that names every table it writes is a helper's with a fixed table, whatever its values read.
      const template =
        ts.isCallExpression(call) && readsParam && !namesItsTables(this.deps, sqlArg, adapter.placeholders)
          ? ownerOf(call)
          : undefined;
      const untraced =
        !trusted && 'reason' in handle ? `; nor can the connection that runs it be traced: ${handle.reason}` : '';
      // The tables the constant rest of the text names (`UPDATE media.files SET ${…}`): the site is theirs.
      const named = (written ??= withHoles());
      const tables = named?.tables ?? [];
      // A write whose table an interpolation stands for, where no caller's argument names it (`DELETE FROM
      // ${this.jobTable}`, `INSERT INTO ${table}` of a function no call completes): said as such.
      const runTime = named && tables.length === 0 ? 'the table it writes is built at run time: ' : '';
      // The hole the text fails at, and what it is built from (hole-cause.ts): a module-level constant imported from
      // a module the checkout lacks is said as such, and a hole that reads no parameter takes no table from one.
      const holeNodes =
        sql.hole === undefined
          ? []
          : holeExpressions(
              this.deps.origins,
              instance ? (text ?? sqlExpr) : (statementTextExpr(this.deps, sqlArg) ?? sqlArg),
              sql.hole,
            );
      const cause =
        holeNodes.length > 0 ? holeCause(this.deps.origins, this.deps.root, holeNodes, instance?.bound) : undefined;
      const missing = cause && missingImportClause(cause);
      // The interpolation as this text writes it, when the folder quoted what it holds (another file's expression).
      const held = holeNodes.length === 1 ? this.deps.origins.expr(holeNodes[0]!) : undefined;
      const asWritten = holeNodes.length === 1 ? shortText(holeNodes[0]!, 40) : sql.hole;
      const quoted =
        asWritten === sql.hole || held?.kind !== 'expr'
          ? sql.reason
          : sql.reason.replace(
              `\`\${${sql.hole}}\``,
              `\`\${${asWritten}}\` (\`${sql.hole}\` at ${where(held.expr, this.deps.root)})`,
            );
      const reasonText = missing ? `${quoted.replace(BIND_ADVICE, '')}: ${missing}` : quoted;
      const why = !instance
        ? runTime + reasonText
        : tables.length > 0
          ? `the SQL ${instance.builtBy} runs is completed by this call's arguments: ${reasonText}`
          : ownText && !readsParam
            ? runTime + reasonText
            : cause && !cause.readsArgument && !cause.readsParameter && !cause.unknown
              ? `the table ${instance.builtBy} writes does not come from this call's ` +
                `arguments: ${reasonText}`
              : cause?.missing?.throughArgument
                ? `the table ${instance.builtBy} writes comes from this call's arguments: ${reasonText}`
                : `the table ${instance.builtBy} writes comes from this call's arguments, which do not name one: ` +
                  reasonText;
      // The report's `operation` must hold one of the contract's kinds: a statement no reading of its text shows the
      // kind of says so rather than let `insert` pass for a known verb.
      const operation = named?.operation ?? sql.operation;
      const unknownWhy = sql.kindUnknown ? ` (${sql.kindUnknown})` : '';
      const kind = operation
        ? ''
        : `; the statement's kind is unknown too${unknownWhy}, so its \`operation\` only stands in`;
      const reason = `${why}${untraced}${kind}`;
      const site =
        instance && tables.length === 0
          ? unresolvedSqlSite(call, handle, api, 'tableUnknown', reason, 'the write')
          : unresolvedSqlSite(call, handle, api, problemOf(sql), reason);
      if (operation) site.operation = operation;
      // The piece its message names as not constant: the interpolation, else the whole argument (`buildUpdate(f)`).
      if ('problem' in site.verdict && site.verdict.problem === 'sqlNotConstant')
        site.notConstant = sql.part ?? `\`${shortText(sqlArg, 40)}\``;
      if (tables.length > 0) {
        site.tables = tables;
        site.gatedTables = tables.filter((t) => this.deps.config.gatedTables.has(t));
      }
      // A template whose failing hole reads no parameter: its table comes from none, whatever its values read.
      const fromParameter = !sql.noHole && (!cause || cause.readsParameter || cause.unknown);
      this.facts.sites.push({
        ...site,
        ...(template ? { template } : {}),
        ...(fromParameter ? {} : { holeFixed: true as const }),
      });
    } else
      this.runner.execute(
        call,
        handle,
        api,
        sql.statements.map((st) => st.effect),
        sql.normalized,
        sql.variants,
        state,
        false,
        sql.variantSizes,
      );
    if (instance) for (const site of this.facts.sites.slice(before)) site.builtBy = instance.builtBy;
    if (sql.ok) this.noteFill(sqlExpr, before);
    return true;
  }

  /** Values quoted into the text by the code itself (placeholder-fill.ts): the sites' evidence says what was read. */
  private noteFill(sqlExpr: ts.Expression, before: number): void {
    const fill = placeholderFillOf(sqlExpr);
    if (!fill) return;
    const note = `its \`$n\` placeholders are filled in as text by \`${shortText(fill, 40)}\`, read as bind parameters`;
    for (const site of this.facts.sites.slice(before))
      site.textNote = site.textNote ? `${site.textNote}; ${note}` : note;
  }

  /**
   * Notes a query call as judged where it is made (its statement read there: a site, or text that writes nothing), for
   * settleTemplates; true, for the caller to go on. `when` false notes nothing.
   */
  private judged(call: QueryNode, when = true): true {
    if (when) (this.facts.judgedCalls ??= new Set()).add(call);
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
    // `this.select(trx.raw('1'))` in a `whereExists(function () { … })` callback, `q.where(knex.raw(…))`: a value
    // handed to a builder method of the library is a piece of that builder's statement, not one that is sent.
    const sink = skipOuter(outer.expression);
    if (adapter.fragmentSinks && ts.isPropertyAccessExpression(sink) && adapter.fragmentSinks.test(sink.name.text))
      return true;
    const base = chainRoot(outer);
    const root = this.deps.handles.of(base);
    // A connection an ambient accessor hands out (`db('t').insert({ id: db.raw('gen_random_uuid()') })` with `db`
    // read from a store) builds the same statement: one site, the builder's, not a second one for its fragment.
    if (['executor', 'scoped', 'admin', 'param', 'ambient'].includes(root.kind)) return true;
    // Whatever the connection is, a fragment made by the very value the builder chain starts from is that chain's.
    return sameBinding(skipOuter((call.expression as ts.PropertyAccessExpression).expression), base);
  }

  /**
   * A query-builder or ORM write: its executor traced like a query's receiver, its table from the adapter. `instance`:
   * the write of a table-generic builder's body (`call`, its `this.db.insert(table)`) made at a call of it, its
   * parameters bound to that call's arguments, its site at that call (table-builders.ts).
   */
  private builder(call: ts.CallExpression, state: Map<ts.Node, ConnState>, instance?: BuilderInstance): boolean {
    let untraced: { adapter: DbAdapter; w: BuilderWrite; handle: Handle } | undefined;
    // A scope helper's or admin provider's executor is a connection for sure, of a library its shape may not name
    // (`tx.auditLog.create()` with no Prisma schema found, `tx.insert(table)` with a table that does not resolve):
    // the write of a library the file uses, if no library claims the call, rather than no site at all.
    let onConnection: { adapter: DbAdapter; w: BuilderWrite; handle: Handle } | undefined;
    let plain: { adapter: DbAdapter; w: BuilderWrite; handle: Handle } | undefined;
    // Every call passes here, once per adapter: no closure in the loop (a context per adapter and call was a
    // thirtieth of the audit's garbage on midday).
    const ctx = instance ? this.boundContext(instance.bound) : this.builderContext;
    const handleOf = (e: ts.Expression): Handle =>
      this.deps.handles.of(instance ? throughBindings(e, instance.bound, this.deps.origins) : e);
    for (const adapter of adapters) {
      const read = adapter.builderWrite?.(call, ctx);
      if (!read) continue;
      let w = read;
      let handle = handleOf(read.executor);
      let ours = isOurs(adapter, handle, read.distinctive);
      // `args.trx('t').update(…)`: the field is the library's executor (its declared type says so), not `args`.
      if (!ours && read.fieldCall) {
        const field = handleOf(read.fieldCall.executor);
        if (isOurs(adapter, field, false)) [w, handle, ours] = [read.fieldCall, field, true];
        // `const m = await import(name); m.db('t').insert(…)`: a module of the code that cannot be resolved hands
        // out the field, so the field's call is the write's shape (unresolved below, never dropped).
        else if (isUntraced(field) && this.fromUnresolvedCode(read.fieldCall.executor))
          [w, handle] = [{ ...read.fieldCall, distinctive: true }, field];
      }
      // Scope helpers and admin providers hand out whatever their library's executor is: the
      // call's shape must then say which library it is.
      const onScope = handle.kind === 'scoped' || handle.kind === 'admin';
      if (!ours && onScope && !w.distinctive && !onConnection && usesLibrary(this.facts.sf, adapter))
        onConnection = { adapter, w, handle };
      // So is a callback's parameter a helper of the codebase calls with one of this library's connections
      // (`this.prisma.withTenant(id, async (tx) => tx.invoice.create(…))`, handed-callbacks.ts): judged at those calls.
      else if (
        !ours &&
        handle.kind === 'param' &&
        !handle.typed &&
        !w.distinctive &&
        !onConnection &&
        usesLibrary(this.facts.sf, adapter)
      ) {
        const helper = handedConnectionOf(this.handed, handle.binding, adapter);
        if (helper) onConnection = { adapter, w: handedWrite(w, handle, helper), handle };
        // A plain parameter of a function of the code: a write of this library where its calls pass one of its
        // connections, none where they pass something else (param-writes.ts, settled in program.ts).
        else if (!w.notInSchema && onPlainParameter(handle) && better(plain, adapter, w, this.facts.sf))
          plain = { adapter, w: paramWrite(w, handle), handle };
      }
      if (!ours && !(onScope && w.distinctive)) {
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
      return this.builderSite(call, adapter, w, handle, state, instance);
    }
    const fallback = untraced ?? onConnection ?? plain;
    if (!fallback) return false;
    const before = this.facts.sites.length;
    const made = this.builderSite(call, fallback.adapter, fallback.w, fallback.handle, state, instance);
    if (fallback === plain)
      for (const site of this.facts.sites.slice(before))
        if (!site.template) site.shapeOnly = { library: plain.adapter.api };
    return made;
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

  /** False for an instance whose body's write names its table without the call's arguments: no write of the call. */
  private builderSite(
    query: ts.CallExpression,
    adapter: DbAdapter,
    w: BuilderWrite,
    handle: Handle,
    state: Map<ts.Node, ConnState>,
    instance?: BuilderInstance,
  ): boolean {
    const call = instance?.at ?? query;
    const before = this.facts.sites.length;
    // The body names the table itself, in either reading of the call (`args.trx('episodes').update(…)` read as a field
    // call too): its own site stands; the call adds none.
    const plain = instance ? adapter.builderWrite?.(query, this.builderContext) : undefined;
    if (plain && ('name' in plain.table || (plain.fieldCall && 'name' in plain.fieldCall.table))) return false;
    // The expression naming the table where the write is a site: the argument a call binds to the builder's
    // parameter (`byKind[kind]`), else the body's own (`table`), as the library that recognised the write reads it.
    const handed = adapter.builderTable?.(query);
    const named = handed && instance ? boundField(handed, instance.bound, this.deps.origins) : handed;
    // A table an inner wrapper names itself (`resetPassword(id)` calling `db.updateWhere(users, …).set(…)`): that
    // wrapper's own call of the builder is the site; this caller names nothing of it.
    if (instance && !instance.field && named && named !== handed && ownerOf(named) !== ownerOf(call)) return false;
    if ('unresolved' in w.table) {
      // Name every missing piece: the table, and the connection when it is untraced too.
      const field = instance?.field && named && constructorField(named, this.deps.origins);
      const argument = named && named !== handed ? `argument \`${shortText(named, 40)}\`, which does not name one` : '';
      const table = field
        ? `the table ${instance.builtBy} writes is \`${shortText(skipOuter(named), 40)}\`, set by the constructor ` +
          `of the instance this call runs on, whose construction cannot be traced: ${w.table.unresolved}`
        : instance
          ? `the table ${instance.builtBy} writes comes from this call's ${argument || 'arguments'}: ` +
            w.table.unresolved
          : w.table.unresolved;
      const reason =
        isUntraced(handle) && 'reason' in handle
          ? `${table}; nor can the connection that runs it be traced: ${handle.reason}`
          : table;
      // A table handed in as a parameter (`insert(table, row) { return this.db.insert(table).values(row) }`): the
      // helper is a table-generic builder, its write judged at each call (table-builders.ts); so is a wrapper passing
      // its own parameter on (`insertMany(table, rows) { … this.insert(table, row) }`).
      // At a call, only an argument that is the caller's own parameter: `byKind[kind]` names no table whatever `kind`.
      // A constructor's field only from within its class (`this.update(…)` of another method: its callers bind it).
      const passedOn = (e: ts.Expression): boolean => {
        const o = this.deps.origins.expr(e);
        const onThis = (x: ts.Expression): boolean =>
          ts.isPropertyAccessExpression(x) && x.expression.kind === ts.SyntaxKind.ThisKeyword;
        return (
          o.kind === 'param' &&
          o.path.length === 0 &&
          (!ts.isConstructorDeclaration(o.binding.fn) || onThis(skipOuter(call.expression)))
        );
      };
      const template =
        named &&
        (instance
          ? passedOn(named)
          : readsParameter(named) || constructorField(named, this.deps.origins))
          ? ownerOf(call)
          : undefined;
      this.facts.sites.push({
        ...unresolvedSqlSite(call, handle, adapter.api, 'tableUnknown', reason, 'the write'),
        operation: w.operation,
        ...(template ? { template } : {}),
      });
    } else this.builderEffect(call, adapter, w, w.table.name, handle, state);
    if (instance) for (const site of this.facts.sites.slice(before)) site.builtBy = instance.builtBy;
    return true;
  }

  private builderEffect(
    call: ts.CallExpression,
    adapter: DbAdapter,
    w: BuilderWrite,
    table: string,
    handle: Handle,
    state: Map<ts.Node, ConnState>,
  ): void {
    const { operation } = w;
    const effect: StatementEffect = {
      writes: [
        {
          operation,
          table,
          ...(w.conflictUpdate ? { conflictUpdate: true as const } : {}),
          ...(w.returning ? { returning: true as const } : {}),
        },
      ],
      calls: [],
      contextSets: [],
      contextResets: [],
      transaction: null,
      kind: 'builder',
    };
    const normalized = `${adapter.api}:${operation}:${table}`;
    this.runner.execute(call, handle, adapter.api, [effect], normalized, [], state);
  }

  private get builderContext(): BuilderContext {
    // Made once per walker: the closures below capture locals, so building them is kept out of the getter's path.
    return (this.builderCtx ??= this.newBuilderContext());
  }

  /**
   * The builder context of a table-generic builder's body read for one call: what a parameter stands for is the
   * argument bound to it (`users` for `table` of `insert(table, row)` called as `rls.insert(users, row)`).
   */
  private boundContext(bound: ReadonlyMap<ts.ParameterDeclaration, ts.Expression>): BuilderContext {
    const plain = this.builderContext;
    const origins = this.deps.origins;
    const through = (e: ts.Expression): ts.Expression => throughBindings(e, bound, origins);
    return {
      ...plain,
      constant: (expr) => this.deps.folder.withArgs(bound, () => plain.constant(through(expr))),
      definition: (expr) => {
        const e = through(expr);
        return plain.definition(e) ?? (e !== expr ? e : undefined);
      },
      classOf: (expr) => plain.classOf(through(expr)),
      declaredType: (expr) => plain.declaredType(through(expr)),
      packageExport: (expr) => plain.packageExport?.(through(expr)),
    };
  }

  private newBuilderContext(): BuilderContext {
    const origins = this.deps.origins;
    const folder = this.deps.folder;
    const defaultSchema = this.deps.config.defaultSchema;
    return {
      root: this.deps.root,
      constant: (expr) => {
        const f = folder.constant(expr);
        return f.ok && f.variants.length === 1 ? f.variants[0] : undefined;
      },
      definition: (expr) => {
        const o = origins.expr(expr);
        if (o.kind === 'expr') return o.expr;
        // `deps.users` of a dependency bag declared `users: typeof users`: the value its annotation names.
        // A callback's parameter with no annotation of its own takes its helper's (`work: (ctx: { schema: typeof
        // import('./tables') }) => …`), as the compiler types it.
        if (o.kind !== 'param') return undefined;
        const decl = o.binding.decl;
        return declaredValueOf(origins, decl, o.path, decl.type ?? contextualParamType(origins, decl));
      },
      classOf: (expr) => {
        const o = origins.expr(expr);
        return o.kind === 'class' ? o.decl : undefined;
      },
      declaredType: (expr) => {
        const o = origins.expr(expr);
        if (o.kind === 'param' && o.path.length === 0) return o.binding.decl.type;
        // `this.repo` declared `Repository<Project>` (a property, a getter, a base class's member), whatever it is
        // assigned: a wrapper of the injected repository, a getter picking a manager.
        return thisMemberTypeNode(origins, expr);
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
      returnsOf: (call) => {
        const o = origins.expr(call.expression);
        return o.kind === 'function' ? returnedExpressions(o.decl) : undefined;
      },
      untraced: (expr) => {
        const o = origins.expr(expr);
        return o.kind === 'unknown' ? o.reason.split(`${this.deps.root}/`).join('') : undefined;
      },
    };
  }

  /**
   * A call of a table-generic builder (`buildInsert(pool)(Users)`): each write its body makes
   * on a table named by a parameter is a write here, its SQL folded with the parameters bound
   * to this call's arguments and run on the connection this call passes (table-builders.ts).
   */
  builderInstances(call: ts.CallExpression, state: Map<ts.Node, ConnState>): void {
    const chain = builderCall(call, this.deps.origins);
    if (!chain) {
      // `Mailbox.db.executeSql(text)` on a field given instances of several classes: each one's method is a builder
      // this call may run, and the write is made here by each (origins.ts `methods`).
      const target = this.deps.origins.expr(call.expression);
      // `this.rls.deleteWhere(sessions, cond)` with `rls: DatabaseWrapper`, an alias of a class of the codebase: no
      // edge is made for it (only for a contract's implementations), so the builder's settling counts it itself.
      const declared =
        target.kind === 'unknown' && target.methods ? undefined : declaredMethodOf(this.deps.origins, call, target);
      if (target.kind === 'unknown' && target.methods)
        for (const m of target.methods) this.instancesOf(call, builderCallOf(call, m.decl), state);
      else if (declared) this.instancesOf(call, builderCallOf(call, declared), state, true);
      else this.requestFunction(call, state);
      return;
    }
    this.instancesOf(call, chain, state);
  }

  /**
   * `req.tenantQuery(text, values)`: a function a middleware hangs on the Express request (`req.tenantQuery = (text,
   * values) => tenantQuery(req, text, values)`), called with SQL text. Which function the property holds depends on the
   * middleware on the route's path, so the write is the ambient store's (context/express-vars.ts), judged per path as
   * what the function held there does with this call's arguments (ambient/settle.ts). The first argument is the text
   * (`query(text, values)`'s shape), read as any query's: a read or a text that says nothing of a write is no site.
   */
  private requestFunction(call: ts.CallExpression, state: Map<ts.Node, ConnState>): void {
    const callee = skipOuter(call.expression);
    const text = call.arguments[0];
    // `req.tenantTransaction(async (client) => …)`: a callback is no text (its writes are its own body's).
    if (!ts.isPropertyAccessExpression(callee) || !text || ts.isSpreadElement(text) || isFunctionLike(skipOuter(text)))
      return;
    // Every call no adapter or builder took passes here: the request property is read first, syntactically.
    const access = expressAccess(callee, this.deps.origins);
    if (!access || access.rest.length) return;
    const read = this.deps.handles.of(callee);
    if (read.kind !== 'ambient' || !isExpressStore(read.store) || read.path.length !== 1) return;
    // Only text that reads as SQL: Express's own methods (`req.header('x-org-id')`) and any other function on the
    // request take strings too, and a file that imports a library would make an untraced call of them a query.
    const placeholders = pgAdapter.placeholders;
    const sql = resolveSql(this.deps, text, call.arguments[1], placeholders);
    if (!sql.ok && !writeWithHoles(this.deps, text, placeholders)) return;
    const at = where(call, this.deps.root);
    const handle: AmbientHandle = {
      ...read,
      called: { call, text },
      label: `the query function \`${read.storeName}\` of the Express request, called at ${at}`,
    };
    this.query(call, callee, text, pgAdapter, state, undefined, undefined, handle);
  }

  private instancesOf(
    call: ts.CallExpression,
    chain: BuilderCall,
    state: Map<ts.Node, ConnState>,
    noEdge = false,
  ): void {
    // Two query calls of one builder running the same statement (`signal ? db.query(s, o) :
    // db.query(s)`) are one write at this call, not two. Until judged (the verdict comes once the file is walked), the
    // two may still differ in what runs them (`store ? tx.query(text) : this.pool.query(text)`): the later ones are
    // kept as alternatives of the first, and the worst of them stands for the write (table-builders.ts
    // joinAlternatives).
    const seen = new Map<string, RawSite>();
    // One query call of the builder reached along several paths (`mode` calling `exec` twice, each with text this
    // call leaves unresolved) is one unresolved write here: which path's text it runs is what cannot be known.
    const unresolvedQueries = new Set<ts.Node>();
    for (const t of this.deps.origins.facts.get((this.templates ??= templateKind(this.deps.origins)), chain.fn)) {
      const before = this.facts.sites.length;
      this.instantiate(call, chain, t, state, noEdge || chain.noEdge === true);
      const fresh = this.facts.sites.splice(before).filter((site) => {
        if (site.sql === null) {
          if (unresolvedQueries.has(t.query)) return false;
          unresolvedQueries.add(t.query);
        }
        // The builder's label names each query call's line: the same write whichever call ran it.
        const evidence = 'evidence' in site.verdict ? site.verdict.evidence : '';
        // Unresolved writes of different texts (an UPDATE, then an INSERT, on one `${table}`) are different writes.
        const text = site.sql === null ? textKey(this.deps, t, chain) : '';
        const key = [site.sql, ...site.sqlVariants, evidence.split(site.builtBy ?? '\u0000').join(''), text].join(
          '\u0000',
        );
        const first = seen.get(key);
        if (first && evidence === DRAFT_EVIDENCE) site.alternativeOf = first;
        else if (first) return false;
        else seen.set(key, site);
        return true;
      });
      this.facts.sites.push(...fresh);
    }
  }

  private instantiate(
    call: ts.CallExpression,
    chain: BuilderCall,
    t: Template,
    state: Map<ts.Node, ConnState>,
    noEdge: boolean,
  ): void {
    // A call known only from annotations reaches query-builder writes: a raw query's text through such a call (a
    // service's `query(text, params)` handed a caller's SELECT) is read where the service's own callers are.
    if (noEdge && !t.builder) return;
    const bound = bindingsOf(chain, t);
    // A call no edge stands for names its builder, for settleTemplates to count it among the builder's calls.
    const made = { template: t.node, headCall: chain.headCall, ...(noEdge ? { callee: chain.head } : {}) };
    if (t.builder) {
      // `this.db.update(this.table)` of a generic base repository: the table its instance was constructed with.
      const fields = constructorField(t.sqlArg, this.deps.origins)
        ? constructorBindings(chain.headCall, this.deps.origins)
        : undefined;
      const at: BuilderInstance = {
        at: call,
        bound: fields ? new Map([...fields, ...bound]) : bound,
        builtBy: builderLabel(chain, t, this.deps.root),
        field: fields !== undefined,
      };
      // Run on the connection the body names (`this.db`), in the caller's state at the call.
      if (this.builder(t.query, state, at)) this.facts.instantiations.push(made);
      return;
    }
    const handle = this.deps.handles.of(throughBindings(t.receiver, bound, this.deps.origins));
    const instance: Instance = { handle, bound, query: t.query, builtBy: builderLabel(chain, t, this.deps.root) };
    if (this.query(call, t.receiver, t.sqlArg, t.adapter, this.bodyState(t.query, handle, state), t.method, instance))
      this.facts.instantiations.push(made);
  }

  /**
   * A connection the builder's body makes itself (`const client = await pool.connect()` in `tenantQuery(req, text)`)
   * is in the state the body leaves it in at the query, whoever calls: a BEGIN and a set_config (or a session-wide
   * one) before the query are the caller's write's context. Read from the body's own flow; the caller's state is
   * copied, never changed, for a connection no caller can reach. Any other connection is the caller's.
   */
  private bodyState(query: ts.CallExpression, handle: Handle, state: Map<ts.Node, ConnState>): Map<ts.Node, ConnState> {
    const key = connectionKey(handle);
    if (!key || state.has(key)) return state;
    const found = ownConnectionState(query, handle, (fn, node) => this.runner.stateAt(fn, node));
    return found ? new Map(state).set(key, found) : state;
  }

  private templates: ReturnType<typeof templateKind> | undefined;
}

/**
 * The state a connection the builder's own body makes (`const client = await pool.connect()` in `tenantQuery(req,
 * text)`) is in at the builder's query, read from that body's flow (`stateAt`); undefined for any other connection
 * (a parameter, a module's pool, a closure's), which is the caller's.
 */
export function ownConnectionState(
  query: ts.CallExpression,
  handle: Handle,
  stateAt: (fn: ts.FunctionLikeDeclaration, node: ts.Node) => Map<ts.Node, ConnState> | undefined,
): ConnState | undefined {
  const key = connectionKey(handle);
  if (!key || ts.isParameter(key)) return undefined;
  let fn: ts.Node | undefined = query.parent;
  while (fn && !(isFunctionLike(fn) && !isInlineCallback(fn))) fn = fn.parent;
  if (!fn || !isFunctionLike(fn) || !fn.body || key.pos < fn.pos || key.end > fn.end) return undefined;
  return stateAt(fn, query)?.get(key);
}

/**
 * What a builder's table expression stands for at a call: a parameter is the argument bound to it, a field of one
 * (`opts.table` of `updateWithOptimisticLock({ table: 'episodes', trx, … })`) that property of the object literal
 * passed, as far as they go.
 */
function boundField(
  expr: ts.Expression,
  bound: ReadonlyMap<ts.ParameterDeclaration, ts.Expression>,
  origins: OriginResolver,
): ts.Expression {
  let e = throughBindings(expr, bound, origins);
  for (let i = 0; i < 4; i++) {
    const o = origins.expr(e);
    if (o.kind !== 'param' || o.path.length !== 1 || typeof o.path[0] !== 'string') return e;
    const arg = bound.get(o.binding.decl);
    const object = arg && skipOuter(arg);
    if (!object || !ts.isObjectLiteralExpression(object)) return e;
    const key = o.path[0];
    const prop = object.properties.find((p) => p.name && ts.isIdentifier(p.name) && p.name.text === key);
    const value = prop && ts.isPropertyAssignment(prop) ? prop.initializer : prop?.name;
    if (!value || !ts.isExpression(value)) return e;
    e = throughBindings(value, bound, origins);
  }
  return e;
}

/** What unresolvable SQL text lacks: a parse, a table (a DO block's EXECUTE), or constant text. */
function problemOf(sql: { unparsable?: true; block?: true }): 'sqlUnparsable' | 'tableUnknown' | 'sqlNotConstant' {
  return sql.unparsable ? 'sqlUnparsable' : sql.block ? 'tableUnknown' : 'sqlNotConstant';
}

/** A write on a callback's parameter a helper hands a connection: an unresolved table's reason says which. */
function handedWrite(w: BuilderWrite, handle: Extract<Handle, { kind: 'param' }>, helper: string): BuilderWrite {
  if (!('unresolved' in w.table)) return w;
  const on = `it runs on \`${handle.binding.name}\`, the parameter of a callback \`${helper}\` calls with a connection`;
  return { ...w, table: { unresolved: `${w.table.unresolved}; ${on}` } };
}

/**
 * Of two libraries whose shape a plain parameter's write has (`m.insert(Invoice, …)`: TypeORM's and knex's), the one
 * the file imports, else the one that names the table: the first found otherwise.
 */
function better(
  held: { adapter: DbAdapter; w: BuilderWrite } | undefined,
  adapter: DbAdapter,
  w: BuilderWrite,
  sf: ts.SourceFile,
): boolean {
  if (!held) return true;
  const imported = importedLibraries(sf);
  if (imported.has(held.adapter) !== imported.has(adapter)) return imported.has(adapter);
  return 'unresolved' in held.w.table && 'name' in w.table;
}

/** A plain parameter's write with its table unknown: the reason says the calls decide its connection. */
function paramWrite(w: BuilderWrite, handle: Extract<Handle, { kind: 'param' }>): BuilderWrite {
  if (!('unresolved' in w.table)) return w;
  const note = onParameterNote(handle, functionName(handle.binding.fn));
  return { ...w, table: { unresolved: `${w.table.unresolved}; ${note}` } };
}

/** Whether a builder write's executor is `adapter`'s connection (a parameter typed as one, or distinctive: maybe). */
function isOurs(adapter: DbAdapter, h: Handle, distinctive: boolean | undefined): boolean {
  return (
    ((h.kind === 'executor' || h.kind === 'admin') && h.adapter === adapter) ||
    (h.kind === 'param' && (h.typed ? h.typed.adapter === adapter : distinctive === true)) ||
    (h.kind === 'ambient' && ambientAdapter(h) === adapter)
  );
}

/** Two identifiers naming one declaration (`db.raw(…)` inside a chain that starts at that `db`). */
function sameBinding(a: ts.Expression, b: ts.Expression): boolean {
  if (!ts.isIdentifier(a) || !ts.isIdentifier(skipOuter(b))) return false;
  const x = lookup(a);
  const y = lookup(skipOuter(b) as ts.Identifier);
  const path = (v: typeof x): string => (v && 'path' in v ? v.path.join('.') : '');
  return !!x && !!y && x.decl === y.decl && path(x) === path(y);
}

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

/** A connection provenance gave up on: not traced to anything, or to a package rls-guard cannot read. */
export function isUntraced(handle: Handle): boolean {
  return (
    handle.kind === 'unknown' ||
    (handle.kind === 'not-db' && handle.reason.startsWith('a value from package')) ||
    // A context variable no path shows the library of (Hono's `c.get('db')`): judged per path, never dropped.
    (handle.kind === 'ambient' && !ambientAdapter(handle))
  );
}

function normalize(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * Where a builder instance's text is written: the text of its statement (a string, or the `text` of a
 * `{ text, values }` object, the argument bound to it when a wrapper builds the object from its parameters), through a
 * local const.
 */
function boundText(deps: FlowDeps, sqlExpr: ts.Expression, instance: Instance): ts.Expression {
  const own = statementTextExpr(deps, sqlExpr) ?? sqlExpr;
  // `pool.query(toDollar(sql))`: the statement is the `sql` the builder numbers, written where it is bound.
  let text = throughBindings(numberingInput(own, deps.origins) ?? own, instance.bound, deps.origins);
  const e = skipOuter(text);
  if (ts.isIdentifier(e)) {
    const origin = deps.origins.expr(e);
    if (origin.kind === 'expr') text = origin.expr;
  }
  return text;
}

/** Where the text of a builder's query is written, once its parameters are bound to a call's arguments. */
function textKey(deps: FlowDeps, t: Template, chain: BuilderCall): string {
  const e = throughBindings(t.sqlArg, bindingsOf(chain, t), deps.origins);
  const text = skipOuter(statementTextExpr(deps, e) ?? e);
  // Only text written out is told apart: a statement a wrapper passes on (`normalize(statement)`) along several paths
  // is still the one write of that wrapper.
  const written = ts.isTemplateExpression(text) || ts.isStringLiteral(text) || ts.isNoSubstitutionTemplateLiteral(text);
  return written ? `${text.getSourceFile().fileName}:${text.pos}` : '';
}
