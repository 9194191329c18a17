import type { Operation } from '../report/types.js';
import { doBlockStatements } from './do-blocks.js';
import { type PgNode, type ParsedStatement, visitPg } from './parser.js';

// What one SQL statement does, as far as RLS coverage cares.

export interface TableWrite {
  operation: Exclude<Operation, 'call'>;
  /** Qualified table name. */
  table: string;
  /** `INSERT … ON CONFLICT DO UPDATE`: the UPDATE policies apply too (config.ts `writePolicies`). */
  conflictUpdate?: true;
  /** `… RETURNING`: the SELECT policies apply to the rows handed back (an INSERT's new rows included). */
  returning?: true;
  /** A MERGE's actions (its WHEN clauses' INSERT, UPDATE, DELETE; DO NOTHING is none), each judged by its command. */
  mergeActions?: MergeAction[];
}

export type MergeAction = 'insert' | 'update' | 'delete';
const MERGE_ACTIONS: Record<string, MergeAction> = { CMD_INSERT: 'insert', CMD_UPDATE: 'update', CMD_DELETE: 'delete' };

export interface ContextChange {
  setting: string;
  /** true: transaction-local; false: session-wide; null: not a constant. */
  local: boolean | null;
  /** How it was set, for evidence: "set_config", "SET LOCAL", "SET", "set_org_id()". */
  via: string;
  /** The value set: a constant, or a bind parameter the code fills at run time (a tenant's id). Absent: unknown. */
  value?: SetValue;
}

export type SetValue = { constant: string } | { param: number };

export type TransactionControl = 'begin' | 'commit' | 'rollback' | null;

export interface StatementEffect {
  writes: TableWrite[];
  /** Functions called anywhere in the statement, qualified with the default schema when unqualified. */
  calls: string[];
  contextSets: ContextChange[];
  /** Settings reset; "*" for RESET ALL / DISCARD ALL. */
  contextResets: string[];
  /**
   * SET [LOCAL] ROLE x (name) or RESET ROLE / SET ROLE NONE (null): who the connection acts as; also
   * `set_config('role', x, is_local)`, which is the same. `param`: the bind parameter ($n) that names a role chosen at
   * run time, for the caller to read.
   */
  role?: { name: string | null; local: boolean; param?: number };
  transaction: TransactionControl;
  /** The statement's top-level node kind, e.g. "InsertStmt". */
  kind: string;
  /**
   * `SET [LOCAL] app.x = $1` where $1 goes to the server as a bind parameter: Postgres rejects
   * it (a utility statement takes no parameters), so the setting is never made.
   */
  boundSets?: ContextChange[];
  /**
   * A DO block whose statements cannot all be read (EXECUTE, a body that does not parse, another language): why. Its
   * `writes` are then only those it is seen to make; what else it writes is unknown.
   */
  opaque?: string;
}

export interface ClassifyOptions {
  defaultSchema: string;
  /** Constant values bound to $1, $2, … (index 0 is $1), where the caller's values array is static. */
  params?: readonly (string | null)[];
  /** SQL functions (qualified) that set context settings when called. */
  setterFunctions: ReadonlyMap<string, readonly { setting: string; local: boolean | null }[]>;
  /**
   * Whether the driver sends $n to the server as a bind parameter (pg, knex, Prisma, a tagged
   * template's value) rather than formatting it into the text (pg-promise). Unset: never.
   */
  sentAsBind?: (n: number) => boolean;
}

interface RangeVarNode {
  schemaname?: string;
  relname: string;
}

export function qualifyRangeVar(rv: RangeVarNode, defaultSchema: string): string {
  return `${rv.schemaname ?? defaultSchema}.${rv.relname}`;
}

