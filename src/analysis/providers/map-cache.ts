import ts from '../../ts.js';
import { assignedValues, isEmptyValue, isStableVariable, lookup } from '../../code/scope.js';
import { outerWrapperOf, skipOuter } from '../../syntax/wrappers.js';
import { enclosingClass, type OriginResolver } from '../../code/origins.js';
import type { Replacement } from '../../code/carried.js';

// A connection cache kept in a Map (corpus34: the-dmz's `getDatabaseClient`):
//   export const clients = new Map<string, Db>();
//   if (!clients.has(key)) clients.set(key, drizzle(getPool(config)));
//   return clients.get(key)!;
// A read `clients.get(k)` is one of the values the code ever sets in that Map. That holds only while every use of the
// Map is seen: a `const` (or a private field) made by `new Map()` with no entries, whose every use in its file, and in
// any other file when it is exported, is a call of one of its own methods (`get`, `has`, `set`, `delete`, `clear`,
// `keys`, `values`, `entries`) or its `size`. A Map handed anywhere else (an argument, a `forEach` callback that
// receives it, a second name) may be filled out of sight: the read stays untraced, and the reason says where.

/** What a read of a connection cache may get: each value set in it, where. */
export type MapCacheRead =
  | { name: string; declared: ts.Node; values: Replacement[] }
  | { reason: string };

/** The Map's own methods that neither fill it out of sight nor hand it on. */
const READS = new Set(['get', 'has', 'delete', 'clear', 'keys', 'values', 'entries', 'size']);

export interface MapCacheDeps {
  origins: OriginResolver;
  /** The program's files, searched for other modules' uses of an exported Map (a read of the whole program). */
  files: () => readonly ts.SourceFile[];
  /** Says the computation read the whole program (fixpoint.ts `touch('*')`). */
  readProgram: () => void;
  where: (n: ts.Node) => string;
}

/**
 * `M.get(k)` on a Map made by the code itself: what it may hold, or why that cannot be known; undefined when the call
 * is no such read (the caller goes on as before).
 */
export function mapCacheRead(
  call: ts.CallExpression,
  deps: MapCacheDeps,
  of: (made: ts.NewExpression) => MapCacheRead | undefined,
): MapCacheRead | undefined {
  const callee = skipOuter(call.expression);
  if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== 'get' || call.arguments.length !== 1)
    return undefined;
  const origin = deps.origins.expr(callee.expression);
  if (origin.kind !== 'expr') return undefined;
  const made = skipOuter(origin.expr);
  return isNewGlobalMap(made) ? of(made) : undefined;
}

/** What the Map `made` makes may hold, read once per Map (handles.ts keeps it as a fact); undefined: no cache. */
export function mapCacheOf(made: ts.NewExpression, deps: MapCacheDeps): MapCacheRead | undefined {
  const holder = outerWrapperOf(made, false).parent;
  const name = holderName(holder);
  if (!name) return undefined;
  const label = `the Map \`${name}\` (${deps.where(holder)})`;
  if (made.arguments?.length)
    return { reason: `${label} is made with entries of its own, which rls-guard does not read` };
  const values: Replacement[] = [];
  const escape = (n: ts.Node): MapCacheRead => ({
    reason: `${label} is used at ${deps.where(n)} other than by its own methods, so what it holds cannot be traced`,
  });
  for (const use of usesOf(holder, name, made, deps)) {
    const read = use.parent;
    if (!ts.isPropertyAccessExpression(read) || read.expression !== use) return escape(use);
    const method = read.name.text;
    if (method === 'set') {
      const set = read.parent;
      // `M.set(a, x).set(b, y)`: the second value is set on what the first call returns; not read (fail closed).
      const chained = ts.isPropertyAccessExpression(outerWrapperOf(set, false).parent);
      if (!ts.isCallExpression(set) || set.expression !== read || set.arguments.length !== 2 || chained)
        return escape(use);
      const value = set.arguments[1]!;
      if (ts.isSpreadElement(value)) return escape(use);
      for (const v of ownValues(value, made, deps)) values.push({ value: v, at: set });
    } else if (!READS.has(method)) return escape(use);
  }
  if (values.length === 0) return { reason: `${label} is never given a value in the code` };
  return { name, declared: holder, values };
}

/**
 * `let found = pools.get(url); if (!found) { found = postgres(url); pools.set(url, found) }`: a local set in the Map
 * is each value it is given but what it read out of the same Map (already one of the Map's values: nothing new).
 * Anything else is the value itself.
 */
function ownValues(value: ts.Expression, made: ts.Expression, deps: MapCacheDeps): ts.Expression[] {
  const id = skipOuter(value);
  const binding = ts.isIdentifier(id) ? lookup(id) : undefined;
  if (binding?.kind !== 'variable' || binding.path.length || isStableVariable(binding)) return [value];
  const given = assignedValues(binding)?.filter((v) => !isEmptyValue(v));
  if (!given) return [value];
  const readBack = (v: ts.Expression): boolean => {
    const call = skipOuter(v);
    if (!ts.isCallExpression(call) || !ts.isPropertyAccessExpression(skipOuter(call.expression))) return false;
    const callee = skipOuter(call.expression) as ts.PropertyAccessExpression;
    const from = deps.origins.expr(callee.expression);
    return callee.name.text === 'get' && from.kind === 'expr' && skipOuter(from.expr) === made;
  };
  return given.some(readBack) ? given.filter((v) => !readBack(v)) : [value];
}

