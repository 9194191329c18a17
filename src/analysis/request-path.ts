import type ts from 'typescript';
import type { RuleFinding } from '../report/rule-finding.js';
import type { AmbientSettler } from './ambient/settle.js';
import { setAsideKind } from '../report/set-aside.js';
import { toPosixRelative } from '../files/paths.js';

// no-admin-on-request-path: an admin (BYPASSRLS) connection bypasses every policy, so a write
// on one that an HTTP request reaches lets one tenant's request touch every org's rows. The
// write stays covered (`admin-pool`); this fact names the route that reaches it, from the
// entry points and call paths ambient/reach.ts already computes once per function.

export const RULE_ID = 'no-admin-on-request-path';

export type RequestPath =
  /** A route (or its middleware) reaches the write. */
  | { kind: 'reached'; fact: Pick<RuleFinding, 'ruleId' | 'messageId' | 'data'> }
  /** Nothing in the files analysed reaches it from a request, but files not analysed (the plugin's) could. */
  | { kind: 'elsewhere' }
  | { kind: 'none' };

/** Whether the admin write at `call` (described as `write`, on the provider `via`) is on a request's path. */
export function adminRequestPath(
  ambient: AmbientSettler,
  call: ts.Node,
  write: string,
  via: string | null,
  wholeProgram: boolean,
): RequestPath {
  const reached = ambient.requestRoot(call);
  if (!reached) return wholeProgram ? { kind: 'none' } : { kind: 'elsewhere' };
  const path = reached.path.length ? `, through ${reached.path.join(' → ')}` : '';
  const data = { write, via: via ?? 'an admin connection', route: reached.root.label, path };
  return { kind: 'reached', fact: { ruleId: RULE_ID, messageId: 'adminOnRequestPath', data } };
}

/**
 * The route (of a file that is app code by its path) that reaches the write at `call`, as "the route POST /x
 * (src/routes.ts:12)": a seed or migration module a route calls into runs on the app's request path, whatever its name.
 */
export function appRequestRoot(ambient: AmbientSettler, call: ts.Node, root: string): string | undefined {
  const reached = ambient.requestRoot(call);
  if (!reached) return undefined;
  const file = toPosixRelative(root, reached.root.node.getSourceFile().fileName);
  return setAsideKind(file) ? undefined : reached.root.label;
}
