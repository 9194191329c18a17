import fs from 'node:fs';
import ts from '../ts.js';
import { parseSource, sharedRead, SOURCE_EXTENSIONS } from '../files/source.js';
import { walkFiles } from '../files/walk.js';
import { parseSql } from '../sql/parser.js';
import { expressionReads } from './model.js';
import { toPosixRelative } from '../files/paths.js';
import { type InputStore, rememberedFileScan } from '../files/input-store.js';

// Drizzle schemas declare RLS in code: pgTable('t', cols).enableRLS(), pgTable.withRLS(…),
// or policies in the table's extra config (pgPolicy(…), which enables RLS by itself).
// drizzle-kit turns them into migrations; for tables no migration mentions, the
// declaration is the best witness of what the database will enforce.

export interface DrizzleRls {
  table: string;
  at: { file: string; line: number };
  policies: { name: string; settings: string[]; functions: string[]; switches?: string[] }[];
}

const cache = new Map<string, { stamp: string; found: DrizzleRls[] }>();
const MAX_BYTES = 2_000_000;

export function drizzleRlsTables(root: string, ignore: readonly string[], inputs?: InputStore): DrizzleRls[] {
  const walked = walkFiles([root], { extensions: SOURCE_EXTENSIONS, ignore: [...ignore] }, root);
  if (inputs) {
    const relative = (f: string): string => toPosixRelative(root, f);
    return rememberedFileScan(walked.files, inputs, { section: 'drizzle', maxBytes: MAX_BYTES, relative }, (f) =>
      scanFile(root, f),
    );
  }
  const candidates: { file: string; text: string }[] = [];
  const stamps: string[] = [];
  for (const file of walked.files) {
    try {
      // Within an audit run the listing's stat and text of the file (files/source.ts), not a second read.
      const st = sharedRead(file) ?? fs.statSync(file);
      if (st.size > MAX_BYTES) continue;
      const text = 'text' in st ? st.text : fs.readFileSync(file, 'utf8');
      // Only schema modules import pg-core; everything else is skipped without parsing.
      if (!text.includes('drizzle-orm/pg-core')) continue;
      candidates.push({ file, text });
      stamps.push(`${file}:${st.mtimeMs}`);
    } catch {
      // unreadable: the walker reports it
    }
  }
  const stamp = stamps.join('\n');
  const hit = cache.get(root);
  if (hit && hit.stamp === stamp) return hit.found;
  const found: DrizzleRls[] = [];
  for (const c of candidates) found.push(...scan(root, c.file, c.text));
  cache.set(root, { stamp, found });
  return found;
}

