import ts from '../ts.js';
import { methodChain, methodName, outerCalls, writeKind } from './chain.js';
import type { BuilderContext, BuilderWrite, DbAdapter } from './types.js';
import { entityTable, propertyName, snakeCase } from './typeorm-entities.js';

// TypeORM: `new DataSource(options)`; writes go through repositories
// (dataSource.getRepository(Project).save(…), or a `repo` bound to one), the EntityManager
// (manager.delete(Project, …)) and query builders (createQueryBuilder().insert().into(Project)).
// Entities name their tables with @Entity('name') / @Entity({ name, schema }); without a
// name, TypeORM's default naming strategy snake-cases the class name.
// dataSource.transaction(async (manager) => …) runs on one connection; a QueryRunner
// (createQueryRunner(), startTransaction(), query(), manager) is a checked-out connection.

const REPOSITORY_VERBS: Record<string, BuilderWrite['operation']> = {
  save: 'insert',
  insert: 'insert',
  upsert: 'insert',
  update: 'update',
  increment: 'update',
  decrement: 'update',
  softDelete: 'update',
  softRemove: 'update',
  restore: 'update',
  delete: 'delete',
  remove: 'delete',
  clear: 'truncate', // Repository.clear() runs TRUNCATE
};

/**
 * RelationQueryBuilder (`createQueryBuilder().relation(Post, 'tags').of(post).add(tag)`): a many-to-many relation's
 * add/remove write its join table; a to-one `set` and a one-to-many add/remove update the foreign key column.
 */
/**
 * What a repository or manager verb sends beyond its operation on Postgres: `save` and `insert` read back the generated
 * columns with RETURNING, `upsert` is `INSERT … ON CONFLICT DO UPDATE … RETURNING`. A `save` of an entity that may
 * exist (`saveKind`) is an INSERT or, after a SELECT, an UPDATE: the policies of both, as for an upsert.
 */
const REPOSITORY_KINDS: Readonly<Record<string, { conflictUpdate?: true; returning?: true }>> = {
  save: { returning: true },
  insert: { returning: true },
  upsert: { conflictUpdate: true, returning: true },
};

const RELATION_VERBS: Record<string, { junction: BuilderWrite['operation']; fk: BuilderWrite['operation'] }> = {
  add: { junction: 'insert', fk: 'update' },
  remove: { junction: 'delete', fk: 'update' },
  addAndRemove: { junction: 'insert', fk: 'update' },
  set: { junction: 'insert', fk: 'update' },
};

