import type ts from '../ts.js';

// The call graph (caller-index.ts) and the functions by declared type (function-types.ts) keep one part per file of
// the program's list, in the list's order, and index them by place. When the list changes (an editor's lint of one
// file's closure after the opening lint of the whole project), the files in both keep their parts: these say where
// each goes. Only when those files come in the same order in both lists (sorted lists do): a list concatenated from
// the parts in place order is then the one a fresh build over the new list gives.

/** Each kept part's old place → its new place, or undefined when the files in both lists are in another order. */
export function keptPlaces(
  parts: readonly { sf: ts.SourceFile }[],
  files: readonly { sf: ts.SourceFile }[],
): Map<number, number> | undefined {
  const was = new Map(parts.map((s, i) => [s.sf.fileName, i]));
  const to = new Map<number, number>();
  let last = -1;
  for (const [i, f] of files.entries()) {
    const j = was.get(f.sf.fileName);
    if (j === undefined) continue;
    if (j < last) return undefined;
    to.set((last = j), i);
  }
  return to;
}

/** The parts at their new places (the new files' places left empty, to be built). */
export function moveParts<P>(parts: readonly P[], to: ReadonlyMap<number, number>, length: number): P[] {
  const moved = new Array<P>(length);
  for (const [j, i] of to) moved[i] = parts[j]!;
  return moved;
}

/** An index by place (what has a part where), renumbered; every place in it must be kept. */
export function renumber<K>(by: Map<K, Set<number>>, to: ReadonlyMap<number, number>): void {
  for (const [key, at] of by) by.set(key, new Set([...at].map((j) => to.get(j)!)));
}
