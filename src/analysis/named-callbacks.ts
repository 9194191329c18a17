import ts from '../ts.js';
import { lookup } from '../code/scope.js';
import { walkDescendants } from '../code/walk.js';
import { outerWrapperOf, skipOuter } from '../syntax/wrappers.js';
import type { Handle } from './handles.js';

// A callback named before it is handed on (contaflow's invoice action):
//
//   const body = async (tx) => withCompanyContext(companyId, tx, async (tx) => { …writes… });
//   return strict ? await withSerializableRetry(body) : await prisma.$transaction(body);
//
// Its parameter is what each call it is handed to gives it, read as if the function were written at that call.
// Only a `const` of the module or function that is never exported and whose every reference is an argument of a call
// counts: a reference anywhere else (called directly, stored, returned, exported) leaves the parameter to its callers
// as before, and so unresolved when none is found.

/** A call a callback is handed to, and the argument that hands it (the function itself, or its name). */
export interface HandedTo {
  call: ts.CallExpression;
  arg: ts.Expression;
}

const usesCache = new WeakMap<ts.Node, readonly HandedTo[] | null>();

/** The calls a `const`-named callback is handed to, each by its name; undefined unless that is its only use. */
export function namedCallbackUses(fn: ts.SignatureDeclaration): readonly HandedTo[] | undefined {
  const hit = usesCache.get(fn);
  if (hit !== undefined) return hit ?? undefined;
  const found = findUses(fn);
  usesCache.set(fn, found ?? null);
  return found;
}

function findUses(fn: ts.SignatureDeclaration): HandedTo[] | undefined {
  if (!ts.isArrowFunction(fn) && !ts.isFunctionExpression(fn)) return undefined;
  let decl: ts.Node = fn.parent;
  while (ts.isParenthesizedExpression(decl) || ts.isAsExpression(decl) || ts.isSatisfiesExpression(decl))
    decl = decl.parent;
  if (!ts.isVariableDeclaration(decl) || !ts.isIdentifier(decl.name) || !decl.initializer) return undefined;
  if (skipOuter(decl.initializer) !== fn) return undefined;
  const list = decl.parent;
  const statement = list.parent;
  if (!ts.isVariableDeclarationList(list) || !(list.flags & ts.NodeFlags.Const)) return undefined;
  if (!ts.isVariableStatement(statement)) return undefined;
  if (statement.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) return undefined;
  const name = decl.name;
  const uses: HandedTo[] = [];
  let other = false;
  // The statement's own block (or the file): a `const` is seen nowhere else.
  for (const n of identifiersIn(statement.parent).get(name.text) ?? []) {
    if (n === name || lookup(n)?.decl !== decl) continue;
    const use = argumentUse(n);
    if (!use) {
      other = true;
      break;
    }
    uses.push(use);
  }
  return !other && uses.length ? uses : undefined;
}

const identifiersCache = new WeakMap<ts.Node, Map<string, ts.Identifier[]>>();

/**
 * The identifiers under `root` by name, listed once per block: a file of many `const`-named callbacks is walked once,
 * not once per callback (which would grow with the square of the file).
 */
function identifiersIn(root: ts.Node): ReadonlyMap<string, readonly ts.Identifier[]> {
  let index = identifiersCache.get(root);
  if (index) return index;
  index = new Map();
  const byName = index;
  walkDescendants(root, (node) => {
    if (node.kind !== ts.SyntaxKind.Identifier) return;
    const id = node as ts.Identifier;
    const list = byName.get(id.text);
    if (list) list.push(id);
    else byName.set(id.text, [id]);
  });
  identifiersCache.set(root, index);
  return index;
}

/**
 * `f(x, name)` (through parentheses, `as`, `satisfies`, `!`, `<T>x`): the call and the argument; undefined for any
 * other use.
 */
function argumentUse(ref: ts.Identifier): HandedTo | undefined {
  const arg = outerWrapperOf(ref, false) as ts.Expression;
  const call = arg.parent;
  if (!ts.isCallExpression(call) || !call.arguments.includes(arg)) return undefined;
  return { call, arg };
}

/**
 * One connection for a callback handed to several calls: each call's, when they agree in everything but where they
 * are written (the label, the node the flow keys it by, the call itself). Undefined where no call gives it a connection
 * this reading knows (each is then a helper of the codebase, judged as a callback passed to it: program.ts); untraced,
 * naming the calls, where they disagree or only some give one.
 */
export function agreedConnection(
  handles: readonly (Handle | undefined)[],
  name: string,
  where: (n: ts.Node) => string,
  uses: readonly HandedTo[],
): Handle | undefined {
  const [first, ...rest] = handles;
  if (handles.every((h) => !h)) return undefined;
  if (first && rest.every((h) => h && sameConnection(first, h))) return first;
  return {
    kind: 'unknown',
    reason:
      `\`${name}\` is handed to ${uses.length} calls (${uses.map((u) => where(u.call)).join(', ')}) that this ` +
      'analysis cannot read as one connection: write the callback at each call, or give each its own name',
  };
}

/** Fields that name where a connection is written, not what it is. */
const PLACE = new Set(['label', 'key', 'helperCall', 'definition', 'opened']);

function sameConnection(a: Handle, b: Handle): boolean {
  if (a.kind !== b.kind) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
  return [...keys].every((k) => PLACE.has(k) || x[k] === y[k]);
}
