import ts from '../ts.js';
import { resolveImport } from '../code/modules.js';
import type { Origin, OriginResolver } from '../code/origins.js';
import { isFunctionLike, lookup } from '../code/scope.js';
import { skipOuter } from '../syntax/wrappers.js';

// The codebase declaration (an interface or a class) a receiver expression is declared as, read
// from the annotations along it, without a type checker: `this.storage.db.asSuperUser()` with
// `storage: Storage`, `Storage.db: Database` and `Database.asSuperUser(): Database` is a
// `Database`. Provenance cannot say which object such a chain holds (a method's result, a field of
// an injected object), but its declared type says which methods a call on it may run.
// Each step reads one annotation; chains and the bindings followed are bounded by STEPS, so the
// cost per call is constant.

/** A declaration a value may be typed by. */
export type TypeDecl = ts.InterfaceDeclaration | ts.ClassLikeDeclaration;

const STEPS = 12;

/** The declaration a type name (`Database`, imported or local) denotes in the codebase, if any. */
export function declarationOf(origins: OriginResolver, name: ts.Identifier): ts.Node | undefined {
  let b = lookup(name);
  if (b?.kind === 'import') {
    const target = resolveImport(origins.host, name.getSourceFile().fileName, b);
    b = target?.kind === 'binding' ? target.binding : undefined;
  }
  return b?.kind === 'other' || b?.kind === 'class' ? b.decl : undefined;
}

function isTypeDecl(node: ts.Node | undefined): node is TypeDecl {
  return !!node && (ts.isInterfaceDeclaration(node) || ts.isClassDeclaration(node) || ts.isClassExpression(node));
}

/** `Database`, `Promise<Database>` (what an await gives), `Database | undefined`: the declaration named. */
function typeDecl(
  origins: OriginResolver,
  type: ts.TypeNode | undefined,
  awaited = false,
  aliases = 0,
): TypeDecl | undefined {
  if (!type) return undefined;
  if (ts.isParenthesizedTypeNode(type)) return typeDecl(origins, type.type, awaited);
  if (ts.isUnionTypeNode(type)) {
    // `Database | undefined` / `| null`: one declaration among nullish members.
    const named = type.types.filter(
      (t) =>
        !(
          t.kind === ts.SyntaxKind.UndefinedKeyword ||
          (ts.isLiteralTypeNode(t) && t.literal.kind === ts.SyntaxKind.NullKeyword)
        ),
    );
    return named.length === 1 ? typeDecl(origins, named[0], awaited) : undefined;
  }
  if (!ts.isTypeReferenceNode(type) || !ts.isIdentifier(type.typeName)) return undefined;
  if (awaited && type.typeName.text === 'Promise') return typeDecl(origins, type.typeArguments?.[0]);
  const decl = declarationOf(origins, type.typeName);
  // `export type DatabaseWrapper = RLSRepositoryWrapper`: the alias of one declaration is that declaration.
  if (decl && ts.isTypeAliasDeclaration(decl) && ts.isTypeReferenceNode(decl.type) && aliases < 4)
    return typeDecl(origins, decl.type, false, aliases + 1);
  return isTypeDecl(decl) ? decl : undefined;
}

/** The class whose method or constructor `this` is in (arrow functions keep the outer `this`). */
function thisClass(node: ts.Node): ts.ClassLikeDeclaration | undefined {
  for (let n = node.parent; n; n = n.parent) {
    if (ts.isClassDeclaration(n) || ts.isClassExpression(n)) return n;
    if (isFunctionLike(n) && !ts.isArrowFunction(n) && !ts.isClassLike(n.parent)) return undefined;
  }
  return undefined;
}

function memberName(name: ts.PropertyName | ts.BindingName | undefined): string | undefined {
  if (!name) return undefined;
  return ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isPrivateIdentifier(name) ? name.text : undefined;
}

/** A member named `key` of the declaration or of what it extends (bounded), with the type it is declared by. */
function member(
  origins: OriginResolver,
  decl: TypeDecl,
  key: string,
  steps: number,
): ts.ClassElement | ts.TypeElement | ts.ParameterDeclaration | undefined {
  for (const m of decl.members as ts.NodeArray<ts.ClassElement | ts.TypeElement>) {
    if (memberName(m.name) === key) return m;
    // `constructor(public readonly db: Database)`: a parameter property.
    if (ts.isConstructorDeclaration(m))
      for (const p of m.parameters)
        if (ts.getModifiers(p)?.length && memberName(p.name) === key) return p;
  }
  if (steps >= STEPS) return undefined;
  for (const clause of decl.heritageClauses ?? []) {
    for (const t of clause.types) {
      const base = ts.isIdentifier(t.expression) ? declarationOf(origins, t.expression) : undefined;
      const found = isTypeDecl(base) ? member(origins, base, key, steps + 1) : undefined;
      if (found) return found;
    }
  }
  return undefined;
}