export const typeormAdapter: DbAdapter = {
  api: 'typeorm',
  modules: ['typeorm'],
  exports: { DataSource: 'pool', Connection: 'pool', '*': 'namespace' },
  factories: { createConnection: 'pool' },
  executorTypes: {
    DataSource: 'pool',
    EntityManager: 'pool',
    QueryRunner: 'pool-client',
    Repository: 'pool',
    TreeRepository: 'pool',
  },
  queryMethods: { query: { sqlArg: 0 } },
  transactionMethods: { transaction: {} },
  transactionControl: { startTransaction: 'begin', commitTransaction: 'commit', rollbackTransaction: 'rollback' },
  connectMethods: ['createQueryRunner'],
  passthroughProperties: ['manager'],
  builderWrite(call, ctx) {
    const verb = methodName(call);
    // Every method call in the program comes here: read the chain only for a write verb.
    if (!verb || (!Object.hasOwn(REPOSITORY_VERBS, verb) && !Object.hasOwn(RELATION_VERBS, verb))) return null;
    const chain = methodChain(call);
    const before = chain.links.slice(0, -1);
    const relation = relationWrite(verb, before, ctx);
    if (relation !== undefined) return relation;
    if (!Object.hasOwn(REPOSITORY_VERBS, verb)) return null;
    // Query builder: X.createQueryBuilder(…).insert().into(E) / .update(E) / .delete().from(E).
    const qb = before.findIndex((l) => l.name === 'createQueryBuilder');
    if (qb >= 0) {
      const operation = ({ insert: 'insert', update: 'update', delete: 'delete', softDelete: 'update' } as const)[
        verb as 'insert'
      ];
      if (!operation || before.slice(qb + 1).some((l) => ['insert', 'update', 'delete', 'softDelete'].includes(l.name)))
        return null;
      const root = chain.links[qb]!.call;
      const target =
        verb === 'update'
          ? call.arguments[0]
          : (outerCalls(call).find((l) => l.name === (verb === 'insert' ? 'into' : 'from'))?.call.arguments[0] ??
            (verb === 'delete' ? undefined : undefined));
      const receiver = (root.expression as ts.PropertyAccessExpression).expression;
      const fromRepo = repositoryOf(receiver, ctx);
      const entity = target ?? fromRepo?.entity;
      // .orUpdate(…): ON CONFLICT DO UPDATE; an insert reads back its generated columns (RETURNING) unless
      // .updateEntity(false); .returning(…) on any verb.
      const after = outerCalls(call);
      const kind = writeKind(after, (l) => l.name === 'orUpdate');
      if (verb === 'insert' && !after.some((l) => l.name === 'updateEntity')) kind.returning = true;
      return {
        executor: fromRepo?.executor ?? receiver,
        operation,
        ...kind,
        table: entity ? tableOf(entity, ctx) : { unresolved: 'the query builder names no entity' },
        distinctive: true,
      };
    }
    const operation = Object.hasOwn(REPOSITORY_VERBS, verb) ? REPOSITORY_VERBS[verb] : undefined;
    if (!operation || before.length > 1) return null;
    const receiver = (call.expression as ts.PropertyAccessExpression).expression;
    const repo = repositoryOf(receiver, ctx);
    if (repo) {
      const kind = verb === 'save' ? saveKind(call, call.arguments[0], repo.entity, ctx) : repositoryKind(verb);
      return { executor: repo.executor, operation, ...kind, table: tableOf(repo.entity, ctx), distinctive: true };
    }
    // EntityManager: manager.delete(Project, …); manager.save(entity) names no class, but the value may say it.
    const first = call.arguments[0];
    const entity = first && (ctx.classOf(first) ? first : entityOfValue(first, ctx));
    const value = first && ctx.classOf(first) ? call.arguments[1] : first;
    const kind = verb === 'save' ? saveKind(call, value, entity, ctx) : repositoryKind(verb);
    return {
      executor: receiver,
      operation,
      ...kind,
      table: entity
        ? tableOf(entity, ctx)
        : { unresolved: `${verb}() is not given an entity class, so its table is unknown` },
    };
  },
};

/**
 * `X.createQueryBuilder(…).relation(Entity, 'prop').of(id).add(…)` (or `.relation('prop')` on a repository's builder):
 * a write on the join table of a many-to-many relation (`@JoinTable({ name })`, else TypeORM's default
 * `<owner table>_<property>_<related table>`), or an update of the table holding a to-one or one-to-many foreign
 * key. undefined when the call is not on a relation builder; a relation that cannot be read is unresolved, never
 * dropped.
 */
