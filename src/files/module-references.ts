import ts from '../ts.js';

// The modules a file's text names (imports, re-exports, `require(…)`, `import(…)`), for the module graphs that key a
// file's cached results by what it reaches: the audit's cache (src/cache/graph.ts) and the ESLint plugin's project
// index. TypeScript's `preProcessFile` reads them with the scanner alone, without the parser's context, and a
// construct it takes for another (a regular expression holding a backtick, /```/, read as a template's start) hides
// what follows: signacare's `await import('./modelRouter/modelRouter')` was missed, so an edit of that module would
// have left its importer's cached verdicts standing. A text that calls `import(` or `require(` is also parsed and its
// calls and declarations read, which no construct can mislead; the others keep the scanner's answer alone.

/** Module specifiers the text names, the scanner's first, then those only the parse found. */
export function moduleReferences(fileName: string, text: string): string[] {
  const out = ts.preProcessFile(text, true, true).importedFiles.map((r) => r.fileName);
  if (!/\b(?:import|require)\s*\(/.test(text)) return out;
  const seen = new Set(out);
  const add = (e: ts.Expression | undefined): void => {
    if (e && ts.isStringLiteralLike(e) && !seen.has(e.text)) {
      seen.add(e.text);
      out.push(e.text);
    }
  };
  const sf = ts.createSourceFile(fileName, text, {
    languageVersion: ts.ScriptTarget.Latest,
    jsDocParsingMode: ts.JSDocParsingMode.ParseNone,
  });
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference))
      add(node.moduleReference.expression);
    else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === 'require'))
    )
      add(node.arguments[0]);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}