/** What a method without a return annotation returns when every `return` is `new C(…)` of one class. */
function constructedReturn(origins: OriginResolver, fn: ts.MethodDeclaration): TypeDecl | undefined {
  let out: TypeDecl | undefined;
  let mixed = false;
  const visit = (n: ts.Node): void => {
    if (mixed || (n !== fn && isFunctionLike(n))) return;
    if (ts.isReturnStatement(n)) {
      const e = n.expression && skipOuter(n.expression);
      const cls =
        e && ts.isNewExpression(e) && ts.isIdentifier(e.expression) ? declarationOf(origins, e.expression) : undefined;
      if (!isTypeDecl(cls) || (out && out !== cls)) mixed = true;
      else out = cls;
      return;
    }
    ts.forEachChild(n, visit);
  };
  if (fn.body) visit(fn.body);
  return mixed ? undefined : out;
}

/** The declared type of `recv.key` (a property) or, when `called`, of what `recv.key(…)` returns. */
function memberType(
  origins: OriginResolver,
  owner: TypeDecl,
  key: string,
  called: boolean,
  awaited: boolean,
  steps: number,
): TypeDecl | undefined {
  const m = member(origins, owner, key, steps);
  if (!m) return undefined;
  if (called) {
    if (ts.isMethodSignature(m) || ts.isMethodDeclaration(m)) {
      const declared = typeDecl(origins, m.type, awaited);
      if (declared || m.type) return declared;
      return ts.isMethodDeclaration(m) && !awaited ? constructedReturn(origins, m) : undefined;
    }
    return undefined;
  }
  if (ts.isPropertySignature(m) || ts.isPropertyDeclaration(m) || ts.isParameter(m))
    return typeDecl(origins, m.type, awaited);
  if (ts.isGetAccessorDeclaration(m)) return typeDecl(origins, m.type, awaited);
  return undefined;
}

/**
 * The type an unannotated callback parameter takes from the method it is passed to:
 * `this.db.withTransaction(async (db) => …)` with `withTransaction(fn: (db: Database) => …)` gives `Database`.
 */
function contextualType(
  origins: OriginResolver,
  param: ts.ParameterDeclaration,
  steps: number,
): ts.TypeNode | undefined {
  const fn = param.parent;
  if (!ts.isArrowFunction(fn) && !ts.isFunctionExpression(fn)) return undefined;
  const call = fn.parent;
  if (!ts.isCallExpression(call) || !ts.isPropertyAccessExpression(skipOuter(call.expression))) return undefined;
  const argIndex = call.arguments.indexOf(fn);
  const callee = skipOuter(call.expression) as ts.PropertyAccessExpression;
  const owner = declaredTypeOf(origins, callee.expression, steps + 1);
  const m = owner && member(origins, owner, callee.name.text, steps);
  if (!m || !(ts.isMethodSignature(m) || ts.isMethodDeclaration(m))) return undefined;
  const expected = m.parameters[argIndex]?.type;
  if (!expected || !ts.isFunctionTypeNode(expected)) return undefined;
  return expected.parameters[fn.parameters.indexOf(param)]?.type;
}

/** The declaration `expr` is declared as, when the annotations along it name one. */
export function declaredTypeOf(
  origins: OriginResolver,
  expr: ts.Expression,
  steps = 0,
  awaited = false,
): TypeDecl | undefined {
  if (steps > STEPS) return undefined;
  const e = skipOuter(expr);
  if (ts.isAwaitExpression(e)) return declaredTypeOf(origins, e.expression, steps + 1, true);
  if (e.kind === ts.SyntaxKind.ThisKeyword) return awaited ? undefined : thisClass(e);
  if (ts.isNewExpression(e) && ts.isIdentifier(e.expression)) {
    const cls = declarationOf(origins, e.expression);
    return !awaited && isTypeDecl(cls) ? cls : undefined;
  }
  if (ts.isIdentifier(e)) {
    const b = lookup(e);
    if (b?.kind === 'parameter' && b.path.length === 0)
      return b.decl.type
        ? typeDecl(origins, b.decl.type, awaited)
        : typeDecl(origins, contextualType(origins, b.decl, steps), awaited);
    if (b?.kind === 'variable' && b.path.length === 0) {
      if (b.decl.type) return typeDecl(origins, b.decl.type, awaited);
      // `const db = this.db.asSuperUser()`: a const holds what its initializer is declared as.
      return b.flags === 'const' && b.decl.initializer
        ? declaredTypeOf(origins, b.decl.initializer, steps + 1, awaited)
        : undefined;
    }
    return undefined;
  }
  if (ts.isPropertyAccessExpression(e)) {
    const owner = declaredTypeOf(origins, e.expression, steps + 1);
    return owner && memberType(origins, owner, e.name.text, false, awaited, steps);
  }
  // `await getDb()` with `getDb = async (): Promise<DatabaseWrapper> => …`: the function's declared return type.
  if (ts.isCallExpression(e) && ts.isIdentifier(skipOuter(e.expression))) {
    const fn = origins.expr(e.expression);
    return fn.kind === 'function' ? typeDecl(origins, fn.decl.type, awaited) : undefined;
  }
  if (ts.isCallExpression(e) && ts.isPropertyAccessExpression(skipOuter(e.expression))) {
    const callee = skipOuter(e.expression) as ts.PropertyAccessExpression;
    const owner = declaredTypeOf(origins, callee.expression, steps + 1);
    return owner && memberType(origins, owner, callee.name.text, true, awaited, steps);
  }
  return undefined;
}

