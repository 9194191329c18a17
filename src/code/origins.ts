import path from 'node:path';
import ts from '../ts.js';
import { OneCopy } from './one-copy.js';
import { globalCacheValue } from './global-cache.js';
import { Facts, type FactKind, TrackedMemo } from './fixpoint.js';
import { type ExportTarget, resolveExport, resolveImport } from './modules.js';
import { assignedValues, type Binding, isEmptyValue, isStableVariable, lazySingletonValue, lookup } from './scope.js';
import { skipOuter } from '../syntax/wrappers.js';
import type { SourceHost } from './source-host.js';
import {
  constructorAssignment,
  fieldAssignments,
  foreignAssignments,
  type Replacement,
  replacementsOf,
} from './carried.js';
import { walkDescendants } from './walk.js';
import { extensionClientMethod } from './prisma-extensions.js';
import { classMethod, injectedClass } from './injected.js';

// Where a value comes from: follows const bindings, destructuring, object properties,
// imports, re-exports and require() until it reaches an expression that makes the value.

export type Origin =
  | { kind: 'expr'; expr: ts.Expression }
  | { kind: 'module'; sf: ts.SourceFile }
  | { kind: 'external'; module: string; path: string[] }
  | { kind: 'param'; binding: Extract<Binding, { kind: 'parameter' }>; path: (string | number)[] }
  | { kind: 'function'; decl: ts.FunctionLikeDeclaration; name: string }
  | { kind: 'class'; decl: ts.ClassLikeDeclaration }
  /**
   * `values`: a member replaced after its object was built (`deps.db = pool`) is each of these, the initial value
   * first (analysis/providers/replaced-members.ts judges the worst).
   */
  | {
      kind: 'unknown';
      reason: string;
      values?: Replacement[];
      /**
       * A method read off a value that is one of several (`Queue.getDb().executeSql` with the static field given two
       * classes' instances): that method of each, when every value has it; a call runs one of them.
       */
      methods?: { decl: ts.FunctionLikeDeclaration; name: string }[];
      /** `values` are the assignments of this instance field of a class (`this.dataSource = …` in several places). */
      field?: string;
      /**
       * `this.repo` read through a getter (`get repo() { … return manager.getRepository(X) }`): not followed as a
       * value, but a reader may follow its one return where that reads an ambient store (analysis/handles.ts).
       */
      getter?: ts.GetAccessorDeclaration;
      /** `values` are what a local `let` is given (its initializer and each plain `=`), not a member's. */
      local?: true;
    };

export class OriginResolver {
  // Where each expression comes from, once per node: a constant used at a thousand queries
  // is followed once, and a chain of bindings costs its length, not its length per use.
  private readonly originKind: FactKind<ts.Expression, Origin> = {
    name: 'origin',
    compute: (e) => this.kept(this.compute(e)),
    conservative: (_e, why) => ({
      kind: 'unknown',
      reason:
        why === 'depth' ? 'the value passes through too many bindings' : 'the value is defined in terms of itself',
    }),
    same: sameOrigin,
  };
  /**
   * What an import names, once per importing file, module and name (re-exports are read once).
   * Keyed by the file object, not its path: an analysis session (session.ts) replaces a changed
   * file with a new parse, whose imports must be resolved again.
   */
  // A tracked memo (fixpoint.ts): in a session an unchanged file keeps its parse while a file
  // it imports from changes, and the answers that read the changed file are evicted.
  private readonly imports = new WeakMap<ts.SourceFile, TrackedMemo<string, ExportTarget | undefined>>();
  /**
   * The returned expressions `member` is reading a key of, innermost last: a function whose only returned value is
   * its own call (`return deliver(id, attempt + 1)`) would otherwise be read again without end.
   */
  private readonly readingReturns = new Set<ts.Expression>();
  /** The spreads a member is being read through (`property`): a spread that reads back to itself is cut. */
  private readonly readingSpreads = new Set<ts.Node>();

  private importsOf(sf: ts.SourceFile): TrackedMemo<string, ExportTarget | undefined> {
    let map = this.imports.get(sf);
    if (!map) this.imports.set(sf, (map = new TrackedMemo(this.facts)));
    return map;
  }

  /** Members of object literals that other modules replace (`container.db = pool`), by object and key. */
  private readonly foreign = new Map<ts.ObjectLiteralExpression, Map<string, Replacement[]>>();

  constructor(
    readonly host: SourceHost,
    readonly facts: Facts = new Facts(),
  ) {}

  /** Each distinct reason once (one-copy.ts): kept as long as the facts. */
  private readonly reasons = new OneCopy();

  /** The origin with its reason's one kept copy (a fresh origin's own field: nothing else holds it yet). */
  private kept(origin: Origin): Origin {
    if (origin.kind === 'unknown') origin.reason = this.reasons.of(origin.reason);
    return origin;
  }

