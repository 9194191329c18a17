import path from 'node:path';
import ts from '../ts.js';
import { OriginResolver } from '../code/origins.js';
import { FileSystemSourceHost } from '../code/source-host.js';
import { parseSource, readSource, SOURCE_EXTENSIONS } from '../files/source.js';
import { walkFiles } from '../files/walk.js';
import { toPosixRelative } from '../files/paths.js';
import { skipOuter } from '../syntax/wrappers.js';
import { lookup } from '../code/scope.js';
import { setAsideKind } from '../report/set-aside.js';
import {
  declaredColumns, entityDecorator, type EntityColumn, entityTable, propertyName,
} from '../adapters/typeorm-entities.js';

// A schema TypeORM's `synchronize` makes: no migration creates the tables, TypeORM does, from the @Entity classes.
// Two shapes say a repository's schema is made so: a setup script that calls `dataSource.synchronize(…)` (and often
// then reads SQL files and runs them: `const sql = fs.readFileSync(path.join(__dirname, 'rls.sql'), 'utf8');
// await queryRunner.query(sql)`), and a DataSource option `synchronize: true` (the app synchronizes when it starts).
// The replay then creates the entities' tables with their columns at the line that synchronizes, and runs the SQL
// files the script runs after it, in the order it runs them: a `DO` block that enables RLS on every table of
// information_schema.columns with a `tenant_id` column finds the tables there, as it does at run time.

/** What one source file says about a synchronized schema (paths relative to the file's folder, '/' separators). */
export interface SetupShape {
  /** `script`: it calls synchronize() (a setup script: set aside as a migration); `option`: `synchronize: true`. */
  setup: 'script' | 'option';
  /** The line that synchronizes. */
  line: number;
  /** SQL files it reads and runs before synchronizing, and after, in the order it runs them. */
  before: string[];
  after: string[];
  /** What it runs that cannot be read: a SQL file whose path does not fold. */
  unread: { line: number; message: string }[];
}

/** Pre-filter for `setupShape`: the word must appear for the file to synchronize. */
export const SETUP_WORDS = /\bsynchronize\b/;

/** The setup shape of a module that uses TypeORM, or undefined when it neither calls synchronize() nor sets it true. */
export function setupShape(file: string, text: string): SetupShape | undefined {
  if (!SETUP_WORDS.test(text) || !/['"](typeorm|@nestjs\/typeorm)['"]/.test(text)) return undefined;
  const sf = parseSource(file, text);
  let call: ts.Node | undefined;
  let optionAt: ts.Node | undefined;
  let strategy: ts.Node | undefined;
  const runs: { at: number; line: number; file?: string; why?: string }[] = [];
  const lineOf = (n: ts.Node): number => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression)) {
      const name = n.expression.name.text;
      if (name === 'synchronize' && !call) call = n;
      if (name === 'query' && n.arguments[0]) {
        const read = readFileOf(n.arguments[0]);
        if (read) {
          const folded = foldPath(read);
          runs.push({
            at: n.getStart(sf),
            line: lineOf(n),
            ...(typeof folded === 'string' ? { file: folded } : { why: folded.why }),
          });
        }
      }
    }
    if (ts.isPropertyAssignment(n) && propertyName(n.name) === 'namingStrategy') strategy ??= n;
    if (
      ts.isPropertyAssignment(n) &&
      propertyName(n.name) === 'synchronize' &&
      n.initializer.kind === ts.SyntaxKind.TrueKeyword &&
      !optionAt
    )
      optionAt = n;
    ts.forEachChild(n, visit);
  };
  visit(sf);
  const at = call ?? optionAt;
  if (!at) return undefined;
  const pos = at.getStart(sf);
  const unread = runs
    .filter((r) => r.file === undefined)
    .map((r) => ({
      line: r.line,
      message:
        `SQL file not understood: this script runs the text of a file it reads (${r.why}), which cannot be known ` +
        'statically, so its statements are not in the RLS model; read it by a constant path ' +
        '(path.join(__dirname, "….sql")) or list the tables it gates under gatedTables.add',
    }));
  if (strategy)
    unread.push({
      line: lineOf(strategy),
      message:
        'synchronized schema not fully read: the DataSource names its tables and columns by a naming strategy, ' +
        'which is not applied (a column without a `name` is read as its property name); list the tables the SQL ' +
        'run after synchronize gates under gatedTables.add',
    });
  const files = (before: boolean): string[] =>
    runs.filter((r) => r.file !== undefined && r.at < pos === before).map((r) => r.file!);
  return { setup: call ? 'script' : 'option', line: lineOf(at), before: files(true), after: files(false), unread };
}

