import type ts from 'typescript';

// An adapter tells the core how one database library creates executors, hands out
// connections, opens transactions, runs SQL and writes tables. One small module per
// library; the registry is a list.

export type ExecutorKind =
  /** Each query may run on a different connection: no transaction state survives between calls. */
  | 'pool'
  /** One connection that the library hands back to a pool: session settings leak to the next borrower. */
  | 'pool-client'
  /** One dedicated connection. */
  | 'client';

export interface QueryMethod {
  /** Index of the argument holding the SQL text, a `{ text }` query object or a tagged SQL template. */
  sqlArg: number;
}

/** What an export of the library is. */
export type ExportKind =
  /** The module object (or a namespace that holds the other exports). */
  | 'namespace'
  /** A tag or builder for SQL fragments (`sql` of drizzle-orm, kysely, slonik): not an executor. */
  | 'sql-tag'
  /** A class whose instances are executors of this kind (`new Pool()`). */
  | ExecutorKind;

/** A write a query builder or ORM call makes, found from the call's shape and traced to its executor. */
export interface BuilderWrite {
  /** The expression that must trace to an executor of this library (the chain's root). */
  executor: ts.Expression;
  operation: 'insert' | 'update' | 'delete' | 'merge' | 'truncate';
  /** Qualified table name, or why it cannot be known statically. */
  table: { name: string } | { unresolved: string };
  /**
   * An upsert that updates on conflict (knex `.onConflict().merge()`, Drizzle `.onConflictDoUpdate()`, Kysely
   * `doUpdateSet`, Prisma `upsert`): the UPDATE and SELECT policies apply as to SQL `ON CONFLICT DO UPDATE`.
   */
  conflictUpdate?: true;
  /** The statement the library sends has RETURNING (`.returning()`, Prisma `create`): the SELECT policies apply too. */
  returning?: true;
  /**
   * The shape alone says this is the library's write (knex('t').insert(), db.insertInto('t')),
   * so an untyped helper parameter as its executor is a database handle, judged by callers.
   */
  distinctive?: boolean;
  /**
   * The shape names what the library's own schema says it does not hold (`x.searchParams.delete(…)` where a
   * schema.prisma is found with no such model): on an untyped parameter, no write of the library (param-writes.ts).
   */
  notInSchema?: true;
  /**
   * The same call read with its first method as a callable executor held in a field
   * (`args.trx('episodes').update(…)`: `args.trx` is a knex transaction, not a method of
   * `args`). The syntax cannot tell the two apart; the core takes this reading only when the
   * field traces to this library's executor and the first reading does not.
   */
  fieldCall?: BuilderWrite;
}

/** What an adapter may ask of the core while recognising a builder write. */
export interface BuilderContext {
  /** The string an expression always evaluates to, if constant (follows consts and imports). */
  constant(expr: ts.Expression): string | undefined;
  /** The expression a name or property access is bound to (follows consts and imports), or undefined. */
  definition(expr: ts.Expression): ts.Expression | undefined;
  /** The class declaration a name refers to (for ORM entities), or undefined. */
  classOf(expr: ts.Expression): ts.ClassLikeDeclaration | undefined;
  /** The declared type of a parameter or property the expression reads (`repo: Repository<Project>`), if any. */
  declaredType(expr: ts.Expression): ts.TypeNode | undefined;
  /** Qualifies a table name written as in SQL (`"Billing"."Ledger"`, `audit_logs`). */
  qualify(name: string, schema?: string): string;
  /**
   * The `new X(…)` the executor's instance was constructed with, traced by provenance (through consts, imports,
   * transactions and connections opened on it), or undefined.
   */
  construction?(executor: ts.Expression): ts.NewExpression | undefined;
  /**
   * The package export an expression is (`CamelCasePlugin` imported from 'kysely' → { module: 'kysely', path:
   * ['CamelCasePlugin'] }), or undefined.
   */
  packageExport?(expr: ts.Expression): { module: string; path: string[] } | undefined;
  /**
   * What a call of an in-repo function returns (`createCamelCasePlugin()`), or undefined when the callee is not a
   * traceable function or has several returns.
   */
  returnedBy?(call: ts.CallExpression): ts.Expression | undefined;
  /** Every expression an in-repo function returns (each `return`, or an arrow's body), or undefined when not one. */
  returnsOf?(call: ts.CallExpression): readonly ts.Expression[] | undefined;
  /**
   * Why provenance cannot follow an expression (`module src/schema/index.ts has no export \`flags\``), paths relative
   * to the root, or undefined where it can.
   */
  untraced?(expr: ts.Expression): string | undefined;
  /** Whether the schema model knows a table (qualified name), when it was read. */
  tableExists?(qualified: string): boolean;
  /** The audited project's root, for schema files an ORM keeps beside the code. */
  root: string;
}

