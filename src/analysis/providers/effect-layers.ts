import ts from '../../ts.js';
import { type Origin, type OriginResolver, shortText } from '../../code/origins.js';
import { indexedNodes } from '../../code/file-nodes.js';
import { skipOuter } from '../../syntax/wrappers.js';
import { ownReturns } from './factories.js';

// Effect's services (the `effect` package): a program reads a service with `yield* Tag` inside `Effect.gen`, and the
// value it gets is whatever a Layer (or `Effect.provideService`) provided for that Tag on the path that ran it. No
// call names the implementation, so rls-guard read `sqlClient.query(cb)` on `const sqlClient = yield* SqlClient` as a
// value it could not follow (latitude-llm, corpus34). Here a `yield* Tag` reads as what the program's own providers
// give that Tag:
// - `Layer.succeed(Tag, value)`, `Effect.provideService(Tag, value)`: the value;
// - `Layer.sync(Tag, () => value)`: what the function returns;
// - `Layer.effect(Tag, eff)`, `Layer.scoped(Tag, eff)`, `Effect.provideServiceEffect(Tag, eff)`: what the effect
//   yields: `Effect.gen(function* () { … return value })`'s returns, `Effect.succeed(value)`, `Effect.sync(f)`.
// One provider outside tests: its value (a test's fake never runs in production; its own tests read their fakes).
// Several: which one a path runs is decided by the `Effect.provide` that wraps it, which is not followed, so the read
// stays unresolved naming each of them. None: unresolved, naming the Tag.

export interface EffectLayerDeps {
  origins: OriginResolver;
  files: () => readonly ts.SourceFile[];
  where: (n: ts.Node) => string;
  inTest: (n: ts.Node) => boolean;
}

/** The providers of the Tag a `yield* Tag` reads: each one's values, or why they cannot be read. */
export interface TagProviders {
  kind: 'tag';
  tag: string;
  providers: {
    call: ts.CallExpression;
    /** `Layer.effect at src/sql-client.ts:46`. */
    label: string;
    values?: readonly ts.Expression[];
    reason?: string;
  }[];
}

/**
 * What a `yield*` of Effect reads: a Tag's providers, the values an effect a function of the code returns yields, or
 * why that effect's value cannot be read.
 */
export type EffectRead =
  | TagProviders
  | { kind: 'yields'; values: readonly ts.Expression[]; label: string }
  | { kind: 'unknown'; reason: string };

/** What a `yield* Tag` is: the values its one provider gives, or why it is not one value rls-guard can read. */
export type TagRead =
  | { kind: 'provided'; values: readonly ts.Expression[]; label: string }
  | { kind: 'unknown'; reason: string };

/**
 * The provider a `yield* Tag` runs with, of those that stand for production: a provider made in a function only tests
 * call (a `testing/` module's fake layers, `testOnly`) is left out like a test file's. One left: its values. Several:
 * which one a path runs is chosen by the `Effect.provide` around it, which is not followed, so the read is unresolved
 * naming each. None: unresolved, naming the Tag.
 */
export function chooseProvider(read: TagProviders, testOnly: (call: ts.CallExpression) => boolean): TagRead {
  const kept = read.providers.filter((p) => !testOnly(p.call));
  if (kept.length === 0)
    return { kind: 'unknown', reason: `no Layer of the program provides the Effect service \`${read.tag}\`` };
  if (kept.length > 1)
    return {
      kind: 'unknown',
      reason: `the Effect service \`${read.tag}\` has ${kept.length} providers ` +
        `(${kept.map((p) => p.label).join(', ')}); which one a path runs is chosen by the \`Effect.provide\` ` +
        'around it, which rls-guard does not follow',
    };
  const p = kept[0]!;
  if (!p.values) return { kind: 'unknown', reason: `${p.reason ?? 'its value cannot be read'} (${p.label})` };
  return { kind: 'provided', values: p.values, label: `\`${read.tag}\` provided by ${p.label}` };
}

