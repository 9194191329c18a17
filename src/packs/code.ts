import ts from '../ts.js';
import { skipOuterAndAwait } from '../syntax/wrappers.js';
import { findingFor, replacements, ruleOf, type PackMatcher } from './matcher.js';
import type { TextEdit } from '../report/rule-finding.js';
import type { ActiveEntry, PackRuleId } from './types.js';

// Finds pack entries in TypeScript/JavaScript source, on the compiler's AST, for both the
// walker and the ESLint plugin. Names count only where the code uses them: identifiers
// bound to imports or declarations, property reads, object keys, header and config keys.
// Comments never count, and a string only when the whole string is the name (never a
// log message that mentions it).

export type { TextEdit };

/** A rewrite the user may choose, with the rule's message for it. */
export interface Suggestion {
  messageId: string;
  data: Record<string, string>;
  edit: TextEdit;
}

export interface CodeMatch {
  ruleId: PackRuleId;
  entry: ActiveEntry;
  /** Offsets into the file's text. */
  start: number;
  end: number;
  /** The rule's message for the entry (packs/matcher.ts: findingFor) and its data. */
  messageId: string;
  data: Record<string, string>;
  /** A safe rewrite (applied by --fix). */
  fix?: TextEdit;
  /** Rewrites the user chooses between. */
  suggestions?: Suggestion[];
}

export function scanCode(sf: ts.SourceFile, matcher: PackMatcher): CodeMatch[] {
  return matcher.mayOccurIn(sf.text) ? new CodeScanner(sf, matcher).run() : [];
}

interface ImportBinding {
  module: string;
  /** The exported name, 'default', or '*' for a namespace. */
  imported: string;
}

const PAYLOAD_VERBS = /^(decode|verify|parse|validate|read|load|get|check|fetch|open|unpack|extract)/i;

const LOG_METHODS = new Set([
  'log',
  'info',
  'warn',
  'warning',
  'error',
  'debug',
  'trace',
  'fatal',
  'verbose',
  'notice',
]);

class CodeScanner {
  private readonly out: CodeMatch[] = [];
  private readonly reported = new Set<string>();
  private readonly imports = new Map<string, ImportBinding>();
  /**
   * Names declared in the file other than by import: a local copy of a removed helper is reported at its declaration.
   */
  private readonly localDecls = new Set<string>();
  /** Variable initializers by name, in source order. */
  private readonly initializers = new Map<string, { end: number; init: ts.Expression }[]>();

  constructor(
    private readonly sf: ts.SourceFile,
    private readonly m: PackMatcher,
  ) {}

  run(): CodeMatch[] {
    this.collectBindings(this.sf);
    const visit = (node: ts.Node): void => {
      this.visit(node);
      ts.forEachChild(node, visit);
    };
    visit(this.sf);
    return this.out.sort((a, b) => a.start - b.start || a.ruleId.localeCompare(b.ruleId));
  }

