import ts from '../ts.js';
import type { StatementEffect } from '../sql/classify.js';
import type { AnalysisConfig } from './config.js';
import type { ConnState, ContextEvidence, FileFacts, QueryNode, RawSite, RawWrite } from './facts.js';
import { type Handle, type HandleResolver, where } from './handles.js';
import { type OriginResolver, shortText } from '../code/origins.js';
import { isFunctionLike } from '../code/scope.js';
import { walkDescendants } from '../code/walk.js';
import { skipOuter } from '../syntax/wrappers.js';
import { setterVia } from './providers/setters.js';
import type { SqlTextFolder } from '../code/sql-text.js';
import { boundParameterSet, contextSetFinding, localOutsideTransaction, type Report } from './context-findings.js';
import { draftSite, gaveUpSite, settingsProvided, siteVerdict, unique } from './write-sites.js';
import { CallEdges, type EdgeWalker } from './call-edges.js';
import { AdapterCalls, type StatementRunner } from './adapter-calls.js';
import { connectionKey, copy, freshState, join, type State } from './connection-state.js';
import { roleAfter } from './providers/run-time-roles.js';
import { definerCalls, effectWrites } from './sql-resolution.js';
import { fileBudget, functionRoots, withinBudget } from './budget.js';
import { afterTransactionEnds, deferralOf } from './deferred-callbacks.js';

// Walks each function in evaluation order, tracking per connection whether a transaction is
// open and whether the org context is set in it, joining states where branches meet (a
// context set on only one branch does not cover a write after the branch). Which library
// call a call is, and the statements it runs, is adapter-calls.ts's; this is the interpreter.

export interface FlowDeps {
  root: string;
  config: AnalysisConfig;
  origins: OriginResolver;
  handles: HandleResolver;
  folder: SqlTextFolder;
}

export function analyzeFlow(sf: ts.SourceFile, deps: FlowDeps): FileFacts {
  const facts = emptyFacts(sf);
  new FlowWalker(deps, facts).run();
  return facts;
}

