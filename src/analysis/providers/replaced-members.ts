import ts from '../../ts.js';
import type { Replacement } from '../../code/carried.js';
import { isExported } from '../../code/modules.js';
import { type OriginResolver, shortText } from '../../code/origins.js';
import { lookup } from '../../code/scope.js';
import { skipOuter } from '../../syntax/wrappers.js';
import { type Handle, where } from '../handles.js';

// A container member replaced after the container was built (`deps.db = pool` after
// `const deps = { db: scopedClient }`, in its module or in one that imports it) holds either
// value when it is read, depending on the order things ran: the write gets the worst. A bare
// pool among them decides it (each pool query takes whichever connection is free, with no
// org context, whatever ran before), so the write is judged on that pool, and its label names
// where the container was built and where the member was replaced. Values that are all one
// connection are that connection. Any other mix (a scoped client and an admin pool, a value
// that cannot be traced) stays untraced: which one a write sees is not decidable here.

/** The connection a replaced member stands for, or undefined (the caller keeps it untraced). */
export function replacedMember(
  values: readonly Replacement[],
  reason: string,
  trace: (e: ts.Expression) => Handle,
  root: string,
): Handle | undefined {
  const handles = values.map((v) => trace(v.value));
  const first = handles[0];
  if (!first || handles.some((h) => h.kind === 'unknown')) return undefined;
  if (handles.every((h) => h.kind === first.kind && 'key' in h && 'key' in first && h.key === first.key)) return first;
  const index = handles.findIndex((h) => h.kind === 'executor' && h.exec === 'pool' && !h.tenant && !h.login);
  const pool = handles[index];
  if (!pool || pool.kind !== 'executor') return undefined;
  const held = values.map((v) => `\`${shortText(v.value, 40)}\` from ${where(v.at, root)}`).join(' or ');
  return { ...pool, label: `${pool.label} (${reason}: it holds ${held}, and the pool is the worst)` };
}

/**
 * A connection read from a member of an object its module exports (`registry.db`, or `const db = registry.db`):
 * any module importing it may replace the member, so a front end that reads only some files (the ESLint plugin)
 * cannot vouch for the verdict alone; the object it was read from.
 */
export interface OpenContainer {
  obj: ts.ObjectLiteralExpression;
  key: string;
}

/** `handle`, marked open when `e` reads it from a member of an exported object literal. */
export function openContainerRead(handle: Handle, e: ts.Expression, origins: OriginResolver): Handle {
  if (handle.kind !== 'executor' && handle.kind !== 'scoped' && handle.kind !== 'admin') return handle;
  const open = openContainer(e, origins);
  return open ? { ...handle, open } : handle;
}

function openContainer(expression: ts.Expression, origins: OriginResolver): OpenContainer | undefined {
  let e = skipOuter(expression);
  let holder: ts.Expression | undefined;
  let key: string | undefined;
  if (ts.isIdentifier(e)) {
    // One binding back: `const db = registry.db`, `const { db } = registry`.
    const b = lookup(e);
    const init = b?.kind === 'variable' ? b.decl.initializer : undefined;
    if (!b || b.kind !== 'variable' || !init) return undefined;
    if (b.path.length === 1 && typeof b.path[0] === 'string') {
      holder = init;
      key = b.path[0];
    } else if (b.path.length === 0) e = skipOuter(init);
  }
  if (!holder && ts.isPropertyAccessExpression(e) && ts.isIdentifier(e.name)) {
    holder = e.expression;
    key = e.name.text;
  }
  if (!holder || key === undefined) return undefined;
  const o = origins.expr(holder);
  const obj = o.kind === 'expr' ? skipOuter(o.expr) : undefined;
  if (!obj || !ts.isObjectLiteralExpression(obj)) return undefined;
  const decl = obj.parent;
  if (!ts.isVariableDeclaration(decl) || !ts.isIdentifier(decl.name) || decl.initializer !== obj) return undefined;
  const statement = decl.parent?.parent;
  if (!statement || !ts.isVariableStatement(statement) || statement.parent !== obj.getSourceFile()) return undefined;
  return isExported(obj.getSourceFile(), decl.name.text) ? { obj, key } : undefined;
}
