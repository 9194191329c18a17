import path from 'node:path';
import ts from '../../ts.js';
import { functionName, type OriginResolver, shortText } from '../../code/origins.js';
import { skipOuter } from '../../syntax/wrappers.js';
import { setAsideKind } from '../../report/set-aside.js';
import type { CallEdge } from '../facts.js';
import { where } from '../handles.js';
import { chooseProvider, type EffectRead } from './effect-layers.js';
import { ownReturns } from './factories.js';

// Scope helpers that are values rather than functions declared by name: the helper a factory
// returns (`const withTenant = createWithTenant(deps.forTenant)`, `createForTenant(db)(id, fn)`),
// a factory's parameter the returned helper calls (`(c, fn) => forTenant(idOf(c), fn)`), a field
// of an injected dependency object (`deps.forTenant(id, fn)`). The settler asks which functions
// a callee can be at run time and judges the callback in each (the worst decides), so a helper
// is a scope helper exactly when its body sets the context on the executor it hands its
// callback, wherever it was made.
//
// A value is followed through consts, object literals (their spreads too), `??`/`||`/`?:`
// (every side), the returns of a factory, and a parameter: the argument of the factory call
// that made the helper when the parameter is the factory's, otherwise the argument at every
// call of the function (worst wins). Callers in test files are left out for a function that is
// not itself in one: a test's fake `forTenant` does not change what production code runs on
// (those files' writes are set aside the same way, report/set-aside.ts).

export interface HelperValueDeps {
  origins: OriginResolver;
  root: string;
  callers(fn: ts.FunctionLikeDeclaration): readonly CallEdge[];
  /** Whether every caller is visible (the walker); the plugin defers instead of guessing. */
  wholeProgram: boolean;
  /** What a `yield* Tag` of Effect's services is: the value the program's Layers provide (effect-layers.ts). */
  effectTag?: (read: ts.YieldExpression) => EffectRead | undefined;
}

/** The factory call that made a helper, and the factory: binds the factory's parameters the helper captures. */
export interface Made {
  call: ts.CallExpression;
  fn: ts.FunctionLikeDeclaration;
  outer?: Made;
}

export interface HelperValue {
  fn: ts.FunctionLikeDeclaration;
  made?: Made;
  /** How the value was reached, for the evidence: `createWithTenant(deps.forTenant) at a.ts:12`. */
  chain: string[];
}

export interface Denoted {
  helpers: HelperValue[];
  /** Why some value could not be followed (each makes the verdict unresolved, with this reason). */
  gaps: string[];
  /** True when a path yields no value at all (a property the object does not have): `??` then takes its right side. */
  absent: boolean;
  /** True when a caller may be in a file the analysis does not see (the plugin). */
  foreign: boolean;
}

// Each step is one binding, member, branch, return or call followed; the seen set makes each
// (expression, member path, factory call) visited once per question, so this bounds only a
// chain's length (a DI container's deps object is often 20 links from its route).
const MAX_STEPS = 64;
// A member path longer than this is not a dependency object's field: a recursive walker's own data (`node.left.left…`,
// one more link per recursive call) that would make every visit new and the search exponential.
const MAX_KEYS = 8;
// Values one question may visit in all: past it the answer is a gap (unresolved, with the reason), never a hang.
const MAX_VISITS = 20_000;

const none = (): Denoted => ({ helpers: [], gaps: [], absent: false, foreign: false });

function merge(into: Denoted, from: Denoted): Denoted {
  into.helpers.push(...from.helpers.filter((h) => !into.helpers.some((x) => x.fn === h.fn && x.made === h.made)));
  for (const g of from.gaps) if (!into.gaps.includes(g)) into.gaps.push(g);
  into.absent ||= from.absent;
  into.foreign ||= from.foreign;
  return into;
}

/** The functions a callee expression can be at run time. `made` binds the parameters of the factories that made it. */
export function denotedHelpers(deps: HelperValueDeps, callee: ts.Expression, made?: Made): Denoted {
  return new Follower(deps, false).value(callee, [], made, 0, []);
}

/**
 * The functions alone, for the questions that read nothing else (value-links.ts: whether a value call may link, and
 * its link): the same search, but no reason or chain is written (docs/performance.md, cpu28). Only whether a gap
 * exists steers the search (a spread that holds something), never its text, so the functions are denotedHelpers'.
 */
