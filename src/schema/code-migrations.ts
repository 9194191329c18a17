import ts from '../ts.js';
import { OriginResolver, shortText } from '../code/origins.js';
import { FileSystemSourceHost } from '../code/source-host.js';
import { parseSource } from '../files/source.js';
import { fillHoles, HOLE, SqlTextFolder } from '../code/sql-text.js';
import { skipOuter } from '../syntax/wrappers.js';
import {
  knexIdentifier, NAME_HOLE, namedPlaceholdersToDollar, parseSql, questionPlaceholdersToDollar,
} from '../sql/parser.js';
import { holeInIdentifier } from './holes.js';

// Migrations written in TypeScript or JavaScript (knex, TypeORM, Kysely, node-pg-migrate,
// MikroORM): the SQL their `up` runs, as constant strings and templates, placed on the
// lines where the code holds them so evidence points at the migration file. `down` is
// skipped: it is not the schema's final state.

/** Whether a source file sits in a migrations folder and so may be a migration. */
export function isCodeMigrationPath(relPath: string): boolean {
  const segments = relPath.split('/');
  return segments.slice(0, -1).some((s) => /^migrations?$/i.test(s)) && !/\.d\.[cm]?ts$/.test(relPath);
}

export interface CodeMigration {
  /** A SQL file whose statements start on the lines the code holds them. */
  sql: string;
  /** Schema statements the code builds from names that cannot be folded to constants. */
  diagnostics: { line: number; message: string; incomplete?: boolean; force?: 'force' | 'no-force' }[];
}

export function sqlOfCodeMigration(file: string, text: string): string {
  return readCodeMigration(file, text).sql;
}

/**
 * Evaluates a migration's `up` the way the analysis folds SQL elsewhere, following what
 * the code does with constant names: helpers called with them (`secureTable(db, 'orders')`,
 * whose body runs ENABLE / FORCE / CREATE POLICY with its parameter, Kysely's
 * sql.table(name) included), loops over constant arrays (`for (const t of TABLES)`,
 * `TABLES.forEach((t) => …)`) and templates. A schema statement built from a name that
 * cannot be folded is a diagnostic, never silently dropped.
 */
export function readCodeMigration(file: string, text: string): CodeMigration {
  const sf = parseSource(file, text);
  const up = findUp(sf);
  const evaluator = new MigrationEvaluator(sf, up === undefined);
  // A start-up script without an `up` (schema/migration-shape.ts): the statements of its loops, in their order.
  const loops = up === undefined ? evaluator.ddlLoops() : [];
  if (loops.length > 0) for (const loop of loops) evaluator.readLoop(loop);
  else evaluator.visit(up ?? sf);
  // Rebuild a SQL file whose statements start on the lines the code holds them.
  let out = '';
  let line = 1;
  for (const p of evaluator.pieces.sort((a, b) => a.line - b.line)) {
    if (p.line > line) {
      out += '\n'.repeat(p.line - line);
      line = p.line;
    } else if (out !== '' && !out.endsWith('\n')) {
      out += ' '; // statements a loop or helper runs from one line share that line
    }
    const stmt = `${p.sql.trim().replace(/;\s*$/, '')};`;
    out += stmt;
    line += stmt.split('\n').length - 1;
  }
  if (out !== '') out += '\n';
  return { sql: out, diagnostics: evaluator.diagnostics };
}

/** Calls deep enough for a helper that calls a helper per table. */
const MAX_DEPTH = 6;

class MigrationEvaluator {
  readonly pieces: { line: number; sql: string }[] = [];
  readonly diagnostics: CodeMigration['diagnostics'] = [];
  private readonly folder: SqlTextFolder;
  private readonly origins: OriginResolver;
  /** Helpers being evaluated, and the line of the outermost call (where their SQL is placed). */
  private readonly stack: ts.Node[] = [];
  private at: number | undefined;

  /** `whole`: a file without an `up` (a helper module beside the migrations), read at top level only. */
  constructor(
    private readonly sf: ts.SourceFile,
    private readonly whole: boolean,
  ) {
    this.origins = new OriginResolver(new FileSystemSourceHost([sf]));
    this.folder = new SqlTextFolder(this.origins);
  }

