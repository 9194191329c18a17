import ts from '../ts.js';
import { skipOuter } from '../syntax/wrappers.js';
import { walkDescendants } from './walk.js';

// Lazy lexical name resolution over compiler nodes (parent pointers set): an identifier is
// resolved by walking up its scopes, and each scope's declarations are collected once.
// No type checker, so it works on any single file as the ESLint plugin sees it.

/** Property names (or array indexes) from a destructuring pattern down to the bound name. */
export type BindingPath = (string | number)[];

export type Binding =
  | { kind: 'variable'; name: string; decl: ts.VariableDeclaration; flags: 'const' | 'let' | 'var'; path: BindingPath }
  | {
      kind: 'parameter';
      name: string;
      decl: ts.ParameterDeclaration;
      fn: ts.SignatureDeclaration;
      index: number;
      path: BindingPath;
    }
  | { kind: 'function'; name: string; decl: ts.FunctionDeclaration | ts.FunctionExpression }
  | { kind: 'class'; name: string; decl: ts.ClassDeclaration }
  | { kind: 'import'; name: string; module: string; imported: string; decl: ts.Node }
  | { kind: 'other'; name: string; decl: ts.Node };

const scopeCache = new WeakMap<ts.Node, ReadonlyMap<string, Binding>>();

// Sets of syntax kinds are built at their first use, not when the module loads: TypeScript is loaded only when a
// run needs it (a warm audit with nothing changed does not; scripts/bundle.ts).
let functionKinds: ReadonlySet<ts.SyntaxKind> | undefined;
const FUNCTION_KINDS = (): ReadonlySet<ts.SyntaxKind> =>
  (functionKinds ??= new Set([
    ts.SyntaxKind.FunctionDeclaration,
    ts.SyntaxKind.FunctionExpression,
    ts.SyntaxKind.ArrowFunction,
    ts.SyntaxKind.MethodDeclaration,
    ts.SyntaxKind.Constructor,
    ts.SyntaxKind.GetAccessor,
    ts.SyntaxKind.SetAccessor,
  ]));

export function isFunctionLike(node: ts.Node): node is ts.FunctionLikeDeclaration {
  return FUNCTION_KINDS().has(node.kind);
}

const lookupCache = new WeakMap<ts.Identifier, Binding | null>();

export function lookup(id: ts.Identifier): Binding | undefined {
  const hit = lookupCache.get(id);
  if (hit !== undefined) return hit ?? undefined;
  const found = lookupUncached(id);
  lookupCache.set(id, found ?? null);
  return found;
}

function lookupUncached(id: ts.Identifier): Binding | undefined {
  const name = id.text;
  let node: ts.Node | undefined = id.parent;
  let previous: ts.Node = id;
  while (node) {
    if (isScope(node, previous)) {
      const found = declarationsOf(node).get(name);
      if (found) return found;
    }
    previous = node;
    node = node.parent;
  }
  return undefined;
}

let scopeKinds: ReadonlySet<ts.SyntaxKind> | undefined;
const SCOPE_KINDS = (): ReadonlySet<ts.SyntaxKind> =>
  (scopeKinds ??= new Set([
    ...FUNCTION_KINDS(),
    ts.SyntaxKind.SourceFile,
    ts.SyntaxKind.CaseBlock,
    ts.SyntaxKind.ForStatement,
    ts.SyntaxKind.ForInStatement,
    ts.SyntaxKind.ForOfStatement,
    ts.SyntaxKind.CatchClause,
    ts.SyntaxKind.ModuleBlock,
  ]));

function isScope(node: ts.Node, from: ts.Node): boolean {
  if (node.kind === ts.SyntaxKind.Block)
    return !(node.parent && isFunctionLike(node.parent) && node.parent.body === node);
  if (node.kind === ts.SyntaxKind.ClassDeclaration || node.kind === ts.SyntaxKind.ClassExpression)
    return from !== (node as ts.ClassLikeDeclaration).name;
  return SCOPE_KINDS().has(node.kind);
}

/**
 * One map for every scope that declares nothing (most blocks and arrow bodies): an empty `Map` per scope was a tenth of
 * this cache on signacare (docs/performance.md, mem28). Only read (`get`), never added to, once cached.
 */
