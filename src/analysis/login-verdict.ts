import type { SchemaLocation } from '../schema/types.js';
import type { ConnState, LocalVerdict } from './facts.js';
import { type Handle, where } from './handles.js';
import type { LoginRole } from './providers/login-roles.js';
import { deployedAdminEvidence } from './deploy-login.js';

// A write on a table whose policies key on the role a statement runs as (current_user,
// session_user): the role the connection logs in as (or SET ROLE in force) decides which
// rows it may write. A per-tenant role is the org scope; one role for every request is not;
// a role that cannot be read leaves the write unresolved. A context setting covers such a
// table only when one of its policies also reads it (the caller judges that case as usual).

export interface RoleKey {
  /** The policy that reads the login role, and where the migrations create it. */
  policy: string;
  at: SchemaLocation;
  /** A policy reads current_user, which SET ROLE changes; false when they read only session_user (the login's). */
  setRoleCounts: boolean;
}

export function judgeLoginRole(
  handle: Handle,
  state: ConnState,
  root: string,
  table: string,
  key: RoleKey,
  tableSettings: ReadonlySet<string> | undefined,
  bypassRoles: ReadonlySet<string> | undefined,
): LocalVerdict | undefined {
  const role = roleInForce(handle, state, key.setRoleCounts, bypassRoles);
  if (!role) return undefined;
  const reads = key.setRoleCounts ? 'current_user' : 'session_user';
  const policy = `the policy ${key.policy} on ${table} (${key.at.file}:${key.at.line}) keys on the login role ` +
    `(${reads})`;
  const on = handle.kind === 'executor' || handle.kind === 'admin' ? handle.label : 'this connection';
  const switched = state.role && key.setRoleCounts ? state.role : undefined;
  switch (role.kind) {
    case 'per-tenant':
      if (switched)
        return {
          coverage: 'org-scope',
          via: `SET ROLE ${role.text}`,
          evidence: `runs on ${on} after ${switched.local ? 'SET LOCAL ROLE' : 'SET ROLE'} to a per-tenant role ` +
            `(${role.text} at ${where(role.at, root)}), which no role that bypasses RLS matches` +
            `${bypassRoles?.size ? ` (${[...bypassRoles].sort().join(', ')})` : ''}, and ${policy}`,
        };
      return {
        coverage: 'org-scope',
        via: `per-tenant login role ${role.text}`,
        evidence: `runs on ${on}, which logs in as a per-tenant role (${role.text} at ${where(role.at, root)}), and ` +
          policy,
      };
    case 'untraceable':
      return {
        coverage: 'unresolved',
        problem: 'connectionUnknown',
        via: null,
        evidence: switched
          ? `${policy}, and the role ${on} switches to with SET ROLE cannot be read: ${role.reason} ` +
            `(${where(role.at, root)})`
          : `${policy}, and the role ${on} logs in as cannot be read: ${role.reason} (${where(role.at, root)})`,
      };
    case 'fixed':
      if (bypassRoles?.has(role.name)) return undefined; // an admin role: judged as one
      break;
    case 'environment':
      break;
  }
  // One role for every request: a setting covers only a table one of whose policies reads it.
  if (tableSettings && tableSettings.size > 0) return undefined;
  const named =
    role.kind === 'fixed'
      ? `${state.role ? 'SET ROLE ' : 'the role '}${role.name} (at ${where(role.at, root)})`
      : `the role its environment names (PGUSER or the DSN it is given; no user in its config at ` +
        `${where(role.at, root)})`;
  return {
    coverage: 'unscoped',
    via: null,
    evidence: `runs on ${on} as ${named}, one role for every request, and ${policy}; no org setting is read ` +
      'by its policies, so only a per-tenant role scopes the write',
    problem: 'sharedLoginRole',
  };
}

