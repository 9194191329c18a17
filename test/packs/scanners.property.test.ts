import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSource } from '../../src/files/source.js';
import { scanDockerfile } from '../../src/packs/deploy/dockerfile.js';
import { scanDotenv } from '../../src/packs/deploy/dotenv.js';
import type { DeployScan, Span } from '../../src/packs/deploy/types.js';
import { maskTemplates, scanYaml } from '../../src/packs/deploy/yaml.js';
import { scanCode } from '../../src/packs/code.js';
import { loadPacks } from '../../src/packs/load.js';
import { matcherFor } from '../../src/packs/matcher.js';

// The deployment scanners read arbitrary files: they never throw, every span they give is
// inside the text, and what they read back is exactly what was written.

const name = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,30}$/);
const value = fc.stringMatching(/^[A-Za-z0-9_./:@-]{1,20}$/);
const vars = fc.uniqueArray(fc.tuple(name, value), { minLength: 1, maxLength: 8, selector: ([n]) => n });

/** The text a span covers. */
function at(text: string, s: Span): string {
  const lines = text.split('\n');
  expect(s.line).toBeGreaterThanOrEqual(1);
  expect(s.endLine).toBeLessThanOrEqual(lines.length);
  if (s.line === s.endLine) return lines[s.line - 1]!.slice(s.column - 1, s.endColumn - 1);
  return [lines[s.line - 1]!.slice(s.column - 1), ...lines.slice(s.line, s.endLine - 1), lines[s.endLine - 1]!.slice(0, s.endColumn - 1)].join('\n');
}

function spansInside(text: string, scan: DeployScan): void {
  for (const v of scan.vars) {
    at(text, v.nameSpan);
    if (v.valueSpan) at(text, v.valueSpan);
  }
  for (const v of scan.values) at(text, v.span);
}

describe('deployment scanners on any input', () => {
  it('never throw and keep every span inside the text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300, unit: 'binary' }), (text) => {
        for (const scan of [scanDotenv(text), scanDockerfile(text), scanYaml(text)]) spansInside(text, scan);
      }),
      { numRuns: 300 },
    );
  });

  it('.env: names, values and name positions read back exactly', () => {
    fc.assert(
      fc.property(vars, fc.array(fc.constantFrom('', 'export ', '  '), { minLength: 8, maxLength: 8 }), fc.array(fc.constantFrom('"', "'", ''), { minLength: 8, maxLength: 8 }), (pairs, prefixes, quotes) => {
        const text = pairs.map(([n, v], i) => `# comment ${i}\n${prefixes[i]}${n}=${quotes[i]}${v}${quotes[i]}${quotes[i] ? '' : ' # trailing'}`).join('\n');
        const scan = scanDotenv(text);
        expect(scan.vars.map((v) => [v.name, v.value])).toEqual(pairs);
        for (const v of scan.vars) expect(at(text, v.nameSpan)).toBe(v.name);
      }),
    );
  });

  it('Dockerfile: ENV pairs across continuation lines read back at their physical positions', () => {
    fc.assert(
      fc.property(vars, fc.boolean(), (pairs, arg) => {
        const kw = arg ? 'ARG' : 'ENV';
        const text = `FROM node:20\n${kw} ${pairs.map(([n, v]) => `${n}="${v}"`).join(' \\\n    ')}\nRUN true`;
        const scan = scanDockerfile(text);
        expect(scan.vars.map((v) => [v.name, v.value])).toEqual(pairs);
        for (const v of scan.vars) expect(at(text, v.nameSpan)).toBe(v.name);
      }),
    );
  });

  it('Dockerfile: a heredoc body is RUN input, not instructions; one ARG declares several names', () => {
    const text = 'FROM node:20\nRUN <<EOF\nENV HIDDEN=1\nEOF\nARG A=1 B\nenv LEGACY two words\n';
    const scan = scanDockerfile(text);
    expect(scan.vars.map((v) => [v.name, v.value])).toEqual([['A', '1'], ['B', undefined], ['LEGACY', 'two words']]);
    expect(scan.vars.map((v) => at(text, v.nameSpan))).toEqual(['A', 'B', 'LEGACY']);
    expect(at(text, scan.vars[2]!.valueSpan!)).toBe('two words');
    expect(scanDockerfile('FROM node:20\nENV\n').diagnostics).toEqual(['line 2: ENV without arguments']);
  });

  it('YAML: compose lists, Kubernetes env lists and maps read back at their positions, with templates masked', () => {
    fc.assert(
      fc.property(vars, fc.constantFrom('compose', 'k8s', 'map'), fc.boolean(), (pairs, shape, templated) => {
        const tpl = templated ? '    {{- if .Values.enabled }}\n' : '';
        const body = pairs
          .map(([n, v]) => (shape === 'compose' ? `      - "${n}=${v}"` : shape === 'k8s' ? `      - name: ${n}\n        value: "${v}"` : `      ${n}: "${v}"`))
          .join('\n');
        const text = `services:\n  app:\n${tpl}    environment:\n${body}\n`;
        const scan = scanYaml(text);
        expect(scan.diagnostics).toEqual([]);
        const found = scan.vars.filter((v) => pairs.some(([n]) => n === v.name));
        expect(found.map((v) => [v.name, v.value])).toEqual(pairs);
        for (const v of found) expect(at(text, v.nameSpan)).toBe(v.name);
      }),
    );
  });

  it('masking templates keeps the text length and every newline', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const masked = maskTemplates(text);
        expect(masked.length).toBe(text.length);
        expect([...masked].map((c, i) => (c === '\n') === (text[i] === '\n')).every(Boolean)).toBe(true);
      }),
    );
  });
});

describe('the code scanner on any input', () => {
  const matcher = matcherFor(loadPacks(process.cwd()));
  it('never throws, and every match lies inside the file', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.constantFrom('process.env.', "headers['", 'import { ', "'"), fc.constantFrom('SECURITY_OAUTH2_REALM', 'x-tenant-id', 'WithRLS', 'flowx-platform-authorize'), (noise, lead, token) => {
        const text = `${noise}\n${lead}${token}${noise}`;
        for (const m of scanCode(parseSource('/virtual/fuzz.ts', text), matcher)) {
          expect(m.start).toBeGreaterThanOrEqual(0);
          expect(m.end).toBeLessThanOrEqual(text.length);
        }
      }),
      { numRuns: 200 },
    );
  });
});
