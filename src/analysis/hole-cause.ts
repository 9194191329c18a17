import ts from '../ts.js';
import { missingReExports, type OriginResolver, shortText } from '../code/origins.js';
import { isFunctionLike, lookup } from '../code/scope.js';
import { isLibraryModule } from '../adapters/libraries.js';
import { isInlineCallback } from './flow.js';
import { toPosixRelative } from '../files/paths.js';

// Why an interpolation of unresolved SQL is not a constant, read from the code rather than guessed from the whole
// text: the statement fails at one hole (the one where a table or other structure goes), and only what that hole is
// built from says why. A text whose table hole is a module-level constant and whose values read a parameter
// (`delete from ${table} where id = ${id}`) takes its table from no parameter: the values do not name tables.

/** What the failing hole of a text is built from, as far as its file (and a builder call's arguments) show. */
export interface HoleCause {
  /** The hole reads a parameter of a function (not an inline callback) that no binding completes. */
  readsParameter: boolean;
  /** The hole reads a parameter a builder call's argument completes. */
  readsArgument: boolean;
  /**
   * The hole reads something this reading does not follow (`this.table`, a variable of another file, an unbound
   * name): what it is built from is not known, and nothing is said of it.
   */
  unknown: boolean;
  /** An import the hole is built from whose module is not in the checkout, and what is missing of it. */
  missing?: { name: string; module: string; detail: string; throughArgument: boolean };
}

/**
 * The expressions written as `hole` (an interpolation as the folder quotes it, shortText of 40) in a SQL argument's
 * text: in the expression itself and the initializers of the same-file variables it reads, never inside a function;
 * or an interpolation whose value the folder followed to an expression so quoted (`${table}` holding another file's
 * `sql.identifier([table])`).
 */
export function holeExpressions(origins: OriginResolver, expr: ts.Expression, hole: string): ts.Expression[] {
  const out: ts.Expression[] = [];
  const seen = new Set<ts.Node>();
  const work: ts.Node[] = [expr];
  const sf = expr.getSourceFile();
  while (work.length) {
    const n = work.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    if (isFunctionLike(n) && !isInlineCallback(n)) continue;
    if (ts.isTemplateSpan(n)) {
      const origin = shortText(n.expression, 40) === hole ? undefined : origins.expr(n.expression);
      if (!origin || (origin.kind === 'expr' && shortText(origin.expr, 40) === hole)) out.push(n.expression);
    }
    if (ts.isCallExpression(n) && shortText(n, 40) === hole) out.push(n);
    if (ts.isIdentifier(n) && !(ts.isPropertyAccessExpression(n.parent) && n.parent.name === n)) {
      const b = lookup(n);
      if (b?.kind === 'variable' && b.decl.initializer && b.decl.getSourceFile() === sf) work.push(b.decl.initializer);
    }
    ts.forEachChild(n, (c) => {
      work.push(c);
    });
  }
  return out;
}

/**
 * What the given hole expressions are built from: through same-file variables, the arguments of the calls that build
 * them, and a builder call's arguments for its parameters (`bound`). A parameter `bound` completes is followed into its
 * argument, in the caller's file.
 */