export const NO_DECLARATIONS: ReadonlyMap<string, Binding> = new Map();

export function declarationsOf(scope: ts.Node): ReadonlyMap<string, Binding> {
  const known = scopeCache.get(scope);
  if (known) return known;
  const map = new Map<string, Binding>();
  collect(scope, map);
  const kept = map.size === 0 ? NO_DECLARATIONS : map;
  scopeCache.set(scope, kept);
  return kept;
}

function collect(scope: ts.Node, map: Map<string, Binding>): void {
  if (ts.isSourceFile(scope) || ts.isModuleBlock(scope)) {
    collectStatements(scope.statements, map, true);
    collectVars(scope, map);
  } else if (isFunctionLike(scope)) {
    if (ts.isFunctionExpression(scope) && scope.name)
      map.set(scope.name.text, { kind: 'function', name: scope.name.text, decl: scope });
    scope.parameters.forEach((p, index) =>
      bindPattern(p.name, [], (name, path) =>
        map.set(name, { kind: 'parameter', name, decl: p, fn: scope, index, path }),
      ),
    );
    if (scope.body && ts.isBlock(scope.body)) {
      collectStatements(scope.body.statements, map, false);
      collectVars(scope.body, map);
    }
  } else if (ts.isBlock(scope)) {
    collectStatements(scope.statements, map, false);
  } else if (ts.isCaseBlock(scope)) {
    for (const clause of scope.clauses) collectStatements(clause.statements, map, false);
  } else if (ts.isForStatement(scope) || ts.isForInStatement(scope) || ts.isForOfStatement(scope)) {
    const init = scope.initializer;
    if (init && ts.isVariableDeclarationList(init)) bindList(init, map);
  } else if (ts.isCatchClause(scope)) {
    const v = scope.variableDeclaration;
    if (v) bindPattern(v.name, [], (name) => map.set(name, { kind: 'other', name, decl: v }));
  } else if (ts.isClassLike(scope) && scope.name) {
    if (ts.isClassDeclaration(scope)) map.set(scope.name.text, { kind: 'class', name: scope.name.text, decl: scope });
  }
}

function collectStatements(
  statements: ts.NodeArray<ts.Statement>,
  map: Map<string, Binding>,
  moduleLevel: boolean,
): void {
  for (const st of statements) {
    if (ts.isVariableStatement(st)) {
      if (st.declarationList.flags & ts.NodeFlags.BlockScoped) bindList(st.declarationList, map);
    } else if (ts.isFunctionDeclaration(st) && st.name) {
      map.set(st.name.text, { kind: 'function', name: st.name.text, decl: st });
    } else if (ts.isClassDeclaration(st) && st.name) {
      map.set(st.name.text, { kind: 'class', name: st.name.text, decl: st });
    } else if (
      ts.isEnumDeclaration(st) ||
      ts.isModuleDeclaration(st) ||
      ts.isTypeAliasDeclaration(st) ||
      ts.isInterfaceDeclaration(st)
    ) {
      if (ts.isIdentifier(st.name)) map.set(st.name.text, { kind: 'other', name: st.name.text, decl: st });
    } else if (moduleLevel && ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier)) {
      const module = st.moduleSpecifier.text;
      const clause = st.importClause;
      if (!clause) continue;
      if (clause.name)
        map.set(clause.name.text, { kind: 'import', name: clause.name.text, module, imported: 'default', decl: st });
      const bindings = clause.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) {
        map.set(bindings.name.text, { kind: 'import', name: bindings.name.text, module, imported: '*', decl: st });
      } else if (bindings) {
        for (const el of bindings.elements) {
          map.set(el.name.text, {
            kind: 'import',
            name: el.name.text,
            module,
            imported: (el.propertyName ?? el.name).text,
            decl: st,
          });
        }
      }
    } else if (moduleLevel && ts.isImportEqualsDeclaration(st)) {
      const ref = st.moduleReference;
      if (ts.isExternalModuleReference(ref) && ts.isStringLiteral(ref.expression)) {
        map.set(st.name.text, {
          kind: 'import',
          name: st.name.text,
          module: ref.expression.text,
          imported: '*',
          decl: st,
        });
      }
    }
  }
}

