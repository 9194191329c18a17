import ts from '../ts.js';
import { isPluginWrapper, pluginRegistration } from '../code/carried.js';
import type { OriginResolver } from '../code/origins.js';
import { isFunctionLike } from '../code/scope.js';
import { skipOuter } from '../syntax/wrappers.js';
import type { AnalysisConfig } from './config.js';
import { scopeHelper } from './config-match.js';
import { connectionKey, freshState, type State } from './connection-state.js';
import type { CallEdge, ConnState, FileFacts } from './facts.js';
import type { Handle, HandleResolver } from './handles.js';
import { transactionOnAmbient } from './ambient/providers.js';
import { contractCallee } from './interface-calls.js';
import { calleeFunctionType } from './function-types.js';
import { mayLink } from './value-links.js';

// Calls of functions in the codebase: the edges that carry connections (and their states) into
// helpers, callbacks and constructors, and the functions that escape as values (their callers
// cannot all be seen). program.ts follows the edges across files.

/** What recording a call asks of the interpreter walking the function that makes it. */
export interface EdgeWalker {
  /** The function being interpreted; undefined at module level. */
  readonly root: ts.FunctionLikeDeclaration | undefined;
  stateOf(state: Map<ts.Node, ConnState>, key: ts.Node, handle: Handle): ConnState;
  applySetters(
    call: ts.CallExpression,
    fn: ts.FunctionLikeDeclaration | undefined,
    state: Map<ts.Node, ConnState>,
  ): void;
}

export interface EdgeDeps {
  root: string;
  config: AnalysisConfig;
  origins: OriginResolver;
  handles: HandleResolver;
}

export class CallEdges {
  constructor(
    private readonly deps: EdgeDeps,
    private readonly facts: FileFacts,
    private readonly walker: EdgeWalker,
  ) {}

  helperCall(call: ts.CallExpression, state: Map<ts.Node, ConnState>): void {
    const ambient = this.deps.handles.ambient;
    if (ambient.enters(call) || ambient.entersThrough(call))
      (this.facts.storeEntries ??= new Map()).set(call, new Map(state));
    const helper = scopeHelper(this.deps.config, call);
    if (helper) {
      const index = helper.callbackArg < 0 ? call.arguments.length + helper.callbackArg : helper.callbackArg;
      const arg = call.arguments[index];
      if (arg && !isFunctionLike(skipOuter(arg))) {
        const target = this.deps.origins.expr(arg);
        if (target.kind === 'function') {
          // A function passed by name as the helper's callback is called with the scoped executor.
          const args: CallEdge['args'] = [];
          const label = `the executor ${helper.name} hands its callback`;
          const scoped: Handle = { kind: 'scoped', via: helper.name, key: call, label, helperCall: call };
          args[helper.executorParam] = { handle: scoped, state: freshState(scoped) };
          this.facts.edges.push({ call, callee: target.decl, args, states: new Map(state), root: this.walker.root });
        } else if (target.kind === 'param' && target.path.length === 0) {
          // This function hands its own callback parameter to a scope helper: it is one too.
          const fn = target.binding.fn as ts.FunctionLikeDeclaration;
          const paramIndex = target.binding.index;
          this.facts.callbackUses.push({ kind: 'forward-helper', fn, paramIndex, call, helper: helper.name });
        }
      }
      return;
    }
    const plugin = pluginRegistration(call, this.deps.origins);
    if (plugin) {
      // app.register(routes, { pgPool }): the framework calls routes(instance, { pgPool }).
      const states = new Map(state);
      const root = this.walker.root;
      this.facts.edges.push({ call, callee: plugin.plugin, args: [], argExprs: plugin.args, states, root });
      return;
    }
    const target = this.deps.origins.expr(call.expression);
    // `next({ ctx: { db: tx } })` in the middleware's own transaction: tx's state here is what the chain carries on.
    if (target.kind === 'param' && target.path.at(-1) === 'next' && state.size > 0)
      (this.facts.nextCalls ??= new Map()).set(call, new Map(state));
    // `Queue.getDb().executeSql(…)` with the static field given instances of two classes: the call runs one of their
    // methods, so it is an edge to each (a write they make is judged at this call, the worst first).
    if (target.kind === 'unknown' && target.methods?.length) {
      const args = this.connectionArgs(call.arguments, state);
      for (const m of target.methods)
        this.facts.edges.push({ call, callee: m.decl, args, states: new Map(state), root: this.walker.root });
      return;
    }
    if (target.kind !== 'function') this.forwardsToValue(call);
    if (target.kind === 'param' && target.path.length === 0) {
      // Calling a parameter: what this function hands its callback.
      const fn = target.binding.fn as ts.FunctionLikeDeclaration;
      const args = this.connectionArgs(call.arguments, state);
      // `work({ db, userId })`: the callback reads the connection out of an object, whose state here the settler
      // needs (program.ts fieldPassed); kept only then, as an edge keeps its caller's.
      const holds = call.arguments.some((a) => ts.isObjectLiteralExpression(skipOuter(a)));
      const use = { kind: 'invoke' as const, fn, paramIndex: target.binding.index, call, args };
      this.facts.callbackUses.push(holds ? { ...use, states: new Map(state) } : use);
      return;
    }
    if (target.kind !== 'function') {
      // NestJS events: the listeners run during the emit, in its request context (providers/nest-di.ts).
      for (const listener of this.deps.handles.ambient.nest?.listenersOf(call) ?? [])
        this.facts.edges.push({ call, callee: listener, args: [], states: new Map(state), root: this.walker.root });
      // `this.db.createObject(…)` with `db: Database`: an edge to each implementation, once all files are known.
      const contract = contractCallee(this.deps.origins, call);
      // `JSON.stringify(x)`, `logger.info(…)`, a package's function: a call no edge can come of, whatever it is
      // passed, is not asked its arguments' handles (value-links.ts `mayLink`; docs/performance.md, cpu26).
      const mayNotLink = !contract && call.arguments.length > 0;
      if (mayNotLink && !mayLink(this.deps.origins, this.deps.root, call.expression)) {
        this.walker.applySetters(call, undefined, state);
        return;
      }
      const args = this.connectionArgs(call.arguments, state);
      if (contract) {
        const root = this.walker.root;
        (this.facts.contractCalls ??= []).push({ ...contract, call, args, states: new Map(state), root });
      }
      if (args.some((a) => a !== null))
        (this.facts.valueCalls ??= []).push({ call, args, states: new Map(state), root: this.walker.root });
      else if (target.kind === 'unknown' && ts.isPropertyAccessExpression(skipOuter(call.expression))) {
        // Only a member declared with a function type can be linked: no state copied for `console.log(…)`. The type is
        // kept for the linking (function-types.ts linkMemberCalls), which does not read the call again.
        const type = calleeFunctionType(this.deps.origins, call.expression);
        if (type) {
          (this.facts.memberCalls ??= []).push({ call, args, states: new Map(state), root: this.walker.root });
          (this.facts.memberTypes ??= new Map()).set(call, type);
        }
      }
      this.walker.applySetters(call, undefined, state);
      return;
    }
    call.arguments.forEach((a, argIndex) => {
      const passed = this.deps.origins.expr(a);
      if (passed.kind === 'param' && passed.path.length === 0) {
        const fn = passed.binding.fn as ts.FunctionLikeDeclaration;
        const paramIndex = passed.binding.index;
        this.facts.callbackUses.push({ kind: 'forward', fn, paramIndex, call, to: target.decl, argIndex });
      }
    });
    const args = this.connectionArgs(call.arguments, state);
    this.facts.edges.push({ call, callee: target.decl, args, states: new Map(state), root: this.walker.root });
    this.walker.applySetters(call, target.decl, state);
  }

