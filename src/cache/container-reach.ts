import ts from '../ts.js';
import { walkDescendants } from '../code/walk.js';

// What the NestJS container's reading of one file can reach beyond the file (src/analysis/providers/nest-di.ts): the
// modules its provider literals name. A module file imports every service it lists, but a service's results depend on
// the providers it is injected with (a factory, a value, a token's constant), not on the other services the module
// lists; counting the module's whole import closure made every service edit re-analyse every service of the app.
// Fail closed: a literal that names something of the file itself (a local factory, a constant) or anything this reading
// does not place, and a file holding a listener or nestjs-cls's setup (whose bodies are read as code), reach all the
// file imports ('*').

/** Words that make the whole file part of what the container reads (a listener's body, the cls and adapter setup). */
const WHOLE = /\b(?:OnEvent|forRoot|prismaInjectionToken)\b/;

/** Names that are no declaration of the codebase. */
const GLOBALS = new Set(['process', 'undefined', 'Promise', 'JSON', 'Number', 'String', 'Boolean', 'Object', 'Array', 'Symbol', 'Date', 'Error', 'Math', 'console', 'Buffer', 'globalThis', 'NaN', 'Infinity']);

/** The module specifiers a file's provider literals name, or '*' for every import of the file. */
export function containerReach(fileName: string, text: string): readonly string[] | '*' {
  if (WHOLE.test(text)) return '*';
  let sf: ts.SourceFile;
  try {
    sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false);
  } catch {
    return '*';
  }
  const imported = new Map<string, string>();
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier) || !st.importClause) continue;
    const from = st.moduleSpecifier.text;
    if (st.importClause.name) imported.set(st.importClause.name.text, from);
    const b = st.importClause.namedBindings;
    if (b && ts.isNamespaceImport(b)) imported.set(b.name.text, from);
    if (b && ts.isNamedImports(b)) for (const e of b.elements) imported.set(e.name.text, from);
  }
  const out = new Set<string>();
  let whole = false;
  const literal = (lit: ts.ObjectLiteralExpression): void => {
    const declared = new Set<string>();
    const refs: ts.Identifier[] = [];
    // On an explicit stack: code nested thousands deep must not overflow (code/walk.ts).
    walkDescendants(lit, (n) => {
      if (ts.isIdentifier(n)) {
        const p = n.parent;
        const named = p && (p as { name?: ts.Node }).name === n;
        if (named && (ts.isParameter(p) || ts.isVariableDeclaration(p) || ts.isFunctionDeclaration(p) || ts.isFunctionExpression(p) || ts.isClassLike(p) || ts.isBindingElement(p)))
          declared.add(n.text);
        else if (!(named && (ts.isPropertyAccessExpression(p) || ts.isPropertyAssignment(p) || ts.isMethodDeclaration(p) || ts.isPropertyDeclaration(p) || ts.isQualifiedName(p))))
          refs.push(n);
      }
    });
    for (const id of refs) {
      const from = imported.get(id.text);
      if (from !== undefined) out.add(from);
      else if (!declared.has(id.text) && !GLOBALS.has(id.text)) whole = true;
    }
  };
  walkDescendants(sf, (n) => {
    if (!ts.isObjectLiteralExpression(n)) return;
    const key = (p: ts.ObjectLiteralElementLike): string | undefined => p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : undefined;
    // The literal the container reads (a member named `provide`), its nested literals with it; a computed key: anything.
    if (n.properties.some((p) => key(p) === 'provide')) literal(n);
    else if (n.properties.some((p) => p.name && ts.isComputedPropertyName(p.name))) whole = true;
  });
  return whole ? '*' : [...out].sort();
}