function emptyFacts(sf: ts.SourceFile): FileFacts {
  return {
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
}

/**
 * The states a function read on its own gives at a node (stateAt), per configuration and per reading of the code (an
 * edited file is parsed again: new nodes). null: not reached, gave up, or being read.
 */
const bodyStates = new WeakMap<object, WeakMap<object, WeakMap<ts.Node, Map<ts.Node, ConnState> | null>>>();

/** A statement jumps can leave: `break` targets any (a block only by label), `continue` only a loop. */
interface JumpFrame {
  kind: 'loop' | 'switch' | 'block';
  label: string | undefined;
  breaks: State;
  continues: State;
}

function isBreakable(st: ts.Statement): boolean {
  return (
    ts.isSwitchStatement(st) ||
    ts.isForStatement(st) ||
    ts.isForOfStatement(st) ||
    ts.isForInStatement(st) ||
    ts.isWhileStatement(st) ||
    ts.isDoStatement(st)
  );
}

class FlowWalker implements EdgeWalker, StatementRunner {
  /** Writes made so far in each connection's open transaction, to say "the context was set only later". */
  private readonly txWrites = new Map<ts.Node, RawWrite[]>();
  private readonly drafts: { site: RawSite; writes: RawWrite[] }[] = [];
  /** Inside prisma.$transaction([…]): queries on the client run on the transaction instead. */
  private redirect: { from: ts.Node; to: Handle } | undefined;
  /** The function being interpreted (inline callbacks belong to it); undefined at module level. */
  root: ts.FunctionLikeDeclaration | undefined;
  /**
   * Inside a callback run later (a timer, an event listener): where it was registered, by what, and the connections
   * already moved past their transaction's end in it (deferred-callbacks.ts).
   */
  private deferred: { fn: ts.Node; at: ts.Node; by: string; moved: Set<ts.Node> } | undefined;
  /** Microtask callbacks registered since the last await: they run at the next await or return. */
  private microtasks: { fn: ts.ArrowFunction | ts.FunctionExpression; state: Map<ts.Node, ConnState> }[] = [];
  /**
   * The loops, switches and labeled blocks around the statement being interpreted, innermost last: a `break` or
   * `continue` hands its state to its target and cuts the path it stood on (a `break` nested in a case's block
   * used to fall through to the next clause, and a `default: throw` then made the code after the switch unreachable).
   */
  private jumps: JumpFrame[] = [];
  /** Each connection's state before the current root first used it (per root: captured-ness depends on it). */
  private readonly untouched = new Map<ts.Node, ConnState>();
  /** While a function is read on its own for the state at one node (stateAt): that node, and the states met there. */
  private probe: { at: ts.Node; found: State | undefined } | undefined;
  private readonly report: Report = (ruleId, node, messageId, data, key) => {
    this.facts.findings.push({ ruleId, node, messageId, data, key });
  };

  /** Calls of the codebase's functions: the edges that carry connections into them. */
  private readonly edges: CallEdges;
  /** Calls of the database libraries: the statements they run, handed back to `execute`. */
  private readonly calls: AdapterCalls;

  constructor(
    private readonly deps: FlowDeps,
    private readonly facts: FileFacts,
  ) {
    this.edges = new CallEdges(deps, facts, this);
    this.calls = new AdapterCalls(deps, facts, this);
  }

  run(): void {
    const sf = this.facts.sf;
    const facts = this.deps.origins.facts;
    const budget = fileBudget(facts, sf);
    // Each function under the work budget: one that runs out (or nests deeper than the walk
    // can follow) becomes an unresolved site naming it; its writes found so far stay.
    const guarded = (node: ts.Node, body: () => void): void => {
      this.jumps = [];
      const sites = this.facts.sites.length;
      const reads = facts.programReads;
      const stopped = withinBudget(facts, budget, node, body);
      if (stopped) {
        this.redirect = undefined; // an interrupted prisma.$transaction([…]) did not restore it
        this.facts.sites.push(gaveUpSite(node, stopped));
        this.facts.gaveUp.push({ node, reason: stopped });
      }
      // A root whose walk read a search over the program's files (Facts.readProgram): its sites' connections or
      // states may rest on it.
      if (facts.programReads !== reads) for (const site of this.facts.sites.slice(sites)) site.readsProgram = true;
    };
    guarded(sf, () => this.ran(this.statements(sf.statements, new Map())));
    this.untouched.clear();
    for (const fn of functionRoots(sf, (n) => !isInlineCallback(n))) {
      if (budget.exhausted) break;
      this.root = fn;
      this.untouched.clear();
      guarded(fn, () => {
        this.microtasks = [];
        const body = fn.body!;
        this.ran(ts.isBlock(body) ? this.statements(body.statements, new Map()) : this.expression(body, new Map()));
      });
      this.root = undefined;
    }
    for (const { site, writes } of this.drafts) {
      const reads = facts.programReads;
      site.verdict = siteVerdict(this.deps, site, writes);
      if (facts.programReads !== reads) site.readsProgram = true;
      for (const setting of settingsProvided(site)) this.facts.settingsSet.add(setting);
    }
  }

  stateAt(fn: ts.FunctionLikeDeclaration, node: ts.Node): Map<ts.Node, ConnState> | undefined {
    return bodyStateAt(this.deps, fn, node);
  }

  /** bodyStateAt's reading: `fn` interpreted by a walker of its own. */
  static readAlone(deps: FlowDeps, fn: ts.FunctionLikeDeclaration, node: ts.Node): Map<ts.Node, ConnState> | undefined {
    return new FlowWalker(deps, emptyFacts(fn.getSourceFile())).readAlone(fn, node);
  }

  /** Interprets one function as a root, on its own (its sites and findings go nowhere), for the state at `node`. */
  private readAlone(fn: ts.FunctionLikeDeclaration, node: ts.Node): Map<ts.Node, ConnState> | undefined {
    const facts = this.deps.origins.facts;
    this.probe = { at: node, found: undefined };
    this.root = fn;
    const body = fn.body!;
    const stopped = withinBudget(facts, fileBudget(facts, fn.getSourceFile()), fn, () => {
      this.ran(ts.isBlock(body) ? this.statements(body.statements, new Map()) : this.expression(body, new Map()));
    });
    return stopped ? undefined : (this.probe.found ?? undefined);
  }

  // ---- statements: a small abstract interpreter over the control-flow structure ----

  private statements(list: readonly ts.Statement[], state: State): State {
    let s = state;
    for (const st of list) s = this.statement(st, s);
    return s;
  }

  /** `label`: the label of a labeled loop or switch, which `break label` / `continue label` target. */
  private statement(st: ts.Statement, state: State, label?: string): State {
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
      // Microtasks queued so far run once this function returns, in the state it returns in.
      const out = st.expression ? this.expression(st.expression, state) : state;
      // The state a helper hands its connection back in (ambient/settle.ts `madeElsewhere`).
      if (this.probe?.at === st && out) this.probe.found = copy(out);
      this.ran(out);
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
    // Loops, switches and jumps in methods of their own: this one recurses once per nesting level, so its frame
    // stays small (1,000 nested `if`s must fit the stack: bench/worst-shapes.ts).
    if (isBreakable(st)) return this.breakable(st, state, label);
    if (ts.isBreakStatement(st) || ts.isContinueStatement(st)) return this.jump(st, state);
    if (ts.isLabeledStatement(st)) return this.labeled(st, state);
    if (ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st)) return state;
    let s: State = state;
    ts.forEachChild(st, (child) => {
      if (ts.isExpression(child)) s = this.expression(child, s);
    });
    return s;
  }


  /** A loop or a switch: the state after it joins the paths that leave it (falling out, `break`, `continue`). */
  private breakable(st: ts.Statement, state: State, label: string | undefined): State {
    if (ts.isSwitchStatement(st)) return this.switchStatement(st, state, label);
    const loop = st as ts.IterationStatement;
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
    const frame = this.enter('loop', label);
    let body: State;
    try {
      body = this.statement(loop.statement, copy(s));
    } finally {
      this.jumps.pop();
    }
    // `continue` goes back to the test; `break` leaves the loop (both were cut off where they stood).
    const next = this.joinAll(body, frame.continues);
    if (ts.isDoStatement(st))
      return this.joinAll(next === null ? null : this.expression(st.expression, next), frame.breaks);
    return this.joinAll(s, next, frame.breaks);
  }

  private switchStatement(st: ts.SwitchStatement, state: State, label: string | undefined): State {
    const s = this.expression(st.expression, state);
    // With no `default`, no case may match.
    const unmatched: State = st.caseBlock.clauses.some((c) => ts.isDefaultClause(c)) ? null : s;
    let fallthrough: State = null;
    const frame = this.enter('switch', label);
    try {
      for (const clause of st.caseBlock.clauses) {
        const entry = join(copy(s), fallthrough, this.untouched, this.deps.config.bypassRoles);
        // A clause that ends without a jump falls through into the next one (the last one out of the switch).
        fallthrough = this.statements(clause.statements, entry);
      }
    } finally {
      this.jumps.pop();
    }
    return this.joinAll(unmatched, fallthrough, frame.breaks);
  }

  private jump(st: ts.BreakStatement | ts.ContinueStatement, state: State): State {
    // The state goes to the statement the jump targets, joined there; nothing after it runs.
    const name = st.label?.text;
    const isBreak = ts.isBreakStatement(st);
    for (let i = this.jumps.length - 1; i >= 0; i--) {
      const f = this.jumps[i]!;
      if (name !== undefined ? f.label !== name : !isBreak ? f.kind !== 'loop' : f.kind === 'block') continue;
      if (isBreak) f.breaks = join(f.breaks, state, this.untouched, this.deps.config.bypassRoles);
      else f.continues = join(f.continues, state, this.untouched, this.deps.config.bypassRoles);
      return null;
    }
    // A jump whose target is not in view (cannot happen in valid code): the state goes on, as before.
    return state;
  }

  private labeled(st: ts.LabeledStatement, state: State): State {
    const inner = st.statement;
    if (isBreakable(inner)) return this.statement(inner, state, st.label.text);
    // `done: { … break done; … }`: a labeled block left by its label.
    const frame = this.enter('block', st.label.text);
    let out: State;
    try {
      out = this.statement(inner, state);
    } finally {
      this.jumps.pop();
    }
    return this.joinAll(out, frame.breaks);
  }

  /** A statement that `break` / `continue` jump out of, entered: its frame collects the jumps' states. */
  private enter(kind: JumpFrame['kind'], label: string | undefined): JumpFrame {
    const frame: JumpFrame = { kind, label, breaks: null, continues: null };
    this.jumps.push(frame);
    return frame;
  }

  private joinAll(...states: State[]): State {
    return states.reduce<State>((a, b) => join(a, b, this.untouched, this.deps.config.bypassRoles), null);
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
        // Inline callbacks run where they are passed (map, forEach, transaction helpers), but for those a timer, an
        // event or the microtask queue runs later (deferred-callbacks.ts).
        if (isInlineCallback(node) && node.body && s !== null) {
          const fn = node as ts.ArrowFunction | ts.FunctionExpression;
          const later = deferralOf(fn, this.deps.origins);
          if (later?.kind === 'microtask') this.microtasks.push({ fn, state: copy(s)! });
          else if (later) {
            // Run after this function moved on: its effects do not reach the code after the registration.
            const saved = this.deferred;
            this.deferred = { fn, at: fn.parent, by: later.by, moved: new Set() };
            this.callback(fn, copy(s));
            this.deferred = saved;
          } else s = join(s, this.callback(fn, copy(s)), this.untouched, this.deps.config.bypassRoles);
        }
        return;
      }
      if (ts.isAwaitExpression(node)) {
        // The awaited call has issued its queries; the microtasks queued before it run now, ahead of what follows.
        ts.forEachChild(node, visit);
        if (s !== null && this.microtasks.length > 0) s = this.ran(s);
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
      else if (ts.isTaggedTemplateExpression(node) && s !== null) this.calls.tagged(node, s);
      else if (ts.isNewExpression(node)) this.edges.construct(node, s);
      else if (ts.isIdentifier(node)) this.edges.noteEscape(node);
      else if (ts.isBinaryExpression(node) && s !== null) this.edges.assignment(node, s);
    };
    visit(expr);
    return s;
  }

  /** An inline callback's body from `state`, with the microtasks it queues run when it returns. */
  private callback(fn: ts.ArrowFunction | ts.FunctionExpression, state: State): State {
    const outer = this.microtasks;
    this.microtasks = [];
    // No jump leaves a function: the callback's loops are its own.
    const outerJumps = this.jumps;
    this.jumps = [];
    const body = fn.body;
    try {
      return this.ran(ts.isBlock(body) ? this.statements(body.statements, state) : this.expression(body, state));
    } finally {
      this.microtasks = outer;
      this.jumps = outerJumps;
    }
  }

  /**
   * Runs the microtasks queued so far (at an await, a return or the end of a body): each from `state` (from where it
   * was queued when the code after it is unreachable), their effects joined into what follows.
   */
  private ran(state: State): State {
    let s = state;
    while (this.microtasks.length > 0) {
      const queued = this.microtasks;
      this.microtasks = [];
      for (const task of queued) {
        const out = this.callback(task.fn, copy(s ?? task.state));
        if (s !== null) s = join(s, out, this.untouched, this.deps.config.bypassRoles);
      }
    }
    return s;
  }

  private call(call: ts.CallExpression, state: State): void {
    if (state === null) return;
    if (this.probe?.at === call) {
      const found = this.probe.found;
      this.probe.found = found ? join(found, copy(state), this.untouched, this.deps.config.bypassRoles) : copy(state);
    }
    if (this.calls.adapterCall(call, state)) return;
    this.calls.builderInstances(call, state);
    this.edges.helperCall(call, state);
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

  /** Applies the statements a call runs to its connection's state, and records the write site. */
  execute(
    call: QueryNode,
    original: Handle,
    api: string,
    effects: StatementEffect[],
    normalized: string,
    variants: string[],
    state: Map<ts.Node, ConnState>,
    bySetter = false,
    variantSizes?: readonly number[],
  ): void {
    const handle =
      this.redirect && original.kind === 'executor' && original.key === this.redirect.from
        ? this.redirect.to
        : original;
    const key = connectionKey(handle);
    const start = key ? this.stateOf(state, key, handle) : freshState(handle);
    const pendingStart: RawWrite[] = (key && this.txWrites.get(key)) || [];
    // The texts a call may send (`let q` given a statement per branch, a choice of fragments) are alternatives:
    // each runs from the state before the call and the states join after it, as branches do. Run in sequence,
    // three DELETE variants were one multi-statement string, an implicit transaction that ended the caller's.
    const sizes =
      variantSizes && variantSizes.length > 1 && variantSizes.reduce((a, b) => a + b, 0) === effects.length
        ? variantSizes
        : [effects.length];
    const writes: RawWrite[] = [];
    const definer: string[] = [];
    let conn: ConnState | undefined;
    let pendingWrites: RawWrite[] = [];
    let at = 0;
    for (const size of sizes) {
      const out = this.apply(call, handle, effects.slice(at, at + size), { ...start }, pendingStart, bySetter);
      at += size;
      writes.push(...out.writes);
      definer.push(...out.definer);
      pendingWrites = conn ? [...new Set([...pendingWrites, ...out.pendingWrites])] : out.pendingWrites;
      conn =
        conn && key
          ? join(new Map([[key, conn]]), new Map([[key, out.conn]]), this.untouched, this.deps.config.bypassRoles)!
              .get(key)!
          : out.conn;
    }
    if (key) {
      state.set(key, conn!);
      this.txWrites.set(key, conn!.tx === true ? pendingWrites : []);
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

  /** One text's statements applied in order to a connection's state: what they write, and the state after. */
  private apply(
    call: QueryNode,
    handle: Handle,
    effects: StatementEffect[],
    conn: ConnState,
    pendingStart: RawWrite[],
    bySetter: boolean,
  ): { conn: ConnState; writes: RawWrite[]; definer: string[]; pendingWrites: RawWrite[] } {
    const writes: RawWrite[] = [];
    const definer: string[] = [];
    // Several statements in one simple-protocol string run as one implicit transaction,
    // unless the string opens an explicit one (then the transaction outlives the call); so does a DO block's body.
    let implicit = (effects.length > 1 || effects.some((e) => e.kind === 'DoStmt')) && conn.tx !== true;
    let pendingWrites = [...pendingStart];
    for (const effect of effects) {
      if (effect.transaction === 'begin') {
        // BEGIN inside an open transaction is a warning and a no-op in Postgres ("there is already a transaction
        // in progress"): the transaction goes on with what it set. On a connection the callers hand in, a
        // transaction is open after it either way, and its setting is the caller's: one the caller set in its
        // own transaction, or none (a caller outside a transaction has no transaction-local setting left).
        if (conn.tx === 'inherited') conn.tx = true;
        else if (conn.tx !== true) {
          conn.tx = true;
          conn.ctx = null;
          delete conn.rejected;
          pendingWrites = [];
        }
        implicit = false;
      } else if (effect.transaction === 'commit' || effect.transaction === 'rollback') {
        conn.tx = false;
        conn.ctx = null;
        delete conn.rejected;
        if (conn.role?.local) conn.role = null;
        pendingWrites = [];
      }
      if (effect.role) {
        // A pool's next query may take another connection (a multi-statement string runs on one).
        const pool = handle.kind === 'executor' && handle.exec === 'pool' && effects.length === 1;
        const inTransaction = conn.tx !== false || implicit;
        conn.role = roleAfter(effect.role, call, conn, { pool, inTransaction }, this.deps);
      }
      for (const set of effect.contextSets) {
        this.facts.settingsSet.add(set.setting);
        if (!this.deps.config.contextSettings.has(set.setting)) continue;
        const ev: ContextEvidence = {
          via: set.via,
          at: call,
          local: set.local === true,
          setting: set.setting,
          ...(set.value ? { value: set.value } : {}),
        };
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
          // Session-wide sets add up like local ones: `set_config('app.tenant_id', …, false)` then
          // `set_config('app.mid', …, false)` leaves both in force.
          const earlier =
            conn.session && conn.session.setting !== ev.setting
              ? [conn.session, ...(conn.session.also ?? [])].filter((x) => x.setting !== ev.setting)
              : [];
          conn.session = earlier.length ? { ...ev, also: earlier } : ev;
        }
      }
      for (const set of effect.boundSets ?? []) {
        if (!this.deps.config.contextSettings.has(set.setting)) continue;
        boundParameterSet(this.report, call, set);
        // Nothing is set: the write after it is judged without it, and its evidence says why.
        conn.rejected ??= { via: set.via, at: call, local: set.local === true, setting: set.setting };
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
    return { conn, writes, definer, pendingWrites };
  }

  /**
   * A connection's state here; one made in a function enclosing this one is the caller's (captured). One made
   * inside another function that does not enclose this one (`async function checkout() { return pool.connect() }`)
   * reached it through that function's return: each call checks out a new connection, so it starts fresh.
   */
  stateOf(state: Map<ts.Node, ConnState>, key: ts.Node, handle: Handle): ConnState {
    const existing = state.get(key);
    // In a callback run later, a connection from outside it is past the end of its transaction (once: a transaction
    // the callback opens itself is its own).
    const later = this.deferred;
    if (later && !later.moved.has(key) && !contains(later.fn, key)) {
      later.moved.add(key);
      const before = existing ? { ...existing } : this.stateOf(new Map(), key, handle);
      return afterTransactionEnds(before, handle, later.at, later.by);
    }
    if (existing) return { ...existing };
    const start: ConnState =
      handle.kind === 'executor' &&
      handle.exec !== 'pool' &&
      this.root &&
      !contains(this.root, key) &&
      !madeByAnotherCall(key, this.root, (fn) => this.ownCalls(fn))
        ? { tx: 'inherited', ctx: 'inherited', session: null, ineffective: null, capturedBy: this.root }
        : freshState(handle);
    // Where another path never touched this connection, it is still in this state (join).
    if (!this.untouched.has(key)) this.untouched.set(key, start);
    return { ...start };
  }

  /** The codebase's functions a root calls in its own body (its inline callbacks too), once per root. */
  private readonly calledBy = new Map<ts.Node, ReadonlySet<ts.Node>>();
  private ownCalls(fn: ts.Node): ReadonlySet<ts.Node> {
    let called = this.calledBy.get(fn);
    if (!called) {
      const found = new Set<ts.Node>();
      walkDescendants(fn, (n) => {
        // A nested function that is not an inline callback is a root of its own.
        if (isFunctionLike(n) && !isInlineCallback(n)) return false;
        if (ts.isCallExpression(n)) {
          const target = this.deps.origins.expr(n.expression);
          if (target.kind === 'function') found.add(target.decl);
        }
        return true;
      });
      this.calledBy.set(fn, (called = found));
    }
    return called;
  }

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
        contextSets: [{ setting: set.setting, local: set.local, via, ...(set.value ? { value: set.value } : {}) }],
        contextResets: [],
        transaction: null,
        kind: 'setter',
      };
      this.execute(call, handle, 'other', [effect], '', [], state, true);
    }
  }
}