function collectVars(root: ts.Node, map: Map<string, Binding>): void {
  // Most functions declare no `var`: their text says so without a walk of the body (nearly a whole pass over the
  // program's nodes, one function scope at a time, before this check).
  if (!mayDeclareVar(root)) return;
  walkDescendants(root, (node) => {
    if (isFunctionLike(node) || ts.isClassLike(node)) return false;
    if (ts.isVariableDeclarationList(node) && !(node.flags & ts.NodeFlags.BlockScoped)) bindList(node, map);
    return true;
  });
}

/**
 * Where `var` or a backslash occurs in a file's text, once per file. A `var` declaration list starts with the keyword,
 * within the text of every node that holds it; TypeScript also reads a keyword spelled with a Unicode escape
 * (`v\u0061r`, reported as an error but parsed as `var`), hence the backslashes. In a file that parsed without an
 * error, a `var` with an ASCII letter, digit, `_` or `$` before it is part of a longer name (`variables`,
 * `invariant`), and the keyword of a list is followed by a space, a comment, `{`, `[`, an escape or a non-ASCII
 * character (anything else is an error or a longer name: `vars`, CSS's `var(--x)` in a string): the other `var`s are
 * no marks, and neither are backslashes (an escaped keyword is a parse error). With a parse error every `var` and
 * every backslash is kept (`1var x` is an error that parses as a `var` list).
 */
const varMarks = new WeakMap<ts.SourceFile, number[]>();

/** Whether the character code is an ASCII letter, digit, `_` or `$` (a name goes on through it). */
function isAsciiNamePart(c: number): boolean {
  return (
    (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 /* _ */ || c === 36 /* $ */
  );
}

/** Whether the character code can follow the keyword `var` of a list in a file without a parse error (NaN: the end). */
function mayFollowVar(c: number): boolean {
  return !(c > 32 && c < 128) || c === 47 /* / */ || c === 123 /* { */ || c === 91 /* [ */ || c === 92 /* \ */;
}

/** False only when no `var` declaration can lie within the node's text; true when unsure. */
function mayDeclareVar(node: ts.Node): boolean {
  const sf = node.getSourceFile() as ts.SourceFile | undefined;
  if (!sf || typeof sf.text !== 'string') return true;
  let marks = varMarks.get(sf);
  if (!marks) {
    marks = [];
    const text = sf.text;
    const diagnostics = (sf as { parseDiagnostics?: readonly unknown[] }).parseDiagnostics;
    const wholeWords = diagnostics !== undefined && diagnostics.length === 0;
    const pattern = /var|\\/g;
    for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
      const at = m.index;
      if (
        wholeWords &&
        (text.charCodeAt(at) !== 118 /* v: a backslash */ ||
          (at > 0 && isAsciiNamePart(text.charCodeAt(at - 1))) ||
          !mayFollowVar(text.charCodeAt(at + 3)))
      )
        continue;
      marks.push(at);
    }
    varMarks.set(sf, marks);
  }
  // The first mark at or after the node's start: inside the node when it is before its end.
  let lo = 0;
  let hi = marks.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (marks[mid]! < node.pos) lo = mid + 1;
    else hi = mid;
  }
  return lo < marks.length && marks[lo]! < node.end;
}

function bindList(list: ts.VariableDeclarationList, map: Map<string, Binding>): void {
  const flags = list.flags & ts.NodeFlags.Const ? 'const' : list.flags & ts.NodeFlags.BlockScoped ? 'let' : 'var';
  for (const decl of list.declarations) {
    bindPattern(decl.name, [], (name, path) => {
      if (!map.has(name) || flags !== 'var') map.set(name, { kind: 'variable', name, decl, flags, path });
    });
  }
}

