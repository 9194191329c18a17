import type * as Yaml from 'yaml';
import type { Node, Pair, Scalar, YAMLMap } from 'yaml';
import { lazyRequire } from '../../lazy-require.js';
import type { DeployScan, DeployValue, DeployVar, Span } from './types.js';

// YAML (and JSON, which YAML 1.2 reads) with the `yaml` parser's positions. Variables are
// found in every shape deployments use:
//   Helm values / ConfigMaps / compose map form   KEY: value
//   Kubernetes / ECS env lists                    - name: KEY  value: v | valueFrom: …
//   docker-compose list form (environment, args)  - KEY=value
// and every scalar is kept for client ids and header names.

export const LIST_KEYS = new Set(['environment', 'env', 'args', 'envs', 'extraenv', 'extraenvvars', 'build_args']);

export interface YamlOptions {
  /**
   * A Spring Boot config (application.yml): nested keys are properties, bound to env names by Spring's relaxed
   * binding.
   */
  spring?: boolean;
}

const yaml = lazyRequire<typeof Yaml>('yaml');

export function scanYaml(text: string, options: YamlOptions = {}): DeployScan {
  const { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, visit } = yaml();
  const lc = new LineCounter();
  const vars: DeployVar[] = [];
  const values: DeployValue[] = [];
  const diagnostics: string[] = [];
  const span = (start: number, end: number): Span => {
    const a = lc.linePos(start);
    const b = lc.linePos(end);
    return { line: a.line, column: a.col, endLine: b.line, endColumn: b.col };
  };
  const nodeSpan = (n: Node): Span => span(n.range![0], n.range![1]);
  // A quoted scalar's text starts one character after its range.
  const inner = (s: Scalar): number => s.range![0] + (s.type === 'QUOTE_DOUBLE' || s.type === 'QUOTE_SINGLE' ? 1 : 0);

  const docs = parseAllDocuments(maskTemplates(text), { lineCounter: lc, prettyErrors: false, uniqueKeys: false });
  for (const doc of Array.isArray(docs) ? docs : []) {
    for (const e of doc.errors.slice(0, 1)) {
      const at = lc.linePos(e.pos[0]);
      diagnostics.push(`line ${at.line}: YAML error: ${e.message.split('\n')[0]} (read as far as it parses)`);
    }
    visit(doc, {
      Pair(_, pair: Pair, path) {
        const key = pair.key;
        if (!isScalar(key) || typeof key.value !== 'string' || !key.range) return;
        values.push({ value: key.value, span: nodeSpan(key) });
        const v = pair.value;
        const property = options.spring
          ? [...path.filter(isPair).map((p) => (isScalar(p.key) ? String(p.key.value) : '')), key.value].join('.')
          : undefined;
        const named = property ? { name: springEnvName(property), written: property } : { name: key.value };
        if (v === null || (isScalar(v) && (v.value === null || v.value === undefined))) {
          // docker-compose `environment: { KEY: }` passes the host's value through: set, unknown.
          const parentKey = path.filter(isPair).at(-1)?.key;
          const passThrough = isScalar(parentKey) && parentKey.value === 'environment';
          vars.push({
            ...named,
            ...(passThrough ? { value: undefined, fromRef: true } : { value: '' }),
            nameSpan: span(inner(key), inner(key) + key.value.length),
          });
        } else if (isScalar(v) && v.range) {
          const value = String(v.value);
          vars.push({
            ...named,
            ...literal(value),
            nameSpan: span(inner(key), inner(key) + key.value.length),
            valueSpan: nodeSpan(v),
          });
        } else if (isMap(v) && v.has('value')) {
          // Heroku app.json and similar: "KEY": { "description": …, "value": … }
          const inner_ = v.get('value', true);
          const value = isScalar(inner_) && inner_.value !== null ? String(inner_.value) : '';
          vars.push({
            ...named,
            ...literal(value),
            nameSpan: span(inner(key), inner(key) + key.value.length),
            ...(isScalar(inner_) && inner_.range ? { valueSpan: nodeSpan(inner_) } : {}),
          });
        } else if (isSeq(v) && LIST_KEYS.has(key.value.toLowerCase())) {
          for (const item of v.items)
            if (isScalar(item) && typeof item.value === 'string' && item.range) listItem(item);
        }
      },
      Map(_, map: YAMLMap) {
        // Kubernetes and ECS spell it name/value; CloudFormation Name/Value.
        const key = (k: string): string => (map.has(k) ? k : k[0]!.toUpperCase() + k.slice(1));
        const name = map.get(key('name'), true);
        if (!isScalar(name) || typeof name.value !== 'string' || !name.range) return;
        const hasValue = map.has(key('value'));
        const fromRef = map.has(key('valueFrom'));
        if (!hasValue && !fromRef) return;
        const value = map.get(key('value'), true);
        const v = isScalar(value) ? (value.value === null ? '' : String(value.value)) : undefined;
        vars.push({
          name: name.value,
          ...(v === undefined ? { value: undefined, fromRef } : literal(v)),
          nameSpan: span(inner(name), inner(name) + name.value.length),
          ...(isScalar(value) && value.range ? { valueSpan: nodeSpan(value) } : {}),
        });
      },
      Scalar(key, s: Scalar) {
        // Keys are collected with their pair; every other scalar value is kept.
        if (
          key === 'key' ||
          !s.range ||
          (typeof s.value !== 'string' && typeof s.value !== 'number' && typeof s.value !== 'boolean') ||
          String(s.value).includes(MASK)
        )
          return;
        values.push({ value: String(s.value), span: nodeSpan(s) });
      },
    });
  }

  function listItem(item: Scalar): void {
    const raw = item.value as string;
    const v = listEntry(raw, inner(item), span);
    if (!v) return;
    vars.push(v);
    const eq = raw.indexOf('=');
    values.push({ value: eq === -1 ? raw : raw.slice(eq + 1), span: nodeSpan(item) });
  }

  return { vars, values, diagnostics };
}

