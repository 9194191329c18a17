import type ts from '../ts.js';
import type { OriginResolver } from '../code/origins.js';
import type { FileFacts } from './facts.js';
import { calleeFunctionType, type FunctionType } from './function-types.js';
import { denotedFunctions, type HelperValueDeps } from './providers/helper-values.js';
import { BudgetExceeded } from '../code/fixpoint.js';

// What the call graph links a file's value calls by (caller-index.ts), taken once per file at the end of its flow,
// while its tree is being read anyway: per call, the functions its callee denotes (providers/helper-values.ts) and the
// function type its callee is declared with (function-types.ts). Before, the linking asked both of every value call of
// every file after all the flows, and so read nearly every file's tree a second time (docs/performance.md, mem23:
// 2,095 of signacare's 3,372 files). A denotation that follows a parameter to its function's callers needs the whole
// program's call edges: it is left to the linking (`fns` undefined), which finds it as before. Everything else a
// denotation reads is the code itself (origins, returns, object literals: the same answers before and after the flows),
// so a denotation found here is the one the linking would find. In an editor's session this runs inside the file's
// analysis (session.ts), so what it read evicts the file's facts, and with them these links, when it changes.

type Fn = ts.FunctionLikeDeclaration;

/** A value call's callee as the linking needs it. */
export interface CalleeLink {
  /** The functions the callee can be, when finding them asked no function's callers; undefined: left to the linking. */
  fns?: readonly Fn[];
  /** The function type of the codebase the callee is declared with (null: none); undefined: left to the linking. */
  type?: FunctionType | null;
}

/** Value calls given links per file, denoted there (closed) or not (open), and denoted at the linking (tests). */
export const valueLinkWork = { calls: 0, closed: 0, open: 0, linkedLater: 0, asked: 0, unlinked: 0 };

/** Thrown by the callers a per-file denotation is given: the denotation needs the program's call edges. */
const ASKS_CALLERS: unique symbol = Symbol('asks callers');

const deny = (): never => {
  throw ASKS_CALLERS;
};

/**
 * Each distinct value call's link (a call the flow recorded in several states is one call), for a whole program (the
 * ESLint plugin on one file links no value call). Undefined when the file has none. Whatever stops a denotation or a
 * type's reading here (its callers asked for, a stack overflow) leaves it to the linking, which meets it as before.
 */
export function calleeLinks(
  facts: FileFacts,
  origins: OriginResolver,
  root: string,
): Map<ts.CallExpression | ts.NewExpression, CalleeLink> | undefined {
  if (!facts.valueCalls?.length) return undefined;
  const out = new Map<ts.CallExpression | ts.NewExpression, CalleeLink>();
  const deps = aloneDeps(origins, root);
  for (const { call } of facts.valueCalls) {
    if (out.has(call)) continue;
    const callee = (call as ts.CallExpression).expression;
    const link: CalleeLink = {};
    try {
      link.fns = denotedFunctions(deps, callee);
      valueLinkWork.closed++;
    } catch {
      valueLinkWork.open++;
    }
    try {
      link.type = calleeFunctionType(origins, callee) ?? null;
    } catch {
      // left to the linking
    }
    valueLinkWork.calls++;
    out.set(call, link);
  }
  return out;
}

function aloneDeps(origins: OriginResolver, root: string): HelperValueDeps {
  return { origins, root, wholeProgram: true, callers: deny };
}

/**
 * Whether a value call could give the call graph an edge, asked before its arguments' handles are (call-edges.ts):
 * false when its callee denotes no function of the codebase with no function's callers asked (the denotation
 * `calleeLinks` finds for it, and the linking too: one that asks no callers reads only the code, the same in any mode)
 * and is declared with no function type of the codebase. Such a call's edges (value and typed) would be none, whatever
 * its arguments are. Anything that stops the denotation (its callers asked, a stack overflow) answers true; a budget
 * running out is the flow's, as it would be at the arguments.
 */
export function mayLink(origins: OriginResolver, root: string, callee: ts.Expression): boolean {
  valueLinkWork.asked++;
  try {
    if (calleeFunctionType(origins, callee)) return true;
    if (denotedFunctions(aloneDeps(origins, root), callee).length > 0) return true;
  } catch (error) {
    if (error instanceof BudgetExceeded) throw error;
    return true;
  }
  valueLinkWork.unlinked++;
  return false;
}
