import fs from 'node:fs';
import path from 'node:path';
import type * as AjvModule from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { lazyRequire } from '../lazy-require.js';
import { ConfigError } from '../config/load.js';
import { readJsonFile } from '../files/json.js';
import type { InputStore } from '../files/input-store.js';
import { ruleFor, type ActiveEntry, type Pack, type PackEntry } from './types.js';

const ajv = lazyRequire<typeof AjvModule>('ajv');

// Loads the built-in packs (rules/packs/*.json) and the packs a config names, validated
// against the pack schema. A bad pack is a configuration error (exit 2), never a crash.

const BUILTIN_DIR = findBuiltinDir();

function findBuiltinDir(): string {
  // src/packs (tsx, vitest) and dist/src/packs (built) sit at different depths below rules/.
  for (let dir = import.meta.dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'rules', 'packs');
    if (fs.existsSync(path.join(candidate, 'pack.schema.json'))) return candidate;
    if (path.dirname(dir) === dir)
      throw new Error('rls-guard: rules/packs/pack.schema.json not found beside the package');
  }
}

let validator: ValidateFunction | undefined;

function validate(raw: unknown, file: string): Pack {
  validator ??= new (ajv().Ajv)({ allErrors: true, strict: false }).compile(
    readJsonFile(path.join(BUILTIN_DIR, 'pack.schema.json'), 'pack schema') as object,
  );
  if (!validator(raw))
    throw new ConfigError(`${file}: not a valid rls-guard pack: ${describeErrors(validator.errors ?? [])}`);
  const pack = raw as Pack;
  for (const [i, e] of pack.entries.entries()) {
    if (e.objectPattern !== undefined) {
      try {
        new RegExp(e.objectPattern, 'i');
      } catch (error) {
        throw new ConfigError(
          `${file}: entries[${i}].objectPattern is not a valid regular expression: ${(error as Error).message}`,
        );
      }
    }
  }
  return pack;
}

function describeErrors(errors: ErrorObject[]): string {
  // The if/then wrappers repeat their branch's error; the branch itself is the useful one.
  const useful = errors.filter((e) => e.keyword !== 'if' && e.keyword !== 'oneOf');
  return (useful.length ? useful : errors)
    .slice(0, 5)
    .map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}${errorDetail(e)}`)
    .join('; ');
}

/** The allowed values of an enum, or the property that is not allowed (and why, for `severity`). */
function errorDetail(e: ErrorObject): string {
  if (e.keyword === 'enum') return ` (${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')})`;
  if (e.keyword !== 'additionalProperties') return '';
  const property = String((e.params as { additionalProperty: unknown }).additionalProperty);
  const why =
    property === 'severity' ? " (a finding's severity is its rule's, from its rule module, rules/<id>.ts)" : '';
  return `: "${property}"${why}`;
}

export function readPack(file: string): Pack {
  return validate(readJsonFile(file, 'pack', ConfigError), file);
}

const builtinCache: { packs?: Pack[] } = {};

export function builtinPacks(): Pack[] {
  builtinCache.packs ??= builtinFiles().map((f) => readPack(f));
  return builtinCache.packs;
}

export interface PackSet {
  packs: Pack[];
  /** Entries that can produce findings (retained entries are documentation only), deduplicated. */
  entries: ActiveEntry[];
  /** The pack files read from the config, relative to the config folder. */
  userFiles: string[];
}

/**
 * The built-in packs plus those the config's `packs` key names (paths relative to `dir`). With an input store, the
 * packs are remembered by the content of every pack file and of the pack schema: the same files validate the same
 * way, and a warm audit skips compiling the schema (a tenth of a warm run's CPU); a pack that fails is not kept.
 */
export function loadPacks(dir: string, userPacks: readonly string[] = [], inputs?: InputStore): PackSet {
  if (!inputs) return readPacks(dir, userPacks);
  const files = packFiles(dir, userPacks);
  const key = JSON.stringify([dir, userPacks, files.map((f) => [f, inputs.digest(f)?.hash ?? 'unreadable'])]);
  return inputs.remember('packs', key, () => readPacks(dir, userPacks));
}

/** Every file a pack set is read from: the pack schema, the built-in packs and the config's packs (absolute paths). */
export function packFiles(dir: string, userPacks: readonly string[] = []): string[] {
  return [path.join(BUILTIN_DIR, 'pack.schema.json'), ...builtinFiles(), ...userPacks.map((p) => path.resolve(dir, p))];
}

function builtinFiles(): string[] {
  return fs
    .readdirSync(BUILTIN_DIR)
    .filter((f) => f.endsWith('.json') && f !== 'pack.schema.json')
    .sort()
    .map((f) => path.join(BUILTIN_DIR, f));
}

function readPacks(dir: string, userPacks: readonly string[]): PackSet {
  const packs = [...builtinPacks()];
  for (const p of userPacks) {
    const file = path.resolve(dir, p);
    if (!fs.existsSync(file)) throw new ConfigError(`packs: ${p}: no such pack file (resolved to ${file})`);
    packs.push(readPack(file));
  }
  const ids = new Set<string>();
  for (const p of packs) {
    if (ids.has(p.id)) throw new ConfigError(`packs: two packs have the id "${p.id}"`);
    ids.add(p.id);
  }
  for (const p of packs) {
    for (const inc of p.includes ?? [])
      if (!ids.has(inc)) throw new ConfigError(`packs: ${p.id} includes unknown pack "${inc}"`);
  }
  return { packs, entries: activeEntries(packs), userFiles: [...userPacks] };
}

function activeEntries(packs: readonly Pack[]): ActiveEntry[] {
  const seen = new Set<string>();
  const out: ActiveEntry[] = [];
  for (const pack of packs) {
    for (const e of pack.entries) {
      if (e.status === 'retained') continue;
      const key = [
        e.kind,
        e.kind === 'header' ? e.name.toLowerCase() : e.name,
        e.status,
        (e.when?.values ?? []).join('|'),
      ].join('\u0001');
      if (seen.has(key)) continue; // the same change listed by two packs reports once
      seen.add(key);
      // No severity per entry: ESLint gives a rule one severity, so the rule's (rules/<id>.ts) applies.
      out.push({ ...e, pack: pack.id, platform: pack.platform });
    }
  }
  return out;
}

/** Entries a pack carries, its own plus those of the packs it includes (for sizes and docs). */
export function packEntries(pack: Pack, all: readonly Pack[]): PackEntry[] {
  const out = [...pack.entries];
  for (const inc of pack.includes ?? []) {
    const other = all.find((p) => p.id === inc);
    if (other && other !== pack) out.push(...packEntries(other, all));
  }
  return out;
}
