import fs from 'node:fs';
import path from 'node:path';

/**
 * Writes a cache file whole or not at all (write then rename: a concurrent audit never reads
 * half a file); a folder that cannot be written is no error: the audit is still right, only
 * not faster next time.
 */
export function writeCacheFile(file: string, data: string | Uint8Array): boolean {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
    return true;
  } catch {
    // a read-only checkout
    return false;
  }
}