export function holeCause(
  origins: OriginResolver,
  root: string,
  holes: readonly ts.Expression[],
  bound?: ReadonlyMap<ts.ParameterDeclaration, ts.Expression>,
): HoleCause {
  const cause: HoleCause = { readsParameter: false, readsArgument: false, unknown: false };
  const seen = new Set<ts.Node>();
  const work: { n: ts.Node; arg: boolean }[] = holes.map((n) => ({ n, arg: false }));
  while (work.length) {
    const { n, arg } = work.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    if (isFunctionLike(n)) continue;
    if (ts.isIdentifier(n)) {
      const parent = n.parent;
      if (ts.isPropertyAccessExpression(parent) && parent.name === n) continue;
      // The function a call names is not what its value is built from (`convertToIdentifiers(Connectors)`).
      if (ts.isCallExpression(parent) && parent.expression === n) continue;
      const b = lookup(n);
      // `const { fieldKeys, ...rest } = schema`: a rest element binds no name the scope reads; its value is the
      // initializer's.
      const rest = b ? undefined : restDeclaration(n);
      if (rest?.initializer) work.push({ n: rest.initializer, arg });
      else if (!b || b.kind === 'other') cause.unknown = true;
      if (b?.kind === 'parameter') {
        const given = bound?.get(b.decl);
        if (given) {
          cause.readsArgument = true;
          work.push({ n: given, arg: true });
        }
        else if (!isInlineCallback(b.fn)) cause.readsParameter = true;
      } else if (b?.kind === 'variable') {
        if (b.decl.initializer && b.decl.getSourceFile() === n.getSourceFile())
          work.push({ n: b.decl.initializer, arg });
        else cause.unknown = true;
      } else if (b?.kind === 'import' && !cause.missing) {
        const missing = missingModule(origins, root, n, b.module);
        if (missing) cause.missing = { name: b.name, module: b.module, detail: missing, throughArgument: arg };
      }
      continue;
    }
    // `this.table` (a field a constructor sets), `this.x()`: not followed here.
    if (n.kind === ts.SyntaxKind.ThisKeyword) cause.unknown = true;
    ts.forEachChild(n, (c) => {
      work.push({ n: c, arg });
    });
  }
  return cause;
}

/** The declaration whose object pattern's rest element (`...rest`) a name is, in a block enclosing it. */
function restDeclaration(id: ts.Identifier): ts.VariableDeclaration | undefined {
  for (let p: ts.Node | undefined = id.parent; p; p = p.parent) {
    if (!ts.isBlock(p) && !ts.isSourceFile(p)) continue;
    for (const st of p.statements) {
      if (!ts.isVariableStatement(st) || st.pos > id.pos) continue;
      for (const decl of st.declarationList.declarations) {
        const pattern = decl.name;
        if (!ts.isObjectBindingPattern(pattern)) continue;
        const hit = pattern.elements.some(
          (el) => el.dotDotDotToken && ts.isIdentifier(el.name) && el.name.text === id.text,
        );
        if (hit) return decl;
      }
    }
  }
  return undefined;
}

/**
 * Why an import names nothing rls-guard can read: its module does not resolve to a file of the checkout, or resolves
 * to an index whose `export *` of a missing file must hold the name (a module generated at build time). Undefined
 * when the import resolves, or names a library.
 */
function missingModule(
  origins: OriginResolver,
  root: string,
  id: ts.Identifier,
  module: string,
): string | undefined {
  const origin = origins.expr(id);
  const sf = id.getSourceFile();
  const host = origins.host;
  if (origin.kind === 'external') {
    if (module.startsWith('.') || isLibraryModule(module) || host.libraryFor?.(sf.fileName, module)) return undefined;
    return `\`${module}\` is not in the checkout (not installed, nor a package of the repository)`;
  }
  if (origin.kind !== 'unknown' || !origin.reason.startsWith('cannot resolve import')) return undefined;
  const file = host.resolveModule(sf.fileName, module);
  const index = file ? host.getSourceFile(file) : undefined;
  if (!index) return `\`${module}\` does not resolve to a file of the checkout`;
  const absent = missingReExports(host, index).filter((m) => m.startsWith('.'));
  const at = toPosixRelative(root, index.fileName);
  return absent.length > 0
    ? `${at} re-exports ${absent.map((a) => `'${a}'`).join(', ')}, which is not in the checkout (generated at ` +
        'build time?)'
    : `${at} does not export it`;
}

/** The clause naming a missing import and how to fix it, for an unresolved write's evidence. */
export function missingImportClause(cause: HoleCause): string | undefined {
  const m = cause.missing;
  if (!m) return undefined;
  return (
    `it is built from \`${m.name}\`${m.throughArgument ? " (this call's argument)" : ''}, imported from ` +
    `\`${m.module}\`, whose module rls-guard cannot read: ${m.detail}; build or generate that package before the ` +
    'audit so the table can be read, or suppress the write (no-unresolved-write) naming its table'
  );
}
