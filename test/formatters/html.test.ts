import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { html, htmlData } from '../../src/formatters/html.js';
import { coverageRows } from '../../src/report/coverage.js';
import { exampleReport, options, REPO } from './example.js';

// The HTML report opened in a real headless Chromium (Debian's `chromium`, driven by
// playwright-core). Set UPDATE_SCREENSHOT=1 to refresh docs/img/html-report.png.

function findChromium(): string | null {
  for (const candidate of [process.env.CHROMIUM_PATH, 'chromium', 'chromium-browser', 'google-chrome']) {
    if (!candidate) continue;
    if (path.isAbsolute(candidate)) {
      if (fs.existsSync(candidate)) return candidate;
      continue;
    }
    try {
      return execFileSync('sh', ['-c', `command -v ${candidate}`], { encoding: 'utf8' }).trim() || null;
    } catch {
      // not on PATH
    }
  }
  return null;
}

const CHROMIUM = findChromium();
// Without a browser these tests are reported as skipped (never as passed), and say why.
const WHY_SKIPPED = CHROMIUM ? '' : ' (skipped: no chromium binary on PATH; apt-get install -y chromium, or set CHROMIUM_PATH)';

describe('html formatter: the page', () => {
  it('is one self-contained file: no external scripts, styles, images or fonts', () => {
    const page = html(exampleReport(), options);
    expect(page.startsWith('<!doctype html>')).toBe(true);
    expect(page).not.toMatch(/<(script|link|img|iframe)[^>]+(src|href)=/i);
    expect(page).not.toMatch(/@import|url\(/);
    expect(page).toContain("default-src 'none'");
  });

  it('embeds the sources it drills into, and cannot be broken out of by a file that contains </script>', () => {
    const report = exampleReport();
    const hostile = { ...options, readSource: (file: string) => (file === 'src/services/notes.ts' ? '</script><script>alert(1)</script>' : options.readSource(file)) };
    const page = html(report, hostile);
    expect(page.match(/<\/script>/g)).toHaveLength(2);
    const data = htmlData(report, options);
    expect(Object.keys(data.sources)).toContain('db/migrations/010_notes_and_webhooks.sql');
    expect(data.files.find((f) => f.path === 'src/services/notes.ts')?.counts).toMatchObject({ sites: 3, covered: 2, unscoped: 1 });
    expect(data.folders.map((f) => f.path)).toEqual(expect.arrayContaining(['src', 'src/services', 'src/jobs']));
  });
});

describe.skipIf(!CHROMIUM)(`html formatter in headless Chromium${WHY_SKIPPED}`, () => {
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-html-')), 'report.html');
    fs.writeFileSync(file, html(exampleReport(), options));
    browser = await chromium.launch({ executablePath: CHROMIUM!, args: ['--no-sandbox', '--disable-gpu'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(`file://${file}`);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('shows the totals and coverage per table, folder and file', async () => {
    await expect(page.getByRole('group', { name: 'Write-path coverage' }).innerText()).resolves.toMatch(/62\.3%\s+33 of 53 gated writes/);
    const tables = page.getByRole('table', { name: 'Coverage per table' });
    const notes = coverageRows(exampleReport()).find((r) => r.table === 'public.notes')!;
    expect(notes).toMatchObject({ sites: 4, orgScope: 2, unscoped: 2 });
    await expect(tables.getByRole('row').filter({ hasText: 'public.notes' }).innerText()).resolves.toMatch(/^public\.notes\s+4\s+2\s+0\s+0\s+2\s+0\s+50\.0%$/);
    await expect(page.getByRole('table', { name: 'Coverage per folder' }).getByRole('row').filter({ hasText: 'src/services/' }).count()).resolves.toBe(1);
    await expect(page.getByRole('table', { name: 'Coverage per file' }).getByRole('link').count()).resolves.toBe(exampleReport().writeSites.reduce((s, w) => s.add(w.file), new Set<string>()).size);
    await expect(page.locator('[aria-label=findings] > .finding').count()).resolves.toBe(26);
  });

  it('drills down from a folder to a file with an unscoped write: the site is marked, the finding carries its evidence', async () => {
    await page.getByRole('table', { name: 'Coverage per folder' }).getByRole('link', { name: 'src/services/' }).click();
    await page.waitForSelector('h2:text("src/services/")');
    const services = page.getByRole('table', { name: 'Coverage per file' });
    await expect(services.getByRole('link').allInnerTexts()).resolves.toEqual(['src/services/auth.ts', 'src/services/billing.ts', 'src/services/comments.ts', 'src/services/dynamic.ts', 'src/services/flags.ts', 'src/services/notes.ts', 'src/services/projects.ts']);
    await expect(page.locator('[aria-label=findings] > .finding').count()).resolves.toBe(exampleReport().findings.filter((f) => f.file.startsWith('src/services/')).length);
    await services.getByRole('link', { name: 'src/services/notes.ts' }).click();
    await page.waitForSelector('table[aria-label="source of src/services/notes.ts"]');
    const source = page.getByRole('table', { name: 'source of src/services/notes.ts' });
    // Line 25 is the unscoped DELETE: red, with what a reviewer needs under it.
    await expect(source.locator('#L25').getAttribute('class')).resolves.toContain('unscoped');
    await expect(source.locator('#L25').innerText()).resolves.toContain("alias.query('DELETE FROM notes");
    const note = source.getByRole('row', { name: 'write site at line 25' });
    await expect(note.innerText()).resolves.toMatch(/NOT covered: unscoped\s*DELETE public\.notes: runs on pg Pool created at src\/db\/pool\.ts:3/);
    const finding = source.getByRole('article', { name: 'no-unscoped-write at src/services/notes.ts:25' });
    await expect(finding.innerText()).resolves.toContain('Fix: run it on the executor a scope helper hands its callback');
    // The covered writes in the same file say by what.
    await expect(source.getByRole('row', { name: 'write site at line 11' }).innerText()).resolves.toMatch(/covered: org-scope via withOrgScope/);
    await expect(source.getByRole('row', { name: 'write site at line 19' }).innerText()).resolves.toMatch(/covered: org-scope via transaction set_config/);
    if (process.env.UPDATE_SCREENSHOT) {
      await page.setViewportSize({ width: 1280, height: 1180 });
      await page.evaluate('window.scrollTo(0, 0)');
      await page.screenshot({ path: path.join(REPO, 'docs/img/html-report.png'), fullPage: false });
      await page.setViewportSize({ width: 1280, height: 900 });
    }
    // Following the evidence opens the migration with the gating line in focus.
    await finding.getByRole('link', { name: 'db/migrations/010_notes_and_webhooks.sql:3' }).click();
    await page.waitForSelector('table[aria-label="source of db/migrations/010_notes_and_webhooks.sql"]');
    await expect(page.locator('tr.focus').innerText()).resolves.toMatch(/^3\s+ALTER TABLE notes ENABLE ROW LEVEL SECURITY/i);
    await page.goBack();
    await page.waitForSelector('table[aria-label="source of src/services/notes.ts"]');
  });

  it('made no network request and raised no script error', () => {
    expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
    expect(errors).toEqual([]);
  });
});