export function bindPattern(
  name: ts.BindingName,
  path: BindingPath,
  bind: (name: string, path: BindingPath) => void,
): void {
  if (ts.isIdentifier(name)) {
    bind(name.text, path);
  } else if (ts.isObjectBindingPattern(name)) {
    for (const el of name.elements) {
      if (el.dotDotDotToken) continue;
      const prop = el.propertyName ?? el.name;
      const key =
        ts.isIdentifier(prop) || ts.isStringLiteral(prop)
          ? prop.text
          : ts.isComputedPropertyName(prop) && ts.isStringLiteral(prop.expression)
            ? prop.expression.text
            : '?';
      bindPattern(el.name, [...path, key], bind);
    }
  } else {
    name.elements.forEach((el, i) => {
      if (ts.isBindingElement(el) && !el.dotDotDotToken) bindPattern(el.name, [...path, i], bind);
    });
  }
}

/** True when the binding's value can be trusted to be its initializer (no reassignment). */
export function isStableVariable(binding: Binding): binding is Extract<Binding, { kind: 'variable' }> {
  if (binding.kind !== 'variable') return false;
  if (binding.flags === 'const') return true;
  return !isReassigned(binding);
}

const reassignedCache = new WeakMap<ts.VariableDeclaration, Map<string, boolean>>();

function isReassigned(binding: Extract<Binding, { kind: 'variable' }>): boolean {
  const decl = binding.decl;
  let byName = reassignedCache.get(decl);
  if (!byName) reassignedCache.set(decl, (byName = new Map()));
  let found = byName.get(binding.name);
  if (found === undefined) {
    // An assignment (`=`, `+=`, …) to the name, or a prefix or postfix operator on it, that resolves to this
    // declaration, anywhere in its function (or file).
    found = (writesIn(findScopeRoot(decl)).reassigned.get(binding.name) ?? []).some((id) => lookup(id)?.decl === decl);
    byName.set(binding.name, found);
  }
  return found;
}

/**
 * What the per-declaration questions below look for in a function (or a file, for a module-level variable), found by
 * one walk of it, in source order, however many of its variables are asked about. Each list holds every node that
 * could answer for some declaration; a question filters its list by the name and by what the name resolves to, exactly
 * as a walk of its own did.
 */
interface ScopeWrites {
  /** Identifiers on the left of an assignment operator, or the operand of a prefix or postfix operator: by name. */
  reassigned: Map<string, ts.Identifier[]>;
  /**
   * Identifiers on the left of an assignment operator, the operand of a prefix or postfix operator, or the target of a
   * destructuring assignment: by name (assignmentsOf; any other identifier leaves its answer as it is).
   */
  written: Map<string, ts.Identifier[]>;
  /** `x.push(…)`, `x.unshift(…)`, `x.splice(…)` calls and `x[i] = …` assignments, whatever `x` is (arrayAdditions). */
  growing: ts.Node[];
}

const writesCache = new WeakMap<ts.Node, ScopeWrites>();

function writesIn(root: ts.Node): ScopeWrites {
  let index = writesCache.get(root);
  if (index) return index;
  const out: ScopeWrites = { reassigned: new Map(), written: new Map(), growing: [] };
  const add = (map: Map<string, ts.Identifier[]>, id: ts.Identifier): void => {
    const list = map.get(id.text);
    if (list) list.push(id);
    else map.set(id.text, [id]);
  };
  walkDescendants(root, (node) => {
    if (node.kind === ts.SyntaxKind.Identifier) {
      const id = node as ts.Identifier;
      const p = id.parent;
      const operated =
        (ts.isBinaryExpression(p) && p.left === id && isAssignmentOperator(p.operatorToken.kind)) ||
        ((ts.isPrefixUnaryExpression(p) || ts.isPostfixUnaryExpression(p)) && p.operand === id);
      if (operated) add(out.reassigned, id);
      if (operated || isDestructuringTarget(id)) add(out.written, id);
    } else if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      GROWING_METHODS.has(node.expression.name.text)
    ) {
      out.growing.push(node);
    } else if (
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      ts.isElementAccessExpression(node.left)
    ) {
      out.growing.push(node);
    }
  });
  writesCache.set(root, (index = out));
  return index;
}

/**
 * A lazily initialised singleton (`let db = null; … if (!db) db = makeDb(); return db`): a
 * `let` without a value (or null/undefined) assigned once with `=`. Its value, wherever it is
 * read non-null, is that assignment's right-hand side. Resets to null/undefined (a `closePools()`
 * or a test's `resetPools()`) do not count: after one, the getter makes the same value again, and
 * a reader that does not re-make it has nothing to run a write on.
 */
