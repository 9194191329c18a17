import ts from '../../ts.js';
import { type OriginResolver, shortText } from '../../code/origins.js';
import { isFunctionLike, lookup } from '../../code/scope.js';
import { skipOuter } from '../../syntax/wrappers.js';
import { returnedExpressions } from '../../code/own-returns.js';

// Read replicas: Drizzle's `withReplicas(primary, [replicas], pick?)` (from drizzle-orm's
// `pg-core`) sends reads to a replica and every write (insert, update, delete, execute,
// transaction) to the primary. For the write analysis the replicated database *is* its
// primary. A codebase's own wrapper of the same shape (a function returning `{ ...primary,
// get select() { … replica … }, get insert() { return primary.insert.bind(primary) } }`) is
// read from its body: it counts only when every write member it defines reads the primary
// parameter and nothing else, so a wrapper that routes a write elsewhere stays untraced.

export const WRITE_MEMBERS = ['insert', 'update', 'delete', 'execute', 'transaction'];
const DRIZZLE_CORES = /^drizzle-orm\/(pg-core|pg-core\/.*)$/;

export interface ReplicaPrimary {
  /** The primary connection's expression at the call. */
  primary: ts.Expression;
  /** For evidence: what made the replica set. */
  label: string;
}

/**
 * The primary of a replica set a call makes, if it makes one; a reason when the call makes an
 * object that spreads its first argument but sends a write member elsewhere (never read as
 * the spread connection, never dropped).
 */
export function replicaPrimary(
  call: ts.CallExpression,
  origins: OriginResolver,
): ReplicaPrimary | { reason: string } | undefined {
  const first = call.arguments[0];
  if (!first) return undefined;
  const callee = origins.expr(call.expression);
  if (callee.kind === 'external' && DRIZZLE_CORES.test(callee.module) && callee.path.join('.') === 'withReplicas')
    return { primary: first, label: `drizzle's withReplicas` };
  if (callee.kind !== 'function') return undefined;
  if (wrapperShape(callee.decl)) return { primary: first, label: `the read-replica wrapper \`${callee.name}\`` };
  const elsewhere = routedElsewhere.get(callee.decl);
  return elsewhere
    ? { reason: `\`${callee.name}\` spreads \`${shortText(first, 30)}\` but sends its \`${elsewhere}\` elsewhere` }
    : undefined;
}

/** Wrappers that spread their first parameter but define a write member on something else: that member. */
const routedElsewhere = new WeakMap<ts.FunctionLikeDeclaration, string>();

/**
 * A member read from a replica set that is the set again, restricted to the primary
 * (`db.usePrimaryOnly()`, `db.$primary`): a property of the wrapper's object holding the
 * primary parameter, or a function returning another object of the same wrapper.
 */
export function primaryVariant(fn: ts.FunctionLikeDeclaration, member: string): boolean {
  const shape = wrapperShape(fn);
  if (!shape) return false;
  for (const obj of shape.objects) {
    for (const p of obj.properties) {
      if (!p.name || !ts.isIdentifier(p.name) || p.name.text !== member) continue;
      const value = ts.isPropertyAssignment(p)
        ? p.initializer
        : ts.isShorthandPropertyAssignment(p)
          ? p.name
          : undefined;
      if (!value) return false;
      if (isParam(value, shape.primary)) return true;
      const made = functionValue(value);
      return !!made && returnsOf(made).every((r) => shape.objects.includes(objectOf(r, shape, 0)!));
    }
  }
  return false;
}

const shapes = new WeakMap<ts.FunctionLikeDeclaration, Shape | null>();

interface Shape {
  primary: ts.ParameterDeclaration;
  /** The object literals the wrapper returns (through helpers declared inside it). */
  objects: ts.ObjectLiteralExpression[];
}

