import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { adapters } from './adapters/index.js';
import { resolveAnalysisConfig } from './analysis/config.js';
import { functionName } from './analysis/origins.js';
import { isFunctionLike } from './analysis/scope.js';
import { parseSource, readSource, SOURCE_EXTENSIONS } from './analysis/source-host.js';
import { CONFIG_FILES } from './config/load.js';
import type { RlsGuardConfig } from './config/types.js';
import { walkFiles } from './files/walk.js';
import { loadModel } from './schema/load.js';
import { auditSync } from './walker/audit.js';

// `rls-guard init`: looks at a project (its package.json, imports, .sql files and helper
// functions) and writes a starting configuration, so the ESLint plugin, which sees one file
// at a time, knows the scope helpers the walker infers across files.

/** Database libraries worth naming; those with an adapter are analysed, the rest are reported. */
const KNOWN_LIBRARIES = ['pg', 'pg-pool', 'postgres', 'slonik', 'knex', 'kysely', 'drizzle-orm', '@prisma/client', 'typeorm', 'pg-promise', 'sequelize', '@neondatabase/serverless', '@vercel/postgres'];
const BUILT_IN_HELPERS = new Set(['withOrgScope', 'withRequestOrgScope']);

export interface Detection {
  root: string;
  libraries: { name: string; supported: boolean; seenIn: ('package.json' | 'imports')[] }[];
  migrationFolders: string[];
  scopeHelpers: { name: string; file: string; line: number; why: string }[];
  config: RlsGuardConfig;
}