/** A const's initializer (scoped lookup, as the analysis resolves names), else the expression. */
function definition(e: ts.Expression): ts.Expression {
  const x = skipOuter(e);
  if (!ts.isIdentifier(x)) return x;
  const b = lookup(x);
  return b?.kind === 'variable' && b.flags === 'const' && b.path.length === 0 && b.decl.initializer
    ? skipOuter(b.decl.initializer)
    : x;
}

/** `fs.readFileSync(p, …)`, `readFileSync(p)`, `await fs.promises.readFile(p)`, `.toString()` of one: `p`. */
function readFileOf(arg: ts.Expression): ts.Expression | undefined {
  let e = definition(arg);
  for (let i = 0; i < 3; i++) {
    if (ts.isAwaitExpression(e)) e = skipOuter(e.expression);
    else if (
      ts.isCallExpression(e) &&
      ts.isPropertyAccessExpression(e.expression) &&
      e.expression.name.text === 'toString'
    )
      e = skipOuter(e.expression.expression);
  }
  if (!ts.isCallExpression(e)) return undefined;
  const callee = e.expression;
  const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : '';
  return name === 'readFileSync' || name === 'readFile' ? e.arguments[0] : undefined;
}

/** A path relative to the script's folder: `path.join(__dirname, '…')`, `path.resolve(__dirname, …)`. */
function foldPath(p: ts.Expression): string | { why: string } {
  const e = definition(p);
  if (ts.isCallExpression(e)) {
    const callee = e.expression;
    const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : '';
    if ((name === 'join' || name === 'resolve') && e.arguments.length > 0) {
      const parts: string[] = [];
      for (const [i, a] of e.arguments.entries()) {
        const x = definition(a);
        if (i === 0 && ts.isIdentifier(x) && x.text === '__dirname') continue;
        if (i === 0) return { why: `\`${e.getText().slice(0, 60)}\` is not relative to the script's folder` };
        if (ts.isStringLiteral(x) || ts.isNoSubstitutionTemplateLiteral(x)) parts.push(x.text);
        else return { why: `\`${x.getText().slice(0, 60)}\` is not a constant` };
      }
      return path.posix.join('.', ...parts);
    }
  }
  return { why: `\`${e.getText().slice(0, 60)}\` is not a path relative to the script's folder` };
}

/**
 * The tables `synchronize` creates, as SQL placed on `line` of the script (one statement per entity table), for every
 * @Entity class of the root outside tests whose table is not in `exclude` (tables a migration creates: those are
 * the migrations' to make). `unread` lists what cannot be read, each an incomplete read of the model.
 */