export function functionName(funcname: unknown, defaultSchema: string): string | null {
  if (!Array.isArray(funcname)) return null;
  const parts = funcname.map((p) => (p as { String?: { sval?: string } }).String?.sval).filter((s): s is string => !!s);
  if (parts.length === 0) return null;
  if (parts.length === 1)
    return parts[0] === 'set_config' || parts[0] === 'current_setting'
      ? `pg_catalog.${parts[0]}`
      : `${defaultSchema}.${parts[0]}`;
  return parts.slice(-2).join('.');
}

function paramValue(node: unknown, params: readonly (string | null)[] | undefined): string | null {
  const n = (node as { ParamRef?: { number?: number } } | undefined)?.ParamRef?.number;
  return n !== undefined && params ? (params[n - 1] ?? null) : null;
}

export function constString(node: unknown, params?: readonly (string | null)[]): string | null {
  const c = (node as { A_Const?: { sval?: { sval?: string } } } | undefined)?.A_Const;
  if (c?.sval) return c.sval.sval ?? '';
  const bound = paramValue(node, params);
  if (bound !== null) return bound;
  const cast = (node as { TypeCast?: { arg?: unknown } } | undefined)?.TypeCast;
  return cast ? constString(cast.arg, params) : null;
}

/** The number of a bind parameter ($n), also under a cast. */
function paramNumber(node: unknown): number | undefined {
  const ref = (node as { ParamRef?: { number?: number } } | undefined)?.ParamRef;
  if (ref) return ref.number;
  const cast = (node as { TypeCast?: { arg?: unknown } } | undefined)?.TypeCast;
  return cast ? paramNumber(cast.arg) : undefined;
}

export function constBool(node: unknown, params?: readonly (string | null)[]): boolean | null {
  const bound = paramValue(node, params);
  if (bound !== null) return constBool({ A_Const: { sval: { sval: bound } } });
  const c = (node as { A_Const?: { boolval?: { boolval?: boolean }; sval?: { sval?: string } } } | undefined)?.A_Const;
  if (c?.boolval) return c.boolval.boolval === true;
  if (c && 'boolval' in c) return false; // libpg-query omits false values
  if (c?.sval) {
    const s = (c.sval.sval ?? '').toLowerCase();
    if (['true', 't', 'on', 'yes', '1'].includes(s)) return true;
    if (['false', 'f', 'off', 'no', '0'].includes(s)) return false;
  }
  const cast = (node as { TypeCast?: { arg?: unknown } } | undefined)?.TypeCast;
  return cast ? constBool(cast.arg, params) : null;
}

const WRITE_NODES: Record<string, Exclude<Operation, 'call' | 'truncate' | 'copy'>> = {
  InsertStmt: 'insert',
  UpdateStmt: 'update',
  DeleteStmt: 'delete',
  MergeStmt: 'merge',
};

/** The distinct actions of a MERGE's WHEN clauses, in a fixed order. */
function mergeActions(clauses: { MergeWhenClause?: { commandType?: string } }[]): MergeAction[] {
  const found = new Set(clauses.map((c) => MERGE_ACTIONS[c.MergeWhenClause?.commandType ?? '']));
  return (['insert', 'update', 'delete'] as const).filter((a) => found.has(a));
}

