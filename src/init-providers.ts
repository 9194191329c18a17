import path from 'node:path';
import ts from './ts.js';
import { adapters } from './adapters/index.js';
import { functionName } from './code/origins.js';
import { isFunctionLike } from './code/scope.js';
import { isTestPath } from './init-proposals.js';
import type { AuditReport } from './report/audit-report.js';
import { classifyStatement, type ClassifyOptions } from './sql/classify.js';
import { parseSql } from './sql/parser.js';

// The providers `rls-guard init` proposes, each with the file and line that proves it: scope
// helpers (a named, non-test function that sets the org context and runs its callback, or
// one the audit found covering writes), setter helpers (a function that sets the context on
// the connection it is given, which the audit found covering writes). The SQL each body runs
// is read with the real parser; a helper that resets the role to the owner (RESET ROLE,
// SET ROLE NONE, SET ROLE to a role that bypasses RLS) is never proposed as a scope helper:
// its callback runs with RLS bypassed. Admin providers: a helper that switches to a role the
// migrations make BYPASSRLS and runs its callback (proposed under `adminProviders` with its
// callback's position), and pools the audit found logging in as such a role (nothing to
// declare: listed with the line that makes them).

export interface ProposedProvider {
  name: string;
  file: string;
  line: number;
  why: string;
}

export interface InferOptions extends Pick<ClassifyOptions, 'setterFunctions' | 'defaultSchema'> {
  bypassRoles: ReadonlySet<string>;
  /** Helpers rls-guard knows without configuration. */
  builtIn: ReadonlySet<string>;
}

/** The `via` of a write on a pool that logs in as a bypassing role (src/analysis/login-verdict.ts). */
const ADMIN_LOGIN = /^login role (\S+) \(((.+):(\d+))\)$/;

interface BodyFacts {
  fn: ts.FunctionLikeDeclaration;
  callsCallback: boolean;
  /** Which parameter it calls (the callback's position, for `callbackArg`). */
  callbackIndex?: number;
  /** The first SET ROLE to a role that bypasses RLS. */
  bypassRole?: { at: ts.Node; name: string };
  /** The first statement that sets the org context, and the first that hands the connection back to the owner. */
  sets?: ts.Node;
  resetsRole?: { at: ts.Node; what: string };
}

