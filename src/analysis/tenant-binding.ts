import ts from '../ts.js';
import { adapters } from '../adapters/index.js';
import { isFunctionLike, lookup } from '../code/scope.js';
import { skipOuter } from '../syntax/wrappers.js';
import type { SqlTextFolder } from '../code/sql-text.js';
import type { StatementEffect } from '../sql/classify.js';
import type { AnalysisConfig } from './config.js';
import { where } from './handles.js';

// A per-tenant pool (`new Pool({ options: '-c app.current_org_id=…' })`, or a pool whose
// connect hook sets the org setting): every connection it gives carries the org context.

/** What finding a tenant pool reads: the audit root, the config, SQL text and its effects. */
export interface TenantDeps {
  root: string;
  config: AnalysisConfig;
  folder: SqlTextFolder;
  effects(sql: ts.Expression | undefined): StatementEffect[];
}

export function findTenantBinding(
  deps: TenantDeps,
  created: ts.NewExpression,
): { via: string; at: ts.Node } | undefined {
  const options = tenantOptions(deps, created.arguments?.[0]);
  if (options) return { ...options, at: created };
  const decl = created.parent;
  if (!decl || !ts.isVariableDeclaration(decl) || !ts.isIdentifier(decl.name)) return undefined;
  let hook: { via: string; at: ts.Node } | undefined;
  const visit = (n: ts.Node): void => {
    if (hook) return;
    if (ts.isCallExpression(n) && isConnectHook(n, decl)) {
      const fn = n.arguments[1] && skipOuter(n.arguments[1]);
      if (fn && isFunctionLike(fn) && fn.parameters[0] && hookSetsContext(deps, fn)) {
        hook = { via: `tenant pool (connect hook at ${where(n, deps.root)})`, at: n };
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(created.getSourceFile());
  return hook;
}

/** Connection options that set the org setting for every connection: `{ options }` or `{ connection: { options } }`. */
export function tenantOptions(deps: TenantDeps, arg: ts.Expression | undefined): { via: string } | undefined {
  const config = arg && skipOuter(arg);
  if (!config || !ts.isObjectLiteralExpression(config)) return undefined;
  for (const p of config.properties) {
    if (!ts.isPropertyAssignment(p)) continue;
    if (p.name.getText() === 'connection') {
      const inner = tenantOptions(deps, p.initializer);
      if (inner) return inner;
    }
    if (p.name.getText() !== 'options') continue;
    const folded = deps.folder.sql(p.initializer);
    if (!folded.ok) continue;
    const settings = folded.variants.map((v) => optionSetting(v, deps.config.contextSettings));
    const setting = settings.find((x) => x !== undefined);
    if (setting && settings.every((x) => x === setting)) return { via: `tenant pool (options -c ${setting})` };
  }
  return undefined;
}

function isConnectHook(call: ts.CallExpression, decl: ts.VariableDeclaration): boolean {
  const callee = skipOuter(call.expression);
  if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== 'on' || !ts.isIdentifier(callee.expression)) {
    return false;
  }
  const event = call.arguments[0];
  return !!event && ts.isStringLiteral(event) && event.text === 'connect' && lookup(callee.expression)?.decl === decl;
}

function hookSetsContext(deps: TenantDeps, fn: ts.FunctionLikeDeclaration): boolean {
  let sets = false;
  const visit = (n: ts.Node): void => {
    if (sets) return;
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(skipOuter(n.expression))) {
      const callee = skipOuter(n.expression) as ts.PropertyAccessExpression;
      if (adapters.some((a) => a.queryMethods[callee.name.text])) {
        const effects = deps.effects(n.arguments[0]);
        sets = effects.some((e) => e.contextSets.some((c) => deps.config.contextSettings.has(c.setting)));
      }
    }
    ts.forEachChild(n, visit);
  };
  if (fn.body) visit(fn.body);
  return sets;
}

/** The context setting a libpq `options` string sets (`-c app.current_org_id=…`), if any. */
function optionSetting(options: string, settings: ReadonlySet<string>): string | undefined {
  const words = options.split(/\s+/).filter(Boolean);
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const assignment =
      w === '-c' ? words[i + 1] : w.startsWith('-c') ? w.slice(2) : w.startsWith('--') ? w.slice(2) : undefined;
    const name = assignment?.split('=')[0]?.toLowerCase();
    if (name && assignment!.includes('=') && settings.has(name)) return name;
  }
  return undefined;
}
