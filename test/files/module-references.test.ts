import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ModuleGraph } from '../../src/cache/graph.js';
import { FileSystemSourceHost } from '../../src/code/source-host.js';
import { moduleReferences } from '../../src/files/module-references.js';
import { writeProject } from '../support/project.js';

// The modules a file names, for the module graphs that key cached results by what a file reaches. TypeScript's
// scanner alone (preProcessFile) loses its way after a regular expression holding a backtick (it reads a template's
// start): an import() after it was missed, and an edit of that module left its importer's cached results standing.

const ROUTE = [
  "import { pool } from './db.js';",
  'const fence = /```/g;',
  'export async function route(text: string) {',
  "  const { save } = await import('./save.js');",
  "  const legacy = require('./legacy.js');",
  "  return save(pool, text.replace(fence, ''), legacy);",
  '}',
  '',
].join('\n');

describe('module references', () => {
  it('finds an import() and a require() the scanner misses after a regular expression with a backtick', () => {
    // What the scanner alone gives: the test is only worth something while it misses them.
    expect(ts.preProcessFile(ROUTE, true, true).importedFiles.map((r) => r.fileName)).toEqual(['./db.js']);
    expect(moduleReferences('route.ts', ROUTE)).toEqual(['./db.js', './save.js', './legacy.js']);
  });

  it('leaves a text that calls neither import( nor require( to the scanner', () => {
    const text = "import { a } from './a.js';\nexport * from './b.js';\nconst fence = /```/;\n";
    expect(moduleReferences('x.ts', text)).toEqual(['./a.js', './b.js']);
  });

  it('gives the audit cache the edge, so an edit of the imported module invalidates the importer', () => {
    const root = writeProject({
      'src/db.ts': "import pg from 'pg';\nexport const pool = new pg.Pool();\n",
      'src/route.ts': ROUTE,
      'src/save.ts': "export async function save(db: any, t: string, _l: unknown) {\n  await db.query('DELETE FROM projects WHERE name = $1', [t]);\n}\n",
      'src/legacy.ts': 'export const legacy = 1;\n',
    });
    const text = ts.sys.readFile(`${root}/src/route.ts`)!;
    const graph = new ModuleGraph(root, new FileSystemSourceHost(), () => undefined).build([
      { rel: 'src/route.ts', text, hash: 'h' },
    ]);
    expect(graph.nodes.get('src/route.ts')!.imports).toEqual(['src/db.ts', 'src/legacy.ts', 'src/save.ts']);
  });
});
