// An adapter tells the core how one database library creates executors, hands out
// connections and runs SQL. One small module per library; the registry is a list.

export type ExecutorKind =
  /** Each query may run on a different connection: no transaction state survives between calls. */
  | 'pool'
  /** One connection that the library hands back to a pool: session settings leak to the next borrower. */
  | 'pool-client'
  /** One dedicated connection. */
  | 'client';

export interface QueryMethod {
  /** Index of the argument holding the SQL text or a `{ text }` query object. */
  sqlArg: number;
}

export interface DbAdapter {
  /** Value of the report's `api` field for writes found through this adapter. */
  api: string;
  /** Import specifiers (and require() arguments) that load the library. */
  modules: readonly string[];
  /** What the module's exports are: the namespace itself, or classes that construct executors. */
  exports: Readonly<Record<string, 'namespace' | ExecutorKind>>;
  /** Type names (exported by the module) whose values are executors, for parameters typed with them. */
  executorTypes: Readonly<Record<string, ExecutorKind>>;
  /** Methods of any executor that run SQL. */
  queryMethods: Readonly<Record<string, QueryMethod>>;
  /** Methods of a pool that check out one connection. */
  connectMethods: readonly string[];
}