function relationWrite(
  verb: string,
  before: { name: string; call: ts.CallExpression }[],
  ctx: BuilderContext,
): BuilderWrite | null | undefined {
  const verbs = Object.hasOwn(RELATION_VERBS, verb) ? RELATION_VERBS[verb] : undefined;
  const of = before.length - 1;
  const rel = of - 1;
  if (!verbs || before[of]?.name !== 'of' || before[rel]?.name !== 'relation') return undefined;
  const qb = before.findIndex((l) => l.name === 'createQueryBuilder');
  if (qb < 0 || qb >= rel) return undefined;
  const receiver = (before[qb]!.call.expression as ts.PropertyAccessExpression).expression;
  const fromRepo = repositoryOf(receiver, ctx);
  const executor = fromRepo?.executor ?? receiver;
  const args = before[rel]!.call.arguments;
  const entity = args.length >= 2 ? args[0] : fromRepo?.entity;
  const property = args.length >= 2 ? args[1] : args[0];
  const propertyName = property && ctx.constant(property);
  const unresolved = (why: string): BuilderWrite => ({
    executor,
    operation: verbs.junction,
    table: { unresolved: why },
    distinctive: true,
  });
  if (!entity) return unresolved('the relation builder names no entity');
  if (propertyName === undefined) return unresolved('the relation name is not a constant');
  const cls = ctx.classOf(entity);
  if (!cls) return unresolved(`\`${entity.getText().slice(0, 40)}\` cannot be traced to an @Entity class`);
  const member = cls.members.find(
    (m) => ts.isPropertyDeclaration(m) && !!m.name && ts.isIdentifier(m.name) && m.name.text === propertyName,
  );
  const decorators = member && ts.canHaveDecorators(member) ? (ts.getDecorators(member) ?? []) : [];
  const named = (name: string) =>
    decorators.find(
      (d) =>
        ts.isCallExpression(d.expression) &&
        ts.isIdentifier(d.expression.expression) &&
        d.expression.expression.text === name,
    )?.expression as ts.CallExpression | undefined;
  const kind = ['ManyToMany', 'ManyToOne', 'OneToOne', 'OneToMany'].find((k) => named(k));
  const label = `${cls.name?.text ?? 'the entity'}.${propertyName}`;
  if (!kind) return unresolved(`${label} is not a relation rls-guard can read`);
  const owner = tableOf(entity, ctx);
  const related = relatedEntity(named(kind)!);
  if (kind === 'ManyToOne' || (kind === 'OneToOne' && named('JoinColumn')))
    return { executor, operation: verbs.fk, table: owner, distinctive: true };
  if (kind === 'OneToMany' || kind === 'OneToOne') {
    if (!related)
      return unresolved(`the entity ${cls.name?.text ?? ''}.${propertyName} relates to is not an arrow to a class`);
    return { executor, operation: verbs.fk, table: tableOf(related, ctx), distinctive: true };
  }
  const join = named('JoinTable');
  if (!join)
    return unresolved(
      `${label} is the inverse side of a many-to-many relation; its join table ` +
        'is declared on the other entity',
    );
  const options = join.arguments[0];
  if (options && ts.isObjectLiteralExpression(options)) {
    let name: string | undefined;
    let schema: string | undefined;
    for (const p of options.properties) {
      if (!ts.isPropertyAssignment(p) || !ts.isIdentifier(p.name)) continue;
      if (p.name.text === 'name') name = ctx.constant(p.initializer);
      if (p.name.text === 'schema') schema = ctx.constant(p.initializer);
    }
    if (name !== undefined)
      return {
        executor,
        operation: verbs.junction,
        table: { name: ctx.qualify(`"${name.replace(/"/g, '""')}"`, schema) },
        distinctive: true,
      };
    if (options.properties.some((p) => ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && p.name.text === 'name'))
      return unresolved('the @JoinTable name is not a constant');
  }
  const relatedTable = related ? tableOf(related, ctx) : undefined;
  if (!('name' in owner) || !relatedTable || !('name' in relatedTable))
    return unresolved(`the join table of ${cls.name?.text ?? 'the entity'}.${propertyName} cannot be named`);
  // TypeORM's DefaultNamingStrategy.joinTableName: snake_case(`${ownerTable}_${property}_${relatedTable}`).
  const bare = (q: string) => q.split('.').pop()!.replace(/^"|"$/g, '').replace(/""/g, '"');
  const table = snakeCase(`${bare(owner.name)}_${propertyName}_${bare(relatedTable.name)}`);
  return { executor, operation: verbs.junction, table: { name: ctx.qualify(`"${table}"`) }, distinctive: true };
}

/** The class of a relation decorator's first argument, `() => Tag` (or `(type) => Tag`). */
function relatedEntity(decorator: ts.CallExpression): ts.Expression | undefined {
  const first = decorator.arguments[0];
  if (!first || !(ts.isArrowFunction(first) || ts.isFunctionExpression(first))) return undefined;
  const body = first.body;
  if (ts.isBlock(body)) {
    const ret = body.statements.find(ts.isReturnStatement);
    return ret?.expression;
  }
  return body;
}

function repositoryKind(verb: string): { conflictUpdate?: true; returning?: true } {
  return Object.hasOwn(REPOSITORY_KINDS, verb) ? REPOSITORY_KINDS[verb]! : {};
}

