import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The package's own root and version, from its package.json (found upward: the source runs
// from src/ in tests and from dist/src/ when built).
function findOwnPackage(): { root: string; version: string } {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'rls-guard' && pkg.version) return { root: dir, version: pkg.version };
    }
    if (path.dirname(dir) === dir) return { root: '', version: '0.0.0' };
  }
}

const own = findOwnPackage();
export const VERSION: string = own.version;
/** The directory of rls-guard's own package.json. */
export const PACKAGE_ROOT: string = own.root;
