import ts from '../ts.js';
import type { Origin } from './origins.js';
import { skipOuter } from '../syntax/wrappers.js';

// The class a constructor parameter property holds when a DI container (NestJS, needle-di) builds the
// object: `constructor(private readonly users: UsersService)`, `@Inject(UsersService) users` or
// `users = inject(UsersService)`.
// Whatever the container passes is an instance of that class (Nest resolves a class token to
// the class, or to a `useClass` subclass whose inherited methods are the same), so
// `this.users.create(…)` calls UsersService.create: a call edge like any other, found without
// asking the container. Only methods with a body count; anything else (`this.prisma.user`, a
// library class's member) stays the parameter it was, for the connection providers to read.

/** What reading a parameter's class asks of provenance. */
export interface ClassReader {
  expr(e: ts.Expression): Origin;
}

/** The class of the codebase a constructor parameter property is declared (or injected) as. */
export function injectedClass(
  reader: ClassReader,
  param: ts.ParameterDeclaration,
): ts.ClassLikeDeclaration | undefined {
  if (!ts.isConstructorDeclaration(param.parent)) return undefined;
  // A class token names the class; a string or symbol token (`@Inject('UsersService')`) leaves the declared type,
  // which the calls type-check against: the provided class is it or a subclass.
  for (const named of [injectToken(param), typeName(param.type), injectDefault(reader, param)]) {
    const origin = named && reader.expr(named);
    if (origin?.kind === 'class') return origin.decl;
  }
  return undefined;
}

/** `@Inject(TOKEN)`'s argument (any package's `Inject`: Nest's own and its wrappers take the token first). */
export function injectToken(param: ts.ParameterDeclaration): ts.Expression | undefined {
  for (const d of ts.getDecorators(param) ?? []) {
    const e = skipOuter(d.expression);
    if (!ts.isCallExpression(e) || !e.arguments[0]) continue;
    const callee = skipOuter(e.expression);
    const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : '';
    if (name === 'Inject') return e.arguments[0];
  }
  return undefined;
}

/**
 * `constructor(private db = inject(DatabaseService))` (needle-di, Angular): a package's `inject` given a class token
 * returns the container's instance of it, and a caller passing the parameter must pass what the default's type is.
 */
function injectDefault(reader: ClassReader, param: ts.ParameterDeclaration): ts.Expression | undefined {
  const init = param.initializer && skipOuter(param.initializer);
  if (!init || !ts.isCallExpression(init) || !init.arguments[0]) return undefined;
  const callee = skipOuter(init.expression);
  const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : '';
  return name === 'inject' && reader.expr(callee).kind === 'external' ? init.arguments[0] : undefined;
}

/** The identifier a type reference names (`UsersService`, `TransactionHost<…>`), if it is one. */
export function typeName(type: ts.TypeNode | undefined): ts.Identifier | undefined {
  return type && ts.isTypeReferenceNode(type) && ts.isIdentifier(type.typeName) ? type.typeName : undefined;
}

/** A method with a body that a class (or a class of the codebase it extends) defines. */
export function classMethod(
  reader: ClassReader,
  cls: ts.ClassLikeDeclaration,
  key: string,
  depth = 0,
): ts.MethodDeclaration | undefined {
  for (const m of cls.members) {
    if (ts.isMethodDeclaration(m) && m.body && m.name.getText() === key) return m;
  }
  if (depth > 4) return undefined;
  const base = cls.heritageClauses?.find((c) => c.token === ts.SyntaxKind.ExtendsKeyword)?.types[0]?.expression;
  const origin = base ? reader.expr(base) : undefined;
  return origin?.kind === 'class' ? classMethod(reader, origin.decl, key, depth + 1) : undefined;
}

/**
 * A public method of an exported class the code never constructs but decorates for a container (`@Injectable()`): the
 * container makes it and anything may call the method, as anything may call an exported function. The class, when it
 * is one.
 */
export function containerMethod(fn: ts.Node): ts.ClassDeclaration | undefined {
  if (!ts.isMethodDeclaration(fn) || !ts.isIdentifier(fn.name)) return undefined;
  const hidden = ts.getModifiers(fn)?.some((m) =>
    [ts.SyntaxKind.PrivateKeyword, ts.SyntaxKind.ProtectedKeyword, ts.SyntaxKind.StaticKeyword].includes(m.kind),
  );
  const cls = fn.parent;
  if (hidden || !ts.isClassDeclaration(cls) || !ts.getDecorators(cls)?.length) return undefined;
  return ts.getModifiers(cls)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) ? cls : undefined;
}
