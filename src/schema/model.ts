import type { RlsGuardConfig } from '../config/types.js';
import { classifyStatement, constBool, constString, functionName } from '../sql/classify.js';
import { type PgNode, parseSql, recoverStatements, visitPg } from '../sql/parser.js';
import { doBlockBody, embeddedQueries, type FunctionSignature, plpgsqlTree } from '../sql/plpgsql.js';
import { droppedStates } from './dropped.js';
import { normalizeQualifiedName, qualify, rangeVarName } from './names.js';
import type {
  ContextSet,
  FunctionState,
  FunctionWrite,
  PolicyCommand,
  PolicyState,
  RlsModel,
  SchemaLocation,
  SwitchValue,
  TableState,
  TriggerEvent,
} from './types.js';

// Applies migrations in order to get the final RLS state. Per-file analysis gets this wrong
// (a later migration drops or replaces a policy); the whole ordered history gets it right.

export interface MigrationFile {
  /** Relative to the audit root, '/' separators. */
  path: string;
  text: string;
  /** The file whose psql session runs it, when another file includes it (`\ir`): the replay keeps that session. */
  session?: string;
}

export type { FunctionSignature };

interface Ctx {
  model: RlsModel;
  defaultSchema: string;
  searchPath: string;
  file: string;
  lineAt: (byteOffset: number) => number;
}

export function emptyModel(): RlsModel {
  return { tables: new Map(), functions: new Map(), policySettings: new Set(), files: [], diagnostics: [] };
}

export function buildModel(files: readonly MigrationFile[], options: { defaultSchema?: string } = {}): RlsModel {
  const model = emptyModel();
  const defaultSchema = options.defaultSchema ?? 'public';
  for (const file of files) {
    model.files.push(file.path);
    const ctx: Ctx = { model, defaultSchema, searchPath: defaultSchema, file: file.path, lineAt: lineIndex(file.text) };
    // A code migration whose every statement was set aside (or that only uses a schema
    // builder) leaves no text: nothing to apply, and no syntax error to report.
    if (file.text.trim() === '') continue;
    const parsed = parseSql(file.text);
    if (parsed.ok) {
      for (const st of parsed.statements) apply(st.stmt, st.location, ctx);
      continue;
    }
    // Keep every statement that can be read; say exactly which lines were not.
    const text = file.text;
    const recovered = recoverStatements(text);
    for (const st of recovered.statements) apply(st.stmt, st.location, ctx);
    const lastLine = ctx.lineAt(Buffer.byteLength(file.text));
    for (const span of recovered.lost) {
      const from = lineOfByte(text, span.from + 1);
      const to = span.to === null ? lastLine : Math.max(from, lineOfByte(file.text, span.to));
      const lines =
        span.to === null
          ? `everything from line ${from} to the end of the file (line ${lastLine})`
          : from === to
            ? `the statement at line ${from}`
            : `lines ${from}–${to}`;
      model.diagnostics.push({
        file: file.path,
        line: from,
        incomplete: true,
        message: `SQL syntax error: ${span.reason}; ${lines} ${span.to === null || from !== to ? 'were' : 'was'} not ` +
          `read, the rest of the file was applied`,
      });
    }
  }
  model.policySettings = collectPolicySettings(model);
  return model;
}

/** The 1-based line of a byte offset, counting the line the byte is on (no skipping ahead). */
function lineOfByte(text: string, offset: number): number {
  const bytes = Buffer.from(text).subarray(0, Math.max(0, offset - 1));
  let line = 1;
  for (const b of bytes) if (b === 10) line++;
  return line;
}

export function lineIndex(text: string): (byteOffset: number) => number {
  const bytes = Buffer.from(text);
  const starts: number[] = [0];
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 10) starts.push(i + 1);
  return (offset) => {
    // Statement locations point at leading whitespace/comments too; skip them to the first token.
    let o = offset;
    while (o < bytes.length) {
      const c = bytes[o]!;
      if (c === 32 || c === 9 || c === 10 || c === 13) o++;
      else if (c === 45 && bytes[o + 1] === 45) {
        while (o < bytes.length && bytes[o] !== 10) o++;
      } else if (c === 47 && bytes[o + 1] === 42) {
        const end = bytes.indexOf('*/', o + 2);
        o = end < 0 ? bytes.length : end + 2;
      } else break;
    }
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= o) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

function apply(stmt: PgNode, offset: number, ctx: Ctx): void {
  const kind = Object.keys(stmt)[0]!;
  const node = stmt[kind] as PgNode;
  const at = (): SchemaLocation => ({ file: ctx.file, line: ctx.lineAt(offset) });
  switch (kind) {
    case 'CreateStmt':
      createTable(relName(node.relation, ctx), at(), ctx);
      break;
    case 'AlterTableStmt':
      alterTable(node, at(), ctx);
      break;
    case 'RenameStmt':
      rename(node, ctx);
      break;
    case 'AlterObjectSchemaStmt':
      if (node.objectType === 'OBJECT_TABLE' && node.relation)
        moveTable(
          relName(node.relation, ctx),
          qualify(node.newschema as string, (node.relation as { relname: string }).relname, ctx.defaultSchema),
          ctx,
        );
      break;
    case 'DropStmt':
      drop(node, at(), ctx);
      break;
    case 'CreatePolicyStmt':
      createPolicy(node, at(), ctx);
      break;
    case 'AlterPolicyStmt':
      alterPolicy(node, ctx);
      break;
    case 'CreateFunctionStmt':
      createFunction(node, at(), ctx);
      break;
    case 'AlterFunctionStmt':
      alterFunction(node, ctx);
      break;
    case 'CreateTrigStmt':
      createTrigger(node, at(), ctx);
      break;
    case 'CreateRoleStmt':
    case 'AlterRoleStmt':
      role(
        kind === 'CreateRoleStmt'
          ? (node.role as string)
          : ((node.role as { rolename?: string } | undefined)?.rolename ?? ''),
        node,
        ctx,
      );
      break;
    case 'DoStmt':
      applyDoBlock(node, ctx);
      break;
    case 'VariableSetStmt':
      if (node.name === 'search_path' && Array.isArray(node.args)) {
        const first = (node.args[0] as { A_Const?: { sval?: { sval?: string } } } | undefined)?.A_Const?.sval?.sval;
        if (first) ctx.searchPath = first;
      }
      break;
  }
}

