import ts from '../../ts.js';
import type { OriginResolver } from '../../code/origins.js';
import { isFunctionLike } from '../../code/scope.js';
import { skipOuter } from '../../syntax/wrappers.js';
import type { AmbientProviders, Store } from './providers.js';

// Guards: a function that throws when a store holds nothing (`const id = store.getStore()?.tenantId; if (!id) throw
// …`), or that calls such a function before anything else can return (`scopedWhere()` calling `getTenantId()` first).
// Code that runs only after a guard has returned runs with the store entered: a path that reaches a write, or the
// call that leads to it, with nothing in that store throws at the guard and writes nothing there. Only calls made
// unconditionally count: in the write's own call (its receiver chain and arguments, evaluated before the query is
// sent), or in an earlier statement of a block around it. Never through a branch, a `try`, a loop, a nested function,
// or the right side of `&&`, `||`, `??`, `?.` and `? :`, where the guard may not have run; an async function is a
// guard for its caller only where the call is awaited (its throw is a rejected promise).

export class StoreGuards {
  private readonly memo = new WeakMap<ts.FunctionLikeDeclaration, ReadonlySet<Store>>();

  constructor(
    private readonly providers: AmbientProviders,
    private readonly origins: OriginResolver,
  ) {}

  /**
   * The stores that are entered whenever `node` (a write's call, or a call of a function) runs, each with the guard
   * called (the function of the codebase the code calls, which may reach the check through others).
   */
  before(node: ts.Node, write: boolean): ReadonlyMap<Store, ts.FunctionLikeDeclaration> {
    const out = new Map<Store, ts.FunctionLikeDeclaration>();
    let top: ts.Node = node;
    if (write) {
      // A write's whole call chain runs before its query is sent: `this.repo.createQueryBuilder().update(X)
      // .where(…, { id: getTenantId() }).execute()`.
      while (
        (ts.isPropertyAccessExpression(top.parent) && top.parent.expression === top) ||
        (ts.isCallExpression(top.parent) && top.parent.expression === top) ||
        ts.isParenthesizedExpression(top.parent) ||
        ts.isNonNullExpression(top.parent)
      )
        top = top.parent;
      this.calledIn(top, out);
    } else if (ts.isCallExpression(node)) {
      // A call of a function: its receiver and arguments are evaluated before it runs; its own guard, inside it, is
      // not (what it does before that check is not covered).
      const callee = skipOuter(node.expression);
      if (ts.isPropertyAccessExpression(callee)) this.calledIn(callee.expression, out);
      for (const a of node.arguments) this.calledIn(a, out);
    }
    // Earlier statements of each enclosing block, up to the function.
    let child: ts.Node = top;
    for (let n = top.parent as ts.Node | undefined; n && !isFunctionLike(n) && !ts.isSourceFile(n); n = n.parent) {
      if (ts.isBlock(n))
        for (const [s, fn] of this.beforeStatement(n, n.statements.indexOf(child as ts.Statement)))
          if (!out.has(s)) out.set(s, fn);
      child = n;
    }
    return out;
  }

  /**
   * The guards the plain statements of `block` before its statement `index` call, the first call of each store's
   * kept. Built once per block, a statement at a time as later ones are asked: the calls of a long body each ask for
   * the statements before them, so reading them again per call would cost the body's length per call.
   */
  private beforeStatement(block: ts.Block, index: number): ReadonlyMap<Store, ts.FunctionLikeDeclaration> {
    let prefixes = this.prefixes.get(block);
    if (!prefixes) this.prefixes.set(block, (prefixes = [new Map()]));
    for (let i = prefixes.length - 1; i < index; i++) {
      const next = new Map(prefixes[i]!);
      const st = block.statements[i]!;
      if (plain(st)) this.calledIn(st, next);
      prefixes.push(next.size === prefixes[i]!.size ? prefixes[i]! : next);
    }
    return prefixes[Math.max(0, index)]!;
  }

  private readonly prefixes = new WeakMap<ts.Block, ReadonlyMap<Store, ts.FunctionLikeDeclaration>[]>();