/**
 * `save(value)`: TypeORM inserts an entity whose generated primary key is unset and otherwise SELECTs it by its key and
 * UPDATEs it when found (an entity that was loaded, given an id, or saved before). An INSERT with RETURNING only when
 * the value is provably new: made in the same function by `new Entity()` or `create(…)` (inline, or a `const` there)
 * on an entity whose keys are all `@PrimaryGeneratedColumn`, with no key in `create`'s object (and no spread) and no
 * key assigned afterwards (nor `Object.assign` on it). Anything else may UPDATE: the INSERT, UPDATE and SELECT policies
 * apply, as to an upsert.
 */
function saveKind(
  call: ts.CallExpression,
  value: ts.Expression | undefined,
  entity: ts.Expression | undefined,
  ctx: BuilderContext,
): { conflictUpdate?: true; returning: true } {
  const mayUpdate = { conflictUpdate: true as const, returning: true as const };
  const cls = entity && ctx.classOf(entity);
  const keys = cls && generatedKeys(cls);
  if (!value || !keys) return mayUpdate;
  const fn = enclosingFunction(call);
  let made: ts.Expression | undefined = value;
  let bound: ts.Identifier | undefined;
  if (ts.isIdentifier(value)) {
    // Bound by a `const` of the same function (ctx.definition follows consts; one declared outside may be anything).
    const decl = ctx.definition(value);
    if (!decl || !fn || decl.pos < fn.pos || decl.end > fn.end) return mayUpdate;
    bound = value;
    made = decl;
  }
  while (made && (ts.isAwaitExpression(made) || ts.isParenthesizedExpression(made) || ts.isNonNullExpression(made)))
    made = made.expression;
  if (!made) return mayUpdate;
  let fresh = false;
  if (ts.isNewExpression(made)) fresh = true;
  else if (ts.isCallExpression(made) && ts.isPropertyAccessExpression(made.expression)) {
    if (made.expression.name.text === 'create') {
      // repo.create({ … }) or manager.create(Entity, { … }): the object must name no key.
      const obj = made.arguments.find((a) => ts.isObjectLiteralExpression(a));
      const plain = made.arguments.every((a) => ts.isObjectLiteralExpression(a) || ctx.classOf(a));
      fresh =
        plain &&
        (!obj ||
          (obj as ts.ObjectLiteralExpression).properties.every(
            (p) => !ts.isSpreadAssignment(p) && !(p.name && keys.has(propertyName(p.name) ?? '')),
          ));
    }
  }
  if (!fresh) return mayUpdate;
  if (bound && fn && assignsKey(fn, bound.text, keys)) return mayUpdate;
  return { returning: true };
}

/** The names of an entity's primary keys when every one is generated (`@PrimaryGeneratedColumn`), else undefined. */
function generatedKeys(cls: ts.ClassLikeDeclaration): Set<string> | undefined {
  const keys = new Set<string>();
  for (const m of cls.members) {
    if (!ts.isPropertyDeclaration(m) || !ts.canHaveDecorators(m)) continue;
    for (const d of ts.getDecorators(m) ?? []) {
      const callee = ts.isCallExpression(d.expression) ? d.expression.expression : d.expression;
      const name = ts.isIdentifier(callee) ? callee.text : undefined;
      if (name === 'PrimaryColumn' || name === 'ObjectIdColumn') return undefined;
      if (name === 'PrimaryGeneratedColumn') keys.add(propertyName(m.name) ?? '');
    }
  }
  return keys.size > 0 && !keys.has('') ? keys : undefined;
}

function enclosingFunction(n: ts.Node): ts.FunctionLikeDeclaration | undefined {
  for (let p = n.parent; p; p = p.parent) if (ts.isFunctionLike(p)) return p as ts.FunctionLikeDeclaration;
  return undefined;
}

/** Per function, per name: the properties assigned on it (`v.id = …`); `*`: any (`v[k] = …`, `Object.assign(v)`). */
const assignedByFunction = new WeakMap<ts.Node, Map<string, Set<string>>>();

/** `v.id = …`, `v['id'] = …` or `Object.assign(v, …)` in the function: one walk per function, not one per save. */
function assignsKey(fn: ts.Node, name: string, keys: ReadonlySet<string>): boolean {
  let assigned = assignedByFunction.get(fn);
  if (!assigned) assignedByFunction.set(fn, (assigned = assignmentsIn(fn)));
  const props = assigned.get(name);
  return !!props && (props.has('*') || [...keys].some((k) => props.has(k)));
}