function wrapperShape(fn: ts.FunctionLikeDeclaration): Shape | undefined {
  if (shapes.has(fn)) return shapes.get(fn) ?? undefined;
  shapes.set(fn, null);
  const primary = fn.parameters[0];
  if (!primary || !ts.isIdentifier(primary.name)) return undefined;
  const shape: Shape = { primary, objects: [] };
  for (const r of returnsOf(fn)) {
    const obj = objectOf(r, shape, 0);
    if (!obj) return undefined;
    if (!shape.objects.includes(obj)) shape.objects.push(obj);
  }
  if (shape.objects.length === 0) return undefined;
  for (const obj of shape.objects) {
    const off = offPrimary(obj, primary);
    if (off === undefined) continue;
    if (off) routedElsewhere.set(fn, off);
    return undefined;
  }
  shapes.set(fn, shape);
  return shape;
}

/** The object literal a return expression is: inline, or what a function declared in the wrapper returns. */
function objectOf(e: ts.Expression, shape: Shape, depth: number): ts.ObjectLiteralExpression | undefined {
  const x = skipOuter(e);
  if (ts.isObjectLiteralExpression(x)) return x;
  if (depth > 3 || !ts.isCallExpression(x)) return undefined;
  const callee = functionValue(x.expression);
  if (!callee || !isWithin(callee, shape.primary.parent)) return undefined;
  const objects = returnsOf(callee).map((r) => objectOf(r, shape, depth + 1));
  const [only] = objects;
  return only && objects.every((o) => o === only) ? only : undefined;
}

/**
 * For `{ ...primary, … }`: undefined when its write members, where defined, read only `primary`;
 * else the first member that does not. '' when the object does not spread `primary` at all.
 */
function offPrimary(obj: ts.ObjectLiteralExpression, primary: ts.ParameterDeclaration): string | undefined {
  if (!obj.properties.some((p) => ts.isSpreadAssignment(p) && isParam(p.expression, primary))) return '';
  for (const p of obj.properties) {
    if (!p.name || !ts.isIdentifier(p.name) || !WRITE_MEMBERS.includes(p.name.text)) continue;
    if (ts.isShorthandPropertyAssignment(p)) return p.name.text;
    const body = ts.isPropertyAssignment(p) ? p.initializer : p;
    let onlyPrimary = true;
    let reads = 0;
    const visit = (n: ts.Node): void => {
      if (ts.isPropertyAccessExpression(n) && n.name.text === (p.name as ts.Identifier).text) {
        reads++;
        if (!isParam(n.expression, primary)) onlyPrimary = false;
      }
      ts.forEachChild(n, visit);
    };
    visit(body);
    if (!onlyPrimary || reads === 0) return p.name.text;
  }
  return undefined;
}

function isParam(e: ts.Expression, param: ts.ParameterDeclaration): boolean {
  const x = skipOuter(e);
  return ts.isIdentifier(x) && lookup(x)?.decl === param;
}

function functionValue(e: ts.Expression): ts.FunctionLikeDeclaration | undefined {
  const x = skipOuter(e);
  if (isFunctionLike(x)) return x;
  if (!ts.isIdentifier(x)) return undefined;
  const b = lookup(x);
  if (b?.kind === 'function') return b.decl;
  if (b?.kind === 'variable' && b.path.length === 0 && b.decl.initializer) {
    const init = skipOuter(b.decl.initializer);
    return isFunctionLike(init) ? init : undefined;
  }
  return undefined;
}

function isWithin(node: ts.Node, ancestor: ts.Node): boolean {
  for (let n: ts.Node | undefined = node; n; n = n.parent) if (n === ancestor) return true;
  return false;
}

function returnsOf(fn: ts.FunctionLikeDeclaration): ts.Expression[] {
  return [...returnedExpressions(fn)];
}

/**
 * Whether `value.member()` is the replica set `value` is, restricted to its primary: `value` is made by a wrapper of
 * the codebase whose `member` returns another object of the same wrapper (`usePrimaryOnly: () => make(true)`).
 */
export function isPrimaryVariant(value: ts.Expression, member: string, origins: OriginResolver): boolean {
  const o = origins.expr(skipOuter(value));
  if (o.kind !== 'expr') return false;
  const made = skipOuter(o.expr);
  if (!ts.isCallExpression(made)) return false;
  const wrapper = origins.expr(made.expression);
  return wrapper.kind === 'function' && primaryVariant(wrapper.decl, member);
}
