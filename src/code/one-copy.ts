// One kept copy of each distinct string. The engine keeps a fact's value to the end of the analysis, and a reason is
// built from a template each time it is computed: the same text (`cannot read \`toEqual\` of \`expect(result)\`, a
// value package 'vitest' hands back …`) came back as a fresh string for hundreds of expressions (the origins' reasons;
// a handle's unknown reason is its origin's, the same string). Owned by a resolver, so the copies go with its facts
// (docs/performance.md, mem28).

export class OneCopy {
  private readonly kept = new Map<string, string>();

  /** The kept string equal to `text` (`text` itself, kept, when it is the first). */
  of(text: string): string {
    const known = this.kept.get(text);
    if (known !== undefined) return known;
    this.kept.set(text, text);
    return text;
  }
}
