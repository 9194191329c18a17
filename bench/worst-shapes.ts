// The shapes that made the analysis super-linear or crash, generated at any size: deep chains
// of functions returning calls of other functions (two returns each, so every path through
// the chain was walked before memoisation), mutual recursion, nesting deeper than a
// recursive walk survives, and one helper called from a great many places. Each shape plants
// writes whose sites the report must still list, whatever becomes of their verdicts.
import fs from 'node:fs';
import path from 'node:path';

export interface ShapeSizes {
  /** Files of return chains, and functions per chain. */
  chainFiles: number;
  chainLength: number;
  /** Pairs of mutually recursive connection factories. */
  recursivePairs: number;
  /** Terms of one `+` chain of SQL text (a left-deep tree this deep). */
  concatTerms: number;
  /** Nested blocks around a write (TypeScript's own parser stops near 2,000). */
  blockDepth: number;
  /** Nested parentheses in a file nobody can parse (a diagnostic, not a crash). */
  unparsableDepth: number;
  /** Call sites of one helper that writes through its parameter. */
  helperCalls: number;
}

export const BASE_SIZES: ShapeSizes = { chainFiles: 20, chainLength: 40, recursivePairs: 50, concatTerms: 10_000, blockDepth: 1_000, unparsableDepth: 10_000, helperCalls: 25_000 };

export interface Planted {
  file: string;
  line: number;
}

export interface Corpus {
  files: Map<string, string>;
  /** Writes the report must list as sites (their verdicts may be anything, never missing). */
  planted: Planted[];
}

const MIGRATION = `CREATE TABLE audit_logs (id bigserial PRIMARY KEY, org_id uuid NOT NULL, action text);
ALTER TABLE audit_logs ENABLE ROW LEVEL SECURITY;
CREATE POLICY a ON audit_logs USING (org_id = current_setting('app.current_org_id', true)::uuid);
`;

const INSERT = `INSERT INTO audit_logs (org_id, action) VALUES ($1, $2)`;

/** The corpus at `scale` × the sizes (chain lengths, pairs, terms and calls scale; file counts of chains and nesting depths stay). */
export function worstShapes(scale: number, sizes: ShapeSizes = BASE_SIZES): Corpus {
  const files = new Map<string, string>();
  const planted: Planted[] = [];
  const put = (file: string, lines: string[], writes: number[] = []): void => {
    files.set(file, `${lines.join('\n')}\n`);
    for (const w of writes) planted.push({ file, line: w + 1 });
  };
  files.set('package.json', '{"name":"worst-shapes","private":true}\n');
  files.set('db/migrations/001.sql', MIGRATION);
  put('src/db.ts', [`import { Pool } from 'pg';`, `export const pool = new Pool();`]);

  // Return chains: c_i returns a call of c_{i-1} on both of its paths.
  const length = Math.max(2, Math.round(sizes.chainLength * scale));
  for (let f = 0; f < sizes.chainFiles; f++) {
    const lines = [`import { pool } from '../db';`, `function c${f}_0(flag: boolean) { return pool.connect(); }`];
    for (let i = 1; i < length; i++) {
      lines.push(`function c${f}_${i}(flag: boolean) {`, `  if (flag) return c${f}_${i - 1}(flag);`, `  return c${f}_${i - 1}(!flag);`, `}`);
    }
    lines.push(`export async function use${f}(orgId: string) {`, `  const client = await c${f}_${length - 1}(true);`);
    const write = lines.length;
    lines.push(`  await client.query('${INSERT}', [orgId, 'chain']);`, `}`);
    put(`src/chains/chain${f}.ts`, lines, [write]);
  }

  // Mutual recursion: a and b each return the other's call or the pool.
  for (let p = 0; p < Math.round(sizes.recursivePairs * scale); p++) {
    const lines = [
      `import { pool } from '../db';`,
      `function a${p}(n: number) {`, `  if (n > 0) return b${p}(n - 1);`, `  return pool;`, `}`,
      `function b${p}(n: number) {`, `  if (n > 1) return a${p}(n - 2);`, `  return a${p}(0);`, `}`,
      `export async function run${p}(orgId: string) {`,
    ];
    const write = lines.length;
    lines.push(`  await a${p}(3).query('${INSERT}', [orgId, 'recursive']);`, `}`);
    put(`src/recursion/pair${p}.ts`, lines, [write]);
  }

  // Deep nesting: a `+` chain as deep as it is long, and blocks nested around a write.
  const terms = Array.from({ length: Math.round(sizes.concatTerms * scale) }, (_, i) => `'${i % 10 === 0 ? ' ' : ''}'`);
  put('src/deep/concat.ts', [
    `import { pool } from '../db';`,
    `const SQL = 'INSERT INTO audit_logs (org_id, action) VALUES ($1, $2)' + ${terms.join(' + ')};`,
    `export async function deep(orgId: string) {`,
    `  await pool.query(SQL, [orgId, 'deep']);`,
    `}`,
  ], [3]);
  const depth = sizes.blockDepth;
  put('src/deep/blocks.ts', [
    `import { pool } from '../db';`,
    `export async function nested(orgId: string, go: boolean) {`,
    `${'if (go) {'.repeat(depth)}`,
    `  await pool.query('${INSERT}', [orgId, 'nested']);`,
    `${'}'.repeat(depth)}`,
    `}`,
  ], [3]);
  files.set('src/deep/unparsable.ts', `export const x = ${'('.repeat(sizes.unparsableDepth)}1${')'.repeat(sizes.unparsableDepth)};\n`);

  // One helper, called from everywhere, inside a scope helper's callback.
  put('src/audit/record.ts', [
    `import type { PoolClient } from 'pg';`,
    `export async function record(client: PoolClient, orgId: string, action: string): Promise<void> {`,
    `  await client.query('${INSERT}', [orgId, action]);`,
    `}`,
  ], [2]);
  const calls = Math.round(sizes.helperCalls * scale);
  const perFunction = 100;
  const perFile = 1_000;
  for (let start = 0, file = 0; start < calls; start += perFile, file++) {
    const lines = [`import { pool } from '../db';`, `import { withOrgScope } from '../scope';`, `import { record } from '../audit/record';`];
    for (let fn = start; fn < Math.min(calls, start + perFile); fn += perFunction) {
      lines.push(`export async function job${fn}(orgId: string) {`, `  await withOrgScope(pool, orgId, async (tx) => {`);
      for (let c = fn; c < Math.min(calls, fn + perFunction, start + perFile); c++) lines.push(`    await record(tx, orgId, 'a${c}');`);
      lines.push(`  });`, `}`);
    }
    put(`src/calls/calls${file}.ts`, lines);
  }
  return { files, planted };
}

/** Writes a corpus under `dir`. */
export function writeCorpus(dir: string, corpus: Corpus): void {
  for (const [file, text] of corpus.files) {
    const abs = path.join(dir, file);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, text);
  }
}
