import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { auditSync } from '../../src/walker/audit.js';

// A named helper whose callback gets a connection rls-guard cannot trace (supabase/storage's `runQuery(name, fn)`,
// its `tnx` behind the repository's executor interfaces; fixtures/writes/elevated-store is that shape) says which
// config entry declares it, and that entry, taken from the message as it is, decides the write.

const APP = path.resolve(import.meta.dirname, '../../fixtures/writes/elevated-store');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('the declaration an untraced helper connection needs', () => {
  it('is named in the evidence, and declaring it as written makes the write org-scoped', () => {
    const report = auditSync({ paths: [APP], types: false, schemaSource: 'static' });
    const site = report.writeSites.find((s) => s.evidence.includes('passed to `runQuery`'))!;
    expect(site.coverage).toBe('unresolved');
    const hint = /declare it: "scopeHelpers": (\[.*\])$/.exec(site.evidence);
    expect(hint?.[1]).toBe('[{ "name": "runQuery", "callbackArg": 0 }]');
    const copy = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-hint-')), 'app');
    dirs.push(path.dirname(copy));
    fs.cpSync(APP, copy, { recursive: true });
    const config = JSON.parse(fs.readFileSync(path.join(copy, 'rls-guard.config.json'), 'utf8'));
    fs.writeFileSync(path.join(copy, 'rls-guard.config.json'), JSON.stringify({ ...config, scopeHelpers: JSON.parse(hint![1]!) }));
    const declared = auditSync({ paths: [copy], types: false, schemaSource: 'static' });
    const after = declared.writeSites.find((s) => s.file === site.file && s.line === site.line)!;
    expect(after.coverage).toBe('org-scope');
  });
});