/** One file's tables, remembered by its path and content: unchanged files are not read. */
function scanFile(root: string, file: string): DrizzleRls[] {
  let text: string;
  try {
    text = sharedRead(file)?.text ?? fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text.includes('drizzle-orm/pg-core') ? scan(root, file, text) : [];
}

function scan(root: string, file: string, text: string): DrizzleRls[] {
  // The audit's own parse of the file (shared within a run): the scan reads no JSDoc.
  const sf = parseSource(file, text);
  const rel = toPosixRelative(root, file);
  const schemas = new Map<string, string>();
  const out: DrizzleRls[] = [];
  const line = (n: ts.Node): number => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
  const tablesByVariable = new Map<string, string>();
  const linked: { variable: string; call: ts.CallExpression }[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer && ts.isCallExpression(n.initializer)) {
      const c = n.initializer;
      if (
        ts.isIdentifier(c.expression) &&
        c.expression.text === 'pgSchema' &&
        c.arguments[0] &&
        ts.isStringLiteralLike(c.arguments[0])
      )
        schemas.set(n.name.text, c.arguments[0].text);
    }
    if (ts.isCallExpression(n)) {
      const table = tableCall(n, schemas);
      if (table) {
        const declared = declaredAs(n);
        if (declared) tablesByVariable.set(declared, table.name);
        const policies = policiesIn(n.arguments[2], sf);
        const enabled = table.withRls || policies.length > 0 || isEnableRls(n);
        if (enabled) out.push({ table: table.name, at: { file: rel, line: line(n) }, policies });
      }
      // pgPolicy('p', {…}).link(orders): a policy declared apart from its table enables RLS on it too.
      const callee = n.expression;
      if (
        ts.isPropertyAccessExpression(callee) &&
        callee.name.text === 'link' &&
        n.arguments[0] &&
        ts.isIdentifier(n.arguments[0]) &&
        isPolicyCall(callee.expression)
      ) {
        linked.push({ variable: n.arguments[0].text, call: n });
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  for (const l of linked) {
    const table = tablesByVariable.get(l.variable);
    if (table) out.push({ table, at: { file: rel, line: line(l.call) }, policies: policiesIn(l.call.expression, sf) });
  }
  return out;
}

function tableCall(
  call: ts.CallExpression,
  schemas: Map<string, string>,
): { name: string; withRls: boolean } | undefined {
  const first = call.arguments[0];
  if (!first || !ts.isStringLiteralLike(first)) return undefined;
  const callee = call.expression;
  if (ts.isIdentifier(callee) && callee.text === 'pgTable') return { name: `public.${first.text}`, withRls: false };
  if (ts.isPropertyAccessExpression(callee)) {
    const base = callee.expression;
    if (ts.isIdentifier(base) && base.text === 'pgTable' && callee.name.text === 'withRLS')
      return { name: `public.${first.text}`, withRls: true };
    if (callee.name.text === 'table' && ts.isIdentifier(base) && schemas.has(base.text))
      return { name: `${schemas.get(base.text)}.${first.text}`, withRls: false };
  }
  return undefined;
}

/** The variable a table declaration is assigned to (`export const orders = pgTable(…).enableRLS()`). */
function declaredAs(call: ts.CallExpression): string | undefined {
  let n: ts.Node = call;
  while (
    n.parent &&
    (ts.isPropertyAccessExpression(n.parent) || (ts.isCallExpression(n.parent) && n.parent.expression === n))
  )
    n = n.parent;
  return n.parent && ts.isVariableDeclaration(n.parent) && ts.isIdentifier(n.parent.name)
    ? n.parent.name.text
    : undefined;
}

function isPolicyCall(e: ts.Expression): boolean {
  return ts.isCallExpression(e) && ts.isIdentifier(e.expression) && e.expression.text === 'pgPolicy';
}

/** pgTable(…).enableRLS() */
function isEnableRls(call: ts.CallExpression): boolean {
  const access = call.parent;
  return (
    !!access &&
    ts.isPropertyAccessExpression(access) &&
    access.name.text === 'enableRLS' &&
    !!access.parent &&
    ts.isCallExpression(access.parent)
  );
}

function policiesIn(extra: ts.Expression | undefined, sf: ts.SourceFile): DrizzleRls['policies'] {
  const out: DrizzleRls['policies'] = [];
  if (!extra) return out;
  const visit = (n: ts.Node): void => {
    if (isPolicyCall(n as ts.Expression) && (n as ts.CallExpression).arguments[0]) {
      const call = n as ts.CallExpression;
      const nameArg = call.arguments[0]!;
      const exprs: unknown[] = [];
      const options = call.arguments[1];
      if (options && ts.isObjectLiteralExpression(options)) {
        for (const p of options.properties) {
          if (!ts.isPropertyAssignment(p) || !['using', 'withCheck'].includes(p.name.getText(sf))) continue;
          const sqlText = templateText(p.initializer);
          const parsed = sqlText === undefined ? undefined : parseSql(`SELECT 1 WHERE ${sqlText}`);
          if (parsed?.ok)
            exprs.push(
              (parsed.statements[0]?.stmt as { SelectStmt?: { whereClause?: unknown } }).SelectStmt?.whereClause,
            );
        }
      }
      out.push({
        name: ts.isStringLiteralLike(nameArg) ? nameArg.text : nameArg.getText(sf),
        ...expressionReads(exprs, { searchPath: 'public' }),
      });
    }
    ts.forEachChild(n, visit);
  };
  visit(extra);
  return out;
}

/** sql`…` with constant parts; interpolations (column references) become a neutral name. */
function templateText(e: ts.Expression): string | undefined {
  if (!ts.isTaggedTemplateExpression(e)) return undefined;
  const t = e.template;
  if (ts.isNoSubstitutionTemplateLiteral(t)) return t.text;
  return t.head.text + t.templateSpans.map((s) => `rlsguard_ref${s.literal.text}`).join('');
}
