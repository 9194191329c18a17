import ts from '../ts.js';
import { lookup, type Binding } from './scope.js';
import { outerWrapperOf, skipOuter } from '../syntax/wrappers.js';

// A connection cached on the global object so hot reloads reuse it:
//   const g = globalThis as unknown as { __db?: Db };
//   function getDb() { if (!g.__db) g.__db = drizzle(client); return g.__db; }
// A read of `g.__db` is the value the same module stores there. Resets to `undefined` or
// `null` are not values; two different stored values leave the read untraced (fail closed).

/**
 * `g.__db ?? makeDb()` (or `||`) initializing a const that the module stores back (`g.__db = db`), the
 * hot-reload singleton (Prisma's documented `globalForPrisma.prisma ?? new PrismaClient()`): the cache
 * only ever holds what this initializer made on an earlier load, so the value is the fallback's. Any
 * other value stored there, or none, leaves the read as it was (untraced: fail closed).
 */
export function globalCacheFallback(e: ts.Expression): ts.Expression | undefined {
  if (!ts.isBinaryExpression(e)) return undefined;
  const op = e.operatorToken.kind;
  if (op !== ts.SyntaxKind.QuestionQuestionToken && op !== ts.SyntaxKind.BarBarToken) return undefined;
  const read = skipOuter(e.left);
  if (!ts.isPropertyAccessExpression(read) || !ts.isIdentifier(read.name) || !isGlobalObject(read.expression, 0))
    return undefined;
  const n = outerWrapperOf(e, false);
  const decl = n.parent;
  if (!ts.isVariableDeclaration(decl) || decl.initializer !== n || !ts.isIdentifier(decl.name)) return undefined;
  if (!(ts.getCombinedNodeFlags(decl) & ts.NodeFlags.Const)) return undefined;
  const values = storedIn(e.getSourceFile()).get(read.name.text) ?? [];
  const selfOnly = values.every((v) => {
    const value = skipOuter(v);
    return ts.isIdentifier(value) && lookup(value)?.decl === decl;
  });
  return values.length > 0 && selfOnly ? e.right : undefined;
}

/**
 * `(globalThis.__db ??= makeDb())` (or `||=`, `=`), the hot-reload singleton written as one expression: its value
 * is what the cache holds, and when this assignment is the only value the module stores there that is `makeDb()`'s.
 * Another value stored in the same property leaves it as it was (untraced: fail closed).
 */
export function globalCacheAssignment(e: ts.Expression): ts.Expression | undefined {
  if (!ts.isBinaryExpression(e) || !ASSIGN().has(e.operatorToken.kind)) return undefined;
  const left = skipOuter(e.left);
  if (!ts.isPropertyAccessExpression(left) || !ts.isIdentifier(left.name)) return undefined;
  const values = isGlobalObject(left.expression, 0) ? (storedIn(e.getSourceFile()).get(left.name.text) ?? []) : [];
  return values.length > 0 && values.every((v) => v.getText() === e.right.getText()) ? e.right : undefined;
}

const stored = new WeakMap<ts.SourceFile, Map<string, ts.Expression[]>>();

/** The one value a module stores in a property of the global object, for a read of it. */
export function globalCacheValue(read: ts.PropertyAccessExpression): ts.Expression | undefined {
  if (!isGlobalObject(read.expression, 0)) return undefined;
  const values = storedIn(read.getSourceFile()).get(read.name.text) ?? [];
  const distinct = [...new Set(values.map((v) => v.getText()))];
  return distinct.length === 1 ? values[0] : undefined;
}

function storedIn(sf: ts.SourceFile): Map<string, ts.Expression[]> {
  let map = stored.get(sf);
  if (map) return map;
  map = new Map();
  const found = map;
  const visit = (n: ts.Node): void => {
    if (ts.isBinaryExpression(n) && ASSIGN().has(n.operatorToken.kind)) {
      const left = skipOuter(n.left);
      const value = skipOuter(n.right);
      const reset = value.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(value) && value.text === 'undefined');
      if (ts.isPropertyAccessExpression(left) && !reset && isGlobalObject(left.expression, 0)) {
        const list = found.get(left.name.text) ?? [];
        list.push(n.right);
        found.set(left.name.text, list);
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  stored.set(sf, map);
  return map;
}

// Built at its first use: TypeScript is loaded only when a run needs it (scripts/bundle.ts).
let assignKinds: ReadonlySet<ts.SyntaxKind> | undefined;
const ASSIGN = (): ReadonlySet<ts.SyntaxKind> =>
  (assignKinds ??= new Set([
    ts.SyntaxKind.EqualsToken,
    ts.SyntaxKind.QuestionQuestionEqualsToken,
    ts.SyntaxKind.BarBarEqualsToken,
  ]));

/** `globalThis`, `global`, or a const bound to one of them (through casts). */
function isGlobalObject(expression: ts.Expression, depth: number): boolean {
  const e = skipOuter(expression);
  if (!ts.isIdentifier(e) || depth > 4) return false;
  const b = lookup(e);
  if (!b || isGlobalAugmentation(b)) return e.text === 'globalThis' || e.text === 'global';
  return (
    b.kind === 'variable' &&
    b.flags === 'const' &&
    !b.path.length &&
    !!b.decl.initializer &&
    isGlobalObject(b.decl.initializer, depth + 1)
  );
}

/**
 * `declare global { var prisma: PrismaClient | undefined }` (Prisma's older documented singleton types the cache
 * this way) is a module declaration named `global`, so the file's scope binds the name; it declares types on the
 * global object and no value of its own, so `global.prisma` still reads the global object.
 */
function isGlobalAugmentation(b: Binding): boolean {
  return b.kind === 'other' && ts.isModuleDeclaration(b.decl) && (b.decl.flags & ts.NodeFlags.GlobalAugmentation) !== 0;
}