/**
 * The static SQL of a DO block, applied where it stands. Postgres has no `CREATE POLICY IF NOT
 * EXISTS`, so migrations make their RLS DDL idempotent inside DO blocks: `DO $$ BEGIN ALTER TABLE t
 * ENABLE ROW LEVEL SECURITY; EXCEPTION WHEN undefined_table THEN NULL; END $$`, or `IF NOT EXISTS
 * (SELECT … FROM pg_policies …) THEN CREATE POLICY … END IF`. Read as never run, the table stays
 * ungated wherever the static reading stands in for the replay (a replay gap on the table hands
 * its facts to this reading): the audit would fail open. A guard's condition is taken as met (what
 * it guards is the migration's intent); dynamic SQL (EXECUTE) cannot be read and is left out.
 */
function applyDoBlock(node: PgNode, ctx: Ctx): void {
  const block = doBlockBody(node);
  if (block?.language !== 'plpgsql' || block.location === undefined) return;
  const { body } = block;
  const tree = plpgsqlTree(body, 'do_block');
  if (!tree.ok) return;
  // Line 1 of the body is the line its opening dollar quote is on.
  const bodyLine = ctx.lineAt(block.location);
  visitPg(tree.result, (key, value) => {
    if (key !== 'PLpgSQL_stmt_execsql') return;
    const query = (value.sqlstmt as { PLpgSQL_expr?: { query?: unknown } } | undefined)?.PLpgSQL_expr?.query;
    if (typeof query !== 'string') return;
    const parsed = parseSql(query);
    if (!parsed.ok) return;
    const line = bodyLine + (typeof value.lineno === 'number' ? value.lineno - 1 : 0);
    for (const st of parsed.statements) apply(st.stmt, 0, { ...ctx, lineAt: () => line });
  });
}

function relName(rv: unknown, ctx: Ctx): string {
  const r = rv as { schemaname?: string; relname: string };
  return rangeVarName(r, ctx.searchPath);
}

/** A table no migration created (or altered yet): no RLS, no owner, no policies. */
function untrackedTable(name: string): TableState {
  return {
    name,
    rlsEnabled: false,
    forced: false,
    enabledAt: null,
    forcedAt: null,
    createdAt: null,
    owner: null,
    policies: [],
  };
}

function table(name: string, ctx: Ctx): TableState {
  let t = ctx.model.tables.get(name);
  if (!t) {
    // Named again after a drop: a new table, with none of the dropped one's state.
    ctx.model.dropped?.delete(name);
    // A migration may alter a table created elsewhere (an extension, an older dump): track it anyway.
    t = untrackedTable(name);
    ctx.model.tables.set(name, t);
  }
  return t;
}

function createTable(name: string, at: SchemaLocation, ctx: Ctx): void {
  const t = table(name, ctx);
  t.createdAt ??= at;
}

function alterTable(node: PgNode, at: SchemaLocation, ctx: Ctx): void {
  if (node.objtype !== 'OBJECT_TABLE' || !node.relation) return;
  const t = table(relName(node.relation, ctx), ctx);
  for (const c of (node.cmds as { AlterTableCmd?: PgNode }[] | undefined) ?? []) {
    const cmd = c.AlterTableCmd;
    switch (cmd?.subtype) {
      case 'AT_EnableRowSecurity':
        t.rlsEnabled = true;
        t.enabledAt = at;
        break;
      case 'AT_DisableRowSecurity':
        t.rlsEnabled = false;
        t.enabledAt = null;
        t.disabledAt = at;
        break;
      case 'AT_ForceRowSecurity':
        t.forced = true;
        t.forcedAt = at;
        break;
      case 'AT_NoForceRowSecurity':
        t.forced = false;
        t.forcedAt = null;
        break;
      case 'AT_ChangeOwner':
        t.owner = ((cmd.newowner as { rolename?: string } | undefined)?.rolename) ?? null;
        break;
    }
  }
}

function moveTable(from: string, to: string, ctx: Ctx): void {
  const t = ctx.model.tables.get(from);
  if (!t) return;
  ctx.model.tables.delete(from);
  ctx.model.dropped?.delete(to);
  t.name = to;
  for (const p of t.policies) p.table = to;
  ctx.model.tables.set(to, t);
}

