import ts from '../ts.js';
// Lives in src/code (not src/analysis/providers) because the origin resolver reads it, and
// src/code sits below the analysis (docs/architecture.md).
import type { Facts, FactKind } from './fixpoint.js';
import type { OriginResolver } from './origins.js';
import { assignmentsIn } from './file-nodes.js';
import { lookup } from './scope.js';
import { skipOuter } from '../syntax/wrappers.js';

// Connections carried inside objects: a field of a parameter (`opts.pgPool` in a framework
// plugin, `const { ownerPool } = options` in a callee), a class field a constructor assigns
// (`this.db = db`), a container object whose member is replaced after it is built. The value
// is followed from where it is made to where it writes, at every call that passes the object.

export type FieldPath = readonly (string | number)[];

/**
 * One node per (parameter, field path): the key a parameter's field is tracked under in a
 * function's connection state, so `opts.client` and `opts.pool` never share a state. The
 * first expression that reads the field stands for it (a real node of that function).
 *
 * Kept per parse, weakly: an editor's analysis session (src/analysis/session.ts) lives across edits and replaces the
 * edited file's parse at each one, and a map keyed by the parameters themselves held every replaced parse of a file
 * whose functions read a parameter's field (5.3 MB an edit of signacare's route file: performance.md, relint26). One
 * weak entry per parse, not per parameter: each weak key costs the garbage collector an ephemeron to mark.
 */
export class FieldKeys {
  private readonly keys = new WeakMap<ts.SourceFile, Map<ts.Node, Map<string, { node: ts.Node; path: FieldPath }>>>();

  of(decl: ts.Node, path: FieldPath, at: ts.Node): { node: ts.Node; path: FieldPath } {
    const sf = decl.getSourceFile();
    let byDecl = this.keys.get(sf);
    if (!byDecl) this.keys.set(sf, (byDecl = new Map()));
    let byPath = byDecl.get(decl);
    if (!byPath) byDecl.set(decl, (byPath = new Map()));
    const id = path.join('\u0000');
    let hit = byPath.get(id);
    if (!hit) byPath.set(id, (hit = { node: at, path: [...path] }));
    return hit;
  }
}

export function fieldText(path: FieldPath): string {
  return path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('');
}

/**
 * A framework plugin registration, `app.register(routes, { pgPool })` (Fastify; also through
 * `fp(routes)` of fastify-plugin): the framework calls `routes(instance, options)` with the
 * object passed here, so `routes`' second parameter is this call's second argument.
 * Recognised by provenance: the receiver is a Fastify instance (made by the `fastify`
 * package's factory, or a parameter typed with one of its types).
 */
export function pluginRegistration(
  call: ts.CallExpression,
  origins: OriginResolver,
): { plugin: ts.FunctionLikeDeclaration; args: (ts.Expression | undefined)[] } | undefined {
  const callee = skipOuter(call.expression);
  if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== 'register' || call.arguments.length < 1)
    return undefined;
  if (!isFastifyInstance(callee.expression, origins)) return undefined;
  const plugin = pluginFunction(call.arguments[0]!, origins);
  if (!plugin) return undefined;
  return { plugin, args: [undefined, call.arguments[1]] };
}

/** `fp(routes)` of fastify-plugin: hands back the plugin itself, so its callers are the registrations. */
export function isPluginWrapper(call: ts.CallExpression, origins: OriginResolver): boolean {
  const wrapper = origins.expr(call.expression);
  return wrapper.kind === 'external' && wrapper.module === 'fastify-plugin';
}

