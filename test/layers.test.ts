import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { cycleEdges, type ImportEdge, importEdges, layerOf } from './support/layers.js';
import { writeProject } from './support/project.js';

// The layers of docs/architecture.md, checked on the code: the folders under src/ (and
// rules/) import each other without cycles, and the analysis core (src/analysis,
// src/schema, src/sql) never imports rules/.

const root = path.resolve(import.meta.dirname, '..');
const CORE = ['src/analysis', 'src/schema', 'src/sql'];

/**
 * Imports that still break the layering, each until the change that removes it lands. Every
 * entry must still be a violation (a core import of rules/, or an edge on a cycle): one that
 * is not fails the test below, so the list can only shrink.
 */
const ALLOWED: readonly { from: string; to: string; why: string }[] = [];

function projectOptions(): ts.CompilerOptions {
  const file = path.join(root, 'tsconfig.json');
  const { config } = ts.readConfigFile(file, ts.sys.readFile);
  return ts.parseJsonConfigFileContent(config, ts.sys, root, undefined, file).options;
}

const key = (e: { from: string; to: string }): string => `${e.from} -> ${e.to}`;
const show = (edges: readonly ImportEdge[]): string[] => edges.map((e) => `${key(e)} ('${e.specifier}')`).sort();

describe('the layers of src/', () => {
  const edges = importEdges(root, ['src', 'rules'], projectOptions());
  const allowed = new Set(ALLOWED.map(key));
  const checked = edges.filter((e) => !allowed.has(key(e)));

  it('reads the import graph (a check over no edges would pass whatever the code does)', () => {
    const layers = new Set(edges.flatMap((e) => [layerOf(e.from), layerOf(e.to)]));
    expect(layers).toContain('src/analysis');
    expect(layers).toContain('rules');
    expect(edges.some((e) => e.from === 'src/walker/audit.ts' && e.to === 'src/analysis/index.ts')).toBe(true);
  });

  it('has no cycle between folders', () => {
    expect(show(cycleEdges(checked))).toEqual([]);
  });

  it('keeps rules/ out of the analysis core', () => {
    const upward = checked.filter((e) => CORE.includes(layerOf(e.from)) && layerOf(e.to) === 'rules');
    expect(show(upward)).toEqual([]);
  });

  it('allows only imports that are still violations', () => {
    const onCycle = new Set(cycleEdges(edges).map(key));
    const stale = ALLOWED.filter((a) => {
      const present = edges.some((e) => key(e) === key(a));
      const coreToRules = CORE.includes(layerOf(a.from)) && layerOf(a.to) === 'rules';
      return !present || !(coreToRules || onCycle.has(key(a)));
    });
    expect(stale.map((a) => `${key(a)}: no longer needed, remove it from ALLOWED`)).toEqual([]);
  });
});

describe('docs/architecture.md', () => {
  it('names only files and folders that exist (a move updates the map)', () => {
    const text = fs.readFileSync(path.join(root, 'docs/architecture.md'), 'utf8');
    const named = [...new Set([...text.matchAll(/`((?:src|rules|test)\/[\w./-]*\w\/?)`/g)].map((m) => m[1]!))];
    expect(named.length).toBeGreaterThan(30);
    expect(named.filter((p) => !p.includes('<') && !fs.existsSync(path.join(root, p)))).toEqual([]);
  });

  it('lists every layer in its table of layers', () => {
    const text = fs.readFileSync(path.join(root, 'docs/architecture.md'), 'utf8');
    const section = text.slice(text.indexOf('## The layers'), text.indexOf('## The pipeline'));
    const folders = fs.readdirSync(path.join(root, 'src'), { withFileTypes: true }).filter((e) => e.isDirectory());
    expect(folders.length).toBeGreaterThan(10);
    expect(folders.map((e) => `src/${e.name}/`).filter((l) => !section.includes(`\`${l}\``))).toEqual([]);
  });
});

describe('the layer checks themselves', () => {
  // Throwaway trees with known imports, so each check is seen to fail where it should.
  const options: ts.CompilerOptions = { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext };

  it('finds a cycle through any kind of import, and only the edges on it', () => {
    const dir = writeProject({
      'src/a/one.ts': "import { two } from '../b/two.js';\nexport const one = two;\n",
      'src/b/two.ts': "export type T = import('../c/three.js').Three;\nexport const two = 2;\n",
      'src/c/three.ts': "export type { One } from '../a/types.js';\nexport type Three = 3;\n",
      'src/a/types.ts': 'export type One = 1;\n',
      'src/d/four.ts': "import '../a/one.js';\nimport 'typescript';\n",
    });
    const edges = importEdges(dir, ['src'], options);
    expect(edges.map(key).sort()).toEqual([
      'src/a/one.ts -> src/b/two.ts',
      'src/b/two.ts -> src/c/three.ts',
      'src/c/three.ts -> src/a/types.ts',
      'src/d/four.ts -> src/a/one.ts',
    ]);
    expect(cycleEdges(edges).map(key).sort()).toEqual([
      'src/a/one.ts -> src/b/two.ts',
      'src/b/two.ts -> src/c/three.ts',
      'src/c/three.ts -> src/a/types.ts',
    ]);
  });

  it('finds none in a hierarchy, and counts a file at the top of src/ as its own layer', () => {
    const dir = writeProject({
      'src/cli.ts': "import { a } from './a/a.js';\nexport const cli = a;\n",
      'src/a/a.ts': "import { b } from '../b/b.js';\nexport const a = b;\n",
      'src/b/b.ts': "import { VERSION } from '../version.js';\nexport const b = VERSION;\n",
      'src/version.ts': "export const VERSION = '1';\n",
    });
    const edges = importEdges(dir, ['src'], options);
    expect(edges).toHaveLength(3);
    expect(cycleEdges(edges)).toEqual([]);
    expect(layerOf('src/cli.ts')).toBe('src/cli');
    expect(layerOf('rules/no-unscoped-write.ts')).toBe('rules');
  });
});
