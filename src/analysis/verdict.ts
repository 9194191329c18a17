import type { ConnState, ContextEvidence, LocalVerdict, UnscopedProblem } from './facts.js';
import { type Handle, where } from './handles.js';
import { adminByLogin, adminByMigrator, deployedLoginNote, judgeLoginRole, type RoleKey } from './login-verdict.js';
import type { BypassSwitch, PolicyGroup, WritePolicies } from './config.js';
import type { SetValue } from '../sql/classify.js';
import { judgeSessionJwt } from './session-jwt.js';
import { cleared } from './connection-state.js';

// Turns a connection and its state at a write into coverage with its evidence.

export function judge(
  handle: Handle,
  state: ConnState,
  root: string,
  table: string,
  /**
   * What the table's policies ask of this write (config.ts `writePolicies`): the settings they read, per command, and
   * the bypass switches of those that apply (setting one lets the connection through to every row).
   */
  policies?: WritePolicies,
  bypassRoles?: ReadonlySet<string>,
  /** Set when a policy of the table keys on the login role (current_user): the role decides. */
  roleKey?: RoleKey,
): LocalVerdict {
  const judged = judgeConnection(handle, state, root, table, policies, bypassRoles, roleKey);
  const note = 'coverage' in judged && judged.coverage === 'unscoped' ? deployedLoginNote(handle) : undefined;
  const v = note && 'coverage' in judged ? { ...judged, evidence: `${judged.evidence}; ${note}` } : judged;
  if (!('coverage' in v) || v.coverage !== 'org-scope') return v;
  const switches = policies?.switches;
  const set: { setting: string; value?: SetValue }[] =
    handle.kind === 'scoped' && handle.settings
      ? [...handle.settings].map((setting) => {
          const value = handle.settingValues?.get(setting);
          return value ? { setting, value } : { setting };
        })
      : [state.ctx, state.session].flatMap((ev) =>
          ev && ev !== 'inherited'
            ? [ev, ...(ev.also ?? [])].map(setValueOf)
            : [],
        );
  const cleared = clearedContext(set, policies);
  if (cleared) {
    return {
      coverage: 'unscoped',
      via: null,
      evidence: `${v.evidence}; but it sets ${cleared} to '' (the empty string: no org), and no setting the ` +
        `policies of ${table} read holds another value, so the org the policies compare the row with is none`,
      problem: 'emptyContext',
    };
  }
  if (!switches?.size) return v;
  const found = set.map((x) => ({ ...x, setting: x.setting.toLowerCase() })).filter((x) => switches.has(x.setting));
  const hit = found.find((x) => bypasses(switches.get(x.setting)!, x.value));
  if (!hit) return offSwitch(v, v.evidence, found, set, switches, table, policies!);
  const sw = switches.get(hit.setting)!;
  const value = sw.value === undefined ? '' : ` to '${sw.value}'`;
  const reads =
    sw.value === undefined ? 'reads without reading the row' : `compares with '${sw.value}' where it reads no row`;
  return {
    coverage: 'admin-pool',
    via: v.via,
    evidence: `${v.evidence}; but it sets ${hit.setting}${value}, which policy ${sw.policy} on ${table} ` +
      `(${sw.at.file}:${sw.at.line}) ${reads}: a switch that lets the connection through to ` +
      'every row, so this write bypasses RLS as an admin connection does',
  };
}

/**
 * The setting a context set clears: every setting set that the table's policies read (any, when the policies are not
 * known) holds the constant '' (a cleanup's `set_config('app.org_id', '', true)`), so the policies compare each row
 * with no org. Not where a bypass switch is thrown by '' (the switches decide that).
 */
function clearedContext(
  set: readonly { setting: string; value?: SetValue }[],
  policies: WritePolicies | undefined,
): string | undefined {
  const read = set.filter((x) => x.setting && (!policies || policies.settings.has(x.setting.toLowerCase())));
  if (!read.length || !read.every(cleared)) return undefined;
  if (read.some((x) => policies?.switches?.get(x.setting.toLowerCase())?.value === '')) return undefined;
  return read[0]!.setting;
}

/** A set's setting and, when known, its value. */
function setValueOf(x: ContextEvidence): { setting: string; value?: SetValue } {
  return { setting: x.setting ?? '', ...(x.value ? { value: x.value } : {}) };
}

/**
 * Does setting a switch's setting to `value` throw it? A switch without a value: any set does (as it always has). One
 * with a value: a constant equal to it does; another constant or a bind parameter (a caller's value, a tenant's id)
 * does not; a value that cannot be read does only where the switch was read as one before it had values (a policy
 * that reads the setting without the row), so an unread value keeps each table's earlier reading.
 */