export function denotedFunctions(deps: HelperValueDeps, callee: ts.Expression): ts.FunctionLikeDeclaration[] {
  return new Follower(deps, true).value(callee, [], undefined, 0, []).helpers.map((h) => h.fn);
}

/** The reason a search for functions alone gives in place of each gap's text. */
const UNSAID = 'not followed';

class Follower {
  /**
   * Values visited, as `file:pos-end:keys:made` with the file as its ordinal in `files` (a denotation reads a few
   * files): the same identity as the file's name there, in a short string, not one with the whole path per visit.
   */
  private readonly seen = new Set<string>();
  private readonly files: string[] = [];
  private visits = 0;

  /** `quiet`: the functions alone are asked for (denotedFunctions). */
  constructor(private readonly deps: HelperValueDeps, private readonly quiet: boolean) {}

  /** A gap: its reason is written unless only the functions are asked for (`quiet`). */
  private gap(reason: () => string): Denoted {
    return { ...none(), gaps: [this.quiet ? UNSAID : reason()] };
  }

  /** Whether this value (at these keys, made by these calls) was visited before; marks it visited. */
  private visited(expr: ts.Expression, keys: readonly (string | number)[], made: Made | undefined): boolean {
    const file = expr.getSourceFile().fileName;
    let ordinal = this.files.indexOf(file);
    if (ordinal < 0) ordinal = this.files.push(file) - 1;
    const id = `${ordinal}:${expr.pos}-${expr.end}:${keys.length === 0 ? '' : keys.join('.')}:${madeKey(made)}`;
    if (this.seen.has(id)) return true;
    this.seen.add(id);
    return false;
  }

  value(expr: ts.Expression, keys: readonly (string | number)[], made: Made | undefined, steps: number,
    chain: string[]): Denoted {
    if (steps > MAX_STEPS || keys.length > MAX_KEYS || ++this.visits > MAX_VISITS)
      return this.gap(() => `\`${shortText(expr, 40)}\` passes through too many values to follow`);
    if (this.visited(expr, keys, made)) return none(); // a cycle adds nothing new
    const e = unwrap(expr);
    if (ts.isConditionalExpression(e))
      return merge(this.value(e.whenTrue, keys, made, steps + 1, chain),
        this.value(e.whenFalse, keys, made, steps + 1, chain));
    if (ts.isBinaryExpression(e) && isFallback(e.operatorToken.kind)) {
      const left = this.value(e.left, keys, made, steps + 1, chain);
      const right = this.value(e.right, keys, made, steps + 1, chain);
      // An absent left side means the right one runs; a present one may still be undefined at run time.
      return merge({ ...left, absent: false }, right);
    }
    if (ts.isObjectLiteralExpression(e) && keys.length > 0) return this.member(e, keys, made, steps, chain);
    if (ts.isCallExpression(e)) return this.returned(e, keys, made, steps, chain);
    const service = ts.isYieldExpression(e) ? this.deps.effectTag?.(e) : undefined;
    if (service) return this.service(service, keys, made, steps, chain);
    if (ts.isNewExpression(e) && keys.length > 0) return this.constructed(e, keys, made, steps, chain);
    const o = this.deps.origins.expr(e);
    switch (o.kind) {
      case 'function':
        return keys.length === 0
          ? { ...none(), helpers: [{ fn: o.decl, ...(made ? { made } : {}), chain }] }
          : this.gap(() => `\`${shortText(expr, 40)}\` is a function, not an object`);
      case 'param':
        return this.param(o.binding, [...o.path, ...keys], made, steps, chain);
      case 'expr':
        if (unwrap(o.expr) === e) break;
        return this.value(o.expr, keys, made, steps + 1, chain);
      case 'unknown':
        // `deps.forTenant` where deps is an object with spreads: read the member here (member() looks into them).
        if (ts.isPropertyAccessExpression(e))
          return this.value(e.expression, [e.name.text, ...keys], made, steps + 1, chain);
        return this.gap(() => o.reason);
      default:
        break;
    }
    return this.gap(() => `\`${shortText(expr, 40)}\` is not a function rls-guard can follow`);
  }

