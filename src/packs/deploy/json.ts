import { LineIndex, type DeployScan, type DeployValue, type DeployVar, type Span } from './types.js';
import { LIST_KEYS, MASK, listEntry, literal, scanYaml } from './yaml.js';

// JSON deployment files (Heroku app.json, ECS task definitions, a tree's JSON data) read by a
// JSON reader instead of the YAML parser, which reads JSON too but builds a document of
// tokens, nodes and positions for every value: on a repository with data files (a Drizzle
// snapshot, country lists, animations) the YAML reading of JSON was 15 % of an audit's
// allocation. This reader gives exactly the scan the YAML reading gives (the same variables,
// values, spans and diagnostics: test/packs/json-scan.test.ts holds it to scanYaml over
// generated JSON), and hands to scanYaml whatever it does not read itself:
//   - text that is not strict JSON (comments, trailing commas, JSON5, a syntax error): the
//     YAML reading's diagnostics ("read as far as it parses") are the finding there;
//   - Go templates (`{{ … }}`), which the YAML reading masks before parsing;
//   - a carriage return not followed by a line feed (YAML reads it as a line break and a
//     JSON text spanning it differently), a tab before or after the top-level value (YAML
//     indentation, an error there), and nesting deeper than MAX_DEPTH.
// The walk below is scanYaml's visitor restricted to what JSON can hold (every key a
// double-quoted string, no null-less pair, no Spring properties), in yaml's visiting order:
// a map, then each pair, then the pair's value, depth first.

/** Deeper than this, the YAML reading decides (whatever it does with it). */
const MAX_DEPTH = 256;

interface JScalar {
  kind: 'scalar';
  value: string | number | boolean | null;
  /** Offsets of the token (a string's quotes included), as yaml's `range[0]` and `range[1]`. */
  start: number;
  end: number;
  quoted: boolean;
}
interface JPair {
  key: JScalar & { value: string };
  value: JNode;
}
interface JMap {
  kind: 'map';
  pairs: JPair[];
}
interface JSeq {
  kind: 'seq';
  items: JNode[];
}
type JNode = JScalar | JMap | JSeq;

export function scanJson(text: string): DeployScan {
  const tree = readJson(text);
  return tree === undefined ? scanYaml(text) : scanTree(tree, new LineIndex(text));
}

/** The JSON tree with token offsets, or undefined when the YAML reading must decide (see above). */
export function readJson(text: string): JNode | undefined {
  if (text.includes('{{')) return undefined;
  for (let i = text.indexOf('\r'); i !== -1; i = text.indexOf('\r', i + 1)) if (text[i + 1] !== '\n') return undefined;
  try {
    const p = new Reader(text);
    p.space();
    const lead = p.at;
    const node = p.value(0);
    const end = p.at;
    p.space();
    // A tab before or after the top-level value is YAML indentation (an error there); inside a collection it is not.
    if (text.slice(0, lead).includes('\t') || text.slice(end).includes('\t')) return undefined;
    return p.at === text.length ? node : undefined;
  } catch (error) {
    if (error instanceof NotJson) return undefined;
    throw error;
  }
}

class NotJson extends Error {}

const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/y;
const INTEGER = /^-?[0-9]+$/;

class Reader {
  at = 0;
  constructor(private readonly text: string) {}

  space(): void {
    const t = this.text;
    for (;;) {
      const c = t.charCodeAt(this.at);
      if (c === 32 || c === 10 || c === 13 || c === 9) this.at++;
      else return;
    }
  }

  value(depth: number): JNode {
    if (depth > MAX_DEPTH) throw new NotJson();
    this.space();
    const t = this.text;
    const c = t[this.at];
    if (c === '{') {
      this.at++;
      const pairs: JPair[] = [];
      this.space();
      if (t[this.at] === '}') {
        this.at++;
        return { kind: 'map', pairs };
      }
      for (;;) {
        this.space();
        if (t[this.at] !== '"') throw new NotJson();
        const key = this.string() as JPair['key'];
        this.space();
        if (t[this.at++] !== ':') throw new NotJson();
        pairs.push({ key, value: this.value(depth + 1) });
        this.space();
        const next = t[this.at++];
        if (next === '}') return { kind: 'map', pairs };
        if (next !== ',') throw new NotJson();
      }
    }
    if (c === '[') {
      this.at++;
      const items: JNode[] = [];
      this.space();
      if (t[this.at] === ']') {
        this.at++;
        return { kind: 'seq', items };
      }
      for (;;) {
        items.push(this.value(depth + 1));
        this.space();
        const next = t[this.at++];
        if (next === ']') return { kind: 'seq', items };
        if (next !== ',') throw new NotJson();
      }
    }
    if (c === '"') return this.string();
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (t.startsWith(word, this.at)) {
        const start = this.at;
        this.at += word.length;
        return { kind: 'scalar', value, start, end: this.at, quoted: false };
      }
    }
    NUMBER.lastIndex = this.at;
    const m = NUMBER.exec(t);
    if (!m) throw new NotJson();
    const start = this.at;
    this.at += m[0].length;
    // yaml's core schema: an integer by parseInt, anything else by parseFloat.
    const value = INTEGER.test(m[0]) ? parseInt(m[0], 10) : parseFloat(m[0]);
    return { kind: 'scalar', value, start, end: this.at, quoted: false };
  }

  string(): JScalar & { value: string } {
    const t = this.text;
    const start = this.at;
    let i = start + 1;
    for (;;) {
      const c = t.charCodeAt(i);
      if (Number.isNaN(c) || c < 0x20) throw new NotJson();
      if (c === 34) break;
      if (c === 92) i++;
      i++;
    }
    this.at = i + 1;
    let value: string;
    try {
      value = JSON.parse(t.slice(start, this.at)) as string;
    } catch {
      throw new NotJson();
    }
    return { kind: 'scalar', value, start, end: this.at, quoted: true };
  }
}

