import ts from '../ts.js';
import { isFunctionLike } from '../code/scope.js';
import type { AnalysisConfig } from './config.js';
import type { ContextChange } from '../sql/classify.js';
import type { ContextEvidence, QueryNode } from './facts.js';
import type { Handle, HandleResolver } from './handles.js';
import { destroyedOnRelease } from './destroyed-clients.js';
import { cleared } from './connection-state.js';

// Findings about where the org context is set: on a pool, session-wide, or transaction-locally
// with no transaction open (the writes after it are not covered).

/** Records one finding (its rule, node, message id, data, and a key that makes it unique). */
export type Report = (
  ruleId: string,
  node: ts.Node,
  messageId: string,
  data: Record<string, string>,
  key: string,
) => void;

export interface FindingDeps {
  config: AnalysisConfig;
  handles: HandleResolver;
}

export function contextSetFinding(
  deps: FindingDeps,
  report: Report,
  call: QueryNode,
  handle: Handle,
  local: boolean | null,
  ev: ContextEvidence,
  implicit: boolean,
): void {
  // A per-tenant pool's connect hook sets the context session-wide on purpose.
  for (let n: ts.Node | undefined = call.parent; n; n = n.parent) {
    if (isFunctionLike(n) && deps.handles.isTenantHook(n)) return;
  }
  // Clearing the context to '' leaves nothing behind for a next borrower, and covers no write it could miss.
  if (cleared(ev)) return;
  const setting = ev.setting ?? [...deps.config.contextSettings][0] ?? 'app.current_org_id';
  const flag = local === true ? 'true' : local === false ? 'false' : '?';
  const desc = `${ev.via === 'set_config' ? `set_config('${setting}', …, ${flag})` : ev.via}`;
  if (handle.kind === 'executor' && handle.exec === 'pool' && !implicit) {
    // A local set on a pool ends with its statement; a session one stays for the next borrower.
    const messageId = local === true ? 'onPoolOneStatement' : 'onPool';
    report('no-pool-scoped-context', call, messageId, { pool: handle.label, set: desc }, `pool:${desc}`);
    return;
  }
  // A dedicated connection's next statement runs on it; a pooled one's (a library transaction on a pool) is another
  // borrower's once it commits.
  if (local !== true && !(handle.kind === 'executor' && handle.exec === 'client' && !handle.pooled)) {
    // A checked-out client only ever released with `true` is destroyed: nothing it carries goes back to the pool.
    if (handle.kind === 'executor' && handle.exec === 'pool-client' && destroyedOnRelease(handle.key)) return;
    const data = { set: desc, connection: describe(handle) };
    report('no-pool-scoped-context', call, 'sessionWide', data, `session:${desc}`);
  }
}

/**
 * A transaction-local setting with no transaction open: Postgres warns for SET LOCAL ("can
 * only be used in transaction blocks") and ignores it; set_config(…, true) lasts only for
 * its own statement. Either way the writes after it are not covered.
 */
export function localOutsideTransaction(report: Report, call: QueryNode, handle: Handle, ev: ContextEvidence): void {
  if (cleared(ev)) return;
  const spelled: Record<string, string> = {
    'SET LOCAL': `SET LOCAL ${ev.setting}`,
    set_config: `set_config('${ev.setting}', …, true)`,
  };
  const what = spelled[ev.via] ?? `${ev.via} (transaction-local)`;
  // SET LOCAL outside a transaction is ignored (with a warning); set_config(…, true) lasts one statement.
  const messageId = ev.via === 'SET LOCAL' ? 'setLocalOutsideTransaction' : 'autocommitSetting';
  const data = { set: what, connection: describe(handle) };
  report('no-pool-scoped-context', call, messageId, data, `outside-tx:${what}`);
}

/**
 * `SET LOCAL app.x = $1` with the value as a bind parameter: the server rejects it (SET takes
 * no parameters), so the context is never set and the transaction fails. set_config(…) takes one.
 */
export function boundParameterSet(report: Report, call: QueryNode, set: ContextChange): void {
  const spelled = `${set.via} ${set.setting} = $n`;
  const fix = `set_config('${set.setting}', $n, ${set.local === true ? 'true' : 'false'})`;
  report('no-pool-scoped-context', call, 'setWithBindParameter', { set: spelled, fix }, `bound:${set.setting}`);
}

/** A connection as the findings name it. */
export function describe(handle: Handle): string {
  switch (handle.kind) {
    case 'executor':
    case 'scoped':
    case 'admin':
    case 'param':
      return handle.label;
    case 'unknown':
      return `an untraceable connection (${handle.reason})`;
    default:
      return 'a value that is not a known database connection';
  }
}
