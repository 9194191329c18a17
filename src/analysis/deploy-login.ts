import fs from 'node:fs';
import path from 'node:path';
import type { RlsModel } from '../schema/types.js';
import {
  type DeployedValue,
  type DeploymentRoles,
  type RoleDeclaration,
  ROLE_STATEMENT,
  roleDeclarations,
} from '../schema/deploy-roles.js';
import { dsnUser } from './providers/login-roles.js';
import { HOLE } from '../code/sql-text.js';

// The role a connection logs in as when the code reads it from an environment variable, decided from what the
// repository's deployment files give that variable (schema/deploy-roles.ts) and what it declares of that role. A
// false pass is worse than a false alarm, so only this makes such a connection an admin one: every file that gives
// the variable a DSN names one role, and that role is made BYPASSRLS or SUPERUSER by name in a statement the
// repository applies (a migration, an init script, a shell script's or a CI step's psql) that no other such
// statement takes back. The model's role flags alone are not enough: the replay's own superuser (`postgres`), or a
// database image's POSTGRES_USER, is a superuser no file declares, and a development default, not a decision.

export type DeployedLogin =
  | {
      kind: 'bypass';
      variable: string;
      user: string;
      /** The files that give the variable that role's DSN. */
      values: DeployedValue[];
      /** The statements that make the role bypass RLS. */
      declared: RoleDeclaration[];
    }
  | { kind: 'note'; text: string };

export type DeployedLogins = (variable: string) => DeployedLogin | undefined;

/** The deployment's answer for each variable (memoised), or undefined when no deployment file gives any variable. */
export function deployedLogins(model: RlsModel, deployment: DeploymentRoles, root: string): DeployedLogins | undefined {
  if (Object.keys(deployment.env).length === 0) return undefined;
  const memo = new Map<string, DeployedLogin | undefined>();
  let migrationRoles: Record<string, RoleDeclaration[]> | undefined;
  const declaredIn = (user: string): RoleDeclaration[] => {
    migrationRoles ??= migrationDeclarations(model, root);
    return [...(migrationRoles[user] ?? []), ...(deployment.roles[user] ?? [])];
  };
  return (variable) => {
    const image = deployment.env.POSTGRES_USER ?? [];
    if (!memo.has(variable)) memo.set(variable, decide(variable, deployment.env[variable] ?? [], declaredIn, image));
    return memo.get(variable);
  };
}

function decide(
  variable: string,
  given: readonly DeployedValue[],
  declaredIn: (user: string) => RoleDeclaration[],
  imageUser: readonly DeployedValue[],
): DeployedLogin | undefined {
  const byUser = new Map<string, DeployedValue[]>();
  for (const v of given) {
    const user = readableUser(v.value);
    if (user) byUser.set(user, [...(byUser.get(user) ?? []), v]);
  }
  if (byUser.size === 0) return undefined;
  const at = (v: DeployedValue): string => `${v.file}:${v.line}`;
  if (byUser.size > 1) {
    const said = [...byUser].map(([u, vs]) => `${u} (${vs.map(at).join(', ')})`).join(' and ');
    return {
      kind: 'note',
      text: `the repository's deployment files disagree on the role ${variable} logs in as: ${said}, so neither ` +
        'is taken as this connection\'s role',
    };
  }
  const [user, values] = [...byUser][0]!;
  const declared = declaredIn(user);
  const given1 = `${variable} logs in as ${user} in the repository's deployment files (${values.map(at).join(', ')})`;
  const granted = bypassing(declared);
  if (granted === 'conflict') {
    const said = declared.map((d) => `${d.attribute} at ${d.file}:${d.line}`).join(', ');
    return { kind: 'note', text: `${given1}, a role whose attributes its files disagree on (${said})` };
  }
  if (!granted.length) {
    // The database image's own superuser (POSTGRES_USER) in a development database: said, never taken as a decision.
    const image = imageUser.filter((v) => withDefaults(v.value) === user).map(at);
    return {
      kind: 'note',
      text: `${given1}, a role no migration, init script or CI step declares BYPASSRLS or SUPERUSER` +
        (image.length ? ` (the database image's POSTGRES_USER at ${image.join(', ')}, a superuser where that image ` +
          'runs, as in development)' : ''),
    };
  }
  return { kind: 'bypass', variable, user, values, declared: granted };
}

