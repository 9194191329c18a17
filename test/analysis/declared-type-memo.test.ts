import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { declaredTypeOf, withDeclaredTypes } from '../../src/analysis/declared-receiver.js';
import { analyze } from '../../src/analysis/index.js';
import { resolveAnalysisConfig } from '../../src/analysis/config.js';
import { OriginResolver } from '../../src/code/origins.js';
import { FileSystemSourceHost } from '../../src/code/source-host.js';
import { loadConfig } from '../../src/config/load.js';
import { parseSource } from '../../src/files/source.js';
import { loadModel } from '../../src/schema/load.js';

// A flow asks the declared type of a receiver at every call of a chain (`q.where(…).where(…)…`), and each ask read
// the chain below it again: n calls read the first link n times (cpu34 counted 655,000 computations of
// declaredTypeOf for 141,000 nodes on signacare). While one file's flow runs the answers are kept, each with how deep
// its computation checked the chain's bound, so a kept answer is given only where the bound checks come out the same.

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function find<T extends ts.Node>(root: ts.Node, pred: (n: ts.Node) => n is T): T[] {
  const out: T[] = [];
  const visit = (n: ts.Node): void => {
    if (pred(n)) out.push(n);
    ts.forEachChild(n, visit);
  };
  visit(root);
  return out;
}

/** Counts reads of the declared return type of `name`'s method signature: each resolution of a call of it reads it. */
function countTypeReads(sf: ts.SourceFile, name: string): { reads: number } {
  const sig = find(sf, ts.isMethodSignature).find((m) => ts.isIdentifier(m.name) && m.name.text === name)!;
  const counter = { reads: 0 };
  const type = sig.type;
  Object.defineProperty(sig, 'type', {
    get() {
      counter.reads++;
      return type;
    },
  });
  return counter;
}

const chain = (n: number): string => `this.q${'.where(`c`)'.repeat(n)}`;

const CODE = (n: number): string => `
interface Query { where(c: string): Query; load(): Promise<Query>; }
interface Other { run(): void; }
export class Repo {
  constructor(private readonly q: Query) {}
  list() {
    return ${chain(n)}.run();
  }
  async loaded() {
    const a = await this.q.where('x').load();
    return (await ${chain(n)}.load()).where('y');
  }
}
`;

describe('declared types kept while a file is analysed', () => {
  it('reads each link of a chain once, not once per call above it (a whole-program analysis)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-declared-'));
    dirs.push(dir);
    const file = path.join(dir, 'repo.ts');
    const n = 12;
    fs.writeFileSync(file, CODE(n));
    const loaded = loadConfig({ start: dir });
    const model = loadModel(dir, loaded.config);
    const config = resolveAnalysisConfig(model, loaded.config);
    const sf = parseSource(file, fs.readFileSync(file, 'utf8'));
    const trap = countTypeReads(sf, 'where');
    analyze({ root: dir, files: [sf], host: new FileSystemSourceHost([sf]), model, config, wholeProgram: true });
    // 2n + 1 calls of `where` in the file: each read once or twice (its owner found, then its type), plus the
    // other readers of a method's type; before, each call read every `where` below it: over n² / 2 for the chains.
    expect(trap.reads).toBeGreaterThan(0);
    expect(trap.reads).toBeLessThanOrEqual(4 * (2 * n + 1));
  });

  /** Each receiver of the file's calls, and its declared type asked with the memo in the given order, or without. */
  function answers(code: string, order: 'up' | 'down' | 'none'): string[] {
    const sf = parseSource('/virtual/repo.ts', code);
    const origins = new OriginResolver(new FileSystemSourceHost([sf]));
    const receivers = find(sf, ts.isPropertyAccessExpression).map((p) => p.expression);
    const asked = order === 'down' ? [...receivers].reverse() : receivers;
    const ask = (): string[] =>
      asked.flatMap((e) =>
        [0, 3, 11, 12, 13].flatMap((steps) =>
          [false, true].map((awaited) => {
            const d = declaredTypeOf(origins, e, steps, awaited);
            return `${e.pos}:${steps}:${awaited}:${d?.name?.text ?? '-'}`;
          }),
        ),
      );
    const out = order === 'none' ? ask() : withDeclaredTypes(origins, ask);
    return out.sort();
  }

  it('gives every answer the computation gives, at any step, past the bound too, in either order', () => {
    for (const n of [3, 11, 12, 13, 20]) {
      const code = CODE(n);
      const plain = answers(code, 'none');
      expect(answers(code, 'up')).toEqual(plain);
      expect(answers(code, 'down')).toEqual(plain);
      // The bound matters here: a long chain has no declared type at step 0 of its deepest asks.
      if (n === 20) expect(plain.filter((a) => a.endsWith(':false:-')).length).toBeGreaterThan(0);
    }
  });

  it('keeps answers only while the memo runs: outside it every ask computes', () => {
    const sf = parseSource('/virtual/plain.ts', CODE(6));
    const origins = new OriginResolver(new FileSystemSourceHost([sf]));
    const trap = countTypeReads(sf, 'where');
    const last = find(sf, ts.isPropertyAccessExpression).find((p) => p.name.text === 'run')!.expression;
    declaredTypeOf(origins, last); // the first ask reads the interface's members for the first time too
    let before = trap.reads;
    declaredTypeOf(origins, last);
    expect(trap.reads - before).toBe(6); // each of the six links once
    before = trap.reads;
    declaredTypeOf(origins, last);
    expect(trap.reads - before).toBe(6); // and again: nothing was kept
    before = trap.reads;
    withDeclaredTypes(origins, () => {
      declaredTypeOf(origins, last);
      expect(trap.reads - before).toBe(6);
      declaredTypeOf(origins, last);
      expect(trap.reads - before).toBe(6); // kept while the memo runs
    });
    before = trap.reads;
    declaredTypeOf(origins, last);
    expect(trap.reads - before).toBe(6); // and gone after it
  });
});