interface Provision {
  call: ts.CallExpression;
  /** How the provider gives its value: a value, a function returning it, or an effect yielding it. */
  form: 'value' | 'thunk' | 'effect';
  given: ts.Expression;
}

const LAYER_FORMS: Record<string, Provision['form']> = {
  succeed: 'value',
  sync: 'thunk',
  effect: 'effect',
  scoped: 'effect',
};
const PROVIDE_FORMS: Record<string, Provision['form']> = { provideService: 'value', provideServiceEffect: 'effect' };
/** The members of `Effect.Service`'s options that make its own layer. */
const SERVICE_FORMS: Record<string, Provision['form']> = {
  effect: 'effect',
  scoped: 'effect',
  succeed: 'value',
  sync: 'thunk',
};

export class EffectLayers {
  private index: { tags: Map<ts.Node, Provision[]>; tests: Map<ts.Node, Provision[]> } | undefined;
  private indexed: readonly ts.SourceFile[] | undefined;
  /** The provider an `Effect.Service` class brings itself (its options' `effect`, `succeed`, …), by class. */
  private readonly own = new Map<ts.Node, Provision>();
  /** Whether anything asked: the results then depend on every file that may provide a Tag (the audit cache). */
  wasRead = false;

  constructor(private readonly deps: EffectLayerDeps) {}

  /** Whether the providers, as read, hold nothing (a program that provides no Effect service). */
  holdsNothing(): boolean {
    return !!this.index && this.index.tags.size === 0 && this.index.tests.size === 0;
  }

  /**
   * `yield* X` where X is an Effect Context Tag: the program's providers for it (a test's own fakes only when the read
   * is in a test; which of them stand for production is the reader's to say, `chooseProvider`). `yield* f()` where `f`
   * is a function of the code returning an effect (`resolveSqlClient()` returning `Effect.gen(function* () { …
   * return sqlClient })`): what that effect yields. Undefined for any other `yield`.
   */
  read(expr: ts.YieldExpression): EffectRead | undefined {
    if (!expr.asteriskToken || !expr.expression) return undefined;
    const tag = this.tagOf(expr.expression);
    if (!tag) return this.called(expr.expression);
    const index = this.read$();
    const own = this.own.get(tag);
    const found = [
      ...(own ? [own] : []),
      ...(index.tags.get(tag) ?? (this.deps.inTest(expr) ? index.tests.get(tag) : undefined) ?? []),
    ];
    return {
      kind: 'tag',
      tag: shortText(expr.expression, 40),
      providers: found.map((p) => {
        const values = this.valuesOf(p);
        const label = `${shortText(p.call.expression, 30)} at ${this.deps.where(p.call)}`;
        return typeof values === 'string' ? { call: p.call, label, reason: values } : { call: p.call, label, values };
      }),
    };
  }

  /** `f()` yielded: what the effects `f` returns yield, when every return is one whose value is read. */
  private called(e: ts.Expression): EffectRead | undefined {
    const call = skipOuter(e);
    if (!ts.isCallExpression(call)) return undefined;
    const o = this.deps.origins.expr(call.expression);
    if (o.kind !== 'function') return undefined;
    // A generator of the code delegated to (`yield* gen()`) gives what it returns.
    if (o.decl.asteriskToken) {
      const returned = ownReturns(o.decl);
      const label = `what \`${shortText(call, 40)}\` (${this.deps.where(call)}) returns`;
      return returned.length === 0 ? undefined : { kind: 'yields', values: returned, label };
    }
    const values: ts.Expression[] = [];
    for (const r of ownReturns(o.decl)) {
      const yielded = this.yielded(r, 0);
      if (typeof yielded === 'string') return { kind: 'unknown', reason: yielded };
      values.push(...yielded);
    }
    if (values.length === 0) return undefined;
    return { kind: 'yields', values, label: `what \`${shortText(call, 40)}\` (${this.deps.where(call)}) yields` };
  }

