import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';

// Every `rls-guard audit` command the CI guide and the README show runs as written, on a copy of the
// example app, with its output files redirected to a scratch folder.

const REPO = path.resolve(import.meta.dirname, '..');
const EXAMPLE = path.join(REPO, 'fixtures/example-app');

function documentedCommands(file: string): string[][] {
  const text = fs.readFileSync(path.join(REPO, file), 'utf8');
  // Command lines only (in code blocks or YAML steps), not mentions in the prose.
  // A sharded job's CI variables become the first of its shards.
  const ci = (line: string): string => line.replace(/\$\{\{ matrix\.shard \}\}/g, '1').replace(/\$CI_NODE_INDEX/g, '1').replace(/\$CI_NODE_TOTAL/g, '4');
  return [...text.matchAll(/^\s*(?:-\s+)?(?:run:\s+)?npx rls-guard (audit[^\n#]*)/gm)].map((m) => ci(m[1]!.trim()).split(/\s+/));
}

const TAKES_VALUE = new Set(['--format', '-f', '--output', '-o', '--baseline', '--write-baseline', '--fail-on', '--max-warnings', '--config', '-c', '--changed-since', '--shard', '--cache-location']);

/** The copy as a git checkout whose `ref` (origin/main in the docs) is its first commit, and one file changed since. */
function asCheckout(app: string, ref: string): void {
  const git = (...args: string[]): string => execFileSync('git', ['-c', 'user.name=docs', '-c', 'user.email=docs@example.com', ...args], { cwd: app, encoding: 'utf8' });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-qm', 'base');
  git('update-ref', ref.includes('/') ? `refs/remotes/${ref}` : `refs/heads/${ref}`, 'HEAD');
  fs.appendFileSync(path.join(app, 'src/db/pool.ts'), '\n');
}

describe.each(['docs/ci.md', 'README.md'])('%s', (doc) => {
  const commands = documentedCommands(doc);

  it('shows the commands it explains', () => {
    expect(commands.length).toBeGreaterThanOrEqual(4);
    expect(commands.some((c) => c.includes('--prune-baseline'))).toBe(true);
  });

  it.each(commands.map((c) => [c.join(' '), c]))('%s', (_, args) => {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-docs-'));
    const app = path.join(scratch, 'app');
    fs.cpSync(EXAMPLE, app, { recursive: true });
    const baseline = path.join(scratch, 'rls-guard.baseline.json');
    // The documented paths become the example app's copy.
    const withoutPaths = (args as string[]).filter((a, i, all) => a.startsWith('-') || TAKES_VALUE.has(all[i - 1]!) || i === 0);
    const rewritten = withoutPaths.map((a, i, all) => {
      if (all[i - 1] === '--baseline' || all[i - 1] === '--write-baseline') return baseline;
      const eq = a.indexOf('=');
      if (all[i - 1] === '--format' && eq > 0) return `${a.slice(0, eq)}=${path.join(scratch, a.slice(eq + 1))}`;
      return a;
    });
    const since = rewritten.indexOf('--changed-since');
    if (since >= 0) asCheckout(app, rewritten[since + 1]!);
    if (rewritten.includes('--baseline')) expect(runCli(['audit', app, '--write-baseline', baseline]).code).toBe(0);
    const r = runCli([...rewritten, app], { env: { GITHUB_STEP_SUMMARY: path.join(scratch, 'summary.md') } });
    expect(r.stderr).not.toMatch(/rls-guard: (?!wrote|pruned)/);
    expect([0, 1]).toContain(r.code);
  });
});
