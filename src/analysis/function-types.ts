import ts from '../ts.js';
import { topLevelOf } from '../code/file-nodes.js';
import { resolveImport } from '../code/modules.js';
import type { OriginResolver } from '../code/origins.js';
import { lookup } from '../code/scope.js';
import { skipOuter } from '../syntax/wrappers.js';
import type { CallEdge, FileFacts } from './facts.js';
import { withAddedEdges } from './interface-calls.js';
import { declarationOf as typeDeclaration } from './declared-receiver.js';
import { isTestFile } from './providers/helper-values.js';
import { type Facts, TrackedMemo } from '../code/fixpoint.js';
import { keptPlaces, moveParts, renumber } from './file-slots.js';

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
 * In an editor's analysis session (the engine tracks dependencies), the function type each value call's callee is
 * declared with is remembered between analyses: each answer is a tracked memo's entry (fixpoint.ts), evicted when a
 * file it read through an import changes (the readings reach other files only by resolving imports through the
 * session's host, which records it). A changed file is a new parse, so its own nodes are new keys. Without tracking,
 * nothing is kept: a command-line run reads each once.
 */
const remembered = new WeakMap<Facts, TrackedMemo<ts.Expression, FunctionType | undefined>>();

function rememberedIn(origins: OriginResolver): TrackedMemo<ts.Expression, FunctionType | undefined> | undefined {
  const facts = origins.facts;
  if (!facts.tracks) return undefined;
  let r = remembered.get(facts);
  if (!r) remembered.set(facts, (r = new TrackedMemo(facts)));
  return r;
}

/** The gathers of functions by declared type so far: files read, functions found (bench/relint.ts per edit). */
export const typedGatherWork = { files: 0, functions: 0 };

type Fn = ts.FunctionLikeDeclaration;

interface TypedSlot {
  sf: ts.SourceFile;
  /** The file's functions declared with a function type, in source order. */
  found: [FunctionType, Fn][];
  /** A fact the reading rested on was evicted (an edit of a file it read through an import). */
  dead: boolean;
}

/**
 * Every function of the program declared with a function type of the codebase (`const f: T = (…) => …`), by type: the
 * files' functions in the files' order, each file's in source order. Kept per file like the call graph's parts
 * (caller-index.ts): a file's part is read again when its parse is new or a fact the reading rested on was evicted
 * (the type's declaration, in a file it imports, was edited), and a type's list is concatenated again from the parts
 * only when a part that had or has it changed; `generation` moves whenever the map's content does. Built from
 * scratch (one update from empty) on the command line; kept between an editor session's analyses, where an edit of
 * one file reads that file only. Another file list keeps the parts of the files in both (`realign`).
 */
export class TypedFunctions {
  readonly byType = new Map<FunctionType, Fn[]>();
  /** Moves whenever `byType`'s content changes (what the call graph's typed edges were found over). */
  generation = 0;
  /**
   * The types each recent generation moved (undefined: all of them, the map built afresh): a file's typed edges that
   * looked up none of them are still the ones a fresh build gives (`changedSince`).
   */
  private readonly changes = new Map<number, ReadonlySet<FunctionType> | undefined>();
  private slots: TypedSlot[] = [];
  /** Per type, the slots whose functions have it. */
  private readonly at = new Map<FunctionType, Set<number>>();

  constructor(private readonly origins: OriginResolver) {}

  /** Brings the map to these files (cut short by an exception, it is left empty: the next update starts afresh). */
  update(files: readonly { sf: ts.SourceFile }[]): void {
    try {
      this.apply(files);
    } catch (error) {
      this.clear();
      throw error;
    }
  }

  private clear(): void {
    this.slots = [];
    this.byType.clear();
    this.at.clear();
    this.moved(undefined);
  }

  /** A new generation, which moved these types (undefined: all). */
  private moved(types: ReadonlySet<FunctionType> | undefined): void {
    this.changes.set(++this.generation, types);
    this.changes.delete(this.generation - KEPT_CHANGES);
  }

  /**
   * The types whose lists moved since `generation` (undefined: any may have: the map was built afresh, or that
   * generation is older than the changes kept).
   */
  changedSince(generation: number): ReadonlySet<FunctionType> | undefined {
    if (this.generation - generation >= KEPT_CHANGES) return undefined;
    const out = new Set<FunctionType>();
    for (let g = generation + 1; g <= this.generation; g++) {
      const types = this.changes.get(g);
      if (!types) return undefined;
      for (const t of types) out.add(t);
    }
    return out;
  }

  /**
   * Another file list: the files in both keep their parts, moved to their new places (in the same order: else false,
   * and the map is built afresh); the types of the parts of files no longer listed are concatenated again.
   */
  private realign(files: readonly { sf: ts.SourceFile }[], touched: Set<FunctionType>): boolean {
    const to = this.slots.length ? keptPlaces(this.slots, files) : undefined;
    if (!to) return false;
    this.slots.forEach((old, j) => {
      if (!to.has(j)) for (const [type] of old.found) (touched.add(type), this.at.get(type)?.delete(j));
    });
    renumber(this.at, to);
    this.slots = moveParts(this.slots, to, files.length);
    return true;
  }

  private apply(files: readonly { sf: ts.SourceFile }[]): void {
    const touched = new Set<FunctionType>();
    const moved =
      files.length !== this.slots.length || files.some((f, i) => f.sf.fileName !== this.slots[i]!.sf.fileName);
    if (moved && !this.realign(files, touched)) this.clear();
    const facts = this.origins.facts;
    files.forEach((f, i) => {
      const old = this.slots[i];
      if (old && old.sf === f.sf && !old.dead) return;
      const slot: TypedSlot = { sf: f.sf, found: [], dead: false };
      const node = facts.newNode(() => (slot.dead = true));
      facts.within(node, () => fileTypedFunctions(f.sf, this.origins, (type, fn) => slot.found.push([type, fn])));
      typedGatherWork.files++;
      typedGatherWork.functions += slot.found.length;
      this.slots[i] = slot;
      if (old && sameFound(old.found, slot.found)) return;
      for (const [type] of old?.found ?? []) (touched.add(type), this.at.get(type)?.delete(i));
      for (const [type] of slot.found) {
        touched.add(type);
        const at = this.at.get(type);
        if (at) at.add(i);
        else this.at.set(type, new Set([i]));
      }
    });
    if (touched.size) this.moved(touched);
    for (const type of touched) {
      const list: Fn[] = [];
      for (const i of [...(this.at.get(type) ?? [])].sort((a, b) => a - b))
        for (const [t, fn] of this.slots[i]!.found) if (t === type) list.push(fn);
      typedGatherWork.functions += list.length;
      if (list.length) this.byType.set(type, list);
      else (this.byType.delete(type), this.at.delete(type));
    }
  }
}

/** How many generations' changes are kept: an index whose typed edges are older relinks them all. */
const KEPT_CHANGES = 16;

function sameFound(a: readonly [FunctionType, Fn][], b: readonly [FunctionType, Fn][]): boolean {
  return a.length === b.length && a.every(([type, fn], i) => b[i]![0] === type && b[i]![1] === fn);
}

/** One file's functions declared with a function type, in source order. */
function fileTypedFunctions(
  sf: ts.SourceFile,
  origins: OriginResolver,
  add: (type: FunctionType, fn: ts.FunctionLikeDeclaration) => void,
): void {
  // Only a top-level declaration with a declared type and an initializer can give one: its index walk listed them
  // (file-nodes.ts), so the file's statements are not walked again.
  for (const d of topLevelOf(sf).typedDeclarations) {
    const init = d.initializer && skipOuter(d.initializer);
    if (!init || !d.type) continue;
    if (!(ts.isArrowFunction(init) || ts.isFunctionExpression(init))) {
      // `const steps: Step[] = [{ run: () => … }]`: each member given a function in the literal.
      literalFunctions(origins, init, d.type, 0, add);
      continue;
    }
    const type = functionTypeOf(origins, d.type);
    if (type) add(type, init);
  }
}

/**
 * The edges of these calls made through values declared with a function type, to every function declared with it
 * (`byType`, the program's: `TypedFunctions`), and the functions so reached (their callers are those calls, not
 * unknown). Calls in test files reach only the functions of test files: a test's call does not say what production
 * code runs on.
 */
export function typedEdgesOf(
  calls: readonly Omit<CallEdge, 'callee'>[],
  byType: ReadonlyMap<FunctionType, readonly ts.FunctionLikeDeclaration[]>,
  origins: OriginResolver,
  root: string,
  /**
   * A call's callee type as its file's flow found it (null: none; undefined: not found then), which is not read again
   * (value-links.ts, `memberTypes`).
   */
  found?: (call: ts.Node) => FunctionType | null | undefined,
): { edges: CallEdge[]; dispatched: Set<ts.FunctionLikeDeclaration>; types: Set<FunctionType> | undefined } {
  const edges: CallEdge[] = [];
  const dispatched = new Set<ts.FunctionLikeDeclaration>();
  // An empty map looks up nothing: any type it gains may change these edges.
  if (byType.size === 0) return { edges, dispatched, types: undefined };
  const types = new Set<FunctionType>();
  const memo = rememberedIn(origins);
  for (const c of calls) {
    const call = c.call as ts.CallExpression;
    const known = found?.(call);
    const type =
      known !== undefined
        ? (known ?? undefined)
        : memo
          ? memo.get(call.expression, () => calleeFunctionType(origins, call.expression))
          : calleeFunctionType(origins, call.expression);
    if (type) types.add(type);
    const targets = type && byType.get(type);
    if (!targets) continue;
    const fromTest = isTestFile(call, root);
    for (const callee of targets) {
      if (fromTest && !isTestFile(callee, root)) continue;
      edges.push({ ...c, callee });
      dispatched.add(callee);
    }
  }
  return { edges, dispatched, types };
}

/**
 * The files' facts with the edges of their member calls that pass no connection (`step.run()` over `steps: Step[]`)
 * added, to each function given for that member (`typed`, brought to these files first): plain edges, so every
 * reader of the call graph (the store reach of ambient/reach.ts too) sees the callers. Copies where edges are added:
 * facts stay whole.
 */
export function linkMemberCalls(
  files: FileFacts[],
  origins: OriginResolver,
  root: string,
  typed: TypedFunctions,
): FileFacts[] {
  const calls = files.flatMap((f) => f.memberCalls ?? []);
  if (calls.length === 0) return files;
  typed.update(files);
  // Each call's type as its file's flow found it (a member call is one whose callee has one): not read again.
  const types = new Map<ts.Node, FunctionType>();
  for (const f of files) for (const [call, type] of f.memberTypes ?? []) types.set(call, type);
  const edges = typedEdgesOf(calls, typed.byType, origins, root, (call) => types.get(call)).edges;
  return withAddedEdges(files, edges, origins.facts.tracks);
}
