import fs from 'node:fs';
import path from 'node:path';
import { resolveAnalysisConfig } from '../analysis/config.js';
import { configNameIn, loadConfig } from '../config/load.js';
import { deploymentFor, modelFor } from './lint-analysis.js';
import type { BuildRequest } from './background-build.js';
import { readStatus, writeStatus, type BuildStatus, type WholeBuildRequest } from './cli-build.js';
import { projectFindings, resetProjectIndexes } from './project-index.js';
import { cpuMs } from './recheck.js';

// The project index built in a child process: for an editor (background-build.ts), the linted file's project query
// without a time budget; for the command line (cli-build.ts, `whole`), the whole project's verdicts, with its progress
// and its end in the status file the lint process waits on. Either way written to the index on disk.

const requestFile = process.argv[2];
if (requestFile) {
  let request: BuildRequest | WholeBuildRequest | undefined;
  try {
    request = JSON.parse(fs.readFileSync(requestFile, 'utf8')) as BuildRequest | WholeBuildRequest;
    const whole = 'whole' in request ? request : undefined;
    const progress = whole ? heartbeat(whole.statusFile) : undefined;
    const loaded = loadConfig({ start: path.dirname(request.file) });
    // The linter's own model (its input cache): the same content, so the same keys in the index.
    const model = modelFor(loaded);
    const configFile = configNameIn(loaded.dir, loaded);
    const deployment = deploymentFor(model, loaded);
    const config = resolveAnalysisConfig(model, loaded.config, {
      strict: request.strict,
      ...(configFile ? { configFile } : {}),
      deployment: { root: loaded.dir, roles: deployment },
    });
    projectFindings({
      loaded,
      model,
      config,
      deployment,
      file: request.file,
      text: request.text,
      budgetMs: Infinity,
      ...(whole ? { wholeProject: true, progress } : {}),
    });
    resetProjectIndexes(); // writes the index
    if (whole) update(whole.statusFile, { state: 'done', cpuMs: Math.round(cpuMs()) });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // The parent reads the last line (background-build.ts) or the status (cli-build.ts) and reports it with the sites
    // that waited.
    process.stderr.write(`\nthe build failed: ${message}\n`);
    if (request && 'whole' in request) update(request.statusFile, { state: 'failed', reason: message });
    process.exitCode = 1;
  } finally {
    // The editor's request has a folder of its own; the command line's sits in the cache folder.
    if (request && 'whole' in request) fs.rmSync(requestFile, { force: true });
    else fs.rmSync(path.dirname(requestFile), { recursive: true, force: true });
  }
}

function update(statusFile: string, change: Partial<BuildStatus>): void {
  try {
    const status = readStatus(statusFile) ?? { owner: 0, started: Date.now(), state: 'running', beat: Date.now() };
    writeStatus(statusFile, { ...status, pid: process.pid, beat: Date.now(), ...change });
  } catch {
    // the parent's stall timeout ends its wait
  }
}

/**
 * Shows progress in the status file, at most once a second (the index calls it per file it lists, reads or
 * analyses).
 */
function heartbeat(statusFile: string): () => void {
  let last = 0;
  update(statusFile, {});
  return () => {
    const now = Date.now();
    if (now - last < 1000) return;
    last = now;
    update(statusFile, {});
  };
}
