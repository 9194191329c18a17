import ts from 'typescript';
import type { CallEdge, FileFacts, LocalVerdict, RawSite, Verdict } from './facts.js';
import { rank } from './flow.js';
import { where } from './handles.js';
import { isExported } from './modules.js';
import { functionName, shortText } from './origins.js';
import { judge } from './verdict.js';

// Verdicts that need other functions: a write through an executor parameter is judged at
// every call site of its function (across files in the walker), taking the worst.

export type SiteVerdict = Verdict & {
  /** The call path that leaves the write uncovered, e.g. ["src/jobs/a.ts:12 recordAudit(pool, …)"]. */
  callPath: string[];
  /** True when the verdict could not be decided from the files analysed (the plugin on one file). */
  deferred: boolean;
  /** True when the site's own file alone cannot decide it: only the walker, following callers, can. */
  crossFile?: boolean;
};

export interface ProgramOptions {
  root: string;
  /** True when every caller is among the files (the walker); false for the single-file plugin. */
  wholeProgram: boolean;
}

export function resolveVerdicts(files: FileFacts[], options: ProgramOptions): Map<RawSite, SiteVerdict> {
  const callers = new Map<ts.FunctionLikeDeclaration, CallEdge[]>();
  const escaped = new Set<ts.FunctionLikeDeclaration>();
  for (const f of files) {
    for (const e of f.edges) {
      const list = callers.get(e.callee) ?? [];
      list.push(e);
      callers.set(e.callee, list);
    }
    for (const fn of f.escapedFunctions) escaped.add(fn);
  }
  const out = new Map<RawSite, SiteVerdict>();
  for (const f of files) {
    for (const site of f.sites) {
      const verdict = settle(site.verdict, callers, escaped, options, new Set(), site.gatedTables[0] ?? '');
      if (options.wholeProgram && 'pending' in site.verdict) {
        // What the ESLint plugin, seeing only this file, would conclude: the parity contract.
        const sameFile = new Map([...callers].map(([fn, edges]) => [fn, edges.filter((e) => e.call.getSourceFile() === f.sf)]));
        const alone = settle(site.verdict, sameFile, escaped, { ...options, wholeProgram: false }, new Set(), site.gatedTables[0] ?? '');
        verdict.crossFile = alone.deferred;
      }
      out.set(site, verdict);
    }
  }
  return out;
}

function settle(
  verdict: LocalVerdict,
  callers: Map<ts.FunctionLikeDeclaration, CallEdge[]>,
  escaped: Set<ts.FunctionLikeDeclaration>,
  options: ProgramOptions,
  seen: Set<ts.FunctionLikeDeclaration>,
  table: string,
): SiteVerdict {
  if (!('pending' in verdict)) return { ...verdict, callPath: [], deferred: false };
  const fn = verdict.pending.fn as ts.FunctionLikeDeclaration;
  const index = verdict.pending.index;
  const name = functionName(fn);
  if (seen.has(fn)) return { coverage: 'unresolved', via: null, evidence: `\`${name}\` is called recursively with the connection`, callPath: [], deferred: false };
  const edges = callers.get(fn) ?? [];
  const results: SiteVerdict[] = [];
  for (const edge of edges) {
    const arg = edge.args[index];
    const at = `${where(edge.call, options.root)} ${shortText(edge.call, 50)}`;
    if (!arg) {
      results.push({ coverage: 'unresolved', via: null, evidence: `${at} passes a value that is not a traceable connection`, callPath: [at], deferred: false });
      continue;
    }
    const inner = settle(judge(arg.handle, arg.state, options.root, table), callers, escaped, options, new Set([...seen, fn]), table);
    results.push({ ...inner, callPath: [at, ...inner.callPath] });
  }
  const sf = fn.getSourceFile();
  const exported = isExportedFunction(fn, sf);
  const callersMayBeElsewhere = escaped.has(fn) || (!options.wholeProgram && exported);
  const worst = results.reduce<SiteVerdict | undefined>((w, v) => (!w || rank(v) < rank(w) ? v : w), undefined);
  if (worst && (worst.coverage === 'unscoped' || !callersMayBeElsewhere)) {
    if (worst.coverage === 'unscoped' || worst.coverage === 'unresolved') {
      return { ...worst, evidence: `runs on parameter \`${verdict.pending.name}\` of \`${name}\`, and the call at ${worst.callPath[0]} ${worst.evidence}` };
    }
    const vias = [...new Set(results.map((r) => r.via).filter((v): v is string => !!v))];
    return { coverage: worst.coverage, via: vias.join(', ') || worst.via, evidence: `runs on parameter \`${verdict.pending.name}\` of \`${name}\`; all ${results.length} call${results.length === 1 ? '' : 's'} pass a covered connection`, callPath: [], deferred: false };
  }
  if (!options.wholeProgram && (exported || escaped.has(fn))) {
    return { coverage: 'unresolved', via: null, evidence: `runs on parameter \`${verdict.pending.name}\` of \`${name}\`, whose callers are in other files`, callPath: [], deferred: true };
  }
  const why = escaped.has(fn) ? `\`${name}\` is passed around as a value, so its callers cannot be followed` : `no call of \`${name}\` was found`;
  return { coverage: 'unresolved', via: null, evidence: `runs on parameter \`${verdict.pending.name}\` of \`${name}\`, and ${why}`, callPath: [], deferred: false };
}

function isExportedFunction(fn: ts.FunctionLikeDeclaration, sf: ts.SourceFile): boolean {
  const name = functionName(fn);
  if (name === '<anonymous>') return true;
  if (ts.isMethodDeclaration(fn) || ts.isConstructorDeclaration(fn)) return true;
  return isExported(sf, name) || (ts.isFunctionDeclaration(fn) && !!ts.getModifiers(fn)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword));
}
