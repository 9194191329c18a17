import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runCli as run } from './support/cli.js';
import { BaselineError, createBaseline, matchBaseline, parseBaseline, pruneBaseline, serializeBaseline } from '../src/report/baseline.js';
import type { Finding } from '../src/report/types.js';
import { auditSync } from '../src/walker/audit.js';
import { SCHEMA, writeProject } from './support/project.js';


const finding = (file: string, ruleId: string, fingerprint: string, line = 1): Finding => ({
  file, ruleId, fingerprint, line, column: 1, endLine: line, endColumn: 2, severity: 'error', message: 'm',
});

// A small app: each entry becomes a function whose write runs on the pool (unscoped).
const POOL = "import { Pool } from 'pg';\nexport const pool = new Pool();\n";
function service(fns: string[]): string {
  return `import { pool } from './db';\n\n${fns.map((f) => `export async function ${f}(id: string) {\n  await pool.query('DELETE FROM projects WHERE id = $1', [id]);\n}\n`).join('\n')}`;
}

describe('baseline file', () => {
  it('is sorted, counts findings per file and rule, and holds no line numbers', () => {
    const b = createBaseline([finding('src/b.ts', 'no-unscoped-write', 'bb', 40), finding('src/a.ts', 'no-unscoped-write', 'a2', 9), finding('src/a.ts', 'no-unscoped-write', 'a1', 3), finding('src/a.ts', 'no-unresolved-write', 'a3', 7)]);
    const text = serializeBaseline(b);
    expect(JSON.parse(text)).toEqual({
      version: 1,
      files: {
        'src/a.ts': { 'no-unresolved-write': { count: 1, fingerprints: ['a3'] }, 'no-unscoped-write': { count: 2, fingerprints: ['a1', 'a2'] } },
        'src/b.ts': { 'no-unscoped-write': { count: 1, fingerprints: ['bb'] } },
      },
    });
    expect(text).not.toMatch(/"line"|\b40\b|\b9\b/);
  });

  it('serializes the same findings identically whatever their order', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ file: fc.constantFrom('a.ts', 'b.ts', 'c/d.ts'), ruleId: fc.constantFrom('no-unscoped-write', 'no-unresolved-write'), fingerprint: fc.stringMatching(/^[0-9a-f]{4,8}$/) })), (refs) => {
        const shuffled = [...refs].reverse();
        expect(serializeBaseline(createBaseline(refs))).toBe(serializeBaseline(createBaseline(shuffled)));
        expect(parseBaseline(JSON.parse(serializeBaseline(createBaseline(refs))), 'b.json')).toEqual(createBaseline(refs));
      }),
    );
  });

  it('keeps a file named like an object property a file', () => {
    const b = parseBaseline(JSON.parse('{ "version": 1, "files": { "__proto__": { "no-unscoped-write": { "count": 1, "fingerprints": ["ab"] } } } }'), 'b.json');
    expect(Object.keys(b.files)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>)['no-unscoped-write']).toBeUndefined();
    expect(matchBaseline([finding('__proto__', 'no-unscoped-write', 'ab')], b, 'b.json').fresh).toEqual([]);
  });

  it('names the path to a bad value', () => {
    expect(() => parseBaseline({ version: 1, files: { 'a.ts': { 'no-unscoped-write': { fingerprints: [1] } } } }, 'b.json')).toThrow(BaselineError);
    expect(() => parseBaseline({ version: 1, files: { 'a.ts': { 'no-unscoped-write': { fingerprints: [1] } } } }, 'b.json')).toThrow('b.json: files["a.ts"]["no-unscoped-write"].fingerprints must be an array of strings');
    expect(() => parseBaseline({ version: 2, files: {} }, 'b.json')).toThrow('version must be 1');
    expect(() => parseBaseline([], 'b.json')).toThrow('must be a JSON object');
  });

  it('reads any JSON as a baseline or rejects it with a BaselineError, never crashing', () => {
    const entry = fc.record({ count: fc.jsonValue(), fingerprints: fc.oneof(fc.array(fc.string()), fc.jsonValue()) }, { requiredKeys: [] });
    const baselineLike = fc.record({ version: fc.oneof(fc.constant(1), fc.jsonValue()), files: fc.oneof(fc.dictionary(fc.string(), fc.dictionary(fc.string(), fc.oneof(entry, fc.jsonValue()))), fc.jsonValue()) }, { requiredKeys: [] });
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), baselineLike), (value) => {
        try {
          const b = parseBaseline(value, 'b.json');
          expect(parseBaseline(JSON.parse(serializeBaseline(b)), 'b.json')).toEqual(b);
        } catch (error) {
          expect(error).toBeInstanceOf(BaselineError);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('hides each recorded finding once, reports stale entries, and prunes only those', () => {
    const base = createBaseline([finding('a.ts', 'no-unscoped-write', 'x'), finding('a.ts', 'no-unscoped-write', 'gone'), finding('b.ts', 'no-unscoped-write', 'x')]);
    const { fresh, outcome } = matchBaseline([finding('a.ts', 'no-unscoped-write', 'x'), finding('a.ts', 'no-unscoped-write', 'new'), finding('a.ts', 'no-unresolved-write', 'x')], base, 'b.json');
    expect(fresh.map((f) => `${f.ruleId}:${f.fingerprint}`)).toEqual(['no-unscoped-write:new', 'no-unresolved-write:x']);
    expect(outcome.hidden.map((f) => f.fingerprint)).toEqual(['x']);
    expect(outcome.stale).toEqual([{ file: 'a.ts', ruleId: 'no-unscoped-write', fingerprint: 'gone' }, { file: 'b.ts', ruleId: 'no-unscoped-write', fingerprint: 'x' }]);
    expect(pruneBaseline(base, outcome.stale)).toEqual(createBaseline([finding('a.ts', 'no-unscoped-write', 'x')]));
  });
});

