import fs from 'node:fs';
import path from 'node:path';
import type * as Yaml from 'yaml';
import type { InputStore } from '../files/input-store.js';
import { lazyRequire } from '../lazy-require.js';
import { isFile } from '../files/walk.js';
import { naturalCompare } from './discover.js';
import { toPosixRelative } from '../files/paths.js';

// The SQL a database image runs before any migration: files a compose file mounts into the
// Postgres image's /docker-entrypoint-initdb.d (a single file, or a folder of them). The
// image runs them in the order of their names inside that folder, before the app's
// migrations ever connect, so the replay does the same.

const COMPOSE_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];
const INITDB = '/docker-entrypoint-initdb.d';

const yaml = lazyRequire<typeof Yaml>('yaml');

/**
 * The .sql init scripts the root's compose files mount, in the order the image runs them. With `inputs`, each compose
 * file's mounts are kept by its content (a warm run parses no YAML); the mounted files are looked at every time.
 */
export function composeInitScripts(root: string, inputs?: InputStore): string[] {
  const mounted: { file: string; name: string }[] = [];
  for (const name of COMPOSE_FILES) {
    const compose = path.join(root, name);
    if (!isFile(compose)) continue;
    const d = inputs?.digest(compose);
    const mounts =
      inputs && d ? inputs.remember('compose-mounts', d.hash, () => initMounts(compose)) : initMounts(compose);
    for (const mount of mounts) {
      const source = path.resolve(root, mount.source);
      if (isFile(source))
        mounted.push({
          file: source,
          name: mount.target === INITDB ? path.basename(source) : mount.target.slice(INITDB.length + 1),
        });
      else for (const f of sqlFilesIn(source)) mounted.push({ file: f, name: toPosixRelative(source, f) });
    }
  }
  return [
    ...new Map(
      mounted
        .filter((m) => m.file.endsWith('.sql'))
        .sort((a, b) => naturalCompare(a.name, b.name))
        .map((m) => [m.file, m.file]),
    ).keys(),
  ];
}

/** The bind mounts into the init folder a compose file declares (none when it cannot be read or parsed). */
function initMounts(compose: string): { source: string; target: string }[] {
  let doc: unknown;
  try {
    doc = yaml().parse(fs.readFileSync(compose, 'utf8'));
  } catch {
    return []; // an unreadable compose file mounts nothing we can know
  }
  const mounts: { source: string; target: string }[] = [];
  const services = (doc as { services?: Record<string, { volumes?: unknown[] }> } | null)?.services ?? {};
  for (const service of Object.values(services))
    for (const volume of service?.volumes ?? []) {
      const mount = parseVolume(volume);
      if (mount && (mount.target === INITDB || mount.target.startsWith(`${INITDB}/`))) mounts.push(mount);
    }
  return mounts;
}

/**
 * `./db/init.sql:/docker-entrypoint-initdb.d/1.sql:ro`, or the long form `{ source, target }`; named volumes are not
 * files.
 */
function parseVolume(volume: unknown): { source: string; target: string } | undefined {
  if (typeof volume === 'string') {
    const [source, target] = volume.split(':');
    return source && target && /^[./~]/.test(source) ? { source, target } : undefined;
  }
  if (volume && typeof volume === 'object') {
    const v = volume as { type?: string; source?: unknown; target?: unknown };
    if (v.type === 'bind' && typeof v.source === 'string' && typeof v.target === 'string')
      return { source: v.source, target: v.target };
  }
  return undefined;
}

function sqlFilesIn(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.sql'))
      .map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}
