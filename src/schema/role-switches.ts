import fs from 'node:fs';
import path from 'node:path';
import ts from '../ts.js';
import { type InputStore, rememberedFileScan } from '../files/input-store.js';
import { parseSource, SOURCE_EXTENSIONS } from '../files/source.js';
import { functionName } from '../code/origins.js';
import { isFunctionLike } from '../code/scope.js';
import { fillHoles, HOLE, HOLE_BASE } from '../code/sql-text.js';
import { setAsideKind } from '../report/set-aside.js';
import { classifyStatement, RUN_TIME_ROLE } from '../sql/classify.js';
import { parseSql } from '../sql/parser.js';

// Scope helpers that switch the role their transaction runs as before they hand their callback the connection
// (contaflow's `withCompanyContext`: `SET LOCAL ROLE authenticated`, "neutralises the login's BYPASSRLS"; darna's
// `withOrg`: `SET LOCAL ROLE darna_app` over the compose superuser). Such a switch says the role the connection logs
// in as is not held to the policies, so a write of the same package made off the helper runs as that login: the
// message of an unscoped write says so (analysis/role-switch-note.ts), its verdict stays what it was.
//
// A repository-level fact read once from the sources' text, as the deployment files are (deploy-roles.ts), so that
// both front ends have it whatever file they judge: the helper is rarely imported by the file of a write made off it.
// The text of each SQL literal is read by libpg-query; a statement the code builds at run time is not read.

export interface RoleSwitch {
  /** The function that switches, as `where` names it (its start line), root-relative. */
  helper: string;
  file: string;
  line: number;
  /**
   * The role switched to; where an interpolation names it (`SET LOCAL ROLE "${process.env.APP_ROLE}"`), that
   * expression's text, with `runTime` set.
   */
  role: string;
  runTime?: true;
  /** How: `SET LOCAL ROLE` or `set_config('role', …, true)`, and the statement's line. */
  how: string;
  at: number;
  /** The transaction-local settings the helper sets before it calls its callback (the role left out). */
  settings: string[];
  /**
   * The switch is only tried: its statement is one of a list of alternatives, or runs in a `try` whose failure the
   * helper goes on past (Oppsera's `withAdminDb`), so the callback may run as the login all the same.
   */
  attempted: boolean;
}

export interface RoleSwitches {
  switches: RoleSwitch[];
  /** The folders holding a package.json (root-relative, '' for the root): a switch speaks for its own package. */
  packages: string[];
}

