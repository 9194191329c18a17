import ts from '../ts.js';
import { adapterForModule, type DbAdapter, type ExecutorKind } from '../adapters/index.js';
import { returnTypeOf } from '../code/carried.js';
import { resolveImport } from '../code/modules.js';
import type { OriginResolver } from '../code/origins.js';
import { type Binding, lookup } from '../code/scope.js';
import { skipOuter } from '../syntax/wrappers.js';
import { declaredClassMethod } from './declared-methods.js';
import { fieldTypeNode } from './declared-receiver.js';
import { importModule } from './config-match.js';
import type { Handle } from './handles.js';

// A parameter's declared type, read as a database executor: a library's type (also through an
// alias or a union), a class of the codebase that extends one, or ReturnType of a factory.

export interface DeclaredExecutor {
  adapter: DbAdapter;
  exec: ExecutorKind;
}

/** What reading a declared type asks of provenance. */
export interface TypeReader {
  origins: OriginResolver;
  returned(fn: ts.FunctionLikeDeclaration): Handle;
  trace(expression: ts.Expression): Handle;
}

/** The executor a parameter's declared type names, if any. */
export function typeOfParam(reader: TypeReader, decl: ts.ParameterDeclaration): DeclaredExecutor | null {
  const type = decl.type ?? contextualParamType(reader.origins, decl);
  return type ? typeOfNode(reader, type) : null;
}

/**
 * The executor a field of a parameter is declared as (`args.trx`, `{ trx }` destructured, with
 * `trx: Knex.Transaction` in the parameter's interface or type literal), if any: without it a
 * builder call on the field (`args.trx('episodes').update(…)`) is no recognisable write at all.
 */
export function typeOfField(
  reader: TypeReader,
  decl: ts.ParameterDeclaration,
  path: readonly (string | number)[],
): DeclaredExecutor | null {
  const type = fieldTypeNode(reader.origins, decl.type ?? contextualParamType(reader.origins, decl), path);
  return type ? typeOfNode(reader, type) : null;
}

/**
 * `app.get<Sql>('SQL_CLIENT')`, `moduleRef.resolve<Pool>(TOKEN)`: a container lookup whose one type argument names a
 * library executor type returns that executor, as an annotation on the variable would say. Only `get`/`resolve`
 * (what DI containers call their lookup), where provenance cannot follow the call.
 */
export function typeArgumentExecutor(reader: TypeReader, call: ts.CallExpression): DeclaredExecutor | null {
  const callee = skipOuter(call.expression);
  if (!ts.isPropertyAccessExpression(callee) || !['get', 'resolve'].includes(callee.name.text)) return null;
  const arg = call.typeArguments?.length === 1 ? call.typeArguments[0]! : undefined;
  return arg ? typeOfNode(reader, arg) : null;
}

function typeOfNode(reader: TypeReader, type: ts.TypeNode): DeclaredExecutor | null {
  return executorType(reader, type, 0) ?? subclassType(reader, type) ?? returnType(reader, type);
}

/**
 * An unannotated parameter of a callback takes its type from the function it is handed to:
 * `inOrg(id, async (client) => …)` with `work: (client: PoolClient) => Promise<T>` makes
 * `client` a PoolClient, as the compiler would (contextual typing), without types installed.
 */
export function contextualParamType(origins: OriginResolver, decl: ts.ParameterDeclaration): ts.TypeNode | undefined {
  const fn = decl.parent;
  if (!ts.isArrowFunction(fn) && !ts.isFunctionExpression(fn)) return undefined;
  let call: ts.Node = fn.parent;
  while (ts.isParenthesizedExpression(call) || ts.isAsExpression(call)) call = call.parent;
  if (!ts.isCallExpression(call)) return undefined;
  const argIndex = call.arguments.findIndex((a) => skipOuter(a) === fn);
  const callee = origins.expr(call.expression);
  const target = callee.kind === 'function' ? callee : declaredClassMethod(origins, callee);
  const slot = target?.decl.parameters[argIndex];
  if (!slot?.type || slot.dotDotDotToken) return undefined;
  const signature = slot.type;
  if (!ts.isFunctionTypeNode(signature)) return undefined;
  return signature.parameters[fn.parameters.indexOf(decl)]?.type;
}

/**
 * `db: ReturnType<typeof buildClient>` (also through an alias, local or imported): what
 * buildClient returns, when that is a library executor.
 */
function returnType(reader: TypeReader, type: ts.TypeNode, depth = 0): DeclaredExecutor | null {
  const named = returnTypeOf(type);
  if (named) {
    const fn = reader.origins.expr(named);
    // `ReturnType<typeof drizzle<typeof schema>>`: what the library's own factory makes (CLIaaS's `AppDb`).
    if (fn.kind === 'external') {
      const h = reader.trace(named);
      const exec = h.kind === 'library' ? h.adapter.factories?.[h.name] : undefined;
      return h.kind === 'library' && exec ? { adapter: h.adapter, exec } : null;
    }
    if (fn.kind !== 'function') return null;
    const h = reader.returned(fn.decl);
    return h.kind === 'executor' ? { adapter: h.adapter, exec: h.exec } : null;
  }
  if (depth > 4 || !ts.isTypeReferenceNode(type) || !ts.isIdentifier(type.typeName)) return null;
  let b: Binding | undefined = lookup(type.typeName);
  if (b?.kind === 'import') {
    const target = resolveImport(reader.origins.host, type.getSourceFile().fileName, b);
    b = target?.kind === 'binding' ? target.binding : undefined;
  }
  return b?.kind === 'other' && ts.isTypeAliasDeclaration(b.decl) ? returnType(reader, b.decl.type, depth + 1) : null;
}

