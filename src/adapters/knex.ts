import ts from '../ts.js';
import { skipOuterAndAwait } from '../syntax/wrappers.js';
import { type Chain, methodChain, outerCalls, verbCall, writeKind } from './chain.js';
import type { BuilderContext, BuilderWrite, DbAdapter } from './types.js';

// knex: `const db = knex(config)`; writes are chains on the instance or a transaction:
// db('projects').where(…).update(…), db.insert(row).into('projects'),
// db('t').insert(r).onConflict('id').merge(), db.withSchema('billing').table('t').del();
// db.raw(sql, bindings) runs raw SQL with ? placeholders; db.transaction(async (trx) => …)
// or `const trx = await db.transaction()` opens a transaction on one connection;
// .transacting(trx) moves a chain onto it.

const VERBS: Record<string, BuilderWrite['operation']> = {
  insert: 'insert',
  upsert: 'insert',
  update: 'update',
  increment: 'update',
  decrement: 'update',
  del: 'delete',
  delete: 'delete',
  truncate: 'truncate',
};
const TABLE_METHODS = new Set(['table', 'into', 'from']);

export const knexAdapter: DbAdapter = {
  api: 'knex',
  modules: ['knex'],
  exports: { default: 'namespace', '*': 'namespace' },
  factories: { '*': 'pool', default: 'pool', knex: 'pool', Knex: 'pool' },
  executorTypes: { Knex: 'pool', 'Knex.Transaction': 'client', Transaction: 'client' },
  queryMethods: { raw: { sqlArg: 0 } },
  fragmentMethods: ['raw'],
  fragmentSinks: new RegExp(
    '^(' +
      [
        'select|columns?|first|pluck|distinct(On)?|from(Raw)?|into|table|with(Recursive|Materialized)?',
        '(and|or)?([wW]here|[hH]aving|[oO]n)[A-Za-z]*',
        '(inner|left|right|full|cross|outer|leftOuter|rightOuter|fullOuter)?[jJ]oin(Raw)?',
        '(order|group)By(Raw)?|union(All)?|intersect|except',
        'insert|update|upsert|returning|onConflict|merge|increment|decrement',
        'count(Distinct)?|min|max|sum(Distinct)?|avg(Distinct)?|raw',
      ].join('|') +
      ')$',
  ),
  placeholders: 'question',
  transactionMethods: { transaction: {} },
  connectMethods: [],
  passthroughMethods: ['withSchema'],
  builderTable(call) {
    const found = verbCall(call, VERBS);
    if (!found) return undefined;
    // trx(table).insert(row), db.insert(row).into(table), db.table(table).del()
    const { rootCall, links } = found.chain;
    const named = [...links, ...outerCalls(call)].find((l) => TABLE_METHODS.has(l.name));
    return rootCall?.arguments[0] ?? named?.call.arguments[0];
  },
  builderWrite(call, ctx) {
    const found = verbCall(call, VERBS);
    if (!found) return null;
    const { operation } = found;
    // `const q = trx('t').where(…); await q.update(…)`: a builder held in a const is the chain it was built by.
    let chain = found.chain;
    const held = !chain.rootCall && ts.isIdentifier(chain.base) ? ctx.definition(chain.base) : undefined;
    const heldCall = held && skipOuterAndAwait(held);
    const inner = heldCall && ts.isCallExpression(heldCall) ? methodChain(heldCall) : undefined;
    // Only a builder that names its table (trx('t'), db.table('t')): `const db = knex({…})` or
    // `const router = Router()` hold no query.
    const namesTable = (c: Chain): boolean => {
      // trx('t'), or args.trx('t') (a field read as a root call, below)
      const arg = (c.rootCall ?? c.links[0]?.call)?.arguments[0];
      return (arg !== undefined && ctx.constant(arg) !== undefined) || c.links.some((l) => TABLE_METHODS.has(l.name));
    };
    if (inner && namesTable(inner)) chain = { ...inner, links: [...inner.links, ...chain.links] };
    else if (inner?.rootCall && returnedBuilder(inner, ctx, namesTable))
      chain = { ...inner, links: [...inner.links, ...chain.links] };
    chain = rebased(chain);
    // `baseQuery(clinicId, conn).andWhere(…).update(…)` with `baseQuery` returning `conn('episodes').where(…)`: the
    // builder a function of the codebase returns names the table; the call is the value the chain runs on, for the
    // core to trace through what the function returns (was no write at all: neither the call nor its table was read).
    const made = !namesTable(chain) ? returnedBuilder(chain, ctx, namesTable) : undefined;
    const before = chain.links.slice(0, -1);
    // A write verb inside the chain is only one write: insert(…).onConflict().merge() is the insert.
    if (before.some((l) => Object.hasOwn(VERBS, l.name))) return null;
    const after = outerCalls(call);
    const transacting = [...before, ...after].find((l) => l.name === 'transacting');
    const executor = transacting?.call.arguments[0] ?? (made ? chain.rootCall! : chain.base);
    // insert(…).onConflict(…).merge(): ON CONFLICT DO UPDATE; .returning(…), or insert(rows, columns), RETURNING.
    const kind = writeKind(
      [...before, ...after],
      (l) => l.name === 'merge' && after.some((o) => o.name === 'onConflict'),
      (l) => l.name === 'returning',
    );
    if (found.verb === 'insert' && call.arguments.length >= 2) kind.returning = true;
    const first = before[0];
    const field = skipOuterAndAwait(first?.call.expression ?? call);
    // `args.trx('t').where(…).update(…)`: read as a root call of the field `args.trx` too.
    const fieldCall: BuilderWrite | undefined =
      first && !chain.rootCall && !transacting && ts.isPropertyAccessExpression(field)
        ? {
            executor: field,
            operation,
            ...kind,
            table: tableOf({ links: before.slice(1), base: field, rootCall: first.call }, before.slice(1), after, ctx),
          }
        : undefined;
    return {
      executor,
      operation,
      ...kind,
      table: made ? returnedTable(made, before, after, ctx) : tableOf(chain, before, after, ctx),
      distinctive: chain.rootCall !== undefined || before.some((l) => TABLE_METHODS.has(l.name)),
      ...(fieldCall ? { fieldCall } : {}),
    };
  },
};

