import ts from '../ts.js';
import { skipOuter } from '../syntax/wrappers.js';
import { prismaModelFor, prismaModels } from './prisma-schema.js';
import type { BuilderWrite, DbAdapter } from './types.js';

// Prisma: `new PrismaClient()`; writes are model delegates (prisma.auditLog.create(…)),
// resolved to tables through schema.prisma (@@map, @@schema); raw SQL is
// $executeRaw`…` / $executeRawUnsafe(text) (and $queryRaw for writes with RETURNING);
// $transaction(async (tx) => …) runs a callback on one connection, and the array form
// $transaction([setContext, write]) runs its elements in order on one connection.

const VERBS: Record<string, BuilderWrite['operation']> = {
  create: 'insert',
  createMany: 'insert',
  createManyAndReturn: 'insert',
  upsert: 'insert',
  update: 'update',
  updateMany: 'update',
  updateManyAndReturn: 'update',
  delete: 'delete',
  deleteMany: 'delete',
};

/**
 * What each verb sends beyond its operation: Prisma's Postgres engine writes with RETURNING where the call returns the
 * record (`create`, `update`, `delete`, `upsert`, the `…AndReturn` forms), and `upsert` is an INSERT that updates on
 * conflict (`ON CONFLICT DO UPDATE`, or a SELECT then an INSERT or UPDATE: the same policies either way).
 */
const KINDS: Readonly<Record<string, { conflictUpdate?: true; returning?: true }>> = {
  create: { returning: true },
  createManyAndReturn: { returning: true },
  upsert: { conflictUpdate: true, returning: true },
  update: { returning: true },
  updateManyAndReturn: { returning: true },
  delete: { returning: true },
};

export const prismaAdapter: DbAdapter = {
  api: 'prisma',
  modules: ['@prisma/client'],
  modulePrefixes: ['@prisma/client/'],
  exports: { PrismaClient: 'pool', Prisma: 'namespace', '*': 'namespace' },
  executorTypes: { PrismaClient: 'pool', TransactionClient: 'client' },
  queryMethods: {
    $executeRawUnsafe: { sqlArg: 0 },
    $queryRawUnsafe: { sqlArg: 0 },
    $executeRaw: { sqlArg: 0 },
    $queryRaw: { sqlArg: 0 },
  },
  tagMethods: ['$executeRaw', '$queryRaw'],
  transactionMethods: { $transaction: {} },
  sequenceMethods: ['$transaction'],
  connectMethods: [],
  builderWrite(call, ctx) {
    const callee = call.expression;
    if (!ts.isPropertyAccessExpression(callee)) return null;
    // Own keys only: `row.menu.toString()` is Object's method, never a verb (a value of the table's name is no write).
    const operation = Object.hasOwn(VERBS, callee.name.text) ? VERBS[callee.name.text] : undefined;
    if (!operation) return null;
    // `prisma.user.create(…)`, or a delegate picked by key: `(prisma[model] as any).create(…)` (a key of no constant
    // value is a model chosen at run time: the write is reported with its table unknown, never dropped).
    let delegate = skipOuter(callee.expression);
    // Held in a const first: `const model = (client as Record<…>)[t.client]; await model.createMany(…)`.
    const held = ts.isIdentifier(delegate) ? ctx.definition(delegate) : undefined;
    if (held && ts.isElementAccessExpression(skipOuter(held))) delegate = skipOuter(held);
    const picked = ts.isElementAccessExpression(delegate) ? delegate : undefined;
    const name = picked
      ? ctx.constant(picked.argumentExpression)
      : (delegate as ts.PropertyAccessExpression).name?.text;
    if ((!picked && !ts.isPropertyAccessExpression(delegate)) || name?.startsWith('$')) return null;
    const executor = (delegate as ts.PropertyAccessExpression | ts.ElementAccessExpression).expression;
    const kind = (Object.hasOwn(KINDS, callee.name.text) ? KINDS[callee.name.text] : undefined) ?? {};
    if (name === undefined) {
      const key = picked!.argumentExpression.getText().slice(0, 40);
      return { executor, operation, ...kind, table: { unresolved: `the model is \`${key}\`, chosen at run time` } };
    }
    const model = prismaModelFor(prismaModels(ctx.root), name, call.getSourceFile().fileName);
    if ('unresolved' in model) {
      // A schema found without this model: the name is no delegate of it (a URL's `searchParams.delete(…)`).
      const notInSchema = prismaModels(ctx.root) ? { notInSchema: true as const } : {};
      return { executor, operation, ...kind, table: model, ...notInSchema };
    }
    return {
      executor,
      operation,
      ...kind,
      table: { name: ctx.qualify(`"${model.table.replace(/"/g, '""')}"`, model.schema ?? undefined) },
      distinctive: true,
    };
  },
};
