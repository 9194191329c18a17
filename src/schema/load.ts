import fs from 'node:fs';
import path from 'node:path';
import type { RlsGuardConfig } from '../config/types.js';
import { readSource } from '../analysis/source-host.js';
import { discoverMigrations } from './discover.js';
import { applyConfig, buildModel, type MigrationFile } from './model.js';
import type { RlsModel } from './types.js';

// The model for an audit root, cached per process: the ESLint plugin asks once per linted
// file, and migrations rarely change. The key includes every file's size and mtime, so an
// edit in an editor session is noticed.

const cache = new Map<string, { key: string; model: RlsModel }>();

export function loadModel(root: string, config: RlsGuardConfig): RlsModel {
  const discovered = discoverMigrations(root, { ...(config.migrations ? { migrations: config.migrations } : {}), ...(config.ignore ? { ignore: config.ignore } : {}) });
  const stamps = discovered.files.map((f) => {
    try {
      const st = fs.statSync(f);
      return `${f}:${st.size}:${st.mtimeMs}`;
    } catch {
      return `${f}:missing`;
    }
  });
  const key = `${JSON.stringify(config)}\n${stamps.join('\n')}`;
  const hit = cache.get(root);
  if (hit && hit.key === key) return hit.model;
  const files: MigrationFile[] = [];
  const diagnostics = [...discovered.diagnostics];
  for (const f of discovered.files) {
    const rel = path.relative(root, f).split(path.sep).join('/');
    const read = readSource(f);
    if (read.ok) files.push({ path: rel, text: read.text });
    else diagnostics.push({ file: rel, line: 1, message: read.reason });
  }
  const built = buildModel(files, config.defaultSchema ? { defaultSchema: config.defaultSchema } : {});
  const model = applyConfig({ ...built, diagnostics: [...diagnostics, ...built.diagnostics] }, config);
  cache.set(root, { key, model });
  return model;
}