/** Text that may switch the role transaction-locally; only files that hold it are parsed. */
const MAY_SWITCH = /set\s+local\s+role\b|set_config\s*\(\s*['"]role['"]/i;
const MAX_BYTES = 2 * 1024 * 1024;

/**
 * Reads the switches of the app's source files among `files` (absolute), tests, seeds and migrations left out. With
 * `inputs`, each file's are kept by its content hash (a warm run reads no file whose stat is unchanged); `text` gives
 * the text a caller has already read (the walker's listing).
 */
export function readRoleSwitches(
  root: string,
  files: readonly string[],
  options: { inputs?: InputStore; text?: (abs: string) => string | undefined } = {},
): RoleSwitches {
  const relative = (abs: string): string => path.relative(root, abs).split(path.sep).join('/');
  const packages: string[] = [];
  const sources: string[] = [];
  for (const abs of files) {
    const rel = relative(abs);
    const name = path.basename(abs);
    if (name === 'package.json') packages.push(rel === name ? '' : path.posix.dirname(rel));
    if (SOURCE_EXTENSIONS.some((e) => name.endsWith(e)) && !name.endsWith('.d.ts') && !setAsideKind(rel))
      sources.push(abs);
  }
  const scan = (abs: string): RoleSwitch[] => {
    const text = options.text?.(abs) ?? readText(abs);
    return text !== undefined && MAY_SWITCH.test(text) ? fileSwitches(parseSource(abs, text), relative(abs)) : [];
  };
  const switches = options.inputs
    ? rememberedFileScan(sources, options.inputs, { section: 'role-switches', maxBytes: MAX_BYTES, relative }, scan)
    : sources.flatMap(scan);
  return { switches, packages: packages.sort() };
}

function readText(abs: string): string | undefined {
  try {
    const text = fs.readFileSync(abs, 'utf8');
    return text.length > MAX_BYTES ? undefined : text;
  } catch {
    return undefined; // an unreadable file is the audit's to report; it switches nothing here
  }
}

interface Statement {
  node: ts.Node;
  role?: string;
  runTime?: true;
  how?: string;
  settings: string[];
}

function fileSwitches(sf: ts.SourceFile, rel: string): RoleSwitch[] {
  const statements: Statement[] = [];
  const visit = (n: ts.Node): void => {
    const sql = sqlText(n);
    if (sql !== undefined) {
      const read = readStatement(sql.text, sql.holes);
      if (read) statements.push({ node: n, ...read });
      return;
    }
    n.forEachChild(visit);
  };
  visit(sf);
  const out: RoleSwitch[] = [];
  for (const s of statements) {
    if (!s.role) continue;
    const helper = helperOf(s.node, sf);
    if (!helper) continue;
    const builder = helper.builder;
    const settings = statements
      .filter((o) => (o.node.pos < helper.callback.pos && within(o.node, helper.fn)) ||
        (builder !== undefined && within(o.node, builder.fn)))
      .flatMap((o) => o.settings);
    out.push({
      helper: functionName(helper.fn),
      file: rel,
      line: lineOf(sf, helper.fn),
      role: s.role,
      ...(s.runTime ? { runTime: true as const } : {}),
      how: s.how!,
      at: lineOf(sf, s.node),
      settings: [...new Set(settings)].sort(),
      attempted: builder
        ? attempted(s.node, builder.fn) || attempted(builder.call, helper.fn)
        : attempted(s.node, helper.fn),
    });
  }
  return out;
}

/**
 * The text of a string literal or template, its interpolations as bind parameters `$901…` as the SQL folds number
 * them (code/sql-text.ts `fillHoles`; `holes`: their code), else undefined.
 */
function sqlText(n: ts.Node): { text: string; holes: string[] } | undefined {
  if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) return { text: n.text, holes: [] };
  if (!ts.isTemplateExpression(n)) return undefined;
  const text = fillHoles(n.head.text + n.templateSpans.map((s) => `${HOLE}${s.literal.text}`).join(''));
  return { text, holes: n.templateSpans.map((s) => s.expression.getText()) };
}

/** A role switched to transaction-locally, and the settings set transaction-locally, by one literal's statements. */
function readStatement(text: string, holes: readonly string[]): Omit<Statement, 'node'> | undefined {
  if (!/\b(set|set_config)\b/i.test(text)) return undefined;
  const parsed = parseSql(text);
  if (!parsed.ok) return undefined;
  let role: string | undefined;
  let runTime: true | undefined;
  let how: string | undefined;
  const settings: string[] = [];
  for (const st of parsed.statements) {
    const effect = classifyStatement(st, { defaultSchema: 'public', setterFunctions: new Map() });
    const r = effect.role;
    if (r?.local && r.name && r.name !== RUN_TIME_ROLE && !role) {
      // A quoted interpolation parses as a role named `$901`: the role its expression names at run time.
      const hole = /^\$(\d+)$/.exec(r.name);
      const code = hole ? holes[Number(hole[1]) - HOLE_BASE - 1] : undefined;
      if (hole && !code) continue;
      role = code ?? r.name;
      if (code) runTime = true;
      how = effect.contextSets.some((c) => c.setting === 'role') ? "set_config('role', …, true)" : 'SET LOCAL ROLE';
    }
    for (const c of effect.contextSets) if (c.local === true && c.setting !== 'role') settings.push(c.setting);
  }
  return role || settings.length ? { ...(role ? { role, how } : {}), ...(runTime ? { runTime } : {}), settings } :
    undefined;
}

interface Helper {
  fn: ts.FunctionLikeDeclaration;
  /** The call of its own parameter after the switch: its callback. */
  callback: ts.CallExpression;
  /** The function of the file that builds the switch's text, and the helper's call of it, when another does. */
  builder?: { fn: ts.FunctionLikeDeclaration; call: ts.CallExpression };
}

/**
 * The helper a switch is made for: the function it is made in that calls one of its own parameters after it, or, one
 * level out, a function of the file that calls the one the switch's text is built in (insight-desk's
 * `buildSetTenantContextSQL`, `statements.push("SET LOCAL ROLE app_user")`) and then its own parameter. A switch no
 * such function runs is no helper's.
 */
function helperOf(node: ts.Node, sf: ts.SourceFile): Helper | undefined {
  const direct = callingHelper(node);
  if (direct) return direct;
  let builder: ts.Node | undefined = node.parent;
  while (builder && !isFunctionLike(builder)) builder = builder.parent;
  if (!builder || !isFunctionLike(builder) || functionName(builder) === '<anonymous>') return undefined;
  const fn = builder;
  const name = functionName(fn);
  let found: Helper | undefined;
  const visit = (c: ts.Node): void => {
    if (found) return;
    if (ts.isCallExpression(c) && ts.isIdentifier(c.expression) && c.expression.text === name && !within(c, fn)) {
      const h = callingHelper(c);
      if (h) found = { ...h, builder: { fn, call: c } };
    }
    c.forEachChild(visit);
  };
  visit(sf);
  return found;
}

/** The function around `node` that calls one of its own parameters after it (its callback, `fn(tx)`), nearest first. */
function callingHelper(node: ts.Node): Helper | undefined {
  for (let n = node.parent; n; n = n.parent) {
    if (!isFunctionLike(n)) continue;
    const params = new Set(n.parameters.flatMap((p) => (ts.isIdentifier(p.name) ? [p.name.text] : [])));
    let callback: ts.CallExpression | undefined;
    const find = (c: ts.Node): void => {
      if (callback) return;
      if (ts.isCallExpression(c) && c.pos > node.pos) {
        const callee = c.expression;
        if (ts.isIdentifier(callee) && params.has(callee.text)) callback = c;
      }
      c.forEachChild(find);
    };
    if (n.body) find(n.body);
    if (callback) return { fn: n, callback };
  }
  return undefined;
}

/** One of a list of statements (an array's element), or in a `try` block of the helper: tried, not sure to hold. */
function attempted(node: ts.Node, fn: ts.Node): boolean {
  for (let n = node.parent; n && n !== fn; n = n.parent) {
    if (ts.isArrayLiteralExpression(n)) return true;
    if (ts.isBlock(n) && n.parent && ts.isTryStatement(n.parent) && n.parent.tryBlock === n) {
      // A try whose catch rethrows stops the helper: the callback never runs without the switch.
      const handler = n.parent.catchClause?.block;
      if (!handler || rethrows(handler)) continue;
      return true;
    }
  }
  return false;
}

function rethrows(block: ts.Block): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (ts.isThrowStatement(n)) found = true;
    else if (!found && !isFunctionLike(n)) n.forEachChild(visit);
  };
  visit(block);
  return found;
}

function within(node: ts.Node, fn: ts.Node): boolean {
  return node.pos >= fn.pos && node.end <= fn.end;
}

function lineOf(sf: ts.SourceFile, node: ts.Node): number {
  return sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
}
