import ts from '../ts.js';
import { indexedNodes, topLevelOf } from '../code/file-nodes.js';
import { classMethod, typeName } from '../code/injected.js';
import type { OriginResolver } from '../code/origins.js';
import { skipOuter } from '../syntax/wrappers.js';
import { declarationOf, declaredTypeOf } from './declared-receiver.js';
import type { CallEdge, FileFacts } from './facts.js';

// A method called on a receiver typed by a codebase interface or abstract class
// (`constructor(private readonly db: Database)` … `this.db.createObject(…)`): nothing in view
// says which instance arrives, but it is one of the classes that implement or extend that type,
// so the call is an edge to that method of every one of them, and a write judged at the method's
// callers takes the worst. An object literal declared as the interface (a `const` of that type, or
// the return of a function declared to return it) is one more implementation. Found once per run
// over all files: linear in classes, object literals and calls.

/** A declaration a receiver may be typed by: an interface, or an abstract class (whose methods subclasses supply). */
export type Contract = ts.InterfaceDeclaration | ts.ClassDeclaration;

/** A call through a contract, recorded where the call is made and linked once every file is known. */
export type ContractCall = Omit<CallEdge, 'callee'> & { contract: Contract; method: string };

function isContract(node: ts.Node | undefined): node is Contract {
  if (!node) return false;
  if (ts.isInterfaceDeclaration(node)) return true;
  return ts.isClassDeclaration(node) && !!ts.getModifiers(node)?.some((m) => m.kind === ts.SyntaxKind.AbstractKeyword);
}

/**
 * `db.createObject` / `this.db.createObject` on a parameter typed by a contract, or any receiver whose annotations
 * declare it one (declared-receiver.ts): the contract and the method.
 */
export function contractCallee(
  origins: OriginResolver,
  call: ts.CallExpression,
): { contract: Contract; method: string } | undefined {
  const o = origins.expr(call.expression);
  if (o.kind === 'param' && o.path.length === 1 && typeof o.path[0] === 'string' && ts.isParameter(o.binding.decl)) {
    const name = typeName(o.binding.decl.type);
    const contract = name && declarationOf(origins, name);
    if (isContract(contract)) return { contract, method: o.path[0] };
  }
  // A receiver provenance cannot follow (a method's result, a field of a field) declared as a contract:
  // `this.storage.db.asSuperUser().insertPart(…)` with `asSuperUser(): Database`.
  const callee = skipOuter(call.expression);
  if (!ts.isPropertyAccessExpression(callee)) return undefined;
  const contract = declaredTypeOf(origins, callee.expression);
  return isContract(contract) ? { contract, method: callee.name.text } : undefined;
}

/** Every class of these files under each contract or class it implements or extends, directly. */
function subtypes(files: readonly FileFacts[], origins: OriginResolver): Map<ts.Node, ts.ClassDeclaration[]> {
  const out = new Map<ts.Node, ts.ClassDeclaration[]>();
  for (const f of files) {
    // The file's top-level classes with a heritage clause, listed by its index walk (file-nodes.ts).
    for (const st of topLevelOf(f.sf).heritageClasses) {
      for (const clause of st.heritageClauses ?? [])
        for (const t of clause.types) {
          if (!ts.isIdentifier(t.expression)) continue;
          const base = declarationOf(origins, t.expression);
          if (!base) continue;
          const list = out.get(base);
          if (list) list.push(st);
          else out.set(base, [st]);
        }
    }
  }
  return out;
}

/** The concrete classes under a contract, through subclasses of its implementations. */
function implementations(contract: Contract, subs: Map<ts.Node, ts.ClassDeclaration[]>): ts.ClassDeclaration[] {
  const seen = new Set<ts.Node>([contract]);
  const work = [contract as ts.Node];
  const out: ts.ClassDeclaration[] = [];
  while (work.length) {
    for (const cls of subs.get(work.pop()!) ?? []) {
      if (seen.has(cls)) continue;
      seen.add(cls);
      out.push(cls);
      work.push(cls);
    }
  }
  return out;
}

/**
 * Object literals declared as an interface: `const ctx: Ctx = { … }`, or returned by a function declared to return it
 * (`function liveContext(): Ctx { return { async persist() { … } } }`, the default of a parameter `ctx: Ctx =
 * liveContext()`). Each is an implementation as a class is: a call through the interface may reach its methods.
 */
function literalImplementations(
  files: readonly FileFacts[],
  origins: OriginResolver,
): Map<ts.Node, ts.ObjectLiteralExpression[]> {
  const out = new Map<ts.Node, ts.ObjectLiteralExpression[]>();
  for (const f of files)
    for (const n of indexedNodes(f.sf)) {
      if (!ts.isObjectLiteralExpression(n)) continue;
      const name = typeName(declaredTypeOfLiteral(n));
      const contract = name && declarationOf(origins, name);
      if (!contract || !ts.isInterfaceDeclaration(contract)) continue;
      const list = out.get(contract);
      if (list) list.push(n);
      else out.set(contract, [n]);
    }
  return out;
}

