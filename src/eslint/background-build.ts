import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PACKAGE_ROOT } from '../version.js';

// Starts the project index build in a detached child (index-builder.ts), the way the schema
// replay runs in a child (src/schema/run-worker.ts), but without waiting for it: a rule must
// return within its budget. The request (the linted file's possibly unsaved text) travels in
// a temporary file the child deletes.

export interface BuildRequest {
  file: string;
  text: string;
  strict: boolean;
}

export function startBuilder(request: BuildRequest): void {
  try {
    const fromSource = import.meta.url.endsWith('.ts');
    const builder = fileURLToPath(new URL(fromSource ? './index-builder.ts' : './index-builder.js', import.meta.url));
    const requestFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rls-guard-build-')), 'request.json');
    fs.writeFileSync(requestFile, JSON.stringify(request));
    const child = spawn(process.execPath, [...(fromSource ? ['--import', 'tsx'] : []), builder, requestFile], {
      cwd: PACKAGE_ROOT || process.cwd(),
      detached: true,
      stdio: 'ignore',
    });
    child.on('error', () => undefined); // no node to start: the lints go on building within their budget
    child.unref();
  } catch {
    // a read-only temp folder: the lints go on building within their budget
  }
}
