import ts from '../ts.js';
import { resolveImport } from '../code/modules.js';
import type { OriginResolver } from '../code/origins.js';
import { lookup } from '../code/scope.js';
import { skipOuter } from '../syntax/wrappers.js';
import type { CallEdge, FileFacts } from './facts.js';
import { withAddedEdges } from './interface-calls.js';
import { declarationOf as typeDeclaration } from './declared-receiver.js';
import { isTestFile } from './providers/helper-values.js';
import { type Facts, TrackedMemo } from '../code/fixpoint.js';

// Functions declared with a function type of the codebase (`export const noteCreated: Applier =
// async (db, op) => …`) that escape as values, stored in an op-type → function table and called
// through a run-time key (`module.appliers[op.type](trx, op)`, `(appliers[t] as Applier)(trx, op)`):
// nothing follows the value from the table to the call, but the call's callee is declared with that
// same type, so the call is an edge to every function declared with it, each receiving the
// caller's connection. The callee's type is read from declarations only (annotations, `as`, an
// interface's property, a `Record<K, T>`'s values), never guessed; a function whose type has no
// such call keeps its callers unknown. Found once per run over all files: linear in declarations
// and value calls.

/**
 * A function type the codebase declares: `type Applier = (db, op) => …`, an interface with a call signature, or the
 * function type of a member of an interface or type literal (`interface Step { run: () => Promise<void> }`), which
 * the functions given for that member in literals declared with the type (`const steps: Step[] = [{ run: … }]`) have.
 */
export type FunctionType = ts.TypeAliasDeclaration | ts.InterfaceDeclaration | ts.FunctionTypeNode;

/** `run: () => …` of an interface or type literal: the member's own function type. */
function isMemberFunctionType(t: ts.TypeNode | undefined): t is ts.FunctionTypeNode {
  return t !== undefined && ts.isFunctionTypeNode(t) && ts.isPropertySignature(t.parent);
}

function isFunctionType(node: ts.Node | undefined): node is FunctionType {
  if (!node) return false;
  if (ts.isTypeAliasDeclaration(node)) return ts.isFunctionTypeNode(node.type);
  return ts.isInterfaceDeclaration(node) && node.members.some(ts.isCallSignatureDeclaration);
}

/** The function type of the codebase a type node names (`Applier`, `Applier<DB>`), if it names one. */
function functionTypeOf(origins: OriginResolver, type: ts.TypeNode | undefined): FunctionType | undefined {
  const t = type && stripType(type);
  if (!t || !ts.isTypeReferenceNode(t) || !ts.isIdentifier(t.typeName)) return undefined;
  const decl = typeDeclaration(origins, t.typeName);
  return isFunctionType(decl) ? decl : undefined;
}

function stripType(type: ts.TypeNode): ts.TypeNode {
  let t = type;
  while (ts.isParenthesizedTypeNode(t)) t = t.type;
  return t;
}

// Wrappers that keep a type's members (`Readonly<Manifest>`): the member is read through them.
const TRANSPARENT = new Set(['Readonly', 'Partial', 'Required', 'NonNullable']);

// A declared type is followed through at most this many names, members and aliases: a bound on
// one question, not on the program (each question is one callee).
const MAX_STEPS = 16;

/**
 * The type a callee expression is declared with, read from declarations: `x as T`, a const or
 * parameter annotated `T` (or a const's initializer), `o.p` / `o[k]` through the declared type of
 * `o` (an interface's or type literal's property, a `Record<K, T>`'s or index signature's values,
 * an array's elements), `this.p` through the class's property. Undefined when any step is not declared.
 */