  /**
   * A parameter passed on to a callee that is a value, not a function of the codebase (`createForTenant(db)(id, fn)`,
   * `forTenant(id, fn)` on a factory's parameter, `deps.forTenant(id, fn)`): the settler resolves the callee.
   */
  private forwardsToValue(call: ts.CallExpression): void {
    const forwarded: { fn: ts.FunctionLikeDeclaration; paramIndex: number; argIndex: number }[] = [];
    call.arguments.forEach((a, argIndex) => {
      if (isFunctionLike(skipOuter(a))) return;
      const passed = this.deps.origins.expr(a);
      if (passed.kind !== 'param' || passed.path.length > 0) return;
      const fn = passed.binding.fn as ts.FunctionLikeDeclaration;
      forwarded.push({ fn, paramIndex: passed.binding.index, argIndex });
    });
    if (!forwarded.length) return;
    // `db.transaction(fn)` on an ambient accessor: the library's transaction, which the callback's readers judge per
    // path (callback-params.ts `forwardedConnections`), not a value to follow into (a Proxy has no body to read).
    const callee = skipOuter(call.expression);
    if (ts.isPropertyAccessExpression(callee)) {
      const receiver = this.deps.handles.of(callee.expression);
      if (receiver.kind === 'ambient' && transactionOnAmbient(receiver, callee.name.text, '')) return;
    }
    for (const f of forwarded)
      this.facts.callbackUses.push({
        kind: 'forward-value',
        fn: f.fn,
        paramIndex: f.paramIndex,
        call,
        argIndex: f.argIndex,
      });
  }

  /**
   * `req.db = client;`: a request property entered with a connection (context/express-vars.ts), whose state there
   * (a session set_config on the client before it) the write behind the middleware keeps.
   */
  assignment(node: ts.BinaryExpression, state: Map<ts.Node, ConnState>): void {
    if (node.operatorToken.kind !== ts.SyntaxKind.EqualsToken || !ts.isExpressionStatement(node.parent)) return;
    const entered = this.deps.handles.ambient.enterWith(node.parent);
    if (entered) (this.facts.storeEntries ??= new Map()).set(entered.call, new Map(state));
  }

