import ts from 'typescript';
import { BudgetExceeded, type Facts } from './fixpoint.js';
import { functionName } from './origins.js';

// A work budget per function and per file, so pathological code (generated, minified,
// adversarial) ends as `unresolved` sites that say why, never as a hang; and a stack
// overflow from nesting deeper than the walk can follow ends the same way, never as a crash.
// Budgets grow with the code's size: the analysis is linear, so honest code of any size
// fits; only work out of proportion to the text runs out.

/** Steps per character of a function's text, and a floor for small functions that call deep chains. */
export const FUNCTION_STEPS_PER_CHAR = 40;
export const FUNCTION_STEPS_FLOOR = 200_000;
export const FILE_STEPS_PER_CHAR = 40;
export const FILE_STEPS_FLOOR = 2_000_000;

export interface FileBudget {
  /** The step count at which the file's budget runs out. */
  readonly until: number;
  /** Set once the file's budget ran out: nothing more of the file is interpreted. */
  exhausted: boolean;
}

export function fileBudget(facts: Facts, sf: ts.SourceFile): FileBudget {
  return { until: facts.steps + FILE_STEPS_FLOOR + FILE_STEPS_PER_CHAR * sf.text.length, exhausted: false };
}

/**
 * Runs `body` (the interpretation of one function, or of the module's top level) under
 * the budget. Returns undefined when it finished, else why it stopped.
 */
export function withinBudget(facts: Facts, file: FileBudget, node: ts.Node, body: () => void): string | undefined {
  const own = facts.steps + FUNCTION_STEPS_FLOOR + FUNCTION_STEPS_PER_CHAR * (node.end - node.pos);
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
        ? `analysis budget exceeded in file ${node.getSourceFile().fileName.split(/[\\/]/).pop()} at ${name}; the rest of the file is not analysed`
        : `analysis budget exceeded in ${name}`;
    }
    if (error instanceof RangeError && /call stack/i.test(error.message)) return `${name} nests too deeply for the analysis to follow`;
    throw error;
  } finally {
    facts.limit = saved.limit;
    facts.limitScope = saved.scope;
  }
}

/** Functions that are not inline callbacks, in source order, found without recursion on the JS stack. */
export function functionRoots(sf: ts.SourceFile, isRoot: (fn: ts.FunctionLikeDeclaration) => boolean, isFunction: (n: ts.Node) => n is ts.FunctionLikeDeclaration): ts.FunctionLikeDeclaration[] {
  const out: ts.FunctionLikeDeclaration[] = [];
  const work: ts.Node[] = [];
  const pushChildren = (n: ts.Node): void => {
    const children: ts.Node[] = [];
    ts.forEachChild(n, (c) => {
      children.push(c);
    });
    for (let i = children.length - 1; i >= 0; i--) work.push(children[i]!);
  };
  pushChildren(sf);
  while (work.length) {
    const n = work.pop()!;
    if (isFunction(n) && n.body && isRoot(n)) out.push(n);
    pushChildren(n);
  }
  return out;
}
