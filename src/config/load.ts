import fs from 'node:fs';
import path from 'node:path';
import { toPosixRelative } from '../files/paths.js';
import { isFile } from '../files/walk.js';
import { evaluateConfigFile, SCRIPT_CONFIG } from './evaluate.js';
import { parseJson } from '../files/json.js';
import { workspaceOf } from '../resolve/workspaces.js';
import type { RlsGuardConfig } from './types.js';
import { ConfigError, validateConfig } from './validate.js';

// Finds and validates rls-guard.config.{ts,mts,mjs,js,cjs,json} (or the "rls-guard" key of
// package.json) by walking up from the audited path. Synchronous: the ESLint plugin reads it too.

export const CONFIG_FILES = [
  'rls-guard.config.ts',
  'rls-guard.config.mts',
  'rls-guard.config.mjs',
  'rls-guard.config.js',
  'rls-guard.config.cjs',
  'rls-guard.config.json',
];

export { ConfigError, validateConfig };

export interface LoadedConfig {
  config: RlsGuardConfig;
  /** The config file, or null when none was found (defaults apply). */
  file: string | null;
  /** The folder the config's relative paths are resolved against; the audit root. */
  dir: string;
  /** Under `untrusted`, a script config that was found but not run: the audit used the defaults. */
  refused?: { file: string; reason: string };
}

/** The config file as evidence names it, relative to the audit root (`../configs/x.json` when outside it). */
export function configNameIn(root: string, loaded: LoadedConfig): string | undefined {
  return loaded.file ? toPosixRelative(root, loaded.file) : undefined;
}

export function findConfigFile(start: string): string | null {
  let dir = path.resolve(start);
  if (isFile(dir)) dir = path.dirname(dir);
  for (;;) {
    const found = configFileIn(dir);
    if (found) return found;
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** The config file in this very folder (not above it), if any; throws ConfigError when there are several. */
export function configFileIn(dir: string): string | undefined {
  const found = CONFIG_FILES.map((name) => path.join(dir, name)).filter(isFile);
  // Two config files in one folder: which one wins would be a guess, so refuse.
  if (found.length > 1)
    throw new ConfigError(
      `${dir}: several configuration files (${found.map((f) => path.basename(f)).join(', ')}); keep one`,
    );
  if (found[0]) return found[0];
  const pkg = path.join(dir, 'package.json');
  if (isFile(pkg) && readPackageKey(pkg) !== undefined) return pkg;
  return undefined;
}

export function loadConfig(options: { configFile?: string; start: string; untrusted?: boolean }): LoadedConfig {
  const file = options.configFile ? path.resolve(options.configFile) : findConfigFile(options.start);
  if (!file) return { config: {}, file: null, dir: defaultRoot(options.start) };
  // A script config is code from the audited tree: under --untrusted it is never run.
  if (options.untrusted && SCRIPT_CONFIG.test(file)) {
    const reason = `${path.basename(file)} was not run: --untrusted never executes code from the audited tree, so ` +
      `the audit used the default configuration; put the configuration in rls-guard.config.json to have it read`;
    if (options.configFile) throw new ConfigError(`${file}: ${reason}`);
    return { config: {}, file: null, dir: path.dirname(file), refused: { file, reason } };
  }
  let raw: unknown;
  try {
    if (path.basename(file) === 'package.json') raw = readPackageKey(file);
    else if (SCRIPT_CONFIG.test(file)) raw = evaluateConfigFile(file);
    else raw = parseJson(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${file}: cannot read configuration: ${(error as Error).message}`);
  }
  return { config: validateConfig(raw, file), file, dir: path.dirname(file) };
}

/**
 * Without a config file, the project root: the nearest folder with a package.json or .git, and for a package of an
 * npm, yarn or pnpm workspace, the workspace's root. A monorepo's migrations often sit outside every package
 * (`infra/migrations`, `db/`), and the repository is what CI audits: the ESLint plugin, which starts from the linted
 * file, rooted at the package would read no migration and judge every table ungated, a silent all-clear in the editor
 * beside a failing audit (docs/real-world.md, sixteenth session).
 */
export function defaultRoot(start: string): string {
  const abs = path.resolve(start);
  const from = isFile(abs) ? path.dirname(abs) : abs;
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (isFile(path.join(dir, 'package.json'))) return workspaceRootOf(dir) ?? dir;
    if (fs.existsSync(path.join(dir, '.git'))) return dir;
    if (path.dirname(dir) === dir) return from;
  }
}

/** The root of the workspace that lists this folder as one of its packages (not merely a folder inside it). */
function workspaceRootOf(dir: string): string | undefined {
  const parent = path.dirname(dir);
  if (parent === dir) return undefined;
  const workspace = workspaceOf(parent);
  return workspace?.packages.some((p) => p.dir === dir) ? workspace.root : undefined;
}

function readPackageKey(pkg: string): unknown {
  try {
    return (JSON.parse(fs.readFileSync(pkg, 'utf8')) as Record<string, unknown>)['rls-guard'];
  } catch {
    return undefined;
  }
}