  /**
   * `yield* Tag` of an Effect service: the value its one provider gives (at `keys`), or why there is none;
   * `yield* f()`: what the effect `f` returns yields.
   */
  private service(effect: EffectRead, keys: readonly (string | number)[], made: Made | undefined, steps: number,
    chain: string[]): Denoted {
    // The providers may be in any file: the plugin's project index decides (as for a parameter's callers).
    if (effect.kind === 'tag' && !this.deps.wholeProgram)
      return { ...none(), foreign: true, gaps: ['its providers are in other files'] };
    const read = effect.kind === 'tag' ? chooseProvider(effect, (call) => this.testOnly(call, 0)) : effect;
    if (read.kind === 'unknown') return this.gap(() => read.reason);
    const out = none();
    const via = this.quiet ? chain : [...chain, read.label];
    for (const value of read.values) merge(out, this.value(value, keys, made, steps + 1, via));
    return out;
  }

  /** Whether a node runs only under tests: in a test file, or in a function every call of which does. */
  private testOnly(node: ts.Node, depth: number): boolean {
    if (isTestFile(node, this.deps.root)) return true;
    let fn: ts.Node | undefined = node.parent;
    while (fn && !ts.isFunctionLike(fn)) fn = fn.parent;
    if (!fn || depth > 4) return false;
    const edges = this.deps.callers(fn as ts.FunctionLikeDeclaration);
    return edges.length > 0 && edges.every((e) => this.testOnly(e.call, depth + 1));
  }

  /** `{ forTenant, ...rest }` read at `forTenant`: the property, or the spreads that may hold it. */
  private member(obj: ts.ObjectLiteralExpression, keys: readonly (string | number)[], made: Made | undefined,
    steps: number, chain: string[]): Denoted {
    const [key, ...rest] = keys;
    const out = none();
    let found = false;
    // Later properties override earlier ones: walk backwards, stop at a plain property.
    for (const p of [...obj.properties].reverse()) {
      if (ts.isSpreadAssignment(p)) {
        const inner = this.value(p.expression, keys, made, steps + 1, chain);
        merge(out, { ...inner, absent: false });
        if (!inner.absent || inner.helpers.length || inner.gaps.length) found = true;
        continue;
      }
      const name = p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : undefined;
      if (name !== String(key)) continue;
      if (ts.isShorthandPropertyAssignment(p))
        return merge(out, this.value(p.name, rest, made, steps + 1, chain));
      if (ts.isPropertyAssignment(p)) return merge(out, this.value(p.initializer, rest, made, steps + 1, chain));
      if (ts.isMethodDeclaration(p) && rest.length === 0)
        return merge(out, { ...none(), helpers: [{ fn: p, ...(made ? { made } : {}), chain }] });
      return merge(out, this.gap(() => `\`${name}\` is an accessor`));
    }
    if (!found) out.absent = true;
    return out;
  }

  /** `f(args)` read as a value: what `f` returns (at `keys`), its parameters bound to this call. */
  private returned(call: ts.CallExpression, keys: readonly (string | number)[], made: Made | undefined,
    steps: number, chain: string[]): Denoted {
    const factories = this.value(call.expression, [], made, steps + 1, chain);
    const out: Denoted = { ...none(), gaps: [...factories.gaps], foreign: factories.foreign };
    for (const f of factories.helpers) {
      const returns = ownReturns(f.fn);
      if (returns.length === 0) {
        out.gaps.push(this.quiet ? UNSAID : `\`${functionName(f.fn)}\` returns nothing rls-guard can follow`);
        continue;
      }
      const via = this.quiet ? chain : [...chain, `${functionName(f.fn)}() at ${where(call, this.deps.root)}`];
      const inner: Made = { call, fn: f.fn, ...(f.made ? { outer: f.made } : {}) };
      for (const r of returns) merge(out, this.value(r, keys, inner, steps + 1, via));
    }
    return out;
  }

  /**
   * `new UserAccess(id)` read at `run`: that method of the class of the codebase it constructs (its own or a base
   * class's, as the origin resolver reads a member of `new C()`). An access object handed along as an interface
   * (`access.run(fn)` with `access: Access` given `new UserAccess(id)` by a caller) reaches its class's helper here.
   */
  private constructed(e: ts.NewExpression, keys: readonly (string | number)[], made: Made | undefined,
    steps: number, chain: string[]): Denoted {
    const [key, ...rest] = keys;
    const m = this.deps.origins.member(this.deps.origins.expr(e), key!);
    const cls = this.quiet ? '' : shortText(e.expression, 40);
    const via = this.quiet ? chain : [...chain, `new ${cls}() at ${where(e, this.deps.root)}`];
    if (m.kind === 'function')
      return rest.length === 0
        ? { ...none(), helpers: [{ fn: m.decl, ...(made ? { made } : {}), chain: via }] }
        : this.gap(() => `\`${cls}.${String(key)}\` is a method, not an object`);
    if (m.kind === 'expr') return this.value(m.expr, rest, made, steps + 1, via);
    return this.gap(() =>
      m.kind === 'unknown' ? m.reason : `\`${shortText(e, 40)}\` has no method rls-guard can follow`);
  }