  private collectBindings(root: ts.Node): void {
    const visit = (node: ts.Node): void => {
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier) && node.importClause) {
        const module = node.moduleSpecifier.text;
        const clause = node.importClause;
        if (clause.name) this.imports.set(clause.name.text, { module, imported: 'default' });
        const nb = clause.namedBindings;
        if (nb && ts.isNamespaceImport(nb)) this.imports.set(nb.name.text, { module, imported: '*' });
        if (nb && ts.isNamedImports(nb))
          for (const s of nb.elements)
            this.imports.set(s.name.text, { module, imported: (s.propertyName ?? s.name).text });
      } else if (
        ts.isImportEqualsDeclaration(node) &&
        ts.isExternalModuleReference(node.moduleReference) &&
        ts.isStringLiteral(node.moduleReference.expression)
      ) {
        this.imports.set(node.name.text, { module: node.moduleReference.expression.text, imported: '*' });
      } else if (
        ts.isVariableDeclaration(node) &&
        node.initializer &&
        requireSpecifier(node.initializer) !== undefined
      ) {
        const module = requireSpecifier(node.initializer)!;
        if (ts.isIdentifier(node.name)) this.imports.set(node.name.text, { module, imported: '*' });
        else if (ts.isObjectBindingPattern(node.name))
          for (const el of node.name.elements) {
            const key =
              el.propertyName && ts.isIdentifier(el.propertyName)
                ? el.propertyName.text
                : ts.isIdentifier(el.name)
                  ? el.name.text
                  : undefined;
            if (key && ts.isIdentifier(el.name)) this.imports.set(el.name.text, { module, imported: key });
          }
      } else if ((ts.isBindingElement(node) || ts.isParameter(node)) && ts.isIdentifier(node.name)) {
        this.localDecls.add(node.name.text);
      } else if (
        (ts.isFunctionDeclaration(node) ||
          ts.isClassDeclaration(node) ||
          ts.isVariableDeclaration(node) ||
          ts.isMethodDeclaration(node) ||
          ts.isFunctionExpression(node) ||
          ts.isClassExpression(node)) &&
        node.name &&
        ts.isIdentifier(node.name)
      ) {
        this.localDecls.add(node.name.text);
      }
      if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer) {
        const list = this.initializers.get(node.name.text) ?? [];
        list.push({ end: node.getEnd(), init: node.initializer });
        this.initializers.set(node.name.text, list);
      }
      ts.forEachChild(node, visit);
    };
    visit(root);
  }

  private visit(node: ts.Node): void {
    if (ts.isIdentifier(node)) this.identifier(node);
    else if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) this.stringLiteral(node);
  }

  // ── removed APIs and env keys spelled as identifiers ───────────────────

  private identifier(id: ts.Identifier): void {
    const name = id.text;
    const parent = id.parent;
    this.envIdentifier(id, parent);
    this.fieldIdentifier(id, parent);
    const entry = this.apiEntryFor(id);
    if (!entry) return;
    this.report(entry, id, name, { suggestions: this.renameSuggestions(entry, id) });
  }

  /** The removed-API entry an identifier refers to, if it is a use (not a key or a comment). */
  private apiEntryFor(id: ts.Identifier): ActiveEntry | undefined {
    const parent = id.parent;
    // Object keys and labels are not uses of a binding.
    if (
      (ts.isPropertyAssignment(parent) && parent.name === id) ||
      ts.isLabeledStatement(parent) ||
      ts.isBreakOrContinueStatement(parent)
    )
      return undefined;
    if (ts.isPropertyAccessExpression(parent) && parent.name === id) {
      // A member: ns.WithRLS(), db.RLSMiddleware(), middleware.RLSMiddleware.
      const e = this.m.apiEntry(id.text);
      if (!e) return undefined;
      const root = rootIdentifier(parent.expression);
      const binding = root ? this.imports.get(root.text) : undefined;
      if (e.modules) return binding && moduleAllowed(e, binding.module) ? e : undefined;
      return e;
    }
    if (ts.isImportSpecifier(parent)) {
      // Report the imported name; the local alias (if any) is reported at its uses.
      if ((parent.propertyName ?? parent.name) !== id) return undefined;
      const decl = parent.parent.parent.parent;
      const module =
        ts.isImportDeclaration(decl) && ts.isStringLiteral(decl.moduleSpecifier) ? decl.moduleSpecifier.text : '';
      const e = this.m.apiEntry(id.text);
      return e && moduleAllowed(e, module) ? e : undefined;
    }
    if (ts.isExportSpecifier(parent)) {
      if ((parent.propertyName ?? parent.name) !== id) return undefined;
      return this.m.apiEntry(id.text);
    }
    if (ts.isBindingElement(parent)) {
      // const { WithRLS } = require('…') / = middleware: the property named is the removed one.
      if ((parent.propertyName ?? parent.name) !== id) return undefined;
      const init = parent.parent.parent;
      if (ts.isVariableDeclaration(init) && init.initializer && requireSpecifier(init.initializer) !== undefined) {
        const e = this.m.apiEntry(id.text);
        return e && moduleAllowed(e, requireSpecifier(init.initializer)!) ? e : undefined;
      }
      // const { WithRLS } = middleware: a member pulled off an object.
      return this.m.apiEntry(id.text);
    }
    if (isDeclarationName(id)) {
      // A local definition of a removed helper (a fork's copy): reported once, here.
      if (ts.isParameter(parent) || (ts.isMethodDeclaration(parent) && ts.isObjectLiteralExpression(parent.parent)))
        return undefined;
      const e = this.m.apiEntry(id.text);
      return e && !e.modules ? e : undefined;
    }
    const binding = this.imports.get(id.text);
    if (binding) {
      if (binding.imported === '*') return undefined;
      // import RLSMiddleware from './rls-middleware': a default export under the removed name.
      if (binding.imported === 'default') {
        const e = this.m.apiEntry(id.text);
        return e && moduleAllowed(e, binding.module) ? e : undefined;
      }
      const e = this.m.apiEntry(binding.imported);
      return e && moduleAllowed(e, binding.module) ? e : undefined;
    }
    if (this.localDecls.has(id.text)) return undefined; // reported at the declaration
    const e = this.m.apiEntry(id.text);
    return e && !e.modules ? e : undefined; // a global
  }

  private renameSuggestions(entry: ActiveEntry, id: ts.Identifier): Suggestion[] {
    return replacements(entry)
      .filter((r) => /^[A-Za-z_$][\w$]*$/.test(r))
      .map((r) => ({
        messageId: 'replaceCall',
        data: { name: id.text, replacement: r },
        edit: { start: id.getStart(this.sf), end: id.getEnd(), text: r },
      }));
  }

  private envIdentifier(id: ts.Identifier, parent: ts.Node): void {
    if (!this.m.knowsEnv(id.text)) return;
    // process.env.X, env.X, import.meta.env.X, config.X
    if (ts.isPropertyAccessExpression(parent) && parent.name === id)
      return this.envUse(id, id.text, valueAround(parent));
    // { X: 'value' } in an env object, a schema or spawn options; { X } shorthand
    if (ts.isPropertyAssignment(parent) && parent.name === id)
      return this.envUse(id, id.text, listed(literalText(parent.initializer)));
    if (ts.isShorthandPropertyAssignment(parent) && parent.name === id) return this.envUse(id, id.text, []);
    // const { X = 'default' } = process.env
    if (ts.isBindingElement(parent) && (parent.propertyName ?? parent.name) === id)
      return this.envUse(id, id.text, parent.initializer ? listed(literalText(parent.initializer)) : []);
  }

  /** A use of the variable; `values` are the literals it is set to or compared with, where visible. */
  private envUse(node: ts.Node, name: string, values: string[]): void {
    for (const value of [...values, undefined]) {
      const entry = this.m.envEntry(name, value);
      if (!entry) continue;
      this.report(entry, node, entry.when && value !== undefined ? `${name}=${value}` : name, {});
      return;
    }
  }

  // ── license payload fields ────────────────────────────

  private fieldIdentifier(id: ts.Identifier, parent: ts.Node): void {
    if (ts.isPropertyAccessExpression(parent) && parent.name === id)
      this.fieldRead(id, id.text, parent, parent.expression);
    else if (ts.isBindingElement(parent) && (parent.propertyName ?? parent.name) === id) {
      const pattern = parent.parent;
      const decl = pattern.parent;
      if (!ts.isVariableDeclaration(decl) || !decl.initializer) return;
      for (const { entry, pattern: re } of this.m.fields) {
        if (entry.name !== id.text || !this.objectMatches(decl.initializer, re)) continue;
        // Destructuring both names leaves the order to the code that follows: not flagged.
        const reps = replacements(entry);
        if (
          ts.isObjectBindingPattern(pattern) &&
          pattern.elements.some((el) => reps.includes(((el.propertyName ?? el.name) as ts.Identifier).text ?? ''))
        )
          continue;
        this.report(entry, id, `Destructuring ${decl.initializer.getText(this.sf)}`, {});
      }
    }
  }

  private fieldRead(node: ts.Node, field: string, access: ts.Expression, object: ts.Expression): void {
    for (const { entry, pattern } of this.m.fields) {
      if (entry.name !== field || !this.objectMatches(object, pattern)) continue;
      const reps = replacements(entry);
      if (readsFirst(access, reps)) continue;
      const obj = object.getText(this.sf);
      const preferred = reps[0];
      const read = access.getText(this.sf);
      const edit = { start: access.getStart(this.sf), end: access.getEnd(), text: `(${obj}.${preferred} ?? ${read})` };
      const suggestions: Suggestion[] = preferred
        ? [{ messageId: 'readFirst', data: { preferred, object: obj, read }, edit }]
        : [];
      this.report(entry, node, access.getText(this.sf), { suggestions });
    }
  }

  /** Whether an object expression is a license payload: by its names or the call that made it. */
  private objectMatches(object: ts.Expression, re: RegExp): boolean {
    const seen = new Set<ts.Node>();
    const check = (e: ts.Expression): boolean => {
      if (seen.has(e)) return false;
      seen.add(e);
      e = skipOuterAndAwait(e);
      if (ts.isIdentifier(e)) {
        if (re.test(e.text)) return true;
        const init = this.constInitializer(e);
        return init ? check(init) : false;
      }
      if (ts.isPropertyAccessExpression(e)) return re.test(e.name.text) || check(e.expression);
      if (ts.isElementAccessExpression(e)) return check(e.expression);
      if (ts.isCallExpression(e)) {
        // decodeLicense(k), license.decode(), jwt.verify(licenseToken, key): a payload. A lookup by
        // license (orgs.findByLicense(id)) returns a row, not a payload.
        const callee = skipOuterAndAwait(e.expression);
        const verb = ts.isIdentifier(callee)
          ? callee.text
          : ts.isPropertyAccessExpression(callee)
            ? callee.name.text
            : '';
        if (!PAYLOAD_VERBS.test(verb)) return false;
        if (re.test(verb)) return true;
        return (
          (ts.isPropertyAccessExpression(callee) && check(callee.expression)) ||
          e.arguments.some((a) => ts.isIdentifier(a) && re.test(a.text))
        );
      }
      return false;
    };
    return check(object);
  }

  /** The initializer of the nearest declaration of this name above the use (by name: scanning stays one pass). */
  private constInitializer(id: ts.Identifier): ts.Expression | undefined {
    const before = (this.initializers.get(id.text) ?? []).filter((d) => d.end <= id.getStart(this.sf));
    return before.at(-1)?.init;
  }

  // ── strings: header names, env keys, client ids ─────────────────────

  private stringLiteral(lit: ts.StringLiteral | ts.NoSubstitutionTemplateLiteral): void {
    const text = lit.text;
    if (!text || text.length > 200 || inLoggingCall(lit) || isModuleSpecifier(lit)) return;
    // The literal's source without quotes, when no escape shifts offsets: fixes need it.
    const raw = lit.getText(this.sf).slice(1, -1) === text ? lit.getStart(this.sf) + 1 : undefined;
    for (const h of this.m.headersIn(text)) {
      const rep = replacements(h.entry)[0];
      const name = text.slice(h.start, h.end);
      const fix =
        rep && raw !== undefined ? { start: raw + h.start, end: raw + h.end, text: matchCase(name, rep) } : undefined;
      // An item of a list is reported at the item itself.
      const at = raw !== undefined && name !== text ? { start: raw + h.start, end: raw + h.end } : undefined;
      this.report(h.entry, lit, name, { ...(fix ? { fix } : {}), ...(at ? { at } : {}) });
    }
    const client = this.m.client(text);
    if (client && text.trim() === text) this.report(client, lit, text, {});
    if (this.m.knowsEnv(text)) this.envString(lit, text);
    const parent = lit.parent;
    if (ts.isElementAccessExpression(parent) && parent.argumentExpression === lit)
      this.fieldRead(lit, text, parent, parent.expression);
  }

  private envString(lit: ts.StringLiteral | ts.NoSubstitutionTemplateLiteral, name: string): void {
    const parent = lit.parent;
    let values: string[] = [];
    if (ts.isElementAccessExpression(parent) && parent.argumentExpression === lit) values = valueAround(parent);
    else if (ts.isPropertyAssignment(parent) && parent.name === lit) values = listed(literalText(parent.initializer));
    else if (ts.isCallExpression(parent) || ts.isNewExpression(parent)) {
      // config.get('X', 'default'), getEnv('X'), Deno.env.get('X') === 'v'
      const args = parent.arguments ?? ts.factory.createNodeArray();
      const i = args.indexOf(lit);
      const next = i >= 0 ? args[i + 1] : undefined;
      values = [...(next ? listed(literalText(next)) : []), ...valueAround(parent)];
    } else if (ts.isBindingElement(parent)) values = parent.initializer ? listed(literalText(parent.initializer)) : [];
    this.envUse(lit, name, values);
  }

  private report(
    entry: ActiveEntry,
    node: ts.Node,
    subject: string,
    extra: { fix?: TextEdit; suggestions?: Suggestion[]; at?: { start: number; end: number } },
  ): void {
    const start = extra.at?.start ?? node.getStart(this.sf);
    const key = `${start}:${entry.pack}:${entry.kind}:${entry.name}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.out.push({
      ruleId: ruleOf(entry),
      entry,
      start,
      end: extra.at?.end ?? node.getEnd(),
      ...findingFor(entry, subject),
      ...(extra.fix ? { fix: extra.fix } : {}),
      ...(extra.suggestions?.length ? { suggestions: extra.suggestions } : {}),
    });
  }
}

function requireSpecifier(e: ts.Expression): string | undefined {
  e = skipOuterAndAwait(e);
  if (
    ts.isCallExpression(e) &&
    ts.isIdentifier(e.expression) &&
    e.expression.text === 'require' &&
    e.arguments.length === 1 &&
    ts.isStringLiteral(e.arguments[0]!)
  )
    return e.arguments[0].text;
  return undefined;
}

function moduleAllowed(e: ActiveEntry, module: string): boolean {
  return !e.modules || e.modules.some((m) => module === m || module.startsWith(`${m}/`));
}

function rootIdentifier(e: ts.Expression): ts.Identifier | undefined {
  e = skipOuterAndAwait(e);
  while (ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e) || ts.isCallExpression(e))
    e = skipOuterAndAwait(e.expression);
  return ts.isIdentifier(e) ? e : undefined;
}

function isDeclarationName(id: ts.Identifier): boolean {
  const p = id.parent;
  const declares =
    ts.isFunctionDeclaration(p) ||
    ts.isFunctionExpression(p) ||
    ts.isClassDeclaration(p) ||
    ts.isClassExpression(p) ||
    ts.isMethodDeclaration(p) ||
    ts.isPropertyDeclaration(p) ||
    ts.isVariableDeclaration(p) ||
    ts.isParameter(p) ||
    ts.isInterfaceDeclaration(p) ||
    ts.isTypeAliasDeclaration(p) ||
    ts.isEnumDeclaration(p);
  return declares && p.name === id;
}

/** The literal values an expression is compared with, assigned, defaulted to, or switched over. */
function valueAround(expr: ts.Expression): string[] {
  let node: ts.Node = expr;
  while (
    ts.isParenthesizedExpression(node.parent) ||
    ts.isNonNullExpression(node.parent) ||
    (ts.isCallExpression(node.parent) && isCaseFold(node.parent))
  )
    node = node.parent;
  // process.env.X?.toLowerCase() === 'oauth2'
  if (
    ts.isPropertyAccessExpression(node.parent) &&
    ts.isCallExpression(node.parent.parent) &&
    isCaseFold(node.parent.parent)
  )
    node = node.parent.parent;
  const p = node.parent;
  if (ts.isBinaryExpression(p)) {
    const op = p.operatorToken.kind;
    const other = p.left === node ? p.right : p.left;
    if (
      op === ts.SyntaxKind.EqualsToken ||
      op === ts.SyntaxKind.EqualsEqualsEqualsToken ||
      op === ts.SyntaxKind.EqualsEqualsToken ||
      op === ts.SyntaxKind.QuestionQuestionToken ||
      op === ts.SyntaxKind.BarBarToken ||
      op === ts.SyntaxKind.QuestionQuestionEqualsToken ||
      op === ts.SyntaxKind.BarBarEqualsToken
    )
      return listed(literalText(other));
  }
  if (ts.isSwitchStatement(p) && p.expression === node)
    return p.caseBlock.clauses.flatMap((c) => (ts.isCaseClause(c) ? listed(literalText(c.expression)) : []));
  return [];
}

function listed(value: string | undefined): string[] {
  return value === undefined ? [] : [value];
}

function isCaseFold(call: ts.CallExpression): boolean {
  return (
    ts.isPropertyAccessExpression(call.expression) &&
    /^(toLowerCase|toUpperCase|trim|toLocaleLowerCase|toLocaleUpperCase)$/.test(call.expression.name.text)
  );
}

function literalText(e: ts.Node): string | undefined {
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e) || ts.isNumericLiteral(e)) return e.text;
  if (e.kind === ts.SyntaxKind.TrueKeyword) return 'true';
  if (e.kind === ts.SyntaxKind.FalseKeyword) return 'false';
  if (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e))
    return literalText(e.expression);
  return undefined;
}

/** Whether `access` sits where another name is read first: `p.deployment_id ?? p.org_id`. */
function readsFirst(access: ts.Expression, preferred: readonly string[]): boolean {
  let node: ts.Node = access;
  while (ts.isParenthesizedExpression(node.parent)) node = node.parent;
  const p = node.parent;
  const mentions = (n: ts.Node): boolean => {
    let hit = false;
    const visit = (x: ts.Node): void => {
      if (hit) return;
      if ((ts.isIdentifier(x) || ts.isStringLiteral(x)) && preferred.includes(x.text)) hit = true;
      else ts.forEachChild(x, visit);
    };
    visit(n);
    return hit;
  };
  if (
    ts.isBinaryExpression(p) &&
    p.right === node &&
    (p.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken || p.operatorToken.kind === ts.SyntaxKind.BarBarToken)
  )
    return mentions(p.left);
  if (ts.isConditionalExpression(p) && p.whenFalse === node) return mentions(p.condition) || mentions(p.whenTrue);
  return false;
}

/**
 * Whether a string is text about a name rather than a use: an argument of a logging call or
 * an Error (directly, or inside a message built around it), or anywhere inside a test title
 * or an assertion.
 */
function inLoggingCall(lit: ts.Node): boolean {
  let first = true;
  for (let n: ts.Node = lit; n.parent && !ts.isStatement(n); n = n.parent) {
    const p = n.parent;
    if (!((ts.isCallExpression(p) || ts.isNewExpression(p)) && p.arguments?.includes(n as ts.Expression))) continue;
    const callee = p.expression;
    if (ts.isIdentifier(callee) && /^(expect|it|test|describe|assert)$/.test(callee.text)) return true;
    if (
      ts.isPropertyAccessExpression(callee) &&
      /^(to[A-Z]\w*|each|only|skip|equal|deepEqual|strictEqual|ok|match|include|contains?)$/.test(callee.name.text)
    )
      return true;
    // Only the call that receives the string decides for logs: logger.info(config.get('X')) reads X.
    if (first && isLogging(p)) return true;
    first = false;
  }
  return false;
}

function isLogging(call: ts.CallExpression | ts.NewExpression): boolean {
  const callee = call.expression;
  if (ts.isNewExpression(call)) return ts.isIdentifier(callee) && /Error$/.test(callee.text);
  if (ts.isIdentifier(callee)) return /^(log|debug|info|warn|trace)$/.test(callee.text);
  if (!ts.isPropertyAccessExpression(callee) || !LOG_METHODS.has(callee.name.text)) return false;
  const obj = callee.expression;
  const objName = ts.isIdentifier(obj) ? obj.text : ts.isPropertyAccessExpression(obj) ? obj.name.text : '';
  return /^(console|log|logger|.*Logger|.*log)$/i.test(objName);
}

function isModuleSpecifier(lit: ts.Node): boolean {
  const p = lit.parent;
  return (
    ts.isImportDeclaration(p) ||
    ts.isExportDeclaration(p) ||
    ts.isExternalModuleReference(p) ||
    (ts.isCallExpression(p) && ts.isIdentifier(p.expression) && p.expression.text === 'require') ||
    ts.isImportTypeNode(p.parent ?? p)
  );
}

/** The replacement spelled in the case style of the original: x-tenant-id → x-client-id. */
export function matchCase(original: string, replacement: string): string {
  if (original === original.toLowerCase()) return replacement.toLowerCase();
  if (original === original.toUpperCase()) return replacement.toUpperCase();
  return replacement;
}