export function declaredType(origins: OriginResolver, expr: ts.Expression, steps = 0): ts.TypeNode | undefined {
  if (steps > MAX_STEPS) return undefined;
  let e = expr;
  while (ts.isNonNullExpression(e) || ts.isParenthesizedExpression(e)) e = e.expression;
  if (ts.isAsExpression(e) || ts.isTypeAssertionExpression(e) || ts.isSatisfiesExpression(e)) return e.type;
  if (ts.isIdentifier(e)) {
    let b = lookup(e);
    if (b?.kind === 'import') {
      // `import { appliers } from './ops.js'`: the exporting module's declaration.
      const target = resolveImport(origins.host, e.getSourceFile().fileName, b);
      b = target?.kind === 'binding' ? target.binding : undefined;
    }
    if (b?.kind === 'parameter' && b.path.length === 0) return b.decl.type;
    if (b?.kind === 'variable' && b.path.length === 0 && b.flags === 'const') {
      // `for (const step of steps)`: an element of the declared list.
      const loop = b.decl.parent.parent;
      if (!b.decl.type && ts.isForOfStatement(loop) && loop.initializer === b.decl.parent) {
        const list = declaredType(origins, loop.expression, steps + 1);
        return list && memberType(origins, list, undefined, steps + 1);
      }
      return b.decl.type ?? (b.decl.initializer && declaredType(origins, b.decl.initializer, steps + 1));
    }
    return undefined;
  }
  if (ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e)) {
    const key = ts.isPropertyAccessExpression(e) ? e.name.text : constantKey(e.argumentExpression);
    if (e.expression.kind === ts.SyntaxKind.ThisKeyword && key !== undefined) return thisProperty(e, key);
    const owner = declaredType(origins, e.expression, steps + 1);
    return owner && memberType(origins, owner, key, steps + 1);
  }
  return undefined;
}

/** A string literal key (`o['a']`); undefined for a key known only at run time. */
function constantKey(arg: ts.Expression): string | undefined {
  const a = skipOuter(arg);
  return ts.isStringLiteral(a) || ts.isNoSubstitutionTemplateLiteral(a) ? a.text : undefined;
}

function thisProperty(e: ts.Node, key: string): ts.TypeNode | undefined {
  let cls: ts.Node | undefined = e.parent;
  while (cls && !ts.isClassLike(cls)) cls = cls.parent;
  if (!cls) return undefined;
  for (const m of (cls as ts.ClassLikeDeclaration).members) {
    if (ts.isPropertyDeclaration(m) && m.name.getText() === key) return m.type;
  }
  const ctor = (cls as ts.ClassLikeDeclaration).members.find(ts.isConstructorDeclaration);
  return ctor?.parameters.find((p) => ts.getModifiers(p)?.length && p.name.getText() === key)?.type;
}

/** The type of member `key` (undefined: a key known only at run time) of a declared type. */
function memberType(origins: OriginResolver, owner: ts.TypeNode, key: string | undefined,
  steps: number): ts.TypeNode | undefined {
  if (steps > MAX_STEPS) return undefined;
  const t = stripType(owner);
  if (ts.isArrayTypeNode(t)) return key === undefined || /^\d+$/.test(key) ? t.elementType : undefined;
  if (ts.isTypeLiteralNode(t)) return membersType(t.members, key);
  if (ts.isUnionTypeNode(t)) {
    // `T | undefined`: the member of the one declared side.
    const sides = t.types.filter((s) => s.kind !== ts.SyntaxKind.UndefinedKeyword && !isNullType(s));
    return sides.length === 1 ? memberType(origins, sides[0]!, key, steps + 1) : undefined;
  }
  if (!ts.isTypeReferenceNode(t) || !ts.isIdentifier(t.typeName)) return undefined;
  const name = t.typeName.text;
  const args = t.typeArguments ?? [];
  const decl = typeDeclaration(origins, t.typeName);
  if (!decl && TRANSPARENT.has(name) && args.length === 1) return memberType(origins, args[0]!, key, steps + 1);
  if (!decl && name === 'Record' && args.length === 2) return args[1];
  if (!decl && (name === 'ReadonlyArray' || name === 'Array') && args.length === 1) return args[0];
  if (!decl && (name === 'Map' || name === 'ReadonlyMap')) return undefined;
  if (decl && ts.isInterfaceDeclaration(decl)) return membersType(decl.members, key);
  if (decl && ts.isTypeAliasDeclaration(decl)) return memberType(origins, decl.type, key, steps + 1);
  return undefined;
}

function isNullType(t: ts.TypeNode): boolean {
  return ts.isLiteralTypeNode(t) && t.literal.kind === ts.SyntaxKind.NullKeyword;
}