  visit(n: ts.Node): void {
    if (isDown(n)) return;
    // A helper's body is evaluated where it is called, with the names it is given.
    if (this.whole && this.stack.length === 0 && ts.isFunctionLike(n) && n.parameters.length > 0) return;
    if (ts.isForOfStatement(n) && this.loop(n.initializer, n.expression, n.statement)) return;
    if (ts.isCallExpression(n)) {
      if (this.iteration(n)) return;
      // knex.raw(text, bindings): its identifier bindings (`??`, `:name:`) are spliced into the text as knex does.
      const bindings = isRaw(n) ? n.arguments[1] : undefined;
      n.arguments.forEach((arg, i) => {
        if (
          ts.isStringLiteralLike(arg) ||
          ts.isTemplateExpression(arg) ||
          ts.isTaggedTemplateExpression(arg) ||
          ts.isBinaryExpression(arg) ||
          ts.isIdentifier(arg)
        )
          this.statement(arg, i === 0 ? bindings : undefined);
      });
      this.helper(n);
    } else if (ts.isTaggedTemplateExpression(n)) {
      // sql`…`.execute(db) (Kysely), pgm.sql(`…`) handled above; a bare tagged template here.
      if (this.statement(n)) return;
    }
    ts.forEachChild(n, (c) => this.visit(c));
  }

  /** Folds one SQL-bearing expression; true when it was a schema statement (understood or not). */
  private statement(arg: ts.Expression, bindings?: ts.Expression): boolean {
    const folded = this.folder.sql(arg);
    if (!folded.ok || folded.variants.length !== 1) return false;
    const line = this.at ?? this.sf.getLineAndCharacterOfPosition(arg.getStart(this.sf)).line + 1;
    const spliced = bindings ? this.splice(fillHoles(folded.variants[0]!), bindings) : undefined;
    const sql = spliced?.text ?? fillHoles(folded.variants[0]!);
    const parsed = parseSql(sql);
    if (parsed.ok) {
      if (!parsed.statements.some((st) => SCHEMA_KINDS.has(Object.keys(st.stmt)[0]!))) return false;
      // A knex identifier binding that is no constant names an object only known when the migration runs.
      if (spliced?.unbound.length) {
        this.diagnostics.push({ line, message: unboundBinding(spliced.unbound, folded.variants[0]!), ...forceOf(sql) });
        return true;
      }
      // A hole that parses as a name (`ALTER TABLE "${t}" …` reads as a table called `$901`)
      // leaves the target unknown: noted, never read, so no phantom table enters the model.
      if (folded.holes.length > 0 && parsed.statements.some((st) => holeInIdentifier(st.stmt) !== null)) {
        this.diagnostics.push({ line, message: notUnderstood(folded.holes, folded.variants[0]!), ...forceOf(sql) });
        return true;
      }
      this.pieces.push({ line, sql });
      return true;
    }
    if (folded.holes.length === 0) return false;
    // Does a hole stand where a name goes? Then it is a schema statement whose target is unknown.
    const named = parseSql(folded.variants[0]!.split(HOLE).join('rlsguard_unfolded'));
    if (!named.ok || !named.statements.some((st) => SCHEMA_KINDS.has(Object.keys(st.stmt)[0]!))) return false;
    const text = folded.variants[0]!;
    this.diagnostics.push({ line, message: notUnderstood(folded.holes, text), ...forceOf(text) });
    return true;
  }

  /**
   * knex's identifier bindings spliced as knex quotes them: `??` takes the binding at its position in an array
   * (`knex.raw('ALTER TABLE ?? …', ['notes'])`), `:name:` the member of an object (`{ t: 'notes' }`). A binding that
   * does not fold to one constant (a parameter no caller fixes, a list read at run time) is spliced as NAME_HOLE and
   * named in `unbound`. The same rewrite as the app's SQL reader (src/sql/parser.ts).
   */
  private splice(text: string, bindings: ts.Expression): { text: string; unbound: string[] } {
    const unbound: string[] = [];
    const origin = this.origins.expr(bindings);
    const held = origin.kind === 'expr' ? skipOuter(origin.expr) : undefined;
    const member = (binding: number | string): ts.Expression | undefined => {
      if (!held) return undefined;
      if (typeof binding === 'number') {
        if (!ts.isArrayLiteralExpression(held) || held.elements.slice(0, binding + 1).some(ts.isSpreadElement))
          return undefined;
        return held.elements[binding];
      }
      if (!ts.isObjectLiteralExpression(held)) return undefined;
      for (const p of held.properties) {
        const name = p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : undefined;
        if (name !== binding) continue;
        if (ts.isPropertyAssignment(p)) return p.initializer;
        if (ts.isShorthandPropertyAssignment(p)) return p.name;
      }
      return undefined;
    };
    const identifier = (binding: number | string): string => {
      const expr = member(binding);
      const f = expr ? this.folder.constant(expr) : undefined;
      if (f?.ok && f.variants.length === 1) return knexIdentifier(f.variants[0]!);
      unbound.push(expr ? shortText(expr, 40) : typeof binding === 'number' ? `binding ${binding + 1}` : binding);
      return NAME_HOLE;
    };
    // Bindings in an array go with `?`/`??`, in an object with `:name`/`:name:` (knex's two forms of raw).
    const named = held ? ts.isObjectLiteralExpression(held) : !text.includes('??');
    const out = named ? namedPlaceholdersToDollar(text, identifier) : questionPlaceholdersToDollar(text, identifier);
    return { text: out, unbound };
  }

