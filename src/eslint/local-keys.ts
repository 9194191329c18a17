import { sha } from '../files/code-stamp.js';

// The key of a file's verdicts when it is decided alone: it and everything it imports,
// transitively (what the local analysis can read). Computed as a hash over the import graph's
// strongly connected components (Tarjan's algorithm, iterative): a component's key hashes its
// files' contents and the keys of the components it imports, so each file's key costs its own
// edges once per version of the graph. Hashing each file's whole closure instead cost the
// closure per linted file: a file importing most of a project (a route, a service) walked
// and hashed most of it on every lint, O(files × closure) over a command-line run.
//
// Equal keys mean equal contents of every file in the closure (and the same edges between
// them); any change in the closure changes the key.

export class LocalKeys {
  private readonly keys = new Map<string, string>();

  constructor(
    private readonly base: string,
    private readonly hashOf: (rel: string) => string,
    private readonly importsOf: (rel: string) => readonly string[],
    private readonly inProject: (rel: string) => boolean,
  ) {}

  /** The key of a file as on disk. */
  of(start: string): string {
    const known = this.keys.get(start);
    if (known !== undefined) return known;
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const frames: { rel: string; next: readonly string[]; i: number }[] = [];
    const open = (rel: string): void => {
      index.set(rel, index.size);
      low.set(rel, index.get(rel)!);
      stack.push(rel);
      onStack.add(rel);
      frames.push({ rel, next: this.importsOf(rel).filter(this.inProject), i: 0 });
    };
    open(start);
    while (frames.length) {
      const f = frames[frames.length - 1]!;
      if (f.i < f.next.length) {
        const to = f.next[f.i++]!;
        if (this.keys.has(to)) continue;
        if (!index.has(to)) open(to);
        else if (onStack.has(to)) low.set(f.rel, Math.min(low.get(f.rel)!, index.get(to)!));
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent) low.set(parent.rel, Math.min(low.get(parent.rel)!, low.get(f.rel)!));
      if (low.get(f.rel) !== index.get(f.rel)) continue;
      const members: string[] = [];
      for (let m = stack.pop()!; ; m = stack.pop()!) {
        onStack.delete(m);
        members.push(m);
        if (m === f.rel) break;
      }
      this.settle(members);
    }
    return this.keys.get(start)!;
  }

  /** The key of the linted file's unsaved text: its hash and the keys of what it imports now. */
  unsaved(self: string, hash: string, imports: readonly string[]): string {
    const deps = imports.filter((rel) => rel !== self && this.inProject(rel)).map((rel) => this.of(rel));
    return sha(`local\n${this.base}\n${self}\0${hash}\n${[...new Set(deps)].sort().join('\n')}`);
  }

  private settle(members: string[]): void {
    const inside = new Set(members);
    const deps = new Set<string>();
    for (const m of members)
      for (const to of this.importsOf(m)) if (!inside.has(to) && this.inProject(to)) deps.add(this.keys.get(to)!);
    const files = members.sort().map((m) => `${m}\0${this.hashOf(m)}`);
    const key = sha(`local\n${this.base}\n${files.join('\n')}\n${[...deps].sort().join('\n')}`);
    for (const m of members) this.keys.set(m, key);
  }
}