// Mapped types of TypeScript's library that keep a member's declared type: `Pick<Deps, 'db' | 'users'>`'s `db` is
// `Deps`'s `db` (the code would not compile reading a member they leave out).
const KEEPS_MEMBERS = new Set(['Pick', 'Omit', 'Partial', 'Required', 'Readonly', 'NonNullable']);

/**
 * The type whose members a field is read from: through parentheses, a nullish union (`deps?: Deps`), the library's
 * member-keeping mapped types (when the code declares no type of that name) and aliases of a type literal or of another
 * reference (`type TransitionDeps = { db: Db; users: typeof users }`), a bounded number of steps.
 */
function bagType(origins: OriginResolver, type: ts.TypeNode): ts.TypeNode {
  let t = type;
  for (let steps = 0; steps < STEPS; steps++) {
    if (ts.isParenthesizedTypeNode(t)) t = t.type;
    else if (ts.isUnionTypeNode(t)) {
      const named = t.types.filter(
        (x) =>
          x.kind !== ts.SyntaxKind.UndefinedKeyword &&
          !(ts.isLiteralTypeNode(x) && x.literal.kind === ts.SyntaxKind.NullKeyword),
      );
      if (named.length !== 1) return t;
      t = named[0]!;
    } else if (ts.isTypeReferenceNode(t) && ts.isIdentifier(t.typeName)) {
      const decl = declarationOf(origins, t.typeName);
      if (decl && ts.isTypeAliasDeclaration(decl) && !decl.typeParameters) t = decl.type;
      else if (!decl && KEEPS_MEMBERS.has(t.typeName.text) && t.typeArguments?.[0]) t = t.typeArguments[0];
      else return t;
    } else return t;
  }
  return t;
}

/**
 * The declared type of a parameter's field (`args.trx` with `args: MutationArgs` and
 * `interface MutationArgs { trx: Knex.Transaction }`, or a type literal): each key's member
 * annotation in turn, through interfaces and classes of the codebase. Undefined where an
 * annotation is missing or a key is computed.
 */
export function fieldTypeNode(
  origins: OriginResolver,
  type: ts.TypeNode | undefined,
  path: readonly (string | number)[],
): ts.TypeNode | undefined {
  let t = type;
  for (const key of path) {
    if (!t || typeof key !== 'string') return undefined;
    t = bagType(origins, t);
    let m: ts.Node | undefined;
    if (ts.isTypeLiteralNode(t)) m = t.members.find((x) => memberName(x.name) === key);
    else {
      const owner = typeDecl(origins, t);
      m = owner && member(origins, owner, key, 0);
    }
    if (!m || !(ts.isPropertySignature(m) || ts.isPropertyDeclaration(m) || ts.isParameter(m))) return undefined;
    t = m.type;
  }
  return t;
}

/**
 * The type node `this.key` is declared with in its class or a class it extends (a property, a getter's return type,
 * a parameter property), whatever value it is assigned: `private repo: Repository<Project>` set to
 * `wrapTenantRepository(base)`. A base class's type parameters are replaced by the type arguments the extending
 * class gives them: `get repo(): Repository<T>` of `BaseRepo<T>`, read in `class Hours extends BaseRepo<WorkingHours>`,
 * is `Repository<WorkingHours>` (a node made for the answer: its type arguments are the source's own nodes).
 * Undefined where no annotation says it.
 */
export function thisMemberTypeNode(origins: OriginResolver, expr: ts.Expression): ts.TypeNode | undefined {
  const e = skipOuter(expr);
  if (!ts.isPropertyAccessExpression(e) || skipOuter(e.expression).kind !== ts.SyntaxKind.ThisKeyword) return undefined;
  const cls = thisClass(e);
  return cls && declaredMemberType(origins, cls, e.name.text, new Map(), 0);
}