/** The type a literal is declared with: its variable's, or the return type of the function that returns it. */
function declaredTypeOfLiteral(literal: ts.ObjectLiteralExpression): ts.TypeNode | undefined {
  let at: ts.Node = literal;
  while (ts.isParenthesizedExpression(at.parent)) at = at.parent;
  const parent = at.parent;
  if (ts.isVariableDeclaration(parent) && parent.initializer === at) return parent.type;
  if (ts.isReturnStatement(parent)) {
    let fn: ts.Node | undefined = parent.parent;
    while (fn && !ts.isFunctionLike(fn)) fn = fn.parent;
    return fn && (ts.isFunctionDeclaration(fn) || ts.isFunctionExpression(fn) || ts.isArrowFunction(fn) ||
      ts.isMethodDeclaration(fn))
      ? fn.type
      : undefined;
  }
  if (ts.isArrowFunction(parent) && parent.body === at) return parent.type;
  return undefined;
}

/** A literal's method of that name: a method, or a property holding a function written in place. */
function literalMethod(literal: ts.ObjectLiteralExpression, key: string): ts.FunctionLikeDeclaration | undefined {
  for (const p of literal.properties) {
    if (!p.name || !(ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) || p.name.text !== key) continue;
    if (ts.isMethodDeclaration(p) && p.body) return p;
    if (ts.isPropertyAssignment(p)) {
      const f = skipOuter(p.initializer);
      if (ts.isArrowFunction(f) || ts.isFunctionExpression(f)) return f;
    }
  }
  return undefined;
}

/**
 * The edges of the calls made through contracts, to every implementation's method. A contract none of the files
 * implements adds no edge: what the method's callers decide is then left unresolved where it is judged.
 */
export function contractEdges(files: readonly FileFacts[], origins: OriginResolver): CallEdge[] {
  const calls = files.flatMap((f) => f.contractCalls ?? []);
  if (calls.length === 0) return [];
  const subs = subtypes(files, origins);
  let literals: Map<ts.Node, ts.ObjectLiteralExpression[]> | undefined;
  const methods = new Map<string, ts.FunctionLikeDeclaration[]>();
  const out: CallEdge[] = [];
  const ids = new Map<ts.Node, number>();
  for (const { contract, method, ...edge } of calls) {
    const id = ids.get(contract) ?? ids.set(contract, ids.size).get(contract)!;
    const key = `${id}\u0000${method}`;
    let targets = methods.get(key);
    if (!targets) {
      targets = implementations(contract, subs).flatMap((cls) => {
        const m = classMethod(origins, cls, method);
        return m ? [m] : [];
      });
      literals ??= literalImplementations(files, origins);
      for (const literal of literals.get(contract) ?? []) {
        const m = literalMethod(literal, method);
        if (m) targets.push(m);
      }
      methods.set(key, targets);
    }
    for (const callee of targets) out.push({ ...edge, callee });
  }
  return out;
}

/** The files' facts with the edges of their contract calls added (copies where edges are added: facts stay whole). */
export function linkContractCalls(files: FileFacts[], origins: OriginResolver): FileFacts[] {
  return withAddedEdges(files, contractEdges(files, origins), origins.facts.tracks);
}

/**
 * The files' facts with `edges` added to the file each call is in (copies where edges are added: facts stay whole).
 * `keep` (an editor's session, which concludes after every edit): a file given the same edges as last time (field by
 * field: each link makes new edge objects) keeps the same list, so what is kept per list of edges (caller-index.ts)
 * stays.
 */
export function withAddedEdges(files: FileFacts[], edges: Iterable<CallEdge>, keep = false): FileFacts[] {
  const bySource = new Map<ts.SourceFile, CallEdge[]>();
  for (const e of edges) {
    const sf = e.call.getSourceFile();
    const list = bySource.get(sf);
    if (list) list.push(e);
    else bySource.set(sf, [e]);
  }
  const joined = (own: CallEdge[], added: CallEdge[]): CallEdge[] => {
    if (!keep) return [...own, ...added];
    const last = joinedBefore.get(own);
    if (last && last.added.length === added.length && last.added.every((e, i) => sameEdge(e, added[i]!)))
      return last.edges;
    const out = [...own, ...added];
    joinedBefore.set(own, { added, edges: out });
    return out;
  };
  return bySource.size === 0
    ? files
    : files.map((f) => (bySource.has(f.sf) ? { ...f, edges: joined(f.edges, bySource.get(f.sf)!) } : f));
}

/** What `withAddedEdges` last made of a file's own edges (by that list's identity), when asked to keep it. */
const joinedBefore = new WeakMap<CallEdge[], { added: CallEdge[]; edges: CallEdge[] }>();

function sameEdge(a: CallEdge, b: CallEdge): boolean {
  const keys = Object.keys(a) as (keyof CallEdge)[];
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

/**
 * The contract a method's class implements that no declaration of the codebase stands for (`implements
 * Pick<Store, 'put'>`, a library's interface): calls through it cannot be tied to this method, so the calls seen
 * are not all of its calls. The type's text, or undefined when every implemented type is followed.
 */
export function unfollowedContract(origins: OriginResolver, fn: ts.FunctionLikeDeclaration): string | undefined {
  const cls = fn.parent;
  if (!ts.isMethodDeclaration(fn) || !ts.isClassDeclaration(cls)) return undefined;
  for (const clause of cls.heritageClauses ?? []) {
    if (clause.token !== ts.SyntaxKind.ImplementsKeyword) continue;
    for (const t of clause.types) {
      const followed = ts.isIdentifier(t.expression) && !t.typeArguments && declarationOf(origins, t.expression);
      if (!followed) return t.getText();
    }
  }
  return undefined;
}