  /**
   * Reads, before any origin is asked for, the members these files replace on objects they
   * import: a reader of that member then sees it is not one value, in whichever file it reads.
   */
  registerForeignReplacements(files: readonly ts.SourceFile[]): void {
    for (const sf of files)
      for (const a of foreignAssignments(sf)) {
        // The import's origin is followed by the fact engine (cycles and depth cut there).
        const origin = this.expr(a.holder);
        if (origin.kind !== 'expr') continue;
        const obj = skipOuter(origin.expr);
        if (!ts.isObjectLiteralExpression(obj)) continue;
        let byKey = this.foreign.get(obj);
        if (!byKey) this.foreign.set(obj, (byKey = new Map()));
        byKey.set(a.key, [...(byKey.get(a.key) ?? []), a.replacement]);
      }
  }

  /** Forgets the members these parses replaced (an editor session's: the files register again). */
  forgetForeignFrom(gone: ReadonlySet<ts.SourceFile>): void {
    for (const byKey of this.foreign.values())
      for (const [key, list] of byKey) byKey.set(key, list.filter((r) => !gone.has(r.at.getSourceFile())));
  }

  /** `_steps` is ignored: cycles and depth are the fact engine's (kept for callers' signatures). */
  expr(expression: ts.Expression, _steps = 0): Origin {
    const e = skipOuter(expression);
    // Only names and member reads follow bindings; anything else is its own origin, and
    // remembering it would only cost memory.
    if (
      ts.isIdentifier(e) ||
      ts.isPropertyAccessExpression(e) ||
      ts.isElementAccessExpression(e) ||
      ts.isCallExpression(e) ||
      ts.isAwaitExpression(e)
    )
      return this.facts.get(this.originKind, e);
    return this.compute(e);
  }

  private compute(e: ts.Expression, steps = 0): Origin {
    if (ts.isIdentifier(e)) return this.identifier(e, steps + 1);
    // `this.#db`: an ECMAScript private field reads like any other member (its key keeps the `#`).
    if (ts.isPropertyAccessExpression(e) && (ts.isIdentifier(e.name) || ts.isPrivateIdentifier(e.name))) {
      const cached = globalCacheValue(e);
      if (cached) return this.expr(cached, steps + 1);
      return this.member(this.expr(e.expression, steps + 1), e.name.text, steps + 1);
    }
    if (
      ts.isElementAccessExpression(e) &&
      (ts.isStringLiteral(e.argumentExpression) || ts.isNoSubstitutionTemplateLiteral(e.argumentExpression))
    ) {
      return this.member(this.expr(e.expression, steps + 1), e.argumentExpression.text, steps + 1);
    }
    if (
      ts.isCallExpression(e) &&
      ts.isIdentifier(e.expression) &&
      e.expression.text === 'require' &&
      !lookup(e.expression)
    ) {
      const arg = e.arguments[0];
      if (arg && ts.isStringLiteral(arg)) return this.moduleOrigin(e.getSourceFile(), arg.text);
    }
    if (ts.isAwaitExpression(e) && ts.isCallExpression(skipOuter(e.expression))) {
      const inner = skipOuter(e.expression) as ts.CallExpression;
      // `await import('pg')`, `(await import('./db')).db`: the module, resolved as a static import is.
      if (inner.expression.kind === ts.SyntaxKind.ImportKeyword) {
        const spec = inner.arguments[0] && skipOuter(inner.arguments[0]);
        if (spec && (ts.isStringLiteral(spec) || ts.isNoSubstitutionTemplateLiteral(spec)))
          return this.moduleOrigin(e.getSourceFile(), spec.text);
        // A module chosen at run time: what it exports cannot be known (fail closed: its writes are unresolved).
        return {
          kind: 'unknown',
          reason:
            `cannot resolve \`${shortText(inner, 40)}\`: the module's name is known only at run time (import it ` +
            'by a constant path for rls-guard to follow it)',
        };
      }
    }
    if (ts.isFunctionExpression(e) || ts.isArrowFunction(e))
      return { kind: 'function', decl: e, name: functionName(e) };
    if (ts.isClassExpression(e)) return { kind: 'class', decl: e };
    return { kind: 'expr', expr: e };
  }

  identifier(id: ts.Identifier, steps = 0): Origin {
    const binding = lookup(id);
    if (!binding) return { kind: 'unknown', reason: `\`${id.text}\` is not declared in this file` };
    return this.binding(binding, id.getSourceFile(), steps);
  }

