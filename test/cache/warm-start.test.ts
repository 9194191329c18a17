import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { InputCache } from '../../src/cache/inputs.js';
import type { InputStore } from '../../src/files/input-store.js';
import { loadPacks } from '../../src/packs/load.js';
import { platformUse } from '../../src/packs/platform-use.js';
import { composeInitScripts } from '../../src/schema/init-scripts.js';

// What a warm run pays besides its lookups (issue 15): loading modules, and reading files
// whose content has not changed. Module loading is held by the imports themselves (below:
// TypeScript through src/ts.ts, the parsers a warm run does not use at their first use);
// reading, by the input cache answering what a file shows from its stat (platform use,
// compose mounts), checked against the same computation without the cache.

const root = path.resolve(import.meta.dirname, '../..');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-warm-'));
  dirs.push(dir);
  for (const [rel, text] of Object.entries(files)) write(dir, rel, text);
  return dir;
}

/** Writes a file dated an hour ago (as after a checkout: outside the stat pre-check's racy window). */
function write(dir: string, rel: string, text: string): void {
  const abs = path.join(dir, rel);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  fs.writeFileSync(abs, text);
  const when = new Date(Date.now() - 3600_000);
  fs.utimesSync(abs, when, when);
}

/** The store, counting the values asked of it and those it had to compute (not found, or found stale). */
function counting(store: InputCache): { store: InputStore; asked: () => number; computed: () => number } {
  let asked = 0;
  let computed = 0;
  return {
    store: {
      digest: (f) => store.digest(f),
      remember: (section, key, compute, keep, valid) => {
        asked++;
        return store.remember(section, key, () => (computed++, compute()), keep, valid);
      },
    },
    asked: () => asked,
    computed: () => computed,
  };
}

/**
 * Packages loaded at run time only through src/ts.ts (TypeScript), src/sql/libpg.ts (libpg-query's WebAssembly,
 * instantiated at its first parse: its package entry starts compiling it when required) or src/lazy-require.ts (the
 * others).
 */
const NOT_IMPORTED = ['typescript', 'yaml', 'ajv', 'dockerfile-ast', 'libpg-query'];

/** `import … from 'x'` declarations of a file that bring in a value (type-only imports are erased). */
function valueImports(fileName: string, text: string): string[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest);
  const out: string[] = [];
  for (const s of sf.statements) {
    if (!ts.isImportDeclaration(s) || !ts.isStringLiteral(s.moduleSpecifier)) continue;
    const clause = s.importClause;
    const typeOnly =
      clause?.isTypeOnly ||
      (clause && !clause.name && clause.namedBindings && ts.isNamedImports(clause.namedBindings)
        ? clause.namedBindings.elements.every((e) => e.isTypeOnly)
        : false);
    if (!typeOnly) out.push(s.moduleSpecifier.text);
  }
  return out;
}

describe('what a warm run loads', () => {
  it('finds a value import and passes over type-only ones (a check that cannot fail would pass anything)', () => {
    const text =
      "import ts from 'typescript';\nimport type t from 'typescript';\nimport { type A } from 'yaml';\n" +
      "import type { B } from 'ajv';\nimport { parse } from 'yaml';\nimport 'dockerfile-ast';\n";
    expect(valueImports('x.ts', text)).toEqual(['typescript', 'yaml', 'dockerfile-ast']);
  });

  it('no module imports TypeScript, yaml, ajv, dockerfile-ast or libpg-query as a value (each loaded lazily)', () => {
    // An ESM import of TypeScript's 9 MB CommonJS file makes Node scan it for export names at
    // every start (a third of a warm audit's process time); the others are needed only when a
    // file is parsed or a pack validated, which a warm run answers from the cache.
    const files = ['src', 'rules']
      .flatMap((d) => (fs.readdirSync(path.join(root, d), { recursive: true }) as string[]).map((f) => path.join(d, f)))
      .filter((f) => /\.[cm]?ts$/.test(f) && !f.endsWith('.d.ts'));
    expect(files.length).toBeGreaterThan(100);
    const offending = files.flatMap((f) =>
      valueImports(f, fs.readFileSync(path.join(root, f), 'utf8'))
        .filter((m) => NOT_IMPORTED.includes(m))
        .map((m) => `${f.split(path.sep).join('/')} imports ${m}`),
    );
    expect(offending).toEqual([]);
  });
});

/**
 * Reads of `ts.…` a module makes when it is loaded (outside any function body): each would load TypeScript at start in
 * the CLI's bundle, where `ts` is loaded at its first use (scripts/bundle.ts).
 */