/** A property's type, else the index signature's (`[type: string]: Applier`). */
function membersType(members: ts.NodeArray<ts.TypeElement>, key: string | undefined): ts.TypeNode | undefined {
  if (key !== undefined) {
    // A quoted member (`"mark-paid": Rule`) is named by its text, as the literal's key is (literalFunctions).
    const prop = members.find((m): m is ts.PropertySignature => ts.isPropertySignature(m) && memberKey(m.name) === key);
    if (prop) return prop.type;
  }
  return members.find(ts.isIndexSignatureDeclaration)?.type;
}

function memberKey(name: ts.PropertyName): string {
  return ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name) ? name.text : name.getText();
}

/** The function type a callee is declared with, when the codebase declares it. */
export function calleeFunctionType(origins: OriginResolver, callee: ts.Expression): FunctionType | undefined {
  const type = declaredType(origins, callee);
  const t = type && stripType(type);
  return isMemberFunctionType(t) ? t : functionTypeOf(origins, type);
}

// Literals nest (an array of objects of objects): a bound on one declaration's walk, not on the program.
const MAX_LITERAL_DEPTH = 4;

/**
 * The functions a literal declared with `type` gives for members declared with a function type: `[{ run: () => … }]`
 * of `Step[]`, `{ run() { … } }` of `Step`.
 */
function literalFunctions(origins: OriginResolver, init: ts.Expression, type: ts.TypeNode, depth: number,
  add: (type: FunctionType, fn: ts.FunctionLikeDeclaration) => void): void {
  if (depth > MAX_LITERAL_DEPTH) return;
  const e = skipOuter(init);
  if (ts.isArrayLiteralExpression(e)) {
    const element = memberType(origins, type, undefined, 0);
    if (!element) return;
    for (const el of e.elements) if (!ts.isSpreadElement(el)) literalFunctions(origins, el, element, depth + 1, add);
    return;
  }
  if (!ts.isObjectLiteralExpression(e)) return;
  for (const p of e.properties) {
    if (!(ts.isPropertyAssignment(p) || ts.isMethodDeclaration(p))) continue;
    if (!ts.isIdentifier(p.name) && !ts.isStringLiteral(p.name)) continue;
    const member = memberType(origins, type, p.name.text, 0);
    if (!member) continue;
    const value = ts.isMethodDeclaration(p) ? p : skipOuter(p.initializer);
    if (ts.isArrowFunction(value) || ts.isFunctionExpression(value) || ts.isMethodDeclaration(value)) {
      const t = stripType(member);
      const fnType = isMemberFunctionType(t) ? t : functionTypeOf(origins, member);
      if (fnType) add(fnType, value);
    } else literalFunctions(origins, value, member, depth + 1, add);
  }
}

/**
 * In an editor's analysis session (the engine tracks dependencies), what these readings found is remembered between
 * analyses, per file and per callee: each answer is a tracked memo's entry (fixpoint.ts), evicted when a file it read
 * through an import changes (the readings reach other files only by resolving imports through the session's host,
 * which records it). A changed file is a new parse, so its own nodes are new keys. Without tracking, nothing is kept:
 * a command-line run reads each once or twice.
 */
interface Remembered {
  typed: TrackedMemo<ts.SourceFile, [FunctionType, ts.FunctionLikeDeclaration][]>;
  callee: TrackedMemo<ts.Expression, FunctionType | undefined>;
}
const remembered = new WeakMap<Facts, Remembered>();

function rememberedIn(origins: OriginResolver): Remembered | undefined {
  const facts = origins.facts;
  if (!facts.tracks) return undefined;
  let r = remembered.get(facts);
  if (!r) remembered.set(facts, (r = { typed: new TrackedMemo(facts), callee: new TrackedMemo(facts) }));
  return r;
}

/** The gathers of functions by declared type so far: files looked at, functions added (bench/relint.ts per edit). */
export const typedGatherWork = { files: 0, functions: 0 };