  /** for (const t of ['a', 'b']) …: the body once per constant element. */
  private loop(init: ts.ForInitializer, list: ts.Expression, body: ts.Node): boolean {
    const decl =
      ts.isVariableDeclarationList(init) && init.declarations.length === 1 ? init.declarations[0]! : undefined;
    const values = this.constantList(list);
    if (!decl || !ts.isIdentifier(decl.name) || !values) return false;
    for (const v of values) this.folder.withBindings(new Map([[decl, v]]), () => this.visit(body));
    return true;
  }

  /** TABLES.forEach((t) => …), TABLES.map(async (t) => …): the callback once per constant element. */
  private iteration(call: ts.CallExpression): boolean {
    const callee = call.expression;
    const cb = call.arguments[0];
    if (!ts.isPropertyAccessExpression(callee) || !['forEach', 'map', 'flatMap'].includes(callee.name.text) || !cb)
      return false;
    if (
      !(ts.isArrowFunction(cb) || ts.isFunctionExpression(cb)) ||
      !cb.parameters[0] ||
      !ts.isIdentifier(cb.parameters[0].name)
    )
      return false;
    const values = this.constantList(callee.expression);
    if (!values) return false;
    const param = cb.parameters[0];
    for (const v of values) this.folder.withBindings(new Map([[param, v]]), () => this.visit(cb.body));
    return true;
  }

  /** An array literal (or a const holding one) of constant strings. */
  private constantList(expr: ts.Expression): string[] | undefined {
    let e = skipOuter(expr);
    if (!ts.isArrayLiteralExpression(e)) {
      const origin = this.origins.expr(e);
      if (origin.kind !== 'expr') return undefined;
      e = skipOuter(origin.expr);
    }
    if (!ts.isArrayLiteralExpression(e)) return undefined;
    const out: string[] = [];
    for (const el of e.elements) {
      const f = ts.isSpreadElement(el) ? undefined : this.folder.constant(el);
      if (!f || !f.ok || f.variants.length !== 1) return undefined;
      out.push(f.variants[0]!);
    }
    return out;
  }