export function lazySingletonValue(binding: Binding): ts.Expression | undefined {
  if (binding.kind !== 'variable' || binding.flags === 'const' || binding.path.length > 0) return undefined;
  // Once per declaration: a module-level `let` read a thousand times is scanned once.
  if (lazyCache.has(binding.decl)) return lazyCache.get(binding.decl);
  const value = lazyValue(binding);
  lazyCache.set(binding.decl, value);
  return value;
}

const lazyCache = new WeakMap<ts.VariableDeclaration, ts.Expression | undefined>();

function lazyValue(binding: Extract<Binding, { kind: 'variable' }>): ts.Expression | undefined {
  if (binding.decl.initializer && !isEmptyValue(binding.decl.initializer)) return undefined;
  const assigned = assignedValues(binding)?.filter((v) => !isEmptyValue(v));
  return assigned?.length === 1 ? assigned[0] : undefined;
}

/** `null`, `undefined` or `void 0`: no value. */
export function isEmptyValue(expression: ts.Expression): boolean {
  const e = skipOuter(expression);
  return (
    e.kind === ts.SyntaxKind.NullKeyword ||
    (ts.isIdentifier(e) && e.text === 'undefined') ||
    (ts.isVoidExpression(e) && ts.isNumericLiteral(skipOuter(e.expression)))
  );
}

function findScopeRoot(node: ts.Node): ts.Node {
  let n: ts.Node = node;
  while (n.parent && !isFunctionLike(n) && !ts.isSourceFile(n)) n = n.parent;
  return n;
}


const assignedCache = new WeakMap<ts.VariableDeclaration, Assignments | null>();

/** What a `let` is given: whole values (its initializer, each plain `=`) and what `+=` appends, in code order. */
export interface Assignments {
  values: readonly ts.Expression[];
  appends: readonly ts.Expression[];
}

/**
 * Every value a `let` or `var` is given in its function: its initializer, if any, and the right-hand side of each
 * plain `=` to it (`let q; if (a) q = sql`…`; else q = sql`…`;`). Undefined when it is also changed another way
 * (`+=`, `++`, a destructuring assignment) or bound by destructuring. Flow-insensitive: each value is one the
 * variable may hold where it is read. Read once per declaration.
 */
export function assignedValues(binding: Binding): readonly ts.Expression[] | undefined {
  const got = assignmentsOf(binding);
  return got && got.appends.length === 0 ? got.values : undefined;
}

/**
 * assignedValues, with what `+=` appends to it kept apart (`let sql = 'SELECT …'; if (q) sql += ' AND …'`): a text
 * built in pieces. Undefined when it is changed any other way (`-=`, `++`, a destructuring assignment).
 */
export function assignmentsOf(binding: Binding): Assignments | undefined {
  if (binding.kind !== 'variable' || binding.flags === 'const' || binding.path.length > 0) return undefined;
  const decl = binding.decl;
  if (!assignedCache.has(decl)) {
    const values: ts.Expression[] = decl.initializer ? [decl.initializer] : [];
    const appends: ts.Expression[] = [];
    let other = false;
    for (const node of writesIn(findScopeRoot(decl)).written.get(binding.name) ?? []) {
      if (node === decl.name || lookup(node)?.decl !== decl) continue;
      const p = node.parent;
      if (ts.isBinaryExpression(p) && p.left === node && isAssignmentOperator(p.operatorToken.kind)) {
        if (p.operatorToken.kind === ts.SyntaxKind.EqualsToken) values.push(p.right);
        else if (p.operatorToken.kind === ts.SyntaxKind.PlusEqualsToken) appends.push(p.right);
        else other = true;
      } else if (
        (ts.isPrefixUnaryExpression(p) || ts.isPostfixUnaryExpression(p)) &&
        (p.operator === ts.SyntaxKind.PlusPlusToken || p.operator === ts.SyntaxKind.MinusMinusToken)
      )
        other = true;
      else if (isDestructuringTarget(node)) other = true;
    }
    assignedCache.set(decl, other ? null : { values, appends });
  }
  return assignedCache.get(decl) ?? undefined;
}

