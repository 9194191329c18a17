import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import ts from '../../src/ts.js';
import { type Origin, OriginResolver } from '../../src/code/origins.js';
import { declarationsOf, NO_DECLARATIONS } from '../../src/code/scope.js';
import { FileSystemSourceHost } from '../../src/code/source-host.js';
import { snapshotIfAsked } from '../../src/files/phase-timer.js';
import { parseSource, readSource, withSharedParses } from '../../src/files/source.js';
import { isSqlParseKept, parseSql } from '../../src/sql/parser.js';
import { auditSync } from '../../src/walker/audit.js';

// Issue 15's memory (docs/performance.md, mem28): what the audit keeps and no longer needs, let go; one copy of what
// it keeps twice; and the heap snapshot asked by RLS_GUARD_HEAPSNAPSHOT at a phase mark.

const APP = path.resolve(import.meta.dirname, '../../fixtures/example-app');

afterEach(() => {
  delete process.env['RLS_GUARD_HEAPSNAPSHOT'];
});

/** A full collection, whether or not node runs with --expose-gc (the flag set late gives a context a `gc`). */
function collect(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

describe('what the audit lets go', () => {
  it("forgets the migrations' SQL parses once the model is built", () => {
    const migration = fs.readFileSync(path.join(APP, 'db/migrations/001_init.sql'), 'utf8');
    auditSync({ paths: [APP], types: false, schemaSource: 'static' });
    expect(isSqlParseKept(migration)).toBe(false);
    // The cache itself still works for the analysis' own SQL.
    parseSql('INSERT INTO t (a) VALUES (1)');
    expect(isSqlParseKept('INSERT INTO t (a) VALUES (1)')).toBe(true);
  });

  it('shares one map among the scopes that declare nothing', () => {
    const sf = ts.createSourceFile('a.ts', '{ f(); } { g(); } { const x = 1; }', ts.ScriptTarget.Latest, true);
    const [a, b, c] = sf.statements as unknown as readonly ts.Block[];
    expect(declarationsOf(a!)).toBe(NO_DECLARATIONS);
    expect(declarationsOf(b!)).toBe(NO_DECLARATIONS);
    expect([...declarationsOf(c!).keys()]).toEqual(['x']);
    expect(NO_DECLARATIONS.size).toBe(0);
  });

  it("reads a file already parsed in the run as the tree's own text, not a second copy", () => {
    // Strings' identity cannot be asked in JavaScript; their memory can: 16 reads of a 1 MB file kept, measured live.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-let-go-'));
    const file = path.join(dir, 'big.ts');
    fs.writeFileSync(file, `// ${'x'.repeat(1 << 20)}\nexport const a = 1;\n`);
    try {
      const grown = withSharedParses(() => {
        const first = readSource(file, 4 << 20);
        if (!first.ok) throw new Error(first.reason);
        parseSource(file, first.text);
        collect();
        const before = process.memoryUsage().heapUsed;
        const kept: string[] = [];
        for (let i = 0; i < 16; i++) {
          const read = readSource(file, 4 << 20);
          if (read.ok) kept.push(read.text);
        }
        collect();
        const after = process.memoryUsage().heapUsed;
        expect(kept.every((t) => t === first.text)).toBe(true);
        return after - before;
      });
      // Sixteen copies would be 16 MB; one shared copy leaves the reads' small objects only.
      expect(grown).toBeLessThan(4 << 20);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the reasons the origins keep', () => {
  it('keeps one copy of a reason many expressions share', () => {
    // 2,000 reads of one long member off a package's call result: one reason each, the same text (2 KB of it).
    const key = `m${'x'.repeat(1000)}`;
    const code = `import { make } from 'some-package';\n${`make().${key};\n`.repeat(2000)}`;
    const sf = parseSource(path.resolve('fixtures/let-go-reasons.ts'), code);
    const origins = new OriginResolver(new FileSystemSourceHost([sf]));
    const reads = sf.statements.slice(1).map((s) => (s as ts.ExpressionStatement).expression);
    const kept: Origin[] = reads.map((e) => origins.expr(e));
    const reasons = new Set(kept.map((o) => (o.kind === 'unknown' ? o.reason : o.kind)));
    expect(reasons.size).toBe(1);
    expect([...reasons][0]).toContain(`cannot read \`${key}\``);
    // Every one went through the resolver's one-copy table, which holds the one text. (The heap's growth is no
    // witness: V8 keeps a template's result as a rope over the shared key until something flattens it, and the
    // measurement flaked at 1.0–1.4 MB under a loaded CI run.)
    const table = (origins as unknown as { reasons: { kept: Map<string, string> } }).reasons.kept;
    expect([...table.keys()]).toEqual([...reasons]);
  });
});

describe('RLS_GUARD_HEAPSNAPSHOT', () => {
  it('writes a heap snapshot at the phase mark it names, and only there', () => {
    const written: string[] = [];
    const asked: string[] = [];
    const snap = (f: string): string => {
      asked.push(f);
      return `/here/${f}`;
    };
    snapshotIfAsked('flows', (t) => written.push(t), snap);
    expect(asked).toEqual([]);
    process.env['RLS_GUARD_HEAPSNAPSHOT'] = 'settlement';
    snapshotIfAsked('flows', (t) => written.push(t), snap);
    expect(asked).toEqual([]);
    snapshotIfAsked('settlement (call graph, entry points, verdicts)', (t) => written.push(t), snap);
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatch(new RegExp(`^rls-guard-settlement-call-graph-[a-z-]+-${process.pid}\\.heapsnapshot$`));
    expect(written.join('')).toContain(`heap snapshot written: /here/${asked[0]}`);
  });
});