function pluginFunction(arg: ts.Expression, origins: OriginResolver): ts.FunctionLikeDeclaration | undefined {
  let e = skipOuter(arg);
  // fp(routes, { name }) from fastify-plugin: the same function, without encapsulation.
  if (ts.isCallExpression(e) && e.arguments[0] && isPluginWrapper(e, origins)) e = skipOuter(e.arguments[0]);
  const o = origins.expr(e);
  if (o.kind === 'function') return o.decl;
  if (o.kind === 'expr' && ts.isCallExpression(skipOuter(o.expr))) {
    const inner = skipOuter(o.expr) as ts.CallExpression;
    if (isPluginWrapper(inner, origins) && inner.arguments[0]) {
      const f = origins.expr(inner.arguments[0]);
      if (f.kind === 'function') return f.decl;
    }
  }
  return undefined;
}

/** A Fastify instance: made by `fastify()`, a parameter typed with its types, or a plugin's first parameter. */
export function isFastifyInstance(e: ts.Expression, origins: OriginResolver): boolean {
  const o = origins.expr(e);
  if (o.kind === 'expr') {
    const made = skipOuter(o.expr);
    if (ts.isCallExpression(made)) {
      const factory = origins.expr(made.expression);
      return factory.kind === 'external' && factory.module === 'fastify' && factory.path.length <= 1;
    }
    return false;
  }
  if (o.kind === 'param' && o.path.length === 0) {
    const type = o.binding.decl.type;
    if (type && ts.isTypeReferenceNode(type)) {
      const t = origins.expr(ts.isIdentifier(type.typeName) ? type.typeName : type.typeName.right);
      if (t.kind === 'external' && t.module === 'fastify') return true;
    }
    // The first parameter of a plugin is the instance that registered it.
    const fn = o.binding.fn as ts.FunctionLikeDeclaration;
    return o.binding.index === 0 && !type && (isRegisteredPlugin(fn) || isWrappedPlugin(fn, origins));
  }
  return false;
}

/** A function wrapped by fastify-plugin where it is defined (`fp(async function db(fastify) { … })`). */
function isWrappedPlugin(fn: ts.FunctionLikeDeclaration, origins: OriginResolver): boolean {
  let at: ts.Node = fn.parent;
  while (ts.isParenthesizedExpression(at)) at = at.parent;
  return ts.isCallExpression(at) && at.arguments[0] === fn && isPluginWrapper(at, origins);
}

/**
 * Whether the plugin a `register(plugin)` call loads is wrapped by fastify-plugin (inline, or
 * where the name it is passed by was made): such a plugin adds its hooks and routes to the
 * registering instance itself, not to an encapsulated child.
 */
export function isUnencapsulatedPlugin(arg: ts.Expression, origins: OriginResolver): boolean {
  const e = skipOuter(arg);
  if (ts.isCallExpression(e)) return isPluginWrapper(e, origins);
  const o = origins.expr(e);
  if (o.kind === 'expr' && ts.isCallExpression(skipOuter(o.expr)))
    return isPluginWrapper(skipOuter(o.expr) as ts.CallExpression, origins);
  if (o.kind === 'function') return isWrappedPlugin(o.decl, origins);
  return false;
}

/** A function passed as the first argument of a `.register(…)` call in its own file. */
function isRegisteredPlugin(fn: ts.FunctionLikeDeclaration): boolean {
  const parent = fn.parent;
  return (
    !!parent &&
    ts.isCallExpression(parent) &&
    parent.arguments[0] === fn &&
    ts.isPropertyAccessExpression(parent.expression) &&
    parent.expression.name.text === 'register'
  );
}

export interface Replacement {
  value: ts.Expression;
  at: ts.Node;
}

/**
 * Per source file, once: the members of object literals held in a name that the file assigns
 * again (`deps.db = pool` after `const deps = { db: tx }`). A member replaced after the
 * object is built is not its initial value everywhere, so a reader of it fails closed.
 * Syntactic (the name's own declaration, in the same file), so it never depends on other facts.
 */
export const replacementsFact: FactKind<
  ts.SourceFile,
  ReadonlyMap<ts.ObjectLiteralExpression, ReadonlyMap<string, Replacement[]>>
