import ts from '../ts.js';
import { resolveImport } from '../code/modules.js';
import type { Origin, OriginResolver } from '../code/origins.js';
import { type Binding, lookup } from '../code/scope.js';
import { classMethod } from '../code/injected.js';
import { skipOuter } from '../syntax/wrappers.js';
import { declaredTypeOf } from './declared-receiver.js';

// A method read off a parameter whose declared type is a class of the codebase:
// `constructor(private readonly db: TenantDb) {}` … `this.db.withTenant(id, async (c) => …)`.
// Nothing in view says which instance arrives, but its declared class says which method
// runs, so a scope helper written as a method is checked like a function helper.

/** The method `param.path[0]` of the parameter's declared class, or null when that is not known. */
export function declaredClassMethod(
  origins: OriginResolver,
  origin: Origin,
): Extract<Origin, { kind: 'function' }> | null {
  if (origin.kind !== 'param' || origin.path.length !== 1 || typeof origin.path[0] !== 'string') return null;
  const decl = origin.binding.decl;
  if (!ts.isParameter(decl) || !decl.type || !ts.isTypeReferenceNode(decl.type)) return null;
  const cls = declaredClass(origins, decl.type, 0);
  if (!cls) return null;
  const name = origin.path[0];
  for (const m of cls.members) {
    if (!m.name || !ts.isIdentifier(m.name) || m.name.text !== name) continue;
    // An abstract or overloaded-only member has no body to read: what runs is a subclass's.
    if (ts.isMethodDeclaration(m) && m.body) return { kind: 'function', decl: m, name };
    if (ts.isPropertyDeclaration(m) && m.initializer && ts.isArrowFunction(m.initializer))
      return { kind: 'function', decl: m.initializer, name };
    return null;
  }
  return null;
}

/** TypeScript's mapped types that keep the members they keep as the type declares them. */
const KEEPS_MEMBERS = new Set(['Pick', 'Omit', 'Readonly', 'Required', 'Partial']);

/**
 * The class of the codebase a type reference names: directly, or through a type alias, local or imported
 * (`rls: DatabaseWrapper` with `export type DatabaseWrapper = RLSRepositoryWrapper`).
 */
function declaredClass(origins: OriginResolver, type: ts.TypeNode, depth: number): ts.ClassLikeDeclaration | null {
  if (depth > 4 || !ts.isTypeReferenceNode(type) || !ts.isIdentifier(type.typeName)) return null;
  const cls = origins.expr(type.typeName);
  if (cls.kind === 'class') return cls.decl;
  let b: Binding | undefined = lookup(type.typeName);
  if (b?.kind === 'import') {
    const target = resolveImport(origins.host, type.getSourceFile().fileName, b);
    b = target?.kind === 'binding' ? target.binding : undefined;
  }
  // `Pick<TenantRunner, 'run'>` (TypeScript's own, no type of the code by that name): the methods it keeps are the
  // class's (the code would not compile calling one it leaves out).
  const kept = type.typeArguments?.[0];
  if (!b && kept && KEEPS_MEMBERS.has(type.typeName.text)) return declaredClass(origins, kept, depth + 1);
  if (b?.kind !== 'other' || !ts.isTypeAliasDeclaration(b.decl)) return null;
  return declaredClass(origins, b.decl.type, depth + 1);
}

/**
 * The method of a class of the codebase a call runs, known only from the annotations along its receiver: a parameter's
 * declared class (`this.rls.insert(…)` with `rls: DatabaseWrapper`), or what a const holds by the declared return type
 * of the function that made it (`const db = await getDb(); db.insert(…)` with `getDb(): Promise<DatabaseWrapper>`).
 * An interface or abstract class is a contract, whose calls are edges to its implementations (interface-calls.ts).
 */
export function declaredMethodOf(
  origins: OriginResolver,
  call: ts.CallExpression,
  target: Origin,
): ts.FunctionLikeDeclaration | undefined {
  const declared = declaredClassMethod(origins, target);
  if (declared) return declared.decl;
  const callee = skipOuter(call.expression);
  if (!ts.isPropertyAccessExpression(callee)) return undefined;
  const cls = declaredTypeOf(origins, callee.expression);
  if (!cls || !ts.isClassDeclaration(cls)) return undefined;
  if (ts.getModifiers(cls)?.some((m) => m.kind === ts.SyntaxKind.AbstractKeyword)) return undefined;
  return classMethod(origins, cls, callee.name.text);
}
