import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ModuleResolver } from '../../src/resolve/resolver.js';
import { workspaceOf } from '../../src/resolve/workspaces.js';
import { writeProject } from '../support/project.js';

// Module resolution as TypeScript does it, over a bare checkout: each case is one layout a
// real repository uses, and each asserts the exact file (or that it is a package).

const stub = 'export const x = 1;\n';

function resolveIn(files: Record<string, string>, from: string, specifier: string): string | undefined {
  const dir = writeProject(files);
  const got = new ModuleResolver().resolve(path.join(dir, from), specifier);
  return got === undefined ? undefined : path.relative(dir, got).split(path.sep).join('/');
}

describe('ModuleResolver', () => {
  it('follows tsconfig paths with baseUrl', () => {
    const files = { 'tsconfig.json': JSON.stringify({ compilerOptions: { baseUrl: '.', paths: { '@/*': ['src/*'] } } }), 'src/lib/db.ts': stub, 'src/app.ts': stub };
    expect(resolveIn(files, 'src/app.ts', '@/lib/db')).toBe('src/lib/db.ts');
  });

  it('resolves bare names against baseUrl alone (server/src/lib/db)', () => {
    const files = { 'tsconfig.json': JSON.stringify({ compilerOptions: { baseUrl: '.' } }), 'server/src/lib/db.ts': stub, 'server/src/app.ts': stub };
    expect(resolveIn(files, 'server/src/app.ts', 'server/src/lib/db')).toBe('server/src/lib/db.ts');
  });

  it('reads paths from an extends chain, including a workspace package named in extends', () => {
    const files = {
      'package.json': JSON.stringify({ name: 'root', private: true, workspaces: ['packages/*'] }),
      'packages/config/package.json': JSON.stringify({ name: '@acme/config' }),
      'packages/config/paths.json': JSON.stringify({ compilerOptions: { paths: { '~db': ['./db-entry.ts'] } } }),
      'packages/config/db-entry.ts': stub,
      'packages/app/package.json': JSON.stringify({ name: '@acme/app' }),
      'packages/app/tsconfig.json': JSON.stringify({ extends: '@acme/config/paths.json' }),
      'packages/app/src/app.ts': stub,
    };
    expect(resolveIn(files, 'packages/app/src/app.ts', '~db')).toBe('packages/config/db-entry.ts');
  });

  it('uses the nearest tsconfig of the importing file', () => {
    const files = {
      'tsconfig.json': JSON.stringify({ compilerOptions: { paths: { '@/*': ['./root-src/*'] } } }),
      'root-src/db.ts': stub,
      'apps/api/tsconfig.json': JSON.stringify({ compilerOptions: { paths: { '@/*': ['./src/*'] } } }),
      'apps/api/src/db.ts': stub,
      'apps/api/src/app.ts': stub,
      'other/app.ts': stub,
    };
    const dir = writeProject(files);
    const r = new ModuleResolver();
    expect(path.relative(dir, r.resolve(path.join(dir, 'apps/api/src/app.ts'), '@/db')!)).toBe('apps/api/src/db.ts');
    expect(path.relative(dir, r.resolve(path.join(dir, 'other/app.ts'), '@/db')!)).toBe('root-src/db.ts');
  });

  it('tries the projects a solution tsconfig references', () => {
    const files = {
      'tsconfig.json': JSON.stringify({ files: [], references: [{ path: './tsconfig.app.json' }] }),
      'tsconfig.app.json': JSON.stringify({ compilerOptions: { paths: { '@app/*': ['./src/*'] } } }),
      'src/db.ts': stub,
      'src/main.ts': stub,
    };
    expect(resolveIn(files, 'src/main.ts', '@app/db')).toBe('src/db.ts');
  });

  it('resolves through rootDirs', () => {
    const files = { 'tsconfig.json': JSON.stringify({ compilerOptions: { rootDirs: ['src', 'generated'] } }), 'generated/tables.ts': stub, 'src/app.ts': stub };
    expect(resolveIn(files, 'src/app.ts', './tables.js')).toBe('generated/tables.ts');
  });

  it('follows package.json imports (#src/*) and .js specifiers naming .ts files', () => {
    const files = { 'package.json': JSON.stringify({ name: 'a', type: 'module', imports: { '#src/*': './src/*' } }), 'src/db/pool.ts': stub, 'src/app.ts': stub };
    expect(resolveIn(files, 'src/app.ts', '#src/db/pool.js')).toBe('src/db/pool.ts');
    expect(resolveIn(files, 'src/app.ts', './db/pool.js')).toBe('src/db/pool.ts');
  });

  it('maps a pnpm workspace package whose exports point at an absent dist/ back to src/', () => {
    const files = {
      'pnpm-workspace.yaml': "packages:\n  - 'packages/*'\n",
      'packages/db/package.json': JSON.stringify({ name: '@acme/db', exports: { '.': { types: './dist/index.d.ts', import: './dist/index.js' }, './tables': { import: './dist/tables/index.js' } } }),
      'packages/db/src/index.ts': stub,
      'packages/db/src/tables/index.ts': stub,
      'packages/api/package.json': JSON.stringify({ name: 'api' }),
      'packages/api/src/app.ts': stub,
    };
    expect(resolveIn(files, 'packages/api/src/app.ts', '@acme/db')).toBe('packages/db/src/index.ts');
    expect(resolveIn(files, 'packages/api/src/app.ts', '@acme/db/tables')).toBe('packages/db/src/tables/index.ts');
  });

  it('maps a workspace package main (yarn/npm workspaces) to its source', () => {
    const files = {
      'package.json': JSON.stringify({ name: 'root', workspaces: { packages: ['libs/*'] } }),
      'libs/db/package.json': JSON.stringify({ name: 'db', main: 'build/index.js' }),
      'libs/db/src/index.ts': stub,
      'app.ts': stub,
    };
    expect(resolveIn(files, 'app.ts', 'db')).toBe('libs/db/src/index.ts');
  });

  it('honours export conditions (a custom condition from the tsconfig)', () => {
    const files = {
      'package.json': JSON.stringify({ name: 'root', workspaces: ['packages/*'] }),
      'tsconfig.json': JSON.stringify({ compilerOptions: { moduleResolution: 'bundler', module: 'esnext', customConditions: ['source'] } }),
      'packages/db/package.json': JSON.stringify({ name: 'db', exports: { '.': { source: './src/entry.ts', default: './dist/index.js' } } }),
      'packages/db/src/entry.ts': stub,
      'packages/db/src/index.ts': stub,
      'app.ts': stub,
    };
    expect(resolveIn(files, 'app.ts', 'db')).toBe('packages/db/src/entry.ts');
  });

  it('reads an installed package as a package, and an unknown one as not found', () => {
    const files = { 'node_modules/pg/package.json': JSON.stringify({ name: 'pg', main: 'index.js' }), 'node_modules/pg/index.js': stub, 'app.ts': stub };
    expect(resolveIn(files, 'app.ts', 'pg')).toBeUndefined();
    expect(resolveIn(files, 'app.ts', 'nowhere')).toBeUndefined();
    expect(resolveIn(files, 'app.ts', './missing')).toBeUndefined();
  });

  it('skips excluded workspace globs', () => {
    const dir = writeProject({
      'pnpm-workspace.yaml': "packages:\n  - 'packages/**'\n  - '!**/examples/**'\n",
      'packages/a/package.json': JSON.stringify({ name: 'a' }),
      'packages/examples/b/package.json': JSON.stringify({ name: 'b' }),
    });
    expect(workspaceOf(dir)?.packages.map((p) => p.name)).toEqual(['a']);
  });

  it("reads a referenced project's outDir as its rootDir when it was never built", () => {
    const files = {
      'app/tsconfig.json': JSON.stringify({ references: [{ path: '../lib' }] }),
      'app/main.ts': stub,
      'lib/tsconfig.json': JSON.stringify({ compilerOptions: { composite: true, outDir: 'out', rootDir: 'src' } }),
      'lib/src/db.ts': stub,
    };
    expect(resolveIn(files, 'app/main.ts', '../lib/out/db.js')).toBe('lib/src/db.ts');
  });

  it('prefers the sources of a workspace package built in the checkout', () => {
    const files = {
      'pnpm-workspace.yaml': "packages: ['packages/*']\n",
      'packages/db/package.json': JSON.stringify({ name: 'db', exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } } }),
      'packages/db/dist/index.js': stub,
      'packages/db/dist/index.d.ts': 'export declare const x: number;\n',
      'packages/db/src/index.ts': stub,
      'app.ts': stub,
    };
    expect(resolveIn(files, 'app.ts', 'db')).toBe('packages/db/src/index.ts');
  });

  it('property: a `@/*` path alias names the same file as the relative path', () => {
    const segment = fc.stringMatching(/^[a-z][a-z0-9_-]{0,7}$/);
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 4 }), fc.boolean(), fc.constantFrom('', '.js'), (parts, asIndex, ext) => {
        const relPath = parts.join('/');
        const file = asIndex ? `src/${relPath}/index.ts` : `src/${relPath}.ts`;
        const files = { 'tsconfig.json': JSON.stringify({ compilerOptions: { paths: { '@/*': ['./src/*'] } } }), [file]: stub, 'src/zz-main.ts': stub };
        const spec = asIndex ? relPath + (ext ? '/index.js' : '') : relPath + ext;
        expect(resolveIn(files, 'src/zz-main.ts', `@/${spec}`)).toBe(file);
        expect(resolveIn(files, 'src/zz-main.ts', `./${spec}`)).toBe(file);
      }),
      { numRuns: 40 },
    );
  });

  it('property: any specifier resolves to a project file or to nothing, never throws', () => {
    const dir = writeProject({
      'pnpm-workspace.yaml': "packages: ['packages/*']\n",
      'tsconfig.json': JSON.stringify({ compilerOptions: { baseUrl: '.', paths: { '@/*': ['src/*'], '*': ['types/*'] } } }),
      'package.json': JSON.stringify({ name: 'r', imports: { '#x/*': './src/*' } }),
      'packages/db/package.json': '{ "name": "db", "exports": { "./*": null, ".": { "import": "./dist/i.js" } } }',
      'packages/db/src/i.ts': stub,
      'src/a.ts': stub,
    });
    const resolver = new ModuleResolver();
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^(@|#|\.{1,2}\/|db\/?|@\/)[a-z./*#@-]{0,12}$/)), (specifier) => {
        const got = resolver.resolve(path.join(dir, 'src/a.ts'), specifier);
        if (got !== undefined) {
          expect(path.isAbsolute(got)).toBe(true);
          expect(got.split(path.sep)).not.toContain('node_modules');
        }
      }),
      { numRuns: 300 },
    );
  });
});
