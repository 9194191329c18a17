import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, validateConfig } from '../../src/config/load.js';
import { builtinPacks, loadPacks, packEntries } from '../../src/packs/load.js';
import { auditSync } from '../../src/walker/audit.js';
import plugin from '../../src/eslint-plugin.js';
import { severityOf } from '../../rules/index.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-packs-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const entry = { name: 'OLD_VAR', kind: 'env', status: 'removed', replacement: 'NEW_VAR', version: '2.0.0', reason: 'renamed', source: 'https://example.com/guide' };
const pack = (over: Record<string, unknown> = {}, entries: unknown[] = [entry]) => ({ id: 'acme-2', platform: 'Acme', version: '2.0.0', title: 'Acme 2', source: 'https://example.com/guide', entries, ...over });
const write = (name: string, content: unknown): string => {
  fs.writeFileSync(path.join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
  return name;
};

describe('pack loading', () => {
  it('validates the built-in packs and resolves includes for sizes', () => {
    const packs = builtinPacks();
    expect(packs.map((p) => p.id)).toEqual(['axonflow-v8', 'flowx-5.5', 'flowx-5.9']);
    const f59 = packs.find((p) => p.id === 'flowx-5.9')!;
    expect(packEntries(f59, packs).filter((e) => e.status !== 'retained')).toHaveLength(19);
  });

  it('adds a user pack to the built-in ones', () => {
    const set = loadPacks(dir, [write('ok.json', pack())]);
    expect(set.packs.map((p) => p.id)).toContain('acme-2');
    expect(set.entries.find((e) => e.name === 'OLD_VAR')).toMatchObject({ pack: 'acme-2' });
  });

  it("gives no entry a severity of its own: the rule's applies, the one place ESLint's configs read too", () => {
    const header = { ...entry, kind: 'header', name: 'X-Old-Header' };
    const set = loadPacks(dir, [write('dep.json', pack({ id: 'acme-dep' }, [{ ...entry, status: 'deprecated' }, { ...entry, name: 'OTHER', status: 'removed' }, { ...header, status: 'deprecated' }]))]);
    expect(set.entries.filter((e) => e.pack === 'acme-dep').map((e) => 'severity' in e)).toEqual([false, false, false]);
    expect(plugin.configs.recommended.rules?.['rls-guard/no-deprecated-env']).toBe(severityOf('no-deprecated-env', false) === 'error' ? 'error' : 'warn');
  });

  it('refuses a per-entry severity, which ESLint could not honour', () => {
    expect(() => loadPacks(dir, [write('sev.json', pack({ id: 'acme-sev' }, [{ ...entry, severity: 'warning' }]))])).toThrow(/severity/);
  });

  it.each([
    ['a missing field', pack({}, [{ ...entry, reason: undefined }]), /entries\/0 must have required property 'reason'/],
    ['an unknown kind', pack({}, [{ ...entry, kind: 'cookie' }]), /entries\/0\/kind must be equal to one of the allowed values \(api, env, header, client, field\)/],
    ['a requires entry without the variable it requires', pack({}, [{ ...entry, status: 'requires', when: { values: ['true'] } }]), /must have required property 'requires'/],
    ['a field entry without its object pattern', pack({}, [{ ...entry, kind: 'field' }]), /must have required property 'objectPattern'/],
    ['an unknown property', pack({ owner: 'me' }), /must NOT have additional properties/],
    ['a source that is not a link', pack({}, [{ ...entry, source: 'the guide' }]), /entries\/0\/source must match pattern/],
  ])('rejects a pack with %s, naming the file and the field', (_, content, message) => {
    const file = write('bad.json', content);
    expect(() => loadPacks(dir, [file])).toThrow(ConfigError);
    expect(() => loadPacks(dir, [file])).toThrow(message);
    expect(() => loadPacks(dir, [file])).toThrow(path.join(dir, 'bad.json'));
  });

  it('rejects an invalid regular expression, a missing file, a duplicate id and an unknown include', () => {
    expect(() => loadPacks(dir, [write('re.json', pack({}, [{ ...entry, kind: 'field', objectPattern: '(' }]))])).toThrow(/objectPattern is not a valid regular expression/);
    expect(() => loadPacks(dir, ['nope.json'])).toThrow(/no such pack file/);
    expect(() => loadPacks(dir, [write('dup.json', pack({ id: 'flowx-5.5' }))])).toThrow(/two packs have the id "flowx-5.5"/);
    expect(() => loadPacks(dir, [write('inc.json', pack({ id: 'acme-inc', includes: ['acme-1'] }))])).toThrow(/includes unknown pack "acme-1"/);
    expect(() => loadPacks(dir, [write('broken.json', '{ "id": ')])).toThrow(/broken.json: cannot read the pack: invalid JSON at line 1, column 9: the file ends too early/);
  });

  it('checks the config key', () => {
    expect(validateConfig({ packs: ['a.json'] }, 'cfg.json')).toEqual({ packs: ['a.json'] });
    expect(() => validateConfig({ packs: 'a.json' }, 'cfg.json')).toThrow(/packs must be an array/);
  });

  it('makes a bad pack in the config fail the audit as a configuration error', () => {
    const project = fs.mkdtempSync(path.join(dir, 'project-'));
    fs.writeFileSync(path.join(project, 'rls-guard.config.json'), JSON.stringify({ packs: ['missing.json'] }));
    expect(() => auditSync({ paths: [project], types: false })).toThrow(ConfigError);
  });
});