export function classifyStatement(statement: ParsedStatement, options: ClassifyOptions): StatementEffect {
  const { stmt } = statement;
  const kind = Object.keys(stmt)[0] ?? 'Unknown';
  const effect: StatementEffect = {
    writes: [],
    calls: [],
    contextSets: [],
    contextResets: [],
    transaction: null,
    kind,
  };
  const inspect = (key: string, node: PgNode): void => {
    const op = WRITE_NODES[key];
    if (op) {
      const relation = node.relation as RangeVarNode | undefined;
      const conflict = (node.onConflictClause as { action?: string } | undefined)?.action === 'ONCONFLICT_UPDATE';
      // RETURNING: `returningClause.exprs` (PostgreSQL 18's parser; `returningList` before it).
      const clause = node.returningClause as { exprs?: unknown[] } | undefined;
      const returning = ((clause?.exprs ?? (node.returningList as unknown[] | undefined))?.length ?? 0) > 0;
      const clauses = node.mergeWhenClauses as { MergeWhenClause?: { commandType?: string } }[] | undefined;
      const actions = op === 'merge' && clauses ? mergeActions(clauses) : undefined;
      if (relation)
        effect.writes.push({
          operation: op,
          table: qualifyRangeVar(relation, options.defaultSchema),
          ...(conflict ? { conflictUpdate: true as const } : {}),
          ...(returning ? { returning: true as const } : {}),
          ...(actions ? { mergeActions: actions } : {}),
        });
      return;
    }
    if (key === 'TruncateStmt') {
      for (const rel of (node.relations as { RangeVar?: RangeVarNode }[] | undefined) ?? []) {
        if (rel.RangeVar)
          effect.writes.push({ operation: 'truncate', table: qualifyRangeVar(rel.RangeVar, options.defaultSchema) });
      }
    } else if (key === 'CopyStmt') {
      const relation = node.relation as RangeVarNode | undefined;
      if (node.is_from === true && relation)
        effect.writes.push({ operation: 'copy', table: qualifyRangeVar(relation, options.defaultSchema) });
    } else if (key === 'FuncCall') {
      inspectCall(node, effect, options);
    } else if (key === 'VariableSetStmt') {
      inspectVariableSet(node, effect, options);
    } else if (key === 'TransactionStmt') {
      effect.transaction = transactionControl(node.kind as string | undefined, effect.transaction);
    } else if (key === 'DiscardStmt') {
      if (node.target === 'DISCARD_ALL') effect.contextResets.push('*');
    }
  };
  if (kind === 'DoStmt') return doBlockEffect(statement, options, effect);
  inspect(kind, (stmt as Record<string, PgNode>)[kind] ?? {});
  visitPg(stmt, (key, node) => {
    if (key !== kind || node !== (stmt as Record<string, PgNode>)[kind]) inspect(key, node);
  });
  return effect;
}

/**
 * A DO block's effect: those of the statements its body embeds, together (what the query path reads one by one, in
 * order, sql-resolution.ts). No bind parameter reaches a DO block's body. One effect applies its sets before its
 * writes, so a set the block makes after its first write is left out: it would cover a write made before it.
 */
function doBlockEffect(statement: ParsedStatement, options: ClassifyOptions, effect: StatementEffect): StatementEffect {
  const reading = doBlockStatements(statement);
  if (!reading || 'opaque' in reading) return { ...effect, opaque: reading?.opaque ?? 'not a DO block' };
  const inner: ClassifyOptions = { defaultSchema: options.defaultSchema, setterFunctions: options.setterFunctions };
  for (const { statement: st } of reading.statements) {
    const e = classifyStatement(st, inner);
    if (effect.writes.length === 0) effect.contextSets.push(...e.contextSets);
    effect.writes.push(...e.writes);
    for (const c of e.calls) if (!effect.calls.includes(c)) effect.calls.push(c);
    effect.contextResets.push(...e.contextResets);
    if (e.role) effect.role = e.role;
  }
  return effect;
}

function inspectCall(node: PgNode, effect: StatementEffect, options: ClassifyOptions): void {
  const name = functionName(node.funcname, options.defaultSchema);
  if (!name) return;
  if (!effect.calls.includes(name)) effect.calls.push(name);
  const args = (node.args as unknown[] | undefined) ?? [];
  if (name === 'pg_catalog.set_config') {
    const setting = constString(args[0], options.params);
    // set_config('role', x, is_local) is SET [LOCAL] ROLE x (and '' or 'none' resets it).
    if (setting?.toLowerCase() === 'role') {
      const value = constString(args[1], options.params);
      const param = paramNumber(args[1]);
      effect.role = {
        name: value === null ? RUN_TIME_ROLE : value === '' || value.toLowerCase() === 'none' ? null : value,
        local: constBool(args[2], options.params) === true,
        ...(value === null && param !== undefined ? { param } : {}),
      };
    }
    if (setting !== null) {
      const constant = constString(args[1], options.params);
      const param = paramNumber(args[1]);
      effect.contextSets.push({
        setting: setting.toLowerCase(),
        local: constBool(args[2], options.params),
        via: 'set_config',
        ...(constant !== null ? { value: { constant } } : param !== undefined ? { value: { param } } : {}),
      });
    }
    return;
  }
  const sets = options.setterFunctions.get(name);
  if (sets) {
    const short = name.slice(name.indexOf('.') + 1);
    for (const s of sets) effect.contextSets.push({ setting: s.setting, local: s.local, via: `${short}()` });
  }
}

