import path from 'node:path';
import type { AnalysisConfig } from './config.js';
import type { UnscopedProblem } from './facts.js';
import type { RoleSwitches } from '../schema/role-switches.js';

// What an unscoped write's message says where a scope helper of its package switches the role (role-switches.ts).
//
// Off such a helper (judge33's cause 2: contaflow's 404 sites, darna's 35): the helper's switch says the role the
// connection logs in as is not held to the policies, so "Postgres will match zero rows" and "FORCE …, so even its
// owner is held to its policies" are not what happens there. The verdict stays `unscoped` (a bypass nobody declared is
// none of the three covered shapes); the message (`offRoleSwitch`) names the helper and its switch and says both
// outcomes. Inside a helper that only tries to switch to a role that bypasses RLS (Oppsera's `withAdminDb`), the
// write's evidence names the attempt: whether it bypasses depends on the database, so it is no admin connection the
// code shows.

/** Problems where the connection sets no org context at all: a write made off the helper, on its own connection. */
const OFF_HELPER: ReadonlySet<UnscopedProblem> = new Set<UnscopedProblem>(['onPool', 'notScoped',
  'transactionWithoutContext']);

/** Roles a platform gives BYPASSRLS or SUPERUSER, whatever the migrations say: why a switch to one is a bypass. */
const PLATFORM_BYPASS: ReadonlyMap<string, string> = new Map([
  ['postgres', 'the stock bootstrap superuser, and a BYPASSRLS role on Supabase'],
  ['supabase_admin', "Supabase's superuser"],
  ['service_role', "Supabase's BYPASSRLS role"],
]);

const DECLARE = 'declare it under "adminProviders" in rls-guard.config.json (docs/config.md)';

/**
 * The helpers of the write's package that switch away from the login before they set a setting the policies read,
 * when the write sets no context (`OFF_HELPER`); undefined otherwise. The message's data: the switches said, and the
 * helper the fix names.
 */
export function offSwitchData(
  file: string,
  problem: UnscopedProblem,
  config: AnalysisConfig,
): { switched: string; helper: string } | undefined {
  const known = config.roleSwitches;
  // Most repositories have no switch: every unscoped finding asks, so no package lookup then.
  if (!known?.switches.length || !OFF_HELPER.has(problem)) return undefined;
  const pkg = packageOf(file, known);
  const away = known.switches.filter(
    (s) => !s.attempted && !bypassing(s.role, config) && packageOf(s.file, known) === pkg &&
      s.settings.some((x) => config.contextSettings.has(x)),
  );
  if (!away.length) return undefined;
  const distinct = [...new Map(away.map((s) => [`${s.file}:${s.line}`, s])).values()];
  const helpers = distinct.slice(0, 2);
  const said = helpers.map((s) => {
    const sets = s.settings.filter((x) => config.contextSettings.has(x)).join(', ');
    const to = s.runTime ? `the role \`${s.role}\` names at run time` : `role ${s.role}`;
    return `\`${s.helper}\` (${s.file}:${s.line}) sets ${sets} and switches to ${to} with ${s.how} ` +
      `(${s.file}:${s.at}) before it hands the connection to its callback`;
  });
  const more = distinct.length > helpers.length ? ` (and ${distinct.length - helpers.length} more such helpers)` : '';
  return {
    switched: `${said.join('; ')}${more}: a switch made so that the policies apply, which says the role the ` +
      'connection logs in as is not held to them (BYPASSRLS, a superuser, or the owner of tables without FORCE)',
    helper: `\`${helpers[0]!.helper}\``,
  };
}

/**
 * The sentence an unscoped write's evidence gains when it runs in the callback of a helper that only tries to switch to
 * a role that bypasses RLS (`passedTo`: the helpers the write's callback is handed to, `file:line`); undefined
 * otherwise.
 */
export function attemptedSwitchNote(
  passedTo: readonly string[] | undefined,
  config: AnalysisConfig,
): string | undefined {
  const known = config.roleSwitches;
  if (!known || !passedTo?.length) return undefined;
  const tried = known.switches.filter(
    (s) => s.attempted && bypassing(s.role, config) && passedTo.includes(`${s.file}:${s.line}`),
  );
  if (!tried.length) return undefined;
  const first = tried[0]!;
  const roles = [...new Map(tried.map((s) => [s.role, s])).values()].map((s) => {
    const why = config.bypassRoles.has(s.role)
      ? 'BYPASSRLS or SUPERUSER by the migrations'
      : PLATFORM_BYPASS.get(s.role);
    return `${s.role} (${why}; ${s.how} at ${s.file}:${s.at})`;
  });
  return `\`${first.helper}\` (${first.file}:${first.line}) tries to switch to ${roles.join(', then ')} before it ` +
    'calls its callback, but goes on to the callback when the switch fails, so whether this write bypasses RLS ' +
    'depends on the database it runs on: it is not read as an admin connection. If it is one on purpose, ' +
    `${DECLARE.replace('it', `\`${first.helper}\``)}`;
}

function bypassing(role: string, config: AnalysisConfig): boolean {
  return config.bypassRoles.has(role) || PLATFORM_BYPASS.has(role);
}

/** The package a root-relative file belongs to: the deepest folder holding a package.json above it ('' the root). */
function packageOf(file: string, known: RoleSwitches): string {
  let best = '';
  for (const p of known.packages)
    if (p && p.length > best.length && (file.startsWith(`${p}/`) || path.posix.dirname(file) === p)) best = p;
  return best;
}
