import ts from '../../ts.js';

// Next.js entry points, recognised by where a file sits and what it declares, as Next.js
// itself finds them: route handlers are the HTTP-method exports of `app/**/route.ts`, server
// actions the exports of a module that starts with 'use server' (and functions whose body
// does). Next.js calls them; nothing in the codebase does.

export const ROUTE_HANDLER_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

/**
 * The URL path of an App Router route file (`src/app/api/projects/[id]/route.ts` → `/api/projects/[id]`), or
 * undefined.
 */
export function routeFilePath(fileName: string): string | undefined {
  const m = /(?:^|\/)app((?:\/[^/]+)*)\/route\.[cm]?[jt]sx?$/.exec(fileName.replace(/\\/g, '/'));
  if (!m) return undefined;
  // Route groups `(marketing)` and parallel slots `@modal` are not URL segments.
  const segments = m[1]!.split('/').filter((s) => s && !/^\(.*\)$/.test(s) && !s.startsWith('@'));
  return `/${segments.join('/')}`;
}

/** Whether a module or function body starts with the 'use server' directive. */
export function usesServer(statements: readonly ts.Statement[]): boolean {
  for (const st of statements) {
    if (!ts.isExpressionStatement(st) || !ts.isStringLiteral(st.expression)) return false;
    if (st.expression.text === 'use server') return true;
  }
  return false;
}

/**
 * A module's exported values by name: `export function GET`, `export const POST = …`, `export { x as GET }` is not
 * followed.
 */
export function exportedValues(
  sf: ts.SourceFile,
): { name: string; node: ts.Node; value: ts.Expression | ts.FunctionDeclaration }[] {
  const out: { name: string; node: ts.Node; value: ts.Expression | ts.FunctionDeclaration }[] = [];
  for (const st of sf.statements) {
    const exported = ts.getModifiers(st as ts.HasModifiers)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
    if (!exported) continue;
    if (ts.isFunctionDeclaration(st) && st.name && st.body) out.push({ name: st.name.text, node: st, value: st });
    if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations)
        if (ts.isIdentifier(d.name) && d.initializer) out.push({ name: d.name.text, node: d, value: d.initializer });
    }
  }
  return out;
}