  /** What identifies a Tag: a class extending `Context.Tag(…)`/`Context.Service…`, or a const's tag. */
  private tagOf(e: ts.Expression): ts.Node | undefined {
    const o = this.deps.origins.expr(skipOuter(e));
    if (o.kind === 'class') {
      const base = o.decl.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0];
      const maker = base && this.makerOf(base.expression);
      if (maker?.own && !this.own.has(o.decl)) this.own.set(o.decl, maker.own);
      return maker ? o.decl : undefined;
    }
    if (o.kind === 'expr') {
      const made = skipOuter(o.expr);
      return ts.isCallExpression(made) && this.makerOf(made) ? made : undefined;
    }
    return undefined;
  }

  /**
   * `Context.Tag("id")<Self, Shape>()`, `Context.Service<Self, Shape>()("id")`, `Context.GenericTag<Shape>("id")`:
   * a chain of calls whose innermost callee is `Tag`, `Service`, `GenericTag` or `Reference` of effect's Context.
   * `Effect.Service<Self>()("id", { effect | scoped | succeed | sync })` makes a Tag that provides itself: that member
   * is its own provider (its `Default` layer), beside any other the program has.
   */
  private makerOf(e: ts.Expression): { own?: Provision } | undefined {
    const outer = skipOuter(e);
    let callee = outer;
    while (ts.isCallExpression(callee) || ts.isExpressionWithTypeArguments(callee))
      callee = skipOuter(callee.expression);
    if (!ts.isPropertyAccessExpression(callee)) return undefined;
    const of = this.deps.origins.expr(callee.expression);
    if (['Tag', 'Service', 'GenericTag', 'Reference'].includes(callee.name.text) && isEffectModule(of, 'Context'))
      return {};
    if (callee.name.text !== 'Service' || !isEffectModule(of, 'Effect')) return undefined;
    const options = ts.isCallExpression(outer) ? outer.arguments[1] : undefined;
    const literal = options && skipOuter(options);
    if (!literal || !ts.isObjectLiteralExpression(literal)) return {};
    for (const p of literal.properties) {
      const name = p.name && ts.isIdentifier(p.name) ? p.name.text : undefined;
      const form = name && Object.hasOwn(SERVICE_FORMS, name) ? SERVICE_FORMS[name] : undefined;
      if (!form || !ts.isPropertyAssignment(p)) continue;
      return { own: { call: outer as ts.CallExpression, form, given: p.initializer } };
    }
    return {};
  }

  private read$(): NonNullable<EffectLayers['index']> {
    // Read from every file of the program: in an editor session any change evicts what read it.
    this.deps.origins.facts.touch('*');
    this.wasRead = true;
    const files = this.deps.files();
    if (this.index && this.indexed === files) return this.index;
    this.indexed = files;
    const index = { tags: new Map<ts.Node, Provision[]>(), tests: new Map<ts.Node, Provision[]>() };
    for (const sf of files)
      for (const n of indexedNodes(sf)) {
        if (!ts.isCallExpression(n)) continue;
        const p = this.provision(n);
        const tag = p && this.tagOf(p.tag);
        if (!p || !tag) continue;
        const into = this.deps.inTest(n) ? index.tests : index.tags;
        into.set(tag, [...(into.get(tag) ?? []), p.provision]);
      }
    return (this.index = index);
  }

  /** A call that provides a Tag: `Layer.succeed(Tag, v)`, `Effect.provideService(Tag, v)` (either arity), … */
  private provision(call: ts.CallExpression): { tag: ts.Expression; provision: Provision } | undefined {
    const callee = skipOuter(call.expression);
    if (!ts.isPropertyAccessExpression(callee)) return undefined;
    const method = callee.name.text;
    const layer = Object.hasOwn(LAYER_FORMS, method) ? LAYER_FORMS[method] : undefined;
    const provide = Object.hasOwn(PROVIDE_FORMS, method) ? PROVIDE_FORMS[method] : undefined;
    if (!layer && !provide) return undefined;
    const of = this.deps.origins.expr(callee.expression);
    if (layer && isEffectModule(of, 'Layer')) {
      const [tag, given] = call.arguments;
      return tag && given ? { tag, provision: { call, form: layer, given } } : undefined;
    }
    if (provide && isEffectModule(of, 'Effect')) {
      // Data-first `Effect.provideService(self, Tag, v)` or the piped `Effect.provideService(Tag, v)`.
      const [tag, given] = call.arguments.length >= 3 ? call.arguments.slice(1) : call.arguments;
      return tag && given ? { tag, provision: { call, form: provide, given } } : undefined;
    }
    return undefined;
  }

  /** The values a provider gives, or why they cannot be read. */
  private valuesOf(p: Provision): readonly ts.Expression[] | string {
    if (p.form === 'value') return [p.given];
    const fn = this.functionOf(p.given);
    if (p.form === 'thunk')
      return fn ? ownReturns(fn) : `\`${shortText(p.given, 40)}\` is not a function rls-guard can read`;
    return this.yielded(p.given, 0);
  }

  /** What an effect value yields: `Effect.gen(function* () { return v })`, `Effect.succeed(v)`, `Effect.sync(f)`. */
  private yielded(eff: ts.Expression, depth: number): readonly ts.Expression[] | string {
    const e = skipOuter(eff);
    const fails = `\`${shortText(eff, 40)}\` is not an effect whose value rls-guard can read`;
    if (depth > 4) return fails;
    if (ts.isIdentifier(e)) {
      const o = this.deps.origins.expr(e);
      return o.kind === 'expr' && skipOuter(o.expr) !== e ? this.yielded(o.expr, depth + 1) : fails;
    }
    if (!ts.isCallExpression(e) || !ts.isPropertyAccessExpression(skipOuter(e.expression))) return fails;
    const callee = skipOuter(e.expression) as ts.PropertyAccessExpression;
    if (!isEffectModule(this.deps.origins.expr(callee.expression), 'Effect')) return fails;
    const method = callee.name.text;
    if (method === 'succeed' && e.arguments[0]) return [e.arguments[0]];
    // `Effect.gen(function* () {…})`, or `Effect.gen(self, function* () {…})`: the generator is the last argument.
    const fn = this.functionOf(e.arguments[e.arguments.length - 1]);
    if ((method === 'gen' || method === 'sync') && fn) return ownReturns(fn);
    return fails;
  }

  private functionOf(e: ts.Expression | undefined): ts.FunctionLikeDeclaration | undefined {
    if (!e) return undefined;
    const inner = skipOuter(e);
    if (ts.isFunctionExpression(inner) || ts.isArrowFunction(inner)) return inner;
    const o = this.deps.origins.expr(inner);
    return o.kind === 'function' ? o.decl : undefined;
  }
}

/** Whether an origin is one of effect's modules: `import { Layer } from 'effect'` or `import * as Layer from …`. */
function isEffectModule(o: Origin, name: string): boolean {
  if (o.kind !== 'external') return false;
  if (o.module === 'effect') return o.path.length === 1 && o.path[0] === name;
  return o.module === `effect/${name}` && o.path.length === 0;
}

/**
 * Why a value an Effect generator yields is no connection rls-guard can trace (`const tx = yield*
 * Effect.tryPromise({ try: () => ready })`, latitude-llm's transaction held across the Layer's `transaction()` and
 * `query()`): what an effect resolves to is decided when it runs, often by a Promise another callback resolves; the
 * reason names the `yield*` and where it is, so the fix (declare the method a scope helper) can be aimed.
 */
export function yieldedReason(e: ts.YieldExpression, at: ts.Expression, where: (n: ts.Node) => string): string {
  const what = e.expression ? `yield${e.asteriskToken ? '*' : ''} ${shortText(e.expression, 40)}` : 'yield';
  return `\`${shortText(at, 40)}\` is what \`${what}\` (${where(e)}) gives inside a generator: the value its runner ` +
    'sends back when it runs (what an Effect resolves to), which rls-guard does not follow';
}
