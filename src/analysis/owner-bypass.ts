import path from 'node:path';
import { naturalCompare } from '../schema/discover.js';
import type { RlsModel, SchemaDiagnostic, SchemaLocation, TableState } from '../schema/types.js';
import type { UnscopedProblem } from './facts.js';

// Who Postgres lets past a table's policies whatever the code sets: a role with BYPASSRLS or SUPERUSER, and, unless
// the table has FORCE ROW LEVEL SECURITY, the table's owner. The code rarely shows which role a pool logs in as, so an
// `unscoped` write may in truth run on such a connection (judge25: 14 of 40 sampled). The sentence this module builds
// ends every no-unscoped-write message: what FORCE says about the owner (with where the FORCE, or its absence, comes
// from), the roles the model makes bypassing, and how to declare a deliberate admin connection. A FORCE the static
// reading cannot attribute to one table (a knex `ALTER TABLE ?? FORCE …` over a list read at run time) is named as
// such, never taken either way.

/** Problems where the connection's own role is in force; after SET ROLE to a role without BYPASSRLS it is not. */
const ROLE_SWITCHED: ReadonlySet<UnscopedProblem> = new Set<UnscopedProblem>(['roleWithoutBypass']);

/**
 * Problems where the connection sets no org context anywhere the write sees, so it may be an admin one the code does
 * not show: these name FORCE where a table has it and how to declare such a connection. Elsewhere (a context set
 * after the write, another setting, the outer pool inside a scope) the connection is the app's scoped one: only the
 * owner's bypass of a table without FORCE is said.
 */
const MAYBE_ADMIN: ReadonlySet<UnscopedProblem> = new Set<UnscopedProblem>([
  'onPool',
  'notScoped',
  'transactionWithoutContext',
  'noPolicy',
]);

const DECLARE = 'declare it under "adminProviders" in rls-guard.config.json (docs/config.md)';

/** The sentence, with a leading space, or '' when the write's tables are not in the model. */
export function ownerBypassNote(
  model: RlsModel,
  problem: UnscopedProblem,
  tables: readonly string[],
  bypassRoles: ReadonlySet<string>,
): string {
  if (ROLE_SWITCHED.has(problem)) return '';
  const states = tables.map((t) => model.tables.get(t)).filter((t): t is TableState => t?.rlsEnabled === true);
  if (states.length === 0) return '';
  const unread = unreadForce(model);
  const parts: string[] = [];
  const unforced = states.filter((t) => !t.forced);
  // Tables with nothing unread about their FORCE are said together, one sentence per owner.
  const plain = new Map<string, TableState[]>();
  for (const t of unforced) {
    if (unread.some((u) => u.kind === 'force' && after(u.at, t, model))) parts.push(unforcedClause(t, model, unread));
    else plain.set(ownerName(t, model), [...(plain.get(ownerName(t, model)) ?? []), t]);
  }
  for (const [owner, ts] of plain) parts.unshift(plainUnforced(ts, owner));
  if (!MAYBE_ADMIN.has(problem)) return parts.length ? ` ${parts.join(' ')}` : '';
  const forced = states.filter((s) => s.forced);
  const held = forced.filter((t) => !undoneBy(t, model, unread).length);
  for (const t of forced.filter((f) => !held.includes(f))) parts.push(forcedClause(t, model, unread));
  if (held.length) parts.push(plainForced(held));
  const roles = [...bypassRoles].filter((r) => r !== model.migrationRole).sort();
  const bypassing = roles.length
    ? `a role with BYPASSRLS or SUPERUSER (the migrations make ${list(roles)} so)`
    : 'a role with BYPASSRLS or SUPERUSER';
  const who = unforced.length ? `${bypassing} or the owner of a table without FORCE` : bypassing;
  return ` ${parts.join(' ')} If this connection logs in as ${who} on purpose (a deliberate admin connection), ` +
    `${DECLARE}.`;
}

/** Tables with RLS and no FORCE, of one owner, nothing unread about their FORCE. */
function plainUnforced(ts: readonly TableState[], owner: string): string {
  const as = owner === THE_MIGRATOR ? 'that role' : owner;
  const one = ts.length === 1;
  return (
    `${names(ts)} ${one ? 'has' : 'have'} RLS without FORCE ROW LEVEL SECURITY (no migration forces ` +
    `${one ? 'it' : 'them'}): ${one ? 'its' : 'their'} owner (${owner}) bypasses ${one ? 'its' : 'their'} policies, ` +
    `so on a connection that logs in as ${as} the write passes and sees every org's rows.`
  );
}

/** Tables with FORCE that nothing unread undoes: each FORCE's line. */
function plainForced(ts: readonly TableState[]): string {
  const one = ts.length === 1;
  const at = ts.map((t) => t.forcedAt).filter((a): a is SchemaLocation => a !== null);
  const where = at.length ? ` (${[...new Set(at.map((a) => `${a.file}:${a.line}`))].join(', ')})` : '';
  return (
    `${names(ts)} ${one ? 'has' : 'have'} FORCE ROW LEVEL SECURITY${where}, so even ${one ? 'its' : 'their'} ` +
    `owner is held to ${one ? 'its' : 'their'} policies.`
  );
}