function typeScriptAtLoad(fileName: string, text: string): number[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const lines: number[] = [];
  const visit = (n: ts.Node): void => {
    // A function's body runs when called; a class's methods too (its static members run at load: visited).
    if (ts.isFunctionLike(n) && !ts.isClassStaticBlockDeclaration(n)) return;
    if (ts.isTypeNode(n) || ts.isInterfaceDeclaration(n) || ts.isTypeAliasDeclaration(n)) return;
    if (ts.isPropertyDeclaration(n) && !n.modifiers?.some((m) => m.kind === ts.SyntaxKind.StaticKeyword)) return;
    if (ts.isPropertyAccessExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'ts')
      lines.push(sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return lines;
}

describe('TypeScript is loaded only when a run uses it', () => {
  it('finds a read of ts at load and passes over those in functions and types', () => {
    const text =
      "import ts from './ts.js';\nconst KINDS = new Set([ts.SyntaxKind.Block]);\n" +
      'function f(n: ts.Node) { return ts.isBlock(n); }\nconst g = () => ts.factory;\n' +
      'class C { static k = ts.SyntaxKind.Block; m() { return ts.version; } }\n';
    expect(typeScriptAtLoad('x.ts', text)).toEqual([2, 5]);
  });

  it('no module reads TypeScript when it is loaded (a warm audit with nothing changed never loads it)', () => {
    const files = ['src', 'rules']
      .flatMap((d) => (fs.readdirSync(path.join(root, d), { recursive: true }) as string[]).map((f) => path.join(d, f)))
      .filter((f) => /\.[cm]?ts$/.test(f) && !f.endsWith('.d.ts'));
    const offending = files.flatMap((f) =>
      typeScriptAtLoad(f, fs.readFileSync(path.join(root, f), 'utf8')).map((l) => `${f.split(path.sep).join('/')}:${l}`),
    );
    expect(offending).toEqual([]);
  });
});

describe('platform use from the input cache', () => {
  const files = {
    'package.json': '{"name":"app","dependencies":{"pg":"^8"}}\n',
    'deploy/values.yaml': 'env:\n  - name: DATABASE_URL\n    value: postgres://db\n',
    'services/worker/package.json': '{"name":"worker","dependencies":{"express":"^4"}}\n',
    '.env': 'PORT=3000\n',
  };
  const use = (dir: string, inputs?: InputStore): { applies: string[]; evidence: [string, string][] } => {
    const u = platformUse(loadPacks(dir), dir, [dir], [], inputs);
    return { applies: [...u.applies].sort(), evidence: [...u.evidence].sort() };
  };

  it('a warm run reads no package.json or deployment file, and finds what a run without the cache finds', () => {
    const dir = tree(files);
    const cacheDir = tree({});
    const cold = new InputCache(cacheDir, dir);
    const first = use(dir, cold);
    expect(cold.read).toBeGreaterThanOrEqual(4);
    cold.save();
    const warm = new InputCache(cacheDir, dir);
    const counted = counting(warm);
    expect(use(dir, counted.store)).toEqual(first);
    expect(warm.read).toBe(0);
    // Two package.json files and two deployment files, each answered by its content's entry.
    expect([counted.asked(), counted.computed()]).toEqual([4, 0]);
    expect(first).toEqual(use(dir));
    expect(first.evidence).toEqual([]);
  });

  it('an edited deployment file or package.json is read again, and what it now shows counts', () => {
    const dir = tree(files);
    const cacheDir = tree({});
    const cold = new InputCache(cacheDir, dir);
    use(dir, cold);
    cold.save();
    write(dir, 'deploy/values.yaml', 'env:\n  - name: FLOWX_DB_URL\n    value: postgres://db\n');
    const afterYaml = new InputCache(cacheDir, dir);
    const flowx = use(dir, afterYaml);
    expect(afterYaml.read).toBe(1);
    expect(flowx).toEqual(use(dir));
    expect(flowx.evidence.map(([, why]) => why)).toContain('deploy/values.yaml sets FLOWX_DB_URL');
    afterYaml.save();
    write(dir, 'services/worker/package.json', '{"name":"worker","dependencies":{"@axonflow/sdk":"^8"}}\n');
    const afterManifest = new InputCache(cacheDir, dir);
    const axon = use(dir, afterManifest);
    expect(afterManifest.read).toBe(1);
    expect(axon).toEqual(use(dir));
    expect(axon.evidence.map(([, why]) => why)).toContain('services/worker/package.json depends on @axonflow/sdk');
  });
});

describe('compose init scripts from the input cache', () => {
  const compose = (target: string): string =>
    'services:\n  db:\n    image: postgres:16\n    volumes:\n' +
    `      - ./db/init.sql:${target}\n      - pgdata:/var/lib/postgresql/data\n`;

  it('a warm run parses no compose file; an edit of it, or of what it mounts, is seen', () => {
    const dir = tree({
      'docker-compose.yml': compose('/docker-entrypoint-initdb.d/1.sql'),
      'db/init.sql': 'SELECT 1;\n',
    });
    const cacheDir = tree({});
    const cold = new InputCache(cacheDir, dir);
    const first = composeInitScripts(dir, cold);
    expect(first).toEqual([path.join(dir, 'db/init.sql')]);
    expect(first).toEqual(composeInitScripts(dir));
    cold.save();
    const warm = new InputCache(cacheDir, dir);
    const counted = counting(warm);
    expect(composeInitScripts(dir, counted.store)).toEqual(first);
    expect(warm.read).toBe(0);
    expect([counted.asked(), counted.computed()]).toEqual([1, 0]);
    // The mounted file is looked at every time: gone, it is no init script.
    fs.rmSync(path.join(dir, 'db/init.sql'));
    expect(composeInitScripts(dir, new InputCache(cacheDir, dir))).toEqual(composeInitScripts(dir));
    expect(composeInitScripts(dir)).toEqual([]);
    write(dir, 'db/init.sql', 'SELECT 1;\n');
    // Mounted elsewhere: not an init script any more.
    write(dir, 'docker-compose.yml', compose('/srv/init.sql'));
    const edited = new InputCache(cacheDir, dir);
    expect(composeInitScripts(dir, edited)).toEqual([]);
    expect(edited.read).toBe(1);
  });
});