  binding(binding: Binding, sf: ts.SourceFile, steps = 0): Origin {
    switch (binding.kind) {
      case 'variable': {
        if (!isStableVariable(binding)) {
          const lazy = lazySingletonValue(binding);
          if (lazy) return this.expr(lazy, steps + 1);
          const reason = `\`${(binding as Binding).name}\` is reassigned`;
          // `let tnx = opts.tnx; if (!tnx) tnx = await conn.transaction()`: each value it is given, judged together
          // (analysis/providers/replaced-members.ts); changed any other way (`+=`, destructuring), none.
          const values = localValues(binding as Extract<Binding, { kind: 'variable' }>);
          return values
            ? { kind: 'unknown', reason, values: values.map((value) => ({ value, at: value })), local: true }
            : { kind: 'unknown', reason };
        }
        const init = binding.decl.initializer;
        if (!init) return { kind: 'unknown', reason: noInitializer(binding) };
        let origin = this.expr(init, steps + 1);
        for (const key of binding.path) origin = this.member(origin, key, steps + 1);
        return origin;
      }
      case 'parameter': {
        // `import('./db').then(({ db }) => …)`: the callback's first parameter is the module.
        const imported = binding.index === 0 ? thenOfImport(binding.fn) : undefined;
        if (imported) {
          let origin = this.moduleOrigin(binding.fn.getSourceFile(), imported);
          for (const key of binding.path) origin = this.member(origin, key, steps + 1);
          return origin;
        }
        return { kind: 'param', binding, path: binding.path };
      }
      case 'function':
        return { kind: 'function', decl: binding.decl, name: binding.name };
      case 'class':
        return { kind: 'class', decl: binding.decl };
      case 'import': {
        const id = `${binding.module}\u0000${binding.imported}`;
        const target = this.importsOf(sf).get(id, () => resolveImport(this.host, sf.fileName, binding));
        // A module that resolves but exports no such name (a re-export commented out) is said so: the import is the
        // code's to fix, not a module the audit failed to find. Unless it re-exports (`export *`) a module the
        // checkout lacks, which may be where the name is (generated at build time: hole-cause.ts says so).
        const file =
          !target && binding.imported !== '*' ? this.host.resolveModule(sf.fileName, binding.module) : undefined;
        const module = file ? this.host.getSourceFile(file) : undefined;
        if (module && missingReExports(this.host, module).length === 0)
          return { kind: 'unknown', reason: `'${binding.module}' has no export \`${binding.imported}\`` };
        if (!target)
          return {
            kind: 'unknown',
            reason: `cannot resolve import of \`${binding.imported}\` from '${binding.module}'`,
          };
        return this.exportTarget(target, steps);
      }
      default:
        return { kind: 'unknown', reason: `\`${binding.name}\` is not a value this analysis follows` };
    }
  }

  /**
   * The one expression a called in-repo function returns (an arrow's body, or its only return statement), if there is
   * exactly one.
   */
  private singleReturn(call: ts.Expression, steps: number): ts.Expression | undefined {
    let e = skipOuter(call);
    while (ts.isAwaitExpression(e)) e = skipOuter(e.expression);
    if (!ts.isCallExpression(e)) return undefined;
    const target = this.expr(e.expression, steps + 1);
    if (target.kind !== 'function' || !target.decl.body) return undefined;
    // `tryDb()` returning `{ db, schema }` or `null` when no database is configured: a member is read off the object.
    return onlyReturn(target.decl.body, true);
  }

  member(origin: Origin, key: string | number, steps = 0): Origin {
    switch (origin.kind) {
      case 'external':
        return { kind: 'external', module: origin.module, path: [...origin.path, String(key)] };
      case 'param': {
        // `this.users.create` where the container injects a UsersService: that method (code/injected.ts).
        const cls = origin.path.length === 0 ? injectedClass(this, origin.binding.decl) : undefined;
        const method = cls && classMethod(this, cls, String(key));
        if (method) return { kind: 'function', decl: method, name: String(key) };
        return { kind: 'param', binding: origin.binding, path: [...origin.path, key] };
      }
      case 'module': {
        const id = `.\u0000${key}`;
        const target = this.importsOf(origin.sf).get(id, () => resolveExport(this.host, origin.sf, String(key), 0));
        return target
          ? this.exportTarget(target, steps)
          : { kind: 'unknown', reason: `module ${origin.sf.fileName} has no export \`${key}\`` };
      }
      case 'expr': {
        const e = skipOuter(origin.expr);
        if (ts.isObjectLiteralExpression(e)) return this.property(e, String(key), steps);
        if (e.kind === ts.SyntaxKind.ThisKeyword) {
          const cls = enclosingClass(e);
          return cls
            ? this.classMember(cls, String(key), steps)
            : { kind: 'unknown', reason: '`this` outside a class' };
        }
        if (ts.isNewExpression(e)) {
          const cls = this.expr(e.expression, steps + 1);
          if (cls.kind === 'class') return this.classMember(cls.decl, String(key), steps);
        }
        // `const [{ db }, schema] = await Promise.all([import('@/db'), import('@/db/schema')])`: each module.
        const loaded = typeof key === 'number' ? awaitedImport(e, key) : undefined;
        if (loaded) return this.moduleOrigin(e.getSourceFile(), loaded);
        if (ts.isArrayLiteralExpression(e) && typeof key === 'number') {
          const el = e.elements[key];
          return el && !ts.isSpreadElement(el)
            ? this.expr(el, steps + 1)
            : { kind: 'unknown', reason: 'array element is not static' };
        }
        // A method the extension's `client` component defines: `$extends({ client: { $transaction } })`.
        const overridden =
          ts.isCallExpression(e) || ts.isAwaitExpression(e) ? extensionClientMethod(e, String(key), this) : undefined;
        if (overridden) return overridden;
        // const { knex } = makeDb(): the property of what an in-repo factory returns.
        const returned = ts.isCallExpression(e) || ts.isAwaitExpression(e) ? this.singleReturn(e, steps) : undefined;
        if (returned && this.readingReturns.has(returned))
          return cannotRead(key, e, ': the function returns only its own call');
        if (returned) {
          this.readingReturns.add(returned);
          try {
            return this.member(this.expr(returned, steps + 1), key, steps + 1);
          } finally {
            this.readingReturns.delete(returned);
          }
        }
        // `locals.get(DbLocal).db`: what a package's function returns is whatever was put in it at run time.
        const from = ts.isCallExpression(e) ? this.expr(e.expression, steps + 1) : undefined;
        if (from?.kind === 'external')
          return cannotRead(key, e, `, a value package '${from.module}' hands back at run time ` +
            `(set elsewhere, e.g. by its middleware: not traced)`);
        return cannotRead(key, e);
      }
      case 'class':
        // `Queue.getDb()`, `Queue.pgBossDb`: a static member of a class of the codebase.
        return this.staticMember(origin.decl, String(key), steps);
      case 'unknown': {
        // One of several values: the method each of them has, for a call to reach every one (call-edges.ts).
        const methods = origin.values?.map((v) => this.member(this.expr(v.value, steps + 1), key, steps + 1));
        if (methods?.length && methods.every((m) => m.kind === 'function'))
          return {
            kind: 'unknown',
            reason: `\`${key}\` is read off one of several values (${origin.reason})`,
            methods: methods.map((m) => ({
              decl: (m as { decl: ts.FunctionLikeDeclaration }).decl,
              name: String(key),
            })),
          };
        // What a module chosen at run time exports: say why, not only that it cannot be read.
        return origin.reason.includes('known only at run time')
          ? { kind: 'unknown', reason: origin.reason }
          : { kind: 'unknown', reason: `cannot read \`${key}\` statically` };
      }
      default:
        return { kind: 'unknown', reason: `cannot read \`${key}\` statically` };
    }
  }

