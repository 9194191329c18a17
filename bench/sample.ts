// Which files `npm run bench -- --dir PATH --relint-sample N` re-lints (bench/relint.ts), the edit inside a function
// it and `--relint FILE` make, and how the figures are summed up. Pure, so that test/bench.test.ts checks them without
// linting anything.
import ts from 'typescript';

/** A file of the project that holds a write site, its line count, and whether a site of it needs other files. */
export interface SampleCandidate {
  file: string;
  lines: number;
  crossFile: boolean;
}

/** A small seeded generator (mulberry32): the same seed gives the same numbers on every machine and Node. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * N files among the candidates, the same for the same candidates and seed (in whatever order they come): at least
 * half of them files with a cross-file site when there are that many (the rest files decided alone, or more
 * cross-file ones when those run out), each group spread over its sizes: sorted by line count and cut into as many
 * runs of equal length as files are taken from it, one file drawn from each run. Sorted by line count.
 */
export function chooseSample(candidates: readonly SampleCandidate[], n: number, seed: number): SampleCandidate[] {
  const bySize = (a: SampleCandidate, b: SampleCandidate): number =>
    a.lines - b.lines || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0);
  const cross = candidates.filter((c) => c.crossFile).sort(bySize);
  const alone = candidates.filter((c) => !c.crossFile).sort(bySize);
  let fromCross = Math.min(cross.length, Math.ceil(n / 2));
  const fromAlone = Math.min(alone.length, n - fromCross);
  fromCross = Math.min(cross.length, n - fromAlone);
  const random = seeded(seed);
  const spread = (group: SampleCandidate[], k: number): SampleCandidate[] => {
    const out: SampleCandidate[] = [];
    for (let i = 0; i < k; i++) {
      const lo = Math.floor((i * group.length) / k);
      const hi = Math.floor(((i + 1) * group.length) / k);
      out.push(group[lo + Math.floor(random() * (hi - lo))]!);
    }
    return out;
  };
  return [...spread(cross, fromCross), ...spread(alone, fromAlone)].sort(bySize);
}

/** The nearest-rank percentile (p in 0..100) of the values; 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** p50, p90, max and the share under `limit` (a fraction, two decimals) of the values. */
export interface Distribution {
  n: number;
  p50: number;
  p90: number;
  max: number;
  under: number;
}

export function distribution(values: readonly number[], limit: number): Distribution {
  const under = values.length ? values.filter((v) => v < limit).length / values.length : 0;
  return {
    n: values.length,
    p50: percentile(values, 50),
    p90: percentile(values, 90),
    max: percentile(values, 100),
    under: Math.round(under * 100) / 100,
  };
}

/**
 * The text with a line added after the opening brace of the first function body written over several lines (every
 * line below it moves), found by TypeScript's parser: a text search took the `{` of a return type's object literal
 * (`): Promise<{`) for one and made a text ESLint cannot parse. A line at the top when the file has no such body.
 */
/**
 * The text with a line added at the top of the body of the innermost function around line `line` (1-based): an edit of
 * a function with writes when the line is a write site's (RELINT_WRITE_LINE, bench/relint.ts). Undefined: no such body.
 */
export function insideFunctionAt(text: string, fileName: string, line: number, added: string): string | undefined {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const pos = sf.getPositionOfLineAndCharacter(line - 1, 0);
  let at = -1;
  const visit = (node: ts.Node): void => {
    if (pos < node.getStart(sf) || pos >= node.getEnd()) return;
    const body = ts.isFunctionLike(node) ? (node as ts.FunctionLikeDeclaration).body : undefined;
    if (body && ts.isBlock(body)) {
      const eol = /^\{[ \t]*\r?\n/.exec(text.slice(body.getStart(sf)));
      if (eol) at = body.getStart(sf) + eol[0].length;
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return at < 0 ? undefined : `${text.slice(0, at)}  ${added}\n${text.slice(at)}`;
}

export function insideFirstFunction(text: string, fileName: string): string {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  let at = -1;
  const visit = (node: ts.Node): void => {
    if (at >= 0) return;
    const body = ts.isFunctionLike(node) ? (node as ts.FunctionLikeDeclaration).body : undefined;
    if (body && ts.isBlock(body)) {
      const eol = /^\{[ \t]*\r?\n/.exec(text.slice(body.getStart(sf)));
      if (eol) at = body.getStart(sf) + eol[0].length;
    }
    if (at < 0) ts.forEachChild(node, visit);
  };
  visit(sf);
  if (at < 0) return `// edited\n${text}`;
  return `${text.slice(0, at)}  const editedHere = 1;\n${text.slice(at)}`;
}
