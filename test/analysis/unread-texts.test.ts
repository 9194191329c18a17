import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { denotedFunctions, denotedHelpers, type HelperValueDeps } from '../../src/analysis/providers/helper-values.js';
import { mayLink } from '../../src/analysis/value-links.js';
import { OriginResolver } from '../../src/code/origins.js';
import { FileSystemSourceHost } from '../../src/code/source-host.js';
import { parseSource } from '../../src/files/source.js';

// Texts the audit wrote and nothing read (docs/performance.md, cpu28). The questions that read only a denotation's
// functions (value-links.ts: whether a value call may link, and its link) write no reason and no chain: signacare's
// mayLink quoted a callee's text for gaps of ~100,000 value calls. (cpu28's lazily written `cannot read` reasons were
// taken out at integration: docs/performance.md, integ28.)

const CODE = `
import { thing } from 'somepkg';
async function write(db: unknown): Promise<void> {}
const local = { save: async (db: unknown) => {}, ...spread };
const make = () => write;
const made = make();
const silent = () => {};
const makeNothing = () => silent();
const loop = loop2 ?? local.save;
const loop2 = loop;
export async function handle(x: unknown, flag: boolean): Promise<void> {
  thing.run(x);
  foo.bar(x);
  local.save(x);
  local.other(x);
  made(x);
  makeNothing()(x);
  (flag ? local.save : write)(x);
  loop(x);
  write.call(x);
}
`;

function setUp(): { sf: ts.SourceFile; deps: HelperValueDeps; callees: ts.Expression[] } {
  const sf = parseSource('/virtual/handler.ts', CODE);
  const origins = new OriginResolver(new FileSystemSourceHost([sf]));
  const deps: HelperValueDeps = { origins, root: '/virtual', wholeProgram: true, callers: () => [] };
  const handle = sf.statements.find((s): s is ts.FunctionDeclaration =>
    ts.isFunctionDeclaration(s) && s.name?.text === 'handle')!;
  const callees = handle.body!.statements.map((s) => ((s as ts.ExpressionStatement).expression as ts.CallExpression).expression);
  return { sf, deps, callees };
}

/** Counts the texts read off the file's nodes: `getText` on every node's prototype, and the lines `where` asks. */
function countTexts(sf: ts.SourceFile): { reads: number; restore: () => void } {
  const counter = { reads: 0, restore: () => undefined as void };
  const protos = new Set<{ getText: (this: ts.Node, sf?: ts.SourceFile) => string }>();
  const visit = (n: ts.Node): void => {
    protos.add(Object.getPrototypeOf(n) as { getText: (this: ts.Node, sf?: ts.SourceFile) => string });
    ts.forEachChild(n, visit);
  };
  visit(sf);
  const undo: (() => void)[] = [];
  for (const proto of protos) {
    const own = Object.prototype.hasOwnProperty.call(proto, 'getText');
    const original = proto.getText;
    proto.getText = function (this: ts.Node, file?: ts.SourceFile): string {
      counter.reads++;
      return original.call(this, file);
    };
    undo.push(() => {
      if (own) proto.getText = original;
      else delete (proto as Partial<typeof proto>).getText;
    });
  }
  const lines = sf.getLineAndCharacterOfPosition.bind(sf);
  sf.getLineAndCharacterOfPosition = (pos: number) => {
    counter.reads++;
    return lines(pos);
  };
  undo.push(() => delete (sf as Partial<ts.SourceFile>).getLineAndCharacterOfPosition);
  counter.restore = () => undo.forEach((u) => u());
  return counter;
}

describe('a denotation asked for its functions alone', () => {
  it('finds the functions denotedHelpers finds', () => {
    const { deps, callees } = setUp();
    const names = (fns: readonly ts.FunctionLikeDeclaration[]): string[] => fns.map((f) => `${f.pos}-${f.end}`);
    const found = callees.map((c) => names(denotedFunctions(deps, c)));
    expect(found).toEqual(callees.map((c) => names(denotedHelpers(deps, c).helpers.map((h) => h.fn))));
    // Each kind of step is exercised: a gap (package, global, missing member), a helper, a factory, a cycle.
    expect(found.map((f) => f.length)).toEqual([0, 0, 1, 0, 1, 0, 2, 1, 0]);
    for (const c of callees.slice(0, 2)) expect(denotedHelpers(deps, c).gaps.length).toBeGreaterThan(0);
    expect(denotedHelpers(deps, callees[4]!).helpers[0]!.chain).toEqual(['make() at handler.ts:6']);
  });

  it('reads no node text for its gaps and chains (mayLink)', () => {
    const { sf, deps, callees } = setUp();
    // The origins the search reads, and their own reasons, once: the engine keeps them.
    for (const c of callees) denotedHelpers(deps, c);
    const texts = countTexts(sf);
    try {
      const links = callees.map((c) => mayLink(deps.origins, deps.root, c));
      expect(links).toEqual([false, false, true, false, true, false, true, true, false]);
      expect(texts.reads).toBe(0);
      // The counter sees what a full denotation writes.
      for (const c of callees) denotedHelpers(deps, c);
      expect(texts.reads).toBeGreaterThan(0);
    } finally {
      texts.restore();
    }
  });
});
