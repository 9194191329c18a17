import ts from '../../ts.js';
import { HOLE, type SqlTextFolder } from '../../code/sql-text.js';
import { lookup } from '../../code/scope.js';
import { skipOuter } from '../../syntax/wrappers.js';
import { shortText } from '../../code/origins.js';
import type { DeployedLogin } from '../deploy-login.js';

// The role a pool logs in as, read from the config it is made with. Policies that key on
// the login role (`USING (owner_role = current_user)`, a lookup keyed on current_user) see
// the rows of whichever role the connection runs as, so on those tables the role decides:
//  - pg `new Pool({ user })`, `{ connectionString }`; knex `knex({ connection: { user } | dsn })`;
//    postgres.js `postgres(url, { username })`; a DSN's user (`postgres://tenant_${id}:…@…`);
//    a Kysely dialect's or Drizzle's `pool`/`client` is read through the pool it wraps.
//  - A name built from a value (`tenant_${id}`) is a per-tenant role: each pool logs in as
//    its tenant's role. A constant name, or none (the environment's PGUSER/DATABASE_URL), is
//    one role for every request. A name that is only a run-time value (a parameter, a call)
//    cannot be told apart: the write is unresolved, with that reason.

export type LoginRole =
  | { kind: 'per-tenant'; text: string; at: ts.Node }
  | { kind: 'fixed'; name: string; at: ts.Node }
  | {
      kind: 'environment';
      at: ts.Node;
      /** The variable the DSN or user is read from, when the code names it (`process.env.DATABASE_ADMIN_URL`). */
      variable?: string;
      /** What the repository's deployment files say that variable logs in as (deploy-login.ts). */
      deployed?: DeployedLogin;
      /**
       * How the code reads `variable` when not as `process.env.X` itself: through a config object's property
       * (`config.DATABASE_URL`), or with a default DSN for when it is unset. The deployment's value is then said, never
       * taken as a decision (deploy-login.ts `indirectLogin`).
       */
      read?: string;
      /**
       * Where the connection's options say it applies the migrations itself (TypeORM's `migrationsRun: true`): it logs
       * in as the role that runs them, the owner of the tables they create (owner-bypass.ts, verdict.ts).
       */
      migrator?: ts.Node;
    }
  | { kind: 'untraceable'; reason: string; at: ts.Node };

/** How a config value that is another pool (a dialect's `pool`, Drizzle's `client`) is read. */
export type InnerLogin = (expr: ts.Expression) => LoginRole | undefined;

const USER_KEYS = new Set(['user', 'username']);
const DSN_KEYS = new Set(['connectionString', 'connection', 'url', 'uri']);
const WRAPPED_KEYS = new Set(['pool', 'client', 'dialect', 'connection']);

/** The login role of a pool or client made with these arguments (`new Pool(config)`, `postgres(url, options)`). */
export function loginRoleOf(
  args: readonly ts.Expression[],
  folder: SqlTextFolder,
  inner: InnerLogin,
  made: ts.Node,
): LoginRole {
  let found: LoginRole | undefined;
  // Later arguments override earlier ones (postgres.js: `postgres(url, { username })`).
  for (const arg of args) found = fromValue(arg, folder, inner, 0) ?? found;
  return found ?? { kind: 'environment', at: made };
}

function fromValue(arg: ts.Expression, folder: SqlTextFolder, inner: InnerLogin, depth: number): LoginRole | undefined {
  if (depth > 4) return undefined;
  const e = constValue(arg);
  if (ts.isObjectLiteralExpression(e)) return fromObject(e, folder, inner, depth);
  if (ts.isNewExpression(e) && depth > 0) {
    // `dialect: new PostgresDialect({ pool })`: the pool inside decides.
    for (const a of e.arguments ?? []) {
      const r = fromValue(a, folder, inner, depth + 1);
      if (r) return r;
    }
    return inner(e);
  }
  if (isStringy(e, folder)) return fromDsn(e, folder);
  if (ts.isIdentifier(e) && e.text === 'undefined') return undefined;
  return inner(e) ?? untraceable(`its connection config \`${shortText(arg, 40)}\` cannot be read`, arg);
}

/**
 * TypeORM connection options that apply the migrations at startup: the `migrationsRun` property whose value is the
 * constant `true` (an object literal, or one a `const` holds). Anything else (`process.env.X !== '1'`) leaves it to the
 * deployment: undefined.
 */