function rename(node: PgNode, ctx: Ctx): void {
  const newname = node.newname as string;
  switch (node.renameType) {
    case 'OBJECT_TABLE': {
      const rv = node.relation as { schemaname?: string; relname: string };
      const from = relName(rv, ctx);
      moveTable(from, qualify(from.slice(0, from.lastIndexOf('.')), newname, ctx.defaultSchema), ctx);
      break;
    }
    case 'OBJECT_SCHEMA': {
      const from = node.subname as string;
      for (const t of [...ctx.model.tables.values()]) {
        if (t.name.startsWith(`${from}.`)) moveTable(t.name, `${newname}.${t.name.slice(from.length + 1)}`, ctx);
      }
      break;
    }
    case 'OBJECT_POLICY': {
      const t = ctx.model.tables.get(relName(node.relation, ctx));
      const p = t?.policies.find((x) => x.name === node.subname);
      if (p) p.name = newname;
      break;
    }
    case 'OBJECT_FUNCTION': {
      const name = objectFunctionName(node.object, ctx);
      const fn = name ? ctx.model.functions.get(name) : undefined;
      if (fn && name) {
        ctx.model.functions.delete(name);
        fn.name = qualify(name.slice(0, name.lastIndexOf('.')), newname, ctx.defaultSchema);
        ctx.model.functions.set(fn.name, fn);
      }
      break;
    }
  }
}

function drop(node: PgNode, at: SchemaLocation, ctx: Ctx): void {
  const objects = (node.objects as unknown[] | undefined) ?? [];
  for (const o of objects) {
    const names = listNames(o);
    switch (node.removeType) {
      case 'OBJECT_TABLE':
        if (names.length)
          dropTable(
            names.length > 1
              ? `${names[names.length - 2]}.${names[names.length - 1]}`
              : qualify(undefined, names[0]!, ctx.searchPath),
            at,
            'table',
            ctx,
          );
        break;
      case 'OBJECT_SCHEMA':
        for (const t of [...ctx.model.tables.keys()]) if (t.startsWith(`${names[0]}.`)) dropTable(t, at, 'schema', ctx);
        for (const f of [...ctx.model.functions.keys()])
          if (f.startsWith(`${names[0]}.`)) ctx.model.functions.delete(f);
        break;
      case 'OBJECT_POLICY':
      case 'OBJECT_TRIGGER': {
        // objects: [table…, policy or trigger]
        const member = names[names.length - 1];
        const tableParts = names.slice(0, -1);
        const tname =
          tableParts.length > 1
            ? `${tableParts[0]}.${tableParts[1]}`
            : qualify(undefined, tableParts[0] ?? '', ctx.searchPath);
        const t = ctx.model.tables.get(tname);
        if (t && node.removeType === 'OBJECT_POLICY') t.policies = t.policies.filter((p) => p.name !== member);
        else if (t?.triggers) t.triggers = t.triggers.filter((tr) => tr.name !== member);
        break;
      }
      case 'OBJECT_FUNCTION':
      case 'OBJECT_PROCEDURE': {
        const name = objectFunctionName(o, ctx);
        if (name) ctx.model.functions.delete(name);
        break;
      }
    }
  }
}

/** A table leaves the model; one whose RLS was enabled is remembered as dropped (types.ts `dropped`). */
function dropTable(name: string, at: SchemaLocation, by: 'table' | 'schema', ctx: Ctx): void {
  const t = ctx.model.tables.get(name);
  if (!t) return;
  ctx.model.tables.delete(name);
  if (t.rlsEnabled) (ctx.model.dropped ??= new Map()).set(name, { before: t, droppedAt: at, by });
}

function listNames(o: unknown): string[] {
  const list = (o as { List?: { items?: { String?: { sval?: string } }[] } }).List?.items;
  if (list) return list.map((i) => i.String?.sval ?? '');
  const s = (o as { String?: { sval?: string } }).String?.sval;
  return s ? [s] : [];
}

function objectFunctionName(o: unknown, ctx: Ctx): string | null {
  const owa = ((o as { ObjectWithArgs?: PgNode }).ObjectWithArgs ?? o) as PgNode | undefined;
  return owa ? functionName(owa.objname, ctx.searchPath) : null;
}

const COMMANDS: Record<string, PolicyCommand> = {
  all: 'all',
  select: 'select',
  insert: 'insert',
  update: 'update',
  delete: 'delete',
};

function createPolicy(node: PgNode, at: SchemaLocation, ctx: Ctx): void {
  const t = table(relName(node.table, ctx), ctx);
  const reads = expressionReads([node.qual, node.with_check], ctx);
  const policy: PolicyState = {
    name: node.policy_name as string,
    table: t.name,
    command: COMMANDS[(node.cmd_name as string | undefined) ?? 'all'] ?? 'all',
    permissive: node.permissive === true, // the parser omits false: RESTRICTIVE
    roles: roles(node.roles),
    settings: reads.settings,
    functions: reads.functions,
    ...(reads.loginRole ? { loginRole: reads.loginRole } : {}),
    ...(reads.switches.length ? { switches: reads.switches } : {}),
    ...valueFields(reads),
    at,
  };
  t.policies = t.policies.filter((p) => p.name !== policy.name);
  t.policies.push(policy);
}

function alterPolicy(node: PgNode, ctx: Ctx): void {
  const t = ctx.model.tables.get(relName(node.table, ctx));
  const p = t?.policies.find((x) => x.name === node.policy_name);
  if (!p) return;
  if (node.roles) p.roles = roles(node.roles);
  if (node.qual || node.with_check) {
    const reads = expressionReads([node.qual, node.with_check], ctx);
    p.settings = reads.settings;
    p.functions = reads.functions;
    if (reads.loginRole) p.loginRole = reads.loginRole;
    else delete p.loginRole;
    if (reads.switches.length) p.switches = reads.switches;
    else delete p.switches;
    delete p.switchValues;
    delete p.switchCalls;
    delete p.openWhenUnset;
    delete p.raisesWhenUnset;
    Object.assign(p, valueFields(reads));
  }
}