/** The name a role set from a bind parameter gets: no role can be called this, so none bypasses RLS by name. */
export const RUN_TIME_ROLE = '(a role named at run time)';

function inspectVariableSet(node: PgNode, effect: StatementEffect, options: ClassifyOptions): void {
  const name = typeof node.name === 'string' ? node.name.toLowerCase() : null;
  if (name === 'role') {
    const arg = ((node.args as unknown[] | undefined) ?? [])[0];
    const value = node.kind === 'VAR_SET_VALUE' ? constString(arg) : null;
    // SET ROLE $1 (a role named at run time) switches to some role: never a reset to the
    // session's own role, which is what RESET ROLE and SET ROLE NONE do.
    const chosenAtRunTime = node.kind === 'VAR_SET_VALUE' && value === null && arg !== undefined;
    const param = chosenAtRunTime ? paramNumber(arg) : undefined;
    effect.role = {
      name: chosenAtRunTime ? RUN_TIME_ROLE : value === null || value.toLowerCase() === 'none' ? null : value,
      local: node.is_local === true,
      ...(param !== undefined ? { param } : {}),
    };
    return;
  }
  switch (node.kind) {
    case 'VAR_SET_VALUE':
    case 'VAR_SET_CURRENT':
      if (name && name.includes('.')) {
        const local = node.is_local === true;
        const first = ((node.args as unknown[] | undefined) ?? [])[0];
        const constant = node.kind === 'VAR_SET_VALUE' ? constString(first) : null;
        const set: ContextChange = {
          setting: name,
          local,
          via: local ? 'SET LOCAL' : 'SET',
          ...(constant !== null ? { value: { constant } } : {}),
        };
        // libpg-query accepts `SET x = $1` (its grammar allows parameters there, for
        // normalising); the server's does not, and the statement fails.
        if (boundParameter(node.args, options)) (effect.boundSets ??= []).push(set);
        else effect.contextSets.push(set);
      }
      break;
    case 'VAR_SET_DEFAULT':
    case 'VAR_RESET':
      if (name) effect.contextResets.push(name);
      break;
    case 'VAR_RESET_ALL':
      effect.contextResets.push('*');
      break;
  }
}

function boundParameter(args: unknown, options: ClassifyOptions): boolean {
  if (!options.sentAsBind || !Array.isArray(args)) return false;
  return args.some((a) => {
    const ref = (a as { ParamRef?: { number?: number } }).ParamRef;
    return typeof ref?.number === 'number' && options.sentAsBind!(ref.number);
  });
}

function transactionControl(kind: string | undefined, current: TransactionControl): TransactionControl {
  switch (kind) {
    case 'TRANS_STMT_BEGIN':
    case 'TRANS_STMT_START':
      return 'begin';
    case 'TRANS_STMT_COMMIT':
    case 'TRANS_STMT_COMMIT_PREPARED':
    case 'TRANS_STMT_PREPARE':
      return 'commit';
    case 'TRANS_STMT_ROLLBACK':
    case 'TRANS_STMT_ROLLBACK_PREPARED':
      return 'rollback';
    default:
      return current; // SAVEPOINT, RELEASE, ROLLBACK TO keep the transaction open
  }
}