export function migrationsRunOption(options: ts.Expression | undefined): ts.Node | undefined {
  const obj = options && constValue(options);
  if (!obj || !ts.isObjectLiteralExpression(obj)) return undefined;
  for (const p of obj.properties) {
    if (!ts.isPropertyAssignment(p) || propertyKey(p) !== 'migrationsRun') continue;
    return skipOuter(p.initializer).kind === ts.SyntaxKind.TrueKeyword ? p : undefined;
  }
  return undefined;
}

/** An object literal or text a `const` holds, else the expression itself. */
function constValue(expr: ts.Expression): ts.Expression {
  let e = skipOuter(expr);
  for (let i = 0; i < 4 && ts.isIdentifier(e); i++) {
    const decl = lookup(e)?.decl;
    if (!decl || !ts.isVariableDeclaration(decl) || !decl.initializer || !ts.isIdentifier(decl.name)) break;
    if (!(ts.getCombinedNodeFlags(decl) & ts.NodeFlags.Const)) break;
    const init = skipOuter(decl.initializer);
    if (!ts.isObjectLiteralExpression(init)) break;
    e = init;
  }
  return e;
}

function fromObject(
  obj: ts.ObjectLiteralExpression,
  folder: SqlTextFolder,
  inner: InnerLogin,
  depth: number,
): LoginRole | undefined {
  let dsn: LoginRole | undefined;
  let user: LoginRole | undefined;
  let wrapped: LoginRole | undefined;
  let spread: ts.Node | undefined;
  for (const p of obj.properties) {
    if (ts.isSpreadAssignment(p)) spread = p;
    const key = propertyKey(p);
    const value = ts.isPropertyAssignment(p) ? p.initializer : ts.isShorthandPropertyAssignment(p) ? p.name : undefined;
    if (!key || !value) continue;
    if (USER_KEYS.has(key)) user = fromName(value, folder);
    else if (DSN_KEYS.has(key) && isStringy(skipOuter(value), folder)) dsn = fromDsn(value, folder);
    else if (WRAPPED_KEYS.has(key) && !isStringy(skipOuter(value), folder))
      wrapped = fromValue(value, folder, inner, depth + 1) ?? wrapped;
  }
  // An explicit user wins over the DSN's (pg and knex merge them that way).
  const found = user ?? dsn ?? wrapped;
  if (!found && spread)
    return untraceable(`its config spreads \`${shortText(spread, 40)}\`, whose user cannot be read`, spread);
  return found;
}

function propertyKey(p: ts.ObjectLiteralElementLike): string | undefined {
  const n = p.name;
  return n && (ts.isIdentifier(n) || ts.isStringLiteral(n)) ? n.text : undefined;
}

/** A value that folds to text, or reads the environment (a DSN or a user name). */
function isStringy(e: ts.Expression, folder: SqlTextFolder): boolean {
  if (readsEnvironment(e)) return true;
  const folded = folder.sql(e);
  return folded.ok && folded.variants.some((v) => v.replaceAll(HOLE, '').length > 0);
}

/** The role named by a `user`/`username` value. */
function fromName(value: ts.Expression, folder: SqlTextFolder): LoginRole {
  if (readsEnvironment(value)) return fromEnvironment(value);
  const folded = folder.sql(value);
  if (!folded.ok) return untraceable(`its user \`${shortText(value, 40)}\`: ${folded.reason}`, value);
  return classify(folded.variants, value, `user \`${shortText(value, 40)}\``);
}

/** The user of a DSN (`postgres://user:pw@host/db`, or libpq's `user=… dbname=…`). */
function fromDsn(value: ts.Expression, folder: SqlTextFolder): LoginRole {
  if (readsEnvironment(value)) return fromEnvironment(value);
  const folded = folder.sql(value);
  if (!folded.ok) return untraceable(`its DSN \`${shortText(value, 40)}\`: ${folded.reason}`, value);
  const users: string[] = [];
  for (const v of folded.variants) {
    const user = dsnUser(v);
    if (user === undefined) return { kind: 'environment', at: value };
    if (user === null)
      return untraceable(`the user of its DSN \`${shortText(value, 40)}\` cannot be read`, value);
    users.push(user);
  }
  return classify(users, value, `DSN \`${shortText(value, 40)}\``);
}

/**
 * The user part of a DSN variant (holes as HOLE): undefined when the DSN names none (libpq
 * then takes PGUSER), null when the text is not a DSN.
 */
