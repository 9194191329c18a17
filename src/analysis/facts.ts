import type { ContractCall } from './interface-calls.js';
import type { CalleeLink } from './value-links.js';
import type { FunctionType } from './function-types.js';
import type ts from 'typescript';
import type { SetValue } from '../sql/classify.js';
import type { WriteKind } from './config.js';
import type { Coverage, Operation } from '../report/types.js';
import type { AmbientHandle } from './ambient/providers.js';
import type { Handle, OpenedTransaction, ParamBinding } from './handles.js';

// What the flow walk learns about one file, before verdicts that need other files.

export interface ContextEvidence {
  /** "set_config", "SET LOCAL", "set_org_id()", or a scope helper's name. */
  via: string;
  at: ts.Node;
  local: boolean;
  /** The setting it set, when known (a scope helper's is not). */
  setting?: string;
  /** The value it set, when the SQL shows it (a constant, or a bind parameter: a value of the caller's). */
  value?: SetValue;
  /** Other settings set earlier in the same transaction, still in force. */
  also?: ContextEvidence[];
}

/** The org-context state of one connection at one point of a function. */
export interface ConnState {
  /** Inside BEGIN … COMMIT. 'inherited': a parameter, whatever its caller's transaction is. */
  tx: boolean | 'inherited';
  /** Transaction-local context in force. */
  ctx: ContextEvidence | null | 'inherited';
  /** Session-wide context in force (a leak, but the connection does carry it). */
  session: ContextEvidence | null;
  /** A transaction-local set that ran outside a transaction and so lasted one statement. */
  ineffective: ContextEvidence | null;
  /** SET ROLE in force on this connection: the role and where it was set. */
  role?: {
    name: string;
    at: ts.Node;
    local: boolean;
    /** A role named at run time: per tenant (`name` is its shape, `tenant_${…}`), or why it cannot be read. */
    chosen?: { perTenant: true } | { unread: string };
  } | null;
  /** A set that came after a write in the same transaction, for the write's evidence. */
  setLater?: ContextEvidence;
  /** A set Postgres rejects (`SET LOCAL app.x = $1`: SET takes no parameter), for the evidence of a write after it. */
  rejected?: ContextEvidence;
  /**
   * Where the checked-out client was handed back (`client.release()`): its session state no longer applies to this
   * code.
   */
  released?: ts.Node;
  /** A connection this function captures from an enclosing one: its state is the caller's. */
  capturedBy?: ts.FunctionLikeDeclaration;
  /**
   * The write runs in a callback a timer or an event runs later (`setTimeout`, `res.on('finish', …)`): where it is
   * registered and by what. The transaction open where it was registered has ended by then (flow.ts, deferral).
   */
  deferred?: { at: ts.Node; by: string };
}

/** Why a write is unscoped: the message id of `no-unscoped-write` (rules/no-unscoped-write.ts). */
export type UnscopedProblem =
  | 'onPool'
  | 'beforeContext'
  | 'autocommitSetting'
  | 'transactionWithoutContext'
  /** In a transaction whose only context set is a SET with a bind parameter, which Postgres rejects. */
  | 'rejectedSet'
  /** The only context set is the empty string (a cleanup's value): the policies compare the row with no org. */
  | 'emptyContext'
  | 'notScoped'
  | 'otherSetting'
  | 'commandSetting'
  /** RLS is enabled on the table and it has no policy at all: no write gets through outside a bypass. */
  | 'noPolicy'
  | 'roleWithoutBypass'
  /** On the outer pool inside a scope helper's callback, whose scoped executor is right there. */
  | 'outerPoolInScope'
  /** On the outer pool inside a library transaction's callback (`sql.begin`, `db.transaction`). */
  | 'outerPoolInTransaction'
  /** In a callback a timer or an event runs later, on a connection whose org context was its transaction's. */
  | 'afterTransaction'
  /** The table's policies key on the login role, and the connection logs in as one role for every tenant. */
  | 'sharedLoginRole'
  /**
   * No context set, off a scope helper of the package that switches away from the login role (role-switch-note.ts):
   * the message's id only, given where the finding is made; no verdict names it.
   */
  | 'offRoleSwitch';

/**
 * Why a write is unresolved: the message id of `no-unresolved-write` (rules/no-unresolved-write.ts). Each is a
 * different missing piece, with a different fix.
 */
