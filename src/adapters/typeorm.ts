import ts from '../ts.js';
import { methodChain, methodName, outerCalls } from './chain.js';
import type { BuilderContext, BuilderWrite, DbAdapter } from './types.js';

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
    if (!verb || !Object.hasOwn(REPOSITORY_VERBS, verb)) return null;
    const chain = methodChain(call);
    const before = chain.links.slice(0, -1);
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
      return {
        executor: fromRepo?.executor ?? receiver,
        operation,
        table: entity ? tableOf(entity, ctx) : { unresolved: 'the query builder names no entity' },
        distinctive: true,
      };
    }
    const operation = REPOSITORY_VERBS[verb];
    if (!operation || before.length > 1) return null;
    const receiver = (call.expression as ts.PropertyAccessExpression).expression;
    const repo = repositoryOf(receiver, ctx);
    if (repo) return { executor: repo.executor, operation, table: tableOf(repo.entity, ctx), distinctive: true };
    // EntityManager: manager.delete(Project, …); manager.save(entity) names no class.
    const first = call.arguments[0];
    const entity = first && (ctx.classOf(first) ? first : ts.isNewExpression(first) ? first.expression : undefined);
    return {
      executor: receiver,
      operation,
      table: entity
        ? tableOf(entity, ctx)
        : { unresolved: `${verb}() is not given an entity class, so its table is unknown` },
    };
  },
};

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
  const decorator = (ts.canHaveDecorators(cls) ? (ts.getDecorators(cls) ?? []) : []).find(
    (d) =>
      ts.isCallExpression(d.expression) &&
      ts.isIdentifier(d.expression.expression) &&
      (d.expression.expression.text === 'Entity' || d.expression.expression.text === 'ViewEntity'),
  );
  if (!decorator) return { unresolved: `${cls.name?.text ?? 'the class'} has no @Entity decorator` };
  const args = (decorator.expression as ts.CallExpression).arguments;
  let name: string | undefined;
  let schema: string | undefined;
  const first = args[0];
  if (first && ts.isObjectLiteralExpression(first)) {
    for (const p of first.properties) {
      if (!ts.isPropertyAssignment(p) || !ts.isIdentifier(p.name)) continue;
      if (p.name.text === 'name') name = ctx.constant(p.initializer);
      if (p.name.text === 'schema') schema = ctx.constant(p.initializer);
    }
  } else if (first) name = ctx.constant(first);
  if (first && !ts.isObjectLiteralExpression(first) && name === undefined)
    return { unresolved: 'the @Entity name is not a constant' };
  const table = name ?? snakeCase(cls.name?.text ?? '');
  return { name: ctx.qualify(`"${table.replace(/"/g, '""')}"`, schema) };
}

/** TypeORM's default naming: UserProfile → user_profile. */
function snakeCase(s: string): string {
  return s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();
}