export function dsnUser(dsn: string): string | null | undefined {
  // The hole is not a URL character: stand in a marker URL parsing keeps as it is.
  const marker = 'zzholezz';
  const text = dsn.replaceAll(HOLE, marker);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return null;
    }
    if (!url.username) return undefined;
    return decodeURIComponent(url.username).replaceAll(marker, HOLE);
  }
  if (!text.includes('=')) return null;
  // libpq keyword/value form: `host=… user=tenant_x dbname=…`.
  for (const word of text.split(/\s+/)) {
    const [k, ...rest] = word.split('=');
    if (k === 'user') return rest.join('=').replace(/^'|'$/g, '').replaceAll(marker, HOLE);
  }
  return undefined;
}

/**
 * The role a list of names (one per variant, holes as HOLE) stands for: one constant role, a per-tenant one (a constant
 * part and a run-time one: `tenant_${id}`), or one that cannot be read (only a run-time value, or several roles).
 */
export function classify(names: readonly string[], at: ts.Expression, what: string): LoginRole {
  const first = names[0];
  if (first === undefined) return { kind: 'untraceable', reason: `${what} takes no value`, at };
  if (names.every((n) => !n.includes(HOLE))) {
    if (names.every((n) => n === first)) return { kind: 'fixed', name: first, at };
    return { kind: 'untraceable', reason: `${what} names several roles (${names.join(', ')})`, at };
  }
  // A name that is only a run-time value: nothing says it differs per tenant.
  if (names.some((n) => n.replaceAll(HOLE, '').length === 0))
    return { kind: 'untraceable', reason: `${what} is a run-time value whose role cannot be read`, at };
  return { kind: 'per-tenant', text: first.replaceAll(HOLE, '${…}'), at };
}

function untraceable(reason: string, at: ts.Node): LoginRole {
  return { kind: 'untraceable', reason, at };
}

/** A login read from the environment, naming the variable where the code does. */
function fromEnvironment(value: ts.Expression): LoginRole {
  const env = environmentRead(value);
  const variable = env?.variable;
  const read = env?.read;
  return { kind: 'environment', at: value, ...(variable ? { variable } : {}), ...(read ? { read } : {}) };
}

function readsEnvironment(expr: ts.Expression): boolean {
  return environmentRead(expr) !== undefined;
}

/** The variable an expression reads (as `environmentVariable`), and how when not directly. */
interface EnvironmentRead {
  variable: string | null;
  read?: string;
}

/**
 * The variable an expression reads: `process.env.X`, `process.env['X']`, a NestJS `ConfigService`'s `get('X')` /
 * `getOrThrow('X')` (by the receiver's declared type), also through a const that holds one and before a `??`/`||`
 * default. undefined when it reads no environment; null when it does but the name is not a constant.
 */
export function environmentVariable(expr: ts.Expression): string | null | undefined {
  return environmentRead(expr)?.variable;
}

function environmentRead(expr: ts.Expression): EnvironmentRead | undefined {
  const e = heldValue(skipOuter(expr));
  // `process.env.A || process.env.B`: the environment still, but which value is in force is the deployment's, so no
  // one variable is named. `process.env.A || 'postgres://…'` names A: the literal is the code's own default for when
  // A is unset, said beside what the deployment files give A (never a decision: see `read`).
  if (isFallback(e)) {
    const left = heldValue(skipOuter(e.left));
    const right = heldValue(skipOuter(e.right));
    const named = isFallback(left) ? undefined : directRead(left);
    const dsn = ts.isStringLiteralLike(right) ? right.text : undefined;
    const user = named && dsn ? dsnUser(dsn) : undefined;
    if (named && dsn && user)
      return { variable: named, read: `from ${named}, else from its own default \`${withoutPassword(dsn)}\` ` +
        `(which logs in as ${user})` };
    let inner: ts.Expression = e;
    while (isFallback(inner)) inner = heldValue(skipOuter(inner.left));
    return directRead(inner) !== undefined || configRead(inner) ? { variable: null } : undefined;
  }
  const direct = directRead(e);
  if (direct !== undefined) return { variable: direct };
  const config = configRead(e);
  return config ? { variable: config, read: `through \`${shortText(e, 60)}\`, taken as ${config}` } : undefined;
}

/** A DSN as evidence says it: its password left out (`postgres://app:…@host/db`), at most 60 characters. */
function withoutPassword(dsn: string): string {
  const text = dsn.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@]*@/i, '$1:…@');
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

