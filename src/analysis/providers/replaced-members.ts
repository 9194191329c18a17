import ts from '../../ts.js';
import type { Replacement } from '../../code/carried.js';
import { isExported } from '../../code/modules.js';
import { type OriginResolver, shortText } from '../../code/origins.js';
import { lookup } from '../../code/scope.js';
import { skipOuter } from '../../syntax/wrappers.js';
import { type Handle, where } from '../handles.js';
import type { LoginRole } from './login-roles.js';

// A container member replaced after the container was built (`deps.db = pool` after
// `const deps = { db: scopedClient }`, in its module or in one that imports it) holds either
// value when it is read, depending on the order things ran: the write gets the worst. A bare
// pool among them decides it (each pool query takes whichever connection is free, with no
// org context, whatever ran before), so the write is judged on that pool, and its label names
// where the container was built and where the member was replaced. Values that are all one
// connection are that connection. Any other mix (a scoped client and an admin pool, a value
// that cannot be traced) stays untraced: which one a write sees is not decidable here.

//
// An instance field of a class assigned in several places (`this.dataSource = new DataSource(opts)` in `init()`,
// `this.dataSource = baseDataSource` in `reconnect()`: `field`) is read the same way, with one more case: values that
// are all executors of one library and one kind (all TypeORM DataSources, none with a tenant binding, a login role of
// its own or another database) are that kind of executor whichever the field holds, named by its assignments. A field
// assigned `null` or `undefined` (a shutdown) holds no connection then: a write through it throws, so those
// assignments are left out. A mix the worst cannot decide stays untraced, its reason listing what each assignment is.

//
// A local `let` (or a module's) given several values (`let tnx = opts.tnx; if (!tnx) tnx = await pool.connect()`:
// `local`, read flow-insensitively by origins.ts) is read the same way, without the field's same-kind case (two
// transactions of one kind are two connections, each with a state of its own), and with one more: admin connections
// on every path are admin. A value built from the variable itself leaves it unread (origins.ts); undecided, the reason
// lists each value.

/** The connection a replaced member stands for, or undefined (the caller keeps it untraced). */
export function replacedMember(
  values: readonly Replacement[],
  reason: string,
  trace: (e: ts.Expression) => Handle,
  root: string,
  field?: string,
  local?: boolean,
): Handle | undefined {
  const held = field ? values.filter((v) => !isNothing(v.value)) : values;
  const handles = held.map((v) => trace(v.value));
  const first = handles[0];
  // A local's values or a field's are listed when undecided: the evidence names what each one was followed to.
  const named = Boolean(field) || Boolean(local);
  if (named && (!first || handles.some((h) => h.kind === 'unknown'))) return listed(held, handles, reason, root);
  if (!first || handles.some((h) => h.kind === 'unknown')) return undefined;
  if (handles.every((h) => h.kind === first.kind && 'key' in h && 'key' in first && h.key === first.key))
    return local && 'label' in first ? { ...first, label: `${first.label} (${reason}: ${eachOne(held, root)})` }
      : first;
  // A local given an admin connection on every path (`let db = ownerPool(); if (archive) db = ownerPool()`) runs on
  // one whichever path ran: no state to keep apart, each bypasses row-level security.
  if (local && first.kind === 'admin' && handles.every((h) => h.kind === 'admin'))
    return { ...first, label: `${first.label} (${reason}: every one of its ${held.length} values is an admin ` +
      `connection: ${held.map((v) => `\`${shortText(v.value, 30)}\` at ${where(v.at, root)}`).join(', ')})` };
  if (field && first.kind === 'executor' && handles.every((h) => sameKind(h, first))) {
    const label =
      `\`this.${field}\`, a ${first.adapter.api} ${first.exec} at each of its ${held.length} ` +
      `assignments (${places(held, root)})`;
    const login = joinedLogin(handles as Extract<Handle, { kind: 'executor' }>[], first.key);
    const { login: _first, ...rest } = first;
    return { ...rest, label, ...(login ? { login } : {}) };
  }
  const index = handles.findIndex((h) => h.kind === 'executor' && h.exec === 'pool' && !h.tenant && !h.login);
  const pool = handles[index];
  if (!pool || pool.kind !== 'executor') return named ? listed(held, handles, reason, root) : undefined;
  const holds = values.map((v) => `\`${shortText(v.value, 40)}\` from ${where(v.at, root)}`).join(' or ');
  return { ...pool, label: `${pool.label} (${reason}: it holds ${holds}, and the pool is the worst)` };
}