  private property(obj: ts.ObjectLiteralExpression, key: string, steps: number): Origin {
    // Last definition wins, as at run time; a spread after it could override, so give up then.
    for (let i = obj.properties.length - 1; i >= 0; i--) {
      const p = obj.properties[i]!;
      if (ts.isSpreadAssignment(p)) {
        // `...(opts.x !== undefined ? { x: opts.x } : {})`: literals that do not define the key cannot override it.
        if (spreadLacks(p.expression, key)) continue;
        // `emit({ ...input, payload })`: when nothing before the spread can define the key, the key is the spread
        // object's own (absent there, absent here).
        if (!definedBefore(obj, i, key) && !this.readingSpreads.has(p) && steps < MAX_SPREAD_STEPS) {
          // An object spread into one it is built from (through several values) reads back to itself: cut there.
          this.readingSpreads.add(p);
          try {
            return this.member(this.expr(p.expression, steps + 1), key, steps + 1);
          } finally {
            this.readingSpreads.delete(p);
          }
        }
        return { kind: 'unknown', reason: 'object spread hides the property' };
      }
      const name =
        p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name) || ts.isNumericLiteral(p.name))
          ? p.name.text
          : undefined;
      if (name !== key) continue;
      // `deps.db = pool` after the object was built, in its file or (`container.db = pool`)
      // in a module that imports it: not one value (code/carried.ts).
      const foreign = this.foreign.get(obj)?.get(key) ?? [];
      // Made by other files: the read depends on them (an editor session evicts it when they change).
      for (const r of foreign) this.facts.touch(path.resolve(r.at.getSourceFile().fileName));
      const replaced = [...replacementsOf(this.facts, obj, key), ...foreign];
      if (replaced.length > 0) {
        const initial = ts.isPropertyAssignment(p)
          ? p.initializer
          : ts.isShorthandPropertyAssignment(p)
            ? p.name
            : undefined;
        return {
          kind: 'unknown',
          reason: `\`${key}\` of the object built at ${placeOf(obj, replaced)} is replaced at ` +
            `${replaced.map((r) => placeOf(r.at, [{ value: obj, at: obj }])).join(', ')}`,
          ...(initial ? { values: [{ value: initial, at: p }, ...replaced] } : {}),
        };
      }
      if (ts.isPropertyAssignment(p)) return this.expr(p.initializer, steps + 1);
      if (ts.isShorthandPropertyAssignment(p)) return this.identifier(p.name, steps + 1);
      if (ts.isMethodDeclaration(p)) return { kind: 'function', decl: p, name: key };
      return { kind: 'unknown', reason: `\`${key}\` is an accessor` };
    }
    return { kind: 'unknown', reason: `object has no property \`${key}\`` };
  }

  /**
   * A static member of a class: a static method, or a static field, whose value is its initializer when nothing in its
   * file assigns it, the one value assigned when it has no initializer (`Queue.pgBossDb = new QueueDB(…)` in a static
   * `start()`), or each value it is given, for the reader to judge (as a replaced member is).
   */
  private staticMember(cls: ts.ClassLikeDeclaration, key: string, steps: number): Origin {
    const m = cls.members.find((x) => x.name?.getText() === key && isStaticMember(x));
    if (!m) return { kind: 'unknown', reason: `cannot read \`${key}\` statically` };
    if (ts.isMethodDeclaration(m)) return { kind: 'function', decl: m, name: key };
    if (!ts.isPropertyDeclaration(m)) return { kind: 'unknown', reason: `\`${key}\` is an accessor` };
    if (m.initializer && (ts.isArrowFunction(m.initializer) || ts.isFunctionExpression(m.initializer)))
      return { kind: 'function', decl: m.initializer, name: key };
    const initial: Replacement[] = m.initializer ? [{ value: m.initializer, at: m }] : [];
    const values = [...initial, ...staticAssignments(cls, key)];
    if (values.length === 1) return this.expr(values[0]!.value, steps + 1);
    const owner = cls.name?.text ?? 'the class';
    return values.length === 0
      ? { kind: 'unknown', reason: `\`${owner}.${key}\` is never given a value in its file` }
      : { kind: 'unknown', reason: `\`${owner}.${key}\` is given a value in ${values.length} places`, values };
  }

  /** A member of a class instance: a method, an initialised property, or a constructor parameter property. */
  private classMember(cls: ts.ClassLikeDeclaration, key: string, steps: number, depth = 0): Origin {
    for (const m of cls.members) {
      if (!m.name || m.name.getText() !== key) continue;
      // `this.pgBossDb` in a static method reads the static field.
      if (isStaticMember(m)) return this.staticMember(cls, key, steps);
      if (ts.isMethodDeclaration(m)) return { kind: 'function', decl: m, name: key };
      // `get repo() { … }`: each read runs the getter, whose value is not followed.
      if (ts.isGetAccessorDeclaration(m))
        return {
          kind: 'unknown',
          reason: `\`this.${key}\` is a getter of ${cls.name?.text ?? 'its class'}`,
          getter: m,
        };
      if (ts.isPropertyDeclaration(m)) {
        if (m.initializer && (ts.isArrowFunction(m.initializer) || ts.isFunctionExpression(m.initializer)))
          return { kind: 'function', decl: m.initializer, name: key };
        if (m.initializer && m.modifiers?.some((x) => x.kind === ts.SyntaxKind.ReadonlyKeyword))
          return this.expr(m.initializer, steps + 1);
        // A private field nothing in its class assigns again holds its initializer (`private repo = new Repo()`): no
        // code outside the class can assign it.
        if (m.initializer && isPrivateField(m) && fieldAssignments(cls, key).length === 0)
          return this.expr(m.initializer, steps + 1);
        // A field the constructor assigns once (`this.db = db`): that value (providers/carried.ts). A field with an
        // initializer that is assigned again holds one of several values (the initializer among them).
        if (!m.initializer || fieldAssignments(cls, key).length > 0) {
          const assigned = constructorAssignment(cls, key, m.initializer && m);
          if (assigned && 'value' in assigned) return this.expr(assigned.value, steps + 1);
          if (assigned?.values)
            return { kind: 'unknown', reason: assigned.reason, values: assigned.values, field: key };
          if (assigned) return { kind: 'unknown', reason: assigned.reason };
        }
      }
    }
    const ctor = cls.members.find(ts.isConstructorDeclaration);
    const index = ctor
      ? ctor.parameters.findIndex((p) => ts.isIdentifier(p.name) && p.name.text === key && !!ts.getModifiers(p)?.length)
      : -1;
    if (ctor && index >= 0) {
      const decl = ctor.parameters[index]!;
      return { kind: 'param', binding: { kind: 'parameter', name: key, decl, fn: ctor, index, path: [] }, path: [] };
    }
    // Not declared here at all: the member the class inherits from a base class of the codebase
    // (`this.initializeProvider(…)` in a subclass of the processor base that defines it).
    const declared = cls.members.some((m) => m.name?.getText() === key);
    const base = declared || depth > 8 ? undefined : baseClass(cls, (e) => this.expr(e, steps + 1));
    if (base) return this.classMember(base, key, steps, depth + 1);
    return { kind: 'unknown', reason: `\`this.${key}\` is not initialised from a traceable value` };
  }

  private exportTarget(target: NonNullable<ReturnType<typeof resolveExport>>, steps: number): Origin {
    switch (target.kind) {
      case 'binding':
        return this.binding(target.binding, target.sf, steps + 1);
      case 'expression':
        return this.expr(target.expr, steps + 1);
      case 'module':
        return { kind: 'module', sf: target.sf };
      case 'external':
        return {
          kind: 'external',
          module: target.module,
          path: target.name === '*' || target.name === 'default' ? [] : [target.name],
        };
    }
  }

  /** The module a specifier names from `sf`: a file of the code, a package, or why it cannot be read. */
  moduleOrigin(sf: ts.SourceFile, specifier: string): Origin {
    const library = this.host.libraryFor?.(sf.fileName, specifier);
    if (library) return { kind: 'external', module: library, path: [] };
    const file = this.host.resolveModule(sf.fileName, specifier);
    if (file) {
      const target = this.host.getSourceFile(file);
      return target ? { kind: 'module', sf: target } : { kind: 'unknown', reason: `cannot read ${specifier}` };
    }
    return specifier.startsWith('.')
      ? { kind: 'unknown', reason: `cannot resolve '${specifier}'` }
      : { kind: 'external', module: specifier, path: [] };
  }
}