/**
 * The user a DSN value names, when it is a literal one (no `${…}`, no `[placeholder]`, no `USER`). A compose file's
 * `${VAR:-default}` (or `${VAR-default}`) is read as its default, the value the file gives where nothing overrides it;
 * any other substitution left in the user makes it unreadable (one in the password or the host does not).
 */
function readableUser(raw: string): string | undefined {
  const value = withDefaults(raw);
  if (!value || value.includes('$(')) return undefined;
  const user = dsnUser(value);
  if (!user || user.includes(HOLE) || !/^[A-Za-z_][A-Za-z0-9_$.-]*$/.test(user)) return undefined;
  // `postgres://USER:PASSWORD@HOST/DB`: a placeholder, not a role (an upper-case role needs quoting in SQL anyway).
  if (/^[A-Z][A-Z0-9_]*$/.test(user)) return undefined;
  return user;
}

/** `${VAR:-default}` and `${VAR-default}` (compose's and the shell's substitutions with a default) as the default. */
function withDefaults(value: string): string {
  return value.replace(/\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^${}]*)\}/g, '$1');
}

/**
 * What the deployment says of a variable the code reads indirectly (`read`: through a config object's property, or
 * with a default DSN of its own): said as a note, never an admin decision, since the code is not traced to that very
 * variable being in force (a false pass is worse than a false alarm).
 */
export function indirectLogin(login: DeployedLogin, variable: string, read: string): DeployedLogin {
  const how = `the code reads its DSN ${read}: `;
  if (login.kind === 'note') return { kind: 'note', text: how + login.text };
  const at = (x: { file: string; line: number }): string => `${x.file}:${x.line}`;
  return {
    kind: 'note',
    text: `${how}${variable} logs in as ${login.user} in the repository's deployment files ` +
      `(${login.values.map(at).join(', ')}), a role declared ${login.declared.map((d) => `${d.attribute} at ` +
      at(d)).join(', ')}, which bypasses RLS; the code does not show that value in force, so the connection is ` +
      'not judged an admin one: if it is one on purpose, declare it under "adminProviders" in ' +
      'rls-guard.config.json (docs/config.md)',
  };
}

/**
 * The statements that leave the role bypassing RLS: per attribute (BYPASSRLS, SUPERUSER), each file's last word on
 * it; 'conflict' when files end on different words for one attribute.
 */
function bypassing(declared: readonly RoleDeclaration[]): RoleDeclaration[] | 'conflict' {
  const last = new Map<string, Map<string, RoleDeclaration>>();
  for (const d of declared) {
    const attr = d.attribute.replace(/^NO/, '');
    const files = last.get(attr) ?? new Map<string, RoleDeclaration>();
    files.set(d.file, d);
    last.set(attr, files);
  }
  const granted: RoleDeclaration[] = [];
  for (const files of last.values()) {
    const words = new Set([...files.values()].map((d) => d.bypasses));
    if (words.size > 1) return 'conflict';
    if (words.has(true)) granted.push(...files.values());
  }
  return granted;
}

/** The role attributes the migration files declare, read again for their lines (the model keeps none). */
function migrationDeclarations(model: RlsModel, root: string): Record<string, RoleDeclaration[]> {
  const out: Record<string, RoleDeclaration[]> = Object.create(null);
  for (const file of model.files) {
    if (!file.endsWith('.sql')) continue;
    let text: string;
    try {
      text = fs.readFileSync(path.resolve(root, file), 'utf8');
    } catch {
      continue; // the model names it; unreadable now, it declares nothing we can cite
    }
    if (!ROLE_STATEMENT.test(text)) continue;
    for (const d of roleDeclarations(text, file, 1)) (out[d.role] ??= []).push(d);
  }
  return out;
}

/** The evidence of an admin login read from the deployment. */
export function deployedAdminEvidence(login: Extract<DeployedLogin, { kind: 'bypass' }>, on: string): string {
  const at = (x: { file: string; line: number }): string => `${x.file}:${x.line}`;
  const [first, ...also] = login.declared;
  return `runs on ${on}, whose DSN is ${login.variable}; the repository's deployment files log in as ${login.user} ` +
    `there (${login.values.map(at).join(', ')}), a role declared ${first!.attribute} at ${at(first!)}` +
    `${also.length ? ` (also ${also.map((d) => `${d.attribute} at ${at(d)}`).join(', ')})` : ''}, so it bypasses RLS`;
}