function bypasses(sw: BypassSwitch, value: SetValue | undefined): boolean {
  if (sw.value === undefined) return true;
  if (!value) return !sw.valueOnly;
  return 'constant' in value && value.constant === sw.value;
}

/**
 * An org-scope reading where a switch's setting is set to another value than the switch's. If a policy compares the
 * row with the setting, the value is an org context and the reading stands. If none does, that setting lets no row
 * through: the write is covered only if the other settings set meet the policies.
 */
function offSwitch(
  v: LocalVerdict,
  evidence: string,
  found: { setting: string; value?: SetValue }[],
  set: { setting: string; value?: SetValue }[],
  switches: ReadonlyMap<string, BypassSwitch>,
  table: string,
  policies: WritePolicies,
): LocalVerdict {
  const off = found.filter((x) => x.value && !switches.get(x.setting)!.rowRead);
  if (!off.length) return v;
  const offNames = new Set(off.map((x) => x.setting));
  const rest = set.map((x) => x.setting.toLowerCase()).filter((x) => x && !offNames.has(x));
  const read = rest.filter((x) => policies.settings.has(x));
  if (read.length && !unmetGroup(policies, rest)) return v;
  const x = off[0]!;
  const sw = switches.get(x.setting)!;
  const what = 'constant' in x.value! ? `'${x.value.constant}'` : `a value of its caller's ($${x.value!.param})`;
  return {
    coverage: 'unscoped',
    via: null,
    evidence: `${evidence}; but it sets ${x.setting} to ${what}, which no policy of ${table} compares the row with: ` +
      `policy ${sw.policy} (${sw.at.file}:${sw.at.line}) compares it with '${sw.value}' alone, a switch that lets ` +
      'no row through for any other value',
    problem: 'otherSetting',
  };
}