export type UnresolvedProblem =
  /** The SQL text is built at run time (or comes whole from an expression) and cannot be folded to a statement. */
  | 'sqlNotConstant'
  /** The SQL text is known but libpg-query does not parse it. */
  | 'sqlUnparsable'
  /** The statement or builder names no table rls-guard can trace (a builder's table from a parameter, a model). */
  | 'tableUnknown'
  /** The executor cannot be traced to a pool, client, scope helper or admin connection. */
  | 'connectionUnknown'
  /** The connection is a parameter (or captured, or in a store) and its callers or entry points cannot all be seen. */
  | 'callersUnknown'
  /** The write is in a callback handed to a function rls-guard cannot see into. */
  | 'helperUnknown'
  /** The write runs on a library object rls-guard has no adapter for. */
  | 'unsupportedLibrary'
  /** The analysis stopped: its work budget, or its depth limit, ran out. */
  | 'budgetExceeded';

interface VerdictBase {
  via: string | null;
  evidence: string;
  /** A scope helper recognised by name whose definition is visible: its body is checked too. */
  verify?: { helper: ts.FunctionLikeDeclaration; paramIndex: number; execIndex: number; name: string };
  /** An admin connection the config declares (`adminProviders` in …): a helper's callers' summary says so too. */
  declaredIn?: string;
}

/** A write's coverage; an uncovered one names its problem (the message id of its rule). */
export type Verdict = VerdictBase &
  (
    | { coverage: Exclude<Coverage, 'unscoped' | 'unresolved'>; problem?: undefined }
    | { coverage: 'unscoped'; problem: UnscopedProblem }
    | { coverage: 'unresolved'; problem: UnresolvedProblem }
  );

/** A verdict that depends on who calls a function: through a parameter, or a connection a closure captures. */
export type Pending = (
  /** `path`: a field of the parameter (`opts.pgPool`): each call's argument is read at that path. */
  | {
      kind: 'param';
      binding: ParamBinding;
      path?: readonly (string | number)[];
      narrowed?: 'releasable' | 'not-releasable' | 'present' | 'absent';
      /** `trx ?? db`: what runs the write at a call that leaves the (optional) parameter out. */
      fallback?: Handle;
      /** The write runs in a transaction the function opens on the parameter: a new one at a call passing a pool. */
      opened?: OpenedTransaction;
      /** In that transaction, a set that came after the write: what a new transaction at a caller misses. */
      setLater?: ContextEvidence;
      /** A write whose shape names no library (param-writes.ts): a call passing no connection of it runs none. */
      shapeOnly?: ShapeOnly;
    }
  | { kind: 'captured'; key: ts.Node; fn: ts.FunctionLikeDeclaration; handle: Handle }
  /** A connection read from an AsyncLocalStorage: judged per root that reaches the write (ambient/settle.ts). */
  | { kind: 'ambient'; handle: AmbientHandle; opened?: OpenedTransaction }
) & {
  /**
   * A transaction-local set this function made on a connection whose transaction is its
   * caller's: it covers the write only where the caller's connection is in a transaction
   * (outside one, it lasted that one statement).
   */
  awaitsTransaction?: ContextEvidence;
};

export type LocalVerdict = Verdict | { pending: Pending; state: ConnState };

/**
 * A write on a plain parameter whose shape names no library for sure (`tx.invoice.create(…)` with no schema found,
 * `m.save(Invoice, …)`): a write of `library` at the calls passing one of its connections (or one that cannot be
 * traced), none at a call passing a value that is no connection of it (param-writes.ts, settled in program.ts).
 */
export interface ShapeOnly {
  /** The adapter whose shape the call has (`DbAdapter.name`). */
  library: string;
  /** The write's own verdict when its table is unknown (`tableUnknown`): what a call that runs it gets. */
  table?: Verdict;
}

export interface RawWrite {
  operation: Exclude<Operation, 'call'>;
  table: string;
  state: ConnState;
  /** Set when the write happens inside a called function or a fired trigger: which one. */
  through?: string;
  /** `INSERT … ON CONFLICT DO UPDATE`: the UPDATE policies apply too. */
  conflictUpdate?: true;
  /** `… RETURNING`: the SELECT policies must accept the rows handed back too. */
  returning?: true;
  /** A MERGE's actions, each judged by its command's policies. */
  mergeActions?: readonly ('insert' | 'update' | 'delete')[];
}