/**
 * Why a variable without an initializer has no one value: the element a `for … of` (or the key a `for … in`) loop
 * takes on each turn, or a declaration given none.
 */
function noInitializer(binding: Extract<Binding, { kind: 'variable' }>): string {
  const loop = binding.decl.parent.parent;
  if (ts.isForOfStatement(loop) || ts.isForInStatement(loop)) {
    const what = ts.isForOfStatement(loop) ? 'element' : 'key';
    const kind = ts.isForOfStatement(loop) ? 'for … of' : 'for … in';
    return `\`${binding.name}\` is the ${what} a \`${kind}\` loop takes from \`${shortText(loop.expression, 40)}\` ` +
      'on each turn';
  }
  return `\`${binding.name}\` has no initializer`;
}

/** The class of the codebase a class extends (`class A extends Base`), if it is one. */
function baseClass(
  cls: ts.ClassLikeDeclaration,
  origin: (e: ts.Expression) => Origin,
): ts.ClassLikeDeclaration | undefined {
  const clause = cls.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword);
  const type = clause?.types[0];
  if (!type) return undefined;
  const o = origin(type.expression);
  return o.kind === 'class' ? o.decl : undefined;
}

function isStaticMember(m: ts.ClassElement): boolean {
  return !!ts.canHaveModifiers(m) && !!ts.getModifiers(m)?.some((x) => x.kind === ts.SyntaxKind.StaticKeyword);
}

