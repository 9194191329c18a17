import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { assignmentsIn, bindAndIndex, indexedNodes, topLevelOf } from '../../src/code/file-nodes.js';
import { parseSource, withSharedParses } from '../../src/files/source.js';
import { auditSync } from '../../src/index.js';
import { sourcesUnder } from '../support/fixture-sources.js';

// The audit sets each tree's parents and takes its index (code/file-nodes.ts) in one walk, as the tree is parsed
// (docs/performance.md, setup35). Before, the index walked every node of every file a second time, once the whole
// program was parsed: 0.5 s of CPU on signacare ("index (foreign members)"). The index and the parents must be those
// the separate walks give, node for node.

/** Every call of `walkDescendants` made by the index's own walk (`indexOf`), by the file walked. */
const indexWalks: string[] = [];
vi.mock('../../src/code/walk.js', async (original) => {
  const walk = await original<typeof import('../../src/code/walk.js')>();
  return {
    ...walk,
    walkDescendants: (root: ts.Node, visit: (n: ts.Node) => boolean | void): void => {
      if (ts.isSourceFile(root) && /\bindexOf\b/.test(new Error().stack ?? '')) indexWalks.push(root.fileName);
      walk.walkDescendants(root, visit);
    },
  };
});

afterEach(() => {
  indexWalks.length = 0;
});

const SHAPES = `'use server';
import { pool } from './pool';
export class Repo extends Base { save = async (x: number) => { this.n += x; return pool.query('INSERT INTO t VALUES ($1)', [x]); } }
export const handler: Handler = async (req) => { const o = { a: () => 1, b: new Date() }; o.a = () => 2; };
function later() { return [1, 2].map((v) => v * 2); }
/** a comment */
export default { up: async () => later(), down() {} };
`;

/** A tree's nodes in pre-order, each with its parent's position and kind: what the parent pointers say. */
function parents(sf: ts.SourceFile): string[] {
  const out: string[] = [];
  const visit = (n: ts.Node): void => {
    out.push(`${n.kind}@${n.pos}-${n.end} < ${n.parent ? `${n.parent.kind}@${n.parent.pos}` : 'none'}`);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

const spans = (nodes: readonly ts.Node[]): string[] => nodes.map((n) => `${n.kind}@${n.pos}-${n.end}`);

function indexOfTree(sf: ts.SourceFile): unknown {
  const top = topLevelOf(sf);
  return {
    nodes: spans(indexedNodes(sf)),
    assignments: spans(assignmentsIn(sf)),
    useServer: top.useServer,
    heritage: spans(top.heritageClasses),
    typed: spans(top.typedDeclarations),
  };
}

describe('bindAndIndex', () => {
  it('gives the parents and the index of the separate walks, and leaves the index nothing to walk', () => {
    const texts = [SHAPES, ...sourcesUnder('fixtures/example-app').slice(0, 40).map((f) => fs.readFileSync(f, 'utf8'))];
    for (const [i, text] of texts.entries()) {
      const file = path.resolve(`bind-${i}.tsx`);
      const apart = parseSource(file, text); // parents by setParents; the index by its own walk when asked
      const expected = { parents: parents(apart), index: indexOfTree(apart) };
      expect(indexWalks).toEqual([file]);
      indexWalks.length = 0;
      const together = withSharedParses(() => parseSource(file, text), bindAndIndex);
      expect({ parents: parents(together), index: indexOfTree(together) }).toEqual(expected);
      expect(indexWalks).toEqual([]);
    }
  });

  it('takes every index of an audit as the files are parsed: no index walk after the parse', () => {
    const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bind-and-index-')));
    try {
      fs.mkdirSync(path.join(dir, 'src'));
      fs.writeFileSync(path.join(dir, 'src/pool.ts'), `import { Pool } from 'pg';\nexport const pool = new Pool();\n`);
      fs.writeFileSync(path.join(dir, 'src/app.ts'), SHAPES);
      const report = auditSync({ paths: [dir], types: false, schemaSource: 'static', allowIncomplete: true });
      expect(report.writeSites.map((s) => s.file)).toEqual(['src/app.ts']);
      // Before: one index walk of each file, after every file was parsed.
      expect(indexWalks).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