/** A policy's switches on a value, absent when none. */
export function valueFields(reads: {
  switchValues: SwitchValue[];
  switchCalls: string[];
  openWhenUnset: string[];
  raisesWhenUnset: string[];
}): Partial<PolicyState> {
  return {
    ...(reads.switchValues.length ? { switchValues: reads.switchValues } : {}),
    ...(reads.switchCalls.length ? { switchCalls: reads.switchCalls } : {}),
    ...(reads.openWhenUnset.length ? { openWhenUnset: reads.openWhenUnset } : {}),
    ...(reads.raisesWhenUnset.length ? { raisesWhenUnset: reads.raisesWhenUnset } : {}),
  };
}

function roles(list: unknown): string[] {
  return ((list as { RoleSpec?: { roletype?: string; rolename?: string } }[] | undefined) ?? []).map((r) =>
    r.RoleSpec?.roletype === 'ROLESPEC_PUBLIC'
      ? 'public'
      : (r.RoleSpec?.rolename ?? r.RoleSpec?.roletype?.replace('ROLESPEC_', '').toLowerCase() ?? '?'),
  );
}

/** The SQL value functions that name the role a statement runs as (SET ROLE changes it) or logged in as. */
const CURRENT_ROLE_FUNCTIONS = new Set(['SVFOP_CURRENT_USER', 'SVFOP_CURRENT_ROLE', 'SVFOP_USER']);
const SESSION_ROLE_FUNCTIONS = new Set(['SVFOP_SESSION_USER']);

/**
 * Settings read through current_setting('…'), functions called, and whether the expression reads the role it runs
 * as (current_user, session_user, current_role, user; also inside a lookup subquery), in policy expressions.
 */
export function expressionReads(
  nodes: unknown[],
  ctx: { searchPath: string },
): {
  settings: string[];
  functions: string[];
  loginRole: PolicyState['loginRole'];
  switches: string[];
  switchValues: SwitchValue[];
  switchCalls: string[];
  openWhenUnset: string[];
  raisesWhenUnset: string[];
} {
  const settings = new Set<string>();
  const strict = new Set<string>();
  const functions = new Set<string>();
  // Settings an expression reads without reading the row (no column anywhere in it): they let a connection through to
  // every row or to none, a switch (`current_setting('app.bypass_rls', true) = 'on'`), not an org context.
  const rowFree = new Set<string>();
  const rowRead = new Set<string>();
  let loginRole: PolicyState['loginRole'];
  for (const n of nodes) {
    if (!n) continue;
    let readsRow = false;
    visitPg(n, (key) => {
      if (key === 'ColumnRef') readsRow = true;
    });
    const visitCall = (key: string, value: PgNode): void => {
      if (key === 'SQLValueFunction' && CURRENT_ROLE_FUNCTIONS.has(value.op as string)) loginRole = 'current_user';
      if (key === 'SQLValueFunction' && SESSION_ROLE_FUNCTIONS.has(value.op as string)) loginRole ??= 'session_user';
      if (key !== 'FuncCall') return;
      const name = functionName(value.funcname, ctx.searchPath);
      if (!name) return;
      if (name === 'pg_catalog.current_setting') {
        // The catalog deparses literals with casts: current_setting('app.x'::text, true).
        const args = (value.args as unknown[] | undefined) ?? [];
        const s = constString(args[0]);
        if (s) settings.add(s.toLowerCase());
        // No `missing_ok` (or a false one): an unset setting is an error, not NULL.
        if (s && (args.length === 1 || (args.length === 2 && constBool(bareCast(args[1])) === false)))
          strict.add(s.toLowerCase());
      } else functions.add(name);
    };
    visitCall(Object.keys(n as PgNode)[0] ?? '', (n as PgNode)[Object.keys(n as PgNode)[0] ?? ''] as PgNode);
    const local = new Set<string>();
    const collect = (key: string, value: PgNode): void => {
      if (key !== 'FuncCall' || functionName(value.funcname, ctx.searchPath) !== 'pg_catalog.current_setting') return;
      const s = constString(((value.args as unknown[] | undefined) ?? [])[0]);
      if (s) local.add(s.toLowerCase());
    };
    collect(Object.keys(n as PgNode)[0] ?? '', (n as PgNode)[Object.keys(n as PgNode)[0] ?? ''] as PgNode);
    visitPg(n, visitCall);
    visitPg(n, collect);
    for (const x of local) (readsRow ? rowRead : rowFree).add(x);
  }
  const switches = [...rowFree].filter((x) => !rowRead.has(x));
  return {
    settings: [...settings], functions: [...functions], loginRole, switches, ...valueSwitches(nodes, ctx),
    raisesWhenUnset: [...strict],
  };
}

/**
 * The switches on a value in USING / WITH CHECK: OR branches that read no row and compare a setting with a constant,
 * or call a function without arguments (a switch if its body is one). Only those in every expression present: a
 * branch of USING alone does not let a new row through WITH CHECK.
 */