const staticAssignmentsCache = new WeakMap<ts.ClassLikeDeclaration, Map<string, Replacement[]>>();

/**
 * Every `C.key = v` / `this.key = v` (in a static method of C) of the class's file: the values its static fields are
 * given, by key, read once per class.
 */
function staticAssignments(cls: ts.ClassLikeDeclaration, key: string): Replacement[] {
  let byKey = staticAssignmentsCache.get(cls);
  if (!byKey) {
    const found = new Map<string, Replacement[]>();
    const name = cls.name?.text;
    const isClass = (e: ts.Expression): boolean => {
      const x = skipOuter(e);
      if (x.kind === ts.SyntaxKind.ThisKeyword) {
        // `this` of a static method (arrows keep the method's `this`).
        for (let n: ts.Node | undefined = x.parent; n; n = n.parent) {
          if (ts.isArrowFunction(n)) continue;
          if (ts.isFunctionLike(n) || ts.isClassStaticBlockDeclaration(n))
            return n.parent === cls && (ts.isClassStaticBlockDeclaration(n) || isStaticMember(n as ts.ClassElement));
        }
        return false;
      }
      return !!name && ts.isIdentifier(x) && x.text === name && lookup(x)?.decl === cls;
    };
    walkDescendants(cls.getSourceFile(), (n) => {
      if (
        ts.isBinaryExpression(n) &&
        n.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
        ts.isPropertyAccessExpression(skipOuter(n.left)) &&
        isClass((skipOuter(n.left) as ts.PropertyAccessExpression).expression)
      ) {
        const k = (skipOuter(n.left) as ts.PropertyAccessExpression).name.text;
        // `Queue.db = undefined` in `stop()`: a reset leaves no value to call a method on (a read then throws or
        // is guarded), so it is not one of the values a reader may get.
        const right = skipOuter(n.right);
        const cleared =
          right.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(right) && right.text === 'undefined') ||
          ts.isVoidExpression(right);
        if (!cleared) found.set(k, [...(found.get(k) ?? []), { value: n.right, at: n }]);
      }
    });
    staticAssignmentsCache.set(cls, (byKey = found));
  }
  return byKey.get(key) ?? [];
}

/** The class a node is written in, if any. */
export function enclosingClass(node: ts.Node): ts.ClassLikeDeclaration | undefined {
  let n: ts.Node | undefined = node.parent;
  while (n && !ts.isClassLike(n)) n = n.parent;
  return n;
}

