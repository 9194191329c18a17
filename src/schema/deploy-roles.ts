import fs from 'node:fs';
import path from 'node:path';
import type * as Yaml from 'yaml';
import { lazyRequire } from '../lazy-require.js';
import { walkFiles } from '../files/walk.js';
import { toPosixRelative } from '../files/paths.js';
import { parseSql, splitStatements, type PgNode } from '../sql/parser.js';
import { shellSqlTexts } from './shell-sql.js';
import { readRoleSwitches, type RoleSwitches } from './role-switches.js';

// What a repository's deployment files say about the role a connection logs in as, where the code only reads an
// environment variable (`postgres(process.env.DATABASE_ADMIN_URL)`): the values its env files (`.env.example`,
// `.env.*`, `.env-template`), its compose files' `environment:` and its CI workflows' `env:` give that variable,
// and the role attributes it applies outside the migrations: SQL a shell script or a CI step hands psql
// (shell-sql.ts), read by libpg-query. The migrations' own roles are the model's; these are only the rest.

const yaml = lazyRequire<typeof Yaml>('yaml');

export interface DeployedValue {
  value: string;
  /** Root-relative path and 1-based line. */
  file: string;
  line: number;
}

export interface RoleDeclaration {
  role: string;
  /** BYPASSRLS or SUPERUSER as this statement leaves it: true grants, false takes away. */
  bypasses: boolean;
  /** The attribute it sets (`BYPASSRLS`, `NOSUPERUSER`, …), as said in evidence. */
  attribute: string;
  file: string;
  line: number;
}

export interface DeploymentRoles {
  /** Values of environment variables, by name, in the files' order. */
  env: Record<string, DeployedValue[]>;
  /** Role attributes declared by shell scripts and CI steps, by role, in the files' order. */
  roles: Record<string, RoleDeclaration[]>;
  /**
   * Scope helpers of the app's sources that switch the role transaction-locally before they call their callback
   * (role-switches.ts): a repository-level fact, read with the deployment files from the same listing.
   */
  switches: RoleSwitches;
}

const COMPOSE = /^(?:docker-)?compose(?:[.-][^/]*)?\.ya?ml$/;
const WORKFLOW = /(?:^|\/)\.github\/workflows\/[^/]+\.ya?ml$/;

/** An env file: `.env`, `.env.example`, `.env.production.example`, `.env-template`, `app.env.sample` (not `.envrc`). */
function isEnvFile(name: string): boolean {
  return /^\.env(?:[.-].+)?$/.test(name) || /\.env\.(?:example|sample|template)$/.test(name);
}

/**
 * Reads the deployment files under `root` (its .gitignore honoured, node_modules and build output skipped), and the
 * role switches of its sources (`sources`: the input cache they are kept in, the text a caller has read).
 */
export function readDeploymentRoles(
  root: string,
  ignore: readonly string[] = [],
  sources: Parameters<typeof readRoleSwitches>[2] = {},
): DeploymentRoles {
  const files = walkFiles([root], { extensions: [''], ignore }, root).files;
  const out: DeploymentRoles = {
    env: Object.create(null),
    roles: Object.create(null),
    switches: readRoleSwitches(root, files, sources),
  };
  for (const abs of files) {
    const rel = toPosixRelative(root, abs);
    const name = path.basename(abs);
    // A file that cannot hold a DSN or hand psql SQL is not parsed (a large workflow's YAML costs a second).
    if (isEnvFile(name)) read(abs, (t) => envFile(t, rel, out));
    else if (COMPOSE.test(name)) read(abs, (t) => t.includes('environment') && compose(t, rel, out));
    else if (WORKFLOW.test(rel)) read(abs, (t) => /postgres|psql/i.test(t) && workflow(t, rel, out));
    else if (name.endsWith('.sh')) read(abs, (t) => t.includes('psql') && shellRoles(shellSqlTexts(t), rel, out));
  }
  return out;
}

function read(file: string, take: (text: string) => unknown): void {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return; // an unreadable deployment file says nothing: no role is read from it
  }
  if (text.length > 1_000_000) return;
  take(text);
}

function addValue(out: DeploymentRoles, name: string, value: DeployedValue): void {
  (out.env[name] ??= []).push(value);
}

/** `KEY=value` lines (`export` allowed, quotes taken off, a ` #` comment after an unquoted value dropped). */
function envFile(text: string, rel: string, out: DeploymentRoles): void {
  text.split('\n').forEach((raw, i) => {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*?)\s*$/.exec(raw);
    if (!m) return;
    let value = m[2]!;
    const q = value[0];
    if ((q === '"' || q === "'") && value.endsWith(q) && value.length > 1) value = value.slice(1, -1);
    else value = value.replace(/\s+#.*$/, '');
    addValue(out, m[1]!, { value, file: rel, line: i + 1 });
  });
}

/** A YAML document with its lines (the parser's own LineCounter), or undefined when it does not parse. */
function yamlDoc(text: string): { doc: Yaml.Document.Parsed; lineOf: (offset: number) => number } | undefined {
  const counter = new (yaml().LineCounter)();
  let doc: Yaml.Document.Parsed;
  try {
    doc = yaml().parseDocument(text, { lineCounter: counter });
  } catch {
    return undefined;
  }
  if (doc.errors.length) return undefined;
  return { doc, lineOf: (offset) => counter.linePos(offset).line };
}