/** Array methods that add elements in place. */
const GROWING_METHODS = new Set(['push', 'unshift', 'splice']);

const additionsCache = new WeakMap<ts.VariableDeclaration, readonly ts.Expression[] | null>();

/**
 * What is added in place to the array a variable holds, in its function (`list.push(x)`, `list.unshift(x)`,
 * `list.splice(i, 0, x)`, `list[i] = x`): the added expressions (a spread argument as its SpreadElement), in the order
 * of the code, or undefined when nothing adds to it (its literal is then all it holds). Read once per declaration.
 */
export function arrayAdditions(decl: ts.VariableDeclaration): readonly ts.Expression[] | undefined {
  if (!additionsCache.has(decl)) {
    const added: ts.Expression[] = [];
    let grows = false;
    const isThis = (e: ts.Expression): boolean => {
      const x = skipOuter(e);
      return ts.isIdentifier(x) && lookup(x)?.decl === decl;
    };
    for (const node of writesIn(findScopeRoot(decl)).growing) {
      if (ts.isCallExpression(node)) {
        const callee = node.expression as ts.PropertyAccessExpression;
        if (!isThis(callee.expression)) continue;
        grows = true;
        const args = callee.name.text === 'splice' ? node.arguments.slice(2) : node.arguments;
        added.push(...args);
      } else {
        const assignment = node as ts.BinaryExpression;
        if (!isThis((assignment.left as ts.ElementAccessExpression).expression)) continue;
        grows = true;
        added.push(assignment.right);
      }
    }
    additionsCache.set(decl, grows ? added : null);
  }
  return additionsCache.get(decl) ?? undefined;
}

/**
 * An expression through the plain local consts (and casts) that hold it, up to four deep: `const a = b as X; a` is
 * `b`'s initializer. Destructured consts and `let`s stop it (their value is not one initializer).
 */
export function throughLocalConsts(expr: ts.Expression): ts.Expression {
  let e = skipOuter(expr);
  for (let i = 0; i < 4 && ts.isIdentifier(e); i++) {
    const b = lookup(e);
    if (b?.kind !== 'variable' || b.flags !== 'const' || b.path.length || !b.decl.initializer) break;
    e = skipOuter(b.decl.initializer);
  }
  return e;
}

function isAssignmentOperator(kind: ts.SyntaxKind): boolean {
  return kind >= ts.SyntaxKind.FirstAssignment && kind <= ts.SyntaxKind.LastAssignment;
}

/** `[a, x] = …`, `({ x } = …)`: `n` is written by a destructuring assignment. */
function isDestructuringTarget(n: ts.Node): boolean {
  let x: ts.Node = n;
  while (
    ts.isArrayLiteralExpression(x.parent) ||
    ts.isObjectLiteralExpression(x.parent) ||
    ts.isShorthandPropertyAssignment(x.parent) ||
    ts.isPropertyAssignment(x.parent) ||
    ts.isSpreadElement(x.parent) ||
    ts.isSpreadAssignment(x.parent)
  )
    x = x.parent;
  const p = x.parent;
  return x !== n && ts.isBinaryExpression(p) && p.left === x && p.operatorToken.kind === ts.SyntaxKind.EqualsToken;
}

/**
 * The parameter at `index` of a function that an expression names, not destructured (`(req, res) => … req`):
 * its declaration and its function. How a framework's handler parameter (Express's `req`, Hono's `c`, Fastify's
 * `request`) is found before the framework's own checks of its type or of where the function is passed.
 */
export function plainParameterAt(
  expr: ts.Expression,
  index: number,
): { decl: ts.ParameterDeclaration; fn: ts.FunctionLikeDeclaration } | undefined {
  const e = skipOuter(expr);
  if (!ts.isIdentifier(e)) return undefined;
  const b = lookup(e);
  if (b?.kind !== 'parameter' || b.index !== index || b.path.length || !isFunctionLike(b.fn)) return undefined;
  return { decl: b.decl, fn: b.fn };
}