/** Every function of these files declared with a function type of the codebase: `const f: T = (…) => …`. */
export function typedFunctions(
  files: readonly FileFacts[],
  origins: OriginResolver,
): Map<FunctionType, ts.FunctionLikeDeclaration[]> {
  const out = new Map<FunctionType, ts.FunctionLikeDeclaration[]>();
  const add = (type: FunctionType, fn: ts.FunctionLikeDeclaration): void => {
    typedGatherWork.functions++;
    const list = out.get(type);
    if (list) list.push(fn);
    else out.set(type, [fn]);
  };
  const memo = rememberedIn(origins)?.typed;
  for (const f of files) {
    typedGatherWork.files++;
    if (!memo) {
      fileTypedFunctions(f.sf, origins, add);
      continue;
    }
    const found = memo.get(f.sf, () => {
      const list: [FunctionType, ts.FunctionLikeDeclaration][] = [];
      fileTypedFunctions(f.sf, origins, (type, fn) => list.push([type, fn]));
      return list;
    });
    for (const [type, fn] of found) add(type, fn);
  }
  return out;
}

/** One file's functions declared with a function type, in source order. */
function fileTypedFunctions(
  sf: ts.SourceFile,
  origins: OriginResolver,
  add: (type: FunctionType, fn: ts.FunctionLikeDeclaration) => void,
): void {
  for (const st of sf.statements) {
    if (!ts.isVariableStatement(st)) continue;
    for (const d of st.declarationList.declarations) {
      const init = d.initializer && skipOuter(d.initializer);
      if (!init) continue;
      if (!(ts.isArrowFunction(init) || ts.isFunctionExpression(init))) {
        // `const steps: Step[] = [{ run: () => … }]`: each member given a function in the literal.
        if (d.type) literalFunctions(origins, init, d.type, 0, add);
        continue;
      }
      const type = functionTypeOf(origins, d.type);
      if (type) add(type, init);
    }
  }
}

/**
 * The edges of the calls made through values declared with a function type, to every function declared with it,
 * and the functions so reached (their callers are those calls, not unknown). Calls in test files reach only the
 * functions of test files: a test's call does not say what production code runs on.
 */
export function typedValueEdges(files: readonly FileFacts[], origins: OriginResolver,
  root: string, calls = files.flatMap((f) => f.valueCalls ?? [])): {
  edges: CallEdge[];
  dispatched: Set<ts.FunctionLikeDeclaration>;
} {
  if (calls.length === 0) return { edges: [], dispatched: new Set() };
  return typedEdgesOf(calls, typedFunctions(files, origins), origins, root);
}

/** `typedValueEdges` of these calls, given every function of the program by its declared type (`typedFunctions`). */
export function typedEdgesOf(
  calls: readonly Omit<CallEdge, 'callee'>[],
  byType: ReadonlyMap<FunctionType, readonly ts.FunctionLikeDeclaration[]>,
  origins: OriginResolver,
  root: string,
): { edges: CallEdge[]; dispatched: Set<ts.FunctionLikeDeclaration> } {
  const edges: CallEdge[] = [];
  const dispatched = new Set<ts.FunctionLikeDeclaration>();
  if (byType.size === 0) return { edges, dispatched };
  const memo = rememberedIn(origins)?.callee;
  for (const c of calls) {
    const call = c.call as ts.CallExpression;
    const type = memo
      ? memo.get(call.expression, () => calleeFunctionType(origins, call.expression))
      : calleeFunctionType(origins, call.expression);
    const targets = type && byType.get(type);
    if (!targets) continue;
    const fromTest = isTestFile(call, root);
    for (const callee of targets) {
      if (fromTest && !isTestFile(callee, root)) continue;
      edges.push({ ...c, callee });
      dispatched.add(callee);
    }
  }
  return { edges, dispatched };
}

/**
 * The files' facts with the edges of their member calls that pass no connection (`step.run()` over `steps: Step[]`)
 * added, to each function given for that member: plain edges, so every reader of the call graph (the store reach
 * of ambient/reach.ts too) sees the callers. Copies where edges are added: facts stay whole.
 */
export function linkMemberCalls(files: FileFacts[], origins: OriginResolver, root: string): FileFacts[] {
  const calls = files.flatMap((f) => f.memberCalls ?? []);
  if (calls.length === 0) return files;
  return withAddedEdges(files, typedValueEdges(files, origins, root, calls).edges, origins.facts.tracks);
}