function assignmentsIn(fn: ts.Node): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const note = (e: ts.Expression, prop: string): void => {
    if (!ts.isIdentifier(e)) return;
    let props = out.get(e.text);
    if (!props) out.set(e.text, (props = new Set()));
    props.add(prop);
  };
  const visit = (n: ts.Node): void => {
    if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      const l = n.left;
      if (ts.isPropertyAccessExpression(l)) note(l.expression, l.name.text);
      if (ts.isElementAccessExpression(l)) note(l.expression, '*');
    }
    if (
      ts.isCallExpression(n) &&
      ts.isPropertyAccessExpression(n.expression) &&
      n.expression.name.text === 'assign' &&
      n.arguments[0]
    )
      note(n.arguments[0], '*');
    ts.forEachChild(n, visit);
  };
  visit(fn);
  return out;
}

/** Methods that return instances of the entity class they are given, or of their repository's entity. */
const ENTITY_MAKERS = new Set(['create', 'preload', 'findOne', 'findOneBy', 'findOneOrFail', 'findOneByOrFail']);

/**
 * The entity class of the value `manager.save(value)` is given, when the value says it: `new Invoice()`, or what
 * `X.create(Invoice, …)`, `X.findOneOrFail(Invoice, …)` or a repository's `create(…)` / `findOneBy(…)` returned,
 * inline or through the `const` it was bound to. A parameter, a `let` or anything else names no class.
 */
function entityOfValue(value: ts.Expression, ctx: BuilderContext): ts.Expression | undefined {
  let e: ts.Expression | undefined = ts.isIdentifier(value) ? ctx.definition(value) : value;
  while (e && (ts.isAwaitExpression(e) || ts.isParenthesizedExpression(e) || ts.isNonNullExpression(e)))
    e = e.expression;
  if (!e) return undefined;
  if (ts.isNewExpression(e)) return e.expression;
  if (!ts.isCallExpression(e) || !ts.isPropertyAccessExpression(e.expression)) return undefined;
  if (!ENTITY_MAKERS.has(e.expression.name.text)) return undefined;
  const first = e.arguments[0];
  if (first && ctx.classOf(first)) return first;
  return repositoryOf(e.expression.expression, ctx)?.entity;
}

/** X.getRepository(Entity), directly or through the variable it was assigned to. */
function repositoryOf(
  expr: ts.Expression,
  ctx: BuilderContext,
): { executor: ts.Expression; entity: ts.Expression } | undefined {
  // An injected repository: `@InjectRepository(Project) private repo: Repository<Project>`.
  const declared = ctx.declaredType(expr);
  if (
    declared &&
    ts.isTypeReferenceNode(declared) &&
    ts.isIdentifier(declared.typeName) &&
    /^(Tree|Mongo)?Repository$/.test(declared.typeName.text)
  ) {
    const arg = declared.typeArguments?.[0];
    if (arg && ts.isTypeReferenceNode(arg) && ts.isIdentifier(arg.typeName))
      return { executor: expr, entity: arg.typeName };
  }
  const def = ts.isCallExpression(expr) ? expr : ctx.definition(expr);
  let e = def;
  while (e && (ts.isAwaitExpression(e) || ts.isParenthesizedExpression(e))) e = e.expression;
  if (!e || !ts.isCallExpression(e) || !ts.isPropertyAccessExpression(e.expression)) return undefined;
  const m = e.expression.name.text;
  if ((m !== 'getRepository' && m !== 'getTreeRepository') || !e.arguments[0]) return undefined;
  return { executor: e.expression.expression, entity: e.arguments[0] };
}

function tableOf(entity: ts.Expression, ctx: BuilderContext): BuilderWrite['table'] {
  const cls = ctx.classOf(entity);
  if (!cls) return { unresolved: `\`${entity.getText().slice(0, 40)}\` cannot be traced to an @Entity class` };
  const table = entityTable(cls, (e) => ctx.constant(e));
  if ('unresolved' in table) return table;
  return { name: ctx.qualify(`"${table.name.replace(/"/g, '""')}"`, table.schema) };
}