> = {
  name: 'replaced-members',
  compute: (sf) => {
    const out = new Map<ts.ObjectLiteralExpression, Map<string, Replacement[]>>();
    const visit = (n: ts.Node): void => {
      const assigned = memberAssignment(n);
      if (assigned) {
        const { key, holder, value } = assigned;
        const b = ts.isIdentifier(holder) ? lookup(holder) : undefined;
        const init =
          b?.kind === 'variable' && b.path.length === 0 && b.decl.initializer
            ? skipOuter(b.decl.initializer)
            : undefined;
        if (init && ts.isObjectLiteralExpression(init)) {
          let byKey = out.get(init);
          if (!byKey) out.set(init, (byKey = new Map()));
          const list = byKey.get(key) ?? [];
          list.push({ value, at: n });
          byKey.set(key, list);
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
    return out;
  },
  conservative: () => new Map(),
  same: (a, b) => a.size === b.size,
};

export function replacementsOf(facts: Facts, obj: ts.ObjectLiteralExpression, key: string): Replacement[] {
  return facts.get(replacementsFact, obj.getSourceFile()).get(obj)?.get(key) ?? [];
}

/** `holder.key = value` (or `holder['key'] op= value`): the member an assignment writes. */
function memberAssignment(n: ts.Node): { holder: ts.Expression; key: string; value: ts.Expression } | undefined {
  if (
    !ts.isBinaryExpression(n) ||
    n.operatorToken.kind < ts.SyntaxKind.FirstAssignment ||
    n.operatorToken.kind > ts.SyntaxKind.LastAssignment
  )
    return undefined;
  const left = skipOuter(n.left);
  if (ts.isPropertyAccessExpression(left))
    return { holder: skipOuter(left.expression), key: left.name.text, value: n.right };
  if (ts.isElementAccessExpression(left) && ts.isStringLiteralLike(left.argumentExpression))
    return { holder: skipOuter(left.expression), key: left.argumentExpression.text, value: n.right };
  return undefined;
}

/** An assignment to a member of an imported binding (`container.db = pool` where `container` is imported). */
export interface ForeignAssignment {
  holder: ts.Identifier;
  key: string;
  replacement: Replacement;
}

/**
 * The assignments a file makes to members of what it imports: a container object built in
 * another module and replaced from here. Syntactic, one walk of the file; the caller resolves
 * each holder to the object it names (OriginResolver.registerForeignReplacements).
 */
export function foreignAssignments(sf: ts.SourceFile): ForeignAssignment[] {
  const out: ForeignAssignment[] = [];
  // The file's assignments come from its one index walk (file-nodes.ts), in source order. The scan lists them in the
  // order its own walk met them, which the evidence quoting several replacements keeps: that walk popped a node's
  // last child first, so it met a node before its descendants and a later sibling's subtree before an earlier one's
  // (reverse post-order): by end descending, then by start (a parent before a child ending with it; the sort is
  // stable, so nodes with the same span keep their source order, the parent first).
  const order = [...assignmentsIn(sf)].sort((a, b) => b.end - a.end || a.pos - b.pos);
  for (const n of order) {
    const assigned = memberAssignment(n);
    if (assigned && ts.isIdentifier(assigned.holder) && lookup(assigned.holder)?.kind === 'import')
      out.push({ holder: assigned.holder, key: assigned.key, replacement: { value: assigned.value, at: n } });
  }
  return out;
}

/**
 * `this.db` of a class whose field is assigned once, in its constructor's body, on every path
 * (`constructor(db: Pool) { this.db = db; }`): the value assigned. Assigned anywhere else in
 * the class, or only on some path, it is not one value: undefined (the caller fails closed).
 */
export function constructorAssignment(
  cls: ts.ClassLikeDeclaration,
  key: string,
  initialized?: ts.PropertyDeclaration,
): { value: ts.Expression } | { reason: string; values?: Replacement[] } | undefined {
  const ctor = cls.members.find((m): m is ts.ConstructorDeclaration => ts.isConstructorDeclaration(m) && !!m.body);
  const assignments = fieldAssignments(cls, key);
  if (assignments.length === 0) return undefined;
  const initial: Replacement[] = initialized?.initializer ? [{ value: initialized.initializer, at: initialized }] : [];
  const only = assignments[0]!;
  const direct = ctor?.body?.statements.some((st) => ts.isExpressionStatement(st) && skipOuter(st.expression) === only);
  if (initial.length || assignments.length > 1 || !direct || only.operatorToken.kind !== ts.SyntaxKind.EqualsToken) {
    const places = assignments.length + initial.length;
    const reason =
      `\`this.${key}\` is ${initial.length ? 'initialised and ' : ''}assigned ` +
      `${places > 1 ? `in ${places} places` : "outside the constructor body's top level"}`;
    // Assigned several times, each a whole value (`=`, or `??=`/`||=`, which assign it when they do): the field holds
    // one of them at any read, for the reader to judge them all (analysis/providers/replaced-members.ts).
    const whole = assignments.every((a) => assignsWhole(a.operatorToken.kind));
    return places > 1 && whole
      ? { reason, values: [...initial, ...assignments.map((a) => ({ value: a.right, at: a }))] }
      : { reason };
  }
  return { value: only.right };
}

/** Per class, once: its assignments `this.key = …` by key (a class is walked once, however many fields are read). */
const assignmentsByClass = new WeakMap<ts.ClassLikeDeclaration, Map<string, ts.BinaryExpression[]>>();

/** Every assignment `this.key = …` (or `op=`) in the class's own members, not in nested classes. */
export function fieldAssignments(cls: ts.ClassLikeDeclaration, key: string): readonly ts.BinaryExpression[] {
  let byKey = assignmentsByClass.get(cls);
  if (!byKey) assignmentsByClass.set(cls, (byKey = thisAssignments(cls)));
  return byKey.get(key) ?? [];
}

function thisAssignments(cls: ts.ClassLikeDeclaration): Map<string, ts.BinaryExpression[]> {
  const byKey = new Map<string, ts.BinaryExpression[]>();
  const visit = (n: ts.Node): void => {
    if (ts.isClassLike(n) && n !== cls) return;
    if (
      ts.isBinaryExpression(n) &&
      n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
      n.operatorToken.kind <= ts.SyntaxKind.LastAssignment
    ) {
      const left = skipOuter(n.left);
      if (ts.isPropertyAccessExpression(left) && skipOuter(left.expression).kind === ts.SyntaxKind.ThisKeyword) {
        const list = byKey.get(left.name.text);
        if (list) list.push(n);
        else byKey.set(left.name.text, [n]);
      }
    }
    ts.forEachChild(n, visit);
  };
  for (const m of cls.members) visit(m);
  return byKey;
}

/** `=`, `??=`, `||=`: each assigns the whole value when it assigns (read at the call: no TypeScript at load). */
function assignsWhole(kind: ts.SyntaxKind): boolean {
  return (
    kind === ts.SyntaxKind.EqualsToken ||
    kind === ts.SyntaxKind.QuestionQuestionEqualsToken ||
    kind === ts.SyntaxKind.BarBarEqualsToken
  );
}

/** `ReturnType<typeof buildClient>` (directly or through a local alias): the function named. */
export function returnTypeOf(type: ts.TypeNode, depth = 0): ts.Identifier | undefined {
  if (depth > 5) return undefined;
  if (!ts.isTypeReferenceNode(type)) return undefined;
  if (ts.isIdentifier(type.typeName) && type.typeName.text === 'ReturnType' && type.typeArguments?.length === 1) {
    const arg = type.typeArguments[0]!;
    if (ts.isTypeQueryNode(arg) && ts.isIdentifier(arg.exprName)) return arg.exprName;
    return undefined;
  }
  if (ts.isIdentifier(type.typeName) && type.typeName.text === 'Awaited' && type.typeArguments?.length === 1)
    return returnTypeOf(type.typeArguments[0]!, depth + 1);
  return undefined;
}