export function functionName(fn: ts.Node): string {
  if (
    (ts.isFunctionDeclaration(fn) ||
      ts.isFunctionExpression(fn) ||
      ts.isMethodDeclaration(fn) ||
      ts.isClassDeclaration(fn)) &&
    fn.name &&
    ts.isIdentifier(fn.name)
  )
    return fn.name.text;
  const parent = fn.parent;
  if (parent && ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (parent && ts.isPropertyAssignment(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (ts.isConstructorDeclaration(fn) && fn.parent.name) return `${fn.parent.name.text}.constructor`;
  return '<anonymous>';
}

/**
 * `cannot read \`key\` of \`f()\`…`: an unknown origin whose reason quotes the code, written at once and then kept
 * as one copy (`kept`); a getter writing it when first read held about 1 KB more per origin (performance.md, integ28).
 */
function cannotRead(key: string | number, node: ts.Node, tail = ''): Origin {
  return { kind: 'unknown', reason: `cannot read \`${key}\` of \`${shortText(node)}\`${tail}` };
}

export function shortText(node: ts.Node, max = 60): string {
  // A long node with no comment marker in its text is quoted from a bounded prefix of it:
  // collapsing whitespace is a streaming map (the collapse of a prefix is a prefix of the
  // collapse), so past `max + 1` collapsed characters the rest cannot change the quote, and
  // reasons quoting a whole function no longer copy and collapse all of it.
  const full = node.getText(node.getSourceFile());
  const bound = 4 * max + 64;
  if (full.length > bound && !full.includes('//') && !full.includes('/*')) {
    const prefix = full.slice(0, bound).replace(/\s+/g, ' ').trimStart();
    if (prefix.length > max + 1) return `${prefix.slice(0, max - 1)}…`;
  }
  const text = withoutComments(node, max).replace(/\s+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function sameOrigin(a: Origin, b: Origin): boolean {
  if (a === b) return true;
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'expr':
      return a.expr === (b as typeof a).expr;
    case 'module':
      return a.sf === (b as typeof a).sf;
    case 'external':
      return a.module === (b as typeof a).module && a.path.join('.') === (b as typeof a).path.join('.');
    case 'param':
      return a.binding.decl === (b as typeof a).binding.decl && a.path.join('.') === (b as typeof a).path.join('.');
    case 'function':
    case 'class':
      return a.decl === (b as typeof a).decl;
    case 'unknown':
      return a.reason === (b as typeof a).reason;
  }
}

/**
 * A node's source text without its comments, for evidence that quotes code: the tokens with
 * the whitespace between them, each comment dropped (a scanner over the text alone would
 * take `//` inside a template literal for a comment; the tree knows where tokens are).
 */
function withoutComments(node: ts.Node, max: number): string {
  const sf = node.getSourceFile();
  const full = node.getText(sf);
  if (!full.includes('//') && !full.includes('/*')) return full;
  let out = '';
  // Only the quoted prefix matters: stop once it is long enough (whitespace may still collapse).
  // The length `out` collapses to is counted as it grows (collapsing all of `out` again at every
  // node visited was a twentieth of an audit's garbage).
  let collapsed = 0;
  let inSpace = false;
  const append = (piece: string): void => {
    out += piece;
    for (let i = 0; i < piece.length; i++) {
      const space = isRegExpSpace(piece.charCodeAt(i));
      if (!space || !inSpace) collapsed++;
      inSpace = space;
    }
  };
  const visit = (n: ts.Node, first: boolean): void => {
    if (collapsed > max || (n.kind >= ts.SyntaxKind.FirstJSDocNode && n.kind <= ts.SyntaxKind.LastJSDocNode)) return;
    const children = n.getChildren(sf);
    if (children.length === 0) {
      if (!first) {
        const trivia = sf.text.slice(n.getFullStart(), n.getStart(sf));
        // Only trivia with a slash can hold a comment (most is a space or nothing).
        append(trivia.includes('/') ? trivia.replace(/\/\/[^\n]*|\/\*[\s\S]*?\*\//g, ' ') : trivia);
      }
      append(sf.text.slice(n.getStart(sf), n.getEnd()));
      return;
    }
    children.forEach((c, i) => visit(c, first && i === 0));
  };
  visit(node, true);
  return out;
}

/** Whether a UTF-16 code unit is one a regular expression's `\s` matches (WhiteSpace and LineTerminator). */
export function isRegExpSpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0xa0) return false;
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/**
 * What a function body returns when it has one return: an arrow's expression, or a block's only return statement's
 * (nested functions aside).
 */
export function onlyReturn(body: ts.ConciseBody, skipNothing = false): ts.Expression | undefined {
  if (!ts.isBlock(body)) return body;
  const found: ts.Expression[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isFunctionLike(n)) return;
    if (ts.isReturnStatement(n) && n.expression && !(skipNothing && isNothing(n.expression))) found.push(n.expression);
    ts.forEachChild(n, visit);
  };
  ts.forEachChild(body, visit);
  return found.length === 1 ? found[0] : undefined;
}

/** The constant specifier of the `import(…)` at `index` of `await Promise.all([…])`, when that element is one. */
function awaitedImport(e: ts.Expression, index: number): string | undefined {
  if (!ts.isAwaitExpression(e)) return undefined;
  const all = skipOuter(e.expression);
  if (!ts.isCallExpression(all) || !ts.isPropertyAccessExpression(all.expression)) return undefined;
  const { expression: promise, name } = all.expression;
  if (!ts.isIdentifier(promise) || promise.text !== 'Promise' || name.text !== 'all' || lookup(promise))
    return undefined;
  const list = all.arguments[0] && skipOuter(all.arguments[0]);
  const el = list && ts.isArrayLiteralExpression(list) ? list.elements[index] : undefined;
  const call = el && skipOuter(el);
  if (!call || !ts.isCallExpression(call) || call.expression.kind !== ts.SyntaxKind.ImportKeyword) return undefined;
  const spec = call.arguments[0] && skipOuter(call.arguments[0]);
  return spec && (ts.isStringLiteral(spec) || ts.isNoSubstitutionTemplateLiteral(spec)) ? spec.text : undefined;
}

/** `null`, `undefined` or `void …`: a value no member can be read off (a caller checks for it first). */
export function isNothing(e: ts.Expression): boolean {
  const x = skipOuter(e);
  return x.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(x) && x.text === 'undefined' && !lookup(x)) ||
    ts.isVoidExpression(x);
}

/** `line N`, with the file's name when the others are elsewhere (a replacement from another module). */
function placeOf(node: ts.Node, others: readonly Replacement[]): string {
  const sf = node.getSourceFile();
  if (others.every((o) => o.at.getSourceFile() === sf)) return lineOf(node);
  return `${path.basename(sf.fileName)} ${lineOf(node)}`;
}

function lineOf(node: ts.Node): string {
  const sf = node.getSourceFile();
  return `line ${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1}`;
}

/**
 * Whether spreading an expression cannot define `key`: an object literal without it (no spreads, no computed names),
 * or a choice between such literals (`c ? { a } : {}`, `c && { a }`, `x ?? { a }` when both sides are literals).
 */
function spreadLacks(expr: ts.Expression, key: string): boolean {
  const e = skipOuter(expr);
  if (ts.isObjectLiteralExpression(e))
    return e.properties.every(
      (p) =>
        !ts.isSpreadAssignment(p) &&
        !!p.name &&
        (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name) || ts.isNumericLiteral(p.name)) &&
        p.name.text !== key,
    );
  if (ts.isConditionalExpression(e)) return spreadLacks(e.whenTrue, key) && spreadLacks(e.whenFalse, key);
  if (ts.isBinaryExpression(e)) {
    const op = e.operatorToken.kind;
    // `c && { a }` spreads nothing when c is falsy (a falsy primitive has no own properties).
    if (op === ts.SyntaxKind.AmpersandAmpersandToken) return spreadLacks(e.right, key);
    if (op === ts.SyntaxKind.BarBarToken || op === ts.SyntaxKind.QuestionQuestionToken)
      return spreadLacks(e.left, key) && spreadLacks(e.right, key);
  }
  return false;
}

/** How many steps a member read through spreads may take before it is not followed (the stack is the limit). */
const MAX_SPREAD_STEPS = 64;

/** Whether a property before the `index`th of an object literal may define `key`: a member of that name, a spread. */
function definedBefore(obj: ts.ObjectLiteralExpression, index: number, key: string): boolean {
  return obj.properties.slice(0, index).some((p) =>
    ts.isSpreadAssignment(p)
      ? !spreadLacks(p.expression, key)
      : !p.name ||
        !(ts.isIdentifier(p.name) || ts.isStringLiteral(p.name) || ts.isNumericLiteral(p.name)) ||
        p.name.text === key,
  );
}

/** The constant specifier of `import(spec)` when `fn` is the callback of its `.then(fn)`. */
function thenOfImport(fn: ts.SignatureDeclaration): string | undefined {
  if (!(ts.isArrowFunction(fn) || ts.isFunctionExpression(fn))) return undefined;
  let n: ts.Node = fn;
  while (ts.isParenthesizedExpression(n.parent)) n = n.parent;
  const call = n.parent;
  if (!ts.isCallExpression(call) || call.arguments[0] !== n) return undefined;
  const callee = skipOuter(call.expression);
  if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== 'then') return undefined;
  const inner = skipOuter(callee.expression);
  if (!ts.isCallExpression(inner) || inner.expression.kind !== ts.SyntaxKind.ImportKeyword) return undefined;
  const spec = inner.arguments[0] && skipOuter(inner.arguments[0]);
  return spec && (ts.isStringLiteral(spec) || ts.isNoSubstitutionTemplateLiteral(spec)) ? spec.text : undefined;
}

/** A field only its class can assign: `private` in TypeScript, or an ECMAScript `#name`. */
function isPrivateField(m: ts.PropertyDeclaration): boolean {
  return ts.isPrivateIdentifier(m.name) || !!m.modifiers?.some((x) => x.kind === ts.SyntaxKind.PrivateKeyword);
}

const localValuesCache = new WeakMap<ts.VariableDeclaration, readonly ts.Expression[] | null>();

/**
 * The values a reassigned `let` is given (its initializer, each plain `=`; `null`/`undefined` left out), once per
 * declaration; none when it is changed another way, or when a value is built from the variable itself (`s =
 * s.replace(…)`, `q = q.where(…)`): no connection of its own, and its reading would only go round the variable.
 */
function localValues(binding: Extract<Binding, { kind: 'variable' }>): readonly ts.Expression[] | undefined {
  const decl = binding.decl;
  if (!localValuesCache.has(decl)) {
    const values = assignedValues(binding)?.filter((v) => !isEmptyValue(v));
    const read = values && values.length > 0 && !values.some((v) => mentions(v, decl)) ? values : null;
    localValuesCache.set(decl, read);
  }
  return localValuesCache.get(decl) ?? undefined;
}

/** Whether `e` reads the variable `decl` declares. */
function mentions(e: ts.Node, decl: ts.Node): boolean {
  if (ts.isIdentifier(e)) return lookup(e)?.decl === decl;
  // A member's name (`this.options.tnx`, `{ tnx: x }`) is no read of a variable of that name.
  if (ts.isPropertyAccessExpression(e)) return mentions(e.expression, decl);
  if (ts.isPropertyAssignment(e)) return mentions(e.initializer, decl);
  return ts.forEachChild(e, (c) => mentions(c, decl) || undefined) ?? false;
}

/** The modules a module re-exports whole (`export * from '…'`) that do not resolve: where a missing name may be. */
export function missingReExports(host: SourceHost, module: ts.SourceFile): string[] {
  return module.statements.flatMap((st) =>
    ts.isExportDeclaration(st) &&
    !st.exportClause &&
    st.moduleSpecifier &&
    ts.isStringLiteral(st.moduleSpecifier) &&
    !host.resolveModule(module.fileName, st.moduleSpecifier.text)
      ? [st.moduleSpecifier.text]
      : [],
  );
}
