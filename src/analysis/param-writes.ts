import ts from '../ts.js';
import type { DbAdapter } from '../adapters/index.js';
import { ambientAdapter } from './ambient/providers.js';
import { freshState } from './connection-state.js';
import type { LocalVerdict, RawSite, ShapeOnly } from './facts.js';
import { isInlineCallback } from './flow.js';
import type { Handle } from './handles.js';
import { namedCallbackUses } from './named-callbacks.js';

// A write on a plain parameter of a function of the code, with no declared type, whose shape names no library for
// sure: `async function addInvoice(tx, orgId) { await tx.invoice.create(…) }` with no schema.prisma found, a TypeORM
// `m.save(Invoice, …)`, Drizzle's `tx.insert(table)` with `table` untraced. Nothing in the function says `tx` is a
// connection; its callers do. So the write is a site pending on the parameter like any other, judged at each call,
// and a call passing a value that is no connection of that library (a package's client, a plain object: `stripe`'s
// `charges.create`, a bag's Map `entries.delete`) runs no write of it. A function every call of which passes such a
// value writes nothing (its site is dropped at settlement, program.ts); one nothing calls stays `unresolved`, as any
// parameter's write with no caller does. A callback's parameter is handed-callbacks.ts's, read off its helper.

/**
 * Whether `handle` is a plain parameter a write of this shape is tentatively on: no declared type, and its function
 * no callback (a callback's parameter is what its helper hands it, or nothing: `list.forEach((x) => …)`).
 */
export function onPlainParameter(handle: Handle): handle is Extract<Handle, { kind: 'param' }> {
  if (handle.kind !== 'param' || handle.typed || handle.fallback || handle.opened) return false;
  // Declared with a type (`catalog: ServiceService`, `router: Router`): a method of that type, whatever its name says,
  // called as the code's call (linked to its body) or a package's; only an untyped or `any` one is left to its calls.
  const type = handle.binding.decl.type;
  if (type && !isAnyType(type) && !(handle.path?.length === 1 && isAnyType(memberType(type, handle.path[0]!)))) {
    return false;
  }
  const fn = handle.binding.fn;
  // A constructor's parameter is what a container injects (nest-di.ts), not what a call passes.
  if (ts.isConstructorDeclaration(fn) || isInlineCallback(fn) || handedInOptions(fn)) return false;
  return !namedCallbackUses(fn);
}

/**
 * The declared type of a member of a parameter's type: `db` of `ctx: Ctx` with `interface Ctx { db: any; … }` (or a
 * type literal, inline or aliased) in the parameter's file. CLIaaS hands its stores `{ db: any, schema }`: a write on
 * `ctx.db` is as untyped as one on a plain parameter, and its calls decide it (it was no site at all).
 */
function memberType(type: ts.TypeNode, key: string | number): ts.TypeNode | undefined {
  let members: ts.NodeArray<ts.TypeElement> | undefined;
  if (ts.isTypeLiteralNode(type)) members = type.members;
  else if (ts.isTypeReferenceNode(type) && ts.isIdentifier(type.typeName) && !type.typeArguments) {
    const name = type.typeName.text;
    for (const st of type.getSourceFile().statements) {
      if (ts.isInterfaceDeclaration(st) && st.name.text === name && !st.heritageClauses) members = st.members;
      else if (ts.isTypeAliasDeclaration(st) && st.name.text === name && ts.isTypeLiteralNode(st.type))
        members = st.type.members;
    }
  }
  const m = members?.find((x) => x.name && ts.isIdentifier(x.name) && x.name.text === String(key));
  return m && ts.isPropertySignature(m) ? m.type : undefined;
}

/** `any`, `unknown`, or an alias of the file declaring one of them (`type AnyDb = any`). */
function isAnyType(type: ts.TypeNode | undefined): boolean {
  if (!type) return false;
  if (type.kind === ts.SyntaxKind.AnyKeyword || type.kind === ts.SyntaxKind.UnknownKeyword) return true;
  if (!ts.isTypeReferenceNode(type) || !ts.isIdentifier(type.typeName) || type.typeArguments) return false;
  const name = type.typeName.text;
  const alias = type
    .getSourceFile()
    .statements.find((st): st is ts.TypeAliasDeclaration => ts.isTypeAliasDeclaration(st) && st.name.text === name);
  const kind = alias?.type.kind;
  return kind === ts.SyntaxKind.AnyKeyword || kind === ts.SyntaxKind.UnknownKeyword;
}

/**
 * A function given as a member of an object literal passed to a call (`mutation({ handler: async (ctx) => … })`,
 * `defineRoute({ handler(req) { … } })`): a callback its framework calls, not a function of the code's own calls.
 */
function handedInOptions(fn: ts.SignatureDeclaration): boolean {
  let up: ts.Node = ts.isMethodDeclaration(fn) ? fn.parent : ts.isPropertyAssignment(fn.parent) ? fn.parent.parent : fn;
  if (!ts.isObjectLiteralExpression(up)) return false;
  up = up.parent;
  while (ts.isParenthesizedExpression(up) || ts.isAsExpression(up) || ts.isSatisfiesExpression(up)) up = up.parent;
  return ts.isCallExpression(up) || ts.isNewExpression(up);
}

/** The evidence the write's unknown table is given: where it runs, and who decides it. */
export function onParameterNote(handle: Extract<Handle, { kind: 'param' }>, fn: string): string {
  return `it runs on \`${handle.binding.name}\`, a parameter of \`${fn}\` whose calls decide the connection`;
}

/** What a site of a plain parameter's write is settled as: pending on the parameter, whatever its table. */
export function shapeOnlyVerdict(site: RawSite, only: ShapeOnly): LocalVerdict {
  const v = site.verdict;
  if ('pending' in v) return v.pending.kind === 'param' ? { ...v, pending: { ...v.pending, shapeOnly: only } } : v;
  const h = site.handle;
  if (h.kind !== 'param' || v.coverage !== 'unresolved') return v;
  return {
    pending: {
      kind: 'param',
      binding: h.binding,
      ...(h.path ? { path: h.path } : {}),
      shapeOnly: { ...only, table: v },
    },
    state: freshState(h),
  };
}

/**
 * Whether a call's argument is a connection of `library`: `yes`, `no` (a value that is no connection, or another
 * library's), or `unknown` (untraced, or a parameter its own callers decide).
 */
export function libraryFit(handle: Handle, library: string): 'yes' | 'no' | 'unknown' {
  switch (handle.kind) {
    case 'executor':
      return handle.adapter.api === library ? 'yes' : 'no';
    case 'admin':
      return !handle.adapter ? 'yes' : handle.adapter.api === library ? 'yes' : 'no';
    case 'scoped':
      return 'yes';
    case 'param':
      return handle.typed ? (handle.typed.adapter.api === library ? 'yes' : 'no') : 'unknown';
    case 'not-db':
    case 'library':
      return 'no';
    case 'unknown':
      return 'unknown';
    default: {
      const a: DbAdapter | undefined = ambientAdapter(handle);
      return !a ? 'unknown' : a.api === library ? 'yes' : 'no';
    }
  }
}

