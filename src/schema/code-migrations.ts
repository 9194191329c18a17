import ts from 'typescript';
import { OriginResolver } from '../analysis/origins.js';
import { FileSystemSourceHost, parseSource } from '../analysis/source-host.js';
import { fillHoles, HOLE, SqlTextFolder } from '../analysis/sql-text.js';
import { parseSql } from '../sql/parser.js';
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

/** A statement of a code migration that was set aside, with why (reported as a schema diagnostic). */
export interface MigrationNote {
  line: number;
  message: string;
}

export function sqlOfCodeMigration(file: string, text: string, notes: MigrationNote[] = []): string {
  const sf = parseSource(file, text);
  const up = findUp(sf);
  const origins = new OriginResolver(new FileSystemSourceHost([sf]));
  const folder = new SqlTextFolder(origins);
  const pieces: { line: number; sql: string }[] = [];
  const noteHole = (node: ts.Node, shown: string): void => {
    const line = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
    notes.push({ line, message: `not understood: a name in this migration statement is not a constant (\`${shown}\`), so it is left out of the RLS model; declare the tables it gates with gatedTables.add` });
  };
  // A statement whose target is a hole (a name the folder could not make constant) is not
  // understood: it is noted, never read, so no phantom `$901` table enters the model.
  const keep = (node: ts.Node, variant: string, sql: string, statements: readonly { stmt: unknown }[]): boolean => {
    if (!variant.includes(HOLE)) return true;
    if (!statements.some((s) => holeInIdentifier(s.stmt) !== null)) return true;
    noteHole(node, showHoles(sql.trim().split('\n')[0]!.slice(0, 80)));
    return false;
  };
  // A statement that only parses once its holes are names (`ALTER TABLE ${t} ENABLE …`,
  // `CREATE POLICY ${t}_by_org …`) shapes the schema through a name that is not a constant:
  // noted as not understood, like a hole that parses as a quoted name.
  const unparsedHole = (node: ts.Node, variant: string): void => {
    if (!variant.includes(HOLE)) return;
    const probe = parseSql(variant.split(HOLE).join('rlsguard_hole'));
    if (!probe.ok || !probe.statements.some((s) => SCHEMA_KINDS.has(Object.keys(s.stmt)[0]!))) return;
    noteHole(node, variant.trim().split('\n')[0]!.slice(0, 80).split(HOLE).join('${…}'));
  };
  const visit = (n: ts.Node): void => {
    if (isDown(n)) return;
    if (ts.isCallExpression(n)) {
      for (const arg of n.arguments) {
        if (!ts.isStringLiteralLike(arg) && !ts.isTemplateExpression(arg) && !ts.isTaggedTemplateExpression(arg) && !ts.isBinaryExpression(arg)) continue;
        const folded = folder.sql(arg);
        if (!folded.ok || folded.variants.length !== 1) continue;
        const sql = fillHoles(folded.variants[0]!);
        const parsed = parseSql(sql);
        if (!parsed.ok) unparsedHole(arg, folded.variants[0]!);
        if (!parsed.ok || !parsed.statements.some((s) => SCHEMA_KINDS.has(Object.keys(s.stmt)[0]!))) continue;
        if (!keep(arg, folded.variants[0]!, sql, parsed.statements)) continue;
        pieces.push({ line: sf.getLineAndCharacterOfPosition(arg.getStart(sf)).line + 1, sql });
      }
    } else if (ts.isTaggedTemplateExpression(n)) {
      // sql`…`.execute(db) (Kysely), pgm.sql(`…`) handled above; a bare tagged template here.
      const folded = folder.sql(n);
      if (folded.ok && folded.variants.length === 1) {
        const sql = fillHoles(folded.variants[0]!);
        const parsed = parseSql(sql);
        if (!parsed.ok) unparsedHole(n, folded.variants[0]!);
        if (parsed.ok && parsed.statements.some((s) => SCHEMA_KINDS.has(Object.keys(s.stmt)[0]!)) && keep(n, folded.variants[0]!, sql, parsed.statements)) pieces.push({ line: sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1, sql });
        return;
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(up ?? sf);
  // Rebuild a SQL file whose statements start on the lines the code holds them.
  let out = '';
  let line = 1;
  for (const p of pieces.sort((a, b) => a.line - b.line)) {
    if (p.line > line) {
      out += '\n'.repeat(p.line - line);
      line = p.line;
    }
    const stmt = `${p.sql.trim().replace(/;\s*$/, '')};\n`;
    out += stmt;
    line += stmt.split('\n').length - 1;
  }
  return out;
}

/** The statement's first line with the hole shown as the interpolation it stands for. */
function showHoles(first: string): string {
  return first.replace(/\$9\d\d/g, '${…}');
}

/** Statements that shape the schema; data changes in a migration do not matter here. */
const SCHEMA_KINDS = new Set([
  'CreateStmt', 'AlterTableStmt', 'CreatePolicyStmt', 'AlterPolicyStmt', 'DropStmt', 'RenameStmt', 'CreateFunctionStmt', 'AlterFunctionStmt',
  'CreateTrigStmt', 'DoStmt', 'CreateSchemaStmt', 'AlterObjectSchemaStmt', 'VariableSetStmt', 'GrantStmt', 'CreateRoleStmt', 'AlterOwnerStmt', 'CreateExtensionStmt',
]);

/** The `up` of a migration: exports.up, export function up, a class's `up` method, { up() {} }. */
function findUp(sf: ts.SourceFile): ts.Node | undefined {
  let found: ts.Node | undefined;
  const visit = (n: ts.Node): void => {
    if (found) return;
    const name = nameOf(n);
    if (name === 'up' && (ts.isFunctionLike(n) || ts.isPropertyAssignment(n) || ts.isVariableDeclaration(n) || ts.isBinaryExpression(n))) {
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
  if ((ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isPropertyAssignment(n) || ts.isVariableDeclaration(n)) && n.name && ts.isIdentifier(n.name)) return n.name.text;
  if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isPropertyAccessExpression(n.left)) return n.left.name.text;
  return undefined;
}