function valueSwitches(
  nodes: unknown[],
  ctx: { searchPath: string },
): { switchValues: SwitchValue[]; switchCalls: string[]; openWhenUnset: string[] } {
  let values: Map<string, SwitchValue> | undefined;
  let calls: Set<string> | undefined;
  let open: Set<string> | undefined;
  for (const n of nodes) {
    if (!n) continue;
    const v = new Map<string, SwitchValue>();
    const c = new Set<string>();
    const u = new Set<string>();
    for (const d of disjuncts(n)) {
      let readsRow = false;
      visitPg(d, (key) => {
        if (key === 'ColumnRef') readsRow = true;
      });
      if (readsRow) continue;
      const unset = trueWhenUnset(d, ctx.searchPath);
      if (unset) u.add(unset);
      const cmp = settingComparison(d, ctx.searchPath);
      if (cmp) v.set(`${cmp.setting}=${cmp.value}`, cmp);
      const call = (d as { FuncCall?: PgNode }).FuncCall;
      const name = call && !call.args ? functionName(call.funcname, ctx.searchPath) : null;
      if (name && !name.startsWith('pg_catalog.')) c.add(name);
    }
    values = values ? new Map([...values].filter(([k]) => v.has(k))) : v;
    calls = calls ? new Set([...calls].filter((x) => c.has(x))) : c;
    open = open ? new Set([...open].filter((x) => u.has(x))) : u;
  }
  return {
    switchValues: [...(values?.values() ?? [])],
    switchCalls: [...(calls ?? [])],
    openWhenUnset: [...(open ?? [])],
  };
}

/** An expression without the casts around it (`true::boolean`, as the catalog deparses constants). */
function bareCast(x: unknown): unknown {
  const cast = (x as { TypeCast?: { arg?: unknown } }).TypeCast;
  return cast ? bareCast(cast.arg) : x;
}

/**
 * An OR branch true while a setting is unset (read with `missing_ok`, it is NULL): `current_setting('s', true) IS
 * NULL`, `NULLIF(current_setting('s', true), '') IS NULL`, `COALESCE(current_setting('s', true), 'c') = 'c'` (casts
 * allowed). The setting, lower-cased; null for any other shape.
 */
function trueWhenUnset(n: unknown, searchPath: string): string | null {
  const bare = (x: unknown): unknown => {
    const cast = (x as { TypeCast?: { arg?: unknown } }).TypeCast;
    return cast ? bare(cast.arg) : x;
  };
  const missingOk = (x: unknown): string | null => {
    const f = (bare(x) as { FuncCall?: PgNode }).FuncCall;
    if (!f || functionName(f.funcname, searchPath) !== 'pg_catalog.current_setting') return null;
    const args = (f.args as unknown[] | undefined) ?? [];
    if (args.length !== 2 || constBool(bare(args[1])) !== true) return null;
    return constString(args[0])?.toLowerCase() ?? null;
  };
  const test = (n as { NullTest?: { arg?: unknown; nulltesttype?: string } }).NullTest;
  if (test) {
    if (test.nulltesttype !== 'IS_NULL') return null;
    const arg = bare(test.arg);
    const nullif = (arg as { A_Expr?: PgNode }).A_Expr;
    return nullif?.kind === 'AEXPR_NULLIF' ? missingOk(nullif.lexpr) : missingOk(arg);
  }
  const e = (n as { A_Expr?: PgNode }).A_Expr;
  const op = (e?.name as { String?: { sval?: string } }[] | undefined)?.map((x) => x.String?.sval);
  if (!e || e.kind !== 'AEXPR_OP' || op?.length !== 1 || op[0] !== '=') return null;
  for (const [a, b] of [[e.lexpr, e.rexpr], [e.rexpr, e.lexpr]]) {
    const args = ((bare(a) as { CoalesceExpr?: { args?: unknown[] } }).CoalesceExpr?.args ?? []).map(bare);
    const s = args.length === 2 ? missingOk(args[0]) : null;
    const fallback = args.length === 2 ? constString(args[1]) : null;
    if (s && fallback !== null && constString(bare(b)) === fallback) return s;
  }
  return null;
}

/** The branches of an OR (nested ORs flattened); the expression itself when it is no OR. */
function disjuncts(n: unknown): unknown[] {
  const b = (n as { BoolExpr?: { boolop?: string; args?: unknown[] } }).BoolExpr;
  return b?.boolop === 'OR_EXPR' ? (b.args ?? []).flatMap(disjuncts) : [n];
}

/** `current_setting('s'[, true]) = 'v'` (either side, casts allowed): the setting and the value. */
export function settingComparison(n: unknown, searchPath: string): SwitchValue | null {
  const e = (n as { A_Expr?: PgNode }).A_Expr;
  const op = (e?.name as { String?: { sval?: string } }[] | undefined)?.map((x) => x.String?.sval);
  if (!e || e.kind !== 'AEXPR_OP' || op?.length !== 1 || op[0] !== '=') return null;
  const setting = (x: unknown): string | null => {
    const cast = (x as { TypeCast?: { arg?: unknown } }).TypeCast;
    if (cast) return setting(cast.arg);
    const f = (x as { FuncCall?: PgNode }).FuncCall;
    if (!f || functionName(f.funcname, searchPath) !== 'pg_catalog.current_setting') return null;
    return constString(((f.args as unknown[] | undefined) ?? [])[0])?.toLowerCase() ?? null;
  };
  for (const [a, b] of [[e.lexpr, e.rexpr], [e.rexpr, e.lexpr]]) {
    const s = setting(a);
    const value = s === null ? null : constString(b);
    if (s !== null && value !== null) return { setting: s, value };
  }
  return null;
}