/** SET ROLE in force, else the role the executor logs in as; undefined where neither is this code's to read. */
function roleInForce(
  handle: Handle,
  state: ConnState,
  setRoleCounts: boolean,
  bypassRoles: ReadonlySet<string> | undefined,
): LoginRole | undefined {
  if (state.role && setRoleCounts) {
    const { name, at, chosen } = state.role;
    if (chosen && 'unread' in chosen) return { kind: 'untraceable', reason: chosen.unread, at };
    if (!chosen) return { kind: 'fixed', name, at };
    // Per-tenant roles are made at run time, not in the migrations: covered only if no role that bypasses RLS has a
    // name of the same shape.
    const shape = new RegExp(`^${name.split('${…}').map(escape).join('.+')}$`, 'i');
    const bypassing = [...(bypassRoles ?? [])].filter((r) => shape.test(r)).sort();
    if (bypassing.length)
      return {
        kind: 'untraceable',
        reason: `${name} could name ${bypassing.join(', ')}, which bypass${bypassing.length === 1 ? 'es' : ''} RLS`,
        at,
      };
    return { kind: 'per-tenant', text: name, at };
  }
  if (handle.kind !== 'executor') return undefined;
  return handle.login ?? { kind: 'untraceable', reason: 'where it logs in is not in the code', at: handle.key };
}

/**
 * A pool or client that logs in as a role the migrations (or the database) make BYPASSRLS or
 * SUPERUSER: an admin connection, whatever the table (`new Pool({ user: 'ops_admin' })`, a DSN
 * naming that role), or whose DSN variable the deployment files map to such a role (deploy-login.ts). SET ROLE in
 * force is judged by the caller instead.
 */
export function adminByLogin(
  handle: Handle,
  state: ConnState,
  root: string,
  bypassRoles: ReadonlySet<string> | undefined,
): LocalVerdict | undefined {
  if (handle.kind !== 'executor' || state.role) return undefined;
  const login = handle.login;
  if (login?.kind === 'environment' && login.deployed?.kind === 'bypass')
    return {
      coverage: 'admin-pool',
      via: `login role ${login.deployed.user} (${login.deployed.values[0]!.file}:${login.deployed.values[0]!.line})`,
      evidence: deployedAdminEvidence(login.deployed, handle.label),
    };
  if (login?.kind !== 'fixed') return undefined;
  const { name, at } = login;
  if (!bypassRoles?.has(name)) return undefined;
  return {
    coverage: 'admin-pool',
    via: `login role ${name} (${where(at, root)})`,
    evidence: `runs on ${handle.label}, which logs in as ${name} (at ${where(at, root)}), a role that bypasses RLS`,
  };
}

/**
 * A connection that applies the migrations itself (TypeORM's `migrationsRun: true`) logs in as the role that runs
 * them, which owns the tables they create; on a table with RLS and no FORCE ROW LEVEL SECURITY that no migration gives
 * another owner, Postgres does not apply the policies to its owner: the write passes them, as on an admin connection.
 * SET ROLE in force is judged by the caller instead.
 */
export function adminByMigrator(
  handle: Handle,
  state: ConnState,
  root: string,
  table: string,
  owned: SchemaLocation | undefined,
): LocalVerdict | undefined {
  if (handle.kind !== 'executor' || state.role || !owned) return undefined;
  const login = handle.login;
  if (login?.kind !== 'environment' || !login.migrator) return undefined;
  const at = where(login.migrator, root);
  return {
    coverage: 'admin-pool',
    via: `owner (migrationsRun at ${at})`,
    evidence: `runs on ${handle.label}, which applies the migrations itself (migrationsRun: true at ${at}), so it ` +
      `logs in as the role that runs them and owns the tables they create; ${table} has RLS (enabled at ` +
      `${owned.file}:${owned.line}) without FORCE ROW LEVEL SECURITY and no other owner, so its policies do not ` +
      'apply to that role: this write bypasses RLS as an admin connection does. If that is not meant, add ALTER ' +
      `TABLE ${table} FORCE ROW LEVEL SECURITY in a migration, or connect the app as another role than the one ` +
      'that runs the migrations',
  };
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * What the deployment files say of the role an unscoped write's connection logs in as, when they decide nothing
 * (files that disagree, a role nothing declares BYPASSRLS): a sentence for its evidence, so the reader sees the role.
 */
export function deployedLoginNote(handle: Handle): string | undefined {
  const login = handle.kind === 'executor' ? handle.login : undefined;
  return login?.kind === 'environment' && login.deployed?.kind === 'note' ? login.deployed.text : undefined;
}
