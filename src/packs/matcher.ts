import type { PackSet } from './load.js';
import { SquashedSearch } from './squashed-search.js';
import { ruleFor, valueMatches, type ActiveEntry, type PackRuleId } from './types.js';

// Lookups over the active entries, and the facts of a match every front end renders with
// its rule's message: what changed, in which version and pack, why, what to use instead.

export class PackMatcher {
  private readonly api = new Map<string, ActiveEntry>();
  private readonly env = new Map<string, ActiveEntry[]>();
  private readonly headers = new Map<string, ActiveEntry>();
  private readonly clients = new Map<string, ActiveEntry>();
  readonly fields: { entry: ActiveEntry; pattern: RegExp }[] = [];
  readonly requirements: ActiveEntry[] = [];
  /** Env names by their letters and digits only, for names bound loosely (Spring properties). */
  private readonly squashed = new Map<string, string>();

  constructor(readonly set: PackSet) {
    for (const e of set.entries) {
      if (e.kind === 'api') this.api.set(e.name, e);
      else if (e.kind === 'header') this.headers.set(e.name.toLowerCase(), e);
      else if (e.kind === 'client') this.clients.set(e.name, e);
      else if (e.kind === 'field') this.fields.push({ entry: e, pattern: new RegExp(e.objectPattern ?? '.', 'i') });
      else if (e.status === 'requires') this.requirements.push(e);
      else this.env.set(e.name, [...(this.env.get(e.name) ?? []), e]);
      if (e.kind === 'env')
        for (const n of [e.name, e.requires, e.unless?.name]) if (n) this.squashed.set(squash(n), n);
    }
  }

  /**
   * Whether a file can hold any match at all: some entry's name, spelled any way (letters and
   * digits only, any case), occurs in it. Most files name none, and skip the scan.
   */
  mayOccurIn(text: string): boolean {
    // Each name and pattern once: packs that include others repeat their entries (38 needles, 24 distinct).
    this.needles ??= [
      ...new Map(
        this.set.entries
          .filter((e) => e.status !== 'retained')
          .flatMap((e) => {
            const env = e.kind === 'env' ? [e.requires, e.unless?.name] : [];
            const names = [e.name, ...env]
              .filter((n): n is string => !!n)
              .map(squash);
            const source = e.kind === 'field' ? (e.objectPattern ?? '.') : undefined;
            return names.map((n) => [`${n}\0${source ?? ''}`, { name: n, source }] as const);
          }),
      ).values(),
    ].map(({ name, source }) => ({ name, pattern: source === undefined ? undefined : new RegExp(source, 'i') }));
    // One walk of the text for every name at once, which copies nothing (most files name none); a name found is
    // then asked its pattern, if any, on the file's own text.
    if (!this.search) {
      // A name of no letters or digits (a user pack's '-') squashes to nothing: it cannot be told from no name, so it
      // names nothing here (the squashed copy's search had it occur in every text, unless it was the only name).
      const names = [...new Set(this.needles.map((n) => n.name))].filter((n) => n !== '');
      this.search = new SquashedSearch(names);
      this.unconditional = names.map((name) => this.needles!.some((n) => n.name === name && !n.pattern));
      this.patterns = names.map((name) => this.needles!.flatMap((n) => (n.name === name && n.pattern) || []));
    }
    return this.search.scan(text, this.accept);
  }

  private needles: { name: string; pattern: RegExp | undefined }[] | undefined;
  private search: SquashedSearch | undefined;
  /** Per distinct name of `search`: whether some needle of that name has no pattern, and the patterns of the rest. */
  private unconditional: boolean[] = [];
  private patterns: RegExp[][] = [];
  /** Whether a name found in a text completes a match there; made once, so that a scan allocates no closure. */
  private readonly accept = (name: number, text: string): boolean => {
    if (this.unconditional[name]) return true;
    for (const p of this.patterns[name]!) if (p.test(text)) return true;
    return false;
  };

  /** The pack's spelling of a loosely bound name (service-account → SERVICE_ACCOUNT), or the name itself. */
  canonicalEnv(name: string): string {
    if (this.env.has(name)) return name;
    return this.squashed.get(squash(name)) ?? name;
  }

