import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { escapeData, github, writeStepSummary } from '../../src/formatters/github.js';
import { gitlab } from '../../src/formatters/gitlab.js';
import { markdown } from '../../src/formatters/markdown.js';
import { applyBaseline, createBaseline } from '../../src/report/baseline.js';
import { exampleReport, options } from './example.js';

describe('github formatter', () => {
  it('writes one workflow command per finding, with file, line, column and title', () => {
    const report = exampleReport();
    const lines = github(report, options).trimEnd().split('\n');
    const commands = lines.filter((l) => /^::(error|warning) /.test(l));
    expect(commands).toHaveLength(report.findings.length);
    expect(commands.filter((l) => l.startsWith('::error '))).toHaveLength(report.summary.errors);
    const notes = commands.find((l) => l.includes('file=fixtures/example-app/src/services/notes.ts,line=25,'))!;
    expect(notes).toMatch(/^::error file=fixtures\/example-app\/src\/services\/notes\.ts,line=25,col=\d+,(endColumn=\d+,)?endLine=25,title=rls-guard no-unscoped-write::DELETE on public\.notes/);
    expect(lines.at(-1)).toMatch(/^::notice title=rls-guard::18 errors, 8 warnings; write-path coverage 62\.3%25 \(33\/53\)$/);
  });

  it('escapes what would end a command early', () => {
    expect(escapeData('100% done\r\nnext')).toBe('100%25 done%0D%0Anext');
    const report = { ...exampleReport(), findings: [{ ...exampleReport().findings[0]!, message: 'a\nb: c, d' }] };
    const line = github(report, options).split('\n')[0]!;
    expect(line.endsWith('::a%0Ab: c, d')).toBe(true);
    expect(line.split('\n')).toHaveLength(1);
  });

  it('appends the markdown summary to $GITHUB_STEP_SUMMARY when the job has one', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-summary-')), 'summary.md');
    fs.writeFileSync(file, '# earlier step\n');
    expect(writeStepSummary(exampleReport(), options, { GITHUB_STEP_SUMMARY: file })).toBe(true);
    const text = fs.readFileSync(file, 'utf8');
    expect(text.startsWith('# earlier step\n### ❌ rls-guard: 18 errors, 8 warnings')).toBe(true);
    expect(writeStepSummary(exampleReport(), options, {})).toBe(false);
  });
});

describe('gitlab formatter', () => {
  it('writes Code Quality issues with unique, line-independent fingerprints', () => {
    const report = exampleReport();
    const issues = JSON.parse(gitlab(report, options)) as { check_name: string; severity: string; fingerprint: string; description: string; location: { path: string; lines: { begin: number } } }[];
    expect(issues).toHaveLength(report.findings.length);
    expect(new Set(issues.map((i) => i.fingerprint)).size).toBe(issues.length);
    for (const i of issues) {
      expect(['major', 'minor']).toContain(i.severity);
      expect(i.location.path).toMatch(/^fixtures\/example-app\/(src|db\/migrations)\//);
      expect(i.description.length).toBeGreaterThan(20);
    }
    const unresolved = issues.filter((i) => i.check_name === 'no-unresolved-write');
    expect(unresolved.length).toBe(3);
    expect(unresolved.every((i) => i.severity === 'minor')).toBe(true);
    expect(issues.find((i) => i.location.path.endsWith('notes.ts') && i.location.lines.begin === 25)?.severity).toBe('major');
  });
});

describe('markdown formatter', () => {
  it('summarises findings, coverage per table and what is suppressed', () => {
    const md = markdown(exampleReport(), options);
    expect(md).toContain('### ❌ rls-guard: 18 errors, 8 warnings');
    expect(md).toContain('**Write-path coverage 62.3%**: 33 of 53 writes to RLS-gated tables run in org context');
    expect(md).toContain('#### Findings (26)');
    expect(md).toMatch(/- ❌ `fixtures\/example-app\/src\/services\/notes\.ts:25` \[no-unscoped-write\]\(\S+\/docs\/rules\/no-unscoped-write\.md\): DELETE on public\.notes/);
    expect(md).toMatch(/\| `public\.notes` \| \d+ \| \d+ \| 0 \| 0 \| \d+ \| 0 \| \d+\.\d%/);
    expect(md).toContain('| **All gated write paths** | **53** |');
    expect(md).toContain('1 finding suppressed inline with a reason.');
    expect(md).not.toContain('Hidden by the baseline');
  });

  it('says what the baseline hides and which entries are stale', () => {
    const report = exampleReport();
    const base = createBaseline([...report.findings.filter((f) => f.severity === 'error').slice(0, 3), { file: 'src/gone.ts', ruleId: 'no-unscoped-write', fingerprint: 'ffffffffffffffffffff' }]);
    const md = markdown(applyBaseline(report, base, 'rls-guard.baseline.json'), options);
    expect(md).toContain('#### New findings (23)');
    expect(md).toContain('the baseline hides 3 known findings');
    expect(md).toContain('The baseline `rls-guard.baseline.json` hides 3 known findings (3 errors, 0 warnings)');
    expect(md).toMatch(/\| `fixtures\/example-app\/src\/jobs\/import\.ts` \| no-unscoped-write \| \d \|/);
    expect(md).toContain('1 baseline entry no longer occurs (fixed)');
  });

  it('keeps table cells and list items intact when messages hold markdown characters', () => {
    const error = exampleReport().findings.find((f) => f.severity === 'error')!;
    const report = { ...exampleReport(), findings: [{ ...error, message: 'a | b\n* c' }] };
    const line = markdown(report, options).split('\n').find((l) => l.startsWith('- ❌'))!;
    expect(line.endsWith('a \\| b \\* c')).toBe(true);
    // Backslashes are literal in code spans: `api_keys` must not become `api\_keys` there.
    const spans = { ...exampleReport(), findings: [{ ...error, message: 'run `ALTER TABLE public.api_keys FORCE` on table_x' }] };
    expect(markdown(spans, options)).toContain('run `ALTER TABLE public.api_keys FORCE` on table\\_x');
  });
});
