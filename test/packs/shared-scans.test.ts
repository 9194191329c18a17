import fc from 'fast-check';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packAudit } from '../../src/packs/audit.js';
import { loadPacks } from '../../src/packs/load.js';
import { matcherFor } from '../../src/packs/matcher.js';
import { platformUse } from '../../src/packs/platform-use.js';
import { writeProject } from '../support/project.js';

// The cold audit reads each deployment file once: the platform check takes the scans the pack pass made. Taking them
// must decide exactly what reading the files again decides; and the pack matcher's one-pass pre-check for "no entry
// named at all" must agree with the search per name it skips.

describe('platform check on the pack pass’s scans', () => {
  it('decides which packs apply as reading every deployment file again does, and takes the scans it is given', () => {
    const root = writeProject({
      'package.json': '{ "name": "app", "dependencies": { "pg": "8" } }',
      'deploy/values.yaml': 'env:\n  - name: FLOWX_PROCESS_ENGINE\n    value: on\n',
      '.env.production': 'AXONFLOW_URL=https://a.example\n',
      'docker/Dockerfile': 'FROM node:20\nENV PORT=3000\n',
      'config/app.json': '{ "LOG_LEVEL": "info" }',
      'packs/mine.json': '{ "$schema": "pack.schema.json", "FLOWX_X": 1 }',
    });
    const packs = loadPacks(root);
    const pass = packAudit({ root, paths: [root], ignore: [], packs, sourceFiles: [] });
    expect([...pass.deployScans!.keys()].map((f) => path.relative(root, f)).sort()).toEqual([
      '.env.production',
      'config/app.json',
      'deploy/values.yaml',
      'docker/Dockerfile',
    ]);
    const fresh = platformUse(packs, root, [root], []);
    const shared = platformUse(packs, root, [root], [], undefined, pass.deployScans);
    expect([...shared.applies].sort()).toEqual([...fresh.applies].sort());
    expect([...shared.evidence]).toEqual([...fresh.evidence]);
    expect(shared.evidence.get('flowx-5.9')).toBe('deploy/values.yaml sets FLOWX_PROCESS_ENGINE');
    // What it is given is what it reads: a scan without the variable shows no platform.
    const blank = new Map(
      [...pass.deployScans!].map(([f, s]) => [f, { ...s, scan: { vars: [], values: [], diagnostics: [] } }]),
    );
    expect(platformUse(packs, root, [root], [], undefined, blank).applies.has('flowx-5.9')).toBe(false);
  });
});

describe('pack matcher pre-check', () => {
  it('says a file may hold a match exactly when the search per name (the definition) says so', () => {
    const packs = loadPacks(path.resolve('.'));
    const m = matcherFor(packs);
    m.mayOccurIn('');
    const needles = (m as unknown as { needles: { name: string; pattern: RegExp | undefined }[] }).needles;
    expect(needles.length).toBeGreaterThan(10);
    const squash = (s: string): string => s.replace(/[^A-Za-z0-9]/g, '').toUpperCase();
    const definition = (text: string): boolean =>
      needles.some((n) => squash(text).includes(n.name) && (!n.pattern || n.pattern.test(text)));
    const names = packs.entries.map((e) => e.name);
    let hits = 0;
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), fc.constantFrom(...names, 'x'), fc.string({ maxLength: 20 }), (a, name, b) => {
        const text = `${a}${name.toLowerCase().split('_').join('-')}${b}`;
        const expected = definition(text);
        if (expected) hits++;
        expect(m.mayOccurIn(text)).toBe(expected);
      }),
      { numRuns: 400 },
    );
    expect(hits).toBeGreaterThan(50);
  });
});