/** scanYaml's visitor over the JSON tree: the same variables and values in the same order. */
function scanTree(root: JNode, lines: LineIndex): DeployScan {
  const vars: DeployVar[] = [];
  const values: DeployValue[] = [];
  const nodeSpan = (n: JScalar): Span => lines.span(n.start, n.end);
  // A quoted scalar's text starts one character after its token.
  const inner = (s: JScalar): number => s.start + (s.quoted ? 1 : 0);
  const nameSpan = (s: JScalar & { value: string }): Span => lines.span(inner(s), inner(s) + s.value.length);
  // yaml's YAMLMap.has and get: the first pair with that key.
  const find = (map: JMap, key: string): JPair | undefined => map.pairs.find((p) => p.key.value === key);

  const onMap = (map: JMap): void => {
    // Kubernetes and ECS spell it name/value; CloudFormation Name/Value.
    const key = (k: string): string => (find(map, k) ? k : k[0]!.toUpperCase() + k.slice(1));
    const name = find(map, key('name'))?.value;
    if (name?.kind !== 'scalar' || typeof name.value !== 'string') return;
    const hasValue = !!find(map, key('value'));
    const fromRef = !!find(map, key('valueFrom'));
    if (!hasValue && !fromRef) return;
    const value = find(map, key('value'))?.value;
    const v = value?.kind === 'scalar' ? (value.value === null ? '' : String(value.value)) : undefined;
    vars.push({
      name: name.value,
      ...(v === undefined ? { value: undefined, fromRef } : literal(v)),
      nameSpan: nameSpan(name as JScalar & { value: string }),
      ...(value?.kind === 'scalar' ? { valueSpan: nodeSpan(value) } : {}),
    });
  };

  const onPair = (pair: JPair, parent: JPair | undefined): void => {
    const { key, value: v } = pair;
    values.push({ value: key.value, span: nodeSpan(key) });
    const named = { name: key.value };
    if (v.kind === 'scalar' && v.value === null) {
      // docker-compose `environment: { KEY: }` passes the host's value through: set, unknown.
      const passThrough = parent?.key.value === 'environment';
      vars.push({
        ...named,
        ...(passThrough ? { value: undefined, fromRef: true } : { value: '' }),
        nameSpan: nameSpan(key),
      });
    } else if (v.kind === 'scalar') {
      vars.push({ ...named, ...literal(String(v.value)), nameSpan: nameSpan(key), valueSpan: nodeSpan(v) });
    } else if (v.kind === 'map' && find(v, 'value')) {
      // Heroku app.json and similar: "KEY": { "description": …, "value": … }
      const inner_ = find(v, 'value')!.value;
      const value = inner_.kind === 'scalar' && inner_.value !== null ? String(inner_.value) : '';
      vars.push({
        ...named,
        ...literal(value),
        nameSpan: nameSpan(key),
        ...(inner_.kind === 'scalar' ? { valueSpan: nodeSpan(inner_) } : {}),
      });
    } else if (v.kind === 'seq' && LIST_KEYS.has(key.value.toLowerCase())) {
      for (const item of v.items) if (item.kind === 'scalar' && typeof item.value === 'string') listItem(item);
    }
  };

  const listItem = (item: JScalar): void => {
    const raw = item.value as string;
    const v = listEntry(raw, inner(item), (from, to) => lines.span(from, to));
    if (!v) return;
    vars.push(v);
    const eq = raw.indexOf('=');
    values.push({ value: eq === -1 ? raw : raw.slice(eq + 1), span: nodeSpan(item) });
  };

  const onScalar = (s: JScalar): void => {
    if (s.value === null || String(s.value).includes(MASK)) return;
    values.push({ value: String(s.value), span: nodeSpan(s) });
  };

  // Depth first with an explicit stack, in yaml's order: a map, then each pair (its key is not a value) followed by
  // the pair's value; a pair's parent is the nearest pair around it.
  type Item = { node: JNode; parent: JPair | undefined } | { pair: JPair; parent: JPair | undefined };
  const stack: Item[] = [{ node: root, parent: undefined }];
  while (stack.length) {
    const item = stack.pop()!;
    if ('pair' in item) {
      onPair(item.pair, item.parent);
      stack.push({ node: item.pair.value, parent: item.pair });
      continue;
    }
    const { node, parent } = item;
    if (node.kind === 'scalar') onScalar(node);
    else if (node.kind === 'seq') {
      for (let i = node.items.length - 1; i >= 0; i--) stack.push({ node: node.items[i]!, parent });
    } else {
      onMap(node);
      for (let i = node.pairs.length - 1; i >= 0; i--) stack.push({ pair: node.pairs[i]!, parent });
    }
  }
  return { vars, values, diagnostics: [] };
}