export function inferProviders(
  root: string,
  sources: readonly ts.SourceFile[],
  report: AuditReport,
  options: InferOptions,
): {
  scopeHelpers: ProposedProvider[];
  setterHelpers: ProposedProvider[];
  rejected: ProposedProvider[];
  adminHelpers: (ProposedProvider & { callbackArg: number })[];
  adminPools: ProposedProvider[];
} {
  const byName = new Map<string, BodyFacts[]>();
  for (const sf of sources) {
    if (isTestPath(rel(root, sf.fileName))) continue;
    const visit = (node: ts.Node): void => {
      if (isFunctionLike(node) && node.body) {
        const name = functionName(node);
        if (name !== '<anonymous>' && !options.builtIn.has(name))
          byName.set(name, [...(byName.get(name) ?? []), bodyFacts(node, options)]);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  const scope = new Map<string, ProposedProvider>();
  const setters = new Map<string, ProposedProvider>();
  const rejected = new Map<string, ProposedProvider>();
  const at = (node: ts.Node): { file: string; line: number } => {
    const sf = node.getSourceFile();
    return { file: rel(root, sf.fileName), line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1 };
  };
  const reject = (name: string, f: BodyFacts): void => {
    rejected.set(name, {
      name,
      ...at(f.fn),
      why: `runs its callback after ${f.resetsRole!.what} (${where(root, f.resetsRole!.at)}), which hands the ` +
        `connection back to the owner, so RLS does not apply to the callback's writes: not a scope helper (declare ` +
        `it under "adminProviders" if that is deliberate)`,
    });
  };
  // Helpers are declared by name: one whose name other calls share would cover them too (as org-scoped, or, for an
  // admin provider, as bypassing RLS).
  const libraryMethods = libraryCallbackMethods();
  const sharesName = (name: string, f: BodyFacts, others: BodyFacts[], admin = false): boolean => {
    const other = others.find((o) => o !== f);
    const without = admin ? 'switching to a role that bypasses RLS' : 'setting the context';
    const why = libraryMethods.has(name)
      ? `its name is also a database library's own method (\`db.${name}(…)\`)`
      : other
        ? `${where(root, other.fn)}, a function of the same name, runs its callback without ${without}`
        : undefined;
    const counted = admin ? 'an admin connection' : 'org-scoped';
    if (why)
      rejected.set(name, {
        name,
        ...at(f.fn),
        why: `${why}, so declared by name every call of that name would count as ${counted}; the audit follows ` +
          'this one from its code (nothing to declare)',
      });
    return !!why;
  };
  // Helpers whose own body shows it: they set the context and run their callback.
  for (const [name, facts] of byName) {
    for (const f of facts) {
      if (!f.callsCallback || !f.sets) continue;
      if (f.resetsRole) reject(name, f);
      // Another of the name that runs its callback without setting the context (one that only hands its callback on,
      // as a wrapper of the helper does, is not counted).
      else if (rejected.has(name) || sharesName(name, f, facts.filter((o) => o.callsCallback && !o.sets))) continue;
      else if (!scope.has(name))
        scope.set(name, {
          name,
          ...at(f.fn),
          why: `sets the org context (${where(root, f.sets)}) and runs its callback`,
        });
    }
  }
  // Helpers the audit inferred from the writes they cover.
  const covered = report.writeSites.filter((s) => s.coverage === 'org-scope' && s.via && !isTestPath(s.file));
  for (const s of covered) {
    const name = s.via!;
    if (!/^[A-Za-z_$][\w$]*$/.test(name) || options.builtIn.has(name) || scope.has(name) || rejected.has(name))
      continue;
    const defs = byName.get(name) ?? [];
    const owner = defs.find((f) => f.resetsRole);
    if (owner) reject(name, owner);
    else if (defs[0] && sharesName(name, defs[0], defs.filter((o) => o.callsCallback && !o.sets))) continue;
    else if (defs[0])
      scope.set(name, { name, ...at(defs[0].fn), why: `covers writes the audit found (e.g. ${s.file}:${s.line})` });
  }
  // Setters: a function that sets the context on the connection it is given, used as such.
  for (const s of covered) {
    for (const [name, facts] of byName) {
      const f = facts.find((x) => x.sets && !x.callsCallback);
      if (
        !f ||
        setters.has(name) ||
        scope.has(name) ||
        !s.via!.replace(/^(transaction|session) /, '').startsWith(`${name}() (`)
      )
        continue;
      if (f.resetsRole) continue;
      setters.set(name, {
        name,
        ...at(f.fn),
        why: `sets the org context on the connection it is given (${where(root, f.sets!)}); covers ${s.file}:${s.line}`,
      });
    }
  }
  // Admin callback helpers: they switch to a bypassing role and run their callback.
  const adminHelpers = new Map<string, ProposedProvider & { callbackArg: number }>();
  for (const [name, facts] of byName) {
    const f = facts.find((x) => x.callsCallback && x.bypassRole && x.callbackIndex !== undefined);
    if (!f || adminHelpers.has(name)) continue;
    if (sharesName(name, f, facts.filter((o) => o.callsCallback && !o.bypassRole), true)) continue;
    adminHelpers.set(name, {
      name,
      ...at(f.fn),
      callbackArg: f.callbackIndex!,
      why: `runs its callback after SET ROLE ${f.bypassRole!.name} (${where(root, f.bypassRole!.at)}), a role that ` +
        'bypasses RLS',
    });
  }
  // Admin pools: the audit found writes on a pool that logs in as a bypassing role.
  const adminPools = new Map<string, ProposedProvider>();
  for (const s of report.writeSites) {
    const pool = s.coverage === 'admin-pool' && !isTestPath(s.file) ? ADMIN_LOGIN.exec(s.via ?? '') : null;
    if (!pool || adminPools.has(pool[2]!)) continue;
    adminPools.set(pool[2]!, {
      name: pool[1]!,
      file: pool[3]!,
      line: Number(pool[4]),
      why: `a pool that logs in as ${pool[1]}, a role that bypasses RLS (its writes are admin writes, e.g. ` +
        `${s.file}:${s.line}; read from its config, nothing to declare)`,
    });
  }
  const sorted = <T extends ProposedProvider>(m: Map<string, T>): T[] =>
    [...m.values()].sort((a, b) => a.name.localeCompare(b.name) || a.file.localeCompare(b.file) || a.line - b.line);
  return {
    scopeHelpers: sorted(scope),
    setterHelpers: sorted(setters),
    rejected: sorted(rejected),
    adminHelpers: sorted(adminHelpers),
    adminPools: sorted(adminPools),
  };
}

/**
 * What a function's own body (inline callbacks included) does: calls a parameter, runs constant SQL that sets the
 * context or hands the connection to the owner.
 */
function bodyFacts(fn: ts.FunctionLikeDeclaration, options: InferOptions): BodyFacts {
  const params = new Set(fn.parameters.flatMap((p) => (ts.isIdentifier(p.name) ? [p.name.text] : [])));
  const facts: BodyFacts = { fn, callsCallback: false };
  const visit = (node: ts.Node): void => {
    if (node !== fn && isFunctionLike(node) && !isArgument(node)) return;
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && params.has(node.expression.text)) {
      facts.callsCallback = true;
      const callee = node.expression.text;
      facts.callbackIndex ??= fn.parameters.findIndex((p) => ts.isIdentifier(p.name) && p.name.text === callee);
    }
    const text = sqlText(node);
    if (text !== undefined) {
      const parsed = parseSql(text);
      if (parsed.ok) {
        for (const st of parsed.statements) {
          const effect = classifyStatement(st, {
            defaultSchema: options.defaultSchema,
            setterFunctions: options.setterFunctions,
          });
          if (effect.contextSets.length > 0) facts.sets ??= node;
          if (effect.role?.name && options.bypassRoles.has(effect.role.name))
            facts.bypassRole ??= { at: node, name: effect.role.name };
          if (effect.role && (effect.role.name === null || options.bypassRoles.has(effect.role.name)))
            facts.resetsRole ??= {
              at: node,
              what: effect.role.name === null ? 'RESET ROLE' : `SET ROLE ${effect.role.name}`,
            };
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  if (fn.body) visit(fn.body);
  return facts;
}

/** The SQL a string or template stands for, interpolations read as bind parameters; undefined for anything else. */
function sqlText(node: ts.Node): string | undefined {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node))
    return ts.isTaggedTemplateExpression(node.parent) ? undefined : node.text;
  if (ts.isTaggedTemplateExpression(node))
    return ts.isNoSubstitutionTemplateLiteral(node.template) ? node.template.text : templateText(node.template);
  if (ts.isTemplateExpression(node) && !ts.isTaggedTemplateExpression(node.parent)) return templateText(node);
  return undefined;
}

function templateText(t: ts.TemplateExpression): string {
  return t.templateSpans.reduce((acc, span, i) => `${acc}$${901 + i}${span.literal.text}`, t.head.text);
}

function isArgument(fn: ts.Node): boolean {
  let parent = fn.parent;
  while (parent && (ts.isParenthesizedExpression(parent) || ts.isAsExpression(parent))) parent = parent.parent;
  return (
    !!parent && ts.isCallExpression(parent) && parent.arguments.some((a) => a === fn || ts.isParenthesizedExpression(a))
  );
}

function where(root: string, node: ts.Node): string {
  const sf = node.getSourceFile();
  return `${rel(root, sf.fileName)}:${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1}`;
}

function rel(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}

/** Methods the supported libraries give their connections to run a callback on one (`prisma.$transaction(cb)`, …). */
function libraryCallbackMethods(): Set<string> {
  return new Set(
    adapters.flatMap((a) => [
      ...Object.keys(a.transactionMethods ?? {}),
      ...(a.connectionCallbacks ?? []),
      ...(a.sequenceMethods ?? []),
      ...(a.savepointMethods ?? []),
    ]),
  );
}