  apiEntry(name: string): ActiveEntry | undefined {
    return this.api.get(name);
  }

  /**
   * Header entries a string names: the whole string, or items of a comma-separated header
   * list ('Content-Type, X-Tenant-ID', as CORS settings spell it). Offsets are into `text`.
   */
  headersIn(text: string): { entry: ActiveEntry; start: number; end: number }[] {
    const whole = this.headers.get(text.toLowerCase());
    if (whole) return [{ entry: whole, start: 0, end: text.length }];
    if (!text.includes(',')) return [];
    const out: { entry: ActiveEntry; start: number; end: number }[] = [];
    let at = 0;
    for (const part of text.split(',')) {
      const token = part.trim();
      // A list holds header tokens only; a sentence with a comma is not a list.
      if (!token || !HEADER_TOKEN.test(token)) return [];
      const start = at + part.indexOf(token);
      const entry = this.headers.get(token.toLowerCase());
      if (entry) out.push({ entry, start, end: start + token.length });
      at += part.length + 1;
    }
    return out;
  }

  client(value: string): ActiveEntry | undefined {
    return this.clients.get(value.trim());
  }

  /** Whether any entry names this variable (with or without a value condition). */
  knowsEnv(name: string): boolean {
    return this.env.has(name);
  }

  /**
   * The entry a variable matches. With `value` undefined (the value is not visible, as for
   * a read of process.env.X) only unconditional entries match; value-conditioned entries
   * need the value.
   */
  envEntry(name: string, value: string | undefined): ActiveEntry | undefined {
    const entries = this.env.get(name);
    if (!entries) return undefined;
    return entries.find((e) => (e.when ? valueMatches(e.when.values, value) : true));
  }
}

/** An HTTP header field name (RFC 9110 token). */
const HEADER_TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

function squash(name: string): string {
  // Names only (env names and the needles): a file's text is searched without this copy (SquashedSearch).
  return name.replace(/[^A-Za-z0-9]+/g, '').toUpperCase();
}

const matchers = new WeakMap<PackSet, PackMatcher>();

export function matcherFor(set: PackSet): PackMatcher {
  let m = matchers.get(set);
  if (!m) matchers.set(set, (m = new PackMatcher(set)));
  return m;
}

export function replacements(e: ActiveEntry): string[] {
  if (e.replacement === undefined || e.replacement === null) return [];
  return Array.isArray(e.replacement) ? e.replacement : [e.replacement];
}

const or = (xs: string[]): string => (xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} or ${xs.at(-1)}`);

function changed(e: ActiveEntry): string {
  const where = `${e.platform} ${e.version}`;
  if (e.status === 'deprecated')
    return `is deprecated since ${where}${e.removedIn ? ` and rejected from ${e.removedIn}` : ''}`;
  if (e.status === 'renamed') return `was renamed in ${where}`;
  return `was removed in ${where}`;
}

/**
 * The rule's message id and data for a matched entry (the words are in rules/no-removed-api.ts,
 * no-deprecated-env.ts and no-deprecated-header.ts). `subject` is how the code or file spells it.
 */
export function findingFor(e: ActiveEntry, subject: string): { messageId: string; data: Record<string, string> } {
  const reps = replacements(e);
  // `name` is the entry's: the pack rules' `allow` option matches it.
  const data = {
    ...{ subject, name: e.name, changed: changed(e), reason: e.reason },
    ...{ replacement: or(reps), pack: e.pack, source: e.source },
  };
  // With a replacement the fix names it; without one the fix is to remove the use.
  const replaced = reps.length > 0;
  switch (e.kind) {
    case 'api':
      return { messageId: replaced ? 'replacedApi' : 'removedApi', data };
    case 'header':
      return { messageId: 'deprecatedHeader', data };
    case 'client':
      return { messageId: replaced ? 'replacedClient' : 'removedClient', data };
    case 'field':
      return { messageId: 'payloadField', data };
    case 'env':
      if (e.status === 'requires') {
        return { messageId: 'missingRequired', data: { ...data, requires: e.requires ?? '' } };
      }
      return { messageId: replaced ? 'replacedEnv' : 'removedEnv', data };
  }
}

export function ruleOf(e: ActiveEntry): PackRuleId {
  return ruleFor(e.kind);
}