/** The builder naming its table that the function a chain's root call calls returns (one return), if any. */
function returnedBuilder(chain: Chain, ctx: BuilderContext, namesTable: (c: Chain) => boolean): Chain[] | undefined {
  if (!chain.rootCall) return undefined;
  // Every return (`if (archived) return conn('old_t')…; return conn('t')…`), not only a sole one: a function with two
  // was no write at all. A `return null` / `return undefined` makes no query.
  const returned = (ctx.returnsOf?.(chain.rootCall) ?? []).map(skipOuterAndAwait).filter((e) => !isNothing(e));
  const made = returned.map((e) => (ts.isCallExpression(e) ? methodChain(e) : undefined));
  // A package's function (`createHash('sha256')` of a `hashOf(x).update(data)`) makes no knex builder.
  const builders = made.filter((m): m is Chain => !!m && namesTable(m) && !ctx.packageExport?.(m.base));
  return builders.length && builders.length === returned.length ? builders : undefined;
}

function isNothing(e: ts.Expression): boolean {
  return e.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(e) && e.text === 'undefined');
}

/** The table of a write on what a function returns: its builders' table when they agree. */
function returnedTable(
  made: Chain[],
  before: Chain['links'],
  after: Chain['links'],
  ctx: BuilderContext,
): BuilderWrite['table'] {
  const tables = made.map((m) => tableOf(m, [...m.links, ...before], after, ctx));
  const unresolved = tables.find((t) => 'unresolved' in t);
  if (unresolved) return unresolved;
  const names = [...new Set(tables.map((t) => ('name' in t ? t.name : '')))];
  if (names.length === 1) return tables[0]!;
  return { unresolved: `the function returns builders on different tables (${names.join(', ')})` };
}

/** Methods of a knex instance or query builder that may come before the table is named. */
const LEADING_METHODS = new Set([
  'withSchema',
  'transacting',
  'queryContext',
  'timeout',
  'modify',
  'clone',
  'as',
  'limit',
  'offset',
  'forUpdate',
  'forShare',
  'skipLocked',
  'noWait',
  'ignore',
]);

/**
 * `this.supabase.getClient().from('t').insert(…)`: a call of a method that is not knex's before the chain names its
 * table makes the value the chain runs on (a Supabase client, a getter of the codebase), so that call is the chain's
 * base, the connection to trace, not the value it is called on.
 */
function rebased(chain: Chain): Chain {
  const tableAt = chain.links.findIndex((l) => TABLE_METHODS.has(l.name));
  for (let i = tableAt - 1; i >= 0; i--) {
    const link = chain.links[i]!;
    if (!LEADING_METHODS.has(link.name) && !knexAdapter.fragmentSinks!.test(link.name))
      return { links: chain.links.slice(i + 1), base: link.call };
  }
  return chain;
}

function tableOf(
  chain: Chain,
  before: Chain['links'],
  after: Chain['links'],
  ctx: BuilderContext,
): BuilderWrite['table'] {
  const schemaArg = before.find((l) => l.name === 'withSchema')?.call.arguments[0];
  const schema = schemaArg ? ctx.constant(schemaArg) : undefined;
  if (schemaArg && schema === undefined) return { unresolved: 'the schema passed to withSchema() is not a constant' };
  const named: ts.Expression | undefined =
    chain.rootCall?.arguments[0] ?? [...before, ...after].find((l) => TABLE_METHODS.has(l.name))?.call.arguments[0];
  if (!named) return { unresolved: 'the query names no table (knex(…), .table(), .into() or .from())' };
  const text = ctx.constant(named);
  if (text === undefined) return { unresolved: `the table \`${named.getText().slice(0, 40)}\` is not a constant` };
  // knex identifiers: "schema.table" and "table as alias".
  const bare = text.split(/\s+as\s+/i)[0]!.trim();
  return { name: ctx.qualify(bare, schema) };
}