function judgeConnection(
  handle: Handle,
  state: ConnState,
  root: string,
  table: string,
  policies?: WritePolicies,
  bypassRoles?: ReadonlySet<string>,
  roleKey?: RoleKey,
): LocalVerdict {
  const tableSettings = policies?.settings;
  const covered = (ev: ContextEvidence): LocalVerdict => coveredBy(ev, root, table, policies);
  // SET ROLE to a role that does not bypass RLS: even an admin connection is then subject
  // to the policies, and needs the org context like any other.
  if (state.role && bypassRoles?.has(state.role.name) && (handle.kind === 'executor' || handle.kind === 'param')) {
    return {
      coverage: 'admin-pool',
      via: `SET ROLE ${state.role.name}`,
      evidence: `runs after SET ROLE ${state.role.name} at ${where(state.role.at, root)}, a role that bypasses RLS`,
    };
  }
  const byRole =
    adminByLogin(handle, state, root, bypassRoles) ??
    adminByMigrator(handle, state, root, table, policies?.migratorOwned) ??
    (roleKey && judgeLoginRole(handle, state, root, table, roleKey, tableSettings, bypassRoles));
  if (byRole) return byRole;
  if (state.role && !bypassRoles?.has(state.role.name) && (handle.kind === 'admin' || handle.kind === 'executor')) {
    if (state.ctx && state.ctx !== 'inherited') return covered(state.ctx);
    if (state.session) return covered(state.session);
    const evidence = `runs on ${handle.label} after SET ROLE ${state.role.name} at ${where(state.role.at, root)}, a ` +
      `role without BYPASSRLS, so the policies apply and no org context is set`;
    return { coverage: 'unscoped', via: null, evidence, problem: 'roleWithoutBypass' };
  }
  switch (handle.kind) {
    case 'scoped': {
      if (state.deferred) return afterTransaction(`runs on ${handle.label}`, state.deferred, root);
      const policed =
        handle.settings && tableSettings && tableSettings.size > 0
          ? [...handle.settings].filter((x) => tableSettings.has(x))
          : undefined;
      if (policed && policed.length === 0) {
        return {
          coverage: 'unscoped',
          via: null,
          evidence: `runs on a client from ${handle.via}, which sets ${[...handle.settings!].sort().join(', ')} (at ` +
            `${where(handle.helperCall, root)}), but the policies on ${table} read ` +
            `${[...tableSettings!].sort().join(', ')}, which nothing set on this connection`,
          problem: 'otherSetting',
        };
      }
      // A helper whose settings are unknown, or whose settings no policy reads where none reads any, is trusted, but
      // not where no policy lets the command through at all.
      const unmet = policed ? unmetGroup(policies, handle.settings!) : policies?.groups?.find((g) => g.none);
      if (unmet) {
        const sets = `the client from ${handle.via} sets ` +
          `${handle.settings ? `only ${[...handle.settings].sort().join(', ')}` : 'the org context'} (at ` +
          `${where(handle.helperCall, root)})`;
        const evidence = unmetEvidence(sets, unmet, table);
        return { coverage: 'unscoped', via: null, evidence, problem: unmet.noPolicy ? 'noPolicy' : 'commandSetting' };
      }
      const d = handle.definition;
      return {
        coverage: 'org-scope',
        via: handle.via,
        evidence: `runs on ${handle.label}${roleNote(policies, handle.settings)}`,
        ...(d ? { verify: { helper: d.decl, paramIndex: d.argIndex, execIndex: d.execIndex, name: handle.via } } : {}),
      };
    }
    case 'admin':
      // BYPASSRLS only where the convention's name shows it; a provider the config declares is admin by that word.
      return {
        coverage: 'admin-pool',
        via: handle.via,
        evidence: `runs on ${handle.label} (${
          handle.declaredIn ? `declared admin: ${handle.declaredIn}` : 'BYPASSRLS'
        })`,
        ...(handle.declaredIn ? { declaredIn: handle.declaredIn } : {}),
      };
    case 'param':
      if (state.ctx !== null && state.ctx !== 'inherited') {
        if (awaitsTransaction(state))
          return {
            pending: {
              kind: 'param',
              binding: handle.binding,
              ...(handle.path ? { path: handle.path } : {}),
              ...(handle.fallback ? { fallback: handle.fallback } : {}),
              ...(handle.opened ? { opened: handle.opened } : {}),
              awaitsTransaction: state.ctx,
            },
            state,
          };
        return covered(state.ctx);
      }
      if (state.session) return covered(state.session);
      if (state.ctx === 'inherited')
        return {
          pending: {
            kind: 'param',
            binding: handle.binding,
            ...(handle.path ? { path: handle.path } : {}),
            ...(handle.fallback ? { fallback: handle.fallback } : {}),
            ...(handle.opened ? { opened: handle.opened } : {}),
            ...(handle.opened && state.setLater ? { setLater: state.setLater } : {}),
          },
          state,
        };
      return unscopedBy(handle.label, state, root);
    case 'executor': {
      if (handle.otherDatabase) return otherDatabase(handle.label, handle.otherDatabase);
      // The identity the driver sends covers the write only where the policies read it; else the note says why not
      // and the connection is judged as if it sent none (fail closed).
      if (handle.sessionJwt) {
        const j = judgeSessionJwt(handle.label, handle.sessionJwt, where(handle.sessionJwt.at, root), table, policies);
        if ('coverage' in j) return j;
        const v = judgeExecutor(handle, state, root, table, policies);
        return 'coverage' in v && v.coverage === 'unscoped' ? { ...v, evidence: `${v.evidence}; ${j.note}` } : v;
      }
      return judgeExecutor(handle, state, root, table, policies);
    }
    case 'ambient':
      return { pending: { kind: 'ambient', handle }, state };
    case 'unknown':
      return {
        coverage: 'unresolved',
        via: null,
        evidence: `the connection that runs this write cannot be traced: ${handle.reason}`,
        problem: 'connectionUnknown',
      };
    default:
      return {
        coverage: 'unresolved',
        via: null,
        evidence: `the write to ${table} runs on ${handle.kind === 'not-db' ? handle.reason : 'a library object'}, ` +
          `which rls-guard has no adapter for`,
        // A value of some package, or a library's object that is no executor, versus a value that is no connection.
        problem: handle.kind === 'library' || handle.reason.startsWith('a value from package')
          ? 'unsupportedLibrary'
          : 'connectionUnknown',
      };
  }
}

/** A library executor's write, by its state: a per-tenant pool, a context set on it, or the pool it takes. */
function judgeExecutor(
  handle: Extract<Handle, { kind: 'executor' }>,
  state: ConnState,
  root: string,
  table: string,
  policies?: WritePolicies,
): LocalVerdict {
  const covered = (ev: ContextEvidence): LocalVerdict => coveredBy(ev, root, table, policies);
  if (handle.tenant)
    return {
      coverage: 'org-scope',
      via: handle.tenant.via,
      evidence: `runs on ${handle.label}, a per-tenant pool whose every connection carries the org setting ` +
        `(${handle.tenant.via} at ${where(handle.tenant.at, root)})`,
    };
  if (state.ctx !== null && state.ctx !== 'inherited') {
    if (awaitsTransaction(state) && state.capturedBy)
      return {
        pending: { kind: 'captured', key: handle.key, fn: state.capturedBy, handle, awaitsTransaction: state.ctx },
        state,
      };
    return covered(state.ctx);
  }
  if (state.session) return covered(state.session);
  if (state.ctx === 'inherited' && state.capturedBy)
    return { pending: { kind: 'captured', key: handle.key, fn: state.capturedBy, handle }, state };
  if (handle.exec === 'pool') {
    const evidence = `runs on ${handle.label}, outside any org-scoped transaction: each pool query takes ` +
      `whichever connection is free, with no org context`;
    return { coverage: 'unscoped', via: null, evidence, problem: 'onPool' };
  }
  return unscopedBy(handle.label, state, root);
}