export function synchronizedTables(
  root: string,
  ignore: readonly string[],
  script: string,
  line: number,
  exclude: (table: string) => boolean,
): { sql: string; unread: { line: number; message: string }[] } {
  const walked = walkFiles([root], { extensions: SOURCE_EXTENSIONS, ignore: [...ignore] }, root);
  const host = new FileSystemSourceHost();
  const origins = new OriginResolver(host);
  const constant = (e: ts.Expression): string | undefined => {
    const x = skipOuter(e);
    if (ts.isStringLiteral(x) || ts.isNoSubstitutionTemplateLiteral(x)) return x.text;
    if (!ts.isIdentifier(x) && !ts.isPropertyAccessExpression(x)) return undefined;
    const o = origins.expr(x);
    return o.kind === 'expr' && (ts.isStringLiteral(o.expr) || ts.isNoSubstitutionTemplateLiteral(o.expr))
      ? o.expr.text
      : undefined;
  };
  const unread: { line: number; message: string }[] = [];
  const statements: string[] = [];
  const tables = new Map<string, { name: string; schema?: string; columns: Map<string, string> }>();
  const columnsCache = new Map<ts.ClassLikeDeclaration, { columns: EntityColumn[]; unread: string[] }>();
  const classOf = (e: ts.Expression): ts.ClassLikeDeclaration | 'typeorm' | undefined => {
    const o = origins.expr(e);
    if (o.kind === 'class') return o.decl;
    if (o.kind === 'external' && o.module === 'typeorm') return 'typeorm';
    return undefined;
  };
  /** The type of an entity's single primary key, its own or a base class's; relations are not followed. */
  const keyOf = (cls: ts.ClassLikeDeclaration, depth = 0): string | undefined => {
    const keys = declaredColumns(cls, constant, () => 'text').columns.filter((c) => c.primary);
    if (keys.length) return keys.length === 1 ? keys[0]!.type : undefined;
    const base = cls.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0]?.expression;
    const b = base && depth < 8 ? classOf(base) : undefined;
    return b && b !== 'typeorm' ? keyOf(b, depth + 1) : undefined;
  };
  const columnsOf = (cls: ts.ClassLikeDeclaration, depth = 0): { columns: EntityColumn[]; unread: string[] } => {
    const hit = columnsCache.get(cls);
    if (hit) return hit;
    const unreadHere: string[] = [];
    let inherited: EntityColumn[] = [];
    const base = cls.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0]?.expression;
    if (base && depth < 8) {
      const b = classOf(base);
      if (b === undefined) unreadHere.push(`its base class \`${base.getText().slice(0, 40)}\` cannot be followed`);
      else if (b !== 'typeorm') {
        const got = columnsOf(b, depth + 1);
        inherited = got.columns;
        unreadHere.push(...got.unread);
      }
    }
    const own = declaredColumns(cls, constant, (target) => {
      const t = classOf(target);
      return t === undefined || t === 'typeorm' ? undefined : keyOf(t);
    });
    const names = new Set(own.columns.map((c) => c.name));
    const result = { columns: [...inherited.filter((c) => !names.has(c.name)), ...own.columns], unread: unreadHere };
    result.unread.push(...own.unread);
    columnsCache.set(cls, result);
    return result;
  };
  for (const file of walked.files) {
    const rel = toPosixRelative(root, file);
    if (setAsideKind(rel) === 'tests' || /\.d\.[cm]?ts$/.test(file)) continue;
    const read = readSource(file);
    if (!read.ok || !read.text.includes('@Entity')) continue;
    const sf = host.getSourceFile(path.resolve(file));
    if (!sf) continue;
    for (const st of sf.statements) {
      if (!ts.isClassDeclaration(st)) continue;
      const decorator = entityDecorator(st);
      if (!decorator || (decorator.expression as ts.Identifier).text !== 'Entity') continue;
      const where = `${rel}:${sf.getLineAndCharacterOfPosition(st.getStart(sf)).line + 1}`;
      const table = entityTable(st, constant);
      if ('unresolved' in table) {
        unread.push({ line, message: synchronizeGap(`the table of the entity at ${where}`, table.unresolved) });
        continue;
      }
      const qualified = `${table.schema ?? 'public'}.${table.name}`;
      if (exclude(qualified)) continue;
      const { columns, unread: gaps } = columnsOf(st);
      if (gaps.length)
        unread.push({ line, message: synchronizeGap(`the columns of ${qualified} (${where})`, gaps.join('; ')) });
      // Two entities on one table: synchronize creates it for the first and adds the second's other columns.
      const known = tables.get(qualified);
      if (known) for (const c of columns) known.columns.has(c.name) || known.columns.set(c.name, c.type);
      else {
        const own = new Map<string, string>();
        for (const c of columns) if (!own.has(c.name)) own.set(c.name, c.type);
        tables.set(qualified, { ...table, columns: own });
      }
    }
  }
  const ident = (s: string): string => `"${s.replace(/"/g, '""')}"`;
  for (const t of tables.values()) {
    const name = t.schema ? `${ident(t.schema)}.${ident(t.name)}` : ident(t.name);
    statements.push(`CREATE TABLE ${name} (${[...t.columns].map(([c, type]) => `${ident(c)} ${type}`).join(', ')})`);
  }
  return { sql: statements.length ? `${'\n'.repeat(line - 1)}${statements.join('; ')};\n` : '', unread };
}

function synchronizeGap(what: string, why: string): string {
  return (
    `synchronized schema not fully read: ${what} cannot be read (${why}); synchronize() creates it, so row-level ` +
    'security the SQL run after it enables there may be missed: list such tables under gatedTables.add'
  );
}

/** Absolute paths of the SQL files a setup script at `file` runs. */
export function runFiles(file: string, list: readonly string[]): string[] {
  return list.map((f) => path.resolve(path.dirname(file), f));
}