function createFunction(node: PgNode, at: SchemaLocation, ctx: Ctx): void {
  const name = functionName(node.funcname, ctx.searchPath);
  if (!name) return;
  let securityDefiner = false;
  let language = 'sql';
  let searchPathPinned = false;
  let body: string | null = null;
  let bodySchema = ctx.searchPath;
  for (const o of (node.options as { DefElem?: PgNode }[] | undefined) ?? []) {
    const d = o.DefElem;
    if (!d) continue;
    if (d.defname === 'security')
      securityDefiner = (d.arg as { Boolean?: { boolval?: boolean } }).Boolean?.boolval === true;
    else if (d.defname === 'language')
      language = ((d.arg as { String?: { sval?: string } }).String?.sval ?? 'sql').toLowerCase();
    else if (
      d.defname === 'set' &&
      (d.arg as { VariableSetStmt?: { name?: string } }).VariableSetStmt?.name === 'search_path'
    ) {
      searchPathPinned = true;
      const first = (
        ((d.arg as { VariableSetStmt: { args?: unknown[] } }).VariableSetStmt.args ?? [])[0] as
          { A_Const?: { sval?: { sval?: string } } } | undefined
      )?.A_Const?.sval?.sval;
      if (first) bodySchema = first.split(',')[0]!.trim();
    } else if (d.defname === 'as') body = listNames(d.arg)[0] ?? null;
  }
  const signature = signatureOf(node);
  ctx.model.functions.set(
    name,
    functionState({ name, securityDefiner, language, searchPathPinned, body, bodySchema, at, signature }),
  );
  // A body that does not parse hides what the function writes: a call of it could write a
  // gated table unseen.
  const unread = bodyError(language, body, name, signature);
  if (unread)
    ctx.model.diagnostics.push({
      file: at.file,
      line: at.line,
      incomplete: true,
      message: `the body of function ${name} does not parse (${unread}), so what it writes and which context it sets ` +
        `are unknown`,
    });
}

/**
 * A function's parameters and result as SQL text, rebuilt from its CREATE FUNCTION's tree: what
 * the PL/pgSQL parser needs to know the body's variables (parameters, OUT and TABLE columns, a
 * trigger's NEW and OLD). Defaults and type modifiers are left out: they declare no variable.
 */
function signatureOf(node: PgNode): FunctionSignature | undefined {
  type Param = { FunctionParameter?: { name?: string; argType?: unknown; mode?: string } };
  const args: string[] = [];
  const table: string[] = [];
  const outTypes: string[] = [];
  for (const p of (node.parameters as Param[] | undefined) ?? []) {
    const f = p.FunctionParameter;
    const type = f ? typeText(f.argType) : null;
    if (!f || type === null) return undefined;
    const decl = `${f.name ? `${quoteIdent(f.name)} ` : ''}${type}`;
    if (f.mode === 'FUNC_PARAM_TABLE') table.push(decl);
    else args.push(`${PARAM_MODES[f.mode ?? ''] ?? ''}${decl}`);
    if (f.mode === 'FUNC_PARAM_OUT' || f.mode === 'FUNC_PARAM_INOUT') outTypes.push(type);
  }
  // No RETURNS: Postgres takes the result from the OUT parameters (one: its type; several: record).
  const implied = outTypes.length === 0 ? 'void' : outTypes.length === 1 ? outTypes[0]! : 'record';
  const returned = node.returnType === undefined ? implied : typeText(node.returnType);
  if (returned === null) return undefined;
  const setof = (node.returnType as { setof?: boolean } | undefined)?.setof ? 'SETOF ' : '';
  return { args: args.join(', '), result: table.length ? `TABLE(${table.join(', ')})` : `${setof}${returned}` };
}

const PARAM_MODES: Record<string, string> = {
  FUNC_PARAM_OUT: 'OUT ',
  FUNC_PARAM_INOUT: 'INOUT ',
  FUNC_PARAM_VARIADIC: 'VARIADIC ',
};