export interface DbAdapter {
  /** Value of the report's `api` field for writes found through this adapter. */
  api: string;
  /** Import specifiers (and require() arguments) that load the library. */
  modules: readonly string[];
  /** Specifier prefixes that load it too (`drizzle-orm/` covers every driver entry point). */
  modulePrefixes?: readonly string[];
  /** What the module's exports are. */
  exports: Readonly<Record<string, ExportKind>>;
  /** Exports that already are executors (Vercel Postgres: `import { sql } from '@vercel/postgres'`). */
  instances?: Readonly<Record<string, ExecutorKind>>;
  /** Exports that return an executor when called (`postgres(url)`, `knex(config)`, `drizzle(pool)`). */
  factories?: Readonly<Record<string, ExecutorKind>>;
  /**
   * Factories whose instance runs on the connection it is given (its first argument, or that object's `client`):
   * over one client (a reserved or checked-out connection, a transaction) the instance is that client, with
   * what was set on it; over a pool or a URL, the factory's own kind (wrapped-connections.ts).
   */
  wrappingFactories?: readonly string[];
  /** Type names (exported by the module) whose values are executors, for parameters typed with them. */
  executorTypes: Readonly<Record<string, ExecutorKind>>;
  /** Methods of any executor that run SQL. */
  queryMethods: Readonly<Record<string, QueryMethod>>;
  /**
   * Query methods that also build fragments of a builder's statement (knex.raw): passed into
   * a call on the same library's builder, such a call whose SQL is not a whole statement is
   * part of that statement, not a query of its own.
   */
  fragmentMethods?: readonly string[];
  /**
   * The library's builder methods that take such a fragment as a value (`select`, `where…`, `join…`, `orderBy`…):
   * a fragment passed to one of them is that builder's piece whatever its receiver is (`this.select(trx.raw('1'))`
   * inside a `whereExists` callback, where `this` is the subquery), never a statement that is sent.
   */
  fragmentSinks?: RegExp;
  /**
   * Raw SQL's placeholder style, rewritten to $1, $2… before parsing: `?` (knex.raw) or pg-promise's ($1:csv,
   * ${name}). `named` (knex's `:name`) is no adapter's own: a `question` call whose bindings are an object uses it.
   */
  placeholders?: 'question' | 'pg-promise' | 'named';
  /**
   * Exports that, called, return a factory of executors (pg-promise: pgPromise() returns pgp; pgp(cn) is the database).
   */
  factoryFactories?: readonly string[];
  /** The executor itself is a template tag that runs SQL (postgres.js: sql`…`). */
  executorIsTag?: boolean;
  /** Methods of an executor used as template tags that run SQL (Prisma: prisma.$executeRaw`…`). */
  tagMethods?: readonly string[];
  /**
   * Methods of an executor that run a callback in a transaction on one connection and hand
   * the callback that transaction (knex.transaction(trx => …)). `then` names a second call
   * for builders that need one (Kysely: db.transaction().execute(trx => …)).
   */
  transactionMethods?: Readonly<Record<string, { then?: string }>>;
  /**
   * Methods whose callback's parameter builds on the same executor (Kysely's writable CTE: db.with('gone', (qb) =>
   * qb.deleteFrom('t'))).
   */
  builderCallbacks?: readonly string[];
  /**
   * Methods that hand a callback one checked-out connection, outside any transaction (slonik's pool.connect(cb));
   * `a().b` for a chain (Kysely's connection().execute(cb)).
   */
  connectionCallbacks?: readonly string[];
  /**
   * Methods that run an array of queries in order on one connection, in one transaction (Prisma's $transaction([…])).
   */
  sequenceMethods?: readonly string[];
  /**
   * Methods of a transaction that run a callback in a SAVEPOINT on the same connection (postgres.js
   * `sql.savepoint(cb)`).
   */
  savepointMethods?: readonly string[];
  /** Methods of a connection that open or end a transaction (TypeORM's queryRunner.startTransaction()). */
  transactionControl?: Readonly<Record<string, 'begin' | 'commit' | 'rollback' | 'rollback-to-savepoint'>>;
  /** Properties of an executor that are the same connection (queryRunner.manager). */
  passthroughProperties?: readonly string[];
  /** Methods of a pool that check out one connection. */
  connectMethods: readonly string[];
  /** Methods an executor's derived handles keep executing through (knex.withSchema('s'), db.$extends()). */
  passthroughMethods?: readonly string[];
  /**
   * Companion packages whose exports wrap SQL text for a query method, by module: the call
   * or construction stands for its first argument (pg-copy-streams: client.query(from('COPY t FROM STDIN'))).
   */
  sqlWrappers?: Readonly<Record<string, readonly string[]>>;
  /**
   * Companion packages whose tag builds a statement object a query method takes (`{ text, values }`), grown in place
   * by `.append(piece)`, by module and export (sql-template-strings: client.query(SQL`INSERT INTO `.append(t))).
   */
  statementTags?: Readonly<Record<string, readonly string[]>>;
  /** Raw SQL run by passing the executor to the SQL (Kysely: sql`…`.execute(db)). */
  sqlExecute?: (call: ts.CallExpression) => { executor: ts.Expression; sql: ts.Expression } | null;
  /** Recognises a query-builder or ORM write from a call's shape; the core checks the executor. */
  builderWrite?: (call: ts.CallExpression, ctx: BuilderContext) => BuilderWrite | null;
  /**
   * The expression naming the table of a builder write, read from the call's shape alone (`table` of Drizzle's
   * `db.insert(table)`, Kysely's `db.insertInto(table)`, knex's `db(table).insert(row)`): a helper whose table is a
   * parameter is a table-generic builder, judged at each call (table-builders.ts). Undefined for any other call.
   */
  builderTable?: (call: ts.CallExpression) => ts.Expression | undefined;
}
