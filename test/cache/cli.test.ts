import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { untimed } from '../support/fixture-apps.js';

// The CLI's side of sharding: shards written as JSON, merged back into the unsharded report
// with its exit code; a merge that is not every shard of one audit exactly once is refused
// (exit 2, saying what is wrong).

const APP = path.resolve(import.meta.dirname, '../../fixtures/example-app');
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-shards-'));
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));
const base = ['--no-cache', '--schema-source', 'static', '--quiet'];
const shard = (spec: string, ...extra: string[]): string => {
  const file = path.join(out, `${spec.replace('/', 'of')}${extra.join('')}.json`);
  runCli(['audit', APP, ...base, ...extra, '--shard', spec, '--format', `json=${file}`]);
  return file;
};

describe('rls-guard audit --shard and rls-guard merge', () => {
  it('merges the shards into the unsharded report, with its exit code', () => {
    const whole = runCli(['audit', APP, ...base, '--format', 'json']);
    const files = ['1/3', '2/3', '3/3'].map((s) => shard(s));
    const merged = runCli(['merge', ...files.reverse()]);
    expect(merged.code).toBe(whole.code);
    expect(whole.code).toBe(1);
    expect(untimed(JSON.parse(merged.stdout))).toBe(untimed(JSON.parse(whole.stdout)));
    const text = runCli(['merge', ...files, '--format', 'text']);
    expect(text.stdout).toContain('no-unscoped-write');
  });

  it('refuses a shard given twice, a missing shard, a report that is not a shard, and shards of different audits', () => {
    const [a, b] = [shard('1/2'), shard('2/2')];
    const strict = shard('2/2', '--strict');
    const twice = runCli(['merge', a, a]);
    expect(twice).toMatchObject({ code: 2 });
    expect(twice.stderr).toContain('shard 1/2 is given twice');
    expect(runCli(['merge', a]).stderr).toContain('missing shard 2/2');
    expect(runCli(['merge', a, strict]).stderr).toContain('not shards of one audit');
    expect(runCli(['merge', a, shard('2/3')]).stderr).toContain('share n');
    const whole = path.join(out, 'whole.json');
    runCli(['audit', APP, ...base, '--format', `json=${whole}`]);
    expect(runCli(['merge', whole, b]).stderr).toContain("is not a shard's report");
    const broken = path.join(out, 'broken.json');
    fs.writeFileSync(broken, '{"partial": ');
    expect(runCli(['merge', a, broken])).toMatchObject({ code: 2 });
    expect(runCli(['audit', APP, ...base, '--shard', '3/2']).code).toBe(2);
    expect(runCli(['audit', APP, '--schema-source', 'static', '--cache', '--cache-location', path.join(out, 'cache'), '--format', 'json']).code).toBe(1);
    expect(fs.readdirSync(path.join(out, 'cache')).sort()).toEqual([expect.stringMatching(/^audit-.*\.jsonl$/), expect.stringMatching(/^inputs-.*\.jsonl$/)]);
    // On by default: neither --cache nor --no-cache given, the cache is written.
    runCli(['audit', APP, '--schema-source', 'static', '--quiet', '--cache-location', path.join(out, 'default'), '--format', 'json']);
    expect(fs.readdirSync(path.join(out, 'default'))).toHaveLength(2);
    expect(runCli(['audit', APP, ...base, '--shard', '1/2', '--changed-since', 'HEAD']).stderr).toContain('cannot be used together');
  });
});
