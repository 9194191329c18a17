import ts from '../ts.js';
import { walkDescendants } from '../code/walk.js';

// What the NestJS container's reading of one file can reach beyond the file (src/analysis/providers/nest-di.ts): the
// modules its provider literals name. A module file imports every service it lists, but a service's results depend on
// the providers it is injected with (a factory, a value, a token's constant), not on the other services the module
// lists; counting the module's whole import closure made every service edit re-analyse every service of the app.
// What a literal names is followed through the file's own top-level declarations (a local factory, a constant, a mock)
// to the imports they name. A literal inside a function is read with the whole top-level statement around it (the
// function's locals). Fail closed: a file holding a listener or nestjs-cls's or the transactional adapter's setup
// (whose code is read as the container's), or a literal with a computed key, reaches all the file imports ('*').

/** Words that make the whole file part of what the container reads. */
// An Effect Layer's value is code of the file (a service object whose methods run the callbacks): all of it is read.
const WHOLE = /\b(?:OnEvent|ClsModule|prismaInjectionToken|provideService(?:Effect)?)\b|nestjs-cls|\bLayer\./;

/** The module specifiers a file's provider literals name, or '*' for every import of the file. */
export function containerReach(fileName: string, text: string): readonly string[] | '*' {
  if (WHOLE.test(text)) return '*';
  let sf: ts.SourceFile;
  try {
    sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  } catch {
    return '*';
  }
  const imported = new Map<string, string>();
  const local = new Map<string, ts.Statement>();
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier) && st.importClause) {
      const from = st.moduleSpecifier.text;
      if (st.importClause.name) imported.set(st.importClause.name.text, from);
      const b = st.importClause.namedBindings;
      if (b && ts.isNamespaceImport(b)) imported.set(b.name.text, from);
      if (b && ts.isNamedImports(b)) for (const e of b.elements) imported.set(e.name.text, from);
    } else if (ts.isImportEqualsDeclaration(st)) return '*';
    else if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) for (const name of bound(d.name)) local.set(name, st);
    } else if ((ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st) || ts.isEnumDeclaration(st)) && st.name)
      local.set(st.name.text, st);
  }
  const out = new Set<string>();
  let whole = false;
  const seen = new Set<ts.Node>();
  const queue: ts.Node[] = [];
  const read = (n: ts.Node): void => {
    if (!seen.has(n)) seen.add(n), queue.push(n);
  };
  walkDescendants(sf, (n) => {
    if (!ts.isObjectLiteralExpression(n)) return;
    const key = (p: ts.ObjectLiteralElementLike): string | undefined =>
      p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : undefined;
    if (n.properties.some((p) => p.name && ts.isComputedPropertyName(p.name))) whole = true;
    if (!n.properties.some((p) => key(p) === 'provide')) return;
    let unit: ts.Node = n;
    for (let a: ts.Node | undefined = n.parent; a && a !== sf; a = a.parent) {
      if (ts.isFunctionLike(a)) unit = topLevel(a);
    }
    read(unit);
  });
  while (queue.length && !whole) {
    // On an explicit stack: code nested thousands deep must not overflow (code/walk.ts).
    walkDescendants(queue.pop()!, (n) => {
      if (!ts.isIdentifier(n)) return;
      const p = n.parent;
      // A member's name, not a reference.
      if ((ts.isPropertyAccessExpression(p) || ts.isPropertyAssignment(p)) && p.name === n) return;
      if (ts.isQualifiedName(p) && p.right === n) return;
      const from = imported.get(n.text);
      if (from !== undefined) out.add(from);
      const decl = local.get(n.text);
      if (decl) read(decl);
      // Anything else is declared inside what is read, or a global.
    });
  }
  return whole ? '*' : [...out].sort();
}

function topLevel(n: ts.Node): ts.Node {
  while (n.parent && !ts.isSourceFile(n.parent)) n = n.parent;
  return n;
}

function bound(name: ts.BindingName): string[] {
  if (ts.isIdentifier(name)) return [name.text];
  return name.elements.flatMap((e) => (ts.isOmittedExpression(e) ? [] : bound(e.name)));
}