export function detect(root: string): Detection {
  const supported = new Set(adapters.flatMap((a) => a.modules));
  const libraries = new Map<string, Set<'package.json' | 'imports'>>();
  const seen = (name: string, where: 'package.json' | 'imports'): void => {
    if (KNOWN_LIBRARIES.includes(name)) libraries.set(name, (libraries.get(name) ?? new Set()).add(where));
  };
  for (const name of packageDependencies(root)) seen(name, 'package.json');

  const sql = walkFiles([root], { extensions: ['.sql'] }, root).files;
  const migrationFolders = [...new Set(sql.map((f) => rel(root, path.dirname(f)) || '.'))].sort();
  const migrations = collapse(migrationFolders);

  const model = loadModel(root, migrations.length ? { migrations } : {});
  const setters = [...resolveAnalysisConfig(model, {}).setterFunctions.keys()].map((n) => n.split('.').pop()!);
  const setsContext = new RegExp(`set_config\\s*\\(|\\bset\\s+local\\b${setters.map((s) => `|\\b${escapeRegExp(s)}\\s*\\(`).join('')}`, 'i');

  const helpers = new Map<string, Detection['scopeHelpers'][number]>();
  for (const file of walkFiles([root], { extensions: SOURCE_EXTENSIONS }, root).files) {
    const read = readSource(file);
    if (!read.ok) continue;
    const sf = parseSource(file, read.text);
    for (const specifier of moduleSpecifiers(sf)) seen(packageName(specifier), 'imports');
    visitFunctions(sf, (fn) => {
      const name = functionName(fn);
      if (BUILT_IN_HELPERS.has(name) || helpers.has(name) || !callsAParameter(fn) || !fn.body || !setsContext.test(fn.body.getText(sf))) return;
      const { line } = sf.getLineAndCharacterOfPosition(fn.getStart(sf));
      helpers.set(name, { name, file: rel(root, file), line: line + 1, why: 'calls its callback and sets the org context in its body' });
    });
  }
  // What the walker infers across files (helpers whose callers' writes it found covered).
  const report = auditSync({ paths: [root], types: false });
  for (const s of report.writeSites) {
    if (s.coverage !== 'org-scope' || !s.via || !/^[A-Za-z_$][\w$]*$/.test(s.via) || BUILT_IN_HELPERS.has(s.via) || helpers.has(s.via)) continue;
    helpers.set(s.via, { name: s.via, file: s.file, line: s.line, why: 'covers writes the audit found, inferred from its body' });
  }

  const scopeHelpers = [...helpers.values()].sort((a, b) => a.name.localeCompare(b.name));
  const config: RlsGuardConfig = {};
  if (migrations.length) config.migrations = migrations;
  if (scopeHelpers.length) config.scopeHelpers = scopeHelpers.map((h) => h.name);
  return {
    root,
    libraries: [...libraries].map(([name, where]) => ({ name, supported: supported.has(name), seenIn: [...where].sort() })).sort((a, b) => a.name.localeCompare(b.name)),
    migrationFolders,
    scopeHelpers,
    config,
  };
}

export function renderConfig(config: RlsGuardConfig, kind: 'json' | 'ts'): string {
  if (kind === 'json') return `${JSON.stringify({ $schema: './node_modules/rls-guard/docs/config.schema.json', ...config }, null, 2)}\n`;
  // JSON is valid TypeScript, whatever the folder and helper names hold.
  return `import { defineConfig } from 'rls-guard';\n\nexport default defineConfig(${JSON.stringify(config, null, 2)});\n`;
}

export const ESLINT_SNIPPET = `// eslint.config.js
import tseslint from 'typescript-eslint';
import rlsGuard from 'rls-guard/eslint-plugin';

export default [
  ...tseslint.configs.recommended,
  rlsGuard.configs.recommended, // or rlsGuard.configs.strict: unresolved writes become errors
];
`;

export function describeDetection(d: Detection, written: string): string {
  const out: string[] = [];
  out.push(`Database libraries: ${d.libraries.length ? d.libraries.map((l) => `${l.name} (${l.seenIn.join(', ')}${l.supported ? '' : '; not analysed yet: its writes will be reported as unresolved'})`).join(', ') : 'none found (rls-guard recognises pg imports)'}`);
  out.push(`Migrations: ${d.migrationFolders.length ? d.migrationFolders.join(', ') : 'no .sql files found; add "migrations" or "gatedTables" by hand'}`);
  out.push(`Scope helpers: ${d.scopeHelpers.length ? d.scopeHelpers.map((h) => `${h.name} (${h.file}:${h.line}, ${h.why})`).join('; ') : 'none beyond withOrgScope and withRequestOrgScope'}`);
  out.push('', `Wrote ${written}. Review it, then run: npx rls-guard audit`, '', 'Add the ESLint plugin to your flat config:', '', ESLINT_SNIPPET);
  return `${out.join('\n')}\n`;
}

export function existingConfig(root: string): string | undefined {
  return CONFIG_FILES.map((f) => path.join(root, f)).find((f) => fs.existsSync(f));
}

function packageDependencies(root: string): string[] {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    return ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'].flatMap((k) => Object.keys(pkg[k] ?? {}));
  } catch {
    return [];
  }
}

function moduleSpecifiers(sf: ts.SourceFile): string[] {
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) out.push(node.moduleSpecifier.text);
    else if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0]!) && ((ts.isIdentifier(node.expression) && node.expression.text === 'require') || node.expression.kind === ts.SyntaxKind.ImportKeyword)) {
      out.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

function visitFunctions(sf: ts.SourceFile, fn: (f: ts.FunctionLikeDeclaration) => void): void {
  const visit = (node: ts.Node): void => {
    if (isFunctionLike(node)) fn(node);
    ts.forEachChild(node, visit);
  };
  visit(sf);
}

/** Does the function call one of its own parameters (a callback)? */
function callsAParameter(fn: ts.FunctionLikeDeclaration): boolean {
  const params = new Set(fn.parameters.flatMap((p) => (ts.isIdentifier(p.name) ? [p.name.text] : [])));
  let found = false;
  const visit = (node: ts.Node): void => {
    if (found) return;
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && params.has(node.expression.text)) found = true;
    else if (!isFunctionLike(node) || node === fn) ts.forEachChild(node, visit);
  };
  visit(fn);
  return found;
}

/** Folders holding .sql files, without those inside another listed folder. */
function collapse(folders: string[]): string[] {
  return folders.filter((f) => !folders.some((o) => o !== f && (o === '.' || f.startsWith(`${o}/`))));
}

function rel(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