function declaredMemberType(
  origins: OriginResolver,
  decl: ts.ClassLikeDeclaration,
  key: string,
  given: ReadonlyMap<string, ts.TypeNode>,
  steps: number,
): ts.TypeNode | undefined {
  for (const m of decl.members) {
    if (memberName(m.name) === key) {
      const type = ts.isPropertyDeclaration(m) || ts.isGetAccessorDeclaration(m) ? m.type : undefined;
      return type && withArguments(type, given);
    }
    if (ts.isConstructorDeclaration(m))
      for (const p of m.parameters)
        if (ts.getModifiers(p)?.length && memberName(p.name) === key) return p.type && withArguments(p.type, given);
  }
  if (steps >= STEPS) return undefined;
  const extended = decl.heritageClauses?.find((c) => c.token === ts.SyntaxKind.ExtendsKeyword)?.types[0];
  if (!extended || !ts.isIdentifier(extended.expression)) return undefined;
  const base = declarationOf(origins, extended.expression);
  if (!base || !(ts.isClassDeclaration(base) || ts.isClassExpression(base))) return undefined;
  const next = new Map<string, ts.TypeNode>();
  base.typeParameters?.forEach((p, i) => {
    const arg = extended.typeArguments?.[i] ?? p.default;
    if (arg) next.set(p.name.text, withArguments(arg, given));
  });
  return declaredMemberType(origins, base, key, next, steps + 1);
}

/** `Repository<T>` with `T` given as `WorkingHours`: the reference with its type parameters replaced. */
function withArguments(type: ts.TypeNode, given: ReadonlyMap<string, ts.TypeNode>): ts.TypeNode {
  if (given.size === 0 || !ts.isTypeReferenceNode(type) || !ts.isIdentifier(type.typeName)) return type;
  if (!type.typeArguments) return given.get(type.typeName.text) ?? type;
  const args = type.typeArguments.map((a) => withArguments(a, given));
  return args.every((a, i) => a === type.typeArguments![i])
    ? type
    : ts.factory.createTypeReferenceNode(type.typeName, args);
}

/**
 * The value a parameter's field is declared as the type of: `deps.users` with `users: typeof users` in the
 * parameter's declared type (a dependency bag, `deps: Pick<Deps, 'db' | 'users'>`) is that `users`, as an expression
 * provenance can follow (`typeof schema.users` too). A library's table type carries its name (Drizzle's
 * `PgTableWithColumns<{ name: 'users'; … }>`), so the annotation pins which table the field holds. Undefined where no
 * annotation says it.
 */
export function declaredValueOf(
  origins: OriginResolver,
  decl: ts.ParameterDeclaration,
  path: readonly (string | number)[],
  declared: ts.TypeNode | undefined = decl.type,
): ts.Expression | undefined {
  // The annotation may name a value at any depth of the path: `deps.users` with `users: typeof users`, or
  // `schema.tickets` with `schema: typeof import('@/db/schema')` (a module's namespace: its member is that export).
  for (let depth = 1; depth <= path.length; depth++) {
    const type = fieldTypeNode(origins, declared, path.slice(0, depth));
    if (!type) return undefined;
    let origin = annotatedValue(origins, type);
    if (!origin) continue;
    for (const key of path.slice(depth)) origin = origins.member(origin, key);
    return origin.kind === 'expr' ? origin.expr : undefined;
  }
  return undefined;
}

/** The value a `typeof x.y` or `typeof import('m').y` annotation names, if it is one. */
function annotatedValue(origins: OriginResolver, type: ts.TypeNode): Origin | undefined {
  const keys: string[] = [];
  let origin: Origin;
  if (ts.isImportTypeNode(type) && type.isTypeOf && !type.typeArguments) {
    const arg = type.argument;
    if (!ts.isLiteralTypeNode(arg) || !ts.isStringLiteral(arg.literal)) return undefined;
    let q = type.qualifier;
    while (q && ts.isQualifiedName(q)) {
      keys.unshift(q.right.text);
      q = q.left;
    }
    if (q) keys.unshift(q.text);
    origin = origins.moduleOrigin(type.getSourceFile(), arg.literal.text);
  } else if (ts.isTypeQueryNode(type) && !type.typeArguments) {
    let name: ts.EntityName = type.exprName;
    while (ts.isQualifiedName(name)) {
      keys.unshift(name.right.text);
      name = name.left;
    }
    origin = origins.expr(name);
  } else return undefined;
  for (const key of keys) origin = origins.member(origin, key);
  return origin;
}