function names(ts: readonly TableState[]): string {
  const n = ts.map((t) => t.name);
  return n.length === 1 ? n[0]! : `${n.slice(0, -1).join(', ')} and ${n[n.length - 1]}`;
}

/** A later NO FORCE the reading could not attribute: it may have undone the table's FORCE. */
function undoneBy(t: TableState, model: RlsModel, unread: readonly UnreadForce[]): UnreadForce[] {
  return unread.filter((u) => u.kind === 'no-force' && (!t.forcedAt || !before(u.at, t.forcedAt, model)));
}

/** RLS on without FORCE, and a FORCE over tables not read that may cover it: both outcomes said. */
function unforcedClause(t: TableState, model: RlsModel, unread: readonly UnreadForce[]): string {
  const owner = ownerName(t, model);
  const as = owner === THE_MIGRATOR ? 'that role' : owner;
  const bypass =
    `its owner (${owner}) bypasses its policies, so on a connection that logs in as ${as} the write passes and ` +
    "sees every org's rows";
  const forces = unread.filter((u) => u.kind === 'force' && after(u.at, t, model));
  return (
    `${t.name} has RLS, and no migration read forces it by name, but FORCE ROW LEVEL SECURITY for some tables is set ` +
    `at ${places(forces)}, which ones not read: if that covers ${t.name}, its owner is held to the policies too; ` +
    `if not, ${bypass}.`
  );
}

/** FORCE: the owner is held to the policies; only a bypassing role passes. A later unread NO FORCE is named. */
function forcedClause(t: TableState, model: RlsModel, unread: readonly UnreadForce[]): string {
  const at = t.forcedAt ? ` (${t.forcedAt.file}:${t.forcedAt.line})` : '';
  const undo = undoneBy(t, model, unread);
  const held = `${t.name} has FORCE ROW LEVEL SECURITY${at}, so even its owner is held to its policies`;
  if (undo.length === 0) return `${held}.`;
  return (
    `${held}, unless NO FORCE ROW LEVEL SECURITY for some tables, set at ${places(undo)} (which ones not read), ` +
    `covers it: then its owner (${ownerName(t, model)}) bypasses them.`
  );
}

const THE_MIGRATOR = 'the role that runs the migrations';

/** The owner a migration gave the table (ALTER TABLE … OWNER TO), else whoever ran the migrations. */
function ownerName(t: TableState, model: RlsModel): string {
  return t.owner && t.owner !== model.migrationRole ? t.owner : THE_MIGRATOR;
}

interface UnreadForce {
  kind: 'force' | 'no-force';
  at: SchemaLocation;
}

/** FORCE / NO FORCE statements the schema reading could not attribute to a table (SchemaDiagnostic.force). */
function unreadForce(model: RlsModel): UnreadForce[] {
  let list = unreadCache.get(model);
  if (!list) {
    list = model.diagnostics
      .filter((d): d is SchemaDiagnostic & { force: 'force' | 'no-force' } => d.force !== undefined)
      .map((d) => ({ kind: d.force, at: { file: d.file, line: d.line } }));
    unreadCache.set(model, list);
  }
  return list;
}

// Per model, once: every unscoped message asks (signacare: 700 of them), and the model does not change under them.
const unreadCache = new WeakMap<RlsModel, UnreadForce[]>();
const orderCache = new WeakMap<RlsModel, Map<string, number>>();

/** A migration file's place in the order the model applied them, -1 when it is not one of them. */
function fileOrder(model: RlsModel, file: string): number {
  let order = orderCache.get(model);
  if (!order) {
    order = new Map();
    // The first place a file is named, as indexOf gave it.
    for (const [i, f] of model.files.entries()) if (!order.has(f)) order.set(f, i);
    orderCache.set(model, order);
  }
  return order.get(file) ?? -1;
}

/** A statement that may run once the table exists: not in a file applied before the table's creating one. */
function after(at: SchemaLocation, t: TableState, model: RlsModel): boolean {
  const made = t.createdAt ?? t.enabledAt;
  return !made || !before(at, made, model);
}

/**
 * `a` surely runs before `b` in the order the migrations were applied. A code migration that yields no SQL the model
 * reads is not in `model.files`: in the same folder, migrations run in their names' natural order (discover.ts).
 */
function before(a: SchemaLocation, b: SchemaLocation, model: RlsModel): boolean {
  if (a.file === b.file) return a.line < b.line;
  const ia = fileOrder(model, a.file);
  const ib = fileOrder(model, b.file);
  if (ia >= 0 && ib >= 0) return ia < ib;
  return path.posix.dirname(a.file) === path.posix.dirname(b.file) && naturalCompare(a.file, b.file) < 0;
}

function places(list: readonly UnreadForce[]): string {
  const shown = list.slice(0, 3).map((u) => `${u.at.file}:${u.at.line}`);
  return list.length > 3 ? `${shown.join(', ')} and ${list.length - 3} more` : shown.join(', ');
}

function list(names: readonly string[]): string {
  const shown = names.slice(0, 4);
  return names.length > 4 ? `${shown.join(', ')} and ${names.length - 4} more` : shown.join(', ');
}
