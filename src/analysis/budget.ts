import ts from '../ts.js';
import { BudgetExceeded, type Facts } from '../code/fixpoint.js';
import { functionName } from '../code/origins.js';
import { indexedNodes } from '../code/file-nodes.js';
import { isFunctionLike } from '../code/scope.js';

// A work budget per function and per file, so pathological code (generated, minified,
// adversarial) ends as `unresolved` sites that say why, never as a hang; and a stack
// overflow from nesting deeper than the walk can follow ends the same way, never as a crash.
// Budgets grow with the code's size: the analysis is linear, so honest code of any size
// fits; only work out of proportion to the text runs out.

/**
 * Steps per character of text, and floors (a small function may call into a long chain of
 * others the first time, and pays for computing their facts). Mutable for tests only.
 */
export const BUDGET = {
  functionStepsPerChar: 40,
  functionStepsFloor: 200_000,
  fileStepsPerChar: 40,
  fileStepsFloor: 2_000_000,
};

export interface FileBudget {
  /** The step count at which the file's budget runs out. */
  readonly until: number;
  /** Set once the file's budget ran out: nothing more of the file is interpreted. */
  exhausted: boolean;
}

export function fileBudget(facts: Facts, sf: ts.SourceFile): FileBudget {
  return { until: facts.steps + BUDGET.fileStepsFloor + BUDGET.fileStepsPerChar * sf.text.length, exhausted: false };
}

/**
 * Runs `body` (the interpretation of one function, or of the module's top level) under
 * the budget. Returns undefined when it finished, else why it stopped.
 */
export function withinBudget(facts: Facts, file: FileBudget, node: ts.Node, body: () => void): string | undefined {
  const own = facts.steps + BUDGET.functionStepsFloor + BUDGET.functionStepsPerChar * (node.end - node.pos);
  const saved = { limit: facts.limit, scope: facts.limitScope };
  facts.limit = Math.min(own, file.until);
  facts.limitScope = own <= file.until ? 'function' : 'file';
  facts.bodies++;
  try {
    body();
    return undefined;
  } catch (error) {
    const name = ts.isSourceFile(node) ? 'the module top level' : `function ${functionName(node)}`;
    if (error instanceof BudgetExceeded) {
      if (error.scope === 'file') file.exhausted = true;
      return error.scope === 'file'
        ? `analysis budget exceeded in file ${node.getSourceFile().fileName.split(/[\\/]/).pop()} at ${name}; the ` +
          `rest of the file is not analysed`
        : `analysis budget exceeded in ${name}`;
    }
    if (error instanceof RangeError && /call stack/i.test(error.message))
      return `${name} nests too deeply for the analysis to follow`;
    throw error;
  } finally {
    facts.limit = saved.limit;
    facts.limitScope = saved.scope;
  }
}

/**
 * Functions that are not inline callbacks, in source order: from the file's indexed nodes (file-nodes.ts, one walk
 * of the tree shared with the other whole-file scans, on an explicit stack).
 */
export function functionRoots(
  sf: ts.SourceFile,
  isRoot: (fn: ts.FunctionLikeDeclaration) => boolean,
): ts.FunctionLikeDeclaration[] {
  const out: ts.FunctionLikeDeclaration[] = [];
  for (const n of indexedNodes(sf)) if (isFunctionLike(n) && n.body && isRoot(n)) out.push(n);
  return out;
}
