import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The package's own version, read from its package.json (found upward: the source runs from
// src/ in tests and from dist/src/ when built).
function readVersion(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'rls-guard' && pkg.version) return pkg.version;
    }
    if (path.dirname(dir) === dir) return '0.0.0';
  }
}

export const VERSION: string = readVersion();