/** Where SQL runs: a call (pool.query(…), db.insert(…)) or a tagged template (sql`…`). */
export type QueryNode = ts.CallExpression | ts.TaggedTemplateExpression;

export interface RawSite {
  call: QueryNode;
  api: string;
  handle: Handle;
  operation: Operation;
  tables: string[];
  /** Tables written that are RLS-gated. */
  gatedTables: string[];
  definerCalls: string[];
  /** Tables written only indirectly, and through which function or trigger. */
  through: Record<string, string>;
  /** Gated tables the call truncates (directly or through an invoker function): RLS never applies to TRUNCATE. */
  truncated: string[];
  /**
   * How the call writes each gated table (its operations, an upsert's `conflictUpdate`): the policies of those commands
   * judge it, where it is settled too (program.ts).
   */
  written?: Record<string, WriteKind[]>;
  /** Normalised SQL, for fingerprints; null when it could not be resolved. */
  sql: string | null;
  /** The SQL text each variant of the call runs (holes as $901…), for evidence and the oracle. */
  sqlVariants: string[];
  verdict: LocalVerdict;
  /**
   * A write in a table-generic builder whose table comes from a parameter: judged at each call (table-builders.ts); the
   * builder's outermost function.
   */
  template?: ts.FunctionLikeDeclaration;
  /**
   * A template whose unresolved text fails at a hole that reads none of the builder's parameters (hole-cause.ts):
   * the text's values read one, its table does not, so its evidence says nothing of a parameter.
   */
  holeFixed?: true;
  /** A write made at a call of a table-generic builder: the builder, for the evidence. */
  builtBy?: string;
  /**
   * The same write at the same builder call, reached through another of the builder's query calls (one on a
   * transaction that set the org context, one on the bare pool): the site it is an alternative of. Once judged, the
   * worst of them stays (table-builders.ts joinAlternatives).
   */
  alternativeOf?: RawSite;
  /** `sqlNotConstant`: the piece of the SQL that is not a constant, as written (`${fields}`), for the message. */
  notConstant?: string;
  /** Text completed at run time where no table is named (write-text.ts fixedTableWrite): said in the evidence. */
  textNote?: string;
  /**
   * Its verdict (its connection, the state the walk found it in) read a search over the program's files (the NestJS
   * providers): in one file's analysis it needs the project (Facts.readProgram). Set only when reads are traced.
   */
  readsProgram?: true;
  /** A write on a plain parameter whose shape names no library: what its calls must pass to run it (ShapeOnly). */
  shapeOnly?: ShapeOnly;
}

export interface CallEdge {
  call: ts.CallExpression | ts.NewExpression;
  callee: ts.FunctionLikeDeclaration;
  /** Per argument index: the connection passed and its state then; null for non-connections. */
  args: ({ handle: Handle; state: ConnState } | null)[];
  /** Every connection's state at the call, for closures that capture one. */
  states: Map<ts.Node, ConnState>;
  /** The function the call is in (undefined at module level). */
  root: ts.FunctionLikeDeclaration | undefined;
  /**
   * What each parameter of the callee receives, when not the call's own arguments (a framework calls a registered
   * plugin as `plugin(instance, options)`).
   */
  argExprs?: (ts.Expression | undefined)[];
}

/** What a function does with a parameter that is a callback: the evidence for inferring scope helpers. */
export type CallbackUse =
  | {
      kind: 'invoke';
      fn: ts.FunctionLikeDeclaration;
      paramIndex: number;
      call: ts.CallExpression;
      args: ({ handle: Handle; state: ConnState } | null)[];
      /** The connections' states at the call, when an argument is an object the callback reads one out of. */
      states?: Map<ts.Node, ConnState>;
    }
  | {
      kind: 'forward-helper';
      fn: ts.FunctionLikeDeclaration;
      paramIndex: number;
      call: ts.CallExpression;
      helper: string;
    }
  | {
      kind: 'forward';
      fn: ts.FunctionLikeDeclaration;
      paramIndex: number;
      call: ts.CallExpression;
      to: ts.FunctionLikeDeclaration;
      argIndex: number;
    }
  /**
   * The callback is passed to a call whose callee is a value rather than a function of the codebase: a helper a factory
   * made (`createForTenant(db)(id, fn)`), a parameter or a field of one (`forTenant(id, fn)` inside the factory that
   * received `forTenant`). program.ts resolves the callee to the functions it can be (providers/helper-values.ts).
   */
  | {
      kind: 'forward-value';
      fn: ts.FunctionLikeDeclaration;
      paramIndex: number;
      call: ts.CallExpression;
      argIndex: number;
    };