/**
 * One entry of a list of variables (`- KEY=value`, or `- KEY` passing the host's value through), whose text
 * starts at offset `start`; undefined when it does not name a variable. Shared by the YAML and JSON readings.
 */
export function listEntry(raw: string, start: number, span: (from: number, to: number) => Span): DeployVar | undefined {
  const eq = raw.indexOf('=');
  const name = eq === -1 ? raw : raw.slice(0, eq);
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) return undefined;
  return {
    name,
    // `- KEY` alone passes the variable through from the host: set, value unknown.
    ...(eq === -1 ? { value: undefined, fromRef: true } : literal(raw.slice(eq + 1))),
    nameSpan: span(start, start + name.length),
    ...(eq === -1 ? {} : { valueSpan: span(start + eq + 1, start + raw.length) }),
  };
}

/**
 * Helm and other Go templates are not YAML: `{{ … }}` alone on its lines becomes blanks,
 * and inside a line becomes a placeholder scalar, so every position stays where it was and
 * the YAML around the templates still parses.
 */
export const MASK = '\u00a7';

export function maskTemplates(text: string): string {
  if (!text.includes('{{')) return text;
  let out = '';
  let i = 0;
  for (;;) {
    const open = text.indexOf('{{', i);
    if (open === -1) return out + text.slice(i);
    const close = text.indexOf('}}', open + 2);
    const end = close === -1 ? text.length : close + 2;
    const lineStart = text.lastIndexOf('\n', open - 1) + 1;
    const nl = text.indexOf('\n', end);
    const lineEnd = nl === -1 ? text.length : nl;
    const alone = text.slice(lineStart, open).trim() === '' && text.slice(end, lineEnd).trim() === '';
    const fill = alone ? ' ' : MASK;
    out += text.slice(i, open) + text.slice(open, end).replace(/[^\n]/g, fill);
    i = end;
  }
}

/** A value written by a template is set, but unknown. */
export function literal(value: string): { value: string | undefined; fromRef?: boolean } {
  return value.includes(MASK) ? { value: undefined, fromRef: true } : { value };
}

/**
 * Spring Boot's relaxed binding from a property to its environment variable: security.oauth2.client.client-id →
 * SECURITY_OAUTH2_CLIENT_CLIENTID.
 */
export function springEnvName(property: string): string {
  return property
    .replace(/\[(\d+)\]/g, '_$1')
    .replace(/-/g, '')
    .replace(/\./g, '_')
    .toUpperCase();
}