  /** The stores a function has made sure are entered when it returns (empty: it is no guard). */
  guarded(fn: ts.FunctionLikeDeclaration): ReadonlySet<Store> {
    const known = this.memo.get(fn);
    if (known) return known;
    // Memoised once per function, whatever asks (a depth cap would memoise a cut-short answer): a cycle guards
    // nothing.
    this.memo.set(fn, new Set());
    const out = new Map<Store, ts.FunctionLikeDeclaration>();
    const body = fn.body;
    if (body && ts.isBlock(body)) {
      const locals = new Map<string, Store>();
      for (const st of body.statements) {
        // `const id = store.getStore()?.tenantId;` then `if (!id) throw …`.
        if (ts.isVariableStatement(st))
          for (const d of st.declarationList.declarations) {
            const r = d.initializer && ts.isIdentifier(d.name) ? this.providers.read(d.initializer) : undefined;
            if (r) locals.set((d.name as ts.Identifier).text, r.store);
          }
        if (ts.isIfStatement(st) && !st.elseStatement && throwsOnly(st.thenStatement)) {
          const tested = absent(st.expression);
          const store =
            tested && (ts.isIdentifier(tested) ? locals.get(tested.text) : this.providers.read(tested)?.store);
          if (store) out.set(store, fn);
          continue;
        }
        if (!plain(st)) break;
        this.calledIn(st, out);
        if (ts.isReturnStatement(st)) break;
      }
    }
    const stores = new Set(out.keys());
    this.memo.set(fn, stores);
    return stores;
  }

  /** Guards called unconditionally within a node (not through a branch or a nested function). */
  private calledIn(node: ts.Node, out: Map<Store, ts.FunctionLikeDeclaration>): void {
    const visit = (n: ts.Node): void => {
      if (isFunctionLike(n) || ts.isConditionalExpression(n)) return;
      if (ts.isBinaryExpression(n) && isShortCircuit(n.operatorToken.kind)) {
        visit(n.left);
        return;
      }
      if (ts.isCallExpression(n)) {
        if (n.questionDotToken) return;
        const target = this.origins.expr(n.expression);
        // An async function's throw is a rejected promise: it stops the caller only where the call is awaited.
        if (target.kind === 'function' && (!isAsync(target.decl) || awaited(n)))
          for (const s of this.guarded(target.decl)) if (!out.has(s)) out.set(s, target.decl);
      }
      ts.forEachChild(n, visit);
    };
    visit(node);
  }
}

function isAsync(fn: ts.FunctionLikeDeclaration): boolean {
  return !!ts.getModifiers(fn)?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword);
}

/** `await f()` (through parentheses). */
function awaited(call: ts.CallExpression): boolean {
  let n: ts.Node = call.parent;
  while (ts.isParenthesizedExpression(n)) n = n.parent;
  return ts.isAwaitExpression(n);
}

/** A statement that runs its expressions unconditionally (no branch, loop or `try`). */
function plain(st: ts.Statement): boolean {
  return ts.isExpressionStatement(st) || ts.isVariableStatement(st) || ts.isReturnStatement(st);
}

/** Operators whose right side may not run (built at first use: no module reads TypeScript when it is loaded). */
let shortCircuit: ReadonlySet<ts.SyntaxKind> | undefined;

function isShortCircuit(kind: ts.SyntaxKind): boolean {
  shortCircuit ??= new Set([
    ts.SyntaxKind.AmpersandAmpersandToken,
    ts.SyntaxKind.BarBarToken,
    ts.SyntaxKind.QuestionQuestionToken,
    ts.SyntaxKind.AmpersandAmpersandEqualsToken,
    ts.SyntaxKind.BarBarEqualsToken,
    ts.SyntaxKind.QuestionQuestionEqualsToken,
  ]);
  return shortCircuit.has(kind);
}

/** `throw …;` or `{ throw …; }`. */
function throwsOnly(st: ts.Statement): boolean {
  if (ts.isThrowStatement(st)) return true;
  return ts.isBlock(st) && st.statements.length === 1 && ts.isThrowStatement(st.statements[0]!);
}

/** The value a test says is absent: `!x`, `x == null`, `x === undefined` (either side). */
function absent(test: ts.Expression): ts.Expression | undefined {
  const e = skipOuter(test);
  if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.ExclamationToken) return skipOuter(e.operand);
  if (ts.isBinaryExpression(e)) {
    const op = e.operatorToken.kind;
    if (op !== ts.SyntaxKind.EqualsEqualsToken && op !== ts.SyntaxKind.EqualsEqualsEqualsToken) return undefined;
    const nothing = (x: ts.Expression): boolean => {
      const y = skipOuter(x);
      return y.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(y) && y.text === 'undefined');
    };
    if (nothing(e.right)) return skipOuter(e.left);
    if (nothing(e.left)) return skipOuter(e.right);
  }
  return undefined;
}