/** A class of the codebase that extends a library's executor (NestJS: class PrismaService extends PrismaClient). */
function subclassType(reader: TypeReader, type: ts.TypeNode): DeclaredExecutor | null {
  if (!ts.isTypeReferenceNode(type) || !ts.isIdentifier(type.typeName)) return null;
  const origin = reader.origins.expr(type.typeName);
  return origin.kind === 'class' ? executorSubclass(reader, origin.decl) : null;
}

/** The library executor a class of the codebase extends (`class PrismaService extends PrismaClient`), if any. */
export function executorSubclass(reader: TypeReader, cls: ts.ClassLikeDeclaration): DeclaredExecutor | null {
  for (const clause of cls.heritageClauses ?? []) {
    if (clause.token !== ts.SyntaxKind.ExtendsKeyword) continue;
    const base = clause.types[0]?.expression;
    const h = base ? reader.trace(base) : undefined;
    if (h?.kind === 'library' && h.export !== 'namespace' && h.export !== 'sql-tag') {
      return { adapter: h.adapter, exec: h.export };
    }
  }
  return null;
}

/**
 * A type annotation naming a database executor type: directly, qualified, in a union, or through an alias, local or
 * imported from a module of the codebase (`import type { Database } from './db'` with `export type Database =
 * PostgresJsDatabase<…>`, also through a barrel's re-export).
 */
function executorType(reader: TypeReader, type: ts.TypeNode, depth: number): DeclaredExecutor | null {
  if (depth > 5) return null;
  if (ts.isUnionTypeNode(type)) {
    for (const t of type.types) {
      const found = executorType(reader, t, depth + 1);
      if (found) return found;
    }
    return null;
  }
  // A type imported from a library alias (a fork's DatabasePool) is the library's type.
  const file = type.getSourceFile().fileName;
  const canonical = (m: string): string => reader.origins.host.libraryFor?.(file, m) ?? m;
  const libraryType = (module: string, name: string): DeclaredExecutor | null => {
    const adapter = adapterForModule(canonical(module));
    const exec = adapter?.executorTypes[name];
    return adapter && exec ? { adapter, exec } : null;
  };
  // An import type, `manager: import('typeorm').EntityManager` (also `import('knex').Knex.Transaction`): the named
  // type of a library module. One of a module of the codebase is not followed.
  if (ts.isImportTypeNode(type)) {
    const arg = type.argument;
    const module = ts.isLiteralTypeNode(arg) && ts.isStringLiteral(arg.literal) ? arg.literal.text : undefined;
    const q = type.qualifier;
    const last = q && (ts.isIdentifier(q) ? q : q.right);
    return module && last && !type.isTypeOf ? libraryType(module, last.text) : null;
  }
  if (!ts.isTypeReferenceNode(type)) return null;
  const name = type.typeName;
  if (ts.isQualifiedName(name) && ts.isIdentifier(name.left)) {
    return libraryType(importModule(lookup(name.left)) ?? '', name.right.text);
  }
  if (!ts.isIdentifier(name)) return null;
  let b = lookup(name);
  if (b?.kind === 'import') {
    if (adapterForModule(canonical(b.module))) return libraryType(b.module, b.imported);
    const target = resolveImport(reader.origins.host, file, b);
    if (target?.kind === 'external') return libraryType(target.module, target.name);
    b = target?.kind === 'binding' ? target.binding : undefined;
  }
  if (b?.kind === 'other' && ts.isTypeAliasDeclaration(b.decl)) return executorType(reader, b.decl.type, depth + 1);
  return null;
}

/**
 * `this` inside a class that extends a library's client: that client, made when the container (or `new`) builds the
 * class. Its methods (`withRls(id, fn)` running `this.$transaction(…)`) are then read like any helper's.
 */
export function thisExecutor(
  reader: TypeReader,
  self: ts.Expression,
  at: (n: ts.Node) => string,
): Handle | undefined {
  let n: ts.Node | undefined = self.parent;
  // An arrow keeps the method's `this`; a function expression has its own.
  while (n && !ts.isClassLike(n)) {
    if (ts.isFunctionExpression(n) || ts.isFunctionDeclaration(n)) return undefined;
    n = n.parent;
  }
  const found = n && executorSubclass(reader, n);
  if (!n || !found) return undefined;
  const name = n.name?.text ?? 'a class';
  return {
    kind: 'executor',
    exec: found.exec,
    adapter: found.adapter,
    key: n,
    label: `\`this\`, the ${found.adapter.api} client ${name} extends (${at(n)})`,
  };
}
