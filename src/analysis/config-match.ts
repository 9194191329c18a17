import ts from '../ts.js';
import { type Binding, lookup } from '../code/scope.js';
import { skipOuter } from '../syntax/wrappers.js';
import { type AnalysisConfig, matchesSpec, type ResolvedAdminProvider, type ResolvedScopeHelper } from './config.js';

// Matching a call to the helpers the config declares (scope helpers, admin providers, setters):
// by the name the callee was declared or imported under, and its module when configured.

/** The scope helper a call invokes, matched by its imported or declared name (and module, when configured). */
export function scopeHelper(config: AnalysisConfig, call: ts.CallExpression): ResolvedScopeHelper | undefined {
  const callee = skipOuter(call.expression);
  const name = calleeName(callee);
  if (!name) return undefined;
  const module = ts.isIdentifier(callee) ? importModule(lookup(callee)) : undefined;
  const original = ts.isIdentifier(callee) ? importedName(lookup(callee)) ?? name : name;
  const exact = matchesSpec(config.scopeHelpers, original, module);
  if (exact) return exact as ResolvedScopeHelper;
  const prefix = config.scopeHelperPrefixes.find((p) => original.startsWith(p));
  return prefix ? { name: original, callbackArg: -1, executorParam: 0 } : undefined;
}

/** The admin provider a call invokes, by its imported or declared name. */
export function adminCall(
  config: AnalysisConfig,
  callee: ts.Expression,
  name: string,
): ResolvedAdminProvider | undefined {
  const b = ts.isIdentifier(callee) ? lookup(callee) : undefined;
  const original = importedName(b) ?? name;
  return matchesSpec(config.adminProviders, original, importModule(b)) as ResolvedAdminProvider | undefined;
}

export function calleeName(callee: ts.Expression): string | undefined {
  if (ts.isIdentifier(callee)) return callee.text;
  if (ts.isPropertyAccessExpression(callee)) return callee.name.text;
  return undefined;
}

export function importedName(b: Binding | undefined): string | undefined {
  return b?.kind === 'import' && b.imported !== '*' && b.imported !== 'default' ? b.imported : undefined;
}

export function importModule(b: Binding | undefined): string | undefined {
  return b?.kind === 'import' ? b.module : undefined;
}