/**
 * The connections' states where the flow of `fn` (a function of the codebase, read on its own, as a root) reaches
 * `node`, joined over the paths that reach it; undefined when it is not reached or the reading gave up. Cached per
 * node: the flow's table-generic builders ask it at every call, the ambient settler for a request's query function.
 */
export function bodyStateAt(
  deps: FlowDeps,
  fn: ts.FunctionLikeDeclaration,
  node: ts.Node,
): Map<ts.Node, ConnState> | undefined {
  let byNode = bodyStates.get(deps.config)?.get(deps.origins);
  if (!byNode) {
    const byOrigins = bodyStates.get(deps.config) ?? new WeakMap();
    bodyStates.set(deps.config, byOrigins);
    byOrigins.set(deps.origins, (byNode = new WeakMap()));
  }
  if (byNode.has(node)) return byNode.get(node) ?? undefined;
  byNode.set(node, null); // in progress: a builder reached again from its own body reads nothing
  const found = FlowWalker.readAlone(deps, fn, node);
  byNode.set(node, found ?? null);
  return found;
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

/**
 * Made inside a function that does not enclose `root`, and a call of that function returned the connection to
 * `root`: `root` is enclosed by no function (there is none to capture it from), or `root`'s own body calls the
 * maker (`router.post('/x', handler)` with `const handler = async () => { const c = await checkout(); … }` in a
 * registering function) and no function enclosing `root` does, so the connection is not one `root` could hold from
 * around it. (A module-level connection is shared, and a nested function may hold its enclosing function's
 * checkout: both stay captured.)
 */
function madeByAnotherCall(key: ts.Node, root: ts.Node, ownCalls: (fn: ts.Node) => ReadonlySet<ts.Node>): boolean {
  const enclosingFunction = (n: ts.Node): ts.Node | undefined => {
    let fn: ts.Node | undefined = n.parent;
    while (fn && !isFunctionLike(fn)) fn = fn.parent;
    return fn;
  };
  const maker = enclosingFunction(key);
  if (!maker || contains(maker, root)) return false;
  let outer = enclosingFunction(root);
  if (!outer) return true;
  if (!ownCalls(root).has(maker)) return false;
  for (; outer; outer = enclosingFunction(outer))
    if (!isInlineCallback(outer) && ownCalls(outer).has(maker)) return false;
  return true;
}

function contains(outer: ts.Node, inner: ts.Node): boolean {
  return inner.pos >= outer.pos && inner.end <= outer.end && inner.getSourceFile() === outer.getSourceFile();
}
