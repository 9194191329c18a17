import ts from '../ts.js';
import type { ConnState, ContextEvidence } from './facts.js';
import type { Handle } from './handles.js';

// The per-connection state the flow carries (transaction open, org context set, role) and
// how two paths' states join where they meet: only what both guarantee survives.

/** Per connection key; null: unreachable (after return/throw). */
export type State = Map<ts.Node, ConnState> | null;

export function connectionKey(handle: Handle): ts.Node | undefined {
  const kind = handle.kind;
  return kind === 'executor' || kind === 'scoped' || kind === 'admin' || kind === 'param' ? handle.key : undefined;
}

export function freshState(handle: Handle): ConnState {
  // A transaction the function opened on its parameter: open, with whatever context the caller's connection carries
  // into it (a savepoint's) or none (a new one's); the callers decide which (program.ts).
  if (handle.kind === 'param' && handle.opened) return { tx: true, ctx: 'inherited', session: null, ineffective: null };
  if (handle.kind === 'param') return { tx: 'inherited', ctx: 'inherited', session: null, ineffective: null };
  if (handle.kind === 'scoped') {
    return { tx: true, ctx: { via: handle.via, at: handle.helperCall, local: true }, session: null, ineffective: null };
  }
  if (handle.kind === 'executor' && handle.transaction) {
    return { tx: true, ctx: null, session: null, ineffective: null };
  }
  return { tx: false, ctx: null, session: null, ineffective: null };
}

/**
 * A connection's state where a flow handed it on (`at`, relative to the start of the transaction it runs in:
 * 'inherited' where that flow did not change it) over the state it started in (`base`).
 */
export function handedOn(base: ConnState, at: ConnState | undefined): ConnState {
  if (!at) return base;
  return {
    ...base,
    ...at,
    tx: at.tx === 'inherited' ? base.tx : at.tx,
    ctx: at.ctx === 'inherited' ? base.ctx : at.ctx,
    session: at.session ?? base.session,
    role: at.role === undefined ? base.role : at.role,
  };
}

export function copy(state: State): State {
  return state === null ? null : new Map(state);
}

/**
 * `untouched`: the state a connection starts in on a path that never used it (a transaction
 * callback's connection is in its transaction there, a savepoint's too), as stateOf gave it.
 */
/**
 * The role both paths leave in force: the same one, else the one under the policies (fail
 * closed: a path without SET ROLE to a bypassing role, or with SET ROLE to a policed one, is
 * the worse), or none.
 */
function joinRole(
  x: ConnState['role'],
  y: ConnState['role'],
  bypass: ReadonlySet<string> | undefined,
): ConnState['role'] {
  if (x === y || (x && y && x.name === y.name && x.local === y.local)) return x ?? null;
  // Under the policies, worst first: a constant role, then one that cannot be read, then a per-tenant one.
  const policed = [x, y].filter((r) => r && !bypass?.has(r.name));
  const worst =
    policed.find((r) => !r!.chosen) ?? policed.find((r) => 'unread' in r!.chosen!) ?? policed[0];
  // A path that switched to no role runs as the login role: a per-tenant switch on the other path does not cover it.
  if (worst?.chosen && 'perTenant' in worst.chosen && (!x || !y)) return null;
  if (worst) return worst;
  return null;
}

export function join(
  a: State,
  b: State,
  untouched?: ReadonlyMap<ts.Node, ConnState>,
  bypass?: ReadonlySet<string>,
): State {
  if (a === null) return b;
  if (b === null) return a;
  const out = new Map<ts.Node, ConnState>();
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const start = untouched?.get(key);
    const x = a.get(key) ?? (start && { ...start });
    const y = b.get(key) ?? (start && { ...start });
    if (!x || !y) {
      // Known on one path only: the other path left it untouched (fresh). Keep only what both guarantee.
      const only = (x ?? y)!;
      out.set(key, {
        tx: only.tx === 'inherited' ? 'inherited' : false,
        ctx: only.ctx === 'inherited' ? 'inherited' : null,
        session: null,
        ineffective: only.ineffective,
        role: joinRole(only.role, null, bypass),
        ...(only.deferred ? { deferred: only.deferred } : {}),
      });
      continue;
    }
    out.set(key, {
      tx: x.tx === y.tx ? x.tx : false,
      ctx: sameContext(x.ctx, y.ctx),
      session: x.session === y.session ? x.session : null,
      ineffective: x.ineffective ?? y.ineffective,
      role: joinRole(x.role, y.role, bypass),
      ...(x.released ?? y.released ? { released: x.released ?? y.released } : {}),
      ...(x.deferred ?? y.deferred ? { deferred: x.deferred ?? y.deferred } : {}),
      ...(x.rejected ?? y.rejected ? { rejected: x.rejected ?? y.rejected } : {}),
    });
  }
  return out;
}

/**
 * Both paths set the org context (`if (loc) set_config(a…, b…) else set_config(a…)`): it is in
 * force after they meet, whichever statement set it; the evidence names the first path's.
 */
function sameContext(x: ConnState['ctx'], y: ConnState['ctx']): ConnState['ctx'] {
  if (x === y) return x;
  if (!x || !y || x === 'inherited' || y === 'inherited') return null;
  return commonSettings(x, y);
}

/**
 * The settings both paths set, each as the first path set it: `set_config('app.workspace', …)` then `if (tenantId)
 * set_config('app.tenant', …)` leaves the workspace set on either path (CLIaaS's `withRls`), where only the last
 * setting of each path was compared and the whole context was lost.
 */
function commonSettings(x: ContextEvidence, y: ContextEvidence): ContextEvidence | null {
  const key = (e: ContextEvidence): string | undefined =>
    e.setting === undefined ? undefined : `${e.local}\u0000${e.setting}`;
  const other = new Map([y, ...(y.also ?? [])].map((e) => [key(e), e]));
  // Where one path cleared a setting to '' and the other set it, it may be cleared after the join (fail closed).
  const common = [x, ...(x.also ?? [])].flatMap((e) => {
    const theirs = key(e) === undefined ? undefined : other.get(key(e));
    return !theirs ? [] : [cleared(theirs) && !cleared(e) ? theirs : e];
  });
  const [first, ...rest] = common;
  if (!first) return null;
  const { also: _, ...own } = first;
  return rest.length ? { ...own, also: rest } : own;
}

/** A set of a setting to the constant '' (a cleanup's): no org. */
export function cleared(e: Pick<ContextEvidence, 'value'>): boolean {
  return !!e.value && 'constant' in e.value && e.value.constant === '';
}