  /**
   * Loops that run the strings of a constant array one by one on an executor, as a start-up script does:
   * `for (const m of MIGRATIONS) await db.execute(sql.raw(m))`, `MIGRATIONS.forEach((m) => pool.query(m))`. The array
   * is a literal (or a const holding one) and the loop passes its variable to a call; at least one element is a
   * constant schema statement.
   */
  ddlLoops(): DdlLoop[] {
    const loops: DdlLoop[] = [];
    const visit = (n: ts.Node): void => {
      let loop: { name: string; list: ts.Expression; body: ts.Node } | undefined;
      if (ts.isForOfStatement(n) && ts.isVariableDeclarationList(n.initializer)) {
        const d = n.initializer.declarations;
        if (d.length === 1 && ts.isIdentifier(d[0]!.name))
          loop = { name: d[0]!.name.text, list: n.expression, body: n.statement };
      } else if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression)) {
        const cb = n.arguments[0];
        const fn = cb && (ts.isArrowFunction(cb) || ts.isFunctionExpression(cb)) ? cb : undefined;
        const p = fn?.parameters[0];
        if (fn && p && ts.isIdentifier(p.name) && ['forEach', 'map'].includes(n.expression.name.text))
          loop = { name: p.name.text, list: n.expression.expression, body: fn.body };
      }
      const elements = loop && passesToCall(loop.body, loop.name) ? this.arrayElements(loop.list) : undefined;
      if (loop && elements?.some((el) => this.isSchemaStatement(el)))
        loops.push({ line: this.lineOf(loop.list), elements });
      ts.forEachChild(n, visit);
    };
    visit(this.sf);
    return loops;
  }

  /**
   * A loop's statements, each on the line of its element. An element that is no constant (a spread, a value known
   * only at run time) may enable RLS on any table: noted as an incomplete read, never dropped.
   */
  readLoop(loop: DdlLoop): void {
    for (const el of loop.elements) {
      const f = ts.isSpreadElement(el) ? undefined : this.folder.sql(el);
      const read = f?.ok && f.variants.length === 1 && parseSql(fillHoles(f.variants[0]!)).ok;
      if (read) this.statement(el);
      // A template whose hole stands for a name is noted by `statement` (schema statement not understood).
      else if (!(f?.ok && f.holes.length > 0 && this.statement(el)))
        this.diagnostics.push({
          line: this.lineOf(el),
          message: `start-up statement not understood: \`${shortText(el, 60)}\` is run with the constant ` +
            `statements of the loop at line ${loop.line} but ` +
            `${f?.ok ? 'does not parse' : 'cannot be read statically'}` +
            `, so what it enables (row level security, a policy) is not in the model. Make it a constant statement, ` +
            `or list the tables it gates under "gatedTables.add" in the config.`,
          incomplete: true,
        });
    }
  }

  private arrayElements(expr: ts.Expression): ts.Expression[] | undefined {
    let e = skipOuter(expr);
    if (!ts.isArrayLiteralExpression(e)) {
      const origin = this.origins.expr(e);
      if (origin.kind !== 'expr') return undefined;
      e = skipOuter(origin.expr);
    }
    return ts.isArrayLiteralExpression(e) ? [...e.elements] : undefined;
  }

  private isSchemaStatement(el: ts.Expression): boolean {
    const f = ts.isSpreadElement(el) ? undefined : this.folder.sql(el);
    if (!f?.ok || f.variants.length !== 1 || f.holes.length > 0) return false;
    const parsed = parseSql(f.variants[0]!);
    return parsed.ok && parsed.statements.some((st) => SCHEMA_KINDS.has(Object.keys(st.stmt)[0]!));
  }

  private lineOf(n: ts.Node): number {
    return this.sf.getLineAndCharacterOfPosition(n.getStart(this.sf)).line + 1;
  }

  /** secureTable(db, 'orders'): the helper's body, its parameters holding the constant arguments. */
  private helper(call: ts.CallExpression): void {
    if (this.stack.length >= MAX_DEPTH) return;
    const target = this.origins.expr(call.expression);
    if (target.kind !== 'function' || !target.decl.body || this.stack.includes(target.decl)) return;
    const bindings = new Map<ts.Node, string>();
    // Arguments that are no constant string (an options object, or the parameter's default when the call passes
    // none) are bound as expressions: `options.column ?? 'tenant_id'` then folds per call.
    const args = new Map<ts.ParameterDeclaration, ts.Expression>();
    target.decl.parameters.forEach((p, i) => {
      const arg = call.arguments[i];
      const f = arg ? this.folder.constant(arg) : undefined;
      if (f?.ok && f.variants.length === 1) bindings.set(p, f.variants[0]!);
      else if (arg ?? p.initializer) args.set(p, (arg ?? p.initializer)!);
    });
    const outer = this.at;
    this.at ??= this.sf.getLineAndCharacterOfPosition(call.getStart(this.sf)).line + 1;
    this.stack.push(target.decl);
    // A helper in another module is placed at the call: evidence points at the migration.
    this.folder.withBindings(bindings, () => this.folder.withArgs(args, () => this.visit(target.decl.body!)));
    this.stack.pop();
    this.at = outer;
  }
}

interface DdlLoop {
  /** The line of the loop's array. */
  line: number;
  elements: ts.Expression[];
}

/** Whether a loop's body passes its variable to a call: `db.execute(sql.raw(m))`, `pool.query(m)`. */
function passesToCall(body: ts.Node, name: string): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isCallExpression(n) && n.arguments.some((a) => ts.isIdentifier(a) && a.text === name)) found = true;
    else ts.forEachChild(n, visit);
  };
  visit(body);
  return found;
}