/** Two readings of one Map alike (the fact engine's test that a reading settled). */
export function sameMapCache(a: MapCacheRead | undefined, b: MapCacheRead | undefined): boolean {
  if (!a || !b) return a === b;
  if ('reason' in a || 'reason' in b) return 'reason' in a && 'reason' in b && a.reason === b.reason;
  return a.values.length === b.values.length && a.values.every((v, i) => v.value === b.values[i]!.value);
}

function isNewGlobalMap(e: ts.Expression): e is ts.NewExpression {
  if (!ts.isNewExpression(e)) return false;
  const cls = skipOuter(e.expression);
  return ts.isIdentifier(cls) && cls.text === 'Map' && !lookup(cls);
}

/** `const clients = new Map()` or a private field `private readonly pools = new Map()` (or `#pools`). */
function holderName(holder: ts.Node): string | undefined {
  if (ts.isVariableDeclaration(holder) && ts.isIdentifier(holder.name)) {
    return ts.getCombinedNodeFlags(holder) & ts.NodeFlags.Const ? holder.name.text : undefined;
  }
  if (ts.isPropertyDeclaration(holder) && !ts.getModifiers(holder)?.some(isStatic)) {
    if (ts.isPrivateIdentifier(holder.name)) return holder.name.text;
    const isPrivate = ts.getModifiers(holder)?.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword);
    return isPrivate && ts.isIdentifier(holder.name) ? holder.name.text : undefined;
  }
  return undefined;
}

function isStatic(m: ts.ModifierLike): boolean {
  return m.kind === ts.SyntaxKind.StaticKeyword;
}

/**
 * Every place the Map is named: `this.name` in its class for a field; for a `const`, each name bound to it in its file
 * and, when it is exported, each name or namespace member other files import it by (followed by origin, so through
 * barrels). An export is no use.
 */
function usesOf(
  holder: ts.Node,
  name: string,
  made: ts.Expression,
  deps: MapCacheDeps,
): ts.Expression[] {
  const nodes: ts.Expression[] = [];
  if (ts.isPropertyDeclaration(holder)) {
    const cls = holder.parent;
    visit(cls, (n) => {
      if (!ts.isPropertyAccessExpression(n) || n.name.text !== name) return;
      if (skipOuter(n.expression).kind === ts.SyntaxKind.ThisKeyword && enclosingClass(n) === cls) nodes.push(n);
    });
    return nodes;
  }
  const decl = holder as ts.VariableDeclaration;
  const own = decl.getSourceFile();
  let exported = isExported(decl);
  visit(own, (n) => {
    if (!ts.isIdentifier(n) || n.text !== name || !isReference(n)) return;
    if (lookup(n)?.decl !== decl) return;
    if (ts.isExportSpecifier(n.parent) || ts.isExportAssignment(n.parent)) exported = true;
    else nodes.push(n);
  });
  if (!exported) return nodes;
  deps.readProgram();
  for (const sf of deps.files()) {
    if (sf === own || !sf.text.includes(name)) continue;
    visit(sf, (n) => {
      if (!ts.isIdentifier(n) || n.text !== name) return;
      const p = n.parent;
      if (!isReference(n) && !(ts.isPropertyAccessExpression(p) && p.name === n)) return;
      // `db.clients` through a namespace import; `clients` bound by a named import (or a re-export, not a use).
      const member = ts.isPropertyAccessExpression(p) && p.name === n ? p : undefined;
      const binding = lookup(member ? (skipOuter(member.expression) as ts.Identifier) : n);
      if (member && !ts.isIdentifier(skipOuter(member.expression))) return;
      if (binding?.kind !== 'import') return;
      if (ts.isImportSpecifier(p) || ts.isExportSpecifier(p)) return;
      const origin = deps.origins.expr(member ?? n);
      if (origin.kind !== 'expr' || skipOuter(origin.expr) !== made) return;
      nodes.push(member ?? n);
    });
  }
  return nodes;
}

/**
 * Whether an identifier reads a variable: not the name a declaration gives (`const clients`, a class's `clients`
 * field, an object's `clients:` key, a method), nor a member's name (`this.clients`), nor a destructured key.
 */
function isReference(n: ts.Identifier): boolean {
  const p = n.parent;
  if (ts.isPropertyAccessExpression(p)) return p.expression === n;
  if (ts.isQualifiedName(p) || ts.isBindingElement(p)) return false;
  const declares =
    ts.isVariableDeclaration(p) || ts.isPropertyDeclaration(p) || ts.isPropertyAssignment(p) ||
    ts.isMethodDeclaration(p) || ts.isPropertySignature(p) || ts.isMethodSignature(p) || ts.isParameter(p) ||
    ts.isGetAccessorDeclaration(p) || ts.isSetAccessorDeclaration(p) || ts.isFunctionDeclaration(p) ||
    ts.isClassDeclaration(p) || ts.isEnumMember(p) || ts.isImportSpecifier(p) || ts.isImportClause(p);
  return !(declares && p.name === n);
}

function isExported(decl: ts.VariableDeclaration): boolean {
  const statement = decl.parent.parent;
  return (
    ts.isVariableStatement(statement) &&
    !!ts.getModifiers(statement)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
  );
}

function visit(root: ts.Node, f: (n: ts.Node) => void): void {
  const walk = (n: ts.Node): void => {
    f(n);
    ts.forEachChild(n, walk);
  };
  walk(root);
}