/** A transaction-local set on a connection whose transaction (if any) is the caller's. */
function awaitsTransaction(state: ConnState): state is ConnState & { ctx: ContextEvidence } {
  return state.tx === 'inherited' && state.ctx !== null && state.ctx !== 'inherited' && state.ctx.local;
}

/**
 * The caller's connection state with a callee's transaction-local set applied: in force when
 * the caller's connection is in a transaction (or its own caller's), else lasting one statement.
 */
export function withAwaitedSet(state: ConnState, set: ContextEvidence | undefined): ConnState {
  if (!set) return state;
  if (state.tx === true || state.tx === 'inherited') return { ...state, ctx: set };
  return { ...state, ineffective: set };
}

function coveredBy(
  set: ContextEvidence,
  root: string,
  table: string,
  policies: WritePolicies | undefined,
): LocalVerdict {
  const tableSettings = policies?.settings;
  const all = [set, ...(set.also ?? [])];
  // The policy decides what "scoped" means: a context its policies never read covers nothing.
  const matching = all.find(
    (x) => !x.setting || !tableSettings || tableSettings.size === 0 || tableSettings.has(x.setting),
  );
  if (!matching && set.setting && tableSettings) {
    const read = [...tableSettings].sort().join(', ');
    const evidence = `sets ${set.setting} (${set.via} at ${where(set.at, root)}), but the policies on ${table} read ` +
      `${read}, which nothing set on this connection`;
    return { coverage: 'unscoped', via: null, evidence, problem: 'otherSetting' };
  }
  // Read by some policy of the table, but Postgres checks a write against its own command's policies.
  const unmet = all.every((x) => x.setting) && unmetGroup(policies, all.map((x) => x.setting!));
  if (unmet) {
    const sets = `this ${set.local ? 'transaction' : 'connection'} sets only ` +
      `${[...new Set(all.map((x) => x.setting!))].sort().join(', ')} (${set.via} at ${where(set.at, root)})`;
    const evidence = unmetEvidence(sets, unmet, table);
    return { coverage: 'unscoped', via: null, evidence, problem: unmet.noPolicy ? 'noPolicy' : 'commandSetting' };
  }
  const ev = matching ?? set;
  const at = where(ev.at, root);
  const note = roleNote(policies, all.every((x) => x.setting) ? all.map((x) => x.setting!) : undefined);
  if (!ev.local)
    return {
      coverage: 'org-scope',
      via: `session ${ev.via} (${at})`,
      evidence: `the connection carries a session-wide org context set by ${ev.via} at ${at}${note}`,
    };
  return {
    coverage: 'org-scope',
    via: `transaction ${ev.via} (${at})`,
    evidence: `the transaction set the org context with ${ev.via} at ${at}${note}`,
  };
}

/**
 * The first condition the policies of the write's command put on it that the settings set do not meet: a group none
 * of whose settings is set, or a command no permissive policy applies to.
 */
function unmetGroup(policies: WritePolicies | undefined, set: Iterable<string>): PolicyGroup | undefined {
  const have = new Set([...set].map((x) => x.toLowerCase()));
  return policies?.groups?.find((g) => g.none || ![...g.settings].some((x) => have.has(x)));
}

