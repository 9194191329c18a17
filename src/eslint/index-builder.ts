import fs from 'node:fs';
import path from 'node:path';
import { resolveAnalysisConfig } from '../analysis/config.js';
import { loadConfig } from '../config/load.js';
import { modelFor } from './lint-analysis.js';
import type { BuildRequest } from './background-build.js';
import { projectFindings, resetProjectIndexes } from './project-index.js';

// The background build (started by background-build.ts): the linted file's project query
// without a time budget, written to the index on disk for the editor's next lint.

const requestFile = process.argv[2];
if (requestFile) {
  try {
    const request = JSON.parse(fs.readFileSync(requestFile, 'utf8')) as BuildRequest;
    const loaded = loadConfig({ start: path.dirname(request.file) });
    // The linter's own model (its input cache): the same content, so the same keys in the index.
    const model = modelFor(loaded);
    const config = resolveAnalysisConfig(model, loaded.config, { strict: request.strict });
    projectFindings({ loaded, model, config, file: request.file, text: request.text, budgetMs: Infinity });
    resetProjectIndexes(); // writes the index
  } catch (error) {
    // The parent reads the last line (background-build.ts) and reports it with the sites that waited.
    process.stderr.write(`\nthe build failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  } finally {
    fs.rmSync(path.dirname(requestFile), { recursive: true, force: true });
  }
}
