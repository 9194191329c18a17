import fs from 'node:fs';
import path from 'node:path';
import { SOURCE_EXTENSIONS } from '../../src/files/source.js';

/** Every source file under `dir` (node_modules aside), for tests that compare a reading on every fixture file. */
export function sourcesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory() && e.name !== 'node_modules') out.push(...sourcesUnder(p));
    else if (e.isFile() && SOURCE_EXTENSIONS.some((x) => e.name.endsWith(x))) out.push(p);
  }
  return out;
}
