import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readJson, scanJson } from '../../src/packs/deploy/json.js';
import { scanDeployText } from '../../src/packs/deploy/formats.js';
import { scanYaml } from '../../src/packs/deploy/yaml.js';

// JSON deployment files are read by a JSON reader (src/packs/deploy/json.ts) instead of the YAML
// parser: its scan must be the YAML reading's, variable for variable, value for value, span for
// span, diagnostic for diagnostic, on any JSON text; and what it does not read itself goes to the
// YAML reading.

// Keys the scanner gives a meaning to, beside arbitrary ones.
const key = fc.oneof(
  fc.constantFrom(
    'name', 'Name', 'value', 'Value', 'valueFrom', 'ValueFrom', 'environment', 'env', 'ENV', 'args', 'envs',
    'extraEnv', 'build_args', 'description', 'DATABASE_URL', 'PGUSER', 'secretKeyRef', '',
  ),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
);
// Strings the list forms read (`KEY=value`, `KEY`), the template mask character, escapes and non-BMP text.
const text = fc.oneof(
  fc.constantFrom('DATABASE_URL=postgres://app@db/app', 'PGUSER', 'A=', '=x', 'bad name=1', 'x\u00a7y', 'a\\"b\n\t/'),
  fc.string({ maxLength: 16 }),
  fc.string({ unit: 'binary', maxLength: 10 }),
);
const scalar = fc.oneof(
  text,
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.constantFrom(0, -0, 1e400, 12345678901234567890, 1.5, 100, true, false, null),
);
/** A JSON text of the generated shape: pairs as a list keep duplicate keys, in any layout. */
function render(v: unknown, indent: string, eol: string, depth = 0): string {
  const pad = (d: number): string => (indent ? eol + indent.repeat(d) : '');
  const sep = indent ? ': ' : ':';
  if (isPairs(v)) {
    if (v.pairs.length === 0) return '{}';
    return `{${v.pairs.map(([k, x]) => `${pad(depth + 1)}${JSON.stringify(k)}${sep}${render(x, indent, eol, depth + 1)}`).join(',')}${pad(depth)}}`;
  }
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[${v.map((x) => `${pad(depth + 1)}${render(x, indent, eol, depth + 1)}`).join(',')}${pad(depth)}]`;
  }
  return JSON.stringify(v) ?? 'null';
}
function isPairs(v: unknown): v is { pairs: [string, unknown][] } {
  return typeof v === 'object' && v !== null && 'pairs' in v;
}

// Objects are generated as lists of pairs, so duplicate keys survive into the text.
const shaped = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, tie('a'), tie('o')),
  a: fc.array(tie('v'), { maxLength: 5 }),
  o: fc.array(fc.tuple(key, tie('v')), { maxLength: 6 }).map((pairs) => ({ pairs })),
})).v;
const layout = fc.record({
  indent: fc.constantFrom('', '  ', '\t', ' '),
  eol: fc.constantFrom('\n', '\r\n'),
  lead: fc.constantFrom('', '\n', ' \n\t'),
  trail: fc.constantFrom('', '\n', '\r\n\n'),
});

describe('scanJson', () => {
  it('gives the YAML reading of any JSON text, and reads it itself', () => {
    fc.assert(
      fc.property(shaped, layout, (v, { indent, eol, lead, trail }) => {
        const json = lead + render(v, indent, eol) + trail;
        // The generated text is strict JSON: the JSON reader reads it unless it holds a template or a tab lies outside the
        // top-level value (YAML indentation: the YAML reading decides).
        if (!(lead + trail).includes('\t') && !json.includes('{{')) expect(readJson(json), json).toBeDefined();
        expect(scanJson(json), json).toEqual(scanYaml(json));
      }),
      { numRuns: Number(process.env.JSON_SCAN_RUNS ?? 3000) },
    );
  });

  it('matches on the deployment shapes the packs look for', () => {
    const samples = [
      // Heroku app.json
      '{\n  "env": {\n    "DATABASE_URL": { "description": "db", "value": "postgres://x" },\n    "SECRET": { "required": true }\n  }\n}\n',
      // ECS task definition
      '{"containerDefinitions":[{"environment":[{"name":"PGUSER","value":"app"},{"name":"N","value":5}],"secrets":[{"name":"DB","valueFrom":"arn:x"}]}]}',
      // CloudFormation spelling, compose-like list form, pass-through
      '{"Environment":{"Variables":[{"Name":"A","Value":"b"}]},"environment":{"PASS":null,"BLANK":""},"args":["K=v","ALONE","1bad=x"]}',
      '[1, -0, 1e400, 1.50, 12345678901234567890, true, false, null, "\\ud83d\\ude00 \\u00a7"]',
      '"just a string"',
      '{"a": {"value": null}, "b": {"value": [1]}, "name": "dup", "name": "second", "value": "v"}',
    ];
    for (const json of samples) {
      expect(readJson(json), json).toBeDefined();
      expect(scanJson(json), json).toEqual(scanYaml(json));
    }
    // The reading is not vacuous: the ECS sample's variables are there.
    expect(scanJson(samples[1]!).vars.map((x) => x.name)).toEqual(expect.arrayContaining(['PGUSER', 'N', 'DB']));
  });

  it('hands what is not strict JSON to the YAML reading, diagnostics and all', () => {
    const handed = [
      '{"a": 1,}', // trailing comma
      '// comment\n{"a": 1}',
      '{"image": "{{ .Values.image }}", "env": [{"name": "A", "value": "{{ .Values.a }}"}]}', // a template
      '{"a": 1}\r{"b": 2}', // a lone carriage return
      '{"a": 1} {"b": 2}',
      '{"a": "unterminated}',
      '{"a": "tab\there"}',
      '\ufeff{"a": 1}',
      '',
      '{"a": ' + '['.repeat(400) + ']'.repeat(400) + '}',
      "{'a': 1}",
      '{"a": 01}',
      '{"a": .5}',
      '{"a": NaN}',
      ' \n\t0', // a tab indenting the top-level value
      '{"a": 1}\n\t',
    ];
    for (const json of handed) {
      expect(readJson(json), json).toBeUndefined();
      expect(scanJson(json), json).toEqual(scanYaml(json));
    }
    expect(scanJson('{"a": 1,,}').diagnostics.length).toBeGreaterThan(0);
  });

  it('is what deployment files of the json format are read with', () => {
    const json = '{"env": [{"name": "PGUSER", "value": "app"}]}';
    expect(scanDeployText('json', json)).toEqual(scanJson(json));
    expect(scanDeployText('json', json)).toEqual(scanYaml(json));
  });
});
