// Which of some names occur in a text read as its ASCII letters and digits only, upper-cased (a file that spells
// SERVICE_ACCOUNT as service-account or serviceAccount names it), found in one walk of the text's own characters.
// Building that reading of a whole file first (a replace, then toUpperCase) cost two copies of every audited file for
// a yes/no most files answer no: on a large repository about 4-5 % of the audit's allocation (docs/performance.md,
// cpu28 and squash28). The walk allocates nothing per text.

/** Letters and digits: 36 symbols, the same for either case. Anything else (and every code unit ≥ 128) is skipped. */
const SYMBOLS = 36;
const SYMBOL = new Int8Array(128).fill(-1);
for (let c = 0; c < 10; c++) SYMBOL[0x30 + c] = c;
for (let c = 0; c < 26; c++) SYMBOL[0x41 + c] = SYMBOL[0x61 + c] = 10 + c;

/**
 * An Aho–Corasick automaton over the 36 symbols, built once from names already squashed (`[A-Z0-9]*`). A name of
 * other characters could never occur in a squashed text, so it is never found.
 */
export class SquashedSearch {
  /** The full transition table, state × symbol → state (failure links folded in). */
  private readonly next: Int32Array;
  /** The names (indices) that end at each state, its failure chain's included; empty for most states. */
  private readonly ends: number[][];
  /** Per name, the scan that last reported it: each name is reported once per scan without clearing a set. */
  private readonly reported: Uint32Array;
  private scans = 0;

  constructor(readonly names: readonly string[]) {
    const children: number[][] = [[]];
    const ends: number[][] = [[]];
    names.forEach((name, i) => {
      let s = 0;
      for (let k = 0; k < name.length; k++) {
        const c = name.charCodeAt(k);
        const sym = c < 128 ? SYMBOL[c]! : -1;
        // Lower case, separators and other characters are squashed out of every text: this name cannot occur.
        if (sym < 0 || (c >= 0x61 && c <= 0x7a)) return;
        let t = children[s]![sym];
        if (t === undefined) {
          t = children.length;
          children[s]![sym] = t;
          children.push([]);
          ends.push([]);
        }
        s = t;
      }
      ends[s]!.push(i);
    });
    const next = new Int32Array(children.length * SYMBOLS);
    const fail = new Int32Array(children.length);
    // Breadth first, so a state's failure target (a shorter suffix) is complete before the state is.
    const queue = [0];
    for (let q = 0; q < queue.length; q++) {
      const s = queue[q]!;
      for (let sym = 0; sym < SYMBOLS; sym++) {
        const t = children[s]![sym];
        const viaFail = s === 0 ? 0 : next[fail[s]! * SYMBOLS + sym]!;
        if (t === undefined) {
          next[s * SYMBOLS + sym] = viaFail;
          continue;
        }
        next[s * SYMBOLS + sym] = t;
        fail[t] = viaFail;
        if (ends[viaFail]!.length) ends[t] = [...ends[t]!, ...ends[viaFail]!];
        queue.push(t);
      }
    }
    this.next = next;
    this.ends = ends;
    this.reported = new Uint32Array(names.length);
  }

  /**
   * Reports each name that occurs in `text`'s squashed reading to `accept` (with the text), once, as soon as the walk
   * completes it; stops at the first `accept` that answers true, and answers whether one did. An empty name occurs in
   * every text. `accept` is passed the text so that a caller can hand a function made once, not a closure per text.
   */
  scan(text: string, accept: (name: number, text: string) => boolean): boolean {
    const { next, ends } = this;
    // Not re-entrant: `accept` must not scan with this search (the pack matcher's tests a pattern).
    if (++this.scans === 0xffffffff) {
      this.reported.fill(0);
      this.scans = 1;
    }
    const scan = this.scans;
    if (ends[0]!.length && this.report(0, scan, text, accept)) return true;
    let s = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 128) continue;
      const sym = SYMBOL[c]!;
      if (sym < 0) continue;
      s = next[s * SYMBOLS + sym]!;
      if (ends[s]!.length && this.report(s, scan, text, accept)) return true;
    }
    return false;
  }

  private report(state: number, scan: number, text: string, accept: (name: number, text: string) => boolean): boolean {
    const { ends, reported } = this;
    for (const name of ends[state]!) {
      if (reported[name] === scan) continue;
      reported[name] = scan;
      if (accept(name, text)) return true;
    }
    return false;
  }
}