  /** A parameter: the argument of the factory call that made the helper, or of every call of its function. */
  private param(binding: { fn: ts.SignatureDeclaration; index: number; decl: ts.ParameterDeclaration },
    keys: readonly (string | number)[], made: Made | undefined, steps: number, chain: string[]): Denoted {
    const fn = binding.fn as ts.FunctionLikeDeclaration;
    for (let m = made; m; m = m.outer) {
      if (m.fn !== fn) continue;
      return this.argument(m.call.arguments[binding.index], binding.decl, keys, m.outer, steps, chain);
    }
    if (!this.deps.wholeProgram) return { ...none(), foreign: true, gaps: [`its callers are in other files`] };
    const inTest = isTestFile(fn, this.deps.root);
    const edges = this.deps.callers(fn).filter((e) => inTest || !isTestFile(e.call, this.deps.root));
    if (edges.length === 0)
      return { ...none(), gaps: [`no call of \`${functionName(fn)}\` was found to say what it is given`] };
    const out = none();
    for (const edge of edges) {
      const args = edge.argExprs ?? edge.call.arguments ?? [];
      const at = `${where(edge.call, this.deps.root)} ${shortText(edge.call, 40)}`;
      merge(out, this.argument(args[binding.index], binding.decl, keys, undefined, steps, [...chain, at]));
    }
    return out;
  }

  private argument(arg: ts.Expression | undefined, decl: ts.ParameterDeclaration, keys: readonly (string | number)[],
    made: Made | undefined, steps: number, chain: string[]): Denoted {
    // A missing argument takes the parameter's default (`overrides = {}`); with none it is undefined.
    const value = arg ?? decl.initializer;
    if (!value) return { ...none(), absent: true };
    // A destructured parameter (`{ forTenant }`) reads that member of the argument.
    return this.value(value, keys, made, steps + 1, chain);
  }
}

function unwrap(expr: ts.Expression): ts.Expression {
  let e = skipOuter(expr);
  while (ts.isAwaitExpression(e) || ts.isNonNullExpression(e) || ts.isSatisfiesExpression(e))
    e = skipOuter(e.expression);
  return e;
}

function isFallback(kind: ts.SyntaxKind): boolean {
  return kind === ts.SyntaxKind.QuestionQuestionToken || kind === ts.SyntaxKind.BarBarToken;
}

function madeKey(made: Made | undefined): string {
  if (!made) return '';
  const out: number[] = [];
  for (let m: Made | undefined = made; m; m = m.outer) out.push(m.call.end);
  return out.join('/');
}

/**
 * The functions a file passes around as values. A test file's uses of a function that is not a test's own
 * (`asMock(createTag).mockReset()`, a spy) say nothing of who calls it in production, like a test's calls
 * (program.ts): they are left out.
 */
export function escapedOutsideTests(
  f: { sf: ts.SourceFile; escapedFunctions: ReadonlySet<ts.FunctionLikeDeclaration> },
  root: string,
): Iterable<ts.FunctionLikeDeclaration> {
  if (!isTestFile(f.sf, root)) return f.escapedFunctions;
  return [...f.escapedFunctions].filter((fn) => isTestFile(fn, root));
}

/** Whether a node is in a test file (set aside from the report: report/set-aside.ts). */
export function isTestFile(node: ts.Node, root: string): boolean {
  // Asked for every caller of every parameter traced: once per file and root.
  const sf = node.getSourceFile();
  let byRoot = testFiles.get(sf);
  if (!byRoot) testFiles.set(sf, (byRoot = new Map()));
  let answer = byRoot.get(root);
  if (answer === undefined) {
    answer = setAsideKind(path.relative(root, sf.fileName).split(path.sep).join('/')) === 'tests';
    byRoot.set(root, answer);
  }
  return answer;
}

const testFiles = new WeakMap<ts.SourceFile, Map<string, boolean>>();