// These apps only ever write unscoped, so nothing in them sets the org setting; say that
// something outside does, so the findings are the writes alone.
const CONFIG = '{ "contextSettings": ["app.current_org_id"] }';

describe('fingerprints', () => {
  it('survive lines inserted above a write', () => {
    const fns = ['purge', 'archive', 'reset'];
    const dir = writeProject({ 'db/schema.sql': SCHEMA, 'src/db.ts': POOL, 'src/jobs.ts': service(fns), 'rls-guard.config.json': CONFIG });
    const before = auditSync({ paths: [dir], types: false }).findings.map((f) => `${f.ruleId}:${f.fingerprint}`).sort();
    expect(before).toHaveLength(3);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.constantFrom('', '// a comment', 'const unrelated = 1;', 'export function other() { return 2; }')), { minLength: 1, maxLength: 4 }), (inserts) => {
        const lines = service(fns).split('\n');
        // Insert only where a statement may begin: the file's top-level line boundaries.
        const boundaries = lines.map((l, i) => (i === 0 || /^(export|$)/.test(l) ? i : -1)).filter((i) => i > 0);
        for (const [n, text] of inserts) lines.splice(boundaries[n % boundaries.length]!, 0, text);
        fs.writeFileSync(path.join(dir, 'src/jobs.ts'), lines.join('\n'));
        const after = auditSync({ paths: [dir], types: false });
        expect(after.findings.map((f) => `${f.ruleId}:${f.fingerprint}`).sort()).toEqual(before);
      }),
      { numRuns: 12 },
    );
  });
});

describe('rls-guard audit --baseline', () => {
  it('round trip: write, a new unscoped write fails alone, moved lines stay hidden, prune after fixing', () => {
    const dir = writeProject({ 'db/schema.sql': SCHEMA, 'src/db.ts': POOL, 'src/jobs.ts': service(['purge', 'archive']), 'rls-guard.config.json': CONFIG });
    const baseline = path.join(dir, 'rls-guard.baseline.json');

    const written = run(['audit', dir, '--write-baseline', baseline]);
    expect(written.code).toBe(0);
    expect(written.stderr).toContain('wrote 2 findings to the baseline');
    expect(JSON.parse(fs.readFileSync(baseline, 'utf8')).files['src/jobs.ts']['no-unscoped-write'].count).toBe(2);
    expect(run(['audit', dir, '--baseline', baseline]).code).toBe(0);

    // A new unscoped write, and unrelated lines above the old ones.
    fs.writeFileSync(path.join(dir, 'src/jobs.ts'), `// moved down\n\n${service(['purge', 'archive'])}`);
    fs.writeFileSync(path.join(dir, 'src/billing.ts'), service(['refund']));
    const failing = run(['audit', dir, '--baseline', baseline, '--format', 'json']);
    expect(failing.code).toBe(1);
    const report = JSON.parse(failing.stdout);
    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]).toMatchObject({ ruleId: 'no-unscoped-write', file: 'src/billing.ts', line: 4 });
    expect(report.summary).toMatchObject({ errors: 1, baselined: 2 });
    const text = run(['audit', dir, '--baseline', baseline]);
    expect(text.stdout).toContain('1 error, 0 warnings, 2 hidden by the baseline');

    // Fix the new write and one of the old ones: the baseline reports the stale entry, prune drops it.
    fs.rmSync(path.join(dir, 'src/billing.ts'));
    fs.writeFileSync(path.join(dir, 'src/jobs.ts'), service(['purge']));
    const stale = run(['audit', dir, '--baseline', baseline]);
    expect(stale.code).toBe(0);
    expect(stale.stdout).toContain('1 baseline entry no longer occurs (fixed)');
    const pruned = run(['audit', dir, '--baseline', baseline, '--prune-baseline']);
    expect(pruned.code).toBe(0);
    expect(pruned.stderr).toContain('pruned 1 fixed entry');
    const after = JSON.parse(fs.readFileSync(baseline, 'utf8'));
    expect(after.files['src/jobs.ts']['no-unscoped-write'].count).toBe(1);
    expect(run(['audit', dir, '--baseline', baseline]).stdout).not.toContain('no longer occur');
  });

  it('fails the run with exit 2 on a missing or malformed baseline, and on contradictory flags', () => {
    const dir = writeProject({ 'db/schema.sql': SCHEMA, 'src/db.ts': POOL });
    expect(run(['audit', dir, '--baseline', path.join(dir, 'nope.json')])).toMatchObject({ code: 2, stderr: expect.stringContaining('create one with --write-baseline') });
    fs.writeFileSync(path.join(dir, 'bad.json'), '{ "version": 1, "files": [] }');
    expect(run(['audit', dir, '--baseline', path.join(dir, 'bad.json')])).toMatchObject({ code: 2, stderr: expect.stringContaining('files must be an object') });
    expect(run(['audit', dir, '--prune-baseline'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--prune-baseline needs --baseline') });
  });
});