/** Same library, same kind of executor, and nothing of its own that would set it apart (a tenant, a login role). */
function sameKind(h: Handle, first: Extract<Handle, { kind: 'executor' }>): boolean {
  return (
    h.kind === 'executor' &&
    h.adapter === first.adapter &&
    h.exec === first.exec &&
    !h.tenant &&
    !h.otherDatabase &&
    !h.transaction &&
    !h.open
  );
}

/**
 * The role a field logs in as when its values log in as different ones (one made with `username: 'app_rls'`, one with
 * the environment's): which one a write gets is not known, so no role can be vouched for (never an admin by login, and
 * unresolved on a table whose policies key on the role): the worst.
 */
function joinedLogin(handles: readonly Extract<Handle, { kind: 'executor' }>[], at: ts.Node): LoginRole | undefined {
  const logins = handles.map((h) => h.login);
  const text = (l: LoginRole | undefined): string =>
    !l
      ? ''
      : l.kind === 'fixed'
        ? `fixed ${l.name}`
        : l.kind === 'per-tenant'
          ? `per-tenant ${l.text}`
          : l.kind === 'untraceable'
            ? `untraceable ${l.reason}`
            : l.kind;
  const first = logins[0];
  if (logins.every((l) => text(l) === text(first))) return first;
  if (logins.every((l) => !l)) return undefined;
  const seen = [...new Set(logins.map((l) => (l?.kind === 'fixed' ? l.name : l ? `its ${l.kind} role` : '')))];
  return {
    kind: 'untraceable',
    reason: `its assignments log in as different roles (${seen.filter(Boolean).join(', ')}), whichever it holds`,
    at,
  };
}

function isNothing(e: ts.Expression): boolean {
  const v = skipOuter(e);
  return v.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(v) && v.text === 'undefined' && !lookup(v));
}

/** `each of its 2 values is this connection (`pool` at src/db.ts:3, `tx ?? pool` at :5)`. */
function eachOne(values: readonly Replacement[], root: string): string {
  const what = values.map((v) => `\`${shortText(v.value, 30)}\` at ${where(v.at, root)}`).join(', ');
  return `each of its ${values.length} values is this connection (${what})`;
}

/** `src/db.ts:12, :30, other.ts:4`: where each value is assigned, the file named once per run of lines in it. */
function places(values: readonly Replacement[], root: string): string {
  let file = '';
  return values
    .map((v) => {
      const at = where(v.at, root);
      const cut = at.lastIndexOf(':');
      const [f, line] = [at.slice(0, cut), at.slice(cut + 1)];
      const same = f === file;
      file = f;
      return same ? `:${line}` : at;
    })
    .join(', ');
}

/** An untraced field whose reason lists what each assignment is. */
function listed(values: readonly Replacement[], handles: readonly Handle[], reason: string, root: string): Handle {
  const what = values.map((v, i) => `${where(v.at, root)} \`${shortText(v.value, 40)}\` ${describe(handles[i]!)}`);
  return { kind: 'unknown', reason: `${reason}, not all one kind of connection (${what.join('; ')})` };
}

function describe(h: Handle): string {
  switch (h.kind) {
    case 'executor':
      return (
        `is a ${h.adapter.api} ${h.exec}` +
        `${h.tenant ? ' bound to a tenant' : ''}${h.login ? ' with its own login' : ''}`
      );
    case 'admin':
      return 'is an admin connection';
    case 'scoped':
      return 'is an org-scoped connection';
    // A store's accessor: which connection it gives, each path into the write says (the label names the store).
    case 'ambient':
      return `is ${h.label}`;
    // Which connection a parameter is, each call says: a join of it with another value is not read per call.
    case 'param':
      return `is ${h.label}, a connection each caller passes`;
    // Cut: a value's reason may list the values of another variable in turn.
    case 'unknown':
      return `cannot be traced (${cut(h.reason)})`;
    case 'not-db':
      return `is not a connection (${cut(h.reason)})`;
    default:
      return `is a ${h.kind}`;
  }
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

function cut(reason: string): string {
  return reason.length > 160 ? `${reason.slice(0, 159)}…` : reason;
}
