import ts from '../ts.js';
import { type OriginResolver, shortText } from '../code/origins.js';
import { skipOuter } from '../syntax/wrappers.js';

// A library's executor class the code makes over a session class of its own (`new PgDatabase(dialect, new
// TenantSession(…))`): every query and transaction of that database runs through the session's overrides. rls-guard
// does not model a library's session and prepared-query layer, so such a database stays an unknown connection; what
// this module gives is the reason, naming the class and where each override hands its work, so that a reader knows
// which code decides the context (mentingo's 261 writes said only "what its arguments make of it").

/** The methods of a session class through which a library runs queries and transactions. */
const SESSION_ENTRIES = ['prepareQuery', 'execute', 'query', 'all', 'transaction'];

/** The class of the code a `new C(…)` argument (or a binding of one) constructs, with that construction. */
export function sessionClass(
  arg: ts.Expression,
  origins: OriginResolver,
): { decl: ts.ClassLikeDeclaration; made: ts.NewExpression } | undefined {
  const origin = origins.expr(arg);
  const value = origin.kind === 'expr' ? skipOuter(origin.expr) : skipOuter(arg);
  if (!ts.isNewExpression(value)) return undefined;
  const ctor = origins.expr(value.expression);
  return ctor.kind === 'class' ? { decl: ctor.decl, made: value } : undefined;
}

/** What a method's body hands its work to: the construction it returns, else its first call on `this`. */
function handsTo(method: ts.MethodDeclaration): string | undefined {
  let found: string | undefined;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isReturnStatement(n) && n.expression && ts.isNewExpression(skipOuter(n.expression))) {
      found = `returns \`${shortText(skipOuter(n.expression), 40)}\``;
      return;
    }
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression)) {
      let base: ts.Expression = n.expression.expression;
      while (ts.isPropertyAccessExpression(base)) base = base.expression;
      if (base.kind === ts.SyntaxKind.ThisKeyword) {
        found = `hands it to \`${shortText(n.expression, 50)}(…)\``;
        return;
      }
    }
    ts.forEachChild(n, visit);
  };
  if (method.body) visit(method.body);
  return found;
}

/**
 * The reason a library's executor class made by the code (`made`, whose library class is `name`) is not followed:
 * with a session class of the code among its arguments, that class and its overrides are named; undefined when no
 * argument is one (the caller keeps its general reason). `place` names a node's file and line.
 */
export function ownSessionReason(
  made: ts.NewExpression,
  api: string,
  name: string,
  origins: OriginResolver,
  place: (node: ts.Node) => string,
  /** Why the session's query path is not one that states the org on every statement (scoping-sessions.ts). */
  notScoped?: string,
): string | undefined {
  for (const arg of made.arguments ?? []) {
    const session = sessionClass(arg, origins);
    // A class extending another (the library's session); a plain class of the code is no session layer to name.
    if (!session?.decl.name || !session.decl.heritageClauses?.length) continue;
    const overrides = session.decl.members
      .filter((m): m is ts.MethodDeclaration => ts.isMethodDeclaration(m) && !!m.body && ts.isIdentifier(m.name))
      .filter((m) => SESSION_ENTRIES.includes((m.name as ts.Identifier).text))
      .map((m) => {
        const to = handsTo(m);
        return `\`${(m.name as ts.Identifier).text}\` (${place(m)}${to ? `, ${to}` : ''})`;
      });
    const what = overrides.length
      ? `its ${overrides.join(' and ')} decide what each query runs on and with what set`
      : 'which overrides none of the methods queries run through';
    return (
      `\`${shortText(made, 40)}\` (${place(made)}) is a ${api} ${name} the code makes over its own session ` +
      `class \`${session.decl.name.text}\` (${place(session.decl)}): ${what}; ` +
      (notScoped
        ? `rls-guard reads a query path that runs each statement in a transaction that set the org context, but ` +
          `here ${notScoped}`
        : "rls-guard does not follow a session class's query path (the library's session and prepared-query " +
          'layer), so it cannot tell whether that path sets the org context')
    );
  }
  return undefined;
}