export interface RawFinding {
  ruleId: string;
  node: ts.Node;
  /** The rule's message for the problem found, and the values it interpolates (rules/<id>.ts). */
  messageId: string;
  data: Record<string, string>;
  /** Stable identity for the fingerprint (no line numbers). */
  key: string;
}

export interface FileFacts {
  sf: ts.SourceFile;
  sites: RawSite[];
  edges: CallEdge[];
  callbackUses: CallbackUse[];
  /**
   * Calls whose callee is a value (a field of an injected deps object, what a factory returned) passing connections:
   * program.ts makes them edges to the functions the callee can be (providers/helper-values.ts).
   */
  valueCalls?: Omit<CallEdge, 'callee'>[];
  /**
   * Calls of a member that resolve to no function and pass no connection (`for (const step of steps) await
   * step.run()`): function-types.ts links those whose member is declared with a function type to the functions
   * declared with it, so their callers are known.
   */
  memberCalls?: Omit<CallEdge, 'callee'>[];
  /** Calls of a method on a receiver typed by a codebase interface or abstract class: interface-calls.ts links them. */
  contractCalls?: ContractCall[];
  /**
   * What the call graph links each of `valueCalls` by (the functions its callee denotes, its declared function type),
   * taken at the end of the file's flow so that the linking reads this, not the file's tree (value-links.ts). Whole
   * program only.
   */
  calleeLinks?: ReadonlyMap<ts.Node, CalleeLink>;
  /**
   * The file's calls that may register a route or middleware, or start a job or a timer (roots/entry-points.ts
   * `registrationCalls`), taken at the end of its flow: the entry points' scan reads these, not the file's tree.
   */
  registrationCalls?: readonly (ts.CallExpression | ts.NewExpression)[];
  /** The function type each of `memberCalls`' callees is declared with, as the flow found it (function-types.ts). */
  memberTypes?: Map<ts.Node, FunctionType>;
  findings: RawFinding[];
  /** Functions passed as values somewhere other than a direct call (their callers are unknowable). */
  escapedFunctions: Set<ts.FunctionLikeDeclaration>;
  /** Every setting some statement in this file sets, context or not. */
  settingsSet: Set<string>;
  /** Functions the analysis gave up on (budget, nesting): writes there may be missing, so the audit is incomplete. */
  gaveUp: { node: ts.Node; reason: string }[];
  /**
   * Every connection's state where a store is entered (`S.run(v, fn)`, `S.enterWith(v)`): the
   * connection put in the store keeps the context set on it before (ambient/settle.ts).
   */
  storeEntries?: Map<ts.Expression, Map<ts.Node, ConnState>>;
  /**
   * Every connection's state at a call of a parameter's `next` (a tRPC middleware's `next({ ctx: { db: tx } })`): the
   * connection handed on there keeps the transaction and context the middleware's flow gave it (context/trpc.ts).
   */
  nextCalls?: Map<ts.CallExpression, Map<ts.Node, ConnState>>;
  /**
   * Where each of `escapedFunctions` is used as a value (ambient/reach.ts follows those passed to a function of the
   * codebase).
   */
  escapes?: Map<ts.FunctionLikeDeclaration, ts.Identifier[]>;
  /**
   * Writes of table-generic builders made at this file's calls: the builder's write (the template) and the call of the
   * builder that started it; `callee`, the builder, when no call edge stands for that call (a method read off a
   * parameter typed by a class of the codebase, declared-methods.ts).
   */
  instantiations: { template: ts.Node; headCall: ts.CallExpression; callee?: ts.FunctionLikeDeclaration }[];
  /**
   * Query calls judged where they are made (`this.db.query(stmt)` with `db: DatabaseExecutor`): the statement read at
   * the call, on the connection its receiver is. Such a call is also an edge to each implementation's `query` (a
   * pass-through handing the statement on), whose own write the call has already been judged as: not a caller that
   * pass-through waits on (table-builders.ts settleTemplates).
   */
  judgedCalls?: Set<ts.Node>;
}