/** What a `const` (or an unreassigned variable) holds, followed up to four times; else the expression. */
function heldValue(expr: ts.Expression): ts.Expression {
  let e = expr;
  for (let i = 0; i < 4 && ts.isIdentifier(e); i++) {
    const decl = lookup(e)?.decl;
    if (!decl || !ts.isVariableDeclaration(decl) || !decl.initializer || !ts.isIdentifier(decl.name)) return e;
    e = skipOuter(decl.initializer);
  }
  return e;
}

function isFallback(e: ts.Expression): e is ts.BinaryExpression {
  return ts.isBinaryExpression(e) && (e.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken ||
    e.operatorToken.kind === ts.SyntaxKind.BarBarToken);
}

/** `process.env.X` or a ConfigService's `get('X')`: X (null when not a constant), else undefined. */
function directRead(e: ts.Expression): string | null | undefined {
  return ts.isCallExpression(e) ? configServiceRead(e) : processEnvRead(e);
}

/**
 * A DSN variable read off a config object, by the environment's own name (`config.DATABASE_URL`, `env.POSTGRES_URL`,
 * `serverEnv().DATABASE_URL`: a loader's parse of process.env): the property's name, when it is written as an
 * environment variable is (upper case) and names a DSN (`…URL`, `…URI`, `…DSN`, `…CONNECTION_STRING`). Whether the
 * object really holds that variable is not traced, so it is only ever said, never decided on.
 */
function configRead(e: ts.Expression): string | undefined {
  if (!ts.isPropertyAccessExpression(e) || processEnvRead(e) !== undefined) return undefined;
  const name = e.name.text;
  return /^[A-Z][A-Z0-9_]*$/.test(name) && /(?:^|_)(?:URL|URI|DSN|CONNECTION_STRING)$/.test(name) ? name : undefined;
}

/** `process.env.X` (X), `process.env[k]` (null), else undefined. */
function processEnvRead(e: ts.Expression): string | null | undefined {
  const target =
    ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e) ? skipOuter(e.expression) : undefined;
  const isEnv =
    !!target &&
    ts.isPropertyAccessExpression(target) &&
    target.name.text === 'env' &&
    ts.isIdentifier(target.expression) &&
    target.expression.text === 'process';
  if (!isEnv) return undefined;
  if (ts.isPropertyAccessExpression(e)) return e.name.text;
  const arg = ts.isElementAccessExpression(e) ? skipOuter(e.argumentExpression) : undefined;
  return arg && ts.isStringLiteralLike(arg) ? arg.text : null;
}

/** `config.get('X')` / `getOrThrow('X')` on a receiver declared `ConfigService` (a parameter or a field). */
function configServiceRead(call: ts.CallExpression): string | null | undefined {
  const callee = skipOuter(call.expression);
  if (!ts.isPropertyAccessExpression(callee) || !['get', 'getOrThrow'].includes(callee.name.text)) return undefined;
  const receiver = skipOuter(callee.expression);
  const name = ts.isIdentifier(receiver)
    ? receiver
    : ts.isPropertyAccessExpression(receiver) && receiver.expression.kind === ts.SyntaxKind.ThisKeyword
      ? receiver.name
      : undefined;
  if (!name) return undefined;
  const decl = ts.isIdentifier(receiver) ? lookup(receiver)?.decl : fieldOf(receiver as ts.PropertyAccessExpression);
  const type = decl && (ts.isParameter(decl) || ts.isPropertyDeclaration(decl)) ? decl.type : undefined;
  if (!type || !ts.isTypeReferenceNode(type) || !ts.isIdentifier(type.typeName) ||
    type.typeName.text !== 'ConfigService') return undefined;
  const arg = call.arguments[0] && skipOuter(call.arguments[0]);
  return arg && ts.isStringLiteralLike(arg) ? arg.text : null;
}

/** The field or constructor parameter property `this.x` names in its class. */
function fieldOf(access: ts.PropertyAccessExpression): ts.Node | undefined {
  let n: ts.Node | undefined = access.parent;
  while (n && !ts.isClassLike(n)) n = n.parent;
  if (!n) return undefined;
  for (const m of n.members) {
    if (ts.isPropertyDeclaration(m) && ts.isIdentifier(m.name) && m.name.text === access.name.text) return m;
    if (ts.isConstructorDeclaration(m))
      for (const p of m.parameters)
        if (ts.isIdentifier(p.name) && p.name.text === access.name.text && ts.getModifiers(p)?.length) return p;
  }
  return undefined;
}
