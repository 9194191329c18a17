import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PACKAGE_ROOT } from '../version.js';

// Starts the project index build in a detached child (index-builder.ts), the way the schema
// replay runs in a child (src/schema/run-worker.ts), but without waiting for it: a rule must
// return within its budget. The request (the linted file's possibly unsaved text) travels in
// a temporary file the child deletes. If the child fails, the lints waiting for it say so
// (and go on building within their own budget).

export interface BuildRequest {
  file: string;
  text: string;
  strict: boolean;
}

/** How a background build ended, when it did not succeed: its exit code or signal, and the last line it printed. */
export type BuildFailure = string;

const running = new Set<number>();

/** The process ids of the background builds still running (tests stop them to check the fallback). */
export function runningBuilds(): number[] {
  return [...running];
}

/**
 * Starts a build; `onFailure` is called if the child exits other than cleanly (an exception,
 * a crash, killed for memory), so the lints that wait for it can say why it will not come.
 */
export function startBuilder(
  request: BuildRequest,
  onFailure: (why: BuildFailure) => void = () => undefined,
): number | undefined {
  try {
    const fromSource = import.meta.url.endsWith('.ts');
    const builder = fileURLToPath(new URL(fromSource ? './index-builder.ts' : './index-builder.js', import.meta.url));
    const requestFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-build-')), 'request.json');
    fs.writeFileSync(requestFile, JSON.stringify(request));
    const child = spawn(process.execPath, [...(fromSource ? ['--import', 'tsx'] : []), builder, requestFile], {
      cwd: PACKAGE_ROOT || process.cwd(),
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    // The last thing it printed says why it failed; the pipe must not keep the linter alive.
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-2000)));
    (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
    if (child.pid !== undefined) running.add(child.pid);
    // no node to start: the lints go on building within their budget
    child.on('error', (error) => onFailure(`it could not start: ${error.message}`));
    child.on('exit', (code, signal) => {
      if (child.pid !== undefined) running.delete(child.pid);
      if (code === 0) return;
      fs.rmSync(path.dirname(requestFile), { recursive: true, force: true }); // it had no chance to

      const said = stderr.trim().split('\n').pop()?.trim();
      onFailure(`${signal ? `it was killed (${signal})` : `it exited with code ${code}`}${said ? `: ${said}` : ''}`);
    });
    child.unref();
    return child.pid;
  } catch (error) {
    // a read-only temp folder: the lints go on building within their budget
    onFailure(`it could not start: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}
