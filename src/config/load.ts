import fs from 'node:fs';
import path from 'node:path';
import { isFile } from '../files/walk.js';
import type { RlsGuardConfig } from './types.js';

// Finds and validates rls-guard.config.json (or the "rls-guard" key of package.json) by
// walking up from the audited path. Synchronous: the ESLint plugin reads it too.

export const CONFIG_FILES = ['rls-guard.config.json'];

export class ConfigError extends Error {}

export interface LoadedConfig {
  config: RlsGuardConfig;
  /** The config file, or null when none was found (defaults apply). */
  file: string | null;
  /** The folder the config's relative paths are resolved against; the audit root. */
  dir: string;
}

export function findConfigFile(start: string): string | null {
  let dir = path.resolve(start);
  if (isFile(dir)) dir = path.dirname(dir);
  for (;;) {
    for (const name of CONFIG_FILES) {
      const candidate = path.join(dir, name);
      if (isFile(candidate)) return candidate;
    }
    const pkg = path.join(dir, 'package.json');
    if (isFile(pkg) && readPackageKey(pkg) !== undefined) return pkg;
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

export function loadConfig(options: { configFile?: string; start: string }): LoadedConfig {
  const file = options.configFile ? path.resolve(options.configFile) : findConfigFile(options.start);
  if (!file) return { config: {}, file: null, dir: defaultRoot(options.start) };
  let raw: unknown;
  try {
    raw = path.basename(file) === 'package.json' ? readPackageKey(file) : JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${file}: cannot read configuration: ${(error as Error).message}`);
  }
  return { config: validateConfig(raw, file), file, dir: path.dirname(file) };
}

/** Without a config file, the project root: the nearest folder with a package.json or .git. */
function defaultRoot(start: string): string {
  const abs = path.resolve(start);
  const from = isFile(abs) ? path.dirname(abs) : abs;
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (isFile(path.join(dir, 'package.json')) || fs.existsSync(path.join(dir, '.git'))) return dir;
    if (path.dirname(dir) === dir) return from;
  }
}

function readPackageKey(pkg: string): unknown {
  try {
    return (JSON.parse(fs.readFileSync(pkg, 'utf8')) as Record<string, unknown>)['rls-guard'];
  } catch {
    return undefined;
  }
}


type Check = (value: unknown, at: string) => void;

const stringArray: Check = (v, at) => {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new ConfigError(`${at} must be an array of strings`);
};
const specifierArray: Check = (v, at) => {
  if (!Array.isArray(v)) throw new ConfigError(`${at} must be an array`);
  v.forEach((x, i) => {
    if (typeof x === 'string') return;
    if (!x || typeof x !== 'object' || typeof (x as { name?: unknown }).name !== 'string') throw new ConfigError(`${at}[${i}] must be a name or { "name": …, "from"?: … }`);
    for (const [k, val] of Object.entries(x)) {
      if (k === 'name' || k === 'from') {
        if (typeof val !== 'string') throw new ConfigError(`${at}[${i}].${k} must be a string`);
      } else if (k === 'callbackArg' || k === 'executorParam') {
        if (!Number.isInteger(val)) throw new ConfigError(`${at}[${i}].${k} must be an integer`);
      } else throw new ConfigError(`${at}[${i}].${k} is not a known option`);
    }
  });
};

const CHECKS: Record<keyof RlsGuardConfig, Check> = {
  migrations: stringArray,
  contextSettings: stringArray,
  scopeHelpers: specifierArray,
  adminProviders: specifierArray,
  definerFunctions: stringArray,
  setterFunctions: stringArray,
  ignore: stringArray,
  packs: stringArray,
  defaultSchema: (v, at) => {
    if (typeof v !== 'string' || !v) throw new ConfigError(`${at} must be a non-empty string`);
  },
  gatedTables: (v, at) => {
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new ConfigError(`${at} must be an object { "add"?: [...], "remove"?: [...] }`);
    for (const [k, val] of Object.entries(v)) {
      if (k !== 'add' && k !== 'remove') throw new ConfigError(`${at}.${k} is not a known option (add, remove)`);
      stringArray(val, `${at}.${k}`);
    }
  },
};

export function validateConfig(raw: unknown, file: string): RlsGuardConfig {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${file}: configuration must be a JSON object`);
  for (const [key, value] of Object.entries(raw)) {
    if (key === '$schema') continue;
    const check = CHECKS[key as keyof RlsGuardConfig];
    if (!check) throw new ConfigError(`${file}: "${key}" is not a known option (known: ${Object.keys(CHECKS).join(', ')})`);
    check(value, `${file}: ${key}`);
  }
  return raw as RlsGuardConfig;
}