/** Whether a source file runs a constant array of schema statements in a loop (a start-up migration script). */
export function runsConstantDdl(file: string, text: string): boolean {
  const sf = parseSource(file, text);
  return findUp(sf) === undefined && new MigrationEvaluator(sf, true).ddlLoops().length > 0;
}

/** Statements that shape the schema; data changes in a migration do not matter here. */
const SCHEMA_KINDS = new Set([
  'CreateStmt',
  'AlterTableStmt',
  'CreatePolicyStmt',
  'AlterPolicyStmt',
  'DropStmt',
  'RenameStmt',
  'CreateFunctionStmt',
  'AlterFunctionStmt',
  'CreateTrigStmt',
  'DoStmt',
  'CreateSchemaStmt',
  'AlterObjectSchemaStmt',
  'VariableSetStmt',
  'GrantStmt',
  'CreateRoleStmt',
  'AlterOwnerStmt',
  'CreateExtensionStmt',
]);

/** The `up` of a migration: exports.up, export function up, a class's `up` method, { up() {} }. */
function findUp(sf: ts.SourceFile): ts.Node | undefined {
  let found: ts.Node | undefined;
  const visit = (n: ts.Node): void => {
    if (found) return;
    const name = nameOf(n);
    if (
      name === 'up' &&
      (ts.isFunctionLike(n) || ts.isPropertyAssignment(n) || ts.isVariableDeclaration(n) || ts.isBinaryExpression(n))
    ) {
      found = n;
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

function isDown(n: ts.Node): boolean {
  return nameOf(n) === 'down' && (ts.isFunctionLike(n) || ts.isPropertyAssignment(n) || ts.isVariableDeclaration(n));
}

function nameOf(n: ts.Node): string | undefined {
  if (
    (ts.isFunctionDeclaration(n) ||
      ts.isMethodDeclaration(n) ||
      ts.isPropertyAssignment(n) ||
      ts.isVariableDeclaration(n)) &&
    n.name &&
    ts.isIdentifier(n.name)
  )
    return n.name.text;
  if (
    ts.isBinaryExpression(n) &&
    n.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
    ts.isPropertyAccessExpression(n.left)
  )
    return n.left.name.text;
  return undefined;
}

/** `knex.raw(…)`, `trx.raw(…)`, `knex.schema.raw(…)`: a call whose second argument holds the bindings. */
function isRaw(call: ts.CallExpression): boolean {
  const callee = call.expression;
  return ts.isPropertyAccessExpression(callee) && callee.name.text === 'raw' && call.arguments.length >= 2;
}

/** The diagnostic for a schema statement whose knex identifier binding is not a constant. */
function unboundBinding(unbound: readonly string[], variant: string): string {
  const shown = variant.trim().split('\n')[0]!.slice(0, 80).split(HOLE).join('${…}');
  return `schema statement not understood: the knex identifier binding \`${unbound.join('`, `')}\` names an ` +
    `object but cannot be folded to a constant (in \`${shown}\`), so what this statement enables (row level ` +
    `security, a policy) is not in the model. Bind a constant name, or list the tables under "gatedTables.add" in ` +
    `the config.`;
}

/** The diagnostic for a schema statement whose target name is not a constant. */
function notUnderstood(holes: readonly string[], variant: string): string {
  const shown = variant.trim().split('\n')[0]!.slice(0, 80).split(HOLE).join('${…}');
  return `schema statement not understood: \`${holes.join('`, `')}\` names an object but cannot be folded to a ` +
    `constant (in \`${shown}\`), so what this statement enables (row level security, a policy) is not in the model. ` +
    `Call the helper with constant names, or list the tables under "gatedTables.add" in the config.`;
}

/**
 * Whether a statement whose table is not read sets FORCE or NO FORCE ROW LEVEL SECURITY: the owner of whichever
 * tables it names is then held to, or freed from, their policies (SchemaDiagnostic.force).
 */
export function forceOf(sql: string): { force?: 'force' | 'no-force' } {
  if (/\bNO\s+FORCE\s+ROW\s+LEVEL\s+SECURITY\b/i.test(sql)) return { force: 'no-force' };
  if (/\bFORCE\s+ROW\s+LEVEL\s+SECURITY\b/i.test(sql)) return { force: 'force' };
  return {};
}
