import fs from 'node:fs';
import path from 'node:path';

/**
 * Writes a cache file whole or not at all (write then rename: a concurrent audit never reads
 * half a file); a folder that cannot be written is no error: the audit is still right, only
 * not faster next time.
 */
export function writeCacheFile(file: string, text: string): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  } catch {
    // a read-only checkout
  }
}