/** A TypeName as SQL (`"pg_catalog"."int4"[]`, `"orders"."id"%TYPE`); null for a shape it does not know. */
function typeText(t: unknown): string | null {
  const type = t as { names?: { String?: { sval?: string } }[]; pct_type?: boolean; arrayBounds?: unknown[] };
  const names = (type?.names ?? []).map((n) => n.String?.sval);
  if (names.length === 0 || names.some((n) => n === undefined)) return null;
  const suffix = (type.pct_type ? '%TYPE' : '') + '[]'.repeat(type.arrayBounds?.length ?? 0);
  return names.map((n) => quoteIdent(n!)).join('.') + suffix;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function bodyError(
  language: string,
  body: string | null,
  name: string,
  signature?: FunctionSignature,
): string | null {
  if (body === null || (language !== 'sql' && language !== 'plpgsql')) return null;
  if (language === 'plpgsql') {
    const tree = plpgsqlTree(body, name, signature);
    return tree.ok ? null : tree.error;
  }
  const parsed = parseSql(body);
  return parsed.ok ? null : parsed.error;
}

/** A function's state from its definition: what its body sets, reads, writes and calls. */
export function functionState(def: {
  name: string;
  securityDefiner: boolean;
  language: string;
  searchPathPinned: boolean;
  body: string | null;
  /** The schema unqualified names in the body resolve to. */
  bodySchema: string;
  at: SchemaLocation;
  /** Its parameters and result as SQL, when known: the body's variables come from them. */
  signature?: FunctionSignature | undefined;
}): FunctionState {
  const { name, securityDefiner, language, searchPathPinned, at } = def;
  const fn: FunctionState = { name, securityDefiner, language, searchPathPinned, setsContext: [], at };
  const reads = new Set<string>();
  const writes: FunctionWrite[] = [];
  const calls = new Set<string>();
  const body = bodyStatements(language, def.body, name, def.signature);
  let opaque = body.opaque;
  for (const sql of body.statements)
    if (!collectBodyEffects(sql, def.bodySchema, { sets: fn.setsContext, reads, writes, calls })) opaque = true;
  // What the body writes is unknown: a call of it must not be taken for a read.
  if (opaque) fn.opaqueBody = true;
  fn.bodyReadsSettings = [...reads];
  // A switch is read from what the body returns; an assignment's value is not that (and a body
  // with assignments is not the one-comparison shape the switch reading is for).
  const sw = opaque || body.assigns ? null : bodySwitch(body.statements, def.bodySchema);
  if (sw) fn.switchValue = sw;
  fn.writes = uniqueWrites(writes);
  calls.delete(name);
  fn.calls = [...calls].filter((c) => !c.startsWith('pg_catalog.'));
  return fn;
}

/**
 * SQL statements in a function body: the body itself for LANGUAGE sql, every embedded query
 * for plpgsql. `opaque` when some of it cannot be read: another language, no source, a body
 * that does not parse, or dynamic SQL (EXECUTE).
 */
function bodyStatements(
  language: string,
  body: string | null,
  name: string,
  signature?: FunctionSignature,
): { statements: string[]; opaque: boolean; assigns: boolean } {
  if (language === 'sql') return { statements: body ? [body] : [], opaque: !body, assigns: false };
  if (language !== 'plpgsql' || body === null) return { statements: [], opaque: true, assigns: false };
  const parsed = plpgsqlTree(body, name, signature);
  if (!parsed.ok) return { statements: [], opaque: true, assigns: false };
  const { statements, dynamic, assigns } = embeddedQueries(parsed.result);
  return { statements, opaque: dynamic, assigns };
}

/**
 * The comparison a body returns when it returns only a setting compared with a constant (`RETURN
 * current_setting('app.tenant_id', true) = '__SERVICE__'`), and elsewhere only false or NULL (an EXCEPTION branch).
 */
function bodySwitch(statements: string[], schema: string): SwitchValue | null {
  let found: SwitchValue | null = null;
  for (const sql of statements) {
    const parsed = parseSql(sql);
    if (!parsed.ok || parsed.statements.length !== 1) return null;
    const sel = (parsed.statements[0]!.stmt as { SelectStmt?: PgNode }).SelectStmt;
    const targets = (sel?.targetList as { ResTarget?: { val?: unknown } }[] | undefined) ?? [];
    if (!sel || sel.fromClause || sel.whereClause || targets.length !== 1) return null;
    const val = targets[0]!.ResTarget?.val;
    const c = (val as { A_Const?: { boolval?: { boolval?: boolean }; isnull?: boolean } } | undefined)?.A_Const;
    if (c && (c.isnull || (c.boolval !== undefined && c.boolval.boolval !== true))) continue;
    const cmp = settingComparison(val, schema);
    if (!cmp || (found && (found.setting !== cmp.setting || found.value !== cmp.value))) return null;
    found = cmp;
  }
  return found;
}

interface BodyEffects {
  sets: ContextSet[];
  reads: Set<string>;
  writes: FunctionWrite[];
  calls: Set<string>;
}

/** Adds one body statement's effects; false when it does not parse. */
function collectBodyEffects(sql: string, schema: string, { sets, reads, writes, calls }: BodyEffects): boolean {
  const parsed = parseSql(sql);
  if (!parsed.ok) return false;
  for (const st of parsed.statements) {
    const effect = classifyStatement(st, { defaultSchema: schema, setterFunctions: new Map() });
    // A DO block in the body that runs SQL it builds: what the body writes is unknown.
    if (effect.opaque) return false;
    writes.push(...effect.writes);
    for (const c of effect.calls) calls.add(c);
    visitPg(st.stmt, (key, value) => {
      if (key === 'FuncCall') {
        const name = functionName(value.funcname, 'public');
        const args = (value.args as unknown[] | undefined) ?? [];
        const first = constString(args[0]);
        if (name === 'pg_catalog.set_config' && first) {
          sets.push({ setting: first.toLowerCase(), local: args[2] === undefined ? null : constBool(args[2]) });
        } else if (name === 'pg_catalog.current_setting' && first) reads.add(first.toLowerCase());
      }
    });
    const set = (st.stmt as { VariableSetStmt?: PgNode }).VariableSetStmt;
    if (set && set.kind === 'VAR_SET_VALUE' && typeof set.name === 'string' && set.name.includes('.'))
      sets.push({ setting: set.name.toLowerCase(), local: set.is_local === true });
  }
  return true;
}

/** Roles and whether they bypass RLS (BYPASSRLS or SUPERUSER), for SET ROLE. */
function role(name: string, node: PgNode, ctx: Ctx): void {
  if (!name) return;
  const roles = (ctx.model.roles ??= []);
  let r = roles.find((x) => x.name === name);
  if (!r) roles.push((r = { name, superuser: false, bypassRls: false }));
  for (const o of (node.options as { DefElem?: PgNode }[] | undefined) ?? []) {
    const flag = (o.DefElem?.arg as { Boolean?: { boolval?: boolean } } | undefined)?.Boolean?.boolval === true;
    if (o.DefElem?.defname === 'bypassrls') r.bypassRls = flag;
    if (o.DefElem?.defname === 'superuser') r.superuser = flag;
  }
}

function uniqueWrites(writes: FunctionWrite[]): FunctionWrite[] {
  const seen = new Map<string, FunctionWrite>();
  for (const w of writes) seen.set(`${w.operation} ${w.table}`, { operation: w.operation, table: w.table });
  return [...seen.values()];
}

// CREATE TRIGGER's events are a bitmask (pg's TRIGGER_TYPE_* values).
const TRIGGER_EVENTS: [number, TriggerEvent][] = [[4, 'insert'], [8, 'delete'], [16, 'update'], [32, 'truncate']];

function createTrigger(node: PgNode, at: SchemaLocation, ctx: Ctx): void {
  if (!node.relation) return;
  const fn = functionName(node.funcname, ctx.searchPath);
  if (!fn) return;
  const mask = typeof node.events === 'number' ? node.events : 0;
  const events = TRIGGER_EVENTS.filter(([bit]) => (mask & bit) !== 0).map(([, e]) => e);
  const t = table(relName(node.relation, ctx), ctx);
  const name = String(node.trigname ?? fn);
  t.triggers = [...(t.triggers ?? []).filter((tr) => tr.name !== name), { name, function: fn, events, at }];
}

function alterFunction(node: PgNode, ctx: Ctx): void {
  const name = objectFunctionName(node.func, ctx);
  const fn = name ? ctx.model.functions.get(name) : undefined;
  if (!fn) return;
  for (const a of (node.actions as { DefElem?: PgNode }[] | undefined) ?? []) {
    const d = a.DefElem;
    if (d?.defname === 'security')
      fn.securityDefiner = (d.arg as { Boolean?: { boolval?: boolean } }).Boolean?.boolval === true;
    if (
      d?.defname === 'set' &&
      (d.arg as { VariableSetStmt?: { name?: string } }).VariableSetStmt?.name === 'search_path'
    )
      fn.searchPathPinned = true;
  }
}

export function collectPolicySettings(model: RlsModel): Set<string> {
  const out = new Set<string>();
  for (const t of [...model.tables.values(), ...droppedStates(model)]) {
    for (const p of t.policies) {
      for (const s of p.settings) out.add(s);
      // A policy may read the setting through a helper function such as current_org_id().
      for (const f of p.functions) for (const s of model.functions.get(f)?.bodyReadsSettings ?? []) out.add(s);
    }
  }
  return out;
}

/** The model with the config's additions and removals applied. */
export function applyConfig(model: RlsModel, config: RlsGuardConfig): RlsModel {
  const defaultSchema = config.defaultSchema ?? 'public';
  const tables = new Map([...model.tables].map(([k, t]) => [k, { ...t }]));
  const functions = new Map([...model.functions].map(([k, f]) => [k, { ...f }]));
  for (const raw of config.gatedTables?.add ?? []) {
    const name = normalizeQualifiedName(raw, defaultSchema);
    const t = tables.get(name) ?? untrackedTable(name);
    tables.set(name, { ...t, rlsEnabled: true });
  }
  const dropped = new Map(model.dropped ?? []);
  const leftOutGated = model.leftOutGated && new Map(model.leftOutGated);
  const unappliedGates = model.unappliedGates && new Map(model.unappliedGates);
  for (const raw of config.gatedTables?.remove ?? []) {
    const t = tables.get(normalizeQualifiedName(raw, defaultSchema));
    if (t) tables.set(t.name, { ...t, rlsEnabled: false, enabledAt: null });
    dropped.delete(normalizeQualifiedName(raw, defaultSchema));
    leftOutGated?.delete(normalizeQualifiedName(raw, defaultSchema));
    // Declared not gated: the file that would gate it is no longer worth naming.
    unappliedGates?.delete(normalizeQualifiedName(raw, defaultSchema));
  }
  const configAt: SchemaLocation = { file: 'rls-guard.config.json', line: 1 };
  for (const raw of config.definerFunctions ?? []) {
    const name = normalizeQualifiedName(raw, defaultSchema);
    const f = functions.get(name) ?? {
      name,
      securityDefiner: true,
      language: 'sql',
      searchPathPinned: false,
      setsContext: [],
      at: configAt,
    };
    functions.set(name, { ...f, securityDefiner: true });
  }
  const setting = (config.contextSettings?.[0] ?? [...model.policySettings][0] ?? 'app.current_org_id').toLowerCase();
  for (const raw of config.setterFunctions ?? []) {
    const name = normalizeQualifiedName(raw, defaultSchema);
    const f = functions.get(name) ?? {
      name,
      securityDefiner: false,
      language: 'sql',
      searchPathPinned: false,
      setsContext: [],
      at: configAt,
    };
    functions.set(name, {
      ...f,
      setsContext: [...f.setsContext.filter((s) => s.setting !== setting), { setting, local: true }],
    });
  }
  return {
    ...model,
    tables,
    functions,
    dropped,
    ...(leftOutGated ? { leftOutGated } : {}),
    ...(unappliedGates ? { unappliedGates } : {}),
  };
}

export function gatedTables(model: RlsModel): string[] {
  return [...model.tables.values()].filter((t) => t.rlsEnabled).map((t) => t.name).sort();
}

export function forcedTables(model: RlsModel): string[] {
  return [...model.tables.values()].filter((t) => t.rlsEnabled && t.forced).map((t) => t.name).sort();
}

export function definerFunctions(model: RlsModel): string[] {
  return [...model.functions.values()].filter((f) => f.securityDefiner).map((f) => f.name).sort();
}