/** `sets`: what the connection sets, "this transaction sets only app.x (SET LOCAL at …)". */
function unmetEvidence(sets: string, g: PolicyGroup, table: string): string {
  if (g.noPolicy)
    return `RLS is enabled on ${table} but no policy allows ${g.command}: the write can never succeed outside an ` +
      `admin connection / SECURITY DEFINER (Postgres denies every row to a role subject to RLS); ${sets}`;
  if (g.none)
    return `no policy of ${table} applies to ${g.command} (FOR ${g.command} or FOR ALL), so Postgres lets no row ` +
      `through for a role subject to RLS; ${sets}`;
  const read = [...g.settings].sort().join(', ');
  if (g.restrictive) {
    const rows = g.command !== 'SELECT' ? 'row' : g.returning ? 'row INSERT … RETURNING hands back' :
      'row an UPDATE or DELETE sees';
    const bound = g.roleBound?.[0];
    const only = bound ? ` (it applies only TO ${bound.roles.join(', ')}: if the app runs as another role, it does ` +
      'not restrict this write)' : '';
    return `the restrictive ${g.command} policy ${g.policies[0]} of ${table}, which every ${rows} must also pass, ` +
      `reads ${read}${only}; ${sets}`;
  }
  const why = g.command !== 'SELECT' ? '' : g.returning ? ', which the row INSERT … RETURNING hands back must pass,' :
    ', which decide the rows an UPDATE or DELETE can see,';
  return `the ${g.command} policies of ${table} (${g.policies.join(', ')})${why} read ${read}; ${sets}`;
}

/**
 * Where a covered verdict rests on policies limited `TO` some roles: a permissive group that the settings set (all of
 * them when unknown) meet only through such policies. The config names no app role, so they count; the evidence says
 * the write is covered only if the app runs as one of those roles.
 */
export function roleNote(policies: WritePolicies | undefined, set: Iterable<string> | undefined): string {
  const have = set ? new Set([...set].map((x) => x.toLowerCase())) : undefined;
  const notes: string[] = [];
  for (const g of policies?.groups ?? []) {
    if (g.restrictive || !g.roleBound?.length) continue;
    if (g.anyRole && (have ? [...g.anyRole].some((x) => have.has(x)) : g.anyRole.size > 0)) continue;
    const bound = g.roleBound.filter((b) => !have || [...b.settings].some((x) => have.has(x)));
    for (const b of bound) notes.push(`${b.name} (${g.command}) applies only TO ${b.roles.join(', ')}`);
  }
  if (!notes.length) return '';
  return `${ROLE_NOTE}${[...new Set(notes)].join('; ')}, so the write is covered only if the app runs as (a member ` +
    'of) that role';
}

/** How a role note starts in a verdict's evidence. */
export const ROLE_NOTE = '; the policies it meets are role-specific: ';

/** A write on a connection that carries no org context, and which of the ways to miss it this is. */
function unscopedBy(label: string, state: ConnState, root: string): LocalVerdict {
  if (state.deferred) return afterTransaction(`runs on ${label}`, state.deferred, root);
  const [problem, why] = missing(state, root);
  return { coverage: 'unscoped', via: null, evidence: `runs on ${label} ${why}`, problem };
}

/** A write on a connection to another database (a Kysely instance with a SQLite dialect): no RLS applies there. */
export function otherDatabase(label: string, dialect: string): LocalVerdict {
  return {
    coverage: 'not-gated',
    via: null,
    evidence: `runs on ${label}, whose dialect is ${dialect}: not Postgres, so no row-level security applies`,
  };
}

/** A write in a callback run later, on a connection whose transaction (and its SET LOCAL) has ended by then. */
function afterTransaction(runsOn: string, deferred: NonNullable<ConnState['deferred']>, root: string): LocalVerdict {
  return {
    coverage: 'unscoped',
    via: null,
    evidence: `${runsOn}, in a callback that ${deferred.by} at ${where(deferred.at, root)}: it runs later, after ` +
      "the transaction ends, where that transaction's org context no longer applies",
    problem: 'afterTransaction',
  };
}

function missing(state: ConnState, root: string): [UnscopedProblem, string] {
  if (state.released) {
    const at = where(state.released, root);
    return [
      'notScoped',
      `after release() at ${at} handed the client back to the pool (a session set before it no longer belongs to ` +
      `this code)`,
    ];
  }
  if (state.setLater) {
    return [
      'beforeContext',
      `before the org context is set (${state.setLater.via} at ${where(state.setLater.at, root)} comes after this ` +
      `write)`,
    ];
  }
  if (state.ineffective) {
    const at = where(state.ineffective.at, root);
    return [
      'autocommitSetting',
      `after ${state.ineffective.via} at ${at} ran outside a transaction, where a transaction-local setting lasts ` +
      `only that one statement`,
    ];
  }
  if (state.tx === true && state.rejected) {
    const { via, setting, at } = state.rejected;
    return [
      'rejectedSet',
      `inside a transaction whose only org context is set by ${via} ${setting} = $n at ${where(at, root)}, with ` +
      'the value as a bind parameter',
    ];
  }
  if (state.tx === true) return ['transactionWithoutContext', 'inside a transaction that has not set the org context'];
  return ['notScoped', 'outside any transaction that sets the org context'];
}