  /** `new Repository(pool)`: the constructor is called with these connections. */
  construct(call: ts.NewExpression, state: State): void {
    if (state === null || !call.arguments?.length) return;
    const target = this.deps.origins.expr(call.expression);
    if (target.kind !== 'class') return;
    const ctor = target.decl.members.find(
      (m): m is ts.ConstructorDeclaration => ts.isConstructorDeclaration(m) && !!m.body,
    );
    if (!ctor) return;
    const args = this.connectionArgs(call.arguments, state);
    this.facts.edges.push({ call, callee: ctor, args, states: new Map(state), root: this.walker.root });
  }

  connectionArgs(args: readonly ts.Expression[], state: Map<ts.Node, ConnState>): CallEdge['args'] {
    return args.map((a) => {
      const h = this.deps.handles.of(a);
      if (h.kind === 'not-db' || h.kind === 'library') return null;
      const key = connectionKey(h);
      return { handle: h, state: key ? this.walker.stateOf(state, key, h) : freshState(h) };
    });
  }

  /** Names that may refer to a function (declared or imported here): only these can escape. */
  private functionNames: Set<string> | undefined;

  /** A function passed or stored as a value: its callers cannot all be seen. */
  noteEscape(id: ts.Identifier): void {
    const parent = id.parent;
    if (!parent || !isValuePosition(id, parent)) return;
    if (ts.isCallExpression(parent) && scopeHelper(this.deps.config, parent)) return;
    // A plugin registered with the framework: the registration is its call (an edge).
    if (ts.isCallExpression(parent) && parent.arguments[0] === id) {
      if (pluginRegistration(parent, this.deps.origins) || isPluginWrapper(parent, this.deps.origins)) return;
    }
    this.functionNames ??= functionishNames(this.facts.sf);
    if (!this.functionNames.has(id.text)) return;
    const origin = this.deps.origins.identifier(id);
    if (origin.kind === 'function') {
      this.facts.escapedFunctions.add(origin.decl);
      const at = (this.facts.escapes ??= new Map()).get(origin.decl);
      if (at) at.push(id);
      else this.facts.escapes.set(origin.decl, [id]);
    }
  }
}

/** Where a function name is used as a value rather than called or declared. */
function isValuePosition(id: ts.Identifier, parent: ts.Node): boolean {
  if (ts.isCallExpression(parent) || ts.isNewExpression(parent)) return parent.expression !== id;
  if (ts.isPropertyAssignment(parent)) return parent.initializer === id;
  // `export const clearAccounts = clearAll;` at module level is another name for the function: calls through it are
  // its calls (provenance follows the const), and the alias's own uses as a value are noted in turn (functionishNames).
  if (ts.isVariableDeclaration(parent)) return parent.initializer === id && !isModuleAlias(parent);
  if (ts.isBinaryExpression(parent)) return parent.right === id;
  return (
    ts.isShorthandPropertyAssignment(parent) ||
    ts.isArrayLiteralExpression(parent) ||
    ts.isReturnStatement(parent) ||
    ts.isConditionalExpression(parent) ||
    ts.isSpreadElement(parent) ||
    ts.isArrowFunction(parent)
  );
}

/** `const alias = name;` as a statement of the module. */
function isModuleAlias(d: ts.VariableDeclaration): boolean {
  const list = d.parent;
  return (
    ts.isIdentifier(d.name) &&
    !!d.initializer &&
    ts.isIdentifier(d.initializer) &&
    ts.isVariableDeclarationList(list) &&
    (list.flags & ts.NodeFlags.Const) !== 0 &&
    ts.isVariableStatement(list.parent) &&
    ts.isSourceFile(list.parent.parent)
  );
}

/** Module-level names that may refer to a function: its declarations, its imports, and consts that alias them. */
function functionishNames(sf: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  const aliases: ts.VariableDeclaration[] = [];
  for (const st of sf.statements) {
    if ((ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st)) && st.name) names.add(st.name.text);
    else if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) {
        const init = d.initializer && skipOuter(d.initializer);
        const fnInit = init && (ts.isArrowFunction(init) || ts.isFunctionExpression(init));
        if (ts.isIdentifier(d.name) && fnInit) names.add(d.name.text);
        else if (isModuleAlias(d)) aliases.push(d);
      }
    } else if (ts.isImportDeclaration(st) && st.importClause) {
      const c = st.importClause;
      if (c.name) names.add(c.name.text);
      if (c.namedBindings && ts.isNamedImports(c.namedBindings)) {
        for (const el of c.namedBindings.elements) names.add(el.name.text);
      }
    }
  }
  // An alias of an alias is one too. One pass in source order sees them all: a const cannot be read before its
  // declaration runs, while the functions and imports it may name are all collected above.
  for (const d of aliases)
    if (names.has((d.initializer as ts.Identifier).text)) names.add((d.name as ts.Identifier).text);
  return names;
}
