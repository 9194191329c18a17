import ts from '../ts.js';
import { skipOuterAndAwait } from '../syntax/wrappers.js';

// Query builders are method chains: knex('t').where(…).update(…), db.insertInto('t').values(…).
// These helpers read a chain from its call back to its root, syntactically; the core then
// checks that the root traces to the library's executor, so a Map's .delete() never counts.

export interface ChainLink {
  name: string;
  call: ts.CallExpression;
}

export interface Chain {
  /** Method calls from the root outwards, ending with the call asked about. */
  links: ChainLink[];
  /** What the first method is called on (or the callee of a root call like knex('t')). */
  base: ts.Expression;
  /** Set when the chain starts with a direct call of the base: knex('t'), trx('t'). */
  rootCall?: ts.CallExpression;
}

export function methodChain(call: ts.CallExpression): Chain {
  const links: ChainLink[] = [];
  let e: ts.Expression = call;
  for (;;) {
    const c = skipOuterAndAwait(e);
    if (!ts.isCallExpression(c)) return { links: links.reverse(), base: c };
    const callee = skipOuterAndAwait(c.expression);
    if (ts.isPropertyAccessExpression(callee)) {
      links.push({ name: callee.name.text, call: c });
      e = callee.expression;
      continue;
    }
    return { links: links.reverse(), base: callee, rootCall: c };
  }
}

/** The call that uses this one as its receiver (`x.into('t')` around `x = db.insert(…)`), with its method name. */
export function outerCall(call: ts.CallExpression): ChainLink | undefined {
  const access = call.parent;
  if (!access || !ts.isPropertyAccessExpression(access) || access.expression !== call) return undefined;
  const outer = access.parent;
  return outer && ts.isCallExpression(outer) && outer.expression === access
    ? { name: access.name.text, call: outer }
    : undefined;
}

/** Every call further out along the chain, innermost first. */
export function outerCalls(call: ts.CallExpression): ChainLink[] {
  const out: ChainLink[] = [];
  for (let c: ChainLink | undefined = outerCall(call); c; c = outerCall(c.call)) out.push(c);
  return out;
}

export function methodName(call: ts.CallExpression): string | undefined {
  const callee = skipOuterAndAwait(call.expression);
  return ts.isPropertyAccessExpression(callee) ? callee.name.text : undefined;
}

/**
 * What the calls further out along a builder's chain (and those before its verb) add to its write: an upsert that
 * updates on conflict, RETURNING. `updates(link)` says whether a link makes the conflict an update.
 */
export function writeKind(
  links: readonly ChainLink[],
  updates: (link: ChainLink) => boolean,
  returning: (link: ChainLink) => boolean = (l) => l.name === 'returning',
): { conflictUpdate?: true; returning?: true } {
  return {
    ...(links.some(updates) ? { conflictUpdate: true as const } : {}),
    ...(links.some(returning) ? { returning: true as const } : {}),
  };
}

/** A call of one of a builder's write verbs, its operation and its chain; null for any other call. */
export function verbCall<Op>(
  call: ts.CallExpression,
  verbs: Readonly<Record<string, Op>>,
): { verb: string; operation: Op; chain: Chain } | null {
  const verb = methodName(call);
  const operation = verb !== undefined && Object.hasOwn(verbs, verb) ? verbs[verb] : undefined;
  return verb !== undefined && operation !== undefined ? { verb, operation, chain: methodChain(call) } : null;
}