/** An `environment:`/`env:` node's pairs, a map or a list of `KEY=value`, each with its line. */
function envPairs(node: unknown, lineOf: (o: number) => number, rel: string, out: DeploymentRoles): void {
  const Y = yaml();
  if (Y.isMap(node))
    for (const pair of node.items) {
      const key = Y.isScalar(pair.key) ? String(pair.key.value) : undefined;
      const value = Y.isScalar(pair.value) ? pair.value : undefined;
      if (key && value && typeof value.value === 'string' && value.range)
        addValue(out, key, { value: value.value, file: rel, line: lineOf(value.range[0]) });
    }
  else if (Y.isSeq(node))
    for (const item of node.items) {
      if (!Y.isScalar(item) || typeof item.value !== 'string' || !item.range) continue;
      const eq = item.value.indexOf('=');
      if (eq > 0)
        addValue(out, item.value.slice(0, eq), {
          value: item.value.slice(eq + 1),
          file: rel,
          line: lineOf(item.range[0]),
        });
    }
}

function compose(text: string, rel: string, out: DeploymentRoles): void {
  const parsed = yamlDoc(text);
  if (!parsed) return;
  const Y = yaml();
  const services = parsed.doc.get('services');
  if (!Y.isMap(services)) return;
  for (const service of services.items)
    if (Y.isMap(service.value)) envPairs(service.value.get('environment'), parsed.lineOf, rel, out);
}

/** A workflow's `env:` (workflow, job and step level) and the SQL its steps' `run:` hand psql. */
function workflow(text: string, rel: string, out: DeploymentRoles): void {
  const parsed = yamlDoc(text);
  if (!parsed) return;
  const Y = yaml();
  Y.visit(parsed.doc, {
    Pair(_, pair) {
      const key = Y.isScalar(pair.key) ? pair.key.value : undefined;
      if (key === 'env') envPairs(pair.value, parsed.lineOf, rel, out);
      else if (key === 'run' && Y.isScalar(pair.value) && typeof pair.value.value === 'string' && pair.value.range) {
        // A block scalar's text starts on the line after its `|`.
        const block = pair.value.type === 'BLOCK_LITERAL' || pair.value.type === 'BLOCK_FOLDED';
        const first = parsed.lineOf(pair.value.range[0]) + (block ? 1 : 0);
        shellRoles(shellSqlTexts(pair.value.value, first), rel, out);
      }
    },
  });
}

/** A cheap skip of SQL with no role statement at all; libpg-query reads the rest. */
export const ROLE_STATEMENT = /\b(?:CREATE|ALTER)\s+(?:ROLE|USER)\b/i;

/** CREATE ROLE / ALTER ROLE statements that set BYPASSRLS or SUPERUSER, read by libpg-query. */
function shellRoles(texts: readonly { sql: string; line: number }[], rel: string, out: DeploymentRoles): void {
  for (const { sql, line } of texts)
    if (ROLE_STATEMENT.test(sql))
      for (const d of roleDeclarations(sql, rel, line)) (out.roles[d.role] ??= []).push(d);
}

/** The role attributes a SQL text declares (a statement that does not parse is skipped, the others read). */
export function roleDeclarations(sql: string, file: string, firstLine: number): RoleDeclaration[] {
  const whole = parseSql(sql);
  const statements = whole.ok
    ? whole.statements.map((s) => ({ stmt: s.stmt, offset: s.location }))
    : splitStatements(sql).flatMap((piece) => {
        const one = parseSql(piece.text);
        return one.ok ? one.statements.map((s) => ({ stmt: s.stmt, offset: piece.offset + s.location })) : [];
      });
  const found: RoleDeclaration[] = [];
  const bytes = Buffer.from(sql);
  for (const { stmt, offset } of statements) {
    const create = (stmt as { CreateRoleStmt?: PgNode }).CreateRoleStmt;
    const alter = (stmt as { AlterRoleStmt?: PgNode }).AlterRoleStmt;
    const node = create ?? alter;
    if (!node) continue;
    const role = create ? (create.role as string) : (alter!.role as { rolename?: string } | undefined)?.rolename;
    if (!role) continue;
    const leading = bytes.subarray(0, offset).toString();
    // The statement's own first line, past the blank lines and comments libpg-query counts into its location.
    const skipped = /^(?:\s|--[^\n]*\n)*/.exec(bytes.subarray(offset).toString())![0];
    const line = firstLine + (leading + skipped).split('\n').length - 1;
    for (const o of (node.options as { DefElem?: PgNode }[] | undefined) ?? []) {
      const def = o.DefElem?.defname;
      if (def !== 'bypassrls' && def !== 'superuser') continue;
      const on = (o.DefElem?.arg as { Boolean?: { boolval?: boolean } } | undefined)?.Boolean?.boolval === true;
      const attribute = `${on ? '' : 'NO'}${def.toUpperCase()}`;
      found.push({ role, bypasses: on, attribute, file, line });
    }
  }
  return found;
}
