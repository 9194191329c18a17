import ts from '../ts.js';
import { lookup } from '../code/scope.js';
import { skipOuter } from '../syntax/wrappers.js';
import type { PolicyState } from '../schema/types.js';
import type { Verdict } from './facts.js';
import type { WritePolicies } from './config.js';

// Neon Authorize: a driver option that carries the user's identity with every query (`neon(url, { authToken })`,
// Neon's serverless driver sends the JWT beside each statement), read in the database by pg_session_jwt's functions
// (`auth.user_id()`, `auth.jwt()`, `auth.session()`). Nothing is `set_config`ed: the identity is the connection's
// own, so a write on it is scoped exactly where the policies Postgres checks for it read that identity. A policy that
// reads `current_setting('request.jwt.claims')` is not counted: pg_session_jwt falls back to that setting only when no
// JWK validates a token (the Data API's mode), and an `authToken` sets no setting.

/** pg_session_jwt's functions: each reads the JWT the connection was given. */
export const SESSION_JWT_FUNCTIONS: ReadonlySet<string> = new Set(['auth.user_id', 'auth.jwt', 'auth.session']);

const VIA = ' (session JWT)';

/**
 * Whether a verdict's `via` is a session JWT's: such a write says nothing of the org setting being set anywhere (the
 * walker's `no-unset-policy-setting` must not count it as a scope that sets the primary setting).
 */
export function viaSessionJwt(via: string | null | undefined): boolean {
  return !!via?.endsWith(VIA);
}

/** The driver option that carries the identity, and where it is given. */
export interface SessionJwt {
  option: string;
  at: ts.Node;
}

/** Whether a policy's USING / WITH CHECK call a function that reads the connection's JWT. */
export function readsSessionJwt(p: PolicyState): boolean {
  return p.functions.some((f) => SESSION_JWT_FUNCTIONS.has(f.toLowerCase()));
}

/** The `authToken` option among a factory's arguments (an object literal, also one a `const` holds), if given. */
export function sessionJwtOption(args: readonly ts.Expression[]): SessionJwt | undefined {
  for (const arg of args) {
    const obj = constObject(arg);
    if (!obj) continue;
    for (const p of obj.properties) {
      if (!(ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) || !p.name) continue;
      const name = ts.isIdentifier(p.name) || ts.isStringLiteral(p.name) ? p.name.text : undefined;
      if (name !== 'authToken') continue;
      // `authToken: undefined` (or null) sends nothing: no identity.
      const value = ts.isPropertyAssignment(p) ? skipOuter(p.initializer) : p.name;
      if (value.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(value) && value.text === 'undefined')) continue;
      return { option: name, at: p };
    }
  }
  return undefined;
}

function constObject(arg: ts.Expression): ts.ObjectLiteralExpression | undefined {
  let e = skipOuter(arg);
  for (let i = 0; i < 4 && ts.isIdentifier(e); i++) {
    const decl = lookup(e)?.decl;
    if (!decl || !ts.isVariableDeclaration(decl) || !decl.initializer) return undefined;
    if (!(ts.getCombinedNodeFlags(decl) & ts.NodeFlags.Const)) return undefined;
    e = skipOuter(decl.initializer);
  }
  return ts.isObjectLiteralExpression(e) ? e : undefined;
}

/**
 * A write on a connection that sends the user's JWT: org-scope where, for every command Postgres checks for it, some
 * permissive policy reads the JWT and every restrictive one that reads a setting reads the JWT too; otherwise the note
 * that says which command's policies do not read it (the write is judged as the connection alone would be).
 */
export function judgeSessionJwt(
  label: string,
  jwt: SessionJwt,
  at: string,
  table: string,
  policies: WritePolicies | undefined,
): Verdict | { note: string } {
  const carries = `${label}, which sends the user's JWT with every query (\`${jwt.option}\` at ${at})`;
  const commands = policies?.jwt;
  if (!commands?.length)
    return {
      note: `${carries}, but no policy of ${table} that applies to this write reads it (${fnList()}), so it scopes ` +
        'nothing here',
    };
  for (const c of commands) {
    if (c.reading.length === 0)
      return {
        note: `${carries}, but no ${c.command} policy of ${table} reads it (${fnList()})` +
          (c.permissive.length ? `: ${c.permissive.join(', ')} read${c.permissive.length > 1 ? '' : 's'} other ` +
            'things' : ': none applies, so Postgres lets no row through'),
      };
    if (c.restrictiveUnread.length)
      return {
        note: `${carries}, but the restrictive ${c.command} polic${c.restrictiveUnread.length > 1 ? 'ies' : 'y'} ` +
          `${c.restrictiveUnread.join(', ')} of ${table} read${c.restrictiveUnread.length > 1 ? '' : 's'} a ` +
          'setting, not the JWT, which nothing sets on this connection',
      };
  }
  const read = commands.map((c) => `${c.command}: ${c.reading.join(', ')}`).join('; ');
  return {
    coverage: 'org-scope',
    via: `${jwt.option}${VIA}`,
    evidence: `runs on ${carries}; the policies Postgres checks for this write on ${table} read it (${read}), ` +
      `through ${fnList()}`,
  };
}

function fnList(): string {
  return [...SESSION_JWT_FUNCTIONS].map((f) => `${f}()`).join(', ');
}
