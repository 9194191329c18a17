import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { adapters, type BuilderContext } from '../../src/adapters/index.js';
import { dependedLibraries, importedLibraries } from '../../src/analysis/library-evidence.js';
import { classifyStatement } from '../../src/sql/classify.js';
import { parseSql } from '../../src/sql/parser.js';
import { auditSync } from '../../src/walker/audit.js';
import { readExpectations, sourceFiles } from '../support/annotations.js';

// The invariant behind "a write is never dropped", over every fixture app: each call that is
// a write by its shape alone, found here syntactically and independently of the connection
// tracing, has a write site on its line in the report. Independent recognisers, each for a
// library the file imports or its package.json depends on:
//  - the library's builder-write shape (knex('t').insert(), db.insert(table), repo.delete());
//  - a query method called with literal SQL (a string or a tagged template) that parses to a
//    write statement, or a tagged template on a tag method (prisma.$executeRaw`…`);
// Lines annotated `// expect: none` are declared decoys (a Map's .delete()), checked by the
// fixture tests: they are the only shapes allowed to have no site.

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures');
const apps = [
  ...fs.readdirSync(path.join(FIXTURES, 'adapters'), { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.startsWith('_')).map((d) => path.join(FIXTURES, 'adapters', d.name)),
  path.join(FIXTURES, 'example-app'),
  // writes/_shared holds the executor apps' migration, no app.
  ...(fs.existsSync(path.join(FIXTURES, 'writes')) ? fs.readdirSync(path.join(FIXTURES, 'writes'), { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.startsWith('_')).map((d) => path.join(FIXTURES, 'writes', d.name)) : []),
];

/** A context that knows only literals: the shapes this recogniser accepts need nothing more. */
const literalOnly = (root: string): BuilderContext => ({
  root,
  constant: (e) => (ts.isStringLiteralLike(e) ? e.text : undefined),
  definition: () => undefined,
  classOf: () => undefined,
  declaredType: () => undefined,
  qualify: (name, schema) => (schema ? `${schema}.${name}` : name),
});

/** A string literal's text, or a tagged template's with each interpolation as a bind parameter. */
function literalSql(e: ts.Expression): string | undefined {
  if (ts.isStringLiteralLike(e)) return e.text;
  if (!ts.isTaggedTemplateExpression(e)) return undefined;
  const t = e.template;
  return ts.isNoSubstitutionTemplateLiteral(t) ? t.text : t.head.text + t.templateSpans.map((s, i) => `$${i + 1}${s.literal.text}`).join('');
}

function writeStatement(text: string): boolean {
  const parsed = parseSql(text.replace(/\?/g, '$1'));
  return parsed.ok && parsed.statements.some((st) => classifyStatement(st, { defaultSchema: 'public', setterFunctions: new Map() }).writes.length > 0);
}

/** Lines (1-based) of the calls in a file that are writes by their shape alone. */
export function shapeWrites(sf: ts.SourceFile, root: string): number[] {
  const libs = new Set([...importedLibraries(sf), ...dependedLibraries(sf.fileName)]);
  const lines = new Set<number>();
  const ctx = literalOnly(root);
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n)) {
      const line = sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
      for (const a of libs) {
        if (a.builderWrite?.(n, ctx)) lines.add(line);
        const callee = n.expression;
        if (ts.isPropertyAccessExpression(callee) && a.queryMethods[callee.name.text]) {
          const arg = n.arguments[a.queryMethods[callee.name.text]!.sqlArg];
          const text = arg && literalSql(arg);
          if (text !== undefined && writeStatement(text)) lines.add(line);
        }
      }
    }
    // sql`…` run directly (postgres.js, prisma.$executeRaw`…`): a tagged template that is not inside another call's arguments.
    if (ts.isTaggedTemplateExpression(n) && libs.size > 0 && !ts.isCallExpression(n.parent) && !ts.isTemplateSpan(n.parent)) {
      const text = literalSql(n);
      if (text !== undefined && writeStatement(text)) lines.add(sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return [...lines];
}

describe.each(apps)('every write in %s', (root) => {
  it('has a write site on its line', () => {
    const report = auditSync({ paths: [root], types: false, schemaSource: 'static' });
    const files = sourceFiles(root);
    const decoys = new Set(readExpectations(root, files).filter((e) => e.kind === 'none').map((e) => `${e.file}:${e.line}`));
    const sites = new Set(report.writeSites.map((s) => `${s.file}:${s.line}`));
    const planted: string[] = [];
    for (const file of files) {
      const abs = path.join(root, file);
      const sf = ts.createSourceFile(abs, fs.readFileSync(abs, 'utf8'), ts.ScriptTarget.Latest, true);
      for (const line of shapeWrites(sf, root)) if (!decoys.has(`${file}:${line}`)) planted.push(`${file}:${line}`);
    }
    expect(planted.length).toBeGreaterThan(2);
    expect(planted.filter((p) => !sites.has(p))).toEqual([]);
  });
});
